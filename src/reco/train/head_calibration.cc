#include "reco/train/head_calibration.h"

#include "reco/calibrate/downsampling.h"
#include "reco/core/error.h"
#include "reco/train/trainer.h"

namespace reco::train {

namespace {
std::vector<float> row_weights(const models::FeatureMap& f, const Dataset& ds, std::span<const uint64_t> rows) {
  if (f.weight.empty()) return {};
  const auto w = ds.f32(f.weight);
  std::vector<float> out(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) out[i] = w[rows[i]];
  return out;
}
}  // namespace

bool fits_a_map(const std::vector<std::string>& methods) {
  for (const auto& m : methods)
    if (calibrate::parse_calibrator_kind(m) != calibrate::CalibratorKind::kNone) return true;
  return false;
}

models::HeadScoring fit_head_scoring(const models::FeatureMap& features, const Dataset& ds,
                                     std::span<const uint64_t> rows, std::span<const float> raw, std::string_view part,
                                     const std::vector<std::string>& methods, const std::vector<double>& weights) {
  const auto& tasks = features.tasks;
  const size_t nt = tasks.size();
  RECO_CHECK(methods.size() == nt && weights.size() == nt) << "fit_head_scoring: one method and weight per head";
  if (fits_a_map(methods)) {
    RECO_CHECK(!rows.empty()) << ds.path() << ": calibration needs evaluation rows (data.eval = validation)";
    RECO_CHECK(raw.size() == rows.size() * nt) << "fit_head_scoring: " << raw.size() << " predictions for "
                                               << rows.size() << " rows x " << nt << " heads";
  }
  models::HeadScoring scoring = models::HeadScoring::identity(features);
  scoring.weights = weights;
  calibrate::CalibratorFitOptions options;
  options.validation_downsampled = calibrate::part_downsampled(ds, part);
  const auto w = row_weights(features, ds, rows);
  for (size_t t = 0; t < nt; ++t) {
    const double alpha = calibrate::downsampling_alpha(ds, tasks[t].label);
    const auto kind = calibrate::parse_calibrator_kind(methods[t]);
    if (kind == calibrate::CalibratorKind::kNone) {
      scoring.calibrators[t].alpha = alpha;
      continue;
    }
    std::vector<float> p(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) p[i] = raw[i * nt + t];
    scoring.calibrators[t] = calibrate::fit_calibrator(kind, p, models::task_labels(tasks[t], ds, rows), w, alpha, options);
  }
  return scoring;
}

std::vector<float> calibrated_predictions(const models::CtrModel& model, const models::HeadScoring& scoring,
                                          const Dataset& ds, std::span<const uint64_t> rows, const RunContext& ctx) {
  auto p = predict_rows(model, ds, rows, ctx);
  scoring.calibrate(p);
  return p;
}

std::vector<calibrate::CalibrationReport> head_calibration_reports(const models::FeatureMap& features,
                                                                   std::span<const float> predictions,
                                                                   const Dataset& ds, std::span<const uint64_t> rows,
                                                                   size_t bins) {
  const size_t nt = features.tasks.size();
  RECO_CHECK(predictions.size() == rows.size() * nt) << "head_calibration_reports: prediction count mismatch";
  const auto w = row_weights(features, ds, rows);
  calibrate::ReliabilityOptions opt;
  opt.bins = static_cast<int>(bins);
  std::vector<calibrate::CalibrationReport> out;
  for (size_t t = 0; t < nt; ++t) {
    std::vector<float> p(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) p[i] = predictions[i * nt + t];
    out.push_back(calibrate::make_calibration_report(features.tasks[t].name, p, models::task_labels(features.tasks[t], ds, rows),
                                                     w, opt));
  }
  return out;
}

}  // namespace reco::train
