// Model file: save -> load -> predict_rows is bit-identical; corruption, a file of another
// kind and a dataset whose cardinality exceeds a table are rejected with clear errors.
#include <gtest/gtest.h>

#include <cstring>

#include "reco/core/error.h"
#include "reco/models/model_file.h"
#include "reco/train/trainer.h"
#include "testing/testing.h"
#include "unit/train/train_fixture.h"

namespace reco::models {
namespace {

using namespace reco::train::testing;
using reco::testing::TempDir;

ErrorCode load_error(const std::string& path, std::string* message = nullptr) {
  try {
    load_model(path);
  } catch (const Error& e) {
    if (message) *message = e.what();
    return e.code();
  }
  ADD_FAILURE() << path << " loaded without error";
  return ErrorCode::kInternal;
}

class ModelFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = dir_.file("d.dataset");
    generate(small_spec(800, 3), data_);
  }
  // A briefly trained model (non-trivial weights in every parameter).
  CtrModel trained(ModelKind kind, const Dataset& ds) {
    ModelSpec spec = small_dlrm();
    spec.kind = kind;
    CtrModel model(spec, resolve_features({}, ds));
    model.init(4);
    train::TrainOptions o;
    o.batch_size = 50;
    o.optimizer.kind = optim::OptimizerKind::kAdagrad;
    o.optimizer.schedule.base = 0.05f;
    train::Trainer t(model, o, quiet_ctx(1, 4));
    t.fit(ds, split_rows(ds, 0), {});
    return model;
  }
  TempDir dir_;
  std::string data_;
};

TEST_F(ModelFileTest, RoundTripScoresBitIdentically) {
  Dataset ds = Dataset::open(data_);
  std::vector<uint64_t> rows;
  for (uint64_t i = 0; i < ds.rows(); ++i) rows.push_back(ds.rows() - 1 - i);
  for (auto kind : {ModelKind::kDlrm, ModelKind::kMlp, ModelKind::kWideDeep, ModelKind::kLogistic}) {
    SCOPED_TRACE(std::string(model_kind_name(kind)));
    CtrModel model = trained(kind, ds);
    const std::string path = dir_.file(std::string(model_kind_name(kind)) + ".model");
    SaveOptions save;
    save.extra = {{"note", "test"}};
    save_model(path, model, save);
    LoadedModel loaded = load_model(path);
    EXPECT_EQ(loaded.extra.at("note"), "test");
    EXPECT_FALSE(loaded.train_state.has_value());
    EXPECT_EQ(loaded.model.spec().to_json(), model.spec().to_json());
    EXPECT_EQ(loaded.model.features().to_json(), model.features().to_json());
    EXPECT_TRUE(bit_identical(weights_of(model), weights_of(loaded.model)));
    const auto ctx = quiet_ctx(2, 1);
    const auto a = train::predict_rows(model, ds, rows, ctx);
    const auto b = train::predict_rows(loaded.model, ds, rows, ctx);
    ASSERT_EQ(a.size(), rows.size());
    EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0);
    // Scores are not all equal (a trained model discriminates).
    EXPECT_NE(*std::min_element(a.begin(), a.end()), *std::max_element(a.begin(), a.end()));
    const auto logits = train::predict_rows(loaded.model, ds, rows, ctx, true);
    EXPECT_NEAR(1.0 / (1.0 + std::exp(-logits[3])), a[3], 1e-6);
  }
}

// Scores do not depend on how rows are batched or sharded beyond float rounding (BLAS may
// sum in another order for another batch shape, so this is not bit for bit).
TEST_F(ModelFileTest, ScoresAgreeAcrossBatchSizesAndThreads) {
  Dataset ds = Dataset::open(data_);
  std::vector<uint64_t> rows;
  for (uint64_t i = 0; i < ds.rows(); i += 3) rows.push_back(i);
  CtrModel model = trained(ModelKind::kDlrm, ds);
  const auto base = train::predict_rows(model, ds, rows, quiet_ctx(1, 1), true);
  double worst = 0.0;
  for (int threads : {1, 3})
    for (size_t batch : {1, 7, 97, 4096}) {
      const auto other = train::predict_rows(model, ds, rows, quiet_ctx(threads, 1), true, batch);
      ASSERT_EQ(other.size(), base.size());
      for (size_t i = 0; i < base.size(); ++i) {
        ASSERT_NEAR(other[i], base[i], 1e-5) << "row " << rows[i] << ", threads " << threads << ", batch " << batch;
        worst = std::max(worst, static_cast<double>(std::abs(other[i] - base[i])));
      }
    }
  ::testing::Test::RecordProperty("max_abs_logit_diff", std::to_string(worst));
}

TEST_F(ModelFileTest, CorruptByteIsRejected) {
  Dataset ds = Dataset::open(data_);
  CtrModel model = trained(ModelKind::kDlrm, ds);
  const std::string path = dir_.file("m.model");
  save_model(path, model);
  std::string bytes = reco::testing::read_file(path);
  // Flip one byte in the middle (parameter data) and one near the end.
  for (size_t at : {bytes.size() / 2, bytes.size() - 9}) {
    std::string bad = bytes;
    bad[at] = static_cast<char>(bad[at] ^ 0x5a);
    const std::string bad_path = dir_.file("bad.model");
    reco::testing::write_file(bad_path, bad);
    EXPECT_EQ(load_error(bad_path), ErrorCode::kCorrupt) << "byte " << at;
  }
  // Truncation too.
  reco::testing::write_file(dir_.file("short.model"), bytes.substr(0, bytes.size() - 100));
  EXPECT_EQ(load_error(dir_.file("short.model")), ErrorCode::kCorrupt);
}

TEST_F(ModelFileTest, WrongKindIsRejected) {
  std::string message;
  const ErrorCode code = load_error(data_, &message);  // a dataset, not a model
  EXPECT_NE(code, ErrorCode::kInternal);
  EXPECT_NE(message.find("model"), std::string::npos) << message;
  EXPECT_NE(message.find("d.dataset"), std::string::npos) << message;
}

TEST_F(ModelFileTest, CheckpointCarriesTrainState) {
  Dataset ds = Dataset::open(data_);
  CtrModel model = trained(ModelKind::kMlp, ds);
  const std::string path = dir_.file("c.model");
  SaveOptions save;
  save.train_state = nlohmann::json{{"epoch", 3}};
  save_model(path, model, save);
  auto loaded = load_model(path);
  ASSERT_TRUE(loaded.train_state.has_value());
  EXPECT_EQ(loaded.train_state->at("epoch").get<int>(), 3);
  // No optimizer state was saved.
  auto opt = optim::make_optimizer(optim::OptimizerConfig{});
  for (auto* p : loaded.model.parameters()) opt->add(*p);
  try {
    load_optimizer_state(path, *opt);
    ADD_FAILURE() << "optimizer state loaded from a file without one";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  }
}

TEST_F(ModelFileTest, LargerCardinalityIsRejectedNamingTheColumn) {
  Dataset ds = Dataset::open(data_);
  CtrModel model = trained(ModelKind::kDlrm, ds);
  RandomDatasetSpec bigger = small_spec(300, 9);
  bigger.table_sizes = {20, 31, 15};  // cat_1 grows past the model's table
  const std::string other = dir_.file("other.dataset");
  generate(bigger, other);
  Dataset ods = Dataset::open(other);
  try {
    check_features(model.features(), ods, /*require_label=*/false);
    ADD_FAILURE() << "a larger cardinality was accepted";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("cat_1"), std::string::npos) << msg;
    EXPECT_EQ(msg.find("cat_0"), std::string::npos) << msg;
    EXPECT_NE(msg.find("31"), std::string::npos) << msg;
  }
  // The same shape with equal cardinalities is accepted.
  EXPECT_NO_THROW(check_features(model.features(), ds, true));
}

}  // namespace
}  // namespace reco::models
