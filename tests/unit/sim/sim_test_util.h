// Helpers for the simulator tests: a small config and plain CSV reading.
#pragma once

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "reco/sim/sim_config.h"

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
inline std::vector<std::vector<std::string>> read_csv(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::vector<std::string>> rows;
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) f.push_back(cell);
    if (!line.empty() && line.back() == ',') f.emplace_back();
    rows.push_back(std::move(f));
  }
  return rows;
}

}  // namespace reco::sim::test
