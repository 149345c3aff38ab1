// Train/validation/test splits of a dataset's rows, stored as one byte per row
// (SplitPart) in the dataset's "split" section.
//
// Spec text (SplitSpec::parse):
//   "none"                   every row train
//   "random:0.8,0.1,0.1"     per-row: u = hash(seed, row) in [0,1); u < train -> train,
//                            < train+validation -> validation, else test. Independent of
//                            thread count and row order of other rows.
//   "time:0.8,0.1"           rows ordered by (timestamp, row index): the oldest
//                            round(0.8*rows) -> train, the next round(0.1*rows) ->
//                            validation, the newest rest -> test.
//   "user:0.8,0.1,0.1"       per user: u = hash(seed, user key) decides the part for all
//                            of the user's rows (the key is the user id string when a
//                            vocabulary is given, else the numeric id).
//   "leave-last-out[:N]"     per user, interactions ordered by (timestamp, row index):
//                            the last N -> test, the N before -> validation, the rest
//                            train. A user always keeps at least one train row: with k
//                            interactions test gets min(N, k-1) and validation
//                            min(N, k-1-test). Default N = 1.
//   "index-mod:10:8,1"       by row index i (among the written rows, in input order):
//                            i % N < a -> train, a <= i % N < a+b -> validation, else
//                            test. Deterministic without a seed; the MMoE census
//                            benchmark's "index % 10 < 8 train, == 8 validation, == 9
//                            test". Requires N >= 1 and a + b <= N.
// Fractions: 2 or 3 numbers in [0,1]; with 2 the test fraction is 1 - train - validation;
// with 3 they must sum to 1 (within 1e-6).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "reco/features/vocabulary.h"

namespace reco {

enum class SplitPart : uint8_t { kTrain = 0, kValidation = 1, kTest = 2 };

enum class SplitKind : uint8_t { kNone, kRandom, kTime, kUser, kLeaveLastOut, kIndexMod };

struct SplitSpec {
  SplitKind kind = SplitKind::kNone;
  double train = 1.0;
  double validation = 0.0;
  double test = 0.0;
  uint32_t last_n = 1;  ///< leave-last-out only
  /// index-mod only: row i -> train if i % modulus < mod_train, validation if below
  /// mod_train + mod_validation, else test. train/validation/test then hold the exact
  /// fractions (a/N, b/N, rest) for reports.
  uint32_t modulus = 0;
  uint32_t mod_train = 0;
  uint32_t mod_validation = 0;

  /// Throws kInvalidArgument quoting the text and the accepted forms.
  static SplitSpec parse(std::string_view text);
  /// Canonical text form, parse(to_string()) == *this.
  std::string to_string() const;
  bool needs_timestamps() const { return kind == SplitKind::kTime || kind == SplitKind::kLeaveLastOut; }
  bool needs_users() const { return kind == SplitKind::kUser || kind == SplitKind::kLeaveLastOut; }
};

/// One SplitPart byte per row. `timestamps` (needed by time / leave-last-out) and
/// `user_ids` (needed by user / leave-last-out) may be empty when not needed; when given
/// they must have `rows` entries. `user_vocab` (optional) maps user ids to their strings
/// for the user split's hash. Throws kInvalidArgument naming the missing column.
std::vector<uint8_t> make_split(const SplitSpec& spec, uint64_t rows, uint64_t seed,
                                std::span<const int64_t> timestamps,
                                std::span<const uint32_t> user_ids,
                                const Vocabulary* user_vocab = nullptr);

}  // namespace reco
