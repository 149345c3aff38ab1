// Shared by event_sink_test.cc and event_sink_writer_main.cc: the same deterministic position
// priors in both processes (same fingerprint, so the child's state opens in the test) and a
// deterministic event generator.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "reco/data/event_log.h"
#include "reco/memboost/position_priors.h"
#include "reco/serve/service.h"

namespace reco::serve::testlib {

inline const std::vector<std::string> kTypes = {"click", "save"};

/// Priors estimated from a fixed synthetic table: click rate falls with position, ios lower.
inline std::shared_ptr<const memboost::PositionPriors> make_priors() {
  memboost::PriorOptions opt;
  opt.min_impressions = 10;
  opt.smoothing = 5;
  auto p = std::make_shared<memboost::PositionPriors>(kTypes, opt);
  Event e;
  for (int platform = 0; platform < 2; ++platform) {
    for (uint32_t pos = 1; pos <= 8; ++pos) {
      for (int k = 0; k < 40; ++k) {
        e.platform = platform == 0 ? "web" : "ios";
        e.position = pos;
        e.engaged = {static_cast<uint8_t>(k * (pos + platform) < 60 ? 1 : 0), static_cast<uint8_t>(k % 11 == 0)};
        p->add(e);
      }
    }
  }
  p->finish();
  return p;
}

/// `n` events of request `request_id` at positions 1..n; items and queries from small ranges so
/// pairs repeat across calls. timestamp 0 (server clock) on every third request.
inline std::vector<EventIn> make_call(uint64_t request_id, size_t n) {
  std::vector<EventIn> out(n);
  for (size_t i = 0; i < n; ++i) {
    EventIn& a = out[i];
    a.request_id = request_id;
    a.timestamp = request_id % 3 == 0 ? 0 : static_cast<int64_t>(1700000000 + request_id);
    a.user = request_id % 97;
    if (request_id % 4 != 0) a.query_item = request_id % 7;
    a.item = 100 + (request_id * 31 + i * 17) % 50;
    a.position = static_cast<uint32_t>(i + 1);
    a.platform = request_id % 2 ? "web" : "ios";
    a.locale = "en";
    a.policy = "model";
    a.engaged["click"] = (request_id + i) % 5 == 0 ? 1 : 0;
    if ((request_id + i) % 13 == 0) a.engaged["save"] = 1;
    a.dwell = static_cast<double>((request_id + i) % 4) * 1.5;
  }
  return out;
}

}  // namespace reco::serve::testlib
