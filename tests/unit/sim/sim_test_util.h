// Helpers for the simulator tests: a small config and plain CSV reading.
#pragma once

#include <string>
#include <vector>

#include "reco/sim/sim_config.h"
#include "testing/testing.h"

namespace reco::sim::test {

/// A small world that simulates in well under a second.
inline SimConfig small_config(int64_t impressions) {
  SimConfig c;
  c.impressions = impressions;
  c.items = 3000;
  c.categories = 40;
  c.users = 800;
  return c;
}

/// Rows of a CSV file (header included), split on commas.
using reco::testing::read_csv;

}  // namespace reco::sim::test
