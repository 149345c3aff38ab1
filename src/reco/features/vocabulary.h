// Vocabulary: the exact string -> id map of one categorical column.
//
// Ids: 0 is the out-of-vocabulary (OOV) slot. It stands for tokens dropped at finalize
// (count below min_count, or beyond max_size) and for tokens never seen at build time.
// Ids 1..size()-1 are the kept tokens by descending count, ties by first appearance in
// the build input, so the same input gives the same ids on every run.
// The empty string is an ordinary token (it is how a missing value is represented).
//
// Serialized layout (what the dataset file stores as "vocab/<column>/..."):
//   offsets : uint64 [size()+1]   token id i is bytes[offsets[i], offsets[i+1])
//   bytes   : char   [offsets[size()]]   concatenated token bytes, no separators
//   counts  : uint64 [size()]     occurrences at build time; counts[0] = total
//                                 occurrences of the dropped (OOV) tokens
// Slot 0 stores no bytes (offsets[0] == offsets[1] == 0); token(0) returns "<oov>".
//
// Ownership: a Vocabulary owns its data (constructing from spans copies them) behind a
// shared immutable buffer, so copies are cheap and a Vocabulary is safe to read from
// many threads.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace reco {

class Vocabulary {
 public:
  static constexpr uint32_t kOov = 0;

  /// An empty vocabulary: only the OOV slot (size() == 1).
  Vocabulary();
  /// From the serialized arrays (copied). Validates: offsets.size() == counts.size() + 1,
  /// offsets[0] == offsets[1] == 0, offsets non-decreasing, offsets.back() == bytes.size(),
  /// no duplicate tokens. Throws ErrorCode::kCorrupt describing the first problem.
  Vocabulary(std::span<const uint64_t> offsets, std::string_view bytes,
             std::span<const uint64_t> counts);

  /// Number of ids including the OOV slot 0 (>= 1).
  size_t size() const;
  /// Token text; id 0 -> "<oov>". Throws kInvalidArgument when id >= size().
  std::string_view token(uint32_t id) const;
  /// Build-time count of id (id 0: total count of dropped tokens).
  uint64_t count(uint32_t id) const;
  /// Id of `token`, or kOov (0) if unknown.
  uint32_t lookup(std::string_view token) const;

  /// Serialized arrays (see the layout above); views into this object's data.
  std::span<const uint64_t> offsets() const;
  std::string_view bytes() const;
  std::span<const uint64_t> counts() const;

 private:
  struct Data;
  std::shared_ptr<const Data> data_;
};

/// Collects tokens (single-threaded), then finalize() turns them into a Vocabulary.
/// Provisional ids are assigned in first-appearance order starting at 0; finalize()
/// returns the remap provisional -> final id. Token bytes are copied into an arena the
/// builder owns, so callers may pass views into transient buffers.
class VocabularyBuilder {
 public:
  VocabularyBuilder();
  ~VocabularyBuilder();
  VocabularyBuilder(VocabularyBuilder&&) noexcept;
  VocabularyBuilder& operator=(VocabularyBuilder&&) noexcept;

  /// Counts `count` occurrences of `token`; returns its provisional id.
  uint32_t add(std::string_view token, uint64_t count = 1);
  /// Provisional id of `token` if already added, else UINT32_MAX.
  uint32_t find(std::string_view token) const;
  /// Adds every token of `other` (with its counts) in `other`'s provisional order and
  /// returns other's provisional id -> this builder's provisional id. Merging per-chunk
  /// builders in chunk order gives the same first-appearance order as one sequential pass.
  std::vector<uint32_t> merge(const VocabularyBuilder& other);

  /// Number of distinct tokens added so far.
  size_t size() const;
  std::string_view token(uint32_t provisional_id) const;
  uint64_t count(uint32_t provisional_id) const;

  struct Result {
    Vocabulary vocabulary;
    std::vector<uint32_t> remap;  ///< provisional id -> final id (0 = OOV)
  };
  /// Keeps tokens with count >= min_count, at most `max_size` of them (0 = unlimited;
  /// max_size counts real tokens, not the OOV slot, so vocabulary.size() <= max_size + 1),
  /// ordered by descending count, ties by first appearance. The builder is unchanged.
  Result finalize(uint64_t min_count = 1, uint64_t max_size = 0) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace reco
