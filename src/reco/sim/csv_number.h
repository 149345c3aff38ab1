// csv_number — the simulator's number formatting for CSV text: `sig` significant digits
// (std::to_chars general format, no allocation), so truth files stay short and byte-stable.
#pragma once

#include <charconv>

#include "reco/core/text_writer.h"

namespace reco::sim {

inline void write_number(TextWriter& out, double v, int sig) {
  char buf[32];
  const auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, sig);
  out.write(std::string_view(buf, static_cast<size_t>(res.ptr - buf)));
}

}  // namespace reco::sim
