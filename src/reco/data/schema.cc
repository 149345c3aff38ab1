#include "reco/data/schema.h"

#include <toml++/toml.h>

#include <charconv>
#include <filesystem>
#include <functional>
#include <fstream>
#include <set>
#include <sstream>

#include "reco/core/error.h"
#include "reco/data/field_splitter.h"

namespace reco {

namespace {

// Reads typed keys from one TOML table and remembers which keys were used, so leftovers can be
// reported as unknown (with their TOML line).
class TableReader {
 public:
  TableReader(const toml::table& table, std::string_view source, std::string where)
      : table_(table), source_(source), where_(std::move(where)) {}

  [[noreturn]] void fail(const toml::node* node, const std::string& message) const {
    std::ostringstream where;
    where << source_;
    if (node != nullptr && node->source().begin.line > 0) {
      where << ":" << node->source().begin.line << ":" << node->source().begin.column;
    } else if (table_.source().begin.line > 0) {
      where << ":" << table_.source().begin.line << ":" << table_.source().begin.column;
    }
    RECO_THROW(ErrorCode::kParse) << where.str() << ": " << where_ << ": " << message;
  }

  const toml::node* get(std::string_view key) {
    used_.insert(std::string(key));
    return table_.get(key);
  }

  bool has(std::string_view key) const { return table_.contains(key); }

  std::optional<std::string> str(std::string_view key) {
    const toml::node* n = get(key);
    if (n == nullptr) return std::nullopt;
    if (!n->is_string()) fail(n, "'" + std::string(key) + "' must be a string");
    return std::string(n->as_string()->get());
  }
  std::optional<bool> boolean(std::string_view key) {
    const toml::node* n = get(key);
    if (n == nullptr) return std::nullopt;
    if (!n->is_boolean()) fail(n, "'" + std::string(key) + "' must be true or false");
    return n->as_boolean()->get();
  }
  std::optional<int64_t> integer(std::string_view key, int64_t min_value) {
    const toml::node* n = get(key);
    if (n == nullptr) return std::nullopt;
    if (!n->is_integer()) fail(n, "'" + std::string(key) + "' must be an integer");
    int64_t v = n->as_integer()->get();
    if (v < min_value) {
      fail(n, "'" + std::string(key) + "' must be >= " + std::to_string(min_value) + ", got " +
                  std::to_string(v));
    }
    return v;
  }
  std::optional<double> number(std::string_view key) {
    const toml::node* n = get(key);
    if (n == nullptr) return std::nullopt;
    if (n->is_integer()) return static_cast<double>(n->as_integer()->get());
    if (!n->is_floating_point()) fail(n, "'" + std::string(key) + "' must be a number");
    return n->as_floating_point()->get();
  }
  std::optional<std::vector<std::string>> strings(std::string_view key) {
    const toml::node* n = get(key);
    if (n == nullptr) return std::nullopt;
    if (!n->is_array()) fail(n, "'" + std::string(key) + "' must be an array of strings");
    std::vector<std::string> out;
    for (const toml::node& item : *n->as_array()) {
      if (!item.is_string()) fail(&item, "'" + std::string(key) + "' must hold only strings");
      out.emplace_back(item.as_string()->get());
    }
    return out;
  }

  void reject_unknown() const {
    for (auto&& [key, value] : table_) {
      if (used_.count(std::string(key.str())) == 0) {
        fail(&value, "unknown key '" + std::string(key.str()) + "'");
      }
    }
  }

  int64_t line() const { return table_.source().begin.line; }

 private:
  const toml::table& table_;
  std::string_view source_;
  std::string where_;
  std::set<std::string> used_;
};

void read_label_rule(TableReader& r, LabelRule& rule, bool derived) {
  if (auto v = r.strings("positive")) rule.positive = *v;
  if (auto v = r.strings("negative")) rule.negative = *v;
  if (derived) {
    if (auto v = r.strings("domain")) rule.domain = *v;
  }
  rule.threshold = r.number("threshold");
  if (auto v = r.boolean("allow_missing")) rule.allow_missing = *v;
  if (!rule.negative.empty() && rule.positive.empty()) {
    r.fail(nullptr, "'negative' needs 'positive'");
  }
  if (rule.threshold && !rule.positive.empty()) {
    r.fail(nullptr, "use either 'threshold' or 'positive', not both");
  }
}

Encoding parse_encoding(TableReader& r, const std::string& text) {
  if (text == "vocab") return Encoding::kVocab;
  if (text == "hash") return Encoding::kHash;
  if (text == "identity") return Encoding::kIdentity;
  r.fail(nullptr, "encoding must be \"vocab\", \"hash\" or \"identity\", got \"" + text + "\"");
}

ColumnSpec read_column(const toml::table& t, std::string_view source, size_t index) {
  TableReader r(t, source, "[[column]] #" + std::to_string(index + 1));
  ColumnSpec c;
  c.toml_line = r.line();
  if (auto v = r.str("name")) c.name = *v;
  if (auto v = r.str("match")) c.match = *v;
  if (c.name.empty() == c.match.empty()) r.fail(nullptr, "needs exactly one of 'name' or 'match'");
  auto role = r.str("role");
  if (!role) r.fail(nullptr, "missing 'role'");
  try {
    c.role = parse_column_role(*role);
  } catch (const Error& e) {
    r.fail(r.get("role"), e.message());
  }
  const std::string who = c.name.empty() ? c.match : c.name;
  switch (c.role) {
    case ColumnRole::kDense:
      if (auto v = r.str("normalizer")) {
        if (*v != "zscore" && *v != "log_median" && *v != "log1p" && *v != "none") {
          r.fail(r.get("normalizer"), "normalizer must be zscore, log_median, log1p or none, got \"" +
                                          *v + "\"");
        }
        c.normalizer = *v;
      }
      break;
    case ColumnRole::kCategorical:
    case ColumnRole::kMultiHot:
      if (auto v = r.str("encoding")) c.encoding = parse_encoding(r, *v);
      if (auto v = r.integer("min_count", 1)) c.min_count = static_cast<uint64_t>(*v);
      if (auto v = r.integer("max_size", 0)) c.max_size = static_cast<uint64_t>(*v);
      if (auto v = r.integer("buckets", 1)) c.buckets = static_cast<uint64_t>(*v);
      if (auto v = r.integer("seed", 0)) c.seed = static_cast<uint64_t>(*v);
      if (c.encoding == Encoding::kHash && c.buckets == 0) {
        r.fail(nullptr, "column '" + who + "': encoding = \"hash\" needs 'buckets'");
      }
      if (c.buckets > (uint64_t{1} << 32)) r.fail(r.get("buckets"), "'buckets' must be <= 2^32");
      if (c.role == ColumnRole::kMultiHot) {
        if (auto v = r.str("separator")) c.separator = *v;
        if (c.separator.empty()) r.fail(nullptr, "'separator' must not be empty");
        if (auto v = r.boolean("weighted")) c.weighted = *v;
      }
      break;
    case ColumnRole::kUserId:
    case ColumnRole::kItemId:
    case ColumnRole::kQueryId:
      if (auto v = r.str("encoding")) {
        c.encoding = parse_encoding(r, *v);
        if (c.encoding == Encoding::kHash) {
          r.fail(r.get("encoding"), "id columns use \"vocab\" or \"identity\", not \"hash\"");
        }
      }
      break;
    case ColumnRole::kLabel:
      read_label_rule(r, c.label, false);
      break;
    case ColumnRole::kTimestamp:
      if (auto v = r.str("format")) c.time_format = *v;
      if (auto v = r.str("hour_of_day")) c.hour_of_day = *v;
      break;
    default:
      break;
  }
  r.reject_unknown();
  return c;
}

void read_format(const toml::table& t, std::string_view source, FormatSpec& f) {
  TableReader r(t, source, "[format]");
  if (auto v = r.str("delimiter")) {
    if (v->empty()) r.fail(r.get("delimiter"), "'delimiter' must not be empty");
    f.delimiter = normalize_delimiter(*v);
  }
  if (auto v = r.boolean("header")) f.header = *v;
  if (auto v = r.strings("names")) {
    for (const auto& p : *v) {
      auto expanded = expand_name_range(p);
      f.names.insert(f.names.end(), expanded.begin(), expanded.end());
    }
  }
  if (auto v = r.str("quote")) {
    if (v->size() > 1) r.fail(r.get("quote"), "'quote' must be one character or \"\"");
    f.quote = v->empty() ? '\0' : (*v)[0];
  }
  if (auto v = r.boolean("trim")) f.trim = *v;
  if (auto v = r.strings("missing")) f.missing = *v;
  if (auto v = r.str("comment")) f.comment = *v;
  if (auto v = r.integer("skip_lines", 0)) f.skip_lines = *v;
  if (auto v = r.str("unmatched")) {
    if (*v == "error") {
      f.unmatched = Unmatched::kError;
    } else if (*v == "ignore") {
      f.unmatched = Unmatched::kIgnore;
    } else {
      r.fail(r.get("unmatched"), "'unmatched' must be \"error\" or \"ignore\", got \"" + *v + "\"");
    }
  }
  r.reject_unknown();
  if (!f.header && f.names.empty()) {
    r.fail(nullptr, "header = false needs 'names'");
  }
  std::set<std::string> seen;
  for (const auto& n : f.names) {
    if (!seen.insert(n).second) r.fail(r.get("names"), "duplicate column name '" + n + "'");
  }
}

const toml::table& as_table(const toml::node& n, std::string_view source, const char* what) {
  if (!n.is_table()) {
    RECO_THROW(ErrorCode::kParse) << source << ":" << n.source().begin.line << ":"
                                  << n.source().begin.column << ": " << what
                                  << " must be a table";
  }
  return *n.as_table();
}

void for_each_table_in_array(const toml::table& root, std::string_view key,
                             std::string_view source,
                             const std::function<void(const toml::table&, size_t)>& fn) {
  const toml::node* n = root.get(key);
  if (n == nullptr) return;
  if (!n->is_array_of_tables()) {
    RECO_THROW(ErrorCode::kParse) << source << ":" << n->source().begin.line << ": '" << key
                                  << "' must be written as [[" << key << "]] tables";
  }
  size_t i = 0;
  for (const toml::node& item : *n->as_array()) fn(as_table(item, source, "entry"), i++);
}

}  // namespace

std::string_view encoding_name(Encoding e) {
  switch (e) {
    case Encoding::kVocab: return "vocab";
    case Encoding::kHash: return "hash";
    case Encoding::kIdentity: return "identity";
  }
  return "?";
}

std::vector<std::string> expand_name_range(std::string_view pattern) {
  size_t open = pattern.find('{');
  size_t dots = pattern.find("..", open == std::string_view::npos ? 0 : open);
  size_t close = pattern.find('}', dots == std::string_view::npos ? 0 : dots);
  if (open == std::string_view::npos || dots == std::string_view::npos ||
      close == std::string_view::npos) {
    return {std::string(pattern)};
  }
  auto parse = [](std::string_view s, int64_t& out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
  };
  int64_t a = 0, b = 0;
  if (!parse(pattern.substr(open + 1, dots - open - 1), a) ||
      !parse(pattern.substr(dots + 2, close - dots - 2), b) || b < a || b - a > 100000) {
    return {std::string(pattern)};
  }
  std::vector<std::string> out;
  std::string prefix(pattern.substr(0, open));
  std::string suffix(pattern.substr(close + 1));
  for (int64_t i = a; i <= b; ++i) out.push_back(prefix + std::to_string(i) + suffix);
  return out;
}

bool glob_match(std::string_view p, std::string_view t) {
  size_t pi = 0, ti = 0, star = std::string_view::npos, mark = 0;
  while (ti < t.size()) {
    if (pi < p.size() && (p[pi] == '?' || p[pi] == t[ti])) {
      ++pi;
      ++ti;
    } else if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      mark = ti;
    } else if (star != std::string_view::npos) {
      pi = star + 1;
      ti = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

int find_column_spec(const Schema& schema, std::string_view name) {
  for (size_t i = 0; i < schema.columns.size(); ++i) {
    const ColumnSpec& c = schema.columns[i];
    if (!c.name.empty() ? c.name == name : glob_match(c.match, name)) return static_cast<int>(i);
  }
  return -1;
}

Schema parse_schema(std::string_view toml_text, std::string_view source) {
  toml::table root;
  try {
    root = toml::parse(toml_text, source);
  } catch (const toml::parse_error& e) {
    RECO_THROW(ErrorCode::kParse) << source << ":" << e.source().begin.line << ":"
                                  << e.source().begin.column << ": invalid TOML: " << e.description();
  }
  Schema s;
  s.source = std::string(source);
  s.toml_text = std::string(toml_text);
  for (auto&& [key, value] : root) {
    std::string_view k = key.str();
    if (k != "format" && k != "column" && k != "label" && k != "cross") {
      RECO_THROW(ErrorCode::kParse) << source << ":" << value.source().begin.line << ":"
                                    << value.source().begin.column << ": unknown key '" << k
                                    << "' (expected [format], [[column]], [[label]], [[cross]])";
    }
  }
  if (const toml::node* f = root.get("format")) {
    read_format(as_table(*f, source, "[format]"), source, s.format);
  }
  for_each_table_in_array(root, "column", source, [&](const toml::table& t, size_t i) {
    s.columns.push_back(read_column(t, source, i));
  });
  std::set<std::string> output_names;
  for_each_table_in_array(root, "label", source, [&](const toml::table& t, size_t i) {
    TableReader r(t, source, "[[label]] #" + std::to_string(i + 1));
    DerivedLabelSpec d;
    d.toml_line = r.line();
    auto name = r.str("name");
    auto from = r.str("from");
    if (!name || !from) r.fail(nullptr, "needs 'name' and 'from'");
    d.name = *name;
    d.from = *from;
    read_label_rule(r, d.rule, true);
    if (d.rule.positive.empty() && !d.rule.threshold) {
      r.fail(nullptr, "needs 'positive' or 'threshold'");
    }
    r.reject_unknown();
    s.labels.push_back(std::move(d));
  });
  for_each_table_in_array(root, "cross", source, [&](const toml::table& t, size_t i) {
    TableReader r(t, source, "[[cross]] #" + std::to_string(i + 1));
    CrossSpec c;
    c.toml_line = r.line();
    auto name = r.str("name");
    auto cols = r.strings("columns");
    auto buckets = r.integer("buckets", 1);
    if (auto v = r.integer("seed", 0)) c.seed = static_cast<uint64_t>(*v);
    if (!name || !cols || !buckets) r.fail(nullptr, "needs 'name', 'columns' and 'buckets'");
    if (cols->size() < 2) r.fail(r.get("columns"), "'columns' needs at least two names");
    if (static_cast<uint64_t>(*buckets) > (uint64_t{1} << 32)) {
      r.fail(r.get("buckets"), "'buckets' must be <= 2^32");
    }
    c.name = *name;
    c.columns = *cols;
    c.buckets = static_cast<uint64_t>(*buckets);
    r.reject_unknown();
    s.crosses.push_back(std::move(c));
  });
  if (s.columns.empty()) {
    RECO_THROW(ErrorCode::kParse) << source << ": schema has no [[column]] entries";
  }
  return s;
}

Schema schema_from_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    RECO_THROW(ErrorCode::kInvalidArgument) << path << ": is a directory, expected a schema file";
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) RECO_THROW(ErrorCode::kNotFound) << path << ": cannot open schema file";
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) RECO_THROW(ErrorCode::kIo) << path << ": cannot read schema file";
  return parse_schema(ss.str(), path);
}

}  // namespace reco
