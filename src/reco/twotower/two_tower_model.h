// TwoTowerModel — the user and item towers of a two-tower retrieval model (seed 003:
// Yi et al. 2019; Airbnb, seed 004 §14.1) and their file.
//
// Towers (e = embed_dim, d = dim, h = hidden; h = 0 drops the hidden layer; g = field width,
// field_dim or e when 0; F_u / F_i categorical feature fields, see tower_features.h):
//   user:  [ user_emb[user] (e) | mean(hist_emb[recent items]) (e, when history > 0)
//            | mean(user_field_f[ids of the user in field f]) (g each, f < F_u) ]
//          -> Linear(relu, h) -> Linear(d) -> optional L2 normalisation
//   item:  [ item_emb[item] (e) | mean(item_field_f[ids of the item in field f]) (g each) ]
//          -> Linear(relu, h) -> Linear(d) -> optional L2 normalisation
//   score(u, i) = <user vector, item vector> (the training loss divides by the temperature).
// The history table (hist_emb) is separate from the item tower's id table: it is what lets
// a user with few or no interactions (an unknown user at serving) still get a vector.
// Ids: users and items are densified to rows [0, n) in first-seen order of the training
// file; user_ids()/item_ids() give the raw u64 id of each row. With feature files, ids found
// only there follow as "cold" rows [trained, n): their id embeddings are zero (never trained),
// so their vectors come from their features (item cold start; a user known only from U.csv).
//
// Threading: forward/backward take a caller-owned TowerWorkspace, so one model is shared
// read-only by all workers of a step; the optimizer updates the parameters between steps.
//
// File: container kind "twotower", version 2 (version 1, without fields, still loads).
// Sections: "config" (JSON: TwoTowerConfig, the table sizes, trained_users/trained_items),
// "user_ids" u64 [n_users], "item_ids" u64 [n_items], one f32 section "p.<parameter name>" per
// parameter, row-major; with fields, "user_fields" / "item_fields" (JSON: [{"name", "tokens"}])
// and per field k "user_field_offsets.k" u64 [n_users + 1] + "user_field_ids.k" u32 (the CSR of
// SideFields; items likewise). load() gives the identical model.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "reco/core/rng.h"
#include "reco/nn/embedding_bag.h"
#include "reco/nn/mlp.h"
#include "reco/twotower/tower_features.h"

namespace reco::twotower {

inline constexpr std::string_view kTwoTowerKind = "twotower";
inline constexpr uint32_t kTwoTowerVersion = 2;

struct TwoTowerConfig {
  uint32_t dim = 64;          ///< output vector size d
  uint32_t embed_dim = 64;    ///< id embedding size e
  uint32_t hidden = 128;      ///< hidden layer width of both towers (0 = none)
  uint32_t history = 20;      ///< recent training items pooled into the user tower (0 = off)
  float temperature = 0.05f;  ///< tau
  bool normalize = false;     ///< L2-normalise both tower outputs
  bool logq = true;           ///< subtract log Q(j) from the logits
  uint32_t random_negatives = 0;  ///< M uniformly sampled extra negative columns per batch
  uint32_t batch = 1024;      ///< B
  uint32_t epochs = 5;
  float lr = 0.001f;          ///< Adam (dense) / LazyAdam (embedding rows)
  float init_scale = 0.05f;   ///< embeddings start U(-init_scale, init_scale)
  uint32_t field_dim = 0;     ///< embedding size of each feature field (0 = embed_dim)
  bool weighted = false;      ///< use the interactions' weight column as sample weights
  /// Training only: probability that a row's user id embedding is zeroed, as it is for a user
  /// the model never saw at serving, so the towers learn to serve such users from history and
  /// fields (0 = off; the row's id-table gradient is dropped with it).
  float user_id_dropout = 0.0f;
  uint32_t field_width() const { return field_dim == 0 ? embed_dim : field_dim; }
  void validate() const;      ///< kInvalidArgument naming the field
  nlohmann::json to_json() const;
  static TwoTowerConfig from_json(const nlohmann::json& j);
};

/// Per-thread buffers of one tower over a batch of n inputs.
struct TowerWorkspace {
  nn::Tensor input;            ///< [n × tower input]: id embedding | pooled history | fields
  FieldBags fields;            ///< the feature-field bags of the batch (kept for backward)
  nn::MlpWorkspace mlp;
  nn::Tensor out;              ///< [n × d] the tower's vectors (normalised when configured)
  std::vector<float> inv_norm; ///< per row, when normalising
  nn::Tensor dout;             ///< scratch: gradient w.r.t. the MLP output
  nn::Tensor dinput;           ///< [n × tower input] gradient w.r.t. input (after backward)
};

class TwoTowerModel {
 public:
  TwoTowerModel() = default;
  /// Fresh model with initialised parameters (seeded per parameter from `seed`).
  TwoTowerModel(const TwoTowerConfig& config, std::vector<uint64_t> user_ids, std::vector<uint64_t> item_ids,
                uint64_t seed);
  /// With feature fields: rows are fields.user_ids / fields.item_ids (cold rows get zero id
  /// embeddings).
  TwoTowerModel(const TwoTowerConfig& config, TowerFields fields, uint64_t seed);

  const TwoTowerConfig& config() const { return config_; }
  size_t users() const { return user_ids_.size(); }
  size_t items() const { return item_ids_.size(); }
  const std::vector<uint64_t>& user_ids() const { return user_ids_; }
  const std::vector<uint64_t>& item_ids() const { return item_ids_; }
  /// Leading rows seen in training (the rest are cold rows from the feature files).
  size_t trained_users() const { return trained_users_; }
  size_t trained_items() const { return trained_items_; }
  const SideFields& user_fields() const { return fields_.user; }
  const SideFields& item_fields() const { return fields_.item; }
  /// Dense row of a raw id, or ~0u when unknown.
  uint32_t user_row(uint64_t id) const;
  uint32_t item_row(uint64_t id) const;

  /// User tower over dense rows: users[i] (~0u = unknown: zero id embedding) and bag i of
  /// history (dense item rows; ignored when history is off). drop_id (empty, or one flag per
  /// user) zeroes the id embedding of flagged rows while keeping their fields (user-id
  /// dropout in training). Result in ws.out.
  void user_forward(std::span<const uint32_t> users, const nn::BagBatch& history, TowerWorkspace& ws,
                    std::span<const uint8_t> drop_id = {}) const;
  /// Item tower over dense item rows; result in ws.out.
  void item_forward(std::span<const uint32_t> items, TowerWorkspace& ws) const;
  /// Given dL/d(ws.out), accumulates MLP gradients into ws.mlp and writes ws.dinput.
  void tower_backward(bool user_tower, nn::ConstMatrixView dvec, TowerWorkspace& ws) const;

  /// Serving: the user vector from a raw user id (kNoUser / unknown -> history only) and the
  /// user's recent raw item ids (unknown ids skipped; the last config.history are used).
  std::vector<float> user_vector(uint64_t user, std::span<const uint64_t> recent_items) const;
  /// Every item's vector, [items × d] row-major, computed on `threads` workers.
  std::vector<float> item_vectors(int threads) const;

  nn::EmbeddingBag& user_embedding() { return user_emb_; }
  nn::EmbeddingBag& history_embedding() { return hist_emb_; }
  nn::EmbeddingBag& item_embedding() { return item_emb_; }
  nn::EmbeddingBag& user_field_embedding(size_t f) { return user_field_emb_[f]; }
  nn::EmbeddingBag& item_field_embedding(size_t f) { return item_field_emb_[f]; }
  nn::Mlp& user_mlp() { return user_mlp_; }
  nn::Mlp& item_mlp() { return item_mlp_; }
  const nn::Mlp& user_mlp() const { return user_mlp_; }
  const nn::Mlp& item_mlp() const { return item_mlp_; }
  /// Every parameter, the embedding tables first: user_emb, hist_emb (when history > 0),
  /// item_emb, user_field.<f>..., item_field.<f>..., then the user MLP and the item MLP.
  std::vector<nn::Parameter*> parameters();
  /// How many of parameters() are embedding tables.
  size_t table_count() const;
  /// First input column of user / item field f.
  size_t user_field_col(size_t f) const;
  size_t item_field_col(size_t f) const;

  void save(const std::string& path, const nlohmann::json& report = nlohmann::json::object()) const;
  static TwoTowerModel load(const std::string& path);

 private:
  void build(uint64_t seed, bool init);
  void finish_tower(TowerWorkspace& ws) const;
  void forward_fields(const SideFields& side, const std::vector<nn::EmbeddingBag>& tables, size_t col0,
                      std::span<const uint32_t> rows, TowerWorkspace& ws) const;

  TwoTowerConfig config_;
  std::vector<uint64_t> user_ids_, item_ids_;
  std::unordered_map<uint64_t, uint32_t> user_index_, item_index_;
  size_t trained_users_ = 0, trained_items_ = 0;
  TowerFields fields_;  // user_ids / item_ids moved out into user_ids_ / item_ids_
  nn::EmbeddingBag user_emb_, hist_emb_, item_emb_;
  std::vector<nn::EmbeddingBag> user_field_emb_, item_field_emb_;
  nn::Mlp user_mlp_, item_mlp_;
};

}  // namespace reco::twotower
