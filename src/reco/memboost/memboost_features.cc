#include "reco/memboost/memboost_features.h"

#include <charconv>

#include "reco/core/error.h"
#include "reco/core/progress.h"
#include "reco/core/rng.h"
#include "reco/core/text_writer.h"
#include "reco/core/timer.h"

namespace reco::memboost {

MemboostFeatures::MemboostFeatures(const PositionPriors& priors, std::vector<double> weights, double smoothing)
    : priors_(priors), weights_(std::move(weights)), smoothing_(smoothing), types_(priors.types().size()) {
  RECO_CHECK_EQ(weights_.size(), types_) << "one weight per engagement type";
  RECO_CHECK(smoothing_ > 0) << "memboost smoothing must be > 0, got " << smoothing_;
  for (size_t t = 0; t < types_; ++t)
    if (priors.types()[t] == "click") primary_ = t;
}

uint32_t MemboostFeatures::slot(const PairKey& key) {
  const uint32_t s = index_.find_or_insert(key);
  if (static_cast<size_t>(s) * (1 + 2 * types_) == values_.size()) values_.resize(values_.size() + 1 + 2 * types_, 0.0);
  return s;
}

FeatureRow MemboostFeatures::row_at(uint32_t slot) const {
  FeatureRow r{PairCounters(static_cast<uint32_t>(types_)), 1.0, 0.0};
  if (slot != PairIndex::kMissing) {
    const double* v = &values_[slot * (1 + 2 * types_)];
    r.counters.impressions = v[0];
    for (size_t t = 0; t < types_; ++t) {
      r.counters.engaged[t] = v[1 + t];
      r.counters.expected[t] = v[1 + types_ + t];
    }
  }
  r.coec = smoothed_coec(r.counters.engaged[primary_], r.counters.expected[primary_], smoothing_);
  r.score = memboost_score(r.counters, weights_, smoothing_);
  return r;
}

FeatureRow MemboostFeatures::row(uint64_t query, uint64_t item) const { return row_at(index_.find({query, item})); }

void MemboostFeatures::observe_at(uint32_t slot, const Event& e) {
  double* v = &values_[slot * (1 + 2 * types_)];
  const int platform = priors_.platform_slot(e.platform);
  const double w = e.sample_weight;
  v[0] += w;
  for (size_t t = 0; t < types_; ++t) {
    if (e.engaged[t]) v[1 + t] += w;
    v[1 + types_ + t] += w * priors_.prior(platform, e.position, t);
  }
}

void MemboostFeatures::observe(const Event& e) { observe_at(slot(pair_key(e)), e); }

std::vector<std::string> MemboostFeatures::column_names() const {
  const auto& ty = priors_.types();
  const std::string& p = ty[primary_];
  std::vector<std::string> c = {"mb_impressions", "mb_expected_" + p, "mb_" + p, "mb_coec_" + p, "mb_score"};
  for (size_t t = 0; t < types_; ++t) {
    if (t == primary_) continue;
    c.push_back("mb_" + ty[t]);
    c.push_back("mb_expected_" + ty[t]);
  }
  return c;
}

bool cold_pair(const ColdMask& mask, uint64_t query, uint64_t item) {
  if (mask.fraction <= 0) return false;
  if (mask.fraction >= 1) return true;
  const uint64_t h = mix64(mix64(derive_seed(mask.seed, 0x636f6c64) ^ query) ^ item);
  return static_cast<double>(h >> 11) * 0x1.0p-53 < mask.fraction;  // uniform in [0, 1)
}

namespace {
// 7 significant digits: features do not need round-trip precision and 10M rows stay small.
void write_num(TextWriter& w, double v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, 7);
  w.write(std::string_view(buf, static_cast<size_t>(r.ptr - buf)));
}

struct Buffered {
  uint64_t query, item;
};
}  // namespace

FeaturesReport write_feature_csv(const std::string& events_path, const PositionPriors& priors,
                                 const std::vector<double>& weights, double smoothing, const std::string& out_path,
                                 bool allow_unsorted, const RunContext& ctx, const ColdMask& cold) {
  RECO_CHECK_CODE(cold.fraction >= 0 && cold.fraction <= 1, ErrorCode::kInvalidArgument)
      << "memboost features: the cold fraction must be in [0, 1], got " << cold.fraction;
  Stopwatch clock;
  EventReader reader(events_path);
  RECO_CHECK_CODE(reader.engagement_types() == priors.types(), ErrorCode::kInvalidArgument)
      << events_path << ": engagement types differ from the position priors' (estimate priors on this log)";
  MemboostFeatures features(priors, weights, smoothing);
  const FeatureRow cold_row = features.row_at(PairIndex::kMissing);  // what an unseen pair gets
  const size_t T = priors.types().size(), P = features.primary_type();
  TextWriter out(out_path);
  {
    const auto names = features.column_names();
    for (size_t i = 0; i < names.size(); ++i) {
      if (i) out.write_char(',');
      out.write(names[i]);
    }
    out.write_char('\n');
  }
  FeaturesReport report;
  Progress progress("memboost features", reader.file_size(), ctx);
  std::vector<Event> request;  // rows of the current request (Events reused: strings keep capacity)
  std::vector<uint32_t> slots;
  size_t in_request = 0;
  auto emit_request = [&] {
    // Lookups batched per request so their cache misses overlap.
    slots.resize(in_request);
    for (size_t i = 0; i < in_request; ++i) features.prefetch(pair_key(request[i]));
    for (size_t i = 0; i < in_request; ++i) slots[i] = features.slot(pair_key(request[i]));
    for (size_t i = 0; i < in_request; ++i) features.prefetch_at(slots[i]);
    for (size_t i = 0; i < in_request; ++i) {
      FeatureRow r = features.row_at(slots[i]);
      if (r.counters.impressions > 0) ++report.rows_with_history;
      const Event& ev = request[i];
      if (cold.fraction > 0 && ev.timestamp < cold.before && cold_pair(cold, ev.query_item_id, ev.item_id)) {
        r = cold_row;
        ++report.rows_masked;
      }
      const PairCounters& c = r.counters;
      write_num(out, c.impressions);
      out.write_char(',');
      write_num(out, c.expected[P]);
      out.write_char(',');
      write_num(out, c.engaged[P]);
      out.write_char(',');
      write_num(out, r.coec);
      out.write_char(',');
      write_num(out, r.score);
      for (size_t t = 0; t < T; ++t) {
        if (t == P) continue;
        out.write_char(',');
        write_num(out, c.engaged[t]);
        out.write_char(',');
        write_num(out, c.expected[t]);
      }
      out.write_char('\n');
    }
    // Only now, after the whole request was written, do its rows count.
    for (size_t i = 0; i < in_request; ++i) features.observe_at(slots[i], request[i]);
    report.rows += in_request;
    if (in_request) ++report.requests;
    in_request = 0;
  };
  int64_t last_ts = INT64_MIN;
  Event e;
  while (reader.next(e)) {
    if (!allow_unsorted && e.timestamp < last_ts) {
      RECO_THROW(ErrorCode::kInvalidArgument)
          << events_path << ":" << reader.line_number() << ": field 'timestamp': " << e.timestamp
          << " is earlier than the row before (" << last_ts << "); point-in-time features need the log in time "
          << "order (sort it, or pass --allow-unsorted to take file order as time order)";
    }
    last_ts = e.timestamp;
    if (in_request > 0 && e.request_id != request[0].request_id) {
      emit_request();
      if ((report.requests & 0x3FFF) == 0) progress.update(reader.bytes_read());
    }
    if (request.size() <= in_request) request.emplace_back();
    std::swap(request[in_request++], e);
  }
  emit_request();
  progress.update(reader.bytes_read());
  progress.finish();
  out.commit();
  report.pairs = features.pairs();
  report.seconds = clock.elapsed_seconds();
  return report;
}

}  // namespace reco::memboost
