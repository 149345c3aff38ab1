// Embeddings: the one file every embedding learner writes (item2vec, HOP-Rec, two-tower,
// ...) and every embedding consumer reads (ANN indexes, embedding candidate sources, the
// serving bundle). Two tables, items (always) and users (optional: methods that learn a
// vector per training user, e.g. HOP-Rec, or two-tower user vectors precomputed for known
// users).
//
// EmbeddingTable layout (row-major): ids u64 [n] (raw ids, any order, unique) and
// vectors f32 [n × dim]; row r of `vectors` is the vector of ids[r]. find(id) is a hash
// lookup built at construction/load.
//
// File: container kind "embed", version 1. Sections:
//   "meta"          JSON: {"method": "...", "dim": d, "metric": "dot"|"cosine", ...free fields}
//   "item_ids"      u64 [n_items]
//   "item_vectors"  f32 [n_items × dim]
//   "user_ids"      u64 [n_users]          (only when users are present)
//   "user_vectors"  f32 [n_users × dim]
// metric says how the learner meant vectors to be compared: "dot" (inner product, e.g.
// two-tower, HOP-Rec) or "cosine" (item2vec). Consumers normalise for cosine.
// Ownership: an Embeddings built in memory owns its vectors; a loaded one holds views into
// the memory-mapped file, valid as long as the Embeddings lives. Moves keep views valid.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

namespace reco {

inline constexpr std::string_view kEmbeddingsKind = "embed";
inline constexpr uint32_t kEmbeddingsVersion = 1;
inline constexpr uint32_t kNoRow = ~uint32_t{0};

enum class EmbeddingMetric : uint8_t { kDot, kCosine };
const char* metric_name(EmbeddingMetric m);
EmbeddingMetric parse_metric(std::string_view text);  ///< "dot" | "cosine"; else kInvalidArgument

/// A read view of one table (ids + row-major vectors). Cheap to copy.
class EmbeddingTable {
 public:
  EmbeddingTable() = default;
  EmbeddingTable(std::span<const uint64_t> ids, std::span<const float> vectors, uint32_t dim,
                 const std::unordered_map<uint64_t, uint32_t>* index)
      : ids_(ids), vectors_(vectors), dim_(dim), index_(index) {}

  size_t size() const { return ids_.size(); }
  bool empty() const { return ids_.empty(); }
  uint32_t dim() const { return dim_; }
  std::span<const uint64_t> ids() const { return ids_; }
  std::span<const float> vectors() const { return vectors_; }
  uint64_t id(uint32_t row) const { return ids_[row]; }
  std::span<const float> row(uint32_t r) const { return vectors_.subspan(size_t(r) * dim_, dim_); }
  /// Row of a raw id, or kNoRow.
  uint32_t find(uint64_t id) const;

 private:
  std::span<const uint64_t> ids_;
  std::span<const float> vectors_;
  uint32_t dim_ = 0;
  const std::unordered_map<uint64_t, uint32_t>* index_ = nullptr;
};

class Embeddings {
 public:
  /// In memory. item_vectors.size() must be item_ids.size() × dim (users likewise; users may be empty).
  /// Ids must be unique per table; vectors must be finite. Throws kInvalidArgument otherwise.
  Embeddings(uint32_t dim, EmbeddingMetric metric, std::vector<uint64_t> item_ids, std::vector<float> item_vectors,
             std::vector<uint64_t> user_ids = {}, std::vector<float> user_vectors = {},
             nlohmann::json meta = nlohmann::json::object());
  static Embeddings load(const std::string& path);
  /// Atomic write (container). meta gains "dim", "metric", "items", "users".
  void save(const std::string& path) const;

  Embeddings(Embeddings&&) noexcept;
  Embeddings& operator=(Embeddings&&) noexcept;
  ~Embeddings();

  uint32_t dim() const { return dim_; }
  EmbeddingMetric metric() const { return metric_; }
  const EmbeddingTable& items() const { return items_; }
  const EmbeddingTable& users() const { return users_; }
  bool has_users() const { return !users_.empty(); }
  /// Free-form description written by the learner (method, options, training report).
  const nlohmann::json& meta() const { return meta_; }

 private:
  Embeddings();
  void index_tables(const std::string& where);
  struct Storage;
  std::unique_ptr<Storage> storage_;
  uint32_t dim_ = 0;
  EmbeddingMetric metric_ = EmbeddingMetric::kDot;
  EmbeddingTable items_, users_;
  nlohmann::json meta_;
};

}  // namespace reco
