// Categorical feature fields of the two towers: the CSV reader and its errors (file:line:field),
// vocabularies and cold rows, finite-difference gradients of both towers with fields (multi-hot,
// a cold item, and a one-field one-dimensional case), the model file round trip, determinism of
// training with fields, and cold start (an item seen only in the feature file is retrieved for
// the users of its planted cluster).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "reco/core/error.h"
#include "reco/core/rng.h"
#include "reco/retrieval/candidate.h"
#include "reco/twotower/in_batch_softmax.h"
#include "reco/twotower/trainer.h"
#include "reco/twotower/two_tower_model.h"
#include "testing/testing.h"

namespace reco::twotower {
namespace {

std::string error_of(const std::string& path, const std::string& key) {
  try {
    read_feature_csv(path, key);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(FeatureCsv, ReadsFieldsAndNamesBadRows) {
  testing::TempDir dir;
  testing::write_file(dir.file("u.csv"), "user,age,genres\n7,18-24,a|b\n9,,c\n 8 ,25-34, b | a \n");
  const FeatureCsv csv = read_feature_csv(dir.file("u.csv"), "user");
  EXPECT_EQ(csv.fields, (std::vector<std::string>{"age", "genres"}));
  EXPECT_EQ(csv.ids, (std::vector<uint64_t>{7, 9, 8}));
  EXPECT_EQ(csv.lines, (std::vector<size_t>{2, 3, 4}));

  testing::write_file(dir.file("a.csv"), "item,g\n1,x\nzz,y\n");
  EXPECT_NE(error_of(dir.file("a.csv"), "item").find("a.csv:3:item: 'zz'"), std::string::npos)
      << error_of(dir.file("a.csv"), "item");
  testing::write_file(dir.file("b.csv"), "item,g\n1,x\n1,y\n");
  EXPECT_NE(error_of(dir.file("b.csv"), "item").find("b.csv:3:item: id 1 already on line 2"), std::string::npos);
  testing::write_file(dir.file("c.csv"), "item,g,h\n1,x\n");
  EXPECT_NE(error_of(dir.file("c.csv"), "item").find("c.csv:2: 2 cells"), std::string::npos);
  testing::write_file(dir.file("d.csv"), "item,g\n1,x||y\n");
  EXPECT_NE(error_of(dir.file("d.csv"), "item").find("d.csv:2:g: empty token"), std::string::npos);
  EXPECT_NE(error_of(dir.file("u.csv"), "item").find("u.csv:1:user"), std::string::npos);
}

TEST(FeatureCsv, VocabulariesAndColdRows) {
  FeatureCsv csv;
  csv.fields = {"age", "genres"};
  csv.ids = {7, 9, 8};
  csv.lines = {2, 3, 4};
  csv.cells = {"18-24", "a|b|a", "", "c", "25-34", "b|a"};
  std::vector<uint64_t> ids{8, 5, 7};  // training rows; 5 has no features, 9 is cold
  const SideFields s = build_side_fields(csv, ids);
  EXPECT_EQ(ids, (std::vector<uint64_t>{8, 5, 7, 9}));
  EXPECT_EQ(s.vocab[0], (std::vector<std::string>{"18-24", "25-34"}));
  EXPECT_EQ(s.vocab[1], (std::vector<std::string>{"a", "b", "c"}));
  auto bag = [&](size_t f, uint32_t r) { return std::vector<uint32_t>(s.bag(f, r).begin(), s.bag(f, r).end()); };
  EXPECT_EQ(bag(0, 0), (std::vector<uint32_t>{2}));
  EXPECT_EQ(bag(1, 0), (std::vector<uint32_t>{2, 1}));
  EXPECT_EQ(bag(0, 1), (std::vector<uint32_t>{0}));  // absent from the CSV
  EXPECT_EQ(bag(1, 2), (std::vector<uint32_t>{1, 2}));  // duplicate token counted once
  EXPECT_EQ(bag(0, 3), (std::vector<uint32_t>{0}));  // empty cell
  EXPECT_EQ(bag(1, 3), (std::vector<uint32_t>{3}));
  EXPECT_EQ(bag(1, ~0u), (std::vector<uint32_t>{0}));  // unknown entity
  EXPECT_NO_THROW(s.validate(4, "test"));
  EXPECT_THROW(s.validate(3, "test"), Error);
}

// --- finite differences -------------------------------------------------------------------

struct Batch {
  std::vector<uint32_t> users{0, 1, 2, 1, 4};           // user 4 is cold (features only)
  std::vector<uint32_t> hist_ids{4, 1, 2, 2, 0, 5, 6};
  std::vector<uint64_t> hist_off{0, 2, 3, 3, 5, 7};
  std::vector<uint32_t> cols{3, 5, 3, 0, 7, 2};         // item 7 is cold; item 3 twice
  std::vector<float> log_q{-1.0f, -2.0f, -1.0f, -0.5f, -1.5f, -3.0f};
};

double batch_loss(const TwoTowerModel& m, const Batch& b, std::vector<nn::RowGrad>* tables,
                  std::vector<nn::Tensor>* dense) {
  TowerWorkspace uw, iw;
  m.user_mlp().prepare(uw.mlp);
  m.item_mlp().prepare(iw.mlp);
  const nn::BagBatch hist{b.hist_ids, b.hist_off, {}};
  m.user_forward(b.users, hist, uw);
  m.item_forward(b.cols, iw);
  nn::Tensor s, du(uw.out.rows(), uw.out.cols()), dv(iw.out.rows(), iw.out.cols());
  const double loss = in_batch_softmax_loss(uw.out, iw.out, b.cols, b.log_q, 1.0f / m.config().temperature, {},
                                            1.0f, s, du, dv);
  if (!tables) return loss;
  m.tower_backward(true, du, uw);
  m.tower_backward(false, dv, iw);
  auto& mm = const_cast<TwoTowerModel&>(m);
  const size_t e = m.config().embed_dim, g = m.config().field_width();
  nn::RowGradScratch scratch;
  tables->assign(m.table_count(), {});
  size_t t = 0;
  mm.user_embedding().backward(nn::BagBatch{b.users, {}, {}}, uw.dinput.view().cols_slice(0, e), (*tables)[t++],
                               scratch);
  mm.history_embedding().backward(hist, uw.dinput.view().cols_slice(e, e), (*tables)[t++], scratch);
  mm.item_embedding().backward(nn::BagBatch{b.cols, {}, {}}, iw.dinput.view().cols_slice(0, e), (*tables)[t++],
                               scratch);
  for (size_t f = 0; f < m.user_fields().count(); ++f)
    mm.user_field_embedding(f).backward(uw.fields.bag(f), uw.dinput.view().cols_slice(m.user_field_col(f), g),
                                        (*tables)[t++], scratch);
  for (size_t f = 0; f < m.item_fields().count(); ++f)
    mm.item_field_embedding(f).backward(iw.fields.bag(f), iw.dinput.view().cols_slice(m.item_field_col(f), g),
                                        (*tables)[t++], scratch);
  dense->clear();
  for (auto* x : nn::Mlp::gradients(uw.mlp)) dense->push_back(*x);
  for (auto* x : nn::Mlp::gradients(iw.mlp)) dense->push_back(*x);
  return loss;
}

float row_grad(const nn::RowGrad& g, uint32_t row, size_t col) {
  for (size_t i = 0; i < g.rows.size(); ++i)
    if (g.rows[i] == row) return g.values.at(i, col);
  return 0.0f;
}

FeatureCsv csv_of(std::vector<std::string> fields, std::vector<uint64_t> ids, std::vector<std::string> cells) {
  FeatureCsv c;
  c.fields = std::move(fields);
  c.ids = std::move(ids);
  c.lines.resize(c.ids.size());
  c.cells = std::move(cells);
  return c;
}

void check_gradients(bool one_dim) {
  TwoTowerConfig c;
  c.dim = 5;
  c.embed_dim = 4;
  c.hidden = 6;
  c.history = 3;
  c.temperature = 0.5f;
  c.init_scale = 0.5f;
  c.field_dim = one_dim ? 1 : 3;
  const std::vector<uint64_t> users{10, 11, 12, 13}, items{20, 21, 22, 23, 24, 25, 26};
  FeatureCsv ucsv = one_dim ? csv_of({"age"}, {10, 11, 12, 14}, {"a", "b", "a", "c"})
                            : csv_of({"age", "tags"}, {10, 11, 12, 14},
                                     {"a", "x|y", "b", "y", "", "x|y|z", "c", "z"});
  FeatureCsv icsv = one_dim ? csv_of({"genre"}, {20, 23, 25, 27}, {"p", "q", "p", "q"})
                            : csv_of({"genres"}, {20, 21, 23, 25, 27}, {"p|q", "q", "r|p", "", "q|r"});
  const TowerFields fields = make_tower_fields(users, items, &ucsv, &icsv);
  ASSERT_EQ(fields.user_ids.size(), 5u);  // user 14 cold (row 4)
  ASSERT_EQ(fields.item_ids.size(), 8u);  // item 27 cold (row 7)
  TwoTowerModel m(c, fields, 99);
  // Non-zero biases keep ReLU units alive (see model_gradient_test.cc).
  for (nn::Mlp* mlp : {&m.user_mlp(), &m.item_mlp()})
    for (nn::Parameter* p : mlp->parameters())
      if (p->name.find("bias") != std::string::npos)
        for (size_t k = 0; k < p->value.size(); ++k) p->value.data()[k] = 0.25f + 0.1f * static_cast<float>(k % 3);
  const Batch b;
  std::vector<nn::RowGrad> tables;
  std::vector<nn::Tensor> dense;
  batch_loss(m, b, &tables, &dense);
  const float h = 2e-3f;
  auto fd = [&](float& x) {
    const float keep = x;
    x = keep + h;
    const double up = batch_loss(m, b, nullptr, nullptr);
    x = keep - h;
    const double down = batch_loss(m, b, nullptr, nullptr);
    x = keep;
    return (up - down) / (2.0 * h);
  };
  const auto params = m.parameters();
  ASSERT_EQ(m.table_count(), 3 + ucsv.fields.size() + icsv.fields.size());
  size_t checked_nonzero = 0;
  for (size_t t = 0; t < m.table_count(); ++t) {
    nn::Parameter& p = *params[t];
    for (uint32_t r = 0; r < p.value.rows(); ++r)
      for (size_t col = 0; col < p.value.cols(); ++col) {
        const float analytic = row_grad(tables[t], r, col);
        const double numeric = fd(p.value.at(r, col));
        EXPECT_NEAR(analytic, numeric, 3e-3 + 3e-2 * std::fabs(numeric))
            << p.name << " row " << r << " col " << col;
        checked_nonzero += std::fabs(numeric) > 1e-3;
      }
  }
  EXPECT_GT(checked_nonzero, 10u);  // the check is not vacuous
  for (size_t k = 0; k < dense.size(); ++k) {
    nn::Parameter& p = *params[m.table_count() + k];
    for (size_t i = 0; i < p.value.size(); i += 3)
      EXPECT_NEAR(dense[k].data()[i], fd(p.value.data()[i]), 3e-3 + 3e-2 * std::fabs(dense[k].data()[i]))
          << p.name << "[" << i << "]";
  }
  // The cold item's id embedding is zero and gets a gradient only because it is in the batch;
  // its vector still depends on its features.
  for (size_t col = 0; col < c.embed_dim; ++col) EXPECT_EQ(m.item_embedding().table().value.at(7, col), 0.0f);
}

TEST(TwoTowerFieldsGradient, MatchesFiniteDifferences) { check_gradients(false); }
TEST(TwoTowerFieldsGradient, OneFieldOneDimension) { check_gradients(true); }

// --- training, file, cold start ----------------------------------------------------------

constexpr int kClusters = 4, kUsersPer = 30, kItemsPer = 15, kTrainPer = 8;

// Users of cluster c interact with items 1000 + 100c + j; the item file gives every item its
// cluster as a "topic" token (plus a shared noise token); items j >= 12 of every cluster
// appear only in the item file (cold). The user file gives each user a token of its cluster.
struct Data {
  Interactions rows;
  FeatureCsv users, items;
};

// prefix + n (appended: GCC 12 warns falsely on "literal" + std::string at -O3).
std::string token(const char* prefix, int n) {
  std::string s(prefix);
  s += std::to_string(n);
  return s;
}

Data planted(uint64_t seed) {
  Rng rng(seed);
  std::vector<uint64_t> u, i;
  for (int user = 0; user < kClusters * kUsersPer; ++user) {
    const int c = user % kClusters;
    for (int k = 0; k < kTrainPer; ++k) {
      u.push_back(user);
      i.push_back(1000 + 100 * c + rng.below(12));
    }
  }
  Data d;
  d.rows = make_interactions(u, i);
  d.users = csv_of({"region"}, {}, {});
  for (int user = 0; user < kClusters * kUsersPer; ++user) {
    d.users.ids.push_back(user);
    d.users.cells.push_back(token("r", user % kClusters));
  }
  d.users.lines.resize(d.users.ids.size());
  d.items = csv_of({"topic", "tags"}, {}, {});
  for (int c = 0; c < kClusters; ++c)
    for (int j = 0; j < kItemsPer; ++j) {
      d.items.ids.push_back(1000 + 100 * c + j);
      d.items.cells.push_back(token("t", c));
      d.items.cells.push_back(j % 2 ? "odd|all" : "all");
    }
  d.items.lines.resize(d.items.ids.size());
  return d;
}

TwoTowerConfig small_config() {
  TwoTowerConfig c;
  c.dim = 16;
  c.embed_dim = 16;
  c.field_dim = 8;
  c.hidden = 32;
  c.history = 5;
  c.batch = 64;
  c.epochs = 20;
  c.lr = 0.01f;
  c.temperature = 0.1f;
  c.random_negatives = 8;
  return c;
}

RunContext quiet_ctx(int threads) {
  RunContext ctx;
  ctx.threads = threads;
  ctx.seed = 3;
  ctx.quiet = true;
  return ctx;
}

TEST(TwoTowerFieldsTraining, ColdItemsRetrievedAndFileRoundTrip) {
  const Data d = planted(1);
  const TowerFields f = make_tower_fields(d.rows.user_ids, d.rows.item_ids, &d.users, &d.items);
  ASSERT_EQ(f.item_ids.size(), size_t(kClusters * kItemsPer));
  const TwoTowerModel m = train_two_tower(d.rows, small_config(), quiet_ctx(2), nullptr, &f);
  ASSERT_EQ(m.items(), size_t(kClusters * kItemsPer));
  // Cold items of the user's cluster beat cold items of other clusters: the towers use the topic.
  const std::vector<float> v = m.item_vectors(1);
  const size_t dim = m.config().dim;
  size_t right = 0, total = 0;
  for (int user = 0; user < kClusters * kUsersPer; user += 7) {
    const int c = user % kClusters;
    std::vector<uint64_t> recent;
    for (uint32_t r : d.rows.last_items(m.user_row(user), 5)) recent.push_back(d.rows.item_ids[r]);
    const std::vector<float> q = m.user_vector(user, recent);
    double best_own = -1e30, best_other = -1e30;
    for (size_t r = m.trained_items(); r < m.items(); ++r) {
      double s = 0;
      for (size_t j = 0; j < dim; ++j) s += double(q[j]) * v[r * dim + j];
      const bool own = (m.item_ids()[r] - 1000) / 100 == uint64_t(c);
      (own ? best_own : best_other) = std::max(own ? best_own : best_other, s);
    }
    right += best_own > best_other;
    ++total;
  }
  EXPECT_GE(double(right) / double(total), 0.9) << right << " of " << total;

  testing::TempDir dir;
  m.save(dir.file("m.twotower"));
  const TwoTowerModel l = TwoTowerModel::load(dir.file("m.twotower"));
  EXPECT_EQ(l.config().to_json(), m.config().to_json());
  EXPECT_EQ(l.item_ids(), m.item_ids());
  EXPECT_EQ(l.trained_items(), m.trained_items());
  EXPECT_EQ(l.item_fields().vocab, m.item_fields().vocab);
  EXPECT_EQ(l.user_fields().ids, m.user_fields().ids);
  EXPECT_EQ(l.item_vectors(1), v);
  const std::vector<uint64_t> recent{1003, 1005, 77777};
  EXPECT_EQ(l.user_vector(5, recent), m.user_vector(5, recent));
  EXPECT_EQ(l.user_vector(kNoUser, recent), m.user_vector(kNoUser, recent));
  // The embeddings file holds the cold items too.
  const Embeddings e = two_tower_embeddings(m, d.rows, 1);
  EXPECT_EQ(e.items().size(), m.items());
  EXPECT_EQ(e.users().size(), d.rows.users());
}

TEST(TwoTowerFieldsTraining, OneThreadIsBitIdentical) {
  const Data d = planted(2);
  const TowerFields f = make_tower_fields(d.rows.user_ids, d.rows.item_ids, &d.users, &d.items);
  TwoTowerConfig c = small_config();
  c.epochs = 3;
  TwoTowerModel a = train_two_tower(d.rows, c, quiet_ctx(1), nullptr, &f);
  TwoTowerModel b = train_two_tower(d.rows, c, quiet_ctx(1), nullptr, &f);
  const auto pa = a.parameters(), pb = b.parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (size_t i = 0; i < pa.size(); ++i)
    EXPECT_EQ(0, std::memcmp(pa[i]->value.data(), pb[i]->value.data(), pa[i]->value.size() * sizeof(float)))
        << pa[i]->name;
  RunContext other = quiet_ctx(1);
  other.seed = 4;
  TwoTowerModel o = train_two_tower(d.rows, c, other, nullptr, &f);
  const auto po = o.parameters();
  const size_t field_table = 3;  // user_field.0
  EXPECT_EQ(pa[field_table]->name, "user_field.0");
  EXPECT_NE(0, std::memcmp(pa[field_table]->value.data(), po[field_table]->value.data(),
                           pa[field_table]->value.size() * sizeof(float)));
  // Fields the wrong training ids were built for are rejected.
  const TowerFields wrong = make_tower_fields(d.rows.item_ids, d.rows.item_ids, &d.users, &d.items);
  EXPECT_THROW(train_two_tower(d.rows, c, quiet_ctx(1), nullptr, &wrong), Error);
}

}  // namespace
}  // namespace reco::twotower
