// TrainConfig parsing: a full valid file, unknown keys/tables named with their line, wrong
// value types, architecture checks (dot interaction needs bottom[-1] == embedding_dim, top
// ends with 1) and paths resolved against the config's directory.
#include <gtest/gtest.h>

#include <filesystem>

#include "reco/core/error.h"
#include "reco/train/train_config.h"
#include "testing/testing.h"

namespace reco::train {
namespace {

constexpr const char* kFull = R"([data]
path = "data/train.dataset"
eval = "test"
dense = ["dense_0", "dense_1"]
sparse = ["*"]
exclude = ["cat_3"]
label = "label"

[model]
kind = "dlrm"
embedding_dim = 8
embedding_init = 0.05
pooling = "mean"
bottom = [32, 8]
top = [16, 1]
interaction = "dot"
self_interaction = true
activation = "tanh"
dropout = 0.1

[optimizer]
kind = "adagrad"
lr = 0.05

[train]
batch_size = 256
epochs = 3
max_steps = 1000
loss = "bce"
shuffle = false
metrics = ["auc", "logloss"]
monitor = "logloss"
patience = 2
keep_best = false
checkpoint = "ckpt/last.model"
resume = "/abs/resume.model"
eval_batch_size = 1024
threads = 3
seed = 7

[output]
model = "out/model.bin"
)";

TrainConfig parse(const std::string& text) { return parse_train_config(text, "cfg.toml", "/base/dir"); }

// Runs parse and returns the error (fails the test when nothing is thrown).
Error parse_error(const std::string& text) {
  try {
    parse(text);
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no error for:\n" << text;
  return Error(ErrorCode::kInternal, "none");
}

TEST(TrainConfig, FullValidFile) {
  const TrainConfig c = parse(kFull);
  EXPECT_EQ(c.data_path, "/base/dir/data/train.dataset");
  EXPECT_EQ(c.eval_split, "test");
  EXPECT_EQ(c.features.dense, (std::vector<std::string>{"dense_0", "dense_1"}));
  EXPECT_EQ(c.features.sparse, (std::vector<std::string>{"*"}));
  EXPECT_EQ(c.features.exclude, (std::vector<std::string>{"cat_3"}));
  EXPECT_EQ(c.features.label, "label");
  EXPECT_EQ(c.model.kind, models::ModelKind::kDlrm);
  EXPECT_EQ(c.model.embedding_dim, 8u);
  EXPECT_FLOAT_EQ(c.model.embedding_init, 0.05f);
  EXPECT_EQ(c.model.pooling, nn::Pooling::kMean);
  EXPECT_EQ(c.model.bottom, (std::vector<size_t>{32, 8}));
  EXPECT_EQ(c.model.top, (std::vector<size_t>{16, 1}));
  EXPECT_EQ(c.model.interaction, nn::InteractionKind::kDot);
  EXPECT_TRUE(c.model.self_interaction);
  EXPECT_EQ(c.model.activation, nn::Activation::kTanh);
  EXPECT_FLOAT_EQ(c.model.dropout, 0.1f);
  EXPECT_EQ(c.train.optimizer.kind, optim::OptimizerKind::kAdagrad);
  EXPECT_FLOAT_EQ(c.train.optimizer.schedule.base, 0.05f);
  EXPECT_EQ(c.train.batch_size, 256u);
  EXPECT_EQ(c.train.epochs, 3);
  EXPECT_EQ(c.train.max_steps, 1000);
  EXPECT_EQ(c.train.loss, nn::LossKind::kBceWithLogits);
  EXPECT_FALSE(c.train.shuffle);
  EXPECT_EQ(c.train.metrics, (std::vector<std::string>{"auc", "logloss"}));
  EXPECT_EQ(c.train.monitor, "logloss");
  EXPECT_EQ(c.train.patience, 2);
  EXPECT_FALSE(c.train.keep_best);
  EXPECT_EQ(c.train.checkpoint, "/base/dir/ckpt/last.model");
  EXPECT_EQ(c.train.resume, "/abs/resume.model");  // absolute paths stay
  EXPECT_EQ(c.train.eval_batch_size, 1024u);
  EXPECT_EQ(c.threads, 3);
  EXPECT_EQ(c.seed, 7u);
  EXPECT_EQ(c.output_model, "/base/dir/out/model.bin");
  EXPECT_EQ(c.source_text, kFull);
}

TEST(TrainConfig, DefaultsFromAMinimalFile) {
  const TrainConfig c = parse("[data]\npath = \"d.dataset\"\n");
  EXPECT_EQ(c.data_path, "/base/dir/d.dataset");
  EXPECT_EQ(c.eval_split, "validation");
  EXPECT_EQ(c.model.kind, models::ModelKind::kDlrm);
  EXPECT_EQ(c.train.monitor, "auc");
  EXPECT_TRUE(c.output_model.empty());
}

TEST(TrainConfig, LoadResolvesAgainstTheConfigDirectory) {
  reco::testing::TempDir dir;
  std::filesystem::create_directories(dir.path() / "sub");
  const std::string path = (dir.path() / "sub" / "t.toml").string();
  reco::testing::write_file(path, "[data]\npath = \"../d.dataset\"\n[output]\nmodel = \"m.model\"\n");
  const TrainConfig c = load_train_config(path);
  EXPECT_EQ(c.data_path, (dir.path() / "d.dataset").lexically_normal().string());
  EXPECT_EQ(c.output_model, (dir.path() / "sub" / "m.model").string());
  try {
    load_train_config(dir.file("missing.toml"));
    ADD_FAILURE() << "missing file accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_NE(std::string(e.what()).find("missing.toml"), std::string::npos) << e.what();
  }
}

TEST(TrainConfig, UnknownKeyNamesKeyAndLine) {
  const Error e = parse_error("[data]\npath = \"d\"\n\n[model]\nkind = \"mlp\"\nembeding_dim = 8\n");
  EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  const std::string msg = e.what();
  EXPECT_NE(msg.find("cfg.toml:6"), std::string::npos) << msg;
  EXPECT_NE(msg.find("model.embeding_dim"), std::string::npos) << msg;
  EXPECT_NE(msg.find("embedding_dim"), std::string::npos) << msg;  // the valid keys are listed
}

TEST(TrainConfig, UnknownTableNamesItAndLine) {
  const Error e = parse_error("[data]\npath = \"d\"\n[trian]\nepochs = 2\n");
  EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  const std::string msg = e.what();
  EXPECT_NE(msg.find("trian"), std::string::npos) << msg;
  EXPECT_NE(msg.find("cfg.toml:3"), std::string::npos) << msg;
}

TEST(TrainConfig, UnknownTrainKey) {
  const Error e = parse_error("[data]\npath = \"d\"\n[train]\nepochs = 2\nbatchsize = 3\n");
  EXPECT_NE(std::string(e.what()).find("train.batchsize"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("cfg.toml:5"), std::string::npos) << e.what();
}

TEST(TrainConfig, WrongTypes) {
  {
    const Error e = parse_error("[data]\npath = \"d\"\n[train]\nepochs = \"two\"\n");
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("epochs"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("integer"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("cfg.toml:4"), std::string::npos) << e.what();
  }
  {
    const Error e = parse_error("[data]\npath = \"d\"\n[model]\nbottom = 16\n");
    EXPECT_NE(std::string(e.what()).find("bottom"), std::string::npos) << e.what();
  }
  {
    const Error e = parse_error("[data]\npath = 3\n");
    EXPECT_NE(std::string(e.what()).find("path"), std::string::npos) << e.what();
  }
  {
    const Error e = parse_error("[data]\npath = \"d\"\n[train]\nshuffle = 1\n");
    EXPECT_NE(std::string(e.what()).find("shuffle"), std::string::npos) << e.what();
  }
  {
    const Error e = parse_error("data = 3\n");
    EXPECT_NE(std::string(e.what()).find("data"), std::string::npos) << e.what();
  }
}

TEST(TrainConfig, DotInteractionNeedsBottomEndingInEmbeddingDim) {
  const Error e = parse_error("[data]\npath = \"d\"\n[model]\nembedding_dim = 8\nbottom = [16, 4]\ntop = [8, 1]\n");
  EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(std::string(e.what()).find("bottom"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("cfg.toml"), std::string::npos) << e.what();
  // The concatenation interaction has no such constraint.
  EXPECT_NO_THROW(
      parse("[data]\npath = \"d\"\n[model]\nembedding_dim = 8\nbottom = [16, 4]\ntop = [8, 1]\ninteraction = \"cat\"\n"));
}

TEST(TrainConfig, TopMustEndWithOne) {
  const Error e = parse_error("[data]\npath = \"d\"\n[model]\nkind = \"mlp\"\ntop = [8, 2]\n");
  EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(std::string(e.what()).find("top"), std::string::npos) << e.what();
}

TEST(TrainConfig, BadValuesAndSyntax) {
  EXPECT_EQ(parse_error("[data]\npath = \"d\"\n[model]\nkind = \"cnn\"\n").code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(parse_error("[data]\npath = \"d\"\n[data.eval]\n").code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(parse_error("[model]\nkind = \"mlp\"\n").code(), ErrorCode::kInvalidArgument);  // no [data]
  const Error syntax = parse_error("[data]\npath = \"d\n");
  EXPECT_EQ(syntax.code(), ErrorCode::kParse);
  EXPECT_NE(std::string(syntax.what()).find("cfg.toml:2"), std::string::npos) << syntax.what();
  EXPECT_EQ(parse_error("[data]\npath = \"d\"\n[train]\nbatch_size = 0\n").code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace reco::train
