#include "reco/data/event_samples.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <limits>
#include <optional>
#include <unordered_map>

#include "reco/core/error.h"
#include "reco/data/dataset.h"
#include "reco/data/event_log.h"
#include "reco/data/field_splitter.h"
#include "reco/data/line_reader.h"
#include "reco/features/dense_stats.h"
#include "reco/features/normalizer.h"
#include "reco/features/vocabulary.h"

namespace reco {
namespace {

bool parse_number(std::string_view s, double& out) {
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// A small CSV read whole: header names and cells as strings (attribute tables, truth, features).
struct CsvTable {
  std::string path;
  std::vector<std::string> names;
  std::vector<std::vector<std::string>> columns;  // [column][row]
  std::vector<int64_t> lines;                     // file line of each row
  size_t rows() const { return lines.size(); }
  size_t index(const std::string& name) const {
    for (size_t i = 0; i < names.size(); ++i)
      if (names[i] == name) return i;
    return names.size();
  }
};

CsvTable read_csv(const std::string& path) {
  CsvTable t;
  t.path = path;
  LineReader lines(path);
  std::string_view line;
  FieldSplitter splitter(SplitOptions{",", '\0', false});  // attribute/truth/feature CSVs are unquoted
  std::vector<Field> fields;
  SplitError unused;
  if (!lines.next(line)) RECO_THROW(ErrorCode::kParse) << path << ": empty file (no header)";
  splitter.split(line, fields, unused);
  for (const Field& f : fields) t.names.emplace_back(f.text);
  t.columns.resize(t.names.size());
  while (lines.next(line)) {
    if (line.empty()) continue;
    splitter.split(line, fields, unused);
    if (fields.size() != t.names.size())
      RECO_THROW(ErrorCode::kParse) << path << ":" << lines.line_number() << ": " << fields.size()
                                    << " fields, the header has " << t.names.size();
    for (size_t c = 0; c < fields.size(); ++c) t.columns[c].emplace_back(fields[c].text);
    t.lines.push_back(lines.line_number());
  }
  return t;
}

double cell_number(const CsvTable& t, size_t column, size_t row) {
  double v = 0.0;
  const std::string& s = t.columns[column][row];
  if (s.empty()) return std::numeric_limits<double>::quiet_NaN();
  if (!parse_number(s, v) || !std::isfinite(v))
    RECO_THROW(ErrorCode::kParse) << t.path << ":" << t.lines[row] << ": field '" << t.names[column]
                                  << "': expected a number, got '" << s << "'";
  return v;
}

// Rows of an attribute table keyed by its first column.
std::unordered_map<uint64_t, uint32_t> key_index(const CsvTable& t) {
  std::unordered_map<uint64_t, uint32_t> out;
  out.reserve(t.rows() * 2);
  for (size_t r = 0; r < t.rows(); ++r) {
    uint64_t id = 0;
    const std::string& s = t.columns[0][r];
    auto res = std::from_chars(s.data(), s.data() + s.size(), id);
    if (res.ec != std::errc() || res.ptr != s.data() + s.size())
      RECO_THROW(ErrorCode::kParse) << t.path << ":" << t.lines[r] << ": field '" << t.names[0]
                                    << "': expected a non-negative integer id";
    if (!out.emplace(id, static_cast<uint32_t>(r)).second)
      RECO_THROW(ErrorCode::kParse) << t.path << ":" << t.lines[r] << ": id " << id << " appears twice";
  }
  return out;
}

constexpr uint32_t kMissingRow = std::numeric_limits<uint32_t>::max();

struct Writer {
  DatasetWriter& out;
  EventSampleReport& report;

  void dense(const std::string& name, std::vector<float> values, NormalizerKind kind, const std::string& source,
             bool feature = true) {
    const DenseStats stats = DenseStats::compute(values);
    ColumnInfo info;
    info.name = name;
    info.role = ColumnRole::kDense;
    info.details["stats"] = stats.to_json();
    if (kind != NormalizerKind::kNone) {
      const Normalizer norm = Normalizer::fit(kind, stats);
      norm.apply(values, values);
      info.details["normalizer"] = norm.to_json();
    }
    for (float& v : values)
      if (v != v) v = 0.0f;  // missing -> the normalized mean
    info.details["source"] = source;
    out.add_f32(std::move(info), values);
    if (feature) report.features.push_back(name);
  }

  void categorical(const std::string& name, const std::vector<uint32_t>& ids, uint32_t cardinality,
                   const Vocabulary* vocab, const std::string& source) {
    id_column(ColumnRole::kCategorical, name, ids, cardinality, vocab, source, /*feature=*/true);
  }

  // Any u32 id column: identity ids without a vocabulary.
  void id_column(ColumnRole role, const std::string& name, const std::vector<uint32_t>& ids, uint32_t cardinality,
                 const Vocabulary* vocab, const std::string& source, bool feature) {
    ColumnInfo info;
    info.name = name;
    info.role = role;
    info.storage = ColumnStorage::kU32;
    info.cardinality = cardinality;
    info.encoding = vocab ? "vocab" : "identity";
    info.details["source"] = source;
    out.add_u32(std::move(info), ids);
    if (vocab) out.add_vocabulary(name, *vocab);
    if (feature) report.features.push_back(name);
  }

  void label(const std::string& name, std::vector<float> values, const std::string& source) {
    ColumnInfo info;
    info.name = name;
    info.role = ColumnRole::kLabel;
    info.details["source"] = source;
    out.add_f32(std::move(info), values);
  }
};

std::string prefixed(const std::string& prefix, const std::string& name) {
  return name.rfind(prefix, 0) == 0 ? name : prefix + name;
}

struct Categorical {
  Vocabulary vocab;
  std::vector<uint32_t> id_of_row;  // per table row
};

Categorical build_categorical(const CsvTable& t, size_t column) {
  VocabularyBuilder b;
  std::vector<uint32_t> provisional(t.rows());
  for (size_t r = 0; r < t.rows(); ++r) provisional[r] = b.add(t.columns[column][r]);
  auto res = b.finalize();
  Categorical c{res.vocabulary, {}};
  c.id_of_row.resize(t.rows());
  for (size_t r = 0; r < t.rows(); ++r) c.id_of_row[r] = res.remap[provisional[r]];
  return c;
}

}  // namespace

nlohmann::json EventSampleOptions::to_json() const {
  return {{"events", events},          {"truth", truth},
          {"items", items},            {"users", users},
          {"row_features", row_features}, {"categorical", categorical},
          {"validation_days", validation_days}, {"test_days", test_days},
          {"random_policy", random_policy}};
}

nlohmann::json EventSampleReport::to_json() const {
  return {{"rows", rows},
          {"requests", requests},
          {"train", train},
          {"validation", validation},
          {"test", test},
          {"random_slice_rows", random_slice_rows},
          {"unknown_items", unknown_items},
          {"unknown_users", unknown_users},
          {"missing_values", missing_values},
          {"labels", labels},
          {"features", features},
          {"seconds", seconds},
          {"downsampling", downsampling}};
}

double holdout_from(int64_t last, double days) {
  const double day_end = (std::floor(static_cast<double>(last) / 86400.0) + 1.0) * 86400.0;
  return day_end - days * 86400.0;
}

EventSampleReport build_event_samples(const EventSampleOptions& o, const std::string& out_path,
                                      const RunContext& ctx) {
  const auto t0 = std::chrono::steady_clock::now();
  RECO_CHECK(!o.events.empty()) << "samples events: --events is required";
  RECO_CHECK(o.validation_days >= 0 && o.test_days >= 0) << "samples events: split days must be >= 0";
  EventSampleReport report;

  // 1. The log, column by column.
  EventReader reader(o.events);
  const std::vector<std::string> types = reader.engagement_types();
  RECO_CHECK(!types.empty()) << o.events << ": the event log has no engagement columns (labels)";
  std::vector<uint32_t> request, user, item, query;
  std::vector<int32_t> position;
  std::vector<int64_t> timestamp;
  std::vector<float> weight, alpha;
  std::vector<std::vector<float>> labels(types.size());
  std::vector<uint64_t> raw_item, raw_query, raw_user;
  VocabularyBuilder platform_b, locale_b, policy_b;
  std::vector<uint32_t> platform_p, locale_p, policy_p;
  std::unordered_map<uint64_t, uint32_t> request_index;
  Event e;
  uint64_t max_user = 0, max_item = 0, max_query = 0;
  while (reader.next(e)) {
    RECO_CHECK(e.user_id < (uint64_t{1} << 31) && e.item_id < (uint64_t{1} << 31) &&
               (!e.has_query() || e.query_item_id < (uint64_t{1} << 31)))
        << o.events << ":" << reader.line_number() << ": ids must be < 2^31 (remap larger ids first)";
    auto [it, fresh] = request_index.emplace(e.request_id, static_cast<uint32_t>(request_index.size()));
    request.push_back(it->second);
    user.push_back(static_cast<uint32_t>(e.user_id));
    item.push_back(static_cast<uint32_t>(e.item_id));
    query.push_back(e.has_query() ? static_cast<uint32_t>(e.query_item_id) + 1 : 0);
    raw_user.push_back(e.user_id);
    raw_item.push_back(e.item_id);
    raw_query.push_back(e.query_item_id);
    max_user = std::max(max_user, e.user_id);
    max_item = std::max(max_item, e.item_id);
    if (e.has_query()) max_query = std::max(max_query, e.query_item_id + 1);
    position.push_back(static_cast<int32_t>(std::min<uint32_t>(e.position, 1u << 30)));
    timestamp.push_back(e.timestamp);
    weight.push_back(static_cast<float>(e.sample_weight));
    alpha.push_back(static_cast<float>(e.alpha));
    for (size_t t = 0; t < types.size(); ++t) labels[t].push_back(e.engaged[t]);
    platform_p.push_back(platform_b.add(e.platform));
    locale_p.push_back(locale_b.add(e.locale));
    policy_p.push_back(policy_b.add(e.policy));
    if (e.policy == o.random_policy) ++report.random_slice_rows;
  }
  const size_t n = request.size();
  RECO_CHECK(n > 0) << o.events << ": no events";
  report.rows = n;
  report.requests = request_index.size();
  report.labels = types;

  DatasetWriter writer(out_path);
  writer.set_rows(n);
  Writer w{writer, report};
  w.id_column(ColumnRole::kQueryId, "request_id", request, static_cast<uint32_t>(report.requests), nullptr,
              "requests numbered in log order", false);
  w.id_column(ColumnRole::kUserId, "user_id", user, static_cast<uint32_t>(max_user + 1), nullptr, "event user_id", false);
  w.id_column(ColumnRole::kItemId, "item_id", item, static_cast<uint32_t>(max_item + 1), nullptr, "event item_id", false);
  w.categorical("query_item_id", query, static_cast<uint32_t>(max_query + 1), nullptr,
                "event query_item_id + 1 (0 = no query item)");
  {
    ColumnInfo info;
    info.name = "position";
    info.role = ColumnRole::kPosition;
    info.storage = ColumnStorage::kI32;
    info.details["source"] = "event position (1-based)";
    writer.add_i32(std::move(info), position);
    ColumnInfo ts;
    ts.name = "timestamp";
    ts.role = ColumnRole::kTimestamp;
    ts.storage = ColumnStorage::kI64;
    ts.details["source"] = "event timestamp (unix seconds)";
    writer.add_i64(std::move(ts), timestamp);
  }
  auto vocab_column = [&](const std::string& name, const VocabularyBuilder& b, const std::vector<uint32_t>& prov,
                          bool feature) {
    auto res = b.finalize();
    std::vector<uint32_t> ids(n);
    for (size_t r = 0; r < n; ++r) ids[r] = res.remap[prov[r]];
    w.id_column(ColumnRole::kCategorical, name, ids, static_cast<uint32_t>(res.vocabulary.size()), &res.vocabulary,
                "event " + name, feature);
  };
  vocab_column("platform", platform_b, platform_p, true);
  vocab_column("locale", locale_b, locale_p, true);
  // policy: kept for analysis, not a default feature (it is the logger's choice, not the item's).
  vocab_column("policy", policy_b, policy_p, false);
  {
    std::vector<float> slice(n);
    const uint32_t random_id = policy_b.find(o.random_policy);
    for (size_t r = 0; r < n; ++r) slice[r] = policy_p[r] == random_id ? 1.0f : 0.0f;
    w.dense("random_slice", std::move(slice), NormalizerKind::kNone,
            "1 where policy = '" + o.random_policy + "' (the unbiased slice)", /*feature=*/false);
    ColumnInfo wi;
    wi.name = "sample_weight";
    wi.role = ColumnRole::kWeight;
    wi.details["source"] = "event sample_weight (inverse logging probability)";
    writer.add_f32(std::move(wi), weight);
  }
  for (size_t t = 0; t < types.size(); ++t) w.label(types[t], labels[t], "event engagement '" + types[t] + "'");

  // 2. Attribute tables.
  CsvTable items_t, users_t;
  std::unordered_map<uint64_t, uint32_t> item_row, user_row;
  const bool has_items = !o.items.empty(), has_users = !o.users.empty();
  if (has_items) {
    items_t = read_csv(o.items);
    item_row = key_index(items_t);
  }
  if (has_users) {
    users_t = read_csv(o.users);
    user_row = key_index(users_t);
  }
  auto rows_of = [&](const std::unordered_map<uint64_t, uint32_t>& index, const std::vector<uint64_t>& keys,
                     uint64_t* unknown) {
    std::vector<uint32_t> out(n, kMissingRow);
    for (size_t r = 0; r < n; ++r) {
      if (keys[r] == Event::kNoQuery) continue;
      auto it = index.find(keys[r]);
      if (it != index.end()) {
        out[r] = it->second;
      } else if (unknown) {
        ++*unknown;
      }
    }
    return out;
  };
  const std::vector<uint32_t> item_rows = has_items ? rows_of(item_row, raw_item, &report.unknown_items)
                                                    : std::vector<uint32_t>();
  const std::vector<uint32_t> query_rows = has_items ? rows_of(item_row, raw_query, nullptr) : std::vector<uint32_t>();
  const std::vector<uint32_t> user_rows = has_users ? rows_of(user_row, raw_user, &report.unknown_users)
                                                    : std::vector<uint32_t>();
  auto is_categorical = [&](const std::string& name) {
    return std::find(o.categorical.begin(), o.categorical.end(), name) != o.categorical.end();
  };
  // Each categorical attribute column's vocabulary, built once (items' also serve the query item).
  auto vocabularies = [&](const CsvTable& t) {
    std::vector<std::optional<Categorical>> out(t.names.size());
    for (size_t c = 1; c < t.names.size(); ++c)
      if (is_categorical(t.names[c])) out[c] = build_categorical(t, c);
    return out;
  };
  const auto item_cats = has_items ? vocabularies(items_t) : std::vector<std::optional<Categorical>>();
  const auto user_cats = has_users ? vocabularies(users_t) : std::vector<std::optional<Categorical>>();
  auto attribute_columns = [&](const CsvTable& t, const std::vector<std::optional<Categorical>>& cats,
                               const std::vector<uint32_t>& rows, const std::string& prefix, const std::string& what) {
    for (size_t c = 1; c < t.names.size(); ++c) {
      const std::string name = prefixed(prefix, t.names[c]);
      if (cats[c]) {
        const Categorical& cat = *cats[c];
        std::vector<uint32_t> ids(n, 0);
        for (size_t r = 0; r < n; ++r)
          if (rows[r] != kMissingRow) ids[r] = cat.id_of_row[rows[r]];
        w.categorical(name, ids, static_cast<uint32_t>(cat.vocab.size()), &cat.vocab, what + " " + t.names[c]);
        continue;
      }
      std::vector<double> per_row(t.rows());
      for (size_t r = 0; r < t.rows(); ++r) per_row[r] = cell_number(t, c, r);
      std::vector<float> values(n, std::numeric_limits<float>::quiet_NaN());
      for (size_t r = 0; r < n; ++r) {
        if (rows[r] != kMissingRow) values[r] = static_cast<float>(per_row[rows[r]]);
        if (values[r] != values[r]) ++report.missing_values;
      }
      w.dense(name, std::move(values), NormalizerKind::kZScore, what + " " + t.names[c]);
    }
  };
  if (has_items) attribute_columns(items_t, item_cats, item_rows, "item_", "items table");
  if (has_users) attribute_columns(users_t, user_cats, user_rows, "user_", "users table");
  if (has_items) {
    for (size_t c = 1; c < items_t.names.size(); ++c) {
      const std::string& base = items_t.names[c];
      if (!item_cats[c]) continue;
      const Categorical& cat = *item_cats[c];
      std::vector<uint32_t> ids(n, 0);
      std::vector<float> match(n, 0.0f);
      for (size_t r = 0; r < n; ++r) {
        if (query_rows[r] == kMissingRow) continue;
        ids[r] = cat.id_of_row[query_rows[r]];
        match[r] = item_rows[r] != kMissingRow && items_t.columns[c][item_rows[r]] == items_t.columns[c][query_rows[r]];
      }
      w.categorical("query_" + base, ids, static_cast<uint32_t>(cat.vocab.size()), &cat.vocab,
                    "items table " + base + " of the query item");
      w.dense("match_query_" + base, std::move(match), NormalizerKind::kNone,
              "1 when the item's " + base + " equals the query item's");
      if (!has_users) continue;
      size_t uc = users_t.index(base);
      if (uc == users_t.names.size()) uc = users_t.index("top_" + base);
      if (uc == users_t.names.size()) continue;
      std::vector<float> umatch(n, 0.0f);
      for (size_t r = 0; r < n; ++r)
        if (item_rows[r] != kMissingRow && user_rows[r] != kMissingRow)
          umatch[r] = items_t.columns[c][item_rows[r]] == users_t.columns[uc][user_rows[r]];
      w.dense("match_user_" + base, std::move(umatch), NormalizerKind::kNone,
              "1 when the item's " + base + " equals the user's " + users_t.names[uc]);
    }
  }

  // 3. Row-aligned features and truth.
  for (const auto& path : o.row_features) {
    const CsvTable t = read_csv(path);
    RECO_CHECK(t.rows() == n) << path << ": " << t.rows() << " rows, the event log " << o.events << " has " << n
                              << " (row-aligned features must have one row per event, in order)";
    for (size_t c = 0; c < t.names.size(); ++c) {
      std::vector<float> values(n);
      bool nonnegative = true;
      for (size_t r = 0; r < n; ++r) {
        values[r] = static_cast<float>(cell_number(t, c, r));
        nonnegative = nonnegative && !(values[r] < 0.0f);
      }
      w.dense(t.names[c], std::move(values), nonnegative ? NormalizerKind::kLog1p : NormalizerKind::kZScore,
              path + " " + t.names[c]);
    }
  }
  if (!o.truth.empty()) {
    const CsvTable t = read_csv(o.truth);
    RECO_CHECK(t.rows() == n) << o.truth << ": " << t.rows() << " rows, the event log " << o.events << " has " << n
                              << " (the truth file must be row-aligned with the events)";
    const size_t item_c = t.index("item_id");
    for (size_t r = 0; r < n && item_c < t.names.size(); ++r) {
      if (t.columns[item_c][r] != std::to_string(raw_item[r]))
        RECO_THROW(ErrorCode::kParse) << o.truth << ":" << t.lines[r] << ": field 'item_id': "
                                      << t.columns[item_c][r] << " is not the event's item " << raw_item[r]
                                      << " (files not row-aligned)";
    }
    for (size_t c = 0; c < t.names.size(); ++c) {
      const std::string& name = t.names[c];
      if (name == "request_id" || name == "item_id" || name == "position") continue;
      std::vector<float> values(n);
      for (size_t r = 0; r < n; ++r) values[r] = static_cast<float>(cell_number(t, c, r));
      w.label("true_" + name, std::move(values), "truth " + name);
    }
  }

  // 4. Time split and downsampling record.
  // Holdout days are whole UTC days ending at the midnight after the last event: logs are cut
  // (and downsampled, or not) by calendar day, so a window measured back from the last event
  // would pull a slice of the previous day into the holdout and mark that part downsampled.
  const int64_t last = *std::max_element(timestamp.begin(), timestamp.end());
  const double test_from = holdout_from(last, o.test_days);
  const double validation_from = test_from - o.validation_days * 86400.0;
  std::vector<uint8_t> split(n);
  bool downsampled_part[3] = {false, false, false};
  std::vector<double> seen(types.size(), 0.0), kept(types.size(), 0.0);
  double row_alpha = 1.0;
  for (size_t r = 0; r < n; ++r) {
    const double ts = static_cast<double>(timestamp[r]);
    const uint8_t part = ts >= test_from ? 2 : ts >= validation_from ? 1 : 0;
    split[r] = part;
    (part == 0 ? report.train : part == 1 ? report.validation : report.test)++;
    if (alpha[r] < 1.0f) {
      downsampled_part[part] = true;
      row_alpha = std::min(row_alpha, static_cast<double>(alpha[r]));
    }
    if (part != 0) continue;
    for (size_t t = 0; t < types.size(); ++t) {
      if (labels[t][r] > 0.5f) continue;
      seen[t] += weight[r];
      kept[t] += 1.0;
    }
  }
  writer.set_split(split);
  nlohmann::json extra;
  extra["sample_kind"] = "events";
  extra["sources"] = nlohmann::json::array({o.events});
  extra["options"] = o.to_json();
  extra["seed"] = ctx.seed;
  extra["split"] = "time-days:" + nlohmann::json(o.validation_days).dump() + "," + nlohmann::json(o.test_days).dump();
  if (downsampled_part[0] || downsampled_part[1] || downsampled_part[2]) {
    nlohmann::json parts = nlohmann::json::array();
    const char* names[3] = {"train", "validation", "test"};
    for (int p = 0; p < 3; ++p)
      if (downsampled_part[p]) parts.push_back(names[p]);
    nlohmann::json per_label = nlohmann::json::object();
    for (size_t t = 0; t < types.size(); ++t)
      per_label[types[t]] = {{"alpha", seen[t] > 0 ? std::min(1.0, kept[t] / seen[t]) : 1.0},
                             {"seen", seen[t]},
                             {"kept", kept[t]}};
    report.downsampling = {{"alpha", row_alpha}, {"label", ""}, {"parts", parts}, {"per_label", per_label},
                           {"rule", "impressions without any engagement kept with probability alpha"}};
    extra["downsampling"] = report.downsampling;
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  extra["report"] = report.to_json();
  writer.set_extra(std::move(extra));
  writer.commit();
  return report;
}

}  // namespace reco
