// Human-readable numbers for messages and progress lines:
//   format_count(1234567)            -> "1.2 M"
//   format_rate(1.2e6, "rows")       -> "1.2 M rows/s"
//   format_bytes(3.4 * (1 << 30))    -> "3.4 GiB"
//   format_duration(72.0)            -> "1m12s"
// Pure functions; the output is for people, not for parsing (use JSON output for that).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace reco {

/// Decimal SI-style count: below 1000 exact ("999"), then one decimal and k/M/G/T ("12.3 k").
std::string format_count(double n);

/// A rate per second: format_count(per_second) + " " + unit + "/s"; unit may be empty ("4.5 k/s").
std::string format_rate(double per_second, std::string_view unit = {});

/// Binary units: "512 B", "1.5 KiB", "3.4 GiB" (1 KiB = 1024 B).
std::string format_bytes(uint64_t bytes);

/// Compact duration: "350ms", "4.2s", "42s", "1m12s", "2h05m", "3d04h". Negative -> "0ms".
std::string format_duration(double seconds);

}  // namespace reco
