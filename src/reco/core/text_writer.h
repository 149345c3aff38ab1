// TextWriter — a buffered text file written atomically: bytes go to "<path>.tmp.<pid>", and
// commit() flushes, fsyncs and renames it over <path>. A writer destroyed without commit() removes
// its temporary file, so a crash or an exception never leaves a half-written file under <path>.
// An existing non-regular <path> (/dev/null, /dev/stdout, a FIFO) is written directly instead:
// renaming over it would replace the device with a regular file.
//
// Ownership: the writer owns its file descriptor and a 1 MiB buffer. Not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace reco {

class TextWriter {
 public:
  explicit TextWriter(std::string path);
  ~TextWriter();
  TextWriter(const TextWriter&) = delete;
  TextWriter& operator=(const TextWriter&) = delete;

  void write(std::string_view text);
  void write_char(char c);
  /// Decimal integer / shortest round-trip float (std::to_chars), no allocation.
  void write_int(int64_t v);
  void write_uint(uint64_t v);
  void write_float(double v);
  /// Makes the file visible under its final path. Throws kIo on failure.
  void commit();

  const std::string& path() const { return path_; }
  uint64_t bytes_written() const { return bytes_; }

 private:
  void flush_buffer();

  std::string path_;
  std::string tmp_path_;
  int fd_ = -1;
  std::vector<char> buf_;
  size_t used_ = 0;
  uint64_t bytes_ = 0;
  bool committed_ = false;
  bool direct_ = false;  // writing straight into a device or pipe
};

}  // namespace reco
