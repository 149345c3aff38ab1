// Feature hashing: stable 64-bit hashes of raw values and their reduction to buckets.
//
// Every hash is XXH3-64 with an explicit seed, so a hashed column is reproducible across
// runs, machines and thread counts as long as the seed (stored in the column's details)
// is the same. Bucket reduction uses the high bits of a 64x64->128 multiply ("fastrange"),
// which is unbiased enough for bucket counts far below 2^64 and avoids a division.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace reco {

/// XXH3-64 of the bytes of `value` with `seed`.
uint64_t hash_bytes(std::string_view value, uint64_t seed);

/// XXH3-64 of the 8 little-endian bytes of `value` with `seed` (for integer keys).
uint64_t hash_u64(uint64_t value, uint64_t seed);

/// Maps a 64-bit hash to [0, buckets). `buckets` must be in [1, 2^32].
uint32_t reduce_to_bucket(uint64_t hash, uint64_t buckets);

/// Bucket of a raw string value: reduce_to_bucket(hash_bytes(value, seed), buckets).
/// `buckets` in [1, 2^32]; throws kInvalidArgument otherwise.
uint32_t hash_bucket(std::string_view value, uint64_t buckets, uint64_t seed);

/// Bucket of a feature cross: the per-column value hashes (each typically
/// hash_bytes(value, seed), in a fixed column order) are hashed together as one
/// little-endian byte string with `seed` and reduced to [0, buckets). The order of
/// `value_hashes` matters ({city, cell} != {cell, city}). Needs at least two hashes.
uint32_t hash_cross(std::span<const uint64_t> value_hashes, uint64_t buckets, uint64_t seed);

}  // namespace reco
