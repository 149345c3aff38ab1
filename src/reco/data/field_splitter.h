// FieldSplitter — one text line into fields, with the 1-based byte column of each field.
//
// Delimiters: one byte (',', '\t', '|', ';'), a multi-byte string (", " as in UCI adult), or
// "whitespace" (runs of spaces/tabs separate fields; leading/trailing runs are ignored, as in
// `user item` edge lists). Optional RFC-4180 quoting: a field that starts with the quote char runs
// to the matching quote; inside, a doubled quote is one quote and delimiters are data. Optional
// trim removes spaces/tabs around each (unquoted) field.
//
// Ownership: fields are string_views into the line, or into the splitter's scratch buffer for
// quoted fields that contained doubled quotes. Both stay valid until the next split() call (and
// while the line's storage lives). The field vector is reused between calls: no allocation per
// line once warm.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace reco {

struct SplitOptions {
  /// "," "\t" "|" ";" ", " ... or the word "whitespace".
  std::string delimiter = ",";
  /// Quote character, or '\0' for none.
  char quote = '"';
  bool trim = false;
};

struct Field {
  std::string_view text;
  uint32_t column = 0;  ///< 1-based byte offset of the field's first byte in the line
};

/// Why a split failed: the 1-based column where the problem starts and what was expected.
struct SplitError {
  uint32_t column = 0;
  std::string message;
};

class FieldSplitter {
 public:
  explicit FieldSplitter(SplitOptions options);

  /// Splits `line` into `fields` (cleared first). Returns false and fills `error` on an
  /// unterminated quote or bytes after a closing quote.
  bool split(std::string_view line, std::vector<Field>& fields, SplitError& error);

  const SplitOptions& options() const { return options_; }

 private:
  bool split_whitespace(std::string_view line, std::vector<Field>& fields);
  bool split_quoted(std::string_view line, std::vector<Field>& fields, SplitError& error);

  SplitOptions options_;
  bool whitespace_ = false;
  std::string scratch_;  // unescaped quoted fields; reserved to the line length before use
};

/// Canonical form of a delimiter spelled in a schema: "\\t" / "tab" -> "\t", "space"/"whitespace"
/// -> "whitespace". Throws kInvalidArgument on an empty delimiter.
std::string normalize_delimiter(std::string_view spelled);

}  // namespace reco
