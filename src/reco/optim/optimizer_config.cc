#include "reco/optim/optimizer_config.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

#include "reco/core/error.h"

namespace reco::optim {

namespace {

constexpr std::string_view kValidKeys =
    "kind (or name), lr, momentum, nesterov, beta1, beta2, epsilon, adagrad_init, weight_decay, decoupled_decay, "
    "embedding_lr_scale, embedding_weight_decay, warmup_steps, decay, decay_start, decay_steps, min_factor, gamma, "
    "power";

// One configuration value, read from TOML or JSON, with its type.
struct Value {
  enum class Type { kFloat, kInteger, kBool, kString, kOther } type = Type::kOther;
  double number = 0.0;
  int64_t integer = 0;
  bool flag = false;
  std::string text;
};

std::string_view type_name(Value::Type t) {
  switch (t) {
    case Value::Type::kFloat:
      return "a float";
    case Value::Type::kInteger:
      return "an integer";
    case Value::Type::kBool:
      return "a boolean";
    case Value::Type::kString:
      return "a string";
    case Value::Type::kOther:
      break;
  }
  return "a table or array";
}

// Applies key = value to `c`; `where` already names the file/table and line.
class KeyApplier {
 public:
  KeyApplier(OptimizerConfig& c, std::string where) : c_(c), where_(std::move(where)) {}
  void set_where(std::string where) { where_ = std::move(where); }

  void apply(std::string_view key, const Value& v) {
    key_ = key;
    value_ = &v;
    if (key == "kind" || key == "name") {
      if (seen_kind_) fail("repeats the optimizer: give 'kind' or 'name', not both");
      seen_kind_ = true;
      c_.kind = parse_name(parse_optimizer_kind);
    } else if (key == "lr") {
      c_.schedule.base = number();
    } else if (key == "momentum") {
      c_.momentum = number();
    } else if (key == "nesterov") {
      c_.nesterov = boolean();
    } else if (key == "beta1") {
      c_.beta1 = number();
    } else if (key == "beta2") {
      c_.beta2 = number();
    } else if (key == "epsilon") {
      c_.epsilon = number();
    } else if (key == "adagrad_init") {
      c_.adagrad_init = number();
    } else if (key == "weight_decay") {
      c_.weight_decay = number();
    } else if (key == "decoupled_decay") {
      c_.decoupled_decay = boolean();
    } else if (key == "embedding_lr_scale") {
      c_.embedding_lr_scale = number();
    } else if (key == "embedding_weight_decay") {
      c_.embedding_weight_decay = number();
    } else if (key == "warmup_steps") {
      c_.schedule.warmup_steps = integer();
    } else if (key == "decay") {
      c_.schedule.decay = parse_name(parse_lr_decay);
    } else if (key == "decay_start") {
      c_.schedule.decay_start = integer();
    } else if (key == "decay_steps") {
      c_.schedule.decay_steps = integer();
    } else if (key == "min_factor") {
      c_.schedule.min_factor = number();
    } else if (key == "gamma") {
      c_.schedule.gamma = number();
    } else if (key == "power") {
      c_.schedule.power = number();
    } else {
      RECO_THROW(ErrorCode::kInvalidArgument) << where_ << ": unknown optimizer key '" << key << "'; valid keys: "
                                              << kValidKeys;
    }
  }

 private:
  [[noreturn]] void fail(std::string_view message) const {
    throw Error(ErrorCode::kInvalidArgument,
                where_ + ": optimizer key '" + std::string(key_) + "' " + std::string(message), __FILE__, __LINE__);
  }
  [[noreturn]] void type_error(std::string_view expected) const {
    fail("must be " + std::string(expected) + ", got " + std::string(type_name(value_->type)));
  }
  // Runs a name parser, prefixing its error with where and the key.
  template <typename T>
  T parse_name(T (*parse)(std::string_view)) const {
    const std::string& name = string();
    try {
      return parse(name);
    } catch (const Error& e) {
      fail(": " + e.message());
    }
  }

  float number() const {
    double d = 0.0;
    if (value_->type == Value::Type::kFloat) {
      d = value_->number;
    } else if (value_->type == Value::Type::kInteger) {
      d = static_cast<double>(value_->integer);
    } else {
      type_error("a number");
    }
    if (!std::isfinite(d) || std::fabs(d) > std::numeric_limits<float>::max()) {
      fail("must be a finite float, got " + std::to_string(d));
    }
    return static_cast<float>(d);
  }
  int64_t integer() const {
    if (value_->type != Value::Type::kInteger) type_error("an integer");
    return value_->integer;
  }
  bool boolean() const {
    if (value_->type != Value::Type::kBool) type_error("true or false");
    return value_->flag;
  }
  const std::string& string() const {
    if (value_->type != Value::Type::kString) type_error("a string");
    return value_->text;
  }

  OptimizerConfig& c_;
  std::string where_;
  std::string_view key_;
  const Value* value_ = nullptr;
  bool seen_kind_ = false;
};

Value from_toml(const toml::node& n) {
  Value v;
  if (n.is_floating_point()) {
    v.type = Value::Type::kFloat;
    v.number = n.as_floating_point()->get();
  } else if (n.is_integer()) {
    v.type = Value::Type::kInteger;
    v.integer = n.as_integer()->get();
  } else if (n.is_boolean()) {
    v.type = Value::Type::kBool;
    v.flag = n.as_boolean()->get();
  } else if (n.is_string()) {
    v.type = Value::Type::kString;
    v.text = n.as_string()->get();
  }
  return v;
}

Value from_json(const nlohmann::json& j) {
  Value v;
  if (j.is_number_float()) {
    v.type = Value::Type::kFloat;
    v.number = j.get<double>();
  } else if (j.is_number_integer()) {
    v.type = Value::Type::kInteger;
    if (j.is_number_unsigned() && j.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      v.type = Value::Type::kFloat;
      v.number = j.get<double>();
    } else {
      v.integer = j.get<int64_t>();
    }
  } else if (j.is_boolean()) {
    v.type = Value::Type::kBool;
    v.flag = j.get<bool>();
  } else if (j.is_string()) {
    v.type = Value::Type::kString;
    v.text = j.get<std::string>();
  }
  return v;
}

// Validates, prefixing the message with where.
void validate_at(const OptimizerConfig& c, std::string_view where) {
  try {
    c.validate();
  } catch (const Error& e) {
    throw Error(e.code(), std::string(where) + ": " + e.message(), e.source_file(), e.source_line());
  }
}

// The shortest decimal that reads back as exactly `f`, as a double for JSON.
double shortest(float f) {
  char buf[32];
  const auto res = std::to_chars(buf, buf + sizeof(buf), f);
  double d = 0.0;
  std::from_chars(buf, res.ptr, d);
  return d;
}

}  // namespace

OptimizerConfig optimizer_config_from_toml(const toml::table& t, std::string_view where) {
  OptimizerConfig c;
  KeyApplier applier(c, std::string(where));
  for (const auto& [key, node] : t) {
    std::string at(where);
    if (node.source().begin.line > 0) at += " (line " + std::to_string(node.source().begin.line) + ")";
    applier.set_where(std::move(at));
    applier.apply(key.str(), from_toml(node));
  }
  validate_at(c, where);
  return c;
}

nlohmann::json optimizer_config_to_json(const OptimizerConfig& c) {
  const LrSchedule& s = c.schedule;
  return nlohmann::json{{"kind", optimizer_kind_name(c.kind)},
                        {"lr", shortest(s.base)},
                        {"momentum", shortest(c.momentum)},
                        {"nesterov", c.nesterov},
                        {"beta1", shortest(c.beta1)},
                        {"beta2", shortest(c.beta2)},
                        {"epsilon", shortest(c.epsilon)},
                        {"adagrad_init", shortest(c.adagrad_init)},
                        {"weight_decay", shortest(c.weight_decay)},
                        {"decoupled_decay", c.decoupled_decay},
                        {"embedding_lr_scale", shortest(c.embedding_lr_scale)},
                        {"embedding_weight_decay", shortest(c.embedding_weight_decay)},
                        {"warmup_steps", s.warmup_steps},
                        {"decay", lr_decay_name(s.decay)},
                        {"decay_start", s.decay_start},
                        {"decay_steps", s.decay_steps},
                        {"min_factor", shortest(s.min_factor)},
                        {"gamma", shortest(s.gamma)},
                        {"power", shortest(s.power)}};
}

OptimizerConfig optimizer_config_from_json(const nlohmann::json& j, std::string_view where) {
  if (!j.is_object()) {
    RECO_THROW(ErrorCode::kInvalidArgument) << where << ": optimizer config must be a JSON object, got "
                                            << j.type_name();
  }
  OptimizerConfig c;
  KeyApplier applier(c, std::string(where));
  for (const auto& [key, value] : j.items()) applier.apply(key, from_json(value));
  validate_at(c, where);
  return c;
}

}  // namespace reco::optim
