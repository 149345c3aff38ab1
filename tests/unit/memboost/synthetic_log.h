// A small known-truth event generator for the memboost tests: items are placed at uniformly random
// positions (no model effect), examination by position follows a known curve per platform, and
// engagement of type t is Bernoulli(exam(platform, position) · rel(item) · type_scale[t]).
// Optional negative downsampling keeps a row without engagement with probability alpha and gives it
// sample_weight 1/alpha, as a logged production stream would.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "reco/core/rng.h"
#include "reco/data/event_log.h"
#include "reco/memboost/position_priors.h"

namespace reco::memboost::testlog {

inline const std::vector<std::string> kTypes = {"click", "save"};
inline const double kTypeScale[] = {1.0, 0.3};
inline const std::vector<std::string> kPlatforms = {"web", "ios"};

/// True examination probability at a 1-based position; ios decays faster than web.
inline double exam(size_t platform, uint32_t position) {
  const double base = 1.0 / (1.0 + 0.3 * (position - 1));
  return platform == 0 ? base : std::pow(base, 1.4);
}

/// True relevance of an item in [0.3, 0.9], a fixed function of its id.
inline double rel(uint64_t item) {
  Rng r(item * 7919 + 13);
  return 0.3 + 0.6 * r.uniform();
}

struct Config {
  uint64_t requests = 1000;
  uint32_t positions = 10;
  uint64_t items = 400;
  uint64_t queries = 20;       ///< 0: requests have no query item
  double alpha = 1.0;          ///< keep-rate of rows without engagement
  uint64_t seed = 1;
  std::vector<std::string> policies = {"random"};  ///< request i uses policies[i % size]
};

/// Every shown impression (before downsampling), request by request, timestamps increasing.
inline std::vector<Event> generate(const Config& c) {
  Rng rng(c.seed);
  std::vector<Event> out;
  out.reserve(c.requests * c.positions);
  for (uint64_t r = 0; r < c.requests; ++r) {
    const size_t platform = rng.below(kPlatforms.size());
    const uint64_t query = c.queries ? rng.below(c.queries) : Event::kNoQuery;
    for (uint32_t p = 1; p <= c.positions; ++p) {
      Event e;
      e.request_id = r + 1;
      e.timestamp = static_cast<int64_t>(1000 + r);
      e.user_id = rng.below(1000);
      e.query_item_id = query;
      e.item_id = c.queries ? 10000 + rng.below(c.items) : rng.below(c.items);
      e.position = p;
      e.platform = kPlatforms[platform];
      e.locale = "en";
      e.policy = c.policies[r % c.policies.size()];
      e.engaged.resize(kTypes.size());
      const double q = exam(platform, p) * rel(e.item_id);
      for (size_t t = 0; t < kTypes.size(); ++t) e.engaged[t] = rng.uniform() < q * kTypeScale[t] ? 1 : 0;
      out.push_back(std::move(e));
    }
  }
  return out;
}

/// Negative downsampling: rows without engagement kept with probability alpha, weight 1/alpha.
inline std::vector<Event> downsample(const std::vector<Event>& full, double alpha, uint64_t seed) {
  Rng rng(seed);
  std::vector<Event> out;
  for (const Event& e : full) {
    bool any = false;
    for (uint8_t v : e.engaged) any = any || v;
    if (any) {
      out.push_back(e);
      out.back().alpha = alpha;
    } else if (rng.uniform() < alpha) {
      out.push_back(e);
      out.back().alpha = alpha;
      out.back().sample_weight = 1.0 / alpha;
    }
  }
  return out;
}

inline void write(const std::string& path, const std::vector<Event>& events) {
  EventWriter w(path, kTypes);
  for (const Event& e : events) w.write(e);
  w.commit();
}

/// Priors estimated from in-memory events (as PositionPriors::estimate does from a file).
inline PositionPriors estimate_priors(const std::vector<Event>& events, PriorOptions opt = {}) {
  PositionPriors p(kTypes, opt);
  for (const auto& e : events) p.add(e);
  p.finish();
  return p;
}

}  // namespace reco::memboost::testlog
