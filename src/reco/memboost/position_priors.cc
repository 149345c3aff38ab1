#include "reco/memboost/position_priors.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "reco/core/error.h"
#include "reco/core/progress.h"
#include "reco/core/text_writer.h"
#include "reco/memboost/counters.h"

namespace reco::memboost {

namespace {
constexpr const char* kFormat = "reco.memboost.priors";
constexpr int kVersion = 1;
}  // namespace

PositionPriors::PositionPriors(std::vector<std::string> types, PriorOptions opt)
    : types_(std::move(types)), opt_(std::move(opt)) {
  RECO_CHECK(!types_.empty()) << "position priors need at least one engagement type";
  RECO_CHECK_LE(types_.size(), kMaxEngagementTypes) << "too many engagement types";
  RECO_CHECK(opt_.smoothing > 0) << "prior smoothing must be > 0, got " << opt_.smoothing;
  RECO_CHECK(opt_.min_impressions >= 0) << "min impressions must be >= 0";
  n_.resize(1);
  e_.resize(1);
}

int PositionPriors::slot_for_add(const std::string& platform) {
  auto it = slot_of_.find(platform);
  if (it != slot_of_.end()) return it->second;
  platforms_.push_back(platform);
  const int slot = static_cast<int>(platforms_.size());
  slot_of_.emplace(platform, slot);
  n_.resize(platforms_.size() + 1);
  e_.resize(platforms_.size() + 1);
  return slot;
}

void PositionPriors::grow(size_t slot, uint32_t position) {
  if (n_[slot].size() <= position) {
    n_[slot].resize(position + 1, 0.0);
    e_[slot].resize((position + 1) * types_.size(), 0.0);
  }
}

void PositionPriors::add(const Event& e) {
  ++rows_read_;
  if (!opt_.policy.empty() && e.policy != opt_.policy) return;
  RECO_CHECK_EQ(e.engaged.size(), types_.size()) << "event engagement types";
  RECO_CHECK(e.position >= 1) << "positions are 1-based, got " << e.position;
  ++rows_used_;
  const size_t slots[2] = {0, static_cast<size_t>(slot_for_add(e.platform))};
  for (size_t s : slots) {
    grow(s, e.position);
    n_[s][e.position] += e.sample_weight;
    double* row = &e_[s][e.position * types_.size()];
    for (size_t t = 0; t < types_.size(); ++t)
      if (e.engaged[t]) row[t] += e.sample_weight;
  }
}

void PositionPriors::finish() {
  const size_t T = types_.size();
  const size_t rows = std::max<size_t>(2, n_[0].size());
  for (auto& v : n_) v.resize(rows, 0.0);
  for (auto& v : e_) v.resize(rows * T, 0.0);
  const double k = opt_.smoothing;
  // Last position with enough impressions; the whole table when none has (all rates then shrink).
  auto last_supported = [&](size_t s) {
    for (size_t p = rows - 1; p >= 1; --p)
      if (n_[s][p] > 0 && n_[s][p] >= opt_.min_impressions) return p;
    return rows - 1;
  };
  prior_.assign(n_.size(), std::vector<double>(rows * T, 0.0));
  // Pooled curve, shrunk toward the overall rate.
  std::vector<double> overall(T, 0.0);
  double n_all = 0;
  for (size_t p = 1; p < rows; ++p) {
    n_all += n_[0][p];
    for (size_t t = 0; t < T; ++t) overall[t] += e_[0][p * T + t];
  }
  for (size_t t = 0; t < T; ++t) overall[t] = n_all > 0 ? overall[t] / n_all : 0.0;
  for (size_t s = 0; s < n_.size(); ++s) {
    const size_t last = last_supported(s);
    for (size_t p = 1; p < rows; ++p) {
      const size_t src = std::min(p, last);
      for (size_t t = 0; t < T; ++t) {
        const double fallback = s == 0 ? overall[t] : prior_[0][src * T + t];
        prior_[s][p * T + t] = (e_[s][src * T + t] + k * fallback) / (n_[s][src] + k);
      }
    }
    for (size_t t = 0; t < T; ++t) prior_[s][t] = prior_[s][T + t];  // position 0: not a real slot
  }
}

int PositionPriors::platform_slot(std::string_view platform) const {
  auto it = slot_of_.find(std::string(platform));
  return it == slot_of_.end() ? 0 : it->second;
}

uint32_t PositionPriors::max_position() const {
  for (size_t p = n_[0].size(); p-- > 1;)
    if (n_[0][p] > 0) return static_cast<uint32_t>(p);
  return 0;
}

double PositionPriors::normalized(int slot, uint32_t position, size_t type) const {
  const double top = prior(slot, 1, type);
  return top > 0 ? prior(slot, position, type) / top : 0.0;
}

std::vector<double> PositionPriors::curve(int slot, size_t type) const {
  std::vector<double> c;
  for (uint32_t p = 1; p <= max_position(); ++p) c.push_back(normalized(slot, p, type));
  return c;
}

double PositionPriors::impressions(int slot, uint32_t position) const {
  const auto& v = n_[static_cast<size_t>(slot)];
  return position < v.size() ? v[position] : 0.0;
}

double PositionPriors::engagements(int slot, uint32_t position, size_t type) const {
  const auto& v = e_[static_cast<size_t>(slot)];
  const size_t i = position * types_.size() + type;
  return i < v.size() ? v[i] : 0.0;
}

double PositionPriors::total_impressions() const {
  double s = 0;
  for (double v : n_[0]) s += v;
  return s;
}

PositionPriors PositionPriors::estimate(const std::string& events_path, const PriorOptions& opt,
                                        const RunContext& ctx) {
  EventReader reader(events_path);
  PositionPriors priors(reader.engagement_types(), opt);
  Progress progress("priors", reader.file_size(), ctx);
  Event e;
  uint64_t rows = 0;
  while (reader.next(e)) {
    priors.add(e);
    if ((++rows & 0xFFFF) == 0) progress.update(reader.bytes_read());
  }
  progress.update(reader.bytes_read());
  progress.finish();
  RECO_CHECK_CODE(priors.rows_used() > 0, ErrorCode::kInvalidArgument)
      << events_path << ": no impressions" << (opt.policy.empty() ? "" : " of policy '" + opt.policy + "'")
      << " to estimate position priors from (" << priors.rows_read() << " rows read)";
  priors.finish();
  return priors;
}

namespace {
nlohmann::json to_json(const PositionPriors& p, const std::vector<std::vector<double>>& n,
                       const std::vector<std::vector<double>>& e) {
  const size_t T = p.types().size();
  nlohmann::json platforms = nlohmann::json::array();
  for (size_t s = 1; s < n.size(); ++s) {
    nlohmann::json engaged = nlohmann::json::object();
    for (size_t t = 0; t < T; ++t) {
      std::vector<double> col(n[s].size() - 1);
      for (size_t q = 1; q < n[s].size(); ++q) col[q - 1] = e[s][q * T + t];
      engaged[p.types()[t]] = col;
    }
    platforms.push_back({{"name", p.platforms()[s - 1]},
                         {"impressions", std::vector<double>(n[s].begin() + 1, n[s].end())},
                         {"engaged", engaged}});
  }
  return {{"format", kFormat},
          {"version", kVersion},
          {"types", p.types()},
          {"options",
           {{"min_impressions", p.options().min_impressions},
            {"smoothing", p.options().smoothing},
            {"policy", p.options().policy}}},
          {"rows_read", p.rows_read()},
          {"rows_used", p.rows_used()},
          {"platforms", platforms}};
}
}  // namespace

void PositionPriors::save(const std::string& path) const {
  nlohmann::json j = to_json(*this, n_, e_);
  // Human-readable curve alongside the sums (ignored on load).
  nlohmann::json curves = nlohmann::json::object();
  for (size_t t = 0; t < types_.size(); ++t) {
    std::vector<double> rates;
    for (uint32_t q = 1; q <= max_position(); ++q) rates.push_back(prior(0, q, t));
    curves[types_[t]] = rates;
  }
  j["pooled_prior"] = curves;
  TextWriter w(path);
  w.write(j.dump(1));
  w.write_char('\n');
  w.commit();
}

PositionPriors PositionPriors::load(const std::string& path) {
  std::ifstream in(path);
  RECO_CHECK_CODE(static_cast<bool>(in), ErrorCode::kNotFound) << path << ": cannot open position priors";
  nlohmann::json j;
  try {
    in >> j;
  } catch (const std::exception& ex) {
    RECO_THROW(ErrorCode::kParse) << path << ": position priors are not valid JSON (" << ex.what() << ")";
  }
  try {
    RECO_CHECK_CODE(j.value("format", "") == kFormat, ErrorCode::kParse)
        << path << ": field 'format': expected \"" << kFormat << "\" (write it with `reco memboost priors`)";
    RECO_CHECK_CODE(j.at("version").get<int>() <= kVersion, ErrorCode::kVersion)
        << path << ": priors version " << j.at("version") << ", this build reads " << kVersion;
    PriorOptions opt;
    opt.min_impressions = j.at("options").at("min_impressions").get<double>();
    opt.smoothing = j.at("options").at("smoothing").get<double>();
    opt.policy = j.at("options").at("policy").get<std::string>();
    PositionPriors p(j.at("types").get<std::vector<std::string>>(), opt);
    const size_t T = p.types_.size();
    for (const auto& pl : j.at("platforms")) {
      const auto n = pl.at("impressions").get<std::vector<double>>();
      const std::string name = pl.at("name").get<std::string>();
      const int s = p.slot_for_add(name);
      for (size_t slot : {size_t{0}, static_cast<size_t>(s)}) {
        p.grow(slot, static_cast<uint32_t>(n.size()));
        for (size_t q = 0; q < n.size(); ++q) p.n_[slot][q + 1] += n[q];
        for (size_t t = 0; t < T; ++t) {
          const auto col = pl.at("engaged").at(p.types_[t]).get<std::vector<double>>();
          RECO_CHECK_CODE(col.size() == n.size(), ErrorCode::kParse)
              << path << ": platform '" << name << "' field 'engaged." << p.types_[t] << "': "
              << col.size() << " values, expected " << n.size();
          for (size_t q = 0; q < n.size(); ++q) p.e_[slot][(q + 1) * T + t] += col[q];
        }
      }
    }
    p.rows_read_ = j.value("rows_read", uint64_t{0});
    p.rows_used_ = j.value("rows_used", uint64_t{0});
    p.finish();
    return p;
  } catch (const nlohmann::json::exception& ex) {
    RECO_THROW(ErrorCode::kParse) << path << ": position priors: missing or mistyped field (" << ex.what() << ")";
  }
}

void add_impression(PairCounters& c, const Event& e, const PositionPriors& priors) {
  const int slot = priors.platform_slot(e.platform);
  const double w = e.sample_weight;
  c.impressions += w;
  for (uint32_t t = 0; t < c.types; ++t) {
    if (e.engaged[t]) c.engaged[t] += w;
    c.expected[t] += w * priors.prior(slot, e.position, t);
  }
}

uint64_t PositionPriors::fingerprint() const {
  const std::string text = to_json(*this, n_, e_).dump();
  uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

}  // namespace reco::memboost
