#include "reco/retrieval/embeddings.h"

#include <cmath>
#include <optional>

#include "reco/core/container.h"
#include "reco/core/error.h"

namespace reco {

struct Embeddings::Storage {
  std::optional<Container> file;  // set when loaded: tables are views into it
  std::vector<uint64_t> item_ids, user_ids;
  std::vector<float> item_vectors, user_vectors;
  std::unordered_map<uint64_t, uint32_t> item_index, user_index;
};

const char* metric_name(EmbeddingMetric m) { return m == EmbeddingMetric::kCosine ? "cosine" : "dot"; }

EmbeddingMetric parse_metric(std::string_view text) {
  if (text == "dot") return EmbeddingMetric::kDot;
  if (text == "cosine") return EmbeddingMetric::kCosine;
  RECO_THROW(ErrorCode::kInvalidArgument) << "unknown embedding metric '" << text << "' (expected dot or cosine)";
}

uint32_t EmbeddingTable::find(uint64_t id) const {
  if (index_ == nullptr) return kNoRow;
  auto it = index_->find(id);
  return it == index_->end() ? kNoRow : it->second;
}

Embeddings::Embeddings() : storage_(std::make_unique<Storage>()) {}
Embeddings::Embeddings(Embeddings&&) noexcept = default;
Embeddings& Embeddings::operator=(Embeddings&&) noexcept = default;
Embeddings::~Embeddings() = default;

namespace {

void check_table(const std::string& where, const char* table, std::span<const uint64_t> ids,
                 std::span<const float> vectors, uint32_t dim) {
  if (vectors.size() != ids.size() * size_t(dim))
    RECO_THROW(ErrorCode::kInvalidArgument) << where << ": " << table << " table has " << ids.size() << " ids and "
                                            << vectors.size() << " floats; expected ids × dim " << dim;
  for (size_t i = 0; i < vectors.size(); ++i)
    if (!std::isfinite(vectors[i]))
      RECO_THROW(ErrorCode::kInvalidArgument) << where << ": " << table << " vector of id " << ids[i / dim]
                                              << " has a non-finite value at component " << i % dim;
}

void build_index(const std::string& where, const char* table, std::span<const uint64_t> ids,
                 std::unordered_map<uint64_t, uint32_t>& index) {
  index.clear();
  index.reserve(ids.size());
  for (uint32_t r = 0; r < ids.size(); ++r)
    if (!index.emplace(ids[r], r).second)
      RECO_THROW(ErrorCode::kInvalidArgument) << where << ": " << table << " id " << ids[r] << " appears twice";
}

}  // namespace

void Embeddings::index_tables(const std::string& where) {
  RECO_CHECK(dim_ > 0) << where << ": embedding dim must be > 0";
  Storage& s = *storage_;
  std::span<const uint64_t> iid, uid;
  std::span<const float> ivec, uvec;
  if (s.file) {
    iid = s.file->array<uint64_t>("item_ids");
    ivec = s.file->array<float>("item_vectors");
    if (s.file->has("user_ids")) {
      uid = s.file->array<uint64_t>("user_ids");
      uvec = s.file->array<float>("user_vectors");
    }
  } else {
    iid = s.item_ids, ivec = s.item_vectors, uid = s.user_ids, uvec = s.user_vectors;
  }
  check_table(where, "item", iid, ivec, dim_);
  check_table(where, "user", uid, uvec, dim_);
  build_index(where, "item", iid, s.item_index);
  build_index(where, "user", uid, s.user_index);
  items_ = EmbeddingTable(iid, ivec, dim_, &s.item_index);
  users_ = EmbeddingTable(uid, uvec, dim_, &s.user_index);
}

Embeddings::Embeddings(uint32_t dim, EmbeddingMetric metric, std::vector<uint64_t> item_ids,
                       std::vector<float> item_vectors, std::vector<uint64_t> user_ids,
                       std::vector<float> user_vectors, nlohmann::json meta)
    : storage_(std::make_unique<Storage>()), dim_(dim), metric_(metric), meta_(std::move(meta)) {
  storage_->item_ids = std::move(item_ids);
  storage_->item_vectors = std::move(item_vectors);
  storage_->user_ids = std::move(user_ids);
  storage_->user_vectors = std::move(user_vectors);
  if (!meta_.is_object()) meta_ = nlohmann::json::object();
  index_tables("embeddings");
}

Embeddings Embeddings::load(const std::string& path) {
  Embeddings e;
  e.storage_->file.emplace(Container::open(path, kEmbeddingsKind, kEmbeddingsVersion));
  try {
    e.meta_ = nlohmann::json::parse(e.storage_->file->section_string("meta"));
    e.dim_ = e.meta_.at("dim").get<uint32_t>();
    e.metric_ = parse_metric(e.meta_.at("metric").get<std::string>());
  } catch (const nlohmann::json::exception& ex) {
    RECO_THROW(ErrorCode::kCorrupt) << path << ": bad embeddings meta: " << ex.what();
  }
  e.index_tables(path);
  return e;
}

void Embeddings::save(const std::string& path) const {
  nlohmann::json meta = meta_;
  meta["dim"] = dim_;
  meta["metric"] = metric_name(metric_);
  meta["items"] = items_.size();
  meta["users"] = users_.size();
  ContainerWriter w(path, kEmbeddingsKind, kEmbeddingsVersion);
  w.add_section("meta", meta.dump());
  w.add_array<uint64_t>("item_ids", items_.ids());
  w.add_array<float>("item_vectors", items_.vectors());
  if (has_users()) {
    w.add_array<uint64_t>("user_ids", users_.ids());
    w.add_array<float>("user_vectors", users_.vectors());
  }
  w.commit();
}

}  // namespace reco
