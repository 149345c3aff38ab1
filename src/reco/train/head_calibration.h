// Head calibration after training: fits each head's calibrate::Calibrator on the evaluation
// rows and measures how calibrated the heads are.
//
// fit_head_scoring: for task t, alpha_t = calibrate::downsampling_alpha(dataset, label_t)
// (the rate at which the dataset's negatives for that label were kept at ingestion / sample
// building; 1 when none), then the post-hoc map of methods[t] ("none" | "platt" |
// "isotonic") fitted on `raw`, the model's uncalibrated predictions of `rows`
// ([rows.size() * T], from predict_rows), against the task's labels (mask applied); `rows`
// and `raw` may be empty when no method fits a map (fits_a_map). Whether those rows were themselves downsampled comes from
// calibrate::part_downsampled(dataset, part) — see calibrate/calibrator.h for why it
// matters. Utility weights are copied from `weights` (one per head).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "reco/calibrate/calibration_report.h"
#include "reco/core/context.h"
#include "reco/data/dataset.h"
#include "reco/models/ctr_model.h"
#include "reco/models/head_scoring.h"

namespace reco::train {

models::HeadScoring fit_head_scoring(const models::FeatureMap& features, const Dataset& dataset,
                                     std::span<const uint64_t> rows, std::span<const float> raw,
                                     std::string_view part, const std::vector<std::string>& methods,
                                     const std::vector<double>& weights);

/// Whether any of `methods` fits a post-hoc map (then fit_head_scoring needs the raw
/// predictions of its rows; with only "none" it needs neither rows nor predictions).
bool fits_a_map(const std::vector<std::string>& methods);

/// Calibrated probabilities of `rows` ([rows.size() * T]): predict_rows + scoring.calibrate.
std::vector<float> calibrated_predictions(const models::CtrModel& model, const models::HeadScoring& scoring,
                                          const Dataset& dataset, std::span<const uint64_t> rows,
                                          const RunContext& ctx);

/// One CalibrationReport per head of `predictions` ([rows.size() * T]) against the task
/// labels (masked rows skipped) and the sample weights.
std::vector<calibrate::CalibrationReport> head_calibration_reports(const models::FeatureMap& features,
                                                                   std::span<const float> predictions,
                                                                   const Dataset& dataset,
                                                                   std::span<const uint64_t> rows, size_t bins = 10);

}  // namespace reco::train
