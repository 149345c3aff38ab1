// The two-tower candidate source (user tower per request): its lists equal a brute-force oracle
// (user_vector · every item vector, top-k, history and filtered items excluded), with the exact
// and the hnsw item index (an index of another model is rejected); the user vector follows the
// request's history (not the training history frozen in the embeddings file); and on planted
// clusters where users drifted to another cluster after training, its recall is at least the
// frozen embed source's.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <numeric>
#include <set>

#include "reco/core/error.h"
#include "reco/core/rng.h"
#include "reco/retrieval/candidate_eval.h"
#include "reco/retrieval/embedding_source.h"
#include "reco/retrieval/hnsw_index.h"
#include "reco/twotower/trainer.h"
#include "reco/twotower/two_tower_source.h"
#include "testing/testing.h"

namespace reco::twotower {
namespace {

constexpr int kClusters = 5, kUsersPer = 30, kItemsPer = 20, kTrainPer = 10, kTestPer = 4;

// Users of cluster u % kClusters interact only with that cluster's items (ids 1000 + 20c + j).
struct Planted {
  std::vector<Interaction> train, test;
};

Planted planted(uint64_t seed) {
  Rng rng(seed);
  Planted p;
  for (uint64_t u = 0; u < kClusters * kUsersPer; ++u) {
    const int c = static_cast<int>(u % kClusters);
    std::vector<uint64_t> mine(kItemsPer);
    for (int k = 0; k < kItemsPer; ++k) mine[k] = 1000 + c * kItemsPer + k;
    for (int k = kItemsPer - 1; k > 0; --k) std::swap(mine[k], mine[rng.below(k + 1)]);
    for (int k = 0; k < kTrainPer + kTestPer; ++k)
      (k < kTrainPer ? p.train : p.test).push_back({u, mine[k], 1.0f, k});
  }
  return p;
}

Interactions to_model_rows(const std::vector<Interaction>& rows, const std::function<bool(uint64_t)>& keep_user) {
  std::vector<uint64_t> users, items;
  for (const Interaction& r : rows)
    if (keep_user(r.user)) {
      users.push_back(r.user);
      items.push_back(r.item);
    }
  return make_interactions(users, items);
}

TwoTowerConfig small_config(uint32_t epochs) {
  TwoTowerConfig c;
  c.dim = 16;
  c.embed_dim = 16;
  c.hidden = 32;
  c.history = 5;
  c.batch = 128;
  c.epochs = epochs;
  c.lr = 0.01f;
  c.temperature = 0.1f;
  c.random_negatives = 16;
  return c;
}

RunContext quiet_ctx() {
  RunContext ctx;
  ctx.threads = 1;
  ctx.seed = 11;
  ctx.quiet = true;
  return ctx;
}

// Brute force: <user_vector(user, last H of history), v_i> over all items, history and
// filtered-out items excluded, best first (ties: smaller item row).
std::vector<Candidate> oracle(const TwoTowerModel& m, uint64_t user, const std::vector<uint64_t>& history,
                              size_t k, const std::function<bool(uint64_t)>& filter) {
  const size_t H = m.config().history, d = m.config().dim;
  const std::vector<uint64_t> recent(history.end() - std::min(H, history.size()), history.end());
  const std::vector<float> q = m.user_vector(user, recent);
  const std::vector<float> v = m.item_vectors(1);
  std::vector<std::pair<double, uint32_t>> scored;
  for (uint32_t r = 0; r < m.items(); ++r) {
    const uint64_t id = m.item_ids()[r];
    if (std::find(history.begin(), history.end(), id) != history.end() || (filter && !filter(id))) continue;
    double s = 0;
    for (size_t j = 0; j < d; ++j) s += double(q[j]) * v[r * d + j];
    scored.push_back({-s, r});
  }
  std::sort(scored.begin(), scored.end());
  std::vector<Candidate> out;
  for (size_t i = 0; i < std::min(k, scored.size()); ++i)
    out.push_back({m.item_ids()[scored[i].second], float(-scored[i].first), candidate_source::kTwoTower});
  return out;
}

// got equals want, except that two items whose oracle scores tie within float rounding may swap.
void expect_same_list(const std::vector<Candidate>& got, const std::vector<Candidate>& want,
                      const std::vector<Candidate>& all_scores) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_NEAR(got[i].score, want[i].score, 1e-4) << "rank " << i;
    EXPECT_EQ(got[i].source, candidate_source::kTwoTower);
    if (got[i].item == want[i].item) continue;
    const auto it = std::find_if(all_scores.begin(), all_scores.end(),
                                 [&](const Candidate& c) { return c.item == got[i].item; });
    ASSERT_NE(it, all_scores.end()) << "item " << got[i].item << " is excluded";
    EXPECT_NEAR(it->score, want[i].score, 1e-5) << "rank " << i << ": " << got[i].item << " vs " << want[i].item;
  }
}

class TwoTowerSourceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    data_ = new Planted(planted(7));
    rows_ = new Interactions(to_model_rows(data_->train, [](uint64_t) { return true; }));
    model_ = new TwoTowerModel(train_two_tower(*rows_, small_config(15), quiet_ctx()));
  }
  static void TearDownTestSuite() {
    delete model_;
    delete rows_;
    delete data_;
  }
  static Planted* data_;
  static Interactions* rows_;
  static TwoTowerModel* model_;
};
Planted* TwoTowerSourceTest::data_ = nullptr;
Interactions* TwoTowerSourceTest::rows_ = nullptr;
TwoTowerModel* TwoTowerSourceTest::model_ = nullptr;

TEST_F(TwoTowerSourceTest, EqualsBruteForceOracle) {
  testing::TempDir dir;
  model_->save(dir.file("m.twotower"));
  two_tower_embeddings(*model_, *rows_, 1).save(dir.file("m.embed"));
  const Embeddings emb = Embeddings::load(dir.file("m.embed"));
  HnswOptions ho;
  ho.ef_search = 200;
  HnswIndex::build(emb, ho, quiet_ctx())->save(dir.file("m.ann"));

  TwoTowerSourceOptions from_model, with_ann;
  with_ann.ann_path = dir.file("m.ann");
  const auto exact = open_two_tower_source(dir.file("m.twotower"), from_model);
  const auto ann = open_two_tower_source(dir.file("m.twotower"), with_ann);
  EXPECT_EQ(exact->name(), "twotower");

  size_t ann_hits = 0, ann_total = 0;
  for (uint64_t user : {uint64_t{0}, uint64_t{3}, uint64_t{42}, uint64_t{9999} /* unknown */}) {
    CandidateRequest req;
    req.user = user;
    // Longer than H = 5 (only the last 5 count) and mixing two clusters, so order matters.
    for (uint64_t i : {1000, 1001, 1002, 1003, 1020, 1021, 1040, 1041}) req.items.push_back(i);
    for (bool filtered : {false, true}) {
      req.k = 12;
      req.filter = filtered ? std::function<bool(uint64_t)>([](uint64_t item) { return item % 3 != 0; }) : nullptr;
      const auto want = oracle(*model_, user, req.items, req.k, req.filter);
      const auto all = oracle(*model_, user, req.items, 1000, req.filter);
      SCOPED_TRACE("user " + std::to_string(user) + (filtered ? " filtered" : ""));
      expect_same_list(exact->query(req, quiet_ctx()), want, all);
      for (const Candidate& c : ann->query(req, quiet_ctx())) {
        ann_hits += std::count_if(want.begin(), want.end(), [&](const Candidate& w) { return w.item == c.item; });
        EXPECT_TRUE(std::find(req.items.begin(), req.items.end(), c.item) == req.items.end());
        if (filtered) {
          EXPECT_NE(c.item % 3, 0u);
        }
      }
      ann_total += want.size();
    }
  }
  EXPECT_GE(double(ann_hits) / double(ann_total), 0.95);

  // Nothing known about the request: no candidates (not the same bias-only list for all).
  CandidateRequest empty;
  empty.user = 123456;
  empty.items = {777777};
  EXPECT_TRUE(exact->query(empty, quiet_ctx()).empty());

  // An index of another model's vectors (same item ids, so the id fingerprint matches) is
  // rejected by the score check.
  RunContext other_seed = quiet_ctx();
  other_seed.seed = 12;
  const TwoTowerModel other = train_two_tower(*rows_, small_config(1), other_seed);
  ASSERT_EQ(other.item_ids(), model_->item_ids());
  HnswIndex::build(two_tower_embeddings(other, *rows_, 1), ho, quiet_ctx())->save(dir.file("other.ann"));
  TwoTowerSourceOptions bad;
  bad.ann_path = dir.file("other.ann");
  EXPECT_THROW(open_two_tower_source(dir.file("m.twotower"), bad), Error);
}

TEST_F(TwoTowerSourceTest, UserVectorFollowsTheRequestHistory) {
  testing::TempDir dir;
  model_->save(dir.file("m.twotower"));
  two_tower_embeddings(*model_, *rows_, 1).save(dir.file("m.embed"));
  const auto tt = open_two_tower_source(dir.file("m.twotower"), {});
  EmbeddingSourceOptions eo;
  const auto frozen = open_embedding_source(dir.file("m.embed"), "", eo);
  const Embeddings emb = Embeddings::load(dir.file("m.embed"));

  // User 0 trained on cluster 0; today's history is five items of cluster 2.
  const uint64_t user = 0;
  CandidateRequest req;
  req.user = user;
  req.items = {1040, 1041, 1042, 1043, 1044};
  req.k = 10;
  const std::vector<float> now = model_->user_vector(user, req.items);
  const auto stored = emb.users().row(emb.users().find(user));
  double diff = 0;
  for (size_t j = 0; j < now.size(); ++j) diff = std::max(diff, double(std::abs(now[j] - stored[j])));
  EXPECT_GT(diff, 1e-3) << "the user vector did not change with the history";
  // The frozen source answers from the training-time vector whatever the request says.
  const auto a = tt->query(req, quiet_ctx()), b = frozen->query(req, quiet_ctx());
  std::vector<uint64_t> ia, ib;
  for (const auto& c : a) ia.push_back(c.item);
  for (const auto& c : b) ib.push_back(c.item);
  EXPECT_NE(ia, ib);
  // The same request with the training history gives the frozen vector back.
  std::vector<uint64_t> trained;
  for (uint32_t r : rows_->last_items(model_->user_row(user), model_->config().history))
    trained.push_back(rows_->item_ids[r]);
  const std::vector<float> again = model_->user_vector(user, trained);
  for (size_t j = 0; j < again.size(); ++j) EXPECT_NEAR(again[j], stored[j], 1e-5);
}

TEST(TwoTowerSourceEval, RecallAtLeastTheFrozenEmbeddings) {
  // Interest drift after training. The model's rows: 10 items of the user's cluster a, or, for
  // a third of the users, 5 of a then 5 of cluster b (so the history matters in training).
  // Afterwards another third of the users ("fresh drifters") interacted with 5 items of b the
  // model never saw for them; their test items are 3 more of b. The evaluator's history holds
  // those fresh items: the frozen file still answers from the training-time vector, the
  // per-request tower from the recent history.
  Rng rng(8);
  std::vector<Interaction> train, test;
  std::vector<uint64_t> mu, mi;  // the model's rows
  for (uint64_t u = 0; u < kClusters * kUsersPer; ++u) {
    const uint64_t a = u % kClusters, b = (u + 2) % kClusters;
    auto cluster_items = [&](uint64_t c) {
      std::vector<uint64_t> v(kItemsPer);
      for (int k = 0; k < kItemsPer; ++k) v[k] = 1000 + c * kItemsPer + k;
      for (int k = kItemsPer - 1; k > 0; --k) std::swap(v[k], v[rng.below(k + 1)]);
      return v;
    };
    const std::vector<uint64_t> ia = cluster_items(a), ib = cluster_items(b);
    std::vector<uint64_t> seq;
    const bool switcher = u % 3 == 0, fresh = u % 3 == 1;
    for (int k = 0; k < 10; ++k) seq.push_back(switcher && k >= 5 ? ib[k] : ia[k]);
    for (uint64_t item : seq) {
      mu.push_back(u);
      mi.push_back(item);
    }
    if (fresh)
      for (int k = 10; k < 15; ++k) seq.push_back(ib[k]);
    for (size_t k = 0; k < seq.size(); ++k) train.push_back({u, seq[k], 1.0f, int64_t(k)});
    const std::vector<uint64_t>& last = switcher || fresh ? ib : ia;
    for (int k = 15; k < 18; ++k) test.push_back({u, last[k], 1.0f, int64_t(100 + k)});
  }
  const Interactions rows = make_interactions(mu, mi);
  const TwoTowerModel m = train_two_tower(rows, small_config(20), quiet_ctx());
  testing::TempDir dir;
  m.save(dir.file("m.twotower"));
  two_tower_embeddings(m, rows, 1).save(dir.file("m.embed"));
  const auto tt = open_two_tower_source(dir.file("m.twotower"), {});
  const auto frozen = open_embedding_source(dir.file("m.embed"), "", {});
  CandidateEvalOptions eo;
  eo.ks = {10};
  const CandidateEvaluator ev(train, test, eo);
  const auto r_tt = ev.evaluate(*tt, quiet_ctx()), r_fr = ev.evaluate(*frozen, quiet_ctx());
  EXPECT_EQ(r_tt.users_evaluated, uint64_t(kClusters * kUsersPer));
  EXPECT_GT(r_tt.recall[0], 0.5) << "frozen " << r_fr.recall[0];
  EXPECT_GE(r_tt.recall[0], r_fr.recall[0]) << "two-tower " << r_tt.recall[0] << " frozen " << r_fr.recall[0];
  std::printf("Recall@10 per-request %.4f, frozen %.4f\n", r_tt.recall[0], r_fr.recall[0]);
}

}  // namespace
}  // namespace reco::twotower

namespace reco::twotower {
namespace {

// User-id dropout: users the model never saw are served with a zero id embedding. Trained
// with dropout, the towers have seen that input and answer from the history; without it, the
// zero id is an input they never met. Planted clusters; 30 % of the users have no training
// rows, only the request history the evaluator passes (10 items of their cluster).
TEST(TwoTowerUserIdDropout, ServesUnseenUsersBetter) {
  Rng rng(21);
  std::vector<Interaction> history, test;
  std::vector<uint64_t> mu, mi;
  for (uint64_t u = 0; u < kClusters * kUsersPer; ++u) {
    const uint64_t c = u % kClusters;
    std::vector<uint64_t> v(kItemsPer);
    for (int k = 0; k < kItemsPer; ++k) v[k] = 1000 + c * kItemsPer + k;
    for (int k = kItemsPer - 1; k > 0; --k) std::swap(v[k], v[rng.below(k + 1)]);
    const bool unseen = u % 10 >= 7;
    for (int k = 0; k < 10; ++k) {
      history.push_back({u, v[k], 1.0f, int64_t(k)});
      if (!unseen) {
        mu.push_back(u);
        mi.push_back(v[k]);
      }
    }
    if (unseen)
      for (int k = 10; k < 14; ++k) test.push_back({u, v[k], 1.0f, int64_t(100 + k)});
  }
  const Interactions rows = make_interactions(mu, mi);
  CandidateEvalOptions eo;
  eo.ks = {10};
  const CandidateEvaluator ev(history, test, eo);
  testing::TempDir dir;
  double recall[2] = {0, 0};
  for (int with = 0; with < 2; ++with) {
    TwoTowerConfig c = small_config(20);
    c.user_id_dropout = with ? 0.5f : 0.0f;
    const TwoTowerModel m = train_two_tower(rows, c, quiet_ctx());
    m.save(dir.file("m.twotower"));
    recall[with] = ev.evaluate(*open_two_tower_source(dir.file("m.twotower"), {}), quiet_ctx()).recall[0];
  }
  std::printf("unseen users Recall@10: no dropout %.4f, user-id dropout 0.5 %.4f\n", recall[0], recall[1]);
  EXPECT_GT(recall[1], recall[0] + 0.02);
  EXPECT_GT(recall[1], 0.8);
}

// A dropped row's id embedding gets no gradient: at dropout 1 the user table keeps its initial
// values while the history table trains.
TEST(TwoTowerUserIdDropout, DroppedRowsLeaveTheIdTableUntouched) {
  const Planted p = planted(3);
  const Interactions rows = to_model_rows(p.train, [](uint64_t) { return true; });
  TwoTowerConfig c = small_config(2);
  c.user_id_dropout = 1.0f;
  TwoTowerModel trained = train_two_tower(rows, c, quiet_ctx());
  TwoTowerModel fresh(c, rows.user_ids, rows.item_ids, quiet_ctx().seed);
  const auto same = [](nn::EmbeddingBag& a, nn::EmbeddingBag& b) {
    const auto x = a.table().value.span(), y = b.table().value.span();
    return std::equal(x.begin(), x.end(), y.begin(), y.end());
  };
  EXPECT_TRUE(same(trained.user_embedding(), fresh.user_embedding()));
  EXPECT_FALSE(same(trained.history_embedding(), fresh.history_embedding()));
  c.user_id_dropout = 0.0f;
  TwoTowerModel plain = train_two_tower(rows, c, quiet_ctx());
  EXPECT_FALSE(same(plain.user_embedding(), fresh.user_embedding()));
  c.user_id_dropout = 1.5f;
  EXPECT_THROW(c.validate(), Error);
}

}  // namespace
}  // namespace reco::twotower
