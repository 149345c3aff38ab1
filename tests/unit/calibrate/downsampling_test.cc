// Downsampling correction: simulation round trip, and alpha resolution from dataset meta.
#include "reco/calibrate/downsampling.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "reco/core/error.h"
#include "reco/data/dataset.h"
#include "reco/data/downsample.h"
#include "testing/testing.h"

namespace reco::calibrate {
namespace {

// Labels drawn from a known p, negatives kept at rate alpha: the empirical positive rate q
// of the kept rows is what a perfect model trained on them predicts; correcting q must give
// back p (within a few standard errors), while q itself is far off.
TEST(Downsampling, CorrectionRecoversTrueRate) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (const double p : {0.02, 0.1, 0.3}) {
    for (const double alpha : {0.05, 0.25, 0.7}) {
      const int n = 400000;
      double kept_pos = 0, kept_neg = 0;
      for (int i = 0; i < n; ++i) {
        if (u(rng) < p) {
          ++kept_pos;
        } else if (keep_negative(static_cast<uint64_t>(i), alpha, 99)) {
          ++kept_neg;
        }
      }
      const double q = kept_pos / (kept_pos + kept_neg);
      std::vector<float> probs{static_cast<float>(q)};
      correct_downsampled(probs, alpha);
      // Relative error of p_hat ~ sqrt(1/pos + 1/kept_neg); allow 5 of those.
      const double rel = 5.0 * std::sqrt(1.0 / kept_pos + 1.0 / kept_neg);
      EXPECT_NEAR(probs[0], p, rel * p) << "p=" << p << " alpha=" << alpha << " q=" << q;
      EXPECT_GT(std::abs(q - p), 3 * rel * p) << "the simulation must actually bias q";
    }
  }
}

TEST(Downsampling, CorrectionProperties) {
  std::vector<float> probs{0.0f, 0.25f, 0.5f, 1.0f};
  correct_downsampled(probs, 0.5);
  EXPECT_EQ(probs[0], 0.0f);
  EXPECT_EQ(probs[3], 1.0f);
  EXPECT_NEAR(probs[1], 0.25 / (0.25 + 0.75 / 0.5), 1e-7);
  EXPECT_NEAR(probs[2], 0.5 / (0.5 + 0.5 / 0.5), 1e-7);
  std::vector<float> same{0.3f};
  correct_downsampled(same, 1.0);
  EXPECT_EQ(same[0], 0.3f);
  EXPECT_THROW(correct_downsampled(same, 0.0), Error);
  EXPECT_THROW(correct_downsampled(same, 1.5), Error);
  std::vector<float> bad{1.5f};
  EXPECT_THROW(correct_downsampled(bad, 0.5), Error);
}

std::string write_dataset(const testing::TempDir& dir, const std::string& name, nlohmann::json extra) {
  const std::string path = dir.file(name);
  DatasetWriter w(path);
  w.set_rows(3);
  const std::vector<float> a{0, 1, 0}, b{1, 0, 0}, x{0.5f, 1.5f, 2.5f};
  w.add_f32({"x", ColumnRole::kDense, ColumnStorage::kF32, 0, "", {}}, x);
  w.add_f32({"click", ColumnRole::kLabel, ColumnStorage::kF32, 0, "", {}}, a);
  w.add_f32({"buy", ColumnRole::kLabel, ColumnStorage::kF32, 0, "", {}}, b);
  w.set_extra(std::move(extra));
  w.commit();
  return path;
}

TEST(Downsampling, AlphaFromIngestFormat) {
  testing::TempDir dir;
  const auto named = Dataset::open(write_dataset(
      dir, "named.ds", {{"downsampling", {{"alpha", 0.25}, {"label", "buy"}, {"seen", 10}, {"kept", 3}}}}));
  EXPECT_EQ(downsampling_alpha(named, "buy"), 0.25);
  EXPECT_EQ(downsampling_alpha(named, "click"), 1.0);
  // No label recorded: the alpha belongs to the first label column ("click") only.
  const auto unnamed = Dataset::open(write_dataset(dir, "unnamed.ds", {{"downsampling", {{"alpha", 0.5}}}}));
  EXPECT_EQ(downsampling_alpha(unnamed, "click"), 0.5);
  EXPECT_EQ(downsampling_alpha(unnamed, "buy"), 1.0);
  const auto empty_label =
      Dataset::open(write_dataset(dir, "empty.ds", {{"downsampling", {{"alpha", 0.5}, {"label", ""}}}}));
  EXPECT_EQ(downsampling_alpha(empty_label, "click"), 0.5);
  EXPECT_EQ(downsampling_alpha(empty_label, "buy"), 1.0);
  const auto none = Dataset::open(write_dataset(dir, "none.ds", {{"source", "x.csv"}}));
  EXPECT_EQ(downsampling_alpha(none, "click"), 1.0);
}

TEST(Downsampling, AlphaFromPerLabelFormat) {
  testing::TempDir dir;
  const nlohmann::json extra = {
      {"downsampling",
       {{"alpha", 0.5},
        {"label", "click"},
        {"per_label", {{"buy", {{"alpha", 0.125}, {"seen", 80}, {"kept", 10}}}}}}}};
  const auto ds = Dataset::open(write_dataset(dir, "multi.ds", extra));
  EXPECT_EQ(downsampling_alpha(ds, "buy"), 0.125);   // per_label wins
  EXPECT_EQ(downsampling_alpha(ds, "click"), 0.5);   // falls back to the top-level entry
  EXPECT_EQ(downsampling_alpha(ds, "other"), 1.0);
  const nlohmann::json both = {
      {"downsampling", {{"alpha", 0.5}, {"label", "click"}, {"per_label", {{"click", {{"alpha", 0.2}}}}}}}};
  EXPECT_EQ(downsampling_alpha(Dataset::open(write_dataset(dir, "both.ds", both)), "click"), 0.2);
}

TEST(Downsampling, WhichPartsWereDownsampled) {
  testing::TempDir dir;
  const auto ingest =
      Dataset::open(write_dataset(dir, "ingest.ds", {{"downsampling", {{"alpha", 0.5}, {"label", "click"}}}}));
  EXPECT_TRUE(part_downsampled(ingest, "validation"));
  EXPECT_TRUE(part_downsampled(ingest, "train"));
  const nlohmann::json train_only = {
      {"downsampling", {{"alpha", 0.5}, {"label", ""}, {"parts", {"train"}}, {"per_label", nlohmann::json::object()}}}};
  const auto samples = Dataset::open(write_dataset(dir, "samples.ds", train_only));
  EXPECT_TRUE(part_downsampled(samples, "train"));
  EXPECT_FALSE(part_downsampled(samples, "validation"));
  EXPECT_FALSE(part_downsampled(Dataset::open(write_dataset(dir, "plain.ds", nlohmann::json::object())), "train"));
  EXPECT_THROW(part_downsampled(nlohmann::json{{"downsampling", {{"parts", "train"}}}}, "train", "x"), Error);
}

TEST(Downsampling, BadAlphaNamesDatasetAndLabel) {
  testing::TempDir dir;
  const auto check_error = [&](const std::string& file, const nlohmann::json& extra, const std::string& label) {
    const std::string path = write_dataset(dir, file, extra);
    const auto ds = Dataset::open(path);
    try {
      downsampling_alpha(ds, label);
      ADD_FAILURE() << "no error for " << extra.dump();
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kCorrupt);
      EXPECT_NE(e.message().find(path), std::string::npos) << e.message();
      EXPECT_NE(e.message().find("'" + label + "'"), std::string::npos) << e.message();
    }
  };
  check_error("zero.ds", {{"downsampling", {{"alpha", 0.0}, {"label", "click"}}}}, "click");
  check_error("big.ds", {{"downsampling", {{"alpha", 1.5}, {"label", "buy"}}}}, "buy");
  check_error("str.ds", {{"downsampling", {{"alpha", "half"}, {"label", "click"}}}}, "click");
  check_error("per.ds", {{"downsampling", {{"per_label", {{"buy", {{"alpha", -0.5}}}}}}}}, "buy");
  check_error("perx.ds", {{"downsampling", {{"per_label", {{"buy", {{"seen", 3}}}}}}}}, "buy");
  // A bad alpha for another label does not concern this head.
  const auto ds = Dataset::open(write_dataset(dir, "other.ds", {{"downsampling", {{"alpha", 2.0}, {"label", "buy"}}}}));
  EXPECT_EQ(downsampling_alpha(ds, "click"), 1.0);
  EXPECT_THROW(downsampling_alpha(nlohmann::json{{"downsampling", 0.5}}, "click", "click", "x"), Error);
}

}  // namespace
}  // namespace reco::calibrate
