#include "reco/graph/bipartite_graph.h"

#include <algorithm>

#include "reco/core/container.h"
#include "reco/core/error.h"

namespace reco::graph {

struct BipartiteGraph::Storage {
  GraphArrays arrays;
  std::optional<Container> file;
};

BipartiteGraph::BipartiteGraph() : storage_(std::make_unique<Storage>()) {}
BipartiteGraph::BipartiteGraph(BipartiteGraph&&) noexcept = default;
BipartiteGraph& BipartiteGraph::operator=(BipartiteGraph&&) noexcept = default;
BipartiteGraph::~BipartiteGraph() = default;

BipartiteGraph BipartiteGraph::from_arrays(GraphArrays arrays, nlohmann::json meta) {
  BipartiteGraph g;
  g.storage_->arrays = std::move(arrays);
  const GraphArrays& a = g.storage_->arrays;
  g.left_ids_ = a.left_ids;
  g.right_ids_ = a.right_ids;
  g.left_order_ = a.left_order;
  g.right_order_ = a.right_order;
  g.l2r_ = {a.l2r_offsets, a.l2r_targets, a.l2r_weights};
  g.r2l_ = {a.r2l_offsets, a.r2l_targets, a.r2l_weights};
  g.meta_ = std::move(meta);
  g.validate("built graph");
  return g;
}

BipartiteGraph BipartiteGraph::load(const std::string& path) {
  BipartiteGraph g;
  g.storage_->file.emplace(Container::open(path, kGraphKind, kGraphVersion));
  const Container& c = *g.storage_->file;
  g.left_ids_ = c.array<uint64_t>("left/ids");
  g.right_ids_ = c.array<uint64_t>("right/ids");
  g.left_order_ = c.array<uint32_t>("left/order");
  g.right_order_ = c.array<uint32_t>("right/order");
  g.l2r_ = {c.array<uint64_t>("l2r/offsets"), c.array<uint32_t>("l2r/targets"), c.array<float>("l2r/weights")};
  g.r2l_ = {c.array<uint64_t>("r2l/offsets"), c.array<uint32_t>("r2l/targets"), c.array<float>("r2l/weights")};
  try {
    g.meta_ = nlohmann::json::parse(c.section_string("meta"));
  } catch (const nlohmann::json::exception& e) {
    RECO_THROW(ErrorCode::kCorrupt) << path << ": section 'meta' is not valid JSON (" << e.what() << ")";
  }
  g.validate(path);
  return g;
}

namespace {

void check_csr(const std::string& where, const char* name, const CsrView& csr, size_t rows, size_t cols) {
  RECO_CHECK_CODE(csr.offsets.size() == rows + 1, ErrorCode::kCorrupt)
      << where << ": " << name << "/offsets has " << csr.offsets.size() << " entries, expected " << rows + 1;
  RECO_CHECK_CODE(csr.offsets[0] == 0 && csr.offsets[rows] == csr.targets.size(), ErrorCode::kCorrupt)
      << where << ": " << name << "/offsets must start at 0 and end at the edge count " << csr.targets.size();
  RECO_CHECK_CODE(csr.weights.size() == csr.targets.size(), ErrorCode::kCorrupt)
      << where << ": " << name << "/weights has " << csr.weights.size() << " entries, expected "
      << csr.targets.size();
  for (size_t r = 0; r < rows; ++r) {
    RECO_CHECK_CODE(csr.offsets[r] < csr.offsets[r + 1], ErrorCode::kCorrupt)
        << where << ": " << name << " row " << r << " is empty or offsets decrease";
    RECO_CHECK_CODE(csr.offsets[r + 1] <= csr.targets.size(), ErrorCode::kCorrupt)
        << where << ": " << name << "/offsets[" << r + 1 << "] beyond the edge count";
    uint32_t prev = 0;
    for (uint64_t e = csr.offsets[r]; e < csr.offsets[r + 1]; ++e) {
      const uint32_t t = csr.targets[e];
      RECO_CHECK_CODE(t < cols, ErrorCode::kCorrupt)
          << where << ": " << name << "/targets[" << e << "] = " << t << " out of range (" << cols << " nodes)";
      RECO_CHECK_CODE(e == csr.offsets[r] || t > prev, ErrorCode::kCorrupt)
          << where << ": " << name << " row " << r << " not strictly ascending";
      prev = t;
    }
  }
}

void check_order(const std::string& where, const char* name, std::span<const uint64_t> ids,
                 std::span<const uint32_t> order) {
  RECO_CHECK_CODE(order.size() == ids.size(), ErrorCode::kCorrupt)
      << where << ": " << name << "/order has " << order.size() << " entries, expected " << ids.size();
  for (size_t i = 0; i < order.size(); ++i) {
    RECO_CHECK_CODE(order[i] < ids.size(), ErrorCode::kCorrupt) << where << ": " << name << "/order out of range";
    RECO_CHECK_CODE(i == 0 || ids[order[i - 1]] < ids[order[i]], ErrorCode::kCorrupt)
        << where << ": " << name << "/order does not sort the ids strictly (duplicate id or bad permutation)";
  }
}

uint32_t find_in(std::span<const uint64_t> ids, std::span<const uint32_t> order, uint64_t id) {
  auto it = std::lower_bound(order.begin(), order.end(), id, [&](uint32_t i, uint64_t v) { return ids[i] < v; });
  if (it == order.end() || ids[*it] != id) return kNoNode;
  return *it;
}

uint32_t max_degree(const CsrView& csr) {
  uint32_t m = 0;
  for (uint32_t r = 0; r < csr.rows(); ++r) m = std::max(m, csr.degree(r));
  return m;
}

}  // namespace

void BipartiteGraph::validate(const std::string& where) const {
  check_order(where, "left", left_ids_, left_order_);
  check_order(where, "right", right_ids_, right_order_);
  check_csr(where, "l2r", l2r_, left_ids_.size(), right_ids_.size());
  check_csr(where, "r2l", r2l_, right_ids_.size(), left_ids_.size());
  RECO_CHECK_CODE(l2r_.targets.size() == r2l_.targets.size(), ErrorCode::kCorrupt)
      << where << ": l2r has " << l2r_.targets.size() << " edges but r2l has " << r2l_.targets.size();
}

void BipartiteGraph::save(const std::string& path) const {
  ContainerWriter w(path, kGraphKind, kGraphVersion);
  w.add_section("meta", meta_.dump());
  w.add_array<uint64_t>("left/ids", left_ids_);
  w.add_array<uint64_t>("right/ids", right_ids_);
  w.add_array<uint32_t>("left/order", left_order_);
  w.add_array<uint32_t>("right/order", right_order_);
  w.add_array<uint64_t>("l2r/offsets", l2r_.offsets);
  w.add_array<uint32_t>("l2r/targets", l2r_.targets);
  w.add_array<float>("l2r/weights", l2r_.weights);
  w.add_array<uint64_t>("r2l/offsets", r2l_.offsets);
  w.add_array<uint32_t>("r2l/targets", r2l_.targets);
  w.add_array<float>("r2l/weights", r2l_.weights);
  w.commit();
}

uint32_t BipartiteGraph::find_left(uint64_t id) const { return find_in(left_ids_, left_order_, id); }
uint32_t BipartiteGraph::find_right(uint64_t id) const { return find_in(right_ids_, right_order_, id); }
uint32_t BipartiteGraph::max_right_degree() const { return max_degree(r2l_); }
uint32_t BipartiteGraph::max_left_degree() const { return max_degree(l2r_); }

}  // namespace reco::graph
