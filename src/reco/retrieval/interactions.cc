#include "reco/retrieval/interactions.h"

#include <algorithm>
#include <charconv>
#include <unordered_set>

#include "reco/core/error.h"
#include "reco/core/text_writer.h"
#include "reco/data/field_splitter.h"
#include "reco/data/line_reader.h"

namespace reco {

namespace {

constexpr size_t kMaxErrorMessages = 5;

template <typename T>
bool parse_number(std::string_view s, T& v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

// Field layout of one raw format: which field holds what (-1 = absent).
struct Layout {
  std::string delimiter;
  int user = 0, item = 1, weight = -1, rating = -1, timestamp = -1;
  size_t min_fields = 2;
};

Layout layout_of(SplitFormat f) {
  switch (f) {
    case SplitFormat::kTmall: return {"whitespace", 0, 1, -1, -1, -1, 2};
    case SplitFormat::kMovielens: return {"\t", 0, 1, -1, 2, 3, 4};
    case SplitFormat::kTaobao: return {",", 0, 1, -1, -1, 4, 5};
    case SplitFormat::kCsv: return {",", 0, 1, 2, -1, 3, 2};
  }
  return {};
}

const char* field_name(const Layout& l, int i) {
  if (i == l.user) return "user";
  if (i == l.item) return "item";
  if (i == l.weight) return "weight";
  if (i == l.rating) return "rating";
  if (i == l.timestamp) return "timestamp";
  return "field";
}

// Reads one raw file, appending rows; `next_index` numbers rows without timestamps.
class RawReader {
 public:
  RawReader(SplitFormat format, double min_rating, bool strict, SplitReport& report)
      : layout_(layout_of(format)), min_rating_(min_rating), strict_(strict), report_(report) {}

  void read(const std::string& path, const std::string& side, std::vector<Interaction>& out, int64_t& next_index) {
    SplitFileReport fr;
    fr.path = path;
    fr.side = side;
    LineReader reader(path);
    FieldSplitter splitter(SplitOptions{layout_.delimiter, '\0', false});
    std::vector<Field> fields;
    SplitError split_error;
    std::string_view line;
    while (reader.next(line)) {
      ++fr.lines;
      if (line.find_first_not_of(" \t") == std::string_view::npos) {
        ++fr.blank;
        continue;
      }
      splitter.split(line, fields, split_error);  // no quoting: cannot fail
      if (fields.size() < layout_.min_fields) {
        bad(fr, reader.line_number(), "fields", "expected at least " + std::to_string(layout_.min_fields) +
                                                    " fields, got " + std::to_string(fields.size()));
        continue;
      }
      Interaction row;
      int bad_field = -1;
      if (!parse_number(fields[layout_.user].text, row.user)) bad_field = layout_.user;
      else if (!parse_number(fields[layout_.item].text, row.item)) bad_field = layout_.item;
      if (bad_field >= 0 && fr.lines == 1 && fr.rows == 0) {  // a header line
        ++fr.header;
        continue;
      }
      if (bad_field < 0 && layout_.weight >= 0 && fields.size() > size_t(layout_.weight) &&
          !parse_number(fields[layout_.weight].text, row.weight))
        bad_field = layout_.weight;
      double rating = 0.0;
      if (bad_field < 0 && layout_.rating >= 0 && !parse_number(fields[layout_.rating].text, rating))
        bad_field = layout_.rating;
      const bool has_time = layout_.timestamp >= 0 && fields.size() > size_t(layout_.timestamp);
      if (bad_field < 0 && has_time && !parse_number(fields[layout_.timestamp].text, row.timestamp))
        bad_field = layout_.timestamp;
      if (bad_field >= 0) {
        std::string what = "'";
        what.append(fields[bad_field].text).append("' is not a number");
        bad(fr, reader.line_number(), field_name(layout_, bad_field), what);
        continue;
      }
      const int64_t index = next_index++;
      if (!has_time) row.timestamp = index;
      if (layout_.rating >= 0 && rating < min_rating_) {
        ++fr.below_min_rating;
        continue;
      }
      ++fr.rows;
      out.push_back(row);
    }
    report_.files.push_back(fr);
  }

 private:
  void bad(SplitFileReport& fr, int64_t line, const std::string& field, const std::string& what) {
    ++fr.bad;
    std::string msg = fr.path + ":" + std::to_string(line) + ": field '" + field + "': " + what;
    if (strict_) RECO_THROW(ErrorCode::kParse) << msg;
    if (report_.errors.size() < kMaxErrorMessages) report_.errors.push_back(std::move(msg));
  }

  Layout layout_;
  double min_rating_;
  bool strict_;
  SplitReport& report_;
};

}  // namespace

void sort_interactions(std::vector<Interaction>& rows) {
  std::stable_sort(rows.begin(), rows.end(), [](const Interaction& a, const Interaction& b) {
    return a.user != b.user ? a.user < b.user : a.timestamp < b.timestamp;
  });
}

std::vector<Interaction> read_interactions(const std::string& path) {
  SplitReport report;
  RawReader reader(SplitFormat::kCsv, 0.0, /*strict=*/true, report);
  std::vector<Interaction> rows;
  int64_t index = 0;
  reader.read(path, "input", rows, index);
  sort_interactions(rows);
  return rows;
}

void write_interactions(const std::string& path, std::span<const Interaction> rows) {
  TextWriter w(path);
  w.write("user,item,weight,timestamp\n");
  for (const Interaction& r : rows) {
    w.write_uint(r.user);
    w.write_char(',');
    w.write_uint(r.item);
    w.write_char(',');
    w.write_float(r.weight);
    w.write_char(',');
    w.write_int(r.timestamp);
    w.write_char('\n');
  }
  w.commit();
}

nlohmann::json InteractionCounts::to_json() const { return {{"rows", rows}, {"users", users}, {"items", items}}; }

InteractionCounts count_interactions(std::span<const Interaction> rows) {
  InteractionCounts c;
  c.rows = rows.size();
  std::unordered_set<uint64_t> users, items;
  for (const Interaction& r : rows) {
    users.insert(r.user);
    items.insert(r.item);
  }
  c.users = users.size();
  c.items = items.size();
  return c;
}

SplitFormat parse_split_format(const std::string& name) {
  if (name == "tmall") return SplitFormat::kTmall;
  if (name == "movielens") return SplitFormat::kMovielens;
  if (name == "taobao") return SplitFormat::kTaobao;
  if (name == "csv") return SplitFormat::kCsv;
  RECO_THROW(ErrorCode::kInvalidArgument) << "--format: expected tmall | movielens | taobao | csv, got '" << name
                                          << "'";
}

nlohmann::json SplitFileReport::to_json() const {
  return {{"path", path}, {"side", side},   {"lines", lines}, {"rows", rows},
          {"header", header}, {"blank", blank}, {"bad", bad},  {"below_min_rating", below_min_rating}};
}

uint64_t SplitReport::bad_rows() const {
  uint64_t n = 0;
  for (const auto& f : files) n += f.bad;
  return n;
}

nlohmann::json SplitReport::to_json() const {
  nlohmann::json files_json = nlohmann::json::array();
  for (const auto& f : files) files_json.push_back(f.to_json());
  return {{"files", files_json},
          {"errors", errors},
          {"bad_rows", bad_rows()},
          {"users_train_only", users_train_only},
          {"train", train.to_json()},
          {"test", test.to_json()}};
}

SplitResult split_interactions(const SplitSpec& spec) {
  SplitResult out;
  RawReader reader(spec.format, spec.min_rating, spec.strict, out.report);
  if (!spec.input.empty()) {
    RECO_CHECK(spec.train_files.empty() && spec.test_files.empty())
        << "split: give --input (hold out the last rows per user) or --train/--test files, not both";
    RECO_CHECK(spec.holdout_last >= 1) << "split: --holdout-last must be >= 1";
    std::vector<Interaction> all;
    int64_t index = 0;
    reader.read(spec.input, "input", all, index);
    sort_interactions(all);
    // Rows of one user are contiguous and in (timestamp, file order): the last
    // holdout_last of each user with more rows than that go to test.
    for (size_t b = 0; b < all.size();) {
      size_t e = b;
      while (e < all.size() && all[e].user == all[b].user) ++e;
      const size_t n = e - b;
      const size_t cut = n > spec.holdout_last ? e - spec.holdout_last : e;
      if (cut == e) ++out.report.users_train_only;
      out.train.insert(out.train.end(), all.begin() + b, all.begin() + cut);
      out.test.insert(out.test.end(), all.begin() + cut, all.begin() + e);
      b = e;
    }
  } else {
    RECO_CHECK(!spec.train_files.empty() && !spec.test_files.empty())
        << "split: give --train and --test files (or --input with --holdout-last)";
    int64_t index = 0;
    for (const auto& f : spec.train_files) reader.read(f, "train", out.train, index);
    index = 0;
    for (const auto& f : spec.test_files) reader.read(f, "test", out.test, index);
    sort_interactions(out.train);
    sort_interactions(out.test);
  }
  out.report.train = count_interactions(out.train);
  out.report.test = count_interactions(out.test);
  return out;
}

}  // namespace reco
