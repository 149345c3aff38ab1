#include "reco/features/vocabulary.h"

#include <xxhash.h>

#include <algorithm>
#include <limits>
#include <numeric>
#include <unordered_map>

#include "reco/core/error.h"

namespace reco {

namespace {
constexpr std::string_view kOovToken = "<oov>";
constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();

struct ViewHash {
  size_t operator()(std::string_view s) const noexcept { return XXH3_64bits(s.data(), s.size()); }
};
}  // namespace

// ---------------------------------------------------------------------------------------
// Vocabulary

struct Vocabulary::Data {
  std::vector<uint64_t> offsets{0, 0};
  std::string bytes;
  std::vector<uint64_t> counts{0};
  // Keys view into `bytes`; Data is immutable once built and never moved (held by
  // shared_ptr), so the views stay valid.
  std::unordered_map<std::string_view, uint32_t, ViewHash> index;

  std::string_view view(uint32_t id) const {
    return std::string_view(bytes).substr(offsets[id], offsets[id + 1] - offsets[id]);
  }
  void build_index() {
    index.reserve(counts.size());
    for (uint32_t id = 1; id < counts.size(); ++id) {
      auto [it, inserted] = index.emplace(view(id), id);
      RECO_CHECK_CODE(inserted, ErrorCode::kCorrupt)
          << "vocabulary has token '" << view(id) << "' twice (ids " << it->second << " and " << id
          << ")";
    }
  }
};

Vocabulary::Vocabulary() : data_(std::make_shared<Data>()) {}

Vocabulary::Vocabulary(std::span<const uint64_t> offsets, std::string_view bytes,
                       std::span<const uint64_t> counts) {
  RECO_CHECK_CODE(!counts.empty(), ErrorCode::kCorrupt) << "vocabulary has no OOV slot";
  RECO_CHECK_CODE(offsets.size() == counts.size() + 1, ErrorCode::kCorrupt)
      << "vocabulary offsets length " << offsets.size() << " != counts length + 1 ("
      << counts.size() + 1 << ")";
  RECO_CHECK_CODE(counts.size() <= std::numeric_limits<uint32_t>::max(), ErrorCode::kCorrupt)
      << "vocabulary too large: " << counts.size();
  RECO_CHECK_CODE(offsets[0] == 0 && offsets[1] == 0, ErrorCode::kCorrupt)
      << "vocabulary OOV slot must hold no bytes";
  for (size_t i = 1; i < offsets.size(); ++i) {
    RECO_CHECK_CODE(offsets[i] >= offsets[i - 1], ErrorCode::kCorrupt)
        << "vocabulary offsets decrease at " << i;
  }
  RECO_CHECK_CODE(offsets.back() == bytes.size(), ErrorCode::kCorrupt)
      << "vocabulary offsets end at " << offsets.back() << " but bytes has " << bytes.size();
  auto data = std::make_shared<Data>();
  data->offsets.assign(offsets.begin(), offsets.end());
  data->bytes.assign(bytes);
  data->counts.assign(counts.begin(), counts.end());
  data->build_index();
  data_ = std::move(data);
}

size_t Vocabulary::size() const { return data_->counts.size(); }

std::string_view Vocabulary::token(uint32_t id) const {
  RECO_CHECK_LT(id, size()) << "vocabulary id out of range";
  if (id == kOov) return kOovToken;
  return data_->view(id);
}

uint64_t Vocabulary::count(uint32_t id) const {
  RECO_CHECK_LT(id, size()) << "vocabulary id out of range";
  return data_->counts[id];
}

uint32_t Vocabulary::lookup(std::string_view token) const {
  auto it = data_->index.find(token);
  return it == data_->index.end() ? kOov : it->second;
}

std::span<const uint64_t> Vocabulary::offsets() const { return data_->offsets; }
std::string_view Vocabulary::bytes() const { return data_->bytes; }
std::span<const uint64_t> Vocabulary::counts() const { return data_->counts; }

// ---------------------------------------------------------------------------------------
// VocabularyBuilder: open addressing over provisional ids. Token bytes live in one
// growing arena addressed by offsets (offsets stay valid when the arena reallocates).

struct VocabularyBuilder::Impl {
  std::string arena;
  std::vector<uint64_t> offsets{0};  // token i = arena[offsets[i], offsets[i+1])
  std::vector<uint64_t> counts;
  std::vector<uint64_t> hashes;
  std::vector<uint32_t> slots;  // provisional id, or kNone for an empty slot
  uint64_t mask = 0;

  Impl() { slots.assign(1024, kNone), mask = 1023; }

  std::string_view view(uint32_t id) const {
    return std::string_view(arena).substr(offsets[id], offsets[id + 1] - offsets[id]);
  }

  // Slot holding `token` or the empty slot where it would go.
  size_t probe(std::string_view token, uint64_t h) const {
    size_t i = h & mask;
    while (true) {
      uint32_t id = slots[i];
      if (id == kNone) return i;
      if (hashes[id] == h && view(id) == token) return i;
      i = (i + 1) & mask;
    }
  }

  void grow() {
    std::vector<uint32_t> bigger(slots.size() * 2, kNone);
    uint64_t bigger_mask = bigger.size() - 1;
    for (uint32_t id = 0; id < counts.size(); ++id) {
      size_t i = hashes[id] & bigger_mask;
      while (bigger[i] != kNone) i = (i + 1) & bigger_mask;
      bigger[i] = id;
    }
    slots.swap(bigger);
    mask = bigger_mask;
  }

  uint32_t add(std::string_view token, uint64_t count, uint64_t h) {
    size_t i = probe(token, h);
    if (slots[i] != kNone) {
      counts[slots[i]] += count;
      return slots[i];
    }
    RECO_CHECK_CODE(counts.size() < kNone - 1, ErrorCode::kResourceExhausted)
        << "vocabulary exceeds 2^32 - 2 distinct tokens";
    auto id = static_cast<uint32_t>(counts.size());
    arena.append(token);
    offsets.push_back(arena.size());
    counts.push_back(count);
    hashes.push_back(h);
    slots[i] = id;
    // Keep the load factor <= 1/2 so probes stay short.
    if (counts.size() * 2 > slots.size()) grow();
    return id;
  }
};

VocabularyBuilder::VocabularyBuilder() : impl_(std::make_unique<Impl>()) {}
VocabularyBuilder::~VocabularyBuilder() = default;
VocabularyBuilder::VocabularyBuilder(VocabularyBuilder&&) noexcept = default;
VocabularyBuilder& VocabularyBuilder::operator=(VocabularyBuilder&&) noexcept = default;

uint32_t VocabularyBuilder::add(std::string_view token, uint64_t count) {
  return impl_->add(token, count, XXH3_64bits(token.data(), token.size()));
}

uint32_t VocabularyBuilder::find(std::string_view token) const {
  size_t i = impl_->probe(token, XXH3_64bits(token.data(), token.size()));
  return impl_->slots[i];
}

std::vector<uint32_t> VocabularyBuilder::merge(const VocabularyBuilder& other) {
  RECO_CHECK(&other != this) << "cannot merge a vocabulary builder into itself";
  const Impl& o = *other.impl_;
  std::vector<uint32_t> remap(o.counts.size());
  for (uint32_t id = 0; id < o.counts.size(); ++id) {
    remap[id] = impl_->add(o.view(id), o.counts[id], o.hashes[id]);
  }
  return remap;
}

size_t VocabularyBuilder::size() const { return impl_->counts.size(); }

std::string_view VocabularyBuilder::token(uint32_t provisional_id) const {
  RECO_CHECK_LT(provisional_id, size()) << "provisional id out of range";
  return impl_->view(provisional_id);
}

uint64_t VocabularyBuilder::count(uint32_t provisional_id) const {
  RECO_CHECK_LT(provisional_id, size()) << "provisional id out of range";
  return impl_->counts[provisional_id];
}

VocabularyBuilder::Result VocabularyBuilder::finalize(uint64_t min_count, uint64_t max_size) const {
  const Impl& b = *impl_;
  std::vector<uint32_t> order;
  order.reserve(b.counts.size());
  for (uint32_t id = 0; id < b.counts.size(); ++id) {
    if (b.counts[id] >= min_count) order.push_back(id);
  }
  // Provisional ids are first-appearance order, so a stable sort by count gives the tie rule.
  std::stable_sort(order.begin(), order.end(),
                   [&](uint32_t a, uint32_t c) { return b.counts[a] > b.counts[c]; });
  if (max_size != 0 && order.size() > max_size) order.resize(max_size);

  std::vector<uint32_t> remap(b.counts.size(), Vocabulary::kOov);
  std::vector<uint64_t> offsets{0, 0};
  std::vector<uint64_t> counts{0};
  std::string bytes;
  offsets.reserve(order.size() + 2);
  counts.reserve(order.size() + 1);
  for (uint32_t id : order) {
    remap[id] = static_cast<uint32_t>(counts.size());
    bytes.append(b.view(id));
    offsets.push_back(bytes.size());
    counts.push_back(b.counts[id]);
  }
  uint64_t total = std::accumulate(b.counts.begin(), b.counts.end(), uint64_t{0});
  uint64_t kept = std::accumulate(counts.begin() + 1, counts.end(), uint64_t{0});
  counts[0] = total - kept;
  return Result{Vocabulary(offsets, bytes, counts), std::move(remap)};
}

}  // namespace reco
