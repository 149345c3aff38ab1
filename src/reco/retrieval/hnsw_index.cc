#include "reco/retrieval/hnsw_index.h"

#include <hnswlib/hnswlib.h>

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>

#include "reco/core/container.h"
#include "reco/core/error.h"
#include "reco/core/parallel_for.h"

namespace reco {

namespace {

using Graph = hnswlib::HierarchicalNSW<float>;

// Rows per task of the multithreaded build: small enough to balance, large enough that
// task dispatch is noise next to ~ef_construction distance computations per row.
constexpr size_t kBuildChunk = 256;

uint16_t link_count(const char* list) {
  uint16_t c;
  std::memcpy(&c, list, sizeof c);
  return c;
}

/// Checks one link list (count, then ids) read from a file: count <= max_links, ids < rows.
void check_links(const char* list, size_t max_links, size_t rows, const std::string& path, const char* section,
                 size_t element) {
  const size_t count = link_count(list);
  RECO_CHECK_CODE(count <= max_links, ErrorCode::kCorrupt)
      << path << ": section '" << section << "', element " << element << ": " << count << " links, at most "
      << max_links << " expected";
  for (size_t j = 0; j < count; ++j) {
    uint32_t id;
    std::memcpy(&id, list + sizeof(uint32_t) * (1 + j), sizeof id);
    RECO_CHECK_CODE(id < rows, ErrorCode::kCorrupt)
        << path << ": section '" << section << "', element " << element << ": link to " << id << ", only " << rows
        << " elements";
  }
}

}  // namespace

uint64_t items_checksum(const EmbeddingTable& items) { return checksum64(std::as_bytes(items.ids())); }

HnswIndex::HnswIndex(uint32_t dim, EmbeddingMetric metric, const HnswOptions& options)
    : dim_(dim), metric_(metric), options_(options) {
  RECO_CHECK(dim >= 1) << "HnswIndex: dim must be >= 1";
  RECO_CHECK(options.M >= 2 && options.M <= 1000) << "HnswIndex: M must be in [2, 1000], got " << options.M;
  RECO_CHECK(options.ef_construction >= 1) << "HnswIndex: ef_construction must be >= 1";
  RECO_CHECK(options.ef_search >= 1) << "HnswIndex: ef_search must be >= 1";
  space_ = std::make_unique<hnswlib::InnerProductSpace>(dim);
}

HnswIndex::~HnswIndex() = default;

std::unique_ptr<HnswIndex> HnswIndex::build(std::span<const float> vectors, uint32_t dim, EmbeddingMetric metric,
                                            const HnswOptions& options, const RunContext& ctx) {
  std::unique_ptr<HnswIndex> idx(new HnswIndex(dim, metric, options));
  RECO_CHECK(vectors.size() % dim == 0) << "HnswIndex: " << vectors.size() << " floats is not a multiple of dim "
                                        << dim;
  const size_t n = vectors.size() / dim;
  RECO_CHECK(n < kNoRow) << "HnswIndex: " << n << " rows exceed the u32 row range";
  idx->n_ = n;
  // hnswlib copies each vector into its own block; cosine needs unit vectors in it.
  std::vector<float> unit;
  const float* data = vectors.data();
  if (metric == EmbeddingMetric::kCosine) {
    unit.assign(vectors.begin(), vectors.end());
    for (size_t r = 0; r < n; ++r) normalize_in_place({unit.data() + r * dim, dim});
    data = unit.data();
  }
  idx->graph_ = std::make_unique<Graph>(idx->space_.get(), std::max<size_t>(n, 1), options.M,
                                        options.ef_construction, options.seed);
  idx->graph_->setEf(options.ef_search);
  if (n == 0) return idx;
  Graph& g = *idx->graph_;
  if (ctx.threads <= 1) {
    for (size_t r = 0; r < n; ++r) g.addPoint(data + r * dim, r);
    return idx;
  }
  // The first element becomes the entry point; concurrent inserts need one to exist.
  g.addPoint(data, 0);
  const size_t tasks = (n - 1 + kBuildChunk - 1) / kBuildChunk;
  parallel_tasks(ctx.threads, tasks, [&](size_t t, int) {
    const size_t b = 1 + t * kBuildChunk, e = std::min(n, b + kBuildChunk);
    for (size_t r = b; r < e; ++r) g.addPoint(data + r * dim, r);
  });
  return idx;
}

std::unique_ptr<HnswIndex> HnswIndex::build(const Embeddings& source, const HnswOptions& options,
                                            const RunContext& ctx) {
  auto idx = build(source.items().vectors(), source.dim(), source.metric(), options, ctx);
  idx->has_source_ = true;
  idx->source_items_ = source.items().size();
  idx->source_checksum_ = items_checksum(source.items());
  return idx;
}

void HnswIndex::set_ef_search(size_t ef) {
  RECO_CHECK(ef >= 1) << "HnswIndex: ef_search must be >= 1";
  options_.ef_search = ef;
  graph_->setEf(ef);
}

std::vector<Neighbor> HnswIndex::search_unfiltered(const float* query, size_t k) const {
  auto pq = graph_->searchKnn(query, k);
  std::vector<Neighbor> out;
  out.reserve(pq.size());
  for (; !pq.empty(); pq.pop()) out.push_back({static_cast<uint32_t>(pq.top().second), 1.0f - pq.top().first});
  std::sort(out.begin(), out.end(), better_neighbor);
  return out;
}

std::vector<Neighbor> HnswIndex::search(std::span<const float> query, size_t k, const RowFilter& filter) const {
  RECO_CHECK_EQ(query.size(), size_t(dim_)) << "HnswIndex::search: query length";
  k = std::min(k, n_);
  if (k == 0) return {};
  std::vector<float> q(query.begin(), query.end());
  if (metric_ == EmbeddingMetric::kCosine) normalize_in_place(q);
  if (!filter) return search_unfiltered(q.data(), k);
  for (size_t fetch = k;; fetch = std::min(n_, fetch * 2)) {
    std::vector<Neighbor> got = search_unfiltered(q.data(), fetch);
    std::erase_if(got, [&](const Neighbor& nb) { return !filter(nb.row); });
    if (got.size() >= k || fetch >= n_) {
      if (got.size() > k) got.resize(k);
      return got;
    }
    refetches_.fetch_add(1, std::memory_order_relaxed);
  }
}

void HnswIndex::save(const std::string& path) const {
  RECO_CHECK(has_source_) << "HnswIndex::save(" << path
                          << "): the index was built from raw vectors; build it from an Embeddings to save it";
  const Graph& g = *graph_;
  nlohmann::json meta = {{"M", options_.M},
                         {"ef_construction", options_.ef_construction},
                         {"ef_search", options_.ef_search},
                         {"seed", options_.seed},
                         {"dim", dim_},
                         {"metric", metric_name(metric_)},
                         {"rows", n_},
                         {"max_level", g.maxlevel_},
                         {"entry_point", g.enterpoint_node_},
                         {"source_items", source_items_},
                         {"source_ids_checksum", source_checksum_}};
  ContainerWriter w(path, kAnnKind, kAnnVersion);
  w.add_section("meta", meta.dump());
  w.add_section("level0", std::span<const std::byte>(reinterpret_cast<const std::byte*>(g.data_level0_memory_),
                                                     n_ * g.size_data_per_element_));
  std::vector<int32_t> levels(n_);
  for (size_t i = 0; i < n_; ++i) levels[i] = g.element_levels_[i];
  w.add_array<int32_t>("levels", levels);
  w.begin_section("upper_links");
  for (size_t i = 0; i < n_; ++i)
    if (levels[i] > 0)
      w.append(std::span<const std::byte>(reinterpret_cast<const std::byte*>(g.linkLists_[i]),
                                          size_t(levels[i]) * g.size_links_per_element_));
  w.end_section();
  w.commit();
}

std::unique_ptr<HnswIndex> HnswIndex::load(const std::string& path, const Embeddings& source) {
  const Container c = Container::open(path, kAnnKind, kAnnVersion);
  nlohmann::json meta;
  HnswOptions opt;
  uint32_t dim = 0;
  EmbeddingMetric metric{};
  size_t rows = 0, src_items = 0;
  uint64_t src_checksum = 0;
  int max_level = 0;
  uint32_t entry = 0;
  try {
    meta = nlohmann::json::parse(c.section_string("meta"));
    opt.M = meta.at("M").get<size_t>();
    opt.ef_construction = meta.at("ef_construction").get<size_t>();
    opt.ef_search = meta.at("ef_search").get<size_t>();
    opt.seed = meta.at("seed").get<uint64_t>();
    dim = meta.at("dim").get<uint32_t>();
    metric = parse_metric(meta.at("metric").get<std::string>());
    rows = meta.at("rows").get<size_t>();
    max_level = meta.at("max_level").get<int>();
    entry = meta.at("entry_point").get<uint32_t>();
    src_items = meta.at("source_items").get<size_t>();
    src_checksum = meta.at("source_ids_checksum").get<uint64_t>();
  } catch (const nlohmann::json::exception& e) {
    RECO_THROW(ErrorCode::kCorrupt) << path << ": section 'meta': " << e.what();
  }
  RECO_CHECK(src_items == source.items().size() && src_checksum == items_checksum(source.items()))
      << path << ": built from an embeddings file with " << src_items << " items (ids checksum " << src_checksum
      << "), not this one (" << source.items().size() << " items, checksum " << items_checksum(source.items())
      << "): rebuild the index with `reco candidates build ann`";
  RECO_CHECK(dim == source.dim() && metric == source.metric())
      << path << ": dim " << dim << " metric " << metric_name(metric) << " differ from the embeddings' dim "
      << source.dim() << " metric " << metric_name(source.metric());
  RECO_CHECK_CODE(rows == src_items, ErrorCode::kCorrupt)
      << path << ": meta 'rows' " << rows << " != 'source_items' " << src_items;

  std::unique_ptr<HnswIndex> idx(new HnswIndex(dim, metric, opt));
  idx->n_ = rows;
  idx->has_source_ = true;
  idx->source_items_ = src_items;
  idx->source_checksum_ = src_checksum;
  idx->graph_ = std::make_unique<Graph>(idx->space_.get(), std::max<size_t>(rows, 1), opt.M, opt.ef_construction,
                                        opt.seed);
  Graph& g = *idx->graph_;
  g.setEf(opt.ef_search);

  // Validate every byte we are about to hand hnswlib before taking ownership of memory.
  const auto level0 = c.section("level0");
  const auto levels = c.array<int32_t>("levels");
  const auto upper = c.section("upper_links");
  RECO_CHECK_CODE(level0.size() == rows * g.size_data_per_element_, ErrorCode::kCorrupt)
      << path << ": section 'level0' has " << level0.size() << " bytes, expected " << rows << " × "
      << g.size_data_per_element_;
  RECO_CHECK_CODE(levels.size() == rows, ErrorCode::kCorrupt)
      << path << ": section 'levels' has " << levels.size() << " entries, expected " << rows;
  RECO_CHECK_CODE(rows == 0 || (entry < rows && max_level >= 0 && levels[entry] == max_level), ErrorCode::kCorrupt)
      << path << ": entry point " << entry << " / max level " << max_level << " inconsistent with the levels";
  const char* l0 = reinterpret_cast<const char*>(level0.data());
  size_t upper_bytes = 0;
  for (size_t i = 0; i < rows; ++i) {
    const char* elem = l0 + i * g.size_data_per_element_;
    check_links(elem, g.maxM0_, rows, path, "level0", i);
    size_t label;
    std::memcpy(&label, elem + g.label_offset_, sizeof label);
    RECO_CHECK_CODE(label < rows, ErrorCode::kCorrupt)
        << path << ": element " << i << " has row " << label << ", only " << rows << " rows";
    RECO_CHECK_CODE(levels[i] >= 0 && levels[i] <= max_level, ErrorCode::kCorrupt)
        << path << ": element " << i << " has level " << levels[i] << ", max level " << max_level;
    upper_bytes += size_t(levels[i]) * g.size_links_per_element_;
  }
  RECO_CHECK_CODE(upper.size() == upper_bytes, ErrorCode::kCorrupt)
      << path << ": section 'upper_links' has " << upper.size() << " bytes, the levels need " << upper_bytes;
  const char* up = reinterpret_cast<const char*>(upper.data());
  for (size_t i = 0, off = 0; i < rows; ++i)
    for (int32_t l = 0; l < levels[i]; ++l, off += g.size_links_per_element_)
      check_links(up + off, g.maxM_, rows, path, "upper_links", i);

  std::memcpy(g.data_level0_memory_, l0, level0.size());
  for (size_t i = 0, off = 0; i < rows; ++i) {
    g.element_levels_[i] = levels[i];
    g.linkLists_[i] = nullptr;
    if (levels[i] > 0) {
      const size_t bytes = size_t(levels[i]) * g.size_links_per_element_;
      g.linkLists_[i] = static_cast<char*>(std::malloc(bytes));
      RECO_CHECK_CODE(g.linkLists_[i] != nullptr, ErrorCode::kIo) << path << ": out of memory loading links";
      std::memcpy(g.linkLists_[i], up + off, bytes);
      off += bytes;
    }
    // Counted as it goes so that hnswlib's destructor frees exactly what was allocated.
    g.cur_element_count = i + 1;
    g.label_lookup_[g.getExternalLabel(static_cast<hnswlib::tableint>(i))] = static_cast<hnswlib::tableint>(i);
  }
  g.maxlevel_ = rows == 0 ? -1 : max_level;
  g.enterpoint_node_ = rows == 0 ? static_cast<hnswlib::tableint>(-1) : entry;
  return idx;
}

}  // namespace reco
