// World — the simulator's hidden and observed population: items (category, locale, true and
// observed quality, latent vector, popularity) and users (interest mixture, latent vector,
// locale, activity, preferred platform), generated once from (config, seed).
//
// Layout: structure of arrays indexed by item id (0..items-1) and user id (0..users-1); latent
// vectors are row-major float matrices (id * dim). Items are also grouped by category (CSR:
// by_category[category_begin[c] .. category_begin[c+1])) and ranked by popularity
// (by_popularity[0] is the most popular). A World owns all of its arrays and is immutable after
// generate(); the simulator reads it from one thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "reco/sim/alias_table.h"
#include "reco/sim/sim_config.h"

namespace reco::sim {

struct Items {
  std::vector<uint32_t> category;
  std::vector<uint8_t> locale;
  std::vector<float> quality;           ///< true quality in [0,1] (hidden)
  std::vector<float> observed_quality;  ///< quality + noise, clamped (items.csv)
  std::vector<float> log_popularity;    ///< observed (items.csv)
  std::vector<float> popularity_z;      ///< log_popularity standardized to mean 0, sd 1
  std::vector<float> latent;            ///< items x dim (hidden)
  std::vector<uint32_t> category_begin; ///< categories + 1 offsets into by_category
  std::vector<uint32_t> by_category;
  std::vector<uint32_t> by_popularity;
  size_t size() const { return category.size(); }
};

struct Users {
  uint32_t interest_slots = 0;          ///< max_interests: row width of the interest arrays
  std::vector<uint32_t> interest_count;
  std::vector<uint32_t> interest_category;  ///< users x interest_slots
  std::vector<float> interest_weight;       ///< users x interest_slots, each row sums to 1
  std::vector<uint32_t> top_category;
  std::vector<float> latent;                ///< users x dim (hidden)
  std::vector<uint8_t> locale;
  std::vector<uint8_t> platform;            ///< preferred platform
  std::vector<double> activity;             ///< relative request rate (long-tailed)
  size_t size() const { return top_category.size(); }
};

class World {
 public:
  static World generate(const SimConfig& config, uint64_t seed);

  const SimConfig& config() const { return config_; }
  int dim() const { return dim_; }
  const Items& items() const { return items_; }
  const Users& users() const { return users_; }

  float user_item_affinity(uint32_t user, uint32_t item) const {
    return dot(&users_.latent[size_t(user) * dim_], &items_.latent[size_t(item) * dim_]);
  }
  float item_item_affinity(uint32_t a, uint32_t b) const {
    return dot(&items_.latent[size_t(a) * dim_], &items_.latent[size_t(b) * dim_]);
  }
  /// The home-feed segment of a user (top category x locale): the context of its pair term.
  uint64_t user_segment(uint32_t user) const {
    return uint64_t(users_.top_category[user]) * kLocales + users_.locale[user];
  }

  /// items.csv: item_id,category,locale,quality,log_popularity (observed features only).
  void write_items_csv(const std::string& path) const;
  /// users.csv: user_id,locale,activity,top_category,platform; activity in requests/day given
  /// `requests` over `days` days.
  void write_users_csv(const std::string& path, int64_t requests, int64_t days) const;

 private:
  float dot(const float* a, const float* b) const {
    float s = 0.f;
    for (int k = 0; k < dim_; ++k) s += a[k] * b[k];
    return s;
  }
  void generate_items(uint64_t seed);
  void generate_users(uint64_t seed);

  SimConfig config_;
  int dim_ = 0;
  std::vector<float> centroids_;  // categories x dim
  AliasTable category_sizes_;
  Items items_;
  Users users_;
};

}  // namespace reco::sim
