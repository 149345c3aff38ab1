#include "reco/calibrate/reliability_svg.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "reco/core/error.h"

namespace reco::calibrate {
namespace {

// Geometry (pixels): plot square at (kLeft, kTop) of side kSide; legend to its right.
constexpr double kLeft = 70, kTop = 60, kSide = 400;
constexpr double kLegendX = kLeft + kSide + 30;
constexpr double kWidth = kLegendX + 260, kHeight = kTop + kSide + 60;
constexpr const char* kPalette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                                    "#9467bd", "#8c564b", "#e377c2", "#17becf"};

std::string num(double v, const char* format = "%.2f") {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

// Metric value for text: 4 significant digits, "n/a" when undefined.
std::string metric(double v) { return std::isfinite(v) ? num(v, "%.4g") : std::string("n/a"); }

double px(double x) { return kLeft + std::clamp(x, 0.0, 1.0) * kSide; }
double py(double y) { return kTop + (1.0 - std::clamp(y, 0.0, 1.0)) * kSide; }

void axes(std::string& s) {
  s += "<g class=\"axes\" stroke=\"#000\" fill=\"none\">\n";
  for (int k = 0; k <= 10; ++k) {
    const double v = k / 10.0;
    if (k > 0 && k < 10) {
      s += "<line x1=\"" + num(px(v)) + "\" y1=\"" + num(py(0)) + "\" x2=\"" + num(px(v)) + "\" y2=\"" + num(py(1)) +
           "\" stroke=\"#e6e6e6\"/>\n";
      s += "<line x1=\"" + num(px(0)) + "\" y1=\"" + num(py(v)) + "\" x2=\"" + num(px(1)) + "\" y2=\"" + num(py(v)) +
           "\" stroke=\"#e6e6e6\"/>\n";
    }
    const double len = k % 2 == 0 ? 6 : 3;
    s += "<line x1=\"" + num(px(v)) + "\" y1=\"" + num(py(0)) + "\" x2=\"" + num(px(v)) + "\" y2=\"" +
         num(py(0) + len) + "\"/>\n";
    s += "<line x1=\"" + num(px(0) - len) + "\" y1=\"" + num(py(v)) + "\" x2=\"" + num(px(0)) + "\" y2=\"" +
         num(py(v)) + "\"/>\n";
  }
  s += "<rect x=\"" + num(kLeft) + "\" y=\"" + num(kTop) + "\" width=\"" + num(kSide) + "\" height=\"" + num(kSide) +
       "\"/>\n</g>\n";
  s += "<g class=\"ticks\" fill=\"#000\" font-size=\"11\">\n";
  for (int k = 0; k <= 10; k += 2) {
    const double v = k / 10.0;
    s += "<text x=\"" + num(px(v)) + "\" y=\"" + num(py(0) + 20) + "\" text-anchor=\"middle\">" + num(v, "%.1f") +
         "</text>\n";
    s += "<text x=\"" + num(px(0) - 10) + "\" y=\"" + num(py(v) + 4) + "\" text-anchor=\"end\">" + num(v, "%.1f") +
         "</text>\n";
  }
  s += "</g>\n";
  s += "<text x=\"" + num(kLeft + kSide / 2) + "\" y=\"" + num(kTop + kSide + 45) +
       "\" text-anchor=\"middle\">mean predicted probability</text>\n";
  s += "<text transform=\"translate(" + num(kLeft - 45) + "," + num(kTop + kSide / 2) +
       ") rotate(-90)\" text-anchor=\"middle\">fraction of positives</text>\n";
  s += "<line class=\"diagonal\" x1=\"" + num(px(0)) + "\" y1=\"" + num(py(0)) + "\" x2=\"" + num(px(1)) +
       "\" y2=\"" + num(py(1)) + "\" stroke=\"#888\" stroke-dasharray=\"5 4\"/>\n";
}

}  // namespace

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string reliability_svg(const std::vector<CalibrationReport>& heads) {
  uint64_t max_count = 1;
  for (const auto& h : heads) {
    for (const auto& b : h.diagram.bins()) max_count = std::max(max_count, b.count);
  }
  std::string title = "Reliability diagram";
  for (size_t i = 0; i < heads.size(); ++i) {
    title += (i == 0 ? ": " : ", ") + heads[i].head + " ECE " + metric(heads[i].ece);
  }
  const double height = std::max(kHeight, kTop + 24.0 * heads.size() + 20);
  std::string s;
  s.reserve(4096 + 2048 * heads.size());
  s += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  s += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(kWidth, "%.0f") + "\" height=\"" +
       num(height, "%.0f") + "\" viewBox=\"0 0 " + num(kWidth, "%.0f") + " " + num(height, "%.0f") +
       "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  s += "<title>" + xml_escape(title) + "</title>\n";
  s += "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n";
  s += "<text class=\"title\" x=\"" + num(kLeft) + "\" y=\"30\" font-size=\"14\">" + xml_escape(title) + "</text>\n";
  axes(s);
  for (size_t i = 0; i < heads.size(); ++i) {
    const auto& h = heads[i];
    const std::string color = kPalette[i % std::size(kPalette)];
    s += "<g class=\"series\" data-head=\"" + xml_escape(h.head) + "\" fill=\"" + color + "\" stroke=\"" + color +
         "\">\n";
    std::string points, circles;
    for (const auto& b : h.diagram.bins()) {
      if (!(b.weight > 0.0) || b.count == 0) continue;
      const double x = px(b.mean_prediction), y = py(b.fraction_positive);
      if (!points.empty()) points += ' ';
      points += num(x) + "," + num(y);
      const double r = 2.0 + 6.0 * std::sqrt(static_cast<double>(b.count) / static_cast<double>(max_count));
      circles += "<circle cx=\"" + num(x) + "\" cy=\"" + num(y) + "\" r=\"" + num(r) +
                 "\" fill-opacity=\"0.6\"><title>" +
                 xml_escape(h.head) + " bin [" + num(b.lower, "%.3g") + ", " + num(b.upper, "%.3g") + "): " +
                 std::to_string(b.count) + " rows, mean prediction " + metric(b.mean_prediction) +
                 ", fraction positive " + metric(b.fraction_positive) + "</title></circle>\n";
    }
    if (!points.empty()) s += "<polyline fill=\"none\" stroke-width=\"1.5\" points=\"" + points + "\"/>\n";
    s += circles;
    s += "</g>\n";
  }
  s += "<g class=\"legend\">\n";
  for (size_t i = 0; i < heads.size(); ++i) {
    const auto& h = heads[i];
    const std::string color = kPalette[i % std::size(kPalette)];
    const double y = kTop + 10 + 24.0 * i;
    s += "<line x1=\"" + num(kLegendX) + "\" y1=\"" + num(y) + "\" x2=\"" + num(kLegendX + 20) + "\" y2=\"" + num(y) +
         "\" stroke=\"" + color + "\" stroke-width=\"2\"/>\n";
    s += "<circle cx=\"" + num(kLegendX + 10) + "\" cy=\"" + num(y) + "\" r=\"4\" fill=\"" + color + "\"/>\n";
    s += "<text x=\"" + num(kLegendX + 28) + "\" y=\"" + num(y + 4) + "\">" + xml_escape(h.head) + " (ECE " +
         metric(h.ece) + ", n=" + std::to_string(h.count) + ")</text>\n";
  }
  s += "</g>\n</svg>\n";
  return s;
}

void write_reliability_svg(const std::string& path, const std::vector<CalibrationReport>& heads) {
  const std::string svg = reliability_svg(heads);
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) RECO_THROW(ErrorCode::kIo) << "cannot write reliability diagram '" << tmp << "'";
    out.write(svg.data(), static_cast<std::streamsize>(svg.size()));
    out.flush();
    if (!out) {
      out.close();
      std::error_code ignored;
      std::filesystem::remove(tmp, ignored);
      RECO_THROW(ErrorCode::kIo) << "write failed for reliability diagram '" << tmp << "'";
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    RECO_THROW(ErrorCode::kIo) << "cannot rename '" << tmp << "' to reliability diagram '" << path
                               << "': " << ec.message();
  }
}

}  // namespace reco::calibrate
