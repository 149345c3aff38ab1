// Downsampling correction: undo the bias of negative downsampling on a head's predictions.
//
// A model trained on data where every positive was kept and each negative was kept with
// probability alpha predicts q ~ P(y=1 | x, kept). Bayes' rule on the original distribution
// (Dal Pozzolo et al. 2015, "Calibrating probability with undersampling"; Pinterest's
// related-products ranker) gives
//     p = q / (q + (1 - q) / alpha)                                             (1)
// which is monotone in q, maps 0 -> 0 and 1 -> 1, and is the identity for alpha = 1.
//
// Where alpha comes from: the dataset's meta.extra.downsampling (reco/data/dataset.h).
//   Ingest (one downsampled label):
//     "downsampling": {"alpha": a, "label": "<label>", "seen": n, "kept": k}
//   Multi-head writers may add, per label:
//     "downsampling": {..., "per_label": {"<label>": {"alpha": a, "seen": n, "kept": k}, ...}}
// Resolution for a head reading label L (downsampling_alpha):
//   1. per_label[L].alpha when per_label is present and has an entry for L;
//   2. else the top-level alpha when the top-level "label" equals L;
//   3. else, when the top-level "label" is empty or absent and "alpha" is present, the
//      top-level alpha applies to the dataset's FIRST label column (Dataset::labels()[0],
//      column order) only: that is the column ingest downsamples when no label is named
//      (RowParser::label_output("")). Every other label gets 1;
//   4. else 1 (no downsampling recorded for L).
// Why per label: rows are dropped by one label's negatives; the other labels of the kept
// rows are subsampled differently (often not by a constant rate), so a head's alpha is only
// known when the writer recorded it for that head's label.
// A resolved alpha must be a number in (0, 1]; otherwise kCorrupt naming the dataset path,
// the label and the JSON field. A present but non-object "downsampling" or "per_label" (or
// per_label entry) is kCorrupt too.
#pragma once

#include <span>
#include <string_view>

#include <nlohmann/json.hpp>

namespace reco {
class Dataset;
}

namespace reco::calibrate {

/// alpha for the head reading `label` of `ds`, by the resolution rules above.
double downsampling_alpha(const Dataset& ds, std::string_view label);

/// The same rules on a meta.extra object directly. `first_label` is the dataset's first
/// label column ("" when it has none); `where` names the source in error messages.
double downsampling_alpha(const nlohmann::json& extra, std::string_view label,
                          std::string_view first_label, std::string_view where);

/// Whether the rows of split part `part` ("train" | "validation" | "test") were downsampled,
/// which decides CalibratorFitOptions::validation_downsampled (calibrator.h):
///   extra.downsampling.parts present (an array of part names, written by writers that
///   downsample some parts only, e.g. engagement samples: ["train"]) -> part is listed;
///   absent -> true when extra.downsampling exists (ingest filters rows before it splits,
///   so every part carries the same alpha); no downsampling recorded -> false.
/// A "parts" that is not an array of strings is kCorrupt naming `where`.
bool part_downsampled(const nlohmann::json& extra, std::string_view part, std::string_view where);
bool part_downsampled(const Dataset& ds, std::string_view part);

/// Applies (1) in place to every probability (each must lie in [0, 1]). alpha == 1 is a
/// no-op; alpha outside (0, 1] throws kInvalidArgument.
void correct_downsampled(std::span<float> probs, double alpha);

}  // namespace reco::calibrate
