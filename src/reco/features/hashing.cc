#include "reco/features/hashing.h"

#include <xxhash.h>

#include <array>
#include <cstring>

#include "reco/core/error.h"

namespace reco {

namespace {
__extension__ typedef unsigned __int128 Uint128;  // GCC/Clang extension
constexpr uint64_t kMaxBuckets = uint64_t{1} << 32;

void check_buckets(uint64_t buckets) {
  RECO_CHECK(buckets >= 1 && buckets <= kMaxBuckets)
      << "hash buckets must be in [1, 2^32], got " << buckets;
}

// Little-endian bytes of v regardless of host order (the hash must be portable).
void store_le64(uint64_t v, unsigned char* out) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<unsigned char>(v >> (8 * i));
}
}  // namespace

uint64_t hash_bytes(std::string_view value, uint64_t seed) {
  return XXH3_64bits_withSeed(value.data(), value.size(), seed);
}

uint64_t hash_u64(uint64_t value, uint64_t seed) {
  unsigned char bytes[8];
  store_le64(value, bytes);
  return XXH3_64bits_withSeed(bytes, sizeof(bytes), seed);
}

uint32_t reduce_to_bucket(uint64_t hash, uint64_t buckets) {
  // High 64 bits of hash * buckets: uniform in [0, buckets) for a uniform hash.
  return static_cast<uint32_t>((static_cast<Uint128>(hash) * buckets) >> 64);
}

uint32_t hash_bucket(std::string_view value, uint64_t buckets, uint64_t seed) {
  check_buckets(buckets);
  return reduce_to_bucket(hash_bytes(value, seed), buckets);
}

uint32_t hash_cross(std::span<const uint64_t> value_hashes, uint64_t buckets, uint64_t seed) {
  check_buckets(buckets);
  RECO_CHECK(value_hashes.size() >= 2)
      << "a feature cross needs at least two columns, got " << value_hashes.size();
  // Crosses are rarely wider than a handful of columns; stream larger ones.
  constexpr size_t kInline = 8;
  if (value_hashes.size() <= kInline) {
    std::array<unsigned char, kInline * 8> bytes{};
    for (size_t i = 0; i < value_hashes.size(); ++i) store_le64(value_hashes[i], &bytes[i * 8]);
    return reduce_to_bucket(XXH3_64bits_withSeed(bytes.data(), value_hashes.size() * 8, seed),
                            buckets);
  }
  XXH3_state_t* state = XXH3_createState();
  RECO_CHECK_CODE(state != nullptr, ErrorCode::kResourceExhausted) << "XXH3_createState failed";
  XXH3_64bits_reset_withSeed(state, seed);
  for (uint64_t h : value_hashes) {
    unsigned char bytes[8];
    store_le64(h, bytes);
    XXH3_64bits_update(state, bytes, sizeof(bytes));
  }
  uint64_t h = XXH3_64bits_digest(state);
  XXH3_freeState(state);
  return reduce_to_bucket(h, buckets);
}

}  // namespace reco
