#include "reco/calibrate/downsampling.h"

#include <cmath>
#include <string>

#include "reco/core/error.h"
#include "reco/data/dataset.h"
#include "reco/data/downsample.h"

namespace reco::calibrate {
namespace {

// Reads obj[key] as an alpha in (0, 1]; `field` is the JSON path used in the message.
double read_alpha(const nlohmann::json& obj, std::string_view field, std::string_view label,
                  std::string_view where) {
  const auto it = obj.find("alpha");
  if (it == obj.end() || !it->is_number()) {
    RECO_THROW(ErrorCode::kCorrupt) << where << ": " << field << " for label '" << label
                                    << "' must be a number in (0, 1], got "
                                    << (it == obj.end() ? std::string("nothing") : it->dump());
  }
  const double alpha = it->get<double>();
  if (!(alpha > 0.0 && alpha <= 1.0)) {
    RECO_THROW(ErrorCode::kCorrupt) << where << ": " << field << " for label '" << label
                                    << "' must be in (0, 1], got " << alpha;
  }
  return alpha;
}

}  // namespace

double downsampling_alpha(const nlohmann::json& extra, std::string_view label, std::string_view first_label,
                          std::string_view where) {
  if (!extra.is_object()) return 1.0;
  const auto d = extra.find("downsampling");
  if (d == extra.end() || d->is_null()) return 1.0;
  if (!d->is_object()) {
    RECO_THROW(ErrorCode::kCorrupt) << where << ": extra.downsampling must be an object, got " << d->dump();
  }
  if (const auto per = d->find("per_label"); per != d->end() && !per->is_null()) {
    if (!per->is_object()) {
      RECO_THROW(ErrorCode::kCorrupt) << where << ": extra.downsampling.per_label must be an object, got "
                                      << per->dump();
    }
    if (const auto entry = per->find(std::string(label)); entry != per->end()) {
      const std::string field = "extra.downsampling.per_label[\"" + std::string(label) + "\"].alpha";
      if (!entry->is_object()) {
        RECO_THROW(ErrorCode::kCorrupt) << where << ": " << field << " must sit in an object, got "
                                        << entry->dump();
      }
      return read_alpha(*entry, field, label, where);
    }
  }
  std::string recorded;
  if (const auto l = d->find("label"); l != d->end() && !l->is_null()) {
    if (!l->is_string()) {
      RECO_THROW(ErrorCode::kCorrupt) << where << ": extra.downsampling.label must be a string, got " << l->dump();
    }
    recorded = l->get<std::string>();
  }
  if (!d->contains("alpha")) return 1.0;
  // An unnamed label means "the first label column", the one ingest downsamples by default.
  const std::string_view target = recorded.empty() ? first_label : std::string_view(recorded);
  if (target.empty() || target != label) return 1.0;
  return read_alpha(*d, "extra.downsampling.alpha", label, where);
}

double downsampling_alpha(const Dataset& ds, std::string_view label) {
  const auto labels = ds.labels();
  return downsampling_alpha(ds.extra(), label, labels.empty() ? std::string_view() : std::string_view(labels[0]),
                            ds.path());
}

bool part_downsampled(const nlohmann::json& extra, std::string_view part, std::string_view where) {
  if (!extra.is_object()) return false;
  const auto d = extra.find("downsampling");
  if (d == extra.end() || !d->is_object()) return false;
  const auto parts = d->find("parts");
  if (parts == d->end() || parts->is_null()) return true;
  if (!parts->is_array()) {
    RECO_THROW(ErrorCode::kCorrupt) << where << ": extra.downsampling.parts must be an array of part names, got "
                                    << parts->dump();
  }
  for (const auto& p : *parts) {
    if (!p.is_string()) {
      RECO_THROW(ErrorCode::kCorrupt) << where << ": extra.downsampling.parts holds a non-string " << p.dump();
    }
    if (p.get<std::string>() == part) return true;
  }
  return false;
}

bool part_downsampled(const Dataset& ds, std::string_view part) {
  return part_downsampled(ds.extra(), part, ds.path());
}

void correct_downsampled(std::span<float> probs, double alpha) {
  check_downsample_alpha(alpha);
  if (alpha == 1.0) return;
  for (float& p : probs) {
    RECO_CHECK(p >= 0.0f && p <= 1.0f) << "correct_downsampled: probability must be in [0, 1], got " << p;
    p = static_cast<float>(calibrate_downsampled(p, alpha));
  }
}

}  // namespace reco::calibrate
