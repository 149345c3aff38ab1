#include "reco/nn/embedding_bag.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "reco/core/error.h"
#include "reco/core/rng.h"
#include "unit/nn/gradient_check.h"

namespace reco::nn {
namespace {

using gradcheck::check_gradient;
using gradcheck::linear_functional;
using gradcheck::random_tensor;

// A batch of bags with owned storage; bags() gives the span view the layer reads.
struct Bags {
  std::vector<uint32_t> ids;
  std::vector<uint64_t> offsets;  // empty: one id per bag
  std::vector<float> weights;
  BagBatch view() const { return {ids, offsets, weights}; }
  size_t count() const { return offsets.empty() ? ids.size() : offsets.size() - 1; }
};

struct BagCase {
  std::string name;
  size_t rows, dim;
  Pooling pooling;
  Bags bags;
};

std::vector<BagCase> cases() {
  std::vector<BagCase> out;
  // One-hot: one id per bag, offsets empty; id 2 twice across bags.
  out.push_back({"one-hot", 5, 3, Pooling::kSum, {{2, 0, 4, 2}, {}, {}}});
  out.push_back({"one-hot mean", 5, 3, Pooling::kMean, {{2, 0, 4, 2}, {}, {}}});
  out.push_back({"one-hot 1x1", 1, 1, Pooling::kSum, {{0}, {}, {}}});
  out.push_back({"one-hot weighted", 6, 4, Pooling::kSum, {{5, 1, 5}, {}, {0.5f, -2.0f, 1.5f}}});
  // Multi-hot with offsets: an empty bag, duplicates inside a bag and across bags.
  Bags multi{{3, 1, 3, 6, 0, 1, 1, 6}, {0, 3, 3, 4, 8}, {}};
  out.push_back({"multi-hot sum", 7, 13, Pooling::kSum, multi});
  out.push_back({"multi-hot mean", 7, 13, Pooling::kMean, multi});
  Bags weighted = multi;
  weighted.weights = {0.5f, 2.0f, -1.0f, 0.25f, 3.0f, 1.0f, -0.75f, 1.5f};
  out.push_back({"multi-hot weighted sum", 7, 5, Pooling::kSum, weighted});
  out.push_back({"multi-hot weighted mean", 7, 5, Pooling::kMean, weighted});
  // Leading and trailing empty bags; a single-id bag (the copy fast path) among them.
  out.push_back({"empty bags", 4, 3, Pooling::kMean, {{2, 2, 0}, {0, 0, 1, 3, 3}, {}}});
  out.push_back({"all bags empty", 4, 3, Pooling::kSum, {{}, {0, 0, 0}, {}}});
  // More bags than the kernels look ahead (32 bags when pooling and updating), so the prefetch of a
  // later bag — empty, single or multi-id — runs too; the ids repeat across bags.
  Bags many;
  many.offsets.push_back(0);
  for (uint32_t b = 0; b < 150; ++b) {
    for (uint32_t k = 0; k < b % 4; ++k) many.ids.push_back((b * 7 + k * 3) % 41);
    many.offsets.push_back(many.ids.size());
  }
  out.push_back({"many bags sum", 41, 6, Pooling::kSum, many});
  out.push_back({"many bags mean", 41, 6, Pooling::kMean, many});
  Bags many_one_hot;
  for (uint32_t b = 0; b < 150; ++b) many_one_hot.ids.push_back((b * 11) % 37);
  out.push_back({"many bags one-hot", 37, 16, Pooling::kSum, many_one_hot});
  return out;
}

// out(b, :) = sum_k w_k table(id_k, :) (/ bag size for mean), in double.
std::vector<double> reference_forward(const Tensor& table, const Bags& bags, Pooling pooling) {
  const size_t d = table.cols();
  const BagBatch batch = bags.view();
  std::vector<double> out(bags.count() * d, 0.0);
  for (size_t b = 0; b < bags.count(); ++b) {
    const size_t lo = batch.bag_begin(b), hi = batch.bag_end(b);
    for (size_t k = lo; k < hi; ++k) {
      const double w = bags.weights.empty() ? 1.0 : bags.weights[k];
      for (size_t j = 0; j < d; ++j) out[b * d + j] += w * table.at(bags.ids[k], j);
    }
    if (pooling == Pooling::kMean && hi > lo)
      for (size_t j = 0; j < d; ++j) out[b * d + j] /= static_cast<double>(hi - lo);
  }
  return out;
}

// The dense [rows, dim] gradient a RowGrad stands for.
Tensor densify(const RowGrad& g, size_t rows, size_t dim) {
  Tensor dense(rows, dim);
  for (size_t i = 0; i < g.rows.size(); ++i)
    for (size_t j = 0; j < dim; ++j) dense.at(g.rows[i], j) = g.values.at(i, j);
  return dense;
}

EmbeddingBag make_layer(const BagCase& c, uint64_t seed) {
  EmbeddingBag layer("emb." + c.name, c.rows, c.dim, c.pooling);
  Rng rng(seed);
  layer.init(rng, 0.0f);
  return layer;
}

TEST(EmbeddingBag, ForwardMatchesReference) {
  uint64_t seed = 1;
  for (const auto& c : cases()) {
    SCOPED_TRACE(c.name);
    const EmbeddingBag layer = make_layer(c, seed++);
    Tensor out(c.bags.count(), c.dim);
    out.fill(77.0f);  // forward overwrites every element, empty bags included
    layer.forward(c.bags.view(), out);
    const auto want = reference_forward(layer.table().value, c.bags, c.pooling);
    for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(out.data()[i], want[i], 1e-6) << "element " << i;
  }
}

TEST(EmbeddingBag, ForwardWritesIntoAColumnBlock) {
  const BagCase c = cases()[4];
  const EmbeddingBag layer = make_layer(c, 3);
  Tensor wide(c.bags.count(), c.dim + 5);
  wide.fill(-9.0f);
  layer.forward(c.bags.view(), wide.view().cols_slice(2, c.dim));
  const auto want = reference_forward(layer.table().value, c.bags, c.pooling);
  for (size_t b = 0; b < c.bags.count(); ++b)
    for (size_t j = 0; j < c.dim + 5; ++j) {
      if (j < 2 || j >= 2 + c.dim) {
        EXPECT_EQ(wide.at(b, j), -9.0f);
      } else {
        EXPECT_NEAR(wide.at(b, j), want[b * c.dim + j - 2], 1e-6);
      }
    }
}

TEST(EmbeddingBag, ForwardTablesMatchesTableByTable) {
  // All tables at once (the prefetch runs ahead across table boundaries): every table's column
  // block equal to the reference pooling of its bags, for one-hot (the copy path without pool(),
  // at d = 16 a fixed-size copy), multi-hot, weighted and mean bags, and for batches shorter and
  // longer than the prefetch distance.
  for (const size_t bags : {size_t{1}, size_t{5}, size_t{33}, size_t{300}}) {
    for (const size_t d : {size_t{4}, size_t{16}}) {
      SCOPED_TRACE(::testing::Message() << bags << " bags, dim " << d);
      Rng rng(bags * 100 + d);
      std::vector<EmbeddingBag> tables;
      std::vector<Bags> owned(5);
      for (size_t t = 0; t < owned.size(); ++t) {
        std::string name = "t";  // (not "t" + to_string: GCC 12 -O3 warns -Wrestrict on that, falsely)
        name += std::to_string(t);
        tables.emplace_back(name, 50 + t, d, t == 3 ? Pooling::kMean : Pooling::kSum);
        tables.back().init(rng, 0.0f);
        Bags& b = owned[t];
        const bool multi = t >= 2;
        if (multi) b.offsets.push_back(0);
        for (size_t i = 0; i < bags; ++i) {
          const size_t n = multi ? rng.below(3) : 1;  // multi-hot bags of 0..2 ids
          for (size_t k = 0; k < n; ++k) {
            b.ids.push_back(static_cast<uint32_t>(rng.below(50)));
            if (t == 4) b.weights.push_back(rng.uniform_float() - 0.5f);
          }
          if (multi) b.offsets.push_back(b.ids.size());
        }
      }
      std::vector<BagBatch> views;
      for (const Bags& b : owned) views.push_back(b.view());
      Tensor wide(bags, 2 + tables.size() * d);
      wide.fill(-9.0f);
      forward_tables(tables, views, wide.view().cols_slice(2, tables.size() * d));
      for (size_t t = 0; t < tables.size(); ++t) {
        const auto want = reference_forward(tables[t].table().value, owned[t], tables[t].pooling());
        for (size_t r = 0; r < bags; ++r)
          for (size_t j = 0; j < d; ++j) EXPECT_NEAR(wide.at(r, 2 + t * d + j), want[r * d + j], 1e-6) << t << ", " << r;
      }
      for (size_t r = 0; r < bags; ++r) EXPECT_EQ(wide.at(r, 0), -9.0f);
    }
  }
}

TEST(EmbeddingBag, RowGradMatchesFiniteDifferences) {
  uint64_t seed = 50;
  for (const auto& c : cases()) {
    SCOPED_TRACE(c.name);
    EmbeddingBag layer = make_layer(c, seed++);
    Rng rng(seed * 11);
    const Tensor weights = random_tensor(c.bags.count(), c.dim, rng);
    Tensor out(c.bags.count(), c.dim);
    auto loss = [&] {
      layer.forward(c.bags.view(), out);
      return linear_functional(out, weights);
    };
    RowGrad grad;
    RowGradScratch scratch;
    layer.backward(c.bags.view(), weights, grad, scratch);

    // Rows: every id the batch holds, unique and ascending; nothing else.
    const std::set<uint32_t> touched(c.bags.ids.begin(), c.bags.ids.end());
    EXPECT_EQ(grad.rows, std::vector<uint32_t>(touched.begin(), touched.end()));
    ASSERT_EQ(grad.values.rows(), grad.rows.size());
    ASSERT_EQ(grad.values.cols(), c.dim);
    // Untouched rows have an exactly zero numeric gradient, so comparing the dense form also
    // checks that no row is missing.
    EXPECT_TRUE(check_gradient("table", layer.table().value, densify(grad, c.rows, c.dim), loss));
  }
}

TEST(EmbeddingBag, RowGradReplacesPreviousContents) {
  const BagCase c = cases()[4];
  const EmbeddingBag layer = make_layer(c, 8);
  Rng rng(8);
  const Tensor dout = random_tensor(c.bags.count(), c.dim, rng);
  RowGrad fresh, reused;
  RowGradScratch scratch;
  layer.backward(c.bags.view(), dout, fresh, scratch);
  // A RowGrad left over from a bigger, different batch.
  const Bags other{{0, 1, 2, 3, 4, 5, 6}, {}, {}};
  const Tensor dother = random_tensor(7, c.dim, rng);
  layer.backward(other.view(), dother, reused, scratch);
  layer.backward(c.bags.view(), dout, reused, scratch);
  EXPECT_EQ(reused.rows, fresh.rows);
  ASSERT_EQ(reused.values.size(), fresh.values.size());
  for (size_t i = 0; i < fresh.values.size(); ++i) EXPECT_EQ(reused.values.data()[i], fresh.values.data()[i]);
  reused.clear();
  EXPECT_TRUE(reused.rows.empty());
  EXPECT_EQ(reused.values.rows(), 0u);
}

TEST(EmbeddingBag, RowGradOfWideIdRangesMatchesOrderedSums) {
  // A narrow id range takes the counting sort; ids far sparser than the batch take the radix
  // sort (two 11-bit passes at 100,000 rows, three at 3e9); either way each row's gradient must
  // be its ids' weighted douts summed in batch order.
  for (const uint32_t range : {1500u, 100000u, 3000000000u}) {
    SCOPED_TRACE(::testing::Message() << "id range " << range);
    Rng rng(range);
    const size_t bags = 300, dim = 3;
    std::vector<uint32_t> ids;
    std::vector<float> weights;
    for (size_t b = 0; b < bags; ++b) {
      // a few hot ids repeat across the batch, the rest are spread over the whole range
      ids.push_back(b % 4 == 0 ? range - 1 - static_cast<uint32_t>(rng.below(5))
                               : static_cast<uint32_t>(rng.below(range)));
      weights.push_back(2.0f * rng.uniform_float() - 1.0f);
    }
    const Tensor dout = random_tensor(bags, dim, rng, -3.0f, 3.0f);
    const BagBatch batch{ids, {}, weights};
    RowGrad grad;
    RowGradScratch scratch;
    build_row_grad(std::span<const BagBatch>(&batch, 1), std::span<const ConstMatrixView>(std::array{dout.view()}),
                   Pooling::kSum, grad, scratch);
    std::map<uint32_t, std::vector<float>> want;
    for (size_t b = 0; b < bags; ++b) {
      auto& sum = want.try_emplace(ids[b], dim, 0.0f).first->second;
      for (size_t j = 0; j < dim; ++j) sum[j] += weights[b] * dout.at(b, j);
    }
    ASSERT_EQ(grad.rows.size(), want.size());
    size_t u = 0;
    for (const auto& [row, sum] : want) {
      EXPECT_EQ(grad.rows[u], row);
      for (size_t j = 0; j < dim; ++j) EXPECT_EQ(grad.values.at(u, j), sum[j]) << "row " << row;
      ++u;
    }
  }
}

// Bags [begin, end) of `all` as a shard of their own (offsets rebased to start at 0).
Bags shard_of(const Bags& all, size_t begin, size_t end) {
  Bags s;
  const BagBatch v = all.view();
  const size_t lo = v.bag_begin(begin), hi = end > begin ? v.bag_end(end - 1) : lo;
  s.ids.assign(all.ids.begin() + lo, all.ids.begin() + hi);
  if (!all.weights.empty()) s.weights.assign(all.weights.begin() + lo, all.weights.begin() + hi);
  if (!all.offsets.empty())
    for (size_t b = begin; b <= end; ++b) s.offsets.push_back(all.offsets[b] - lo);
  return s;
}

TEST(EmbeddingBag, SgdFromBagGradientsMatchesTheCoalescedStep) {
  // apply_bag_gradients (lookup by lookup) against RowGrad + w -= rate * g: equal to rounding
  // for every case (duplicates, weights, mean pooling, empty bags), over two shards; bit for
  // bit on rows that only one lookup touches.
  uint64_t seed = 90;
  const float rate = 0.3f;
  for (const auto& c : cases()) {
    SCOPED_TRACE(c.name);
    EmbeddingBag layer = make_layer(c, seed++);
    Rng rng(seed++);
    const Tensor dout = random_tensor(c.bags.count(), c.dim, rng, -2.0f, 2.0f);
    const size_t half = c.bags.count() / 2;
    const Bags a = shard_of(c.bags, 0, half), b = shard_of(c.bags, half, c.bags.count());
    const std::array<BagBatch, 2> shards{a.view(), b.view()};
    const std::array<ConstMatrixView, 2> douts{dout.view().rows_slice(0, half),
                                               dout.view().rows_slice(half, c.bags.count() - half)};
    RowGrad grad;
    RowGradScratch scratch;
    build_row_grad(shards, douts, c.pooling, grad, scratch);
    Tensor want = layer.table().value;
    for (size_t i = 0; i < grad.rows.size(); ++i)
      for (size_t j = 0; j < c.dim; ++j) want.at(grad.rows[i], j) -= rate * grad.values.at(i, j);
    std::map<uint32_t, int> uses;
    for (uint32_t id : c.bags.ids) ++uses[id];
    apply_bag_gradients(shards, douts, c.pooling, rate, layer.table());
    const Tensor& got = layer.table().value;
    for (size_t r = 0; r < c.rows; ++r)
      for (size_t j = 0; j < c.dim; ++j) {
        if (uses[static_cast<uint32_t>(r)] <= 1) {
          EXPECT_EQ(got.at(r, j), want.at(r, j)) << r << ", " << j;
        } else {
          EXPECT_NEAR(got.at(r, j), want.at(r, j), 1e-5) << r << ", " << j;
        }
      }
  }
  EmbeddingBag layer("emb.small", 3, 2);
  const Bags bad{{0, 3}, {}, {}};
  const Tensor dout(2, 2);
  const std::array<BagBatch, 1> shards{bad.view()};
  const std::array<ConstMatrixView, 1> douts{dout.view()};
  EXPECT_THROW(apply_bag_gradients(shards, douts, Pooling::kSum, 0.1f, layer.table()), Error);
}

TEST(EmbeddingBag, ShardedRowGradIsBitIdentical) {
  uint64_t seed = 70;
  // A bigger batch with many duplicates so the summation order matters in float.
  std::vector<BagCase> all = cases();
  {
    Rng rng(71);
    Bags big;
    big.offsets.push_back(0);
    for (size_t b = 0; b < 40; ++b) {
      const size_t n = rng.below(6);
      for (size_t k = 0; k < n; ++k) {
        big.ids.push_back(static_cast<uint32_t>(rng.below(9)));
        big.weights.push_back(2.0f * rng.uniform_float() - 1.0f);
      }
      big.offsets.push_back(big.ids.size());
    }
    all.push_back({"random 40 bags", 9, 7, Pooling::kMean, big});
  }
  for (const auto& c : all) {
    SCOPED_TRACE(c.name);
    const EmbeddingBag layer = make_layer(c, seed++);
    Rng rng(seed * 5);
    const size_t n = c.bags.count();
    const Tensor dout = random_tensor(n, c.dim, rng, -3.0f, 3.0f);
    RowGrad whole;
    RowGradScratch scratch;
    layer.backward(c.bags.view(), dout, whole, scratch);
    for (size_t parts : {2, 3}) {
      std::vector<Bags> owned;
      for (size_t s = 0; s < parts; ++s) owned.push_back(shard_of(c.bags, n * s / parts, n * (s + 1) / parts));
      std::vector<BagBatch> shards;
      std::vector<ConstMatrixView> douts;
      for (size_t s = 0; s < parts; ++s) {
        shards.push_back(owned[s].view());
        douts.push_back(dout.view().rows_slice(n * s / parts, n * (s + 1) / parts - n * s / parts));
      }
      RowGrad sharded;
      build_row_grad(shards, douts, c.pooling, sharded, scratch);
      EXPECT_EQ(sharded.rows, whole.rows) << parts << " shards";
      ASSERT_EQ(sharded.values.size(), whole.values.size()) << parts << " shards";
      for (size_t i = 0; i < whole.values.size(); ++i)
        EXPECT_EQ(sharded.values.data()[i], whole.values.data()[i]) << parts << " shards, element " << i;
    }
  }
}

// A window of bags [begin, end) that views the batch's memory: offsets keep their absolute
// values (they need not start at 0), ids and weights are the matching sub-spans.
BagBatch window_of(const Bags& all, size_t begin, size_t end) {
  const BagBatch v = all.view();
  const size_t lo = v.bag_begin(begin), hi = end > begin ? v.bag_end(end - 1) : lo;
  BagBatch w;
  w.ids = v.ids.subspan(lo, hi - lo);
  if (!v.weights.empty()) w.weights = v.weights.subspan(lo, hi - lo);
  if (!v.offsets.empty()) w.offsets = v.offsets.subspan(begin, end - begin + 1);
  return w;
}

TEST(EmbeddingBag, WindowsOfABatchNeedNoRebasedOffsets) {
  uint64_t seed = 90;
  for (const auto& c : cases()) {
    if (c.bags.offsets.empty() || c.bags.count() < 3) continue;
    SCOPED_TRACE(c.name);
    const EmbeddingBag layer = make_layer(c, seed++);
    const size_t n = c.bags.count();
    Tensor whole_out(n, c.dim);
    layer.forward(c.bags.view(), whole_out);
    Rng rng(seed);
    const Tensor dout = random_tensor(n, c.dim, rng);
    RowGrad whole, windowed;
    RowGradScratch scratch;
    layer.backward(c.bags.view(), dout, whole, scratch);
    const size_t cut1 = 1, cut2 = n - 1;  // windows [0,1) [1,n-1) [n-1,n): inner offsets start > 0
    std::vector<BagBatch> shards = {window_of(c.bags, 0, cut1), window_of(c.bags, cut1, cut2),
                                    window_of(c.bags, cut2, n)};
    std::vector<ConstMatrixView> douts = {dout.view().rows_slice(0, cut1), dout.view().rows_slice(cut1, cut2 - cut1),
                                          dout.view().rows_slice(cut2, n - cut2)};
    size_t row = 0;
    for (const BagBatch& w : shards) {
      Tensor out(w.bags(), c.dim);
      layer.forward(w, out);
      for (size_t b = 0; b < w.bags(); ++b, ++row)
        for (size_t j = 0; j < c.dim; ++j) EXPECT_EQ(out.at(b, j), whole_out.at(row, j)) << "bag " << row;
    }
    build_row_grad(shards, douts, c.pooling, windowed, scratch);
    EXPECT_EQ(windowed.rows, whole.rows);
    ASSERT_EQ(windowed.values.size(), whole.values.size());
    for (size_t i = 0; i < whole.values.size(); ++i) EXPECT_EQ(windowed.values.data()[i], whole.values.data()[i]);
  }
}

TEST(EmbeddingBag, OutOfRangeIdThrows) {
  EmbeddingBag layer("emb.C7", 5, 3);
  Tensor out(2, 3);
  for (const Bags& bags : {Bags{{1, 5}, {}, {}}, Bags{{1, 2, 9}, {0, 2, 3}, {}}, Bags{{0, 7, 1}, {0, 3, 3}, {}},
                           Bags{{1, 5}, {}, {1.0f, 2.0f}}}) {
    try {
      layer.forward(bags.view(), out);
      ADD_FAILURE() << "forward accepted an id >= 5";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
      EXPECT_NE(std::string(e.what()).find("emb.C7"), std::string::npos) << e.what();
    }
  }
}

TEST(EmbeddingBag, InitAndNames) {
  EXPECT_EQ(parse_pooling("sum"), Pooling::kSum);
  EXPECT_EQ(parse_pooling(pooling_name(Pooling::kMean)), Pooling::kMean);
  EXPECT_THROW(parse_pooling("max"), Error);
  EXPECT_THROW(EmbeddingBag("e", 0, 4), Error);
  EXPECT_THROW(EmbeddingBag("e", 4, 0), Error);
  EmbeddingBag layer("emb.C1", 100, 8);
  EXPECT_TRUE(layer.table().sparse);
  EXPECT_EQ(layer.rows(), 100u);
  EXPECT_EQ(layer.dim(), 8u);
  Rng rng(1);
  layer.init(rng, 0.0f);  // default scale 1/sqrt(rows) = 0.1
  double max_abs = 0.0;
  for (float w : layer.table().value.span()) max_abs = std::max(max_abs, std::fabs(static_cast<double>(w)));
  EXPECT_LE(max_abs, 0.1);
  EXPECT_GT(max_abs, 0.09);
  layer.init(rng, 0.5f);
  max_abs = 0.0;
  for (float w : layer.table().value.span()) max_abs = std::max(max_abs, std::fabs(static_cast<double>(w)));
  EXPECT_LE(max_abs, 0.5);
  EXPECT_GT(max_abs, 0.45);
}

}  // namespace
}  // namespace reco::nn
