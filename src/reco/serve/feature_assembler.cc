#include "reco/serve/feature_assembler.h"

#include <algorithm>

#include "reco/core/error.h"
#include "reco/core/timer.h"
#include "reco/memboost/memboost_store.h"
#include "reco/models/feature_map.h"
#include "reco/serve/entity_table.h"
#include "reco/serve/feature_plan.h"

namespace reco::serve {

namespace {
enum class Quantity { kImpressions, kScore, kCoec, kEngaged, kExpected };
}

struct FeatureAssembler::Resolved {
  const InputRule* rule = nullptr;
  const EntityColumn* item_col = nullptr;  // item / query_attr / match_*: the item column
  const EntityColumn* user_col = nullptr;  // user / match_user
  std::unordered_map<std::string, uint32_t> vocab;  // context
  Quantity quantity = Quantity::kImpressions;
  size_t type = 0;
};

FeatureAssembler::FeatureAssembler(const FeaturePlan& plan, const models::FeatureMap& features,
                                   const EntityTable& items, const EntityTable* users)
    : plan_(plan), items_(items), users_(users) {
  RECO_CHECK_CODE(plan.dense.size() == features.dense.size() && plan.sparse.size() == features.sparse.size(),
                  ErrorCode::kCorrupt)
      << "feature plan does not match the ranker: " << plan.dense.size() << "/" << plan.sparse.size()
      << " dense/sparse rules for " << features.dense.size() << "/" << features.sparse.size() << " inputs";
  auto resolve = [&](const InputRule& r) {
    Resolved x;
    x.rule = &r;
    auto item_column = [&](const std::string& name) {
      const EntityColumn* c = items.column(name);
      RECO_CHECK_CODE(c, ErrorCode::kCorrupt) << "items table lacks column '" << name << "' (input " << r.column << ")";
      return c;
    };
    switch (r.source) {
      case InputSource::kItem:
      case InputSource::kQueryAttribute:
      case InputSource::kMatchQuery:
        x.item_col = item_column(r.ref);
        break;
      case InputSource::kMatchUser:
        x.item_col = item_column(r.ref);
        [[fallthrough]];
      case InputSource::kUser: {
        const std::string& name = r.source == InputSource::kUser ? r.ref : r.ref2;
        x.user_col = users ? users->column(name) : nullptr;
        RECO_CHECK_CODE(x.user_col, ErrorCode::kCorrupt) << "users table lacks column '" << name << "' (input "
                                                         << r.column << ")";
        break;
      }
      case InputSource::kContext:
        for (uint32_t id = 1; id < r.vocabulary.size(); ++id) x.vocab.emplace(r.vocabulary[id], id);
        break;
      case InputSource::kMemboost: {
        const std::string& q = r.ref;
        const size_t colon = q.find(':');
        const std::string head = q.substr(0, colon);
        if (colon != std::string::npos) {
          const std::string t = q.substr(colon + 1);
          const auto it = std::find(plan.memboost_types.begin(), plan.memboost_types.end(), t);
          RECO_CHECK_CODE(it != plan.memboost_types.end(), ErrorCode::kCorrupt) << "input " << r.column
                                                                                << ": unknown type " << t;
          x.type = it - plan.memboost_types.begin();
        }
        x.quantity = head == "impressions" ? Quantity::kImpressions
                     : head == "score"     ? Quantity::kScore
                     : head == "coec"      ? Quantity::kCoec
                     : head == "engaged"   ? Quantity::kEngaged
                                           : Quantity::kExpected;
        break;
      }
      default:
        break;
    }
    return x;
  };
  for (const auto& r : plan.dense) dense_.push_back(resolve(r)), dense_names_.push_back(r.column);
  for (const auto& r : plan.sparse) sparse_.push_back(resolve(r)), sparse_names_.push_back(r.column);
  if (plan.position_table)
    position_kind_ = features.position.method == models::PositionMethod::kFeature ? 1 : 2;
}

FeatureAssembler::~FeatureAssembler() = default;

double FeatureAssembler::assemble(const RequestKeys& keys, std::span<const uint64_t> candidates,
                                  const memboost::MemboostStore* store, AssemblyScratch& s,
                                  std::vector<double>& memboost_scores, nlohmann::json* explain) const {
  const size_t n = candidates.size();
  const uint32_t user_row = keys.user && users_ ? users_->row(*keys.user) : kMissingEntity;
  const uint32_t query_row = keys.query_item ? items_.row(*keys.query_item) : kMissingEntity;
  s.item_rows.resize(n);
  for (size_t i = 0; i < n; ++i) s.item_rows[i] = items_.row(candidates[i]);

  // Memboost counters of (query, item), item-level memory without a query item.
  Stopwatch mb;
  const size_t types = plan_.memboost_types.size();
  s.counters.assign(n, memboost::PairCounters(static_cast<uint32_t>(types)));
  memboost_scores.clear();
  if (store && types > 0) {
    const uint64_t query = keys.query_item ? *keys.query_item : memboost::kNoQuery;
    memboost_scores.resize(n);
    // Candidate order is arbitrary; MultiGet wants sorted keys, and (query, item) keys sort by item here.
    std::vector<size_t> order(n);
    for (size_t i = 0; i < n; ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return candidates[a] < candidates[b]; });
    std::vector<memboost::PairKey> pairs(n);
    for (size_t j = 0; j < n; ++j) pairs[j] = {query, candidates[order[j]]};
    const auto found = store->get_many(pairs);
    for (size_t j = 0; j < n; ++j)
      if (found[j] && found[j]->types == types) s.counters[order[j]] = *found[j];
    for (size_t i = 0; i < n; ++i)
      memboost_scores[i] = memboost::memboost_score(s.counters[i], plan_.memboost_weights, plan_.memboost_smoothing);
  }
  const double mb_ms = mb.elapsed_seconds() * 1e3;

  // Context ids, once per request.
  nlohmann::json unknown_context = nlohmann::json::object();
  auto context_id = [&](const Resolved& x) -> uint32_t {
    const std::string& key = x.rule->ref2;
    if (!keys.context) return 0;
    const auto it = keys.context->find(key);
    if (it == keys.context->end()) {
      unknown_context[key] = nullptr;
      return 0;
    }
    const auto v = x.vocab.find(it->second);
    if (v == x.vocab.end()) {
      unknown_context[key] = it->second;
      return 0;
    }
    return v->second;
  };

  auto match = [](const EntityColumn& a, uint32_t ra, const EntityColumn& b, uint32_t rb) -> float {
    if (ra == kMissingEntity || rb == kMissingEntity) return 0.0f;
    if (a.categorical && b.categorical) return a.token(a.ids[ra]) == b.token(b.ids[rb]) ? 1.0f : 0.0f;
    return 0.0f;
  };

  auto memboost_value = [&](const Resolved& x, size_t i) -> float {
    const memboost::PairCounters& c = s.counters[i];
    double v = 0;
    switch (x.quantity) {
      case Quantity::kImpressions: v = c.impressions; break;
      case Quantity::kScore: v = memboost::memboost_score(c, plan_.memboost_weights, plan_.memboost_smoothing); break;
      case Quantity::kCoec: v = memboost::smoothed_coec(c.engaged[x.type], c.expected[x.type], plan_.memboost_smoothing); break;
      case Quantity::kEngaged: v = c.engaged[x.type]; break;
      case Quantity::kExpected: v = c.expected[x.type]; break;
    }
    return x.rule->normalizer.apply(static_cast<float>(v));
  };

  // Dense inputs.
  const size_t D = dense_.size();
  s.batch.size = n;
  s.batch.dense.resize(n, D);
  for (size_t j = 0; j < D; ++j) {
    const Resolved& x = dense_[j];
    const InputRule& r = *x.rule;
    switch (r.source) {
      case InputSource::kItem:
        for (size_t i = 0; i < n; ++i)
          s.batch.dense.at(i, j) = s.item_rows[i] == kMissingEntity ? 0.0f : x.item_col->dense[s.item_rows[i]];
        break;
      case InputSource::kUser: {
        const float v = user_row == kMissingEntity ? 0.0f : x.user_col->dense[user_row];
        for (size_t i = 0; i < n; ++i) s.batch.dense.at(i, j) = v;
        break;
      }
      case InputSource::kMatchQuery:
        for (size_t i = 0; i < n; ++i)
          s.batch.dense.at(i, j) = match(*x.item_col, s.item_rows[i], *x.item_col, query_row);
        break;
      case InputSource::kMatchUser:
        for (size_t i = 0; i < n; ++i)
          s.batch.dense.at(i, j) = match(*x.item_col, s.item_rows[i], *x.user_col, user_row);
        break;
      case InputSource::kMemboost:
        for (size_t i = 0; i < n; ++i) s.batch.dense.at(i, j) = memboost_value(x, i);
        break;
      case InputSource::kConstant:
        for (size_t i = 0; i < n; ++i) s.batch.dense.at(i, j) = r.constant;
        break;
      default:
        RECO_THROW(ErrorCode::kCorrupt) << "dense input " << r.column << ": source "
                                        << input_source_name(r.source) << " is not a dense source";
    }
  }
  // Sparse inputs.
  s.batch.sparse.resize(sparse_.size() + (position_kind_ ? 1 : 0));
  for (size_t f = 0; f < sparse_.size(); ++f) {
    const Resolved& x = sparse_[f];
    const InputRule& r = *x.rule;
    models::SparseInput& in = s.batch.sparse[f];
    in.offsets.clear();
    in.weights.clear();
    in.ids.resize(n);
    auto clamp = [&](uint32_t id) { return id < r.cardinality ? id : 0u; };
    switch (r.source) {
      case InputSource::kItem:
        for (size_t i = 0; i < n; ++i)
          in.ids[i] = s.item_rows[i] == kMissingEntity ? 0u : clamp(x.item_col->ids[s.item_rows[i]]);
        break;
      case InputSource::kUser: {
        const uint32_t v = user_row == kMissingEntity ? 0u : clamp(x.user_col->ids[user_row]);
        std::fill(in.ids.begin(), in.ids.end(), v);
        break;
      }
      case InputSource::kContext:
        std::fill(in.ids.begin(), in.ids.end(), clamp(context_id(x)));
        break;
      case InputSource::kQueryItemId: {
        const uint64_t v = keys.query_item ? *keys.query_item + 1 : 0;
        std::fill(in.ids.begin(), in.ids.end(), v < r.cardinality ? static_cast<uint32_t>(v) : 0u);
        break;
      }
      case InputSource::kQueryAttribute: {
        const uint32_t v = query_row == kMissingEntity ? 0u : clamp(x.item_col->ids[query_row]);
        std::fill(in.ids.begin(), in.ids.end(), v);
        break;
      }
      default:
        RECO_THROW(ErrorCode::kCorrupt) << "sparse input " << r.column << ": source "
                                        << input_source_name(r.source) << " is not a sparse source";
    }
  }
  if (position_kind_) {
    models::SparseInput& in = s.batch.sparse.back();
    in.weights.clear();
    if (position_kind_ == 1) {
      in.offsets.clear();
      in.ids.assign(n, 0);
    } else {
      in.ids.clear();
      in.offsets.assign(n + 1, 0);
    }
  }
  if (explain) {
    nlohmann::json ignored = nlohmann::json::array();
    if (keys.context)
      for (const auto& [k, v] : *keys.context)
        if (std::find(plan_.context_keys.begin(), plan_.context_keys.end(), k) == plan_.context_keys.end())
          ignored.push_back(k);
    (*explain)["context"] = {{"used", plan_.context_keys}, {"ignored", ignored}, {"unknown", unknown_context}};
    (*explain)["user_known"] = user_row != kMissingEntity;
    if (keys.query_item) (*explain)["query_known"] = query_row != kMissingEntity;
  }
  return mb_ms;
}

nlohmann::json FeatureAssembler::row_json(const AssemblyScratch& s, size_t i) const {
  nlohmann::json j = nlohmann::json::object();
  for (size_t d = 0; d < dense_names_.size(); ++d) j[dense_names_[d]] = s.batch.dense.at(i, d);
  for (size_t f = 0; f < sparse_names_.size(); ++f) {
    const Resolved& x = sparse_[f];
    const uint32_t id = s.batch.sparse[f].ids[i];
    if (x.rule->source == InputSource::kContext && id < x.rule->vocabulary.size() && id > 0)
      j[sparse_names_[f]] = x.rule->vocabulary[id];
    else if (x.item_col && x.item_col->categorical && !x.item_col->tokens.empty())
      j[sparse_names_[f]] = x.item_col->token(id);
    else if (x.user_col && x.user_col->categorical && !x.user_col->tokens.empty())
      j[sparse_names_[f]] = x.user_col->token(id);
    else
      j[sparse_names_[f]] = id;
  }
  return j;
}

}  // namespace reco::serve
