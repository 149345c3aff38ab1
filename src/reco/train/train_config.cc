#include "reco/train/train_config.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <toml++/toml.h>

#include "reco/calibrate/calibrator.h"
#include "reco/core/error.h"
#include "reco/optim/optimizer_config.h"

namespace reco::train {

namespace {

std::string where(const std::string& source, const toml::node& n) {
  std::ostringstream o;
  o << source << ":" << n.source().begin.line;
  return o.str();
}

[[noreturn]] void bad(const std::string& at, std::string_view key, std::string_view what) {
  RECO_THROW(ErrorCode::kInvalidArgument) << at << ": " << key << ": " << what;
}

void check_keys(const toml::table& t, const std::string& source, std::string_view table,
                std::initializer_list<std::string_view> valid) {
  for (const auto& [k, v] : t) {
    bool ok = false;
    for (auto name : valid) ok = ok || k.str() == name;
    if (!ok) {
      std::string list;
      for (auto name : valid) list += (list.empty() ? "" : ", ") + std::string(name);
      bad(where(source, v), std::string(table) + "." + std::string(k.str()), "unknown key (valid: " + list + ")");
    }
  }
}

std::string get_string(const toml::table& t, std::string_view key, const std::string& source, std::string def) {
  const toml::node* n = t.get(key);
  if (!n) return def;
  if (auto s = n->value<std::string>()) return *s;
  bad(where(source, *n), key, "expected a string");
}

int64_t get_int(const toml::table& t, std::string_view key, const std::string& source, int64_t def) {
  const toml::node* n = t.get(key);
  if (!n) return def;
  if (n->is_integer()) return *n->value<int64_t>();
  bad(where(source, *n), key, "expected an integer");
}

double get_number(const toml::table& t, std::string_view key, const std::string& source, double def) {
  const toml::node* n = t.get(key);
  if (!n) return def;
  if (n->is_number()) return *n->value<double>();
  bad(where(source, *n), key, "expected a number");
}

bool get_bool(const toml::table& t, std::string_view key, const std::string& source, bool def) {
  const toml::node* n = t.get(key);
  if (!n) return def;
  if (auto b = n->value_exact<bool>()) return *b;  // exact: value<bool>() would accept 0 and 1
  bad(where(source, *n), key, "expected true or false");
}

std::vector<std::string> get_strings(const toml::table& t, std::string_view key, const std::string& source,
                                     std::vector<std::string> def) {
  const toml::node* n = t.get(key);
  if (!n) return def;
  std::vector<std::string> out;
  if (auto s = n->value<std::string>()) return {*s};
  const toml::array* a = n->as_array();
  if (!a) bad(where(source, *n), key, "expected a list of strings");
  for (const auto& e : *a) {
    auto s = e.value<std::string>();
    if (!s) bad(where(source, e), key, "expected a list of strings");
    out.push_back(*s);
  }
  return out;
}

std::vector<size_t> get_sizes(const toml::table& t, std::string_view key, const std::string& source,
                              std::vector<size_t> def) {
  const toml::node* n = t.get(key);
  if (!n) return def;
  const toml::array* a = n->as_array();
  if (!a) bad(where(source, *n), key, "expected a list of layer sizes, e.g. [512, 256, 1]");
  std::vector<size_t> out;
  for (const auto& e : *a) {
    auto v = e.value<int64_t>();
    if (!v || *v <= 0) bad(where(source, e), key, "layer sizes must be positive integers");
    out.push_back(static_cast<size_t>(*v));
  }
  return out;
}

const toml::table* table_or_null(const toml::table& root, std::string_view name, const std::string& source) {
  const toml::node* n = root.get(name);
  if (!n) return nullptr;
  const toml::table* t = n->as_table();
  if (!t) bad(where(source, *n), name, "expected a table [" + std::string(name) + "]");
  return t;
}

std::string resolve(const std::string& base_dir, const std::string& p) {
  if (p.empty() || std::filesystem::path(p).is_absolute() || base_dir.empty()) return p;
  return (std::filesystem::path(base_dir) / p).lexically_normal().string();
}

}  // namespace

TrainConfig parse_train_config(std::string_view text, const std::string& source, const std::string& base_dir) {
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    RECO_THROW(ErrorCode::kParse) << source << ":" << e.source().begin.line << ":" << e.source().begin.column
                                  << ": " << e.description();
  }
  check_keys(root, source, "config",
             {"data", "model", "task", "position", "optimizer", "train", "calibration", "utility", "output"});
  TrainConfig c;
  c.source_text = std::string(text);
  static const toml::table kEmpty;
  const toml::table* data = table_or_null(root, "data", source);
  if (!data) RECO_THROW(ErrorCode::kInvalidArgument) << source << ": missing [data] table with path = \"...\"";
  check_keys(*data, source, "data", {"path", "eval", "dense", "sparse", "exclude", "label", "weight"});
  c.data_path = resolve(base_dir, get_string(*data, "path", source, ""));
  c.eval_split = get_string(*data, "eval", source, "validation");
  if (c.eval_split != "validation" && c.eval_split != "test" && c.eval_split != "none")
    bad(source, "data.eval", "expected validation, test or none");
  c.features.dense = get_strings(*data, "dense", source, {"*"});
  c.features.sparse = get_strings(*data, "sparse", source, {"*"});
  c.features.exclude = get_strings(*data, "exclude", source, {});
  c.features.label = get_string(*data, "label", source, "");
  c.features.weight = get_string(*data, "weight", source, "");
  if (const toml::node* tn = root.get("task")) {
    const toml::array* arr = tn->as_array();
    if (!arr || !arr->is_array_of_tables()) bad(where(source, *tn), "task", "expected [[task]] tables");
    for (const auto& e : *arr) {
      const toml::table& tt = *e.as_table();
      check_keys(tt, source, "task", {"name", "label", "mask", "loss_weight"});
      models::Task task;
      task.label = get_string(tt, "label", source, "");
      if (task.label.empty()) bad(where(source, e), "task.label", "every [[task]] needs a label column");
      task.name = get_string(tt, "name", source, task.label);
      task.mask = get_string(tt, "mask", source, "");
      task.loss_weight = static_cast<float>(get_number(tt, "loss_weight", source, 1.0));
      if (!(task.loss_weight >= 0.0f)) bad(where(source, e), "task.loss_weight", "must be >= 0");
      c.features.tasks.push_back(task);
    }
    if (!c.features.label.empty())
      bad(source, "data.label", "give either data.label or [[task]] tables, not both");
  }

  const toml::table& m = table_or_null(root, "model", source) ? *table_or_null(root, "model", source) : kEmpty;
  check_keys(m, source, "model",
             {"kind", "embedding_dim", "embedding_init", "pooling", "bottom", "top", "interaction",
              "self_interaction", "activation", "dropout", "head", "shared", "experts", "expert", "tower",
              "task_weighting", "precision"});
  models::ModelSpec& s = c.model;
  s.kind = models::parse_model_kind(get_string(m, "kind", source, "dlrm"));
  s.embedding_dim = static_cast<size_t>(get_int(m, "embedding_dim", source, 16));
  s.embedding_init = static_cast<float>(get_number(m, "embedding_init", source, 0.0));
  s.pooling = nn::parse_pooling(get_string(m, "pooling", source, "sum"));
  s.bottom = get_sizes(m, "bottom", source, s.bottom);
  s.top = get_sizes(m, "top", source, s.top);
  s.interaction = nn::parse_interaction(get_string(m, "interaction", source, "dot"));
  s.self_interaction = get_bool(m, "self_interaction", source, false);
  s.activation = nn::parse_activation(get_string(m, "activation", source, "relu"));
  s.dropout = static_cast<float>(get_number(m, "dropout", source, 0.0));
  {
    const std::string precision = get_string(m, "precision", source, "fp32");
    if (precision != "fp32" && precision != "bf16")
      bad(source, "model.precision", "expected fp32 or bf16, got '" + precision + "'");
    s.precision = nn::parse_precision(precision);
  }
  s.head = models::parse_head_kind(get_string(m, "head", source, c.features.tasks.size() > 1 ? "shared_bottom" : "single"));
  s.shared = get_sizes(m, "shared", source, {});
  s.experts = static_cast<size_t>(get_int(m, "experts", source, s.head == models::HeadKind::kMmoe ? 4 : 0));
  s.expert = get_sizes(m, "expert", source, s.head == models::HeadKind::kMmoe ? std::vector<size_t>{64} : std::vector<size_t>{});
  s.tower = get_sizes(m, "tower", source, {1});
  {
    const std::string weighting = get_string(m, "task_weighting", source, "fixed");
    if (weighting != "fixed" && weighting != "uncertainty")
      bad(source, "model.task_weighting", "expected fixed or uncertainty, got '" + weighting + "'");
    s.uncertainty_weighting = weighting == "uncertainty";
  }
  if (s.head == models::HeadKind::kSingle && c.features.tasks.size() > 1)
    bad(source, "model.head", "single has one output but " + std::to_string(c.features.tasks.size()) +
                                  " [[task]] tables are given: use shared_bottom, mmoe or esmm");
  try {
    s.validate();
  } catch (const Error& e) {
    RECO_THROW(ErrorCode::kInvalidArgument) << source << ": " << e.message();
  }

  if (const toml::table* o = table_or_null(root, "optimizer", source))
    c.train.optimizer = optim::optimizer_config_from_toml(*o, source + " [optimizer]");

  const toml::table& t = table_or_null(root, "train", source) ? *table_or_null(root, "train", source) : kEmpty;
  check_keys(t, source, "train",
             {"batch_size", "epochs", "max_steps", "loss", "shuffle", "metrics", "monitor", "patience", "keep_best",
              "checkpoint", "resume", "eval_batch_size", "threads", "seed"});
  TrainOptions& tr = c.train;
  tr.batch_size = static_cast<size_t>(get_int(t, "batch_size", source, 128));
  tr.epochs = static_cast<int>(get_int(t, "epochs", source, 1));
  tr.max_steps = get_int(t, "max_steps", source, 0);
  tr.loss = nn::parse_loss(get_string(t, "loss", source, "bce"));
  tr.shuffle = get_bool(t, "shuffle", source, true);
  tr.metrics = get_strings(t, "metrics", source, tr.metrics);
  tr.monitor = get_string(t, "monitor", source, tr.loss == nn::LossKind::kMse ? "mse" : "auc");
  if (tr.loss == nn::LossKind::kMse && !t.get("metrics")) tr.metrics = {"mse"};
  tr.patience = static_cast<int>(get_int(t, "patience", source, 0));
  tr.keep_best = get_bool(t, "keep_best", source, true);
  tr.checkpoint = resolve(base_dir, get_string(t, "checkpoint", source, ""));
  tr.resume = resolve(base_dir, get_string(t, "resume", source, ""));
  tr.eval_batch_size = static_cast<size_t>(get_int(t, "eval_batch_size", source, 4096));
  c.threads = static_cast<int>(get_int(t, "threads", source, 1));
  c.seed = static_cast<uint64_t>(get_int(t, "seed", source, 42));
  try {
    tr.validate();
  } catch (const Error& e) {
    RECO_THROW(ErrorCode::kInvalidArgument) << source << ": " << e.message();
  }

  if (const toml::table* cal = table_or_null(root, "calibration", source)) {
    check_keys(*cal, source, "calibration", {"method", "heads", "bins"});
    c.calibration = get_string(*cal, "method", source, "none");
    try {
      calibrate::parse_calibrator_kind(c.calibration);
    } catch (const Error& e) {
      bad(source, "calibration.method", e.message());
    }
    c.calibration_bins = static_cast<int>(get_int(*cal, "bins", source, 10));
    if (c.calibration_bins < 1) bad(source, "calibration.bins", "must be >= 1");
    if (const toml::node* h = cal->get("heads")) {
      const toml::table* ht = h->as_table();
      if (!ht) bad(where(source, *h), "calibration.heads", "expected a table {task = \"platt\", ...}");
      for (const auto& [k, v] : *ht) {
        auto m = v.value<std::string>();
        if (!m) bad(where(source, v), "calibration.heads." + std::string(k.str()), "expected a method name");
        try {
          calibrate::parse_calibrator_kind(*m);
        } catch (const Error& e) {
          bad(where(source, v), "calibration.heads." + std::string(k.str()), e.message());
        }
        c.calibration_heads[std::string(k.str())] = *m;
      }
    }
  }
  if (const toml::table* p = table_or_null(root, "position", source)) {
    check_keys(*p, source, "position", {"method", "column", "max_position", "dropout", "cross", "slice", "clip"});
    models::PositionBias& pos = c.features.position;
    try {
      pos.method = models::parse_position_method(get_string(*p, "method", source, "none"));
    } catch (const Error& e) {
      bad(source, "position.method", e.message());
    }
    pos.column = get_string(*p, "column", source, "position");
    const int64_t max = get_int(*p, "max_position", source, 0);
    if (max < 0 || max > 100000) bad(source, "position.max_position", "must be in [0, 100000] (0 = the column's maximum)");
    pos.max_position = static_cast<uint32_t>(max);
    pos.dropout = static_cast<float>(get_number(*p, "dropout", source, 0.0));
    pos.cross = get_string(*p, "cross", source, "");
    pos.slice = get_string(*p, "slice", source, "");
    pos.clip = static_cast<float>(get_number(*p, "clip", source, 0.05));
    // With a slice the dropout covers only the unbiased rows and may drop them all.
    if (pos.dropout < 0.0f || pos.dropout > 1.0f || (pos.dropout == 1.0f && pos.slice.empty()))
      bad(source, "position.dropout", "must be in [0, 1) ([0, 1] with position.slice: dropout on that slice only)");
    if (pos.method == models::PositionMethod::kIpw && pos.slice.empty())
      bad(source, "position.slice", "ipw needs the column marking the unbiased (random-traffic) rows");
    if (!pos.cross.empty() && pos.method != models::PositionMethod::kTower)
      bad(source, "position.cross", "only method = \"tower\" crosses the position with another column");
    if (pos.method == models::PositionMethod::kIpw && pos.dropout != 0.0f)
      bad(source, "position.dropout", "ipw has no position input to drop out");
  }
  if (const toml::table* u = table_or_null(root, "utility", source)) {
    check_keys(*u, source, "utility", {"weights"});
    if (const toml::node* w = u->get("weights")) {
      const toml::table* wt = w->as_table();
      if (!wt) bad(where(source, *w), "utility.weights", "expected a table {task = weight, ...}");
      for (const auto& [k, v] : *wt) {
        if (!v.is_number()) bad(where(source, v), "utility.weights." + std::string(k.str()), "expected a number");
        c.utility_weights[std::string(k.str())] = *v.value<double>();
      }
    }
  }

  if (const toml::table* o = table_or_null(root, "output", source)) {
    check_keys(*o, source, "output", {"model"});
    c.output_model = resolve(base_dir, get_string(*o, "model", source, ""));
  }
  return c;
}

namespace {
template <typename Map>
void check_task_names(const Map& by_task, const models::FeatureMap& features, const std::string& config_name,
                      std::string_view table) {
  for (const auto& [name, value] : by_task) {
    bool known = false;
    for (const auto& t : features.tasks) known = known || t.name == name;
    RECO_CHECK(known) << config_name << ": " << table << "." << name << ": no task of that name";
  }
}
}  // namespace

std::vector<std::string> head_calibration_methods(const TrainConfig& c, const models::FeatureMap& features,
                                                  const std::string& config_name) {
  check_task_names(c.calibration_heads, features, config_name, "calibration.heads");
  std::vector<std::string> out;
  for (const auto& t : features.tasks) {
    auto m = c.calibration_heads.find(t.name);
    out.push_back(m == c.calibration_heads.end() ? c.calibration : m->second);
  }
  return out;
}

std::vector<double> head_utility_weights(const TrainConfig& c, const models::FeatureMap& features,
                                         const std::string& config_name) {
  check_task_names(c.utility_weights, features, config_name, "utility.weights");
  std::vector<double> out;
  for (const auto& t : features.tasks) {
    auto w = c.utility_weights.find(t.name);
    out.push_back(c.utility_weights.empty() ? 1.0 : (w == c.utility_weights.end() ? 0.0 : w->second));
  }
  return out;
}

TrainConfig load_train_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) RECO_THROW(ErrorCode::kNotFound) << "cannot open config " << path;
  std::stringstream ss;
  ss << in.rdbuf();
  const auto dir = std::filesystem::path(path).parent_path().string();
  return parse_train_config(ss.str(), path, dir);
}

}  // namespace reco::train
