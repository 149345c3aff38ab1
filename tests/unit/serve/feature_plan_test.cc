#include "reco/serve/feature_plan.h"

#include <gtest/gtest.h>

#include "reco/core/error.h"
#include "reco/data/dataset.h"
#include "reco/models/feature_map.h"
#include "serve_dataset_fixture.h"
#include "testing/testing.h"

namespace reco::serve {
namespace {

using reco::testing::TempDir;

models::FeatureMap features(std::vector<std::string> dense, std::vector<std::string> sparse, const Dataset& ds) {
  models::FeatureSelection sel;
  sel.dense = std::move(dense);
  sel.sparse = std::move(sparse);
  sel.label = "click";
  return models::resolve_features(sel, ds);
}

const InputRule& rule(const std::vector<InputRule>& rules, const std::string& column) {
  for (const auto& r : rules)
    if (r.column == column) return r;
  throw std::runtime_error("no rule for " + column);
}

TEST(FeaturePlan, EveryConventionGetsItsSource) {
  TempDir dir;
  reco::testing::write_serve_dataset(dir.file("d.dataset"));
  const Dataset ds = Dataset::open(dir.file("d.dataset"));
  const auto fm = features({"item_quality", "score_hint", "mb_score", "match_user_category"},
                           {"platform", "item_category", "user_top_category", "query_category", "item_id"}, ds);
  const FeaturePlan p = FeaturePlan::derive(fm, false, ds, {"click"}, {}, 5.0);
  EXPECT_EQ(p.item_key, "item_id");
  EXPECT_EQ(p.user_key, "user_id");
  EXPECT_EQ(rule(p.dense, "item_quality").source, InputSource::kItem);
  // No naming convention, but constant per item in the data: an item attribute.
  EXPECT_EQ(rule(p.dense, "score_hint").source, InputSource::kItem);
  const InputRule& mb = rule(p.dense, "mb_score");
  EXPECT_EQ(mb.source, InputSource::kMemboost);
  EXPECT_EQ(mb.ref, "score");
  EXPECT_EQ(mb.normalizer.kind, NormalizerKind::kLog1p);
  const InputRule& mu = rule(p.dense, "match_user_category");
  EXPECT_EQ(mu.source, InputSource::kMatchUser);
  EXPECT_EQ(mu.ref, "item_category");
  EXPECT_EQ(mu.ref2, "user_top_category");
  const InputRule& pl = rule(p.sparse, "platform");
  EXPECT_EQ(pl.source, InputSource::kContext);
  EXPECT_EQ(pl.vocabulary.size(), 3u);
  EXPECT_EQ(rule(p.sparse, "user_top_category").source, InputSource::kUser);
  EXPECT_EQ(rule(p.sparse, "query_category").source, InputSource::kQueryAttribute);
  EXPECT_EQ(rule(p.sparse, "item_id").source, InputSource::kItem);
  EXPECT_EQ(rule(p.sparse, "item_id").cardinality, 13u);
  EXPECT_EQ(p.context_keys, std::vector<std::string>{"platform"});

  // JSON round trip.
  const FeaturePlan q = FeaturePlan::from_json(p.to_json());
  EXPECT_EQ(q.to_json(), p.to_json());
}

TEST(FeaturePlan, RefusesWhatCannotBeServed) {
  TempDir dir;
  reco::testing::write_serve_dataset(dir.file("d.dataset"));
  const Dataset ds = Dataset::open(dir.file("d.dataset"));
  // Varies within items and within users: no request-time value exists.
  try {
    FeaturePlan::derive(features({"noise"}, {"platform"}, ds), false, ds, {"click"}, {}, 5.0);
    FAIL() << "noise was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
    EXPECT_NE(std::string(e.what()).find("'noise'"), std::string::npos) << e.what();
  }
  // Memboost inputs need priors.
  try {
    FeaturePlan::derive(features({"mb_score"}, {"platform"}, ds), false, ds, {}, {}, 5.0);
    FAIL() << "mb_score without priors was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("priors"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace reco::serve
