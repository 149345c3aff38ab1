// libFuzzer target: arbitrary bytes through the text-ingestion path with fixed schemas.
//
// Input layout: byte 0 picks the schema (quoted CSV with every role / ", "-separated with trim
// and comments / whitespace edge list) and whether the bytes go through LineReader (written to a
// temp file: exercises buffering, CRLF and the gzip path when the bytes start with 1f 8b) or are
// split into lines in memory. Any reco::Error is an accepted outcome; anything else (crash,
// sanitizer report, other exception) is a bug.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "reco/core/error.h"
#include "reco/data/line_reader.h"
#include "reco/data/row_parser.h"
#include "reco/data/schema.h"

namespace {

constexpr std::string_view kCsv = R"(
[format]
delimiter = ","
header = false
names = ["y", "x", "cat", "h", "n", "tags", "user", "pos", "ts", "kind", "w"]
missing = ["", "NA"]
[[column]]
name = "y"
role = "label"
allow_missing = true
[[column]]
name = "x"
role = "dense"
[[column]]
name = "cat"
role = "categorical"
[[column]]
name = "h"
role = "categorical"
encoding = "hash"
buckets = 16
[[column]]
name = "n"
role = "categorical"
encoding = "identity"
[[column]]
name = "tags"
role = "multi_hot"
weighted = true
[[column]]
name = "user"
role = "user_id"
[[column]]
name = "pos"
role = "position"
[[column]]
name = "ts"
role = "timestamp"
format = "%Y-%m-%d %H"
[[column]]
name = "kind"
role = "ignore"
[[column]]
name = "w"
role = "weight"
[[label]]
name = "k"
from = "kind"
positive = ["b"]
domain = ["a", "b"]
[[cross]]
name = "cx"
columns = ["cat", "h"]
buckets = 8
)";

constexpr std::string_view kAdultLike = R"(
[format]
delimiter = ", "
header = false
quote = ""
trim = true
comment = "|"
names = ["a", "b", "c"]
[[column]]
name = "a"
role = "dense"
normalizer = "log1p"
[[column]]
name = "b"
role = "multi_hot"
separator = ";"
encoding = "identity"
[[column]]
name = "c"
role = "label"
positive = [">50K"]
negative = ["<=50K"]
)";

constexpr std::string_view kEdges = R"(
[format]
delimiter = "whitespace"
header = false
names = ["u", "i"]
[[column]]
name = "u"
role = "user_id"
encoding = "identity"
[[column]]
name = "i"
role = "timestamp"
format = "yymmddhh"
)";

struct Parsers {
  reco::Schema schemas[3] = {reco::parse_schema(kCsv, "fuzz-csv"),
                             reco::parse_schema(kAdultLike, "fuzz-adult"),
                             reco::parse_schema(kEdges, "fuzz-edges")};
};

void parse_lines_in_memory(reco::RowParser& parser, std::string_view text) {
  reco::RowIssue issue;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    (void)parser.parse(line, issue);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

void parse_through_file(reco::RowParser& parser, std::string_view text) {
  static const std::string path = "/tmp/reco_row_parser_fuzz_" + std::to_string(::getpid());
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return;
  std::fwrite(text.data(), 1, text.size(), f);
  std::fclose(f);
  reco::LineReader reader(path, 64);  // tiny buffer: exercise refills and growth
  std::string_view line;
  reco::RowIssue issue;
  while (reader.next(line)) (void)parser.parse(line, issue);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Parsers* parsers = new Parsers();
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  const reco::Schema& schema = parsers->schemas[(mode & 3) % 3];
  try {
    reco::RowParser parser(schema, schema.format.names, "fuzz");
    if (mode & 4) {
      parse_through_file(parser, text);
    } else {
      parse_lines_in_memory(parser, text);
    }
  } catch (const reco::Error&) {
    // Expected for malformed input (bad gzip, empty file, ...).
  }
  return 0;
}
