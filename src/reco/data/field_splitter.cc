#include "reco/data/field_splitter.h"

#include <cstring>

#include "reco/core/error.h"

namespace reco {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }

std::string_view trim_view(std::string_view s, uint32_t& column) {
  size_t b = 0;
  while (b < s.size() && is_blank(s[b])) ++b;
  size_t e = s.size();
  while (e > b && is_blank(s[e - 1])) --e;
  column += static_cast<uint32_t>(b);
  return s.substr(b, e - b);
}

}  // namespace

std::string normalize_delimiter(std::string_view spelled) {
  if (spelled == "whitespace" || spelled == "space" || spelled == "spaces") return "whitespace";
  if (spelled == "\\t" || spelled == "tab" || spelled == "tsv") return "\t";
  if (spelled == "csv" || spelled == "comma") return ",";
  RECO_CHECK(!spelled.empty()) << "delimiter must not be empty";
  return std::string(spelled);
}

FieldSplitter::FieldSplitter(SplitOptions options) : options_(std::move(options)) {
  options_.delimiter = normalize_delimiter(options_.delimiter);
  whitespace_ = options_.delimiter == "whitespace";
}

bool FieldSplitter::split(std::string_view line, std::vector<Field>& fields, SplitError& error) {
  fields.clear();
  if (whitespace_) return split_whitespace(line, fields);
  if (options_.quote != '\0' && line.find(options_.quote) != std::string_view::npos) {
    return split_quoted(line, fields, error);
  }
  // Fast path: no quote char on the line.
  const std::string_view delim = options_.delimiter;
  if (delim.size() == 1) {
    // Fields are short (Criteo: ~6 bytes), so a plain byte loop beats one memchr call per field.
    const char d = delim[0];
    const char* p = line.data();
    const size_t n = line.size();
    size_t start = 0;
    for (size_t i = 0; i < n; ++i) {
      if (p[i] == d) {
        Field f{std::string_view(p + start, i - start), static_cast<uint32_t>(start + 1)};
        if (options_.trim) f.text = trim_view(f.text, f.column);
        fields.push_back(f);
        start = i + 1;
      }
    }
    Field f{std::string_view(p + start, n - start), static_cast<uint32_t>(start + 1)};
    if (options_.trim) f.text = trim_view(f.text, f.column);
    fields.push_back(f);
    return true;
  }
  size_t start = 0;
  for (;;) {
    const size_t pos = line.find(delim, start);
    size_t end = pos == std::string_view::npos ? line.size() : pos;
    Field f{line.substr(start, end - start), static_cast<uint32_t>(start + 1)};
    if (options_.trim) f.text = trim_view(f.text, f.column);
    fields.push_back(f);
    if (pos == std::string_view::npos) return true;
    start = pos + delim.size();
  }
}

bool FieldSplitter::split_whitespace(std::string_view line, std::vector<Field>& fields) {
  size_t i = 0;
  const size_t n = line.size();
  while (i < n) {
    while (i < n && is_blank(line[i])) ++i;
    if (i == n) break;
    size_t b = i;
    while (i < n && !is_blank(line[i])) ++i;
    fields.push_back(Field{line.substr(b, i - b), static_cast<uint32_t>(b + 1)});
  }
  return true;
}

bool FieldSplitter::split_quoted(std::string_view line, std::vector<Field>& fields,
                                 SplitError& error) {
  const std::string_view delim = options_.delimiter;
  const char q = options_.quote;
  scratch_.clear();
  scratch_.reserve(line.size());  // views into scratch_ must survive later appends
  size_t i = 0;
  const size_t n = line.size();
  for (;;) {
    size_t field_start = i;
    // Leading blanks before an opening quote are allowed when trimming.
    size_t j = i;
    if (options_.trim) {
      while (j < n && is_blank(line[j])) ++j;
    }
    if (j < n && line[j] == q) {
      size_t k = j + 1;
      size_t scratch_begin = scratch_.size();
      bool escaped = false;
      size_t piece = k;
      for (;;) {
        if (k >= n) {
          error.column = static_cast<uint32_t>(j + 1);
          error.message = "unterminated quoted field (expected a closing " + std::string(1, q) + ")";
          return false;
        }
        if (line[k] == q) {
          if (k + 1 < n && line[k + 1] == q) {  // doubled quote = one quote
            scratch_.append(line.data() + piece, k + 1 - piece);
            k += 2;
            piece = k;
            escaped = true;
            continue;
          }
          break;
        }
        ++k;
      }
      std::string_view text;
      if (escaped) {
        scratch_.append(line.data() + piece, k - piece);
        text = std::string_view(scratch_.data() + scratch_begin, scratch_.size() - scratch_begin);
      } else {
        text = line.substr(j + 1, k - j - 1);
      }
      fields.push_back(Field{text, static_cast<uint32_t>(j + 2)});
      i = k + 1;
      if (options_.trim) {
        while (i < n && is_blank(line[i])) ++i;
      }
      if (i == n) return true;
      if (line.compare(i, delim.size(), delim) != 0) {
        error.column = static_cast<uint32_t>(i + 1);
        error.message = "expected a delimiter or end of line after a closing quote";
        return false;
      }
      i += delim.size();
      if (i == n) {  // line ends with a delimiter: one more empty field
        fields.push_back(Field{std::string_view(), static_cast<uint32_t>(n + 1)});
        return true;
      }
      continue;
    }
    size_t pos = line.find(delim, field_start);
    size_t end = pos == std::string_view::npos ? n : pos;
    Field f{line.substr(field_start, end - field_start), static_cast<uint32_t>(field_start + 1)};
    if (options_.trim) f.text = trim_view(f.text, f.column);
    fields.push_back(f);
    if (pos == std::string_view::npos) return true;
    i = pos + delim.size();
    if (i == n) {
      fields.push_back(Field{std::string_view(), static_cast<uint32_t>(n + 1)});
      return true;
    }
  }
}

}  // namespace reco
