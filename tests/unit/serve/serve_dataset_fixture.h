// A tiny event-samples-like dataset for the serving tests: 6 rows, 3 items, 2 users.
//   item_id (identity, item role), user_id (identity, user role), platform (vocab, context),
//   item_category (vocab), user_top_category (vocab), query_category (vocab),
//   item_quality (dense, constant per item), item_log_events (dense, leave-one-out: differs per row),
//   score_hint (dense, constant per item, no prefix), noise (dense, varies within item and user),
//   mb_score (dense with a normalizer), click (label).
#pragma once

#include <string>

#include "reco/data/dataset.h"
#include "reco/features/normalizer.h"
#include "reco/features/vocabulary.h"

namespace reco::testing {

inline Vocabulary make_vocab(std::initializer_list<const char*> tokens) {
  VocabularyBuilder b;
  for (const char* t : tokens) b.add(t);
  return b.finalize().vocabulary;
}

inline void write_serve_dataset(const std::string& path) {
  DatasetWriter w(path);
  w.set_rows(6);
  auto ids = [&](const char* name, ColumnRole role, std::vector<uint32_t> v, uint32_t card, const Vocabulary* voc,
                 const char* source) {
    ColumnInfo c;
    c.name = name;
    c.role = role;
    c.cardinality = card;
    c.encoding = voc ? "vocab" : "identity";
    c.details["source"] = source;
    w.add_u32(c, v);
    if (voc) w.add_vocabulary(name, *voc);
  };
  auto dense = [&](const char* name, std::vector<float> v, nlohmann::json details = nlohmann::json::object()) {
    ColumnInfo c;
    c.name = name;
    c.role = ColumnRole::kDense;
    c.details = details;
    w.add_f32(c, v);
  };
  ids("item_id", ColumnRole::kItemId, {10, 11, 12, 10, 11, 12}, 13, nullptr, "event item_id");
  ids("user_id", ColumnRole::kUserId, {1, 1, 1, 2, 2, 2}, 3, nullptr, "event user_id");
  const Vocabulary platform = make_vocab({"ios", "android"});
  ids("platform", ColumnRole::kCategorical, {1, 1, 2, 2, 1, 1}, static_cast<uint32_t>(platform.size()), &platform,
      "event platform");
  const Vocabulary cats = make_vocab({"a", "b"});
  const uint32_t nc = static_cast<uint32_t>(cats.size());
  ids("item_category", ColumnRole::kCategorical, {1, 2, 1, 1, 2, 1}, nc, &cats, "items table category");
  ids("user_top_category", ColumnRole::kCategorical, {2, 2, 2, 1, 1, 1}, nc, &cats, "users table top_category");
  ids("query_category", ColumnRole::kCategorical, {0, 0, 0, 1, 1, 1}, nc, &cats, "items table category of the query");
  dense("item_quality", {0.5f, -1.0f, 2.0f, 0.5f, -1.0f, 2.0f});
  dense("item_log_events", {1.0f, 2.0f, 0.0f, 0.7f, 2.0f, 0.0f});
  dense("score_hint", {3.0f, 4.0f, 5.0f, 3.0f, 4.0f, 5.0f});
  dense("noise", {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f});
  Normalizer n;
  n.kind = NormalizerKind::kLog1p;
  dense("mb_score", {0, 0, 0, 0.1f, 0.2f, 0.3f}, {{"normalizer", n.to_json()}});
  dense("match_user_category", {0, 1, 0, 1, 0, 1});
  ColumnInfo label;
  label.name = "click";
  label.role = ColumnRole::kLabel;
  w.add_f32(label, std::vector<float>{0, 1, 0, 1, 0, 0});
  w.commit();
}

}  // namespace reco::testing
