// LineReader — a text file as a sequence of lines, plain or gzip, with 1-based line numbers.
//
// Data layout: one growable byte buffer (starts at 4 MiB). next() hands out string_views into it;
// a view stays valid until the following next() call. When a line crosses the end of the buffered
// bytes, the unread tail is moved to the front and the buffer is refilled (grown only when a single
// line is longer than the whole buffer). No allocation per line.
//
// Input kinds: gzip is detected by its magic bytes (1f 8b) and read through zlib's gzread in big
// chunks; anything else is read with read(2). "\r\n" endings lose the '\r'; a last line without
// '\n' is still returned; a leading UTF-8 byte-order mark is dropped. Errors (reco::Error):
//   missing path / not a regular file -> kNotFound / kInvalidArgument, naming the path;
//   a file with no bytes (or a gzip stream that inflates to nothing) -> kParse "<path>: empty file";
//   a corrupt or truncated gzip stream -> kParse "<path>:<line>: bad gzip stream (...)", where <line>
//   is the line the reader had reached.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace reco {

class LineReader {
 public:
  explicit LineReader(std::string path, size_t buffer_bytes = size_t{4} << 20);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  /// Next line without its terminator; false at end of input. Throws on a bad gzip stream.
  bool next(std::string_view& line);

  /// 1-based number of the line last returned by next() (0 before the first call).
  int64_t line_number() const { return line_number_; }
  /// Bytes consumed from the file so far (compressed bytes for gzip input).
  uint64_t file_bytes_read() const;
  /// Decompressed bytes handed out so far (equals file bytes for plain input).
  uint64_t text_bytes() const { return text_bytes_; }
  /// Size of the file on disk.
  uint64_t file_size() const { return file_size_; }
  bool is_gzip() const { return gzip_; }
  const std::string& path() const { return path_; }

 private:
  // Reads more bytes after the unread tail; returns false at end of input.
  bool refill();
  size_t read_some(char* dst, size_t capacity);
  void close_handles();

  std::string path_;
  int fd_ = -1;
  void* gz_ = nullptr;  // gzFile, kept opaque so zlib.h stays out of this header
  bool gzip_ = false;
  bool eof_ = false;
  std::vector<char> buf_;
  size_t begin_ = 0;  // first unread byte
  size_t end_ = 0;    // one past the last buffered byte
  int64_t line_number_ = 0;
  uint64_t text_bytes_ = 0;
  uint64_t plain_bytes_read_ = 0;
  uint64_t file_size_ = 0;
};

}  // namespace reco
