// SimConfig — every knob of the engagement simulator (docs/simulator.md states the formulas each
// knob enters). One aggregate with in-class defaults, backed by one field table (sim_config.cc)
// that drives TOML parsing, validation and the JSON echo in sim.json, so a key cannot be parsed
// without also being validated and recorded.
//
// TOML layout: top-level keys (impressions, days, ...) and one table per section ([items],
// [users], [requests], [policy], [relevance], [examination], [engagement]); the key of a field is
// "<section>.<name>". An unknown key, a wrong type or a value outside its range is a
// kInvalidArgument error that names the file and the key.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace reco::sim {

inline constexpr int kPlatforms = 3;  ///< web, ios, android (indices into the platform arrays)
inline constexpr int kLocales = 4;    ///< en, de, fr, ja
inline constexpr int kEngagementTypes = 4;
inline constexpr std::array<const char*, kPlatforms> kPlatformNames = {"web", "ios", "android"};
inline constexpr std::array<const char*, kLocales> kLocaleNames = {"en", "de", "fr", "ja"};
/// Pinterest's four engagement types, in the column order of events.csv.
inline constexpr std::array<const char*, kEngagementTypes> kEngagementNames = {"closeup", "click", "long_click",
                                                                               "save"};

/// One cascade stage: P(stage | previous stage, r) = lo + (hi - lo) * r^gamma, r in [0,1].
struct StageParams {
  double lo = 0.0;
  double hi = 1.0;
  double gamma = 1.0;
};

struct SimConfig {
  // Log size and time.
  int64_t impressions = 1'000'000;    ///< impressions before downsampling (rounded up to whole lists)
  int64_t days = 14;
  int64_t holdout_days = 2;           ///< last days logged in full (alpha = 1)
  double downsample = 1.0;            ///< alpha: keep rate of impressions without engagement
  int64_t start_time = 1'700'006'400; ///< unix seconds of the first day (a midnight UTC)

  // Items.
  int64_t items = 50'000;
  int64_t categories = 200;
  double category_zipf = 0.9;         ///< category size share ∝ 1/(rank+1)^category_zipf
  int64_t latent_dim = 16;
  double item_latent_noise = 0.6;     ///< item latent = category centroid + noise
  double quality_a = 2.0;             ///< true quality ~ Beta(a, b)
  double quality_b = 3.0;
  double quality_noise = 0.1;         ///< observed quality = clamp(q + N(0, noise^2), 0, 1)
  double popularity_sigma = 1.5;      ///< log popularity = popularity_quality * (q - mean) + sigma * N(0,1)
  double popularity_quality = 2.0;
  std::array<double, kLocales> locale_weights = {0.55, 0.2, 0.15, 0.1};

  // Users.
  int64_t users = 20'000;
  int64_t max_interests = 3;          ///< interest categories per user: 1..max_interests
  double interest_concentration = 0.5;///< Dirichlet concentration of the interest weights
  double user_latent_noise = 0.5;
  double activity_sigma = 1.0;        ///< activity weight = exp(sigma * N(0,1))
  std::array<double, kPlatforms> platform_weights = {0.3, 0.4, 0.3};
  double platform_stickiness = 0.8;   ///< P(request on the user's preferred platform)

  // Requests and candidate pools.
  double related_fraction = 0.6;      ///< share of requests with a query item
  double query_zipf = 1.0;            ///< query share ∝ 1/(popularity rank+1)^query_zipf
  int64_t list_size = 20;             ///< K: items shown per request at positions 1..K
  int64_t pool_size = 100;            ///< candidates drawn per request (before dedup)
  double pool_popular = 0.2;          ///< share of the pool drawn by global popularity
  double pool_query_category = 0.6;   ///< share of the rest from the query's category (related requests)

  // Policies.
  double random_fraction = 0.05;      ///< uniformly random lists: the unbiased slice
  double popularity_fraction = 0.15;  ///< lists ordered by observed popularity (+ noise)
  double popularity_noise = 0.3;
  double model_noise = 0.7;           ///< persistent per-(context, item) error of the previous model
  double model_request_noise = 0.3;   ///< fresh per-impression error of the previous model
  double model_popularity_bias = 0.3; ///< previous model's extra weight on standardized log popularity

  // True relevance r = sigmoid(z),
  // z = bias + w_user u·v + w_query q·v + w_quality (2q-1) + w_locale [locale match] + w_pair e(context, item).
  double relevance_bias = -2.0;
  double relevance_user = 1.5;
  double relevance_query = 2.0;
  double relevance_quality = 1.5;
  double relevance_locale = 0.5;
  double relevance_pair = 1.0;

  // Examination p(pos, platform) = top[p] / pos^eta[p].
  std::array<double, kPlatforms> exam_eta = {0.6, 1.0, 0.8};
  std::array<double, kPlatforms> exam_top = {0.95, 1.0, 0.9};

  // Engagement cascade given examination.
  StageParams closeup{0.01, 0.5, 1.5};     ///< P(closeup | examined, r)
  StageParams click{0.05, 0.5, 1.0};       ///< P(click | closeup, r)
  StageParams long_click{0.1, 0.7, 1.0};   ///< P(long_click | click, r)
  StageParams save{0.01, 0.3, 2.0};        ///< P(save | closeup, r)
  double long_click_seconds = 30.0;        ///< dwell threshold: short clicks below, long clicks above
  double long_dwell_mean = 60.0;           ///< long-click dwell = threshold + Exp(mean * (0.5 + r))

  /// Reads a TOML file over the defaults; `path` names errors.
  static SimConfig from_toml_file(const std::string& path);
  /// Applies TOML text over this config; errors name `source` and the key.
  void apply_toml(const std::string& text, const std::string& source);
  /// Throws kInvalidArgument naming the first field out of range (and cross-field constraints).
  void validate() const;
  /// Every field, keyed as in TOML ("items.count", ...).
  nlohmann::json to_json() const;

  int64_t requests() const { return (impressions + list_size - 1) / list_size; }
  int64_t holdout_start() const { return start_time + (days - holdout_days) * 86'400; }
  int64_t end_time() const { return start_time + days * 86'400; }
};

}  // namespace reco::sim
