#include "reco/core/human.h"

#include <array>
#include <cmath>

#include <fmt/format.h>

namespace reco {

namespace {
// Scales `value` by `base` until it is below `base` (after rounding to one decimal, so that
// 999.96 k becomes "1.0 M" rather than "1000.0 k"), returning the value and the unit index.
std::pair<double, size_t> scale(double value, double base, size_t n_units) {
  size_t unit = 0;
  while (unit + 1 < n_units && std::round(value * 10.0) / 10.0 >= base) {
    value /= base;
    ++unit;
  }
  return {value, unit};
}
}  // namespace

std::string format_count(double n) {
  if (!std::isfinite(n)) return "?";
  if (n < 0) return "-" + format_count(-n);
  static constexpr std::array<const char*, 6> kUnits = {"", "k", "M", "G", "T", "P"};
  if (std::round(n) < 1000.0) {
    // Small counts are exact integers; small fractional rates keep one decimal.
    if (n == std::floor(n) || n >= 100.0) return fmt::format("{:.0f}", n);
    return fmt::format("{:.1f}", n);
  }
  auto [v, unit] = scale(n, 1000.0, kUnits.size());
  return fmt::format("{:.1f} {}", v, kUnits[unit]);
}

std::string format_rate(double per_second, std::string_view unit) {
  std::string count = format_count(per_second);
  if (unit.empty()) {
    // "4.5 k/s" or "12/s"
    return count + "/s";
  }
  return fmt::format("{} {}/s", count, unit);
}

std::string format_bytes(uint64_t bytes) {
  static constexpr std::array<const char*, 7> kUnits = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (bytes < 1024) return fmt::format("{} B", bytes);
  auto [v, unit] = scale(static_cast<double>(bytes), 1024.0, kUnits.size());
  return fmt::format("{:.1f} {}", v, kUnits[unit]);
}

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds)) return "?";
  if (seconds < 0) seconds = 0;
  if (seconds < 1.0) {
    const auto ms = static_cast<int64_t>(std::round(seconds * 1000.0));
    if (ms < 1000) return fmt::format("{}ms", ms);
  }
  if (seconds < 9.95) return fmt::format("{:.1f}s", seconds);
  const auto total = static_cast<int64_t>(std::round(seconds));
  if (total < 60) return fmt::format("{}s", total);
  if (total < 3600) return fmt::format("{}m{:02}s", total / 60, total % 60);
  if (total < 86400) return fmt::format("{}h{:02}m", total / 3600, (total % 3600) / 60);
  return fmt::format("{}d{:02}h", total / 86400, (total % 86400) / 3600);
}

}  // namespace reco
