#include "reco/data/split.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numeric>
#include <sstream>

#include "reco/core/context.h"
#include "reco/core/error.h"
#include "reco/features/hashing.h"

namespace reco {

namespace {

constexpr std::string_view kForms =
    "expected none, random:TRAIN,VAL[,TEST], time:TRAIN,VAL[,TEST], user:TRAIN,VAL[,TEST], "
    "leave-last-out[:N] or index-mod:N:TRAIN,VAL (row counts out of every N)";

// Uniform [0,1) from the top 53 bits of a hash.
double unit_from_hash(uint64_t h) { return static_cast<double>(h >> 11) * 0x1.0p-53; }

SplitPart part_for(double u, const SplitSpec& s) {
  if (u < s.train) return SplitPart::kTrain;
  if (u < s.train + s.validation) return SplitPart::kValidation;
  return SplitPart::kTest;
}

void parse_fractions(std::string_view text, std::string_view args, SplitSpec& spec) {
  std::vector<double> f;
  size_t pos = 0;
  while (pos <= args.size()) {
    size_t comma = args.find(',', pos);
    std::string piece(args.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos));
    double v = 0;
    try {
      size_t used = 0;
      v = std::stod(piece, &used);
      if (used != piece.size()) throw std::invalid_argument("trailing");
    } catch (const std::exception&) {
      RECO_THROW(ErrorCode::kInvalidArgument)
          << "split '" << text << "': '" << piece << "' is not a number (" << kForms << ")";
    }
    RECO_CHECK(v >= 0.0 && v <= 1.0) << "split '" << text << "': fraction " << v << " is outside [0,1]";
    f.push_back(v);
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  RECO_CHECK(f.size() == 2 || f.size() == 3)
      << "split '" << text << "': expected 2 or 3 fractions, got " << f.size();
  spec.train = f[0];
  spec.validation = f[1];
  if (f.size() == 3) {
    spec.test = f[2];
    RECO_CHECK(std::abs(f[0] + f[1] + f[2] - 1.0) <= 1e-6)
        << "split '" << text << "': fractions sum to " << f[0] + f[1] + f[2] << ", expected 1";
  } else {
    spec.test = 1.0 - f[0] - f[1];
    RECO_CHECK(spec.test >= -1e-9) << "split '" << text << "': train + validation exceed 1";
    spec.test = std::max(spec.test, 0.0);
  }
}

// Non-negative integer, whole text; false on anything else.
bool parse_count(std::string_view piece, uint32_t& out) {
  auto [ptr, ec] = std::from_chars(piece.data(), piece.data() + piece.size(), out);
  return !piece.empty() && ec == std::errc() && ptr == piece.data() + piece.size();
}

// "N:a,b" after "index-mod:".
void parse_index_mod(std::string_view text, std::string_view args, SplitSpec& spec) {
  const size_t colon = args.find(':');
  const size_t comma = colon == std::string_view::npos ? std::string_view::npos : args.find(',', colon + 1);
  uint32_t n = 0, a = 0, b = 0;
  const bool ok = comma != std::string_view::npos && parse_count(args.substr(0, colon), n) &&
                  parse_count(args.substr(colon + 1, comma - colon - 1), a) &&
                  parse_count(args.substr(comma + 1), b);
  RECO_CHECK(ok) << "split '" << text << "': index-mod needs N:TRAIN,VAL with non-negative integers ("
                 << kForms << ")";
  RECO_CHECK(n >= 1) << "split '" << text << "': index-mod modulus N must be at least 1";
  RECO_CHECK(uint64_t{a} + b <= n) << "split '" << text << "': TRAIN + VAL = " << uint64_t{a} + b
                                   << " exceeds the modulus " << n;
  spec.kind = SplitKind::kIndexMod;
  spec.modulus = n;
  spec.mod_train = a;
  spec.mod_validation = b;
  spec.train = static_cast<double>(a) / n;
  spec.validation = static_cast<double>(b) / n;
  spec.test = static_cast<double>(n - a - b) / n;
}

// Part of row `row` under an index-mod spec.
SplitPart index_mod_part(uint64_t row, const SplitSpec& s) {
  const uint64_t r = row % s.modulus;
  if (r < s.mod_train) return SplitPart::kTrain;
  if (r < uint64_t{s.mod_train} + s.mod_validation) return SplitPart::kValidation;
  return SplitPart::kTest;
}

// Row indices ordered by (timestamp, row index).
std::vector<uint64_t> time_order(std::span<const int64_t> ts) {
  std::vector<uint64_t> order(ts.size());
  std::iota(order.begin(), order.end(), uint64_t{0});
  std::sort(order.begin(), order.end(),
            [&](uint64_t a, uint64_t b) { return ts[a] != ts[b] ? ts[a] < ts[b] : a < b; });
  return order;
}

}  // namespace

SplitSpec SplitSpec::parse(std::string_view text) {
  SplitSpec spec;
  size_t colon = text.find(':');
  std::string_view head = text.substr(0, colon);
  std::string_view args = colon == std::string_view::npos ? std::string_view{} : text.substr(colon + 1);
  if (head == "none") {
    RECO_CHECK(colon == std::string_view::npos) << "split '" << text << "': 'none' takes no arguments";
    return spec;
  }
  if (head == "leave-last-out") {
    spec.kind = SplitKind::kLeaveLastOut;
    spec.train = spec.validation = spec.test = 0.0;
    if (colon != std::string_view::npos) {
      uint32_t n = 0;
      auto [ptr, ec] = std::from_chars(args.data(), args.data() + args.size(), n);
      RECO_CHECK(ec == std::errc() && ptr == args.data() + args.size() && n >= 1)
          << "split '" << text << "': N must be a positive integer";
      spec.last_n = n;
    }
    return spec;
  }
  if (head == "index-mod") {
    RECO_CHECK(colon != std::string_view::npos)
        << "split '" << text << "' needs N:TRAIN,VAL (" << kForms << ")";
    parse_index_mod(text, args, spec);
    return spec;
  }
  if (head == "random") {
    spec.kind = SplitKind::kRandom;
  } else if (head == "time") {
    spec.kind = SplitKind::kTime;
  } else if (head == "user") {
    spec.kind = SplitKind::kUser;
  } else {
    RECO_THROW(ErrorCode::kInvalidArgument) << "unknown split '" << text << "' (" << kForms << ")";
  }
  RECO_CHECK(colon != std::string_view::npos) << "split '" << text << "' needs fractions (" << kForms << ")";
  parse_fractions(text, args, spec);
  return spec;
}

std::string SplitSpec::to_string() const {
  std::ostringstream out;
  out.precision(17);
  switch (kind) {
    case SplitKind::kNone: return "none";
    case SplitKind::kLeaveLastOut: return "leave-last-out:" + std::to_string(last_n);
    case SplitKind::kIndexMod:
      return "index-mod:" + std::to_string(modulus) + ":" + std::to_string(mod_train) + "," +
             std::to_string(mod_validation);
    case SplitKind::kRandom: out << "random:"; break;
    case SplitKind::kTime: out << "time:"; break;
    case SplitKind::kUser: out << "user:"; break;
  }
  out << train << "," << validation << "," << test;
  return out.str();
}

std::vector<uint8_t> make_split(const SplitSpec& spec, uint64_t rows, uint64_t seed,
                                std::span<const int64_t> timestamps,
                                std::span<const uint32_t> user_ids, const Vocabulary* user_vocab) {
  std::vector<uint8_t> out(rows, static_cast<uint8_t>(SplitPart::kTrain));
  if (spec.needs_timestamps()) {
    RECO_CHECK(!timestamps.empty()) << "split '" << spec.to_string()
                                    << "' needs a timestamp column; the schema has none";
    RECO_CHECK_EQ(timestamps.size(), rows) << "timestamp column length";
  }
  if (spec.needs_users()) {
    RECO_CHECK(!user_ids.empty()) << "split '" << spec.to_string()
                                  << "' needs a user_id column; the schema has none";
    RECO_CHECK_EQ(user_ids.size(), rows) << "user_id column length";
  }
  const uint64_t split_seed = derive_seed(seed, 0x5b1177);  // purpose tag: splitting
  switch (spec.kind) {
    case SplitKind::kNone: break;
    case SplitKind::kIndexMod:
      for (uint64_t r = 0; r < rows; ++r) out[r] = static_cast<uint8_t>(index_mod_part(r, spec));
      break;
    case SplitKind::kRandom:
      for (uint64_t r = 0; r < rows; ++r) {
        out[r] = static_cast<uint8_t>(part_for(unit_from_hash(hash_u64(r, split_seed)), spec));
      }
      break;
    case SplitKind::kUser:
      for (uint64_t r = 0; r < rows; ++r) {
        uint32_t u = user_ids[r];
        uint64_t h = user_vocab != nullptr && u < user_vocab->size()
                         ? hash_bytes(user_vocab->token(u), split_seed)
                         : hash_u64(u, split_seed);
        out[r] = static_cast<uint8_t>(part_for(unit_from_hash(h), spec));
      }
      break;
    case SplitKind::kTime: {
      std::vector<uint64_t> order = time_order(timestamps);
      const auto n_train = static_cast<uint64_t>(std::llround(spec.train * static_cast<double>(rows)));
      const auto n_val = std::min<uint64_t>(
          rows - std::min(n_train, rows),
          static_cast<uint64_t>(std::llround(spec.validation * static_cast<double>(rows))));
      for (uint64_t i = 0; i < rows; ++i) {
        SplitPart p = i < n_train ? SplitPart::kTrain
                                  : (i < n_train + n_val ? SplitPart::kValidation : SplitPart::kTest);
        out[order[i]] = static_cast<uint8_t>(p);
      }
      break;
    }
    case SplitKind::kLeaveLastOut: {
      // Order rows by (user, timestamp, row index); each user's rows are then contiguous
      // and oldest first. A sort (not a counting sort) so sparse or hashed ids cost nothing.
      const int64_t* ts = timestamps.data();
      std::vector<uint64_t> order(rows);
      std::iota(order.begin(), order.end(), uint64_t{0});
      std::sort(order.begin(), order.end(), [&](uint64_t a, uint64_t b) {
        if (user_ids[a] != user_ids[b]) return user_ids[a] < user_ids[b];
        return ts[a] != ts[b] ? ts[a] < ts[b] : a < b;
      });
      for (uint64_t begin = 0; begin < rows;) {
        uint64_t end = begin + 1;
        while (end < rows && user_ids[order[end]] == user_ids[order[begin]]) ++end;
        const uint64_t k = end - begin;
        const uint64_t n_test = std::min<uint64_t>(spec.last_n, k - 1);
        const uint64_t n_val = std::min<uint64_t>(spec.last_n, k - 1 - n_test);
        for (uint64_t i = 0; i < n_test; ++i) out[order[end - 1 - i]] = static_cast<uint8_t>(SplitPart::kTest);
        for (uint64_t i = 0; i < n_val; ++i) {
          out[order[end - 1 - n_test - i]] = static_cast<uint8_t>(SplitPart::kValidation);
        }
        begin = end;
      }
      break;
    }
  }
  return out;
}

}  // namespace reco
