// Reliability diagram as a self-contained SVG (no scripts, no external fonts or styles), for
// `reco eval`/`reco train` reports and docs.
// Layout: one square plot, x = mean predicted probability, y = fraction of positives, both
// 0..1 with ticks every 0.1 (labelled every 0.2) and light grid lines; a dashed diagonal
// (perfect calibration); per head one <g class="series" data-head="NAME"> holding a
// polyline through the non-empty bins (in bin order) and one circle per non-empty bin whose
// area grows with the bin's row count (radius 2 + 6 * sqrt(count / max count over all
// heads)), each with a <title> tooltip (bin range, rows, mean prediction, fraction
// positive); a legend with the head's colour, name, ECE and rows; a title listing the ECE
// of every head. Colours cycle through an 8-colour palette. Text is XML-escaped
// (& < > " ').
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "reco/calibrate/calibration_report.h"

namespace reco::calibrate {

/// XML text/attribute escaping of & < > " '.
std::string xml_escape(std::string_view text);

/// The SVG document (UTF-8, starts with an XML declaration). Heads may be empty (axes only).
std::string reliability_svg(const std::vector<CalibrationReport>& heads);

/// Writes reliability_svg(heads) to `path` atomically: into "<path>.tmp.<pid>", then renamed
/// over `path` (a reader never sees a partial file). Throws kIo naming the path.
void write_reliability_svg(const std::string& path, const std::vector<CalibrationReport>& heads);

}  // namespace reco::calibrate
