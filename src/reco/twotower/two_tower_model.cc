#include "reco/twotower/two_tower_model.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "reco/core/container.h"
#include "reco/core/context.h"
#include "reco/core/error.h"
#include "reco/core/parallel_for.h"
#include "reco/twotower/in_batch_softmax.h"

namespace reco::twotower {

namespace {
constexpr uint32_t kUnknown = ~uint32_t{0};

std::unordered_map<uint64_t, uint32_t> index_ids(const std::vector<uint64_t>& ids, const char* what) {
  std::unordered_map<uint64_t, uint32_t> index;
  index.reserve(ids.size());
  for (size_t r = 0; r < ids.size(); ++r)
    RECO_CHECK(index.emplace(ids[r], static_cast<uint32_t>(r)).second) << "two-tower: duplicate " << what << " id "
                                                                       << ids[r];
  return index;
}

std::vector<size_t> mlp_sizes(const TwoTowerConfig& c) {
  if (c.hidden == 0) return {c.dim};
  return {c.hidden, c.dim};
}
}  // namespace

void TwoTowerConfig::validate() const {
  RECO_CHECK(dim > 0) << "two-tower config: dim must be > 0";
  RECO_CHECK(embed_dim > 0) << "two-tower config: embed_dim must be > 0";
  RECO_CHECK(temperature > 0.0f && std::isfinite(temperature)) << "two-tower config: temperature must be > 0";
  RECO_CHECK(batch >= 1) << "two-tower config: batch must be >= 1";
  RECO_CHECK(lr > 0.0f) << "two-tower config: lr must be > 0";
  RECO_CHECK(init_scale > 0.0f) << "two-tower config: init_scale must be > 0";
  RECO_CHECK(field_dim <= 4096) << "two-tower config: field_dim must be <= 4096";
  RECO_CHECK(user_id_dropout >= 0.0f && user_id_dropout <= 1.0f)
      << "two-tower config: user_id_dropout must be in [0, 1], got " << user_id_dropout;
}

nlohmann::json TwoTowerConfig::to_json() const {
  return {{"dim", dim},         {"embed_dim", embed_dim}, {"hidden", hidden},
          {"history", history}, {"temperature", temperature}, {"normalize", normalize},
          {"logq", logq},       {"random_negatives", random_negatives}, {"batch", batch},
          {"epochs", epochs},   {"lr", lr}, {"init_scale", init_scale}, {"weighted", weighted},
          {"field_dim", field_dim}, {"user_id_dropout", user_id_dropout}};
}

TwoTowerConfig TwoTowerConfig::from_json(const nlohmann::json& j) {
  TwoTowerConfig c;
  try {
    c.dim = j.at("dim").get<uint32_t>();
    c.embed_dim = j.at("embed_dim").get<uint32_t>();
    c.hidden = j.at("hidden").get<uint32_t>();
    c.history = j.at("history").get<uint32_t>();
    c.temperature = j.at("temperature").get<float>();
    c.normalize = j.at("normalize").get<bool>();
    c.logq = j.at("logq").get<bool>();
    c.random_negatives = j.at("random_negatives").get<uint32_t>();
    c.batch = j.at("batch").get<uint32_t>();
    c.epochs = j.at("epochs").get<uint32_t>();
    c.lr = j.at("lr").get<float>();
    c.init_scale = j.at("init_scale").get<float>();
    c.weighted = j.at("weighted").get<bool>();
    c.field_dim = j.value("field_dim", 0u);  // absent in version 1 files
    c.user_id_dropout = j.value("user_id_dropout", 0.0f);  // absent before it existed
  } catch (const nlohmann::json::exception& e) {
    RECO_THROW(ErrorCode::kCorrupt) << "two-tower config JSON: " << e.what();
  }
  c.validate();
  return c;
}

TwoTowerModel::TwoTowerModel(const TwoTowerConfig& config, std::vector<uint64_t> user_ids,
                             std::vector<uint64_t> item_ids, uint64_t seed)
    : config_(config), user_ids_(std::move(user_ids)), item_ids_(std::move(item_ids)) {
  trained_users_ = user_ids_.size();
  trained_items_ = item_ids_.size();
  build(seed, true);
}

TwoTowerModel::TwoTowerModel(const TwoTowerConfig& config, TowerFields fields, uint64_t seed)
    : config_(config), user_ids_(std::move(fields.user_ids)), item_ids_(std::move(fields.item_ids)) {
  trained_users_ = fields.trained_users;
  trained_items_ = fields.trained_items;
  fields_ = std::move(fields);
  fields_.user_ids.clear();
  fields_.item_ids.clear();
  build(seed, true);
}

size_t TwoTowerModel::table_count() const {
  return (config_.history > 0 ? 3 : 2) + fields_.user.count() + fields_.item.count();
}
size_t TwoTowerModel::user_field_col(size_t f) const {
  return (config_.history > 0 ? 2 : 1) * size_t(config_.embed_dim) + f * config_.field_width();
}
size_t TwoTowerModel::item_field_col(size_t f) const {
  return size_t(config_.embed_dim) + f * config_.field_width();
}

void TwoTowerModel::build(uint64_t seed, bool init) {
  config_.validate();
  RECO_CHECK(!item_ids_.empty()) << "two-tower: no items";
  user_index_ = index_ids(user_ids_, "user");
  item_index_ = index_ids(item_ids_, "item");
  const size_t e = config_.embed_dim;
  // A table needs at least one row; an empty user table only happens in tests of the API.
  user_emb_ = nn::EmbeddingBag("user_emb", std::max<size_t>(1, user_ids_.size()), e);
  if (config_.history > 0) hist_emb_ = nn::EmbeddingBag("hist_emb", item_ids_.size(), e, nn::Pooling::kMean);
  item_emb_ = nn::EmbeddingBag("item_emb", item_ids_.size(), e);
  RECO_CHECK(trained_users_ <= user_ids_.size() && trained_items_ <= item_ids_.size() && trained_items_ > 0)
      << "two-tower: trained rows beyond the id tables";
  const SideFields* sides[2] = {&fields_.user, &fields_.item};
  std::vector<nn::EmbeddingBag>* side_tables[2] = {&user_field_emb_, &item_field_emb_};
  const char* side_names[2] = {"user_field.", "item_field."};
  const size_t g = config_.field_width();
  for (int s = 0; s < 2; ++s) {
    sides[s]->validate(s == 0 ? user_ids_.size() : item_ids_.size(), s == 0 ? "user fields" : "item fields");
    side_tables[s]->clear();
    for (size_t f = 0; f < sides[s]->count(); ++f)
      side_tables[s]->emplace_back(side_names[s] + std::to_string(f), sides[s]->table_rows(f), g, nn::Pooling::kMean);
  }
  const size_t user_in = user_field_col(fields_.user.count());
  const size_t item_in = item_field_col(fields_.item.count());
  user_mlp_ = nn::Mlp("user_mlp", user_in, mlp_sizes(config_), nn::Activation::kRelu, nn::Activation::kNone);
  item_mlp_ = nn::Mlp("item_mlp", item_in, mlp_sizes(config_), nn::Activation::kRelu, nn::Activation::kNone);
  if (!init) return;
  // One stream per parameter: values do not depend on construction order.
  Rng r0(derive_seed(seed, 1)), r1(derive_seed(seed, 2)), r2(derive_seed(seed, 3)), r3(derive_seed(seed, 4)),
      r4(derive_seed(seed, 5));
  user_emb_.init(r0, config_.init_scale);
  if (config_.history > 0) hist_emb_.init(r1, config_.init_scale);
  item_emb_.init(r2, config_.init_scale);
  user_mlp_.init(r3);
  item_mlp_.init(r4);
  // Field tables: their own streams after the five above.
  uint64_t stream = 6;
  for (auto* tables : {&user_field_emb_, &item_field_emb_})
    for (nn::EmbeddingBag& t : *tables) {
      Rng r(derive_seed(seed, stream++));
      t.init(r, config_.init_scale);
    }
  // Cold rows (known from the feature files only) never train: a zero id embedding.
  auto zero_rows = [](nn::EmbeddingBag& t, size_t from) {
    for (size_t r = from; r < t.rows(); ++r) std::fill(t.table().value.row(r), t.table().value.row(r) + t.dim(), 0.0f);
  };
  if (!user_ids_.empty()) zero_rows(user_emb_, trained_users_);
  if (config_.history > 0) zero_rows(hist_emb_, trained_items_);
  zero_rows(item_emb_, trained_items_);
}

uint32_t TwoTowerModel::user_row(uint64_t id) const {
  const auto it = user_index_.find(id);
  return it == user_index_.end() ? kUnknown : it->second;
}
uint32_t TwoTowerModel::item_row(uint64_t id) const {
  const auto it = item_index_.find(id);
  return it == item_index_.end() ? kUnknown : it->second;
}

std::vector<nn::Parameter*> TwoTowerModel::parameters() {
  std::vector<nn::Parameter*> out{&user_emb_.table()};
  if (config_.history > 0) out.push_back(&hist_emb_.table());
  out.push_back(&item_emb_.table());
  for (nn::EmbeddingBag& t : user_field_emb_) out.push_back(&t.table());
  for (nn::EmbeddingBag& t : item_field_emb_) out.push_back(&t.table());
  for (auto* p : user_mlp_.parameters()) out.push_back(p);
  for (auto* p : item_mlp_.parameters()) out.push_back(p);
  return out;
}

void TwoTowerModel::finish_tower(TowerWorkspace& ws) const {
  const nn::Tensor& y = ws.mlp.output();
  ws.out.resize(y.rows(), y.cols());
  if (!config_.normalize) {
    std::memcpy(ws.out.data(), y.data(), y.size() * sizeof(float));
    return;
  }
  ws.inv_norm.resize(y.rows());
  l2_normalize_rows(y, ws.out, ws.inv_norm);
}

void TwoTowerModel::forward_fields(const SideFields& side, const std::vector<nn::EmbeddingBag>& tables, size_t col0,
                                   std::span<const uint32_t> rows, TowerWorkspace& ws) const {
  const size_t nf = side.count(), g = config_.field_width();
  ws.fields.ids.resize(nf);
  ws.fields.offsets.resize(nf);
  for (size_t f = 0; f < nf; ++f) {
    ws.fields.ids[f].clear();
    ws.fields.offsets[f].assign(1, 0);
    side.gather(f, rows, ws.fields.ids[f], ws.fields.offsets[f]);
    tables[f].forward(ws.fields.bag(f), ws.input.view().cols_slice(col0 + f * g, g));
  }
}

void TwoTowerModel::user_forward(std::span<const uint32_t> users, const nn::BagBatch& history,
                                 TowerWorkspace& ws, std::span<const uint8_t> drop_id) const {
  const size_t n = users.size(), e = config_.embed_dim;
  ws.input.resize(n, user_mlp_.in());
  // Unknown users get a zero id embedding (the tower then sees the history only).
  bool any_unknown = false;
  for (uint32_t u : users) any_unknown |= (u == kUnknown);
  if (!any_unknown) {
    user_emb_.forward(nn::BagBatch{users, {}, {}}, ws.input.view().cols_slice(0, e));
  } else {
    for (size_t i = 0; i < n; ++i) {
      float* dst = ws.input.row(i);
      if (users[i] == kUnknown) {
        std::fill(dst, dst + e, 0.0f);
      } else {
        std::memcpy(dst, user_emb_.table().value.row(users[i]), e * sizeof(float));
      }
    }
  }
  RECO_ASSERT(drop_id.empty() || drop_id.size() == n) << "user_forward: one drop flag per user";
  for (size_t i = 0; i < drop_id.size(); ++i)
    if (drop_id[i]) std::fill(ws.input.row(i), ws.input.row(i) + e, 0.0f);
  if (config_.history > 0) {
    RECO_ASSERT(history.bags() == n) << "user_forward: one history bag per user";
    hist_emb_.forward(history, ws.input.view().cols_slice(e, e));
  }
  forward_fields(fields_.user, user_field_emb_, user_field_col(0), users, ws);
  if (user_mlp_.depth() != ws.mlp.grad_weight.size()) user_mlp_.prepare(ws.mlp);
  user_mlp_.forward(ws.input, ws.mlp, nullptr);
  finish_tower(ws);
}

void TwoTowerModel::item_forward(std::span<const uint32_t> items, TowerWorkspace& ws) const {
  const size_t e = config_.embed_dim;
  ws.input.resize(items.size(), item_mlp_.in());
  item_emb_.forward(nn::BagBatch{items, {}, {}}, ws.input.view().cols_slice(0, e));
  forward_fields(fields_.item, item_field_emb_, item_field_col(0), items, ws);
  if (item_mlp_.depth() != ws.mlp.grad_weight.size()) item_mlp_.prepare(ws.mlp);
  item_mlp_.forward(ws.input, ws.mlp, nullptr);
  finish_tower(ws);
}

void TwoTowerModel::tower_backward(bool user_tower, nn::ConstMatrixView dvec, TowerWorkspace& ws) const {
  const nn::Mlp& mlp = user_tower ? user_mlp_ : item_mlp_;
  nn::ConstMatrixView dy = dvec;
  if (config_.normalize) {
    ws.dout.resize(dvec.rows, dvec.cols);
    l2_normalize_backward(ws.out, ws.inv_norm, dvec, ws.dout);
    dy = ws.dout;
  }
  mlp.backward(ws.input, dy, ws.mlp, &ws.dinput);
}

std::vector<float> TwoTowerModel::user_vector(uint64_t user, std::span<const uint64_t> recent_items) const {
  const uint32_t u = user_row(user);
  std::vector<uint32_t> hist;
  for (uint64_t id : recent_items) {
    const uint32_t r = item_row(id);
    if (r != kUnknown) hist.push_back(r);
  }
  if (hist.size() > config_.history) hist.erase(hist.begin(), hist.end() - config_.history);
  const std::vector<uint64_t> offsets{0, hist.size()};
  TowerWorkspace ws;
  user_forward(std::span<const uint32_t>(&u, 1), nn::BagBatch{hist, offsets, {}}, ws);
  return {ws.out.data(), ws.out.data() + ws.out.size()};
}

std::vector<float> TwoTowerModel::item_vectors(int threads) const {
  const size_t n = items(), d = config_.dim;
  std::vector<float> out(n * d);
  constexpr size_t kChunk = 4096;
  const size_t chunks = (n + kChunk - 1) / kChunk;
  parallel_tasks(threads, chunks, [&](size_t c, int) {
    const size_t lo = c * kChunk, hi = std::min(n, lo + kChunk);
    std::vector<uint32_t> rows(hi - lo);
    for (size_t i = lo; i < hi; ++i) rows[i - lo] = static_cast<uint32_t>(i);
    TowerWorkspace ws;
    item_forward(rows, ws);
    std::memcpy(out.data() + lo * d, ws.out.data(), ws.out.size() * sizeof(float));
  });
  return out;
}

void TwoTowerModel::save(const std::string& path, const nlohmann::json& report) const {
  nlohmann::json meta = config_.to_json();
  meta["users"] = user_ids_.size();
  meta["items"] = item_ids_.size();
  meta["trained_users"] = trained_users_;
  meta["trained_items"] = trained_items_;
  meta["report"] = report;
  ContainerWriter w(path, kTwoTowerKind, kTwoTowerVersion);
  w.add_section("config", meta.dump());
  w.add_array<uint64_t>("user_ids", user_ids_);
  w.add_array<uint64_t>("item_ids", item_ids_);
  for (const auto& [side, fields] : {std::pair{"user", &fields_.user}, std::pair{"item", &fields_.item}}) {
    if (fields->count() == 0) continue;
    w.add_section(std::string(side) + "_fields", fields->vocab_json().dump());
    for (size_t f = 0; f < fields->count(); ++f) {
      w.add_array<uint64_t>(std::string(side) + "_field_offsets." + std::to_string(f), fields->offsets[f]);
      w.add_array<uint32_t>(std::string(side) + "_field_ids." + std::to_string(f), fields->ids[f]);
    }
  }
  for (const nn::Parameter* p : const_cast<TwoTowerModel*>(this)->parameters())
    w.add_array<float>("p." + p->name, p->value.span());
  w.commit();
}

TwoTowerModel TwoTowerModel::load(const std::string& path) {
  const Container c = Container::open(path, kTwoTowerKind, kTwoTowerVersion);
  nlohmann::json meta;
  try {
    meta = nlohmann::json::parse(c.section_string("config"));
  } catch (const nlohmann::json::exception& e) {
    RECO_THROW(ErrorCode::kCorrupt) << path << ": section 'config' is not JSON: " << e.what();
  }
  TwoTowerModel m;
  m.config_ = TwoTowerConfig::from_json(meta);
  const auto users = c.array<uint64_t>("user_ids");
  const auto items = c.array<uint64_t>("item_ids");
  m.user_ids_.assign(users.begin(), users.end());
  m.item_ids_.assign(items.begin(), items.end());
  m.trained_users_ = meta.value("trained_users", m.user_ids_.size());
  m.trained_items_ = meta.value("trained_items", m.item_ids_.size());
  for (const auto& [side, fields] : {std::pair{"user", &m.fields_.user}, std::pair{"item", &m.fields_.item}}) {
    const std::string section = std::string(side) + "_fields";
    if (!c.has(section)) continue;
    try {
      for (const auto& field : nlohmann::json::parse(c.section_string(section))) {
        fields->names.push_back(field.at("name").get<std::string>());
        fields->vocab.push_back(field.at("tokens").get<std::vector<std::string>>());
      }
    } catch (const nlohmann::json::exception& e) {
      RECO_THROW(ErrorCode::kCorrupt) << path << ": section '" << section << "': " << e.what();
    }
    for (size_t f = 0; f < fields->count(); ++f) {
      const auto off = c.array<uint64_t>(std::string(side) + "_field_offsets." + std::to_string(f));
      const auto ids = c.array<uint32_t>(std::string(side) + "_field_ids." + std::to_string(f));
      fields->offsets.emplace_back(off.begin(), off.end());
      fields->ids.emplace_back(ids.begin(), ids.end());
    }
  }
  m.build(0, false);
  for (nn::Parameter* p : m.parameters()) {
    const auto values = c.array<float>("p." + p->name);
    if (values.size() != p->value.size())
      RECO_THROW(ErrorCode::kCorrupt) << path << ": section 'p." << p->name << "' has " << values.size()
                                      << " floats, expected " << p->value.size();
    std::memcpy(p->value.data(), values.data(), values.size() * sizeof(float));
  }
  return m;
}

}  // namespace reco::twotower
