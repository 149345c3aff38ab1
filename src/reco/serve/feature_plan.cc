#include "reco/serve/feature_plan.h"

#include <algorithm>
#include <unordered_map>

#include "reco/core/error.h"
#include "reco/data/dataset.h"
#include "reco/models/feature_map.h"
#include "reco/serve/entity_table.h"

namespace reco::serve {

namespace {
constexpr std::pair<InputSource, std::string_view> kNames[] = {
    {InputSource::kItem, "item"},           {InputSource::kUser, "user"},
    {InputSource::kContext, "context"},     {InputSource::kQueryItemId, "query_item_id"},
    {InputSource::kQueryAttribute, "query_attr"}, {InputSource::kMatchQuery, "match_query"},
    {InputSource::kMatchUser, "match_user"}, {InputSource::kMemboost, "memboost"},
    {InputSource::kConstant, "constant"}};

bool starts_with(const std::string& s, std::string_view p) { return s.size() > p.size() && s.compare(0, p.size(), p) == 0; }

std::string key_column(const Dataset& ds, ColumnRole role, const char* name) {
  for (const auto& c : ds.columns())
    if (c.role == role && c.storage == ColumnStorage::kU32) return c.name;
  return ds.has(name) && ds.column(name).storage == ColumnStorage::kU32 ? name : "";
}

// True when every row of one key has the same value of `column` (NaN equals NaN).
bool constant_per_key(const Dataset& ds, const std::vector<uint64_t>& keys, const std::string& column) {
  const ColumnInfo& info = ds.column(column);
  std::unordered_map<uint64_t, uint64_t> first;
  first.reserve(keys.size() / 4 + 16);
  if (info.storage == ColumnStorage::kF32) {
    const auto v = ds.f32(column);
    for (uint64_t r = 0; r < v.size(); ++r) {
      const auto [it, fresh] = first.emplace(keys[r], r);
      const float a = v[r], b = v[it->second];
      if (!fresh && a != b && !(a != a && b != b)) return false;
    }
    return true;
  }
  if (info.storage == ColumnStorage::kU32) {
    const auto v = ds.u32(column);
    for (uint64_t r = 0; r < v.size(); ++r) {
      const auto [it, fresh] = first.emplace(keys[r], r);
      if (!fresh && v[r] != v[it->second]) return false;
    }
    return true;
  }
  return false;
}

void add_unique(std::vector<std::string>& v, const std::string& s) {
  if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
}

// mb_<...> -> quantity ("impressions", "score", "coec:<t>", "expected:<t>", "engaged:<t>").
std::string memboost_quantity(const std::string& column, const std::vector<std::string>& types) {
  const std::string rest = column.substr(3);
  if (rest == "impressions" || rest == "score") return rest;
  auto is_type = [&](const std::string& t) { return std::find(types.begin(), types.end(), t) != types.end(); };
  for (const char* prefix : {"coec_", "expected_"}) {
    const std::string p = prefix;
    if (starts_with(rest, p) && is_type(rest.substr(p.size())))
      return p.substr(0, p.size() - 1) + ":" + rest.substr(p.size());
  }
  if (is_type(rest)) return "engaged:" + rest;
  return "";
}
}  // namespace

std::string_view input_source_name(InputSource s) {
  for (const auto& [k, n] : kNames)
    if (k == s) return n;
  return "?";
}

InputSource parse_input_source(std::string_view name) {
  for (const auto& [k, n] : kNames)
    if (n == name) return k;
  RECO_THROW(ErrorCode::kCorrupt) << "unknown feature source '" << name << "'";
}

nlohmann::json InputRule::to_json() const {
  nlohmann::json j = {{"column", column}, {"sparse", sparse}, {"source", input_source_name(source)}};
  if (sparse) j["cardinality"] = cardinality;
  if (!ref.empty()) j["ref"] = ref;
  if (!ref2.empty()) j["ref2"] = ref2;
  if (source == InputSource::kContext && sparse) j["vocabulary"] = vocabulary;
  if (source == InputSource::kMemboost || (source == InputSource::kContext && !sparse)) j["normalizer"] = normalizer.to_json();
  if (source == InputSource::kConstant) j["constant"] = constant;
  return j;
}

InputRule InputRule::from_json(const nlohmann::json& j) {
  InputRule r;
  r.column = j.at("column").get<std::string>();
  r.sparse = j.at("sparse").get<bool>();
  r.source = parse_input_source(j.at("source").get<std::string>());
  r.cardinality = j.value("cardinality", 0u);
  r.ref = j.value("ref", std::string());
  r.ref2 = j.value("ref2", std::string());
  if (j.contains("vocabulary")) r.vocabulary = j["vocabulary"].get<std::vector<std::string>>();
  if (j.contains("normalizer")) r.normalizer = Normalizer::from_json(j["normalizer"]);
  r.constant = j.value("constant", 0.0f);
  return r;
}

bool FeaturePlan::uses_memboost() const {
  for (const auto* rules : {&dense, &sparse})
    for (const auto& r : *rules)
      if (r.source == InputSource::kMemboost) return true;
  return false;
}

nlohmann::json FeaturePlan::to_json() const {
  nlohmann::json d = nlohmann::json::array(), s = nlohmann::json::array();
  for (const auto& r : dense) d.push_back(r.to_json());
  for (const auto& r : sparse) s.push_back(r.to_json());
  return {{"dense", d},
          {"sparse", s},
          {"position_table", position_table},
          {"item_key", item_key},
          {"user_key", user_key},
          {"item_columns", item_columns},
          {"user_columns", user_columns},
          {"context_keys", context_keys},
          {"memboost", {{"types", memboost_types}, {"weights", memboost_weights}, {"smoothing", memboost_smoothing}}}};
}

FeaturePlan FeaturePlan::from_json(const nlohmann::json& j) {
  FeaturePlan p;
  try {
    for (const auto& r : j.at("dense")) p.dense.push_back(InputRule::from_json(r));
    for (const auto& r : j.at("sparse")) p.sparse.push_back(InputRule::from_json(r));
    p.position_table = j.at("position_table").get<bool>();
    p.item_key = j.at("item_key").get<std::string>();
    p.user_key = j.at("user_key").get<std::string>();
    p.item_columns = j.at("item_columns").get<std::vector<std::string>>();
    p.user_columns = j.at("user_columns").get<std::vector<std::string>>();
    p.context_keys = j.at("context_keys").get<std::vector<std::string>>();
    const auto& m = j.at("memboost");
    p.memboost_types = m.at("types").get<std::vector<std::string>>();
    p.memboost_weights = m.at("weights").get<std::vector<double>>();
    p.memboost_smoothing = m.at("smoothing").get<double>();
  } catch (const nlohmann::json::exception& e) {
    RECO_THROW(ErrorCode::kCorrupt) << "feature plan: " << e.what();
  }
  return p;
}

FeaturePlan FeaturePlan::derive(const models::FeatureMap& features, bool position_table, const Dataset& ds,
                                const std::vector<std::string>& memboost_types,
                                std::vector<double> memboost_weights, double memboost_smoothing) {
  FeaturePlan plan;
  plan.position_table = position_table;
  plan.item_key = key_column(ds, ColumnRole::kItemId, "item_id");
  plan.user_key = key_column(ds, ColumnRole::kUserId, "user_id");
  RECO_CHECK_CODE(!plan.item_key.empty(), ErrorCode::kUnsupported)
      << ds.path() << ": no item id column (role item_id or a u32 column named item_id); cannot serve per item";
  plan.memboost_types = memboost_types;
  if (memboost_weights.empty()) memboost_weights.assign(memboost_types.size(), 1.0);
  RECO_CHECK(memboost_weights.size() == memboost_types.size())
      << "Memboost weights: " << memboost_weights.size() << " for " << memboost_types.size() << " engagement types";
  plan.memboost_weights = std::move(memboost_weights);
  plan.memboost_smoothing = memboost_smoothing;
  RECO_CHECK(memboost_smoothing > 0) << "Memboost smoothing must be > 0";

  // Every item_* / user_* column goes into the tables (attributes for display and filters).
  add_unique(plan.item_columns, plan.item_key);
  if (!plan.user_key.empty()) add_unique(plan.user_columns, plan.user_key);
  for (const auto& c : ds.columns()) {
    if (c.role == ColumnRole::kLabel || c.role == ColumnRole::kWeight) continue;
    if (c.storage != ColumnStorage::kF32 && c.storage != ColumnStorage::kU32) continue;
    if (starts_with(c.name, "item_") && c.name != plan.item_key) add_unique(plan.item_columns, c.name);
    if (starts_with(c.name, "user_") && c.name != plan.user_key) add_unique(plan.user_columns, c.name);
  }
  std::vector<uint64_t> item_keys, user_keys;  // computed on demand
  auto has_item_column = [&](const std::string& name) { return ds.has(name); };

  auto rule_for = [&](const std::string& column, bool sparse) {
    const ColumnInfo& info = ds.column(column);
    InputRule r;
    r.column = column;
    r.sparse = sparse;
    r.cardinality = sparse ? info.cardinality : 0;
    RECO_CHECK_CODE(info.role != ColumnRole::kMultiHot && info.storage != ColumnStorage::kMultiHotU32,
                    ErrorCode::kUnsupported)
        << "model input '" << column << "': multi-hot inputs cannot be served yet";
    if (column == plan.item_key || starts_with(column, "item_")) {
      r.source = InputSource::kItem;
      r.ref = column;
      add_unique(plan.item_columns, column);
      return r;
    }
    if ((!plan.user_key.empty() && column == plan.user_key) || starts_with(column, "user_")) {
      r.source = InputSource::kUser;
      r.ref = column;
      add_unique(plan.user_columns, column);
      return r;
    }
    if (column == "query_item_id") {
      r.source = InputSource::kQueryItemId;
      return r;
    }
    if (starts_with(column, "match_query_") || starts_with(column, "match_user_")) {
      const bool user = starts_with(column, "match_user_");
      const std::string base = column.substr(user ? 11 : 12);
      r.source = user ? InputSource::kMatchUser : InputSource::kMatchQuery;
      r.ref = "item_" + base;
      RECO_CHECK_CODE(has_item_column(r.ref), ErrorCode::kUnsupported)
          << "model input '" << column << "': the dataset has no " << r.ref << " column to match on";
      add_unique(plan.item_columns, r.ref);
      if (user) {
        r.ref2 = ds.has("user_" + base) ? "user_" + base : "user_top_" + base;
        RECO_CHECK_CODE(ds.has(r.ref2), ErrorCode::kUnsupported)
            << "model input '" << column << "': the dataset has neither user_" << base << " nor user_top_" << base;
        add_unique(plan.user_columns, r.ref2);
      }
      return r;
    }
    if (starts_with(column, "query_")) {
      r.source = InputSource::kQueryAttribute;
      r.ref = "item_" + column.substr(6);
      RECO_CHECK_CODE(has_item_column(r.ref), ErrorCode::kUnsupported)
          << "model input '" << column << "': the dataset has no " << r.ref << " column for the query item";
      add_unique(plan.item_columns, r.ref);
      return r;
    }
    if (starts_with(column, "mb_")) {
      r.source = InputSource::kMemboost;
      r.ref = memboost_types.empty() ? "" : memboost_quantity(column, memboost_types);
      RECO_CHECK_CODE(!r.ref.empty(), ErrorCode::kUnsupported)
          << "model input '" << column << "' is a Memboost feature but "
          << (memboost_types.empty() ? std::string("the bundle has no Memboost priors (--priors)")
                                     : "it names no quantity of the priors' engagement types");
      RECO_CHECK_CODE(!sparse, ErrorCode::kUnsupported) << "model input '" << column << "': Memboost inputs are dense";
      if (info.details.contains("normalizer")) r.normalizer = Normalizer::from_json(info.details["normalizer"]);
      return r;
    }
    if (column == "random_slice") {
      r.source = InputSource::kConstant;
      r.constant = 0.0f;
      return r;
    }
    if (sparse && ds.has_vocabulary(column) &&
        (column == "platform" || column == "locale" || column == "policy" ||
         info.details.value("source", std::string()).rfind("event ", 0) == 0)) {
      r.source = InputSource::kContext;
      r.ref2 = column;
      const Vocabulary& v = ds.vocabulary(column);
      r.vocabulary.resize(v.size());
      for (uint32_t id = 1; id < v.size(); ++id) r.vocabulary[id] = std::string(v.token(id));
      add_unique(plan.context_keys, column);
      return r;
    }
    // Not named by a convention: an item or user attribute if the data says so.
    if (item_keys.empty()) item_keys = raw_ids(ds, plan.item_key);
    if (constant_per_key(ds, item_keys, column)) {
      r.source = InputSource::kItem;
      r.ref = column;
      add_unique(plan.item_columns, column);
      return r;
    }
    if (!plan.user_key.empty()) {
      if (user_keys.empty()) user_keys = raw_ids(ds, plan.user_key);
      if (constant_per_key(ds, user_keys, column)) {
        r.source = InputSource::kUser;
        r.ref = column;
        add_unique(plan.user_columns, column);
        return r;
      }
    }
    RECO_THROW(ErrorCode::kUnsupported)
        << "model input '" << column << "' cannot be computed at serving time: it is no item or user attribute "
        << "(not constant per " << plan.item_key << (plan.user_key.empty() ? "" : " or " + plan.user_key)
        << "), request context, query, match or Memboost column";
  };
  for (const auto& c : features.dense) plan.dense.push_back(rule_for(c, false));
  for (const auto& s : features.sparse) plan.sparse.push_back(rule_for(s.column, true));
  for (auto& r : plan.sparse) {
    // The model's table size, which may differ from the dataset's cardinality if it was retrained.
    for (const auto& s : features.sparse)
      if (s.column == r.column) r.cardinality = s.rows;
  }
  return plan;
}

}  // namespace reco::serve
