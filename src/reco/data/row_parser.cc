#include "reco/data/row_parser.h"

#include "reco/core/memory.h"

#include <charconv>
#include <cmath>
#include <ctime>
#include <limits>
#include <set>
#include <sstream>

#include "reco/core/error.h"
#include "reco/features/hashing.h"

namespace reco {

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Quotes at most 60 bytes of the offending text, so a huge field does not flood the message.
std::string quote_text(std::string_view text) {
  std::string out = "'";
  if (text.size() > 60) {
    out.append(text.substr(0, 57));
    out.append("...");
  } else {
    out.append(text);
  }
  out.push_back('\'');
  return out;
}

bool fail(RowIssue& issue, const char* reason, uint32_t column, const std::string& field,
          const std::string& expected, std::string_view got) {
  issue.reason = reason;
  issue.column = column;
  issue.message = field + ": expected " + expected + ", got " + quote_text(got);
  return false;
}

std::string join_quoted(const std::vector<std::string>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out += ", ";
    out += "'" + v[i] + "'";
  }
  return out;
}

bool contains(const std::vector<std::string>& v, std::string_view s) {
  for (const auto& x : v) {
    if (x == s) return true;
  }
  return false;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's civil algorithm).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

// Commit-time id of a vocab token: provisional (building) or final by lookup (apply mode).
uint32_t vocab_id(OutputColumn& out, std::string_view token) {
  if (!out.fixed_vocab) return out.vocab.add(token);
  const uint32_t id = out.fixed_vocab->lookup(token);
  if (id == Vocabulary::kOov) ++out.oov;
  return id;
}

}  // namespace

namespace {
// The whole field must be one number; a leading '+' is accepted (from_chars rejects it).
template <typename T>
bool parse_whole_number(std::string_view text, T& out) {
  const char* b = text.data();
  const char* e = b + text.size();
  if (b != e && *b == '+') ++b;
  if (b == e) return false;
  auto [p, ec] = std::from_chars(b, e, out);
  return ec == std::errc() && p == e;
}
}  // namespace

bool parse_double(std::string_view text, double& out) { return parse_whole_number(text, out); }

bool parse_int64(std::string_view text, int64_t& out) { return parse_whole_number(text, out); }

bool parse_timestamp(std::string_view text, const std::string& format, std::string& scratch,
                     int64_t& out) {
  if (format == "unix") {
    if (parse_int64(text, out)) return true;
    double d = 0;
    if (!parse_double(text, d) || !std::isfinite(d) || std::fabs(d) > 9.2e18) return false;
    out = static_cast<int64_t>(d);
    return true;
  }
  if (format == "yymmddhh") {
    if (text.size() != 8) return false;
    unsigned v[4];
    for (int i = 0; i < 4; ++i) {
      char a = text[2 * i], b = text[2 * i + 1];
      if (a < '0' || a > '9' || b < '0' || b > '9') return false;
      v[i] = static_cast<unsigned>((a - '0') * 10 + (b - '0'));
    }
    if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23) return false;
    out = days_from_civil(2000 + v[0], v[1], v[2]) * 86400 + int64_t{v[3]} * 3600;
    return true;
  }
  scratch.assign(text);
  std::tm tm{};
  const char* end = ::strptime(scratch.c_str(), format.c_str(), &tm);
  if (end == nullptr || *end != '\0') return false;
  out = days_from_civil(int64_t{tm.tm_year} + 1900, static_cast<unsigned>(tm.tm_mon + 1),
                        static_cast<unsigned>(tm.tm_mday)) *
            86400 +
        int64_t{tm.tm_hour} * 3600 + int64_t{tm.tm_min} * 60 + tm.tm_sec;
  return true;
}

RowParser::RowParser(const Schema& schema, std::vector<std::string> names, std::string_view where,
                     RowParserOptions options)
    : schema_(schema),
      names_(std::move(names)),
      splitter_(SplitOptions{schema.format.delimiter, schema.format.quote, schema.format.trim}),
      allow_missing_labels_(options.allow_missing_labels) {
  std::set<std::string> seen;
  for (const auto& n : names_) {
    if (!seen.insert(n).second) {
      RECO_THROW(ErrorCode::kParse) << where << ": duplicate column name '" << n << "'";
    }
  }
  for (const auto& m : schema_.format.missing) {
    if (!m.empty()) missing_is_empty_only_ = false;
  }
  auto has_input = [&](const std::string& name) { return contains(names_, name); };
  auto input_of = [&](const std::string& name, const char* who) {
    for (size_t i = 0; i < names_.size(); ++i) {
      if (names_[i] == name) return static_cast<int>(i);
    }
    RECO_THROW(ErrorCode::kParse) << where << ": " << who << " names column '" << name
                                  << "', which is not among the input columns (" << names_.size()
                                  << " columns: " << join_quoted(names_) << ")";
  };
  std::vector<int> spec_of(names_.size(), -1);
  for (size_t i = 0; i < names_.size(); ++i) {
    spec_of[i] = find_column_spec(schema_, names_[i]);
    if (spec_of[i] < 0 && schema_.format.unmatched == Unmatched::kError) {
      RECO_THROW(ErrorCode::kParse)
          << where << ": input column '" << names_[i]
          << "' matches no [[column]] in the schema " << schema_.source
          << " (add one, e.g. role = \"ignore\", or set [format] unmatched = \"ignore\")";
    }
  }
  // Every exact [[column]] name must exist (a typo would otherwise silently drop a feature).
  // Exception: with allow_missing_labels a label column may be absent (rows to score).
  auto absent_label = [&](const ColumnSpec& c) {
    return allow_missing_labels_ && c.role == ColumnRole::kLabel && !c.name.empty() &&
           !has_input(c.name);
  };
  for (const ColumnSpec& c : schema_.columns) {
    if (c.name.empty() || absent_label(c)) continue;
    if (c.role == ColumnRole::kLabel && !has_input(c.name)) {
      RECO_THROW(ErrorCode::kParse)
          << where << ": label column '" << c.name << "' is not among the input columns ("
          << names_.size() << " columns: " << join_quoted(names_)
          << "); rows to score may omit labels with allow_missing_labels";
    }
    input_of(c.name, ("[[column]] '" + c.name + "'").c_str());
  }
  auto add_output = [&](int input, int spec) {
    const ColumnSpec& c = schema_.columns[spec];
    OutputColumn o;
    o.name = names_[input];
    o.role = c.role;
    o.spec = spec;
    o.input = input;
    o.encoding = c.encoding;
    o.buckets = c.buckets;
    o.seed = c.seed;
    switch (storage_for(c.role)) {
      case ColumnStorage::kF32: o.kind = BuilderKind::kF32; break;
      case ColumnStorage::kU32: o.kind = BuilderKind::kU32; break;
      case ColumnStorage::kI32: o.kind = BuilderKind::kI32; break;
      case ColumnStorage::kI64: o.kind = BuilderKind::kI64; break;
      case ColumnStorage::kMultiHotU32: o.kind = BuilderKind::kMultiHot; break;
    }
    outputs_.push_back(std::move(o));
  };
  for (size_t i = 0; i < names_.size(); ++i) {
    if (spec_of[i] >= 0 && schema_.columns[spec_of[i]].role == ColumnRole::kLabel) {
      add_output(static_cast<int>(i), spec_of[i]);
    }
  }
  for (size_t s = 0; s < schema_.columns.size(); ++s) {
    const ColumnSpec& c = schema_.columns[s];
    if (!absent_label(c)) continue;
    OutputColumn o;
    o.name = c.name;
    o.role = ColumnRole::kLabel;
    o.kind = BuilderKind::kF32;
    o.spec = static_cast<int>(s);  // input stays -1: every row gets NaN
    outputs_.push_back(std::move(o));
  }
  for (size_t d = 0; d < schema_.labels.size(); ++d) {
    const DerivedLabelSpec& dl = schema_.labels[d];
    OutputColumn o;
    o.name = dl.name;
    o.role = ColumnRole::kLabel;
    o.kind = BuilderKind::kF32;
    o.derived = static_cast<int>(d);
    if (!(allow_missing_labels_ && !has_input(dl.from))) {
      o.input = input_of(dl.from, ("[[label]] '" + dl.name + "'").c_str());
    }
    outputs_.push_back(std::move(o));
  }
  for (size_t i = 0; i < names_.size(); ++i) {
    if (spec_of[i] < 0) continue;
    ColumnRole role = schema_.columns[spec_of[i]].role;
    if (role == ColumnRole::kLabel || role == ColumnRole::kIgnore) continue;
    add_output(static_cast<int>(i), spec_of[i]);
    const ColumnSpec& c = schema_.columns[spec_of[i]];
    if (role == ColumnRole::kTimestamp && !c.hour_of_day.empty()) {
      OutputColumn o;
      o.name = c.hour_of_day;
      o.role = ColumnRole::kCategorical;
      o.kind = BuilderKind::kU32;
      o.encoding = Encoding::kIdentity;
      o.input = static_cast<int>(i);
      o.hour_of = static_cast<int>(outputs_.size()) - 1;
      o.max_id = 23;  // fixed cardinality 24, whatever hours the data holds
      outputs_.push_back(std::move(o));
    }
  }
  for (size_t x = 0; x < schema_.crosses.size(); ++x) {
    const CrossSpec& cs = schema_.crosses[x];
    OutputColumn o;
    o.name = cs.name;
    o.role = ColumnRole::kCategorical;
    o.kind = BuilderKind::kU32;
    o.encoding = Encoding::kHash;
    o.cross = static_cast<int>(x);
    o.buckets = cs.buckets;
    o.seed = cs.seed;
    for (const auto& c : cs.columns) {
      o.cross_inputs.push_back(input_of(c, ("[[cross]] '" + cs.name + "'").c_str()));
    }
    outputs_.push_back(std::move(o));
  }
  std::set<std::string> out_names;
  for (const auto& o : outputs_) {
    if (!out_names.insert(o.name).second) {
      RECO_THROW(ErrorCode::kParse) << where << ": two output columns are named '" << o.name
                                    << "' (a [[label]] or [[cross]] reuses a column name)";
    }
  }
  fields_.reserve(names_.size() + 1);
}

void RowParser::set_row_filter(std::function<bool(float)> keep, int label_output) {
  keep_ = std::move(keep);
  keep_label_ = label_output;
}

void RowParser::reserve(uint64_t rows) {
  for (OutputColumn& out : outputs_) {
    switch (out.kind) {
      case BuilderKind::kF32:
        out.f32.reserve(rows);
        advise_huge_pages(out.f32.data(), out.f32.capacity() * sizeof(float));
        break;
      case BuilderKind::kU32:
        out.u32.reserve(rows);
        advise_huge_pages(out.u32.data(), out.u32.capacity() * sizeof(uint32_t));
        break;
      case BuilderKind::kI32: out.i32.reserve(rows); break;
      case BuilderKind::kI64: out.i64.reserve(rows); break;
      case BuilderKind::kMultiHot: out.offsets.reserve(rows + 1); break;
    }
  }
}

int RowParser::label_output(std::string_view name) const {
  for (size_t i = 0; i < outputs_.size(); ++i) {
    if (outputs_[i].role == ColumnRole::kLabel && (name.empty() || outputs_[i].name == name)) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

int RowParser::output_index(std::string_view name) const {
  for (size_t i = 0; i < outputs_.size(); ++i) {
    if (outputs_[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

bool RowParser::is_missing(std::string_view text) const {
  if (text.empty()) return true;
  if (missing_is_empty_only_) return false;
  return contains(schema_.format.missing, text);
}

bool RowParser::parse_label(const LabelRule& rule, const std::string& name, const Field& f,
                            float& value, RowIssue& issue) {
  if (is_missing(f.text)) {
    if (rule.allow_missing || allow_missing_labels_) {
      value = kNaN;
      return true;
    }
    return fail(issue, "label", f.column, name,
                "a label value (set allow_missing = true to mask missing labels)", f.text);
  }
  if (!rule.domain.empty() && !contains(rule.domain, f.text)) {
    issue.reason = "label";
    issue.column = f.column;
    issue.message = name + ": unknown label value " + quote_text(f.text) + " (expected one of " +
                    join_quoted(rule.domain) + ")";
    return false;
  }
  if (!rule.positive.empty()) {
    if (contains(rule.positive, f.text)) {
      value = 1.0f;
      return true;
    }
    if (rule.negative.empty() || contains(rule.negative, f.text)) {
      value = 0.0f;
      return true;
    }
    std::vector<std::string> all = rule.positive;
    all.insert(all.end(), rule.negative.begin(), rule.negative.end());
    issue.reason = "label";
    issue.column = f.column;
    issue.message = name + ": unknown label value " + quote_text(f.text) + " (expected one of " +
                    join_quoted(all) + ")";
    return false;
  }
  double d = 0;
  if (!parse_double(f.text, d) || std::isnan(d)) {
    return fail(issue, "label", f.column, name, "a numeric label", f.text);
  }
  value = rule.threshold ? (d >= *rule.threshold ? 1.0f : 0.0f) : static_cast<float>(d);
  return true;
}

bool RowParser::parse_id(OutputColumn& out, std::string_view text, const std::string& name,
                         uint32_t column, uint32_t& id, std::string_view& token, RowIssue& issue) {
  switch (out.encoding) {
    case Encoding::kHash:
      id = hash_bucket(text, out.buckets, out.seed);
      return true;
    case Encoding::kIdentity: {
      int64_t v = 0;
      if (!parse_int64(text, v) || v < 0 || v >= int64_t{0xFFFFFFFF}) {
        return fail(issue, "id", column, name, "a non-negative integer id below 2^32-1", text);
      }
      if (out.id_limit > 0 && static_cast<uint64_t>(v) >= out.id_limit) {
        return fail(issue, "id", column, name,
                    "an id below the reference dataset's cardinality " +
                        std::to_string(out.id_limit),
                    text);
      }
      id = static_cast<uint32_t>(v);
      return true;
    }
    case Encoding::kVocab:
      token = text;
      return true;
  }
  return true;
}

bool RowParser::parse_field(OutputColumn& out, const ColumnSpec& spec, const Field& f,
                            RowIssue& issue) {
  const std::string& name = out.name;
  switch (spec.role) {
    case ColumnRole::kLabel:
      return parse_label(spec.label, name, f, out.s_f32, issue);
    case ColumnRole::kDense: {
      if (is_missing(f.text)) {
        out.s_f32 = kNaN;
        return true;
      }
      double d = 0;
      if (!parse_double(f.text, d)) return fail(issue, "dense", f.column, name, "a number", f.text);
      out.s_f32 = static_cast<float>(d);
      return true;
    }
    case ColumnRole::kWeight: {
      double d = 0;
      if (!parse_double(f.text, d) || !std::isfinite(d)) {
        return fail(issue, "weight", f.column, name, "a finite number (sample weight)", f.text);
      }
      out.s_f32 = static_cast<float>(d);
      return true;
    }
    case ColumnRole::kCategorical: {
      std::string_view text = is_missing(f.text) ? std::string_view() : f.text;
      if (out.encoding == Encoding::kIdentity && text.empty()) {
        return fail(issue, "id", f.column, name, "a non-negative integer id", f.text);
      }
      return parse_id(out, text, name, f.column, out.s_u32, out.s_token, issue);
    }
    case ColumnRole::kUserId:
    case ColumnRole::kItemId:
    case ColumnRole::kQueryId:
      if (is_missing(f.text)) return fail(issue, "id", f.column, name, "an id", f.text);
      return parse_id(out, f.text, name, f.column, out.s_u32, out.s_token, issue);
    case ColumnRole::kMultiHot: {
      out.s_ids.clear();
      out.s_tokens.clear();
      out.s_weights.clear();
      if (is_missing(f.text)) return true;
      std::string_view rest = f.text;
      const std::string& sep = spec.separator;
      for (;;) {
        size_t pos = rest.find(sep);
        std::string_view item = rest.substr(0, pos);
        uint32_t item_col = f.column + static_cast<uint32_t>(item.data() - f.text.data());
        if (spec.weighted) {
          size_t colon = item.rfind(':');
          double w = 1.0;
          if (colon == std::string_view::npos || !parse_double(item.substr(colon + 1), w) ||
              !std::isfinite(w)) {
            return fail(issue, "multi_hot", item_col, name, "'value:weight'", item);
          }
          out.s_weights.push_back(static_cast<float>(w));
          item = item.substr(0, colon);
        }
        if (!item.empty()) {
          uint32_t id = 0;
          std::string_view token;
          if (!parse_id(out, item, name, item_col, id, token, issue)) return false;
          out.s_ids.push_back(id);
          out.s_tokens.push_back(token);
        } else if (spec.weighted) {
          out.s_weights.pop_back();
        }
        if (pos == std::string_view::npos) break;
        rest = rest.substr(pos + sep.size());
      }
      return true;
    }
    case ColumnRole::kPosition: {
      if (is_missing(f.text)) {
        out.s_i64 = 0;
        return true;
      }
      int64_t v = 0;
      if (!parse_int64(f.text, v) || v < std::numeric_limits<int32_t>::min() ||
          v > std::numeric_limits<int32_t>::max()) {
        return fail(issue, "position", f.column, name, "an integer position", f.text);
      }
      out.s_i64 = v;
      return true;
    }
    case ColumnRole::kTimestamp:
      if (!parse_timestamp(f.text, spec.time_format, time_buf_, out.s_i64)) {
        return fail(issue, "timestamp", f.column, name,
                    "a timestamp in format \"" + spec.time_format + "\"", f.text);
      }
      return true;
    case ColumnRole::kIgnore:
      return true;
  }
  return true;
}

bool RowParser::parse(std::string_view line, RowIssue& issue) {
  last_dropped_ = false;
  SplitError split_error;
  if (!splitter_.split(line, fields_, split_error)) {
    issue.reason = "quote";
    issue.column = split_error.column;
    issue.message = split_error.message;
    return false;
  }
  if (fields_.size() != names_.size()) {
    issue.reason = "field_count";
    issue.column = fields_.size() > names_.size() ? fields_[names_.size()].column
                                                  : static_cast<uint32_t>(line.size() + 1);
    issue.message = "expected " + std::to_string(names_.size()) + " fields, got " +
                    std::to_string(fields_.size());
    return false;
  }
  for (OutputColumn& out : outputs_) {
    if (out.cross >= 0) {
      cross_hashes_.clear();
      for (int in : out.cross_inputs) cross_hashes_.push_back(hash_bytes(fields_[in].text, out.seed));
      out.s_u32 = hash_cross(cross_hashes_, out.buckets, out.seed);
      continue;
    }
    if (out.hour_of >= 0) {  // runs after its timestamp column (declared right before it)
      const int64_t t = outputs_[out.hour_of].s_i64;
      out.s_u32 = static_cast<uint32_t>(((t % 86400) + 86400) % 86400 / 3600);
      continue;
    }
    if (out.input < 0) {  // absent label (allow_missing_labels)
      out.s_f32 = kNaN;
      continue;
    }
    const Field& f = fields_[out.input];
    if (out.derived >= 0) {
      const DerivedLabelSpec& dl = schema_.labels[out.derived];
      if (!parse_label(dl.rule, dl.name, f, out.s_f32, issue)) return false;
      continue;
    }
    if (!parse_field(out, schema_.columns[out.spec], f, issue)) return false;
  }
  if (keep_ && keep_label_ >= 0 && !keep_(outputs_[keep_label_].s_f32)) {
    last_dropped_ = true;
    return true;
  }
  commit();
  return true;
}

void RowParser::commit() {
  for (OutputColumn& out : outputs_) {
    switch (out.kind) {
      case BuilderKind::kF32:
        out.f32.push_back(out.s_f32);
        break;
      case BuilderKind::kI32:
        out.i32.push_back(static_cast<int32_t>(out.s_i64));
        break;
      case BuilderKind::kI64:
        out.i64.push_back(out.s_i64);
        break;
      case BuilderKind::kU32: {
        const bool vocab = out.encoding == Encoding::kVocab && out.cross < 0;
        uint32_t id = vocab ? vocab_id(out, out.s_token) : out.s_u32;
        if (out.encoding == Encoding::kIdentity) {
          out.max_id = std::max<uint64_t>(out.max_id, id);
          out.any_id = true;
        }
        out.u32.push_back(id);
        break;
      }
      case BuilderKind::kMultiHot: {
        for (size_t k = 0; k < out.s_ids.size(); ++k) {
          uint32_t id = out.encoding == Encoding::kVocab ? vocab_id(out, out.s_tokens[k])
                                                         : out.s_ids[k];
          if (out.encoding == Encoding::kIdentity) {
            out.max_id = std::max<uint64_t>(out.max_id, id);
            out.any_id = true;
          }
          out.values.push_back(id);
        }
        out.weights.insert(out.weights.end(), out.s_weights.begin(), out.s_weights.end());
        out.offsets.push_back(out.values.size());
        break;
      }
    }
  }
  ++rows_;
}

}  // namespace reco
