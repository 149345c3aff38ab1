#include "reco/sim/sim_config.h"

#include <toml++/toml.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <vector>

#include "reco/core/error.h"

namespace reco::sim {

namespace {

// One row of the field table: the TOML key, where the value lives, and its allowed range.
struct Field {
  enum class Kind { kInt, kDouble, kArray };
  const char* key;
  Kind kind;
  void* ptr;
  size_t len;       // kArray: number of doubles
  double min;
  double max;
  bool min_open;    // min itself is not allowed
};

Field int_field(const char* key, int64_t& v, double lo, double hi) {
  return {key, Field::Kind::kInt, &v, 1, lo, hi, false};
}
Field dbl_field(const char* key, double& v, double lo, double hi, bool open = false) {
  return {key, Field::Kind::kDouble, &v, 1, lo, hi, open};
}
template <size_t N>
Field arr_field(const char* key, std::array<double, N>& v, double lo, double hi, bool open = false) {
  return {key, Field::Kind::kArray, v.data(), N, lo, hi, open};
}

// The single field table: parsing, validation and the JSON echo all walk it.
std::vector<Field> field_table(SimConfig& c) {
  return {
      int_field("impressions", c.impressions, 1, 1e11),
      int_field("days", c.days, 1, 3650),
      int_field("holdout_days", c.holdout_days, 0, 3650),
      dbl_field("downsample", c.downsample, 0, 1, true),
      int_field("start_time", c.start_time, 0, 4e9),
      int_field("items.count", c.items, 2, 1e8),
      int_field("items.categories", c.categories, 1, 1e6),
      dbl_field("items.category_zipf", c.category_zipf, 0, 5),
      int_field("items.latent_dim", c.latent_dim, 1, 256),
      dbl_field("items.latent_noise", c.item_latent_noise, 0, 10),
      dbl_field("items.quality_a", c.quality_a, 0, 100, true),
      dbl_field("items.quality_b", c.quality_b, 0, 100, true),
      dbl_field("items.quality_noise", c.quality_noise, 0, 1),
      dbl_field("items.popularity_sigma", c.popularity_sigma, 0, 5),
      dbl_field("items.popularity_quality", c.popularity_quality, -10, 10),
      arr_field("items.locale_weights", c.locale_weights, 0, 1e6),
      int_field("users.count", c.users, 1, 1e8),
      int_field("users.max_interests", c.max_interests, 1, 16),
      dbl_field("users.interest_concentration", c.interest_concentration, 0, 100, true),
      dbl_field("users.latent_noise", c.user_latent_noise, 0, 10),
      dbl_field("users.activity_sigma", c.activity_sigma, 0, 5),
      arr_field("users.platform_weights", c.platform_weights, 0, 1e6),
      dbl_field("users.platform_stickiness", c.platform_stickiness, 0, 1),
      dbl_field("requests.related_fraction", c.related_fraction, 0, 1),
      dbl_field("requests.query_zipf", c.query_zipf, 0, 5),
      int_field("requests.list_size", c.list_size, 1, 1000),
      int_field("requests.pool_size", c.pool_size, 1, 100'000),
      dbl_field("requests.pool_popular", c.pool_popular, 0, 1),
      dbl_field("requests.pool_query_category", c.pool_query_category, 0, 1),
      dbl_field("policy.random_fraction", c.random_fraction, 0, 1),
      dbl_field("policy.popularity_fraction", c.popularity_fraction, 0, 1),
      dbl_field("policy.popularity_noise", c.popularity_noise, 0, 10),
      dbl_field("policy.model_noise", c.model_noise, 0, 10),
      dbl_field("policy.model_request_noise", c.model_request_noise, 0, 10),
      dbl_field("policy.model_popularity_bias", c.model_popularity_bias, -10, 10),
      dbl_field("relevance.bias", c.relevance_bias, -20, 20),
      dbl_field("relevance.user", c.relevance_user, -20, 20),
      dbl_field("relevance.query", c.relevance_query, -20, 20),
      dbl_field("relevance.quality", c.relevance_quality, -20, 20),
      dbl_field("relevance.locale", c.relevance_locale, -20, 20),
      dbl_field("relevance.pair", c.relevance_pair, 0, 20),
      arr_field("examination.eta", c.exam_eta, 0, 5),
      arr_field("examination.top", c.exam_top, 0, 1, true),
      dbl_field("engagement.closeup_lo", c.closeup.lo, 0, 1),
      dbl_field("engagement.closeup_hi", c.closeup.hi, 0, 1),
      dbl_field("engagement.closeup_gamma", c.closeup.gamma, 0, 10, true),
      dbl_field("engagement.click_lo", c.click.lo, 0, 1),
      dbl_field("engagement.click_hi", c.click.hi, 0, 1),
      dbl_field("engagement.click_gamma", c.click.gamma, 0, 10, true),
      dbl_field("engagement.long_click_lo", c.long_click.lo, 0, 1),
      dbl_field("engagement.long_click_hi", c.long_click.hi, 0, 1),
      dbl_field("engagement.long_click_gamma", c.long_click.gamma, 0, 10, true),
      dbl_field("engagement.save_lo", c.save.lo, 0, 1),
      dbl_field("engagement.save_hi", c.save.hi, 0, 1),
      dbl_field("engagement.save_gamma", c.save.gamma, 0, 10, true),
      dbl_field("engagement.long_click_seconds", c.long_click_seconds, 0, 1e6, true),
      dbl_field("engagement.long_dwell_mean", c.long_dwell_mean, 0, 1e6, true),
  };
}

const char* kSections[] = {"items", "users", "requests", "policy", "relevance", "examination", "engagement"};

std::string valid_keys(std::vector<Field>& fields) {
  std::string s;
  for (const auto& f : fields) {
    if (!s.empty()) s += ", ";
    s += f.key;
  }
  return s;
}

double toml_number(const toml::node& n, const std::string& where, bool integer) {
  if (auto v = n.value_exact<int64_t>()) return static_cast<double>(*v);
  if (!integer) {
    if (auto v = n.value_exact<double>()) return *v;
  }
  RECO_THROW(ErrorCode::kInvalidArgument) << where << ": expected " << (integer ? "an integer" : "a number");
}

void set_field(const Field& f, const toml::node& n, const std::string& where) {
  switch (f.kind) {
    case Field::Kind::kInt:
      *static_cast<int64_t*>(f.ptr) = static_cast<int64_t>(toml_number(n, where, true));
      break;
    case Field::Kind::kDouble: *static_cast<double*>(f.ptr) = toml_number(n, where, false); break;
    case Field::Kind::kArray: {
      const toml::array* a = n.as_array();
      if (a == nullptr || a->size() != f.len) {
        RECO_THROW(ErrorCode::kInvalidArgument) << where << ": expected an array of " << f.len << " numbers";
      }
      for (size_t i = 0; i < f.len; ++i) {
        static_cast<double*>(f.ptr)[i] = toml_number((*a)[i], where + "[" + std::to_string(i) + "]", false);
      }
      break;
    }
  }
}

void check_range(const Field& f, double v, const std::string& name) {
  const bool low = f.min_open ? !(v > f.min) : !(v >= f.min);
  if (low || !(v <= f.max) || !std::isfinite(v)) {
    RECO_THROW(ErrorCode::kInvalidArgument) << "simulator config key '" << name << "' = " << v << " is outside "
                                            << (f.min_open ? "(" : "[") << f.min << ", " << f.max << "]";
  }
}

}  // namespace

SimConfig SimConfig::from_toml_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) RECO_THROW(ErrorCode::kNotFound) << "simulator config '" << path << "' cannot be opened";
  std::ostringstream text;
  text << in.rdbuf();
  SimConfig c;
  c.apply_toml(text.str(), path);
  return c;
}

void SimConfig::apply_toml(const std::string& text, const std::string& source) {
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    RECO_THROW(ErrorCode::kParse) << source << ":" << e.source().begin.line << ": " << e.description();
  }
  std::vector<Field> fields = field_table(*this);
  auto apply = [&](const std::string& key, const toml::node& n) {
    for (const auto& f : fields) {
      if (key == f.key) {
        set_field(f, n, source + ": key '" + key + "'");
        return;
      }
    }
    RECO_THROW(ErrorCode::kInvalidArgument) << source << ": unknown simulator config key '" << key
                                            << "'; valid keys: " << valid_keys(fields);
  };
  for (const auto& [k, node] : root) {
    const std::string key(k.str());
    bool section = false;
    for (const char* s : kSections) section = section || key == s;
    if (section && node.is_table()) {
      for (const auto& [k2, node2] : *node.as_table()) apply(key + "." + std::string(k2.str()), node2);
    } else {
      apply(key, node);
    }
  }
}

void SimConfig::validate() const {
  SimConfig copy = *this;
  for (const auto& f : field_table(copy)) {
    if (f.kind == Field::Kind::kInt) {
      check_range(f, static_cast<double>(*static_cast<int64_t*>(f.ptr)), f.key);
    } else {
      for (size_t i = 0; i < f.len; ++i) {
        std::string name(f.key);
        if (f.len > 1) name.append("[").append(std::to_string(i)).append("]");
        check_range(f, static_cast<double*>(f.ptr)[i], name);
      }
    }
  }
  auto fail = [](const char* key, const std::string& why) {
    RECO_THROW(ErrorCode::kInvalidArgument) << "simulator config key '" << key << "': " << why;
  };
  if (holdout_days > days) fail("holdout_days", "must be <= days (" + std::to_string(days) + ")");
  if (categories > items) fail("items.categories", "must be <= items.count");
  if (max_interests > categories) fail("users.max_interests", "must be <= items.categories");
  if (pool_size < list_size) fail("requests.pool_size", "must be >= requests.list_size");
  if (list_size >= items) fail("requests.list_size", "must be < items.count");
  if (random_fraction + popularity_fraction > 1.0) {
    fail("policy.popularity_fraction", "policy.random_fraction + policy.popularity_fraction must be <= 1");
  }
  double lw = 0, pw = 0;
  for (double w : locale_weights) lw += w;
  for (double w : platform_weights) pw += w;
  if (!(lw > 0)) fail("items.locale_weights", "needs a positive weight");
  if (!(pw > 0)) fail("users.platform_weights", "needs a positive weight");
  const std::pair<const char*, const StageParams*> stages[] = {{"engagement.closeup_hi", &closeup},
                                                                {"engagement.click_hi", &click},
                                                                {"engagement.long_click_hi", &long_click},
                                                                {"engagement.save_hi", &save}};
  for (const auto& [key, s] : stages) {
    if (s->hi < s->lo) fail(key, "must be >= the stage's _lo");
  }
}

nlohmann::json SimConfig::to_json() const {
  SimConfig copy = *this;
  nlohmann::json j = nlohmann::json::object();
  for (const auto& f : field_table(copy)) {
    if (f.kind == Field::Kind::kInt) {
      j[f.key] = *static_cast<int64_t*>(f.ptr);
    } else if (f.kind == Field::Kind::kDouble) {
      j[f.key] = *static_cast<double*>(f.ptr);
    } else {
      auto a = nlohmann::json::array();
      for (size_t i = 0; i < f.len; ++i) a.push_back(static_cast<double*>(f.ptr)[i]);
      j[f.key] = a;
    }
  }
  return j;
}

}  // namespace reco::sim
