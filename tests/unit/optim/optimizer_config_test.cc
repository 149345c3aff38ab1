#include "reco/optim/optimizer_config.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "reco/core/error.h"

namespace reco::optim {
namespace {

OptimizerConfig parse(std::string_view text) {
  const toml::table t = toml::parse(text);
  return optimizer_config_from_toml(t, "model.toml [optimizer]");
}

// The error message of parsing `text`; fails the test when parsing succeeds.
std::string error_of(std::string_view text) {
  try {
    parse(text);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument) << e.message();
    EXPECT_NE(e.message().find("model.toml [optimizer]"), std::string::npos) << e.message();
    return e.message();
  }
  ADD_FAILURE() << "accepted: " << text;
  return "";
}

TEST(OptimizerConfigToml, ReadsEveryKey) {
  const OptimizerConfig c = parse(R"(
    kind = "lazy_adam"
    lr = 0.002
    momentum = 0.5
    nesterov = true
    beta1 = 0.8
    beta2 = 0.99
    epsilon = 1e-6
    adagrad_init = 0.1
    weight_decay = 0.01
    decoupled_decay = true
    embedding_lr_scale = 4
    embedding_weight_decay = 0.001
    warmup_steps = 100
    decay = "polynomial"
    decay_start = 200
    decay_steps = 1000
    min_factor = 0.05
    gamma = 0.5
    power = 3
  )");
  EXPECT_EQ(c.kind, OptimizerKind::kLazyAdam);
  EXPECT_EQ(c.schedule.base, 0.002f);
  EXPECT_EQ(c.momentum, 0.5f);
  EXPECT_TRUE(c.nesterov);
  EXPECT_EQ(c.beta1, 0.8f);
  EXPECT_EQ(c.beta2, 0.99f);
  EXPECT_EQ(c.epsilon, 1e-6f);
  EXPECT_EQ(c.adagrad_init, 0.1f);
  EXPECT_EQ(c.weight_decay, 0.01f);
  EXPECT_TRUE(c.decoupled_decay);
  EXPECT_EQ(c.embedding_lr_scale, 4.0f);
  EXPECT_EQ(c.embedding_weight_decay, 0.001f);
  EXPECT_EQ(c.schedule.warmup_steps, 100);
  EXPECT_EQ(c.schedule.decay, LrDecay::kPolynomial);
  EXPECT_EQ(c.schedule.decay_start, 200);
  EXPECT_EQ(c.schedule.decay_steps, 1000);
  EXPECT_EQ(c.schedule.min_factor, 0.05f);
  EXPECT_EQ(c.schedule.gamma, 0.5f);
  EXPECT_EQ(c.schedule.power, 3.0f);
}

TEST(OptimizerConfigToml, DefaultsAndNameAlias) {
  const OptimizerConfig c = parse(R"(name = "adagrad")");
  EXPECT_EQ(c.kind, OptimizerKind::kAdagrad);
  const OptimizerConfig d;
  EXPECT_EQ(c.schedule.base, d.schedule.base);
  EXPECT_EQ(c.beta2, d.beta2);
  EXPECT_EQ(parse("").kind, OptimizerKind::kSgd);
}

TEST(OptimizerConfigToml, UnknownKeyListsValidKeys) {
  const std::string m = error_of("kind = \"sgd\"\nlearning_rate = 0.1\n");
  EXPECT_NE(m.find("learning_rate"), std::string::npos) << m;
  EXPECT_NE(m.find("valid keys"), std::string::npos) << m;
  EXPECT_NE(m.find("embedding_lr_scale"), std::string::npos) << m;
  EXPECT_NE(m.find("line 2"), std::string::npos) << m;
}

TEST(OptimizerConfigToml, WrongTypes) {
  std::string m = error_of(R"(lr = "fast")");
  EXPECT_NE(m.find("'lr' must be a number, got a string"), std::string::npos) << m;
  m = error_of("nesterov = 1");
  EXPECT_NE(m.find("'nesterov' must be true or false, got an integer"), std::string::npos) << m;
  m = error_of("warmup_steps = 1.5");
  EXPECT_NE(m.find("'warmup_steps' must be an integer, got a float"), std::string::npos) << m;
  m = error_of("kind = 3");
  EXPECT_NE(m.find("'kind' must be a string"), std::string::npos) << m;
  m = error_of("decay = [\"linear\"]");
  EXPECT_NE(m.find("'decay' must be a string, got a table or array"), std::string::npos) << m;
  m = error_of("lr = 1e300");
  EXPECT_NE(m.find("finite float"), std::string::npos) << m;
}

TEST(OptimizerConfigToml, BadNamesAndValues) {
  std::string m = error_of(R"(kind = "rmsprop")");
  EXPECT_NE(m.find("rmsprop"), std::string::npos) << m;
  EXPECT_NE(m.find("lazy_adam"), std::string::npos) << m;
  m = error_of(R"(decay = "exponential")");
  EXPECT_NE(m.find("exponential"), std::string::npos) << m;
  m = error_of("kind = \"sgd\"\nname = \"adam\"");
  EXPECT_NE(m.find("not both"), std::string::npos) << m;
  m = error_of("momentum = 1.5");
  EXPECT_NE(m.find("momentum"), std::string::npos) << m;
  m = error_of(R"(decay = "cosine")");  // no decay_steps
  EXPECT_NE(m.find("decay_steps"), std::string::npos) << m;
  m = error_of("nesterov = true");  // without momentum
  EXPECT_NE(m.find("nesterov"), std::string::npos) << m;
}

TEST(OptimizerConfigJson, RoundTripIsExact) {
  OptimizerConfig c;
  c.kind = OptimizerKind::kAdam;
  c.schedule.base = 0.0031f;
  c.schedule.warmup_steps = 7;
  c.schedule.decay = LrDecay::kStep;
  c.schedule.decay_steps = 3;
  c.schedule.gamma = 0.7f;
  c.schedule.min_factor = 0.01f;
  c.beta1 = 0.85f;
  c.epsilon = 3e-7f;
  c.weight_decay = 1e-4f;
  c.decoupled_decay = true;
  c.embedding_lr_scale = 0.3f;
  const nlohmann::json j = optimizer_config_to_json(c);
  EXPECT_EQ(j.at("kind"), "adam");
  EXPECT_EQ(j.at("decay"), "step");
  EXPECT_EQ(j.at("lr").get<double>(), 0.0031);  // shortest decimal, not 0.003100000089...
  const OptimizerConfig back = optimizer_config_from_json(nlohmann::json::parse(j.dump()), "model.json");
  EXPECT_EQ(optimizer_config_to_json(back), j);
  EXPECT_EQ(back.schedule.base, c.schedule.base);
  EXPECT_EQ(back.epsilon, c.epsilon);
  EXPECT_EQ(back.embedding_lr_scale, c.embedding_lr_scale);
  EXPECT_EQ(back.schedule.decay, c.schedule.decay);
  EXPECT_EQ(back.decoupled_decay, c.decoupled_decay);
}

TEST(OptimizerConfigJson, Errors) {
  EXPECT_THROW(optimizer_config_from_json(nlohmann::json::array(), "m.json"), Error);
  try {
    optimizer_config_from_json(nlohmann::json{{"kind", "sgd"}, {"bogus", 1}}, "m.json");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("m.json"), std::string::npos);
    EXPECT_NE(e.message().find("bogus"), std::string::npos);
  }
  EXPECT_THROW(optimizer_config_from_json(nlohmann::json{{"lr", "x"}}, "m.json"), Error);
}

}  // namespace
}  // namespace reco::optim
