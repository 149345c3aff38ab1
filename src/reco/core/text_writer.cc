#include "reco/core/text_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "reco/core/error.h"

namespace reco {
namespace {
constexpr size_t kBufferBytes = size_t{1} << 20;
std::string errno_string() { return std::strerror(errno); }
}  // namespace

TextWriter::TextWriter(std::string path) : path_(std::move(path)), buf_(kBufferBytes) {
  struct stat st {};
  if (::stat(path_.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    // A device or pipe (/dev/null, /dev/stdout, a FIFO): write straight into it. Renaming a
    // temporary file over it would replace the device node with a regular file.
    if (S_ISDIR(st.st_mode)) RECO_THROW(ErrorCode::kInvalidArgument) << path_ << " is a directory, expected a file";
    direct_ = true;
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd_ < 0) RECO_THROW(ErrorCode::kIo) << "cannot open " << path_ << ": " << errno_string();
    return;
  }
  tmp_path_ = path_ + ".tmp." + std::to_string(::getpid());
  fd_ = ::open(tmp_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) RECO_THROW(ErrorCode::kIo) << "cannot create " << tmp_path_ << ": " << errno_string();
}

TextWriter::~TextWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_ && !direct_) ::unlink(tmp_path_.c_str());
}

void TextWriter::flush_buffer() {
  size_t off = 0;
  while (off < used_) {
    ssize_t n = ::write(fd_, buf_.data() + off, used_ - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      RECO_THROW(ErrorCode::kIo) << "cannot write " << tmp_path_ << ": " << errno_string();
    }
    off += static_cast<size_t>(n);
  }
  used_ = 0;
}

void TextWriter::write(std::string_view text) {
  bytes_ += text.size();
  while (!text.empty()) {
    if (used_ == buf_.size()) flush_buffer();
    size_t n = std::min(text.size(), buf_.size() - used_);
    std::memcpy(buf_.data() + used_, text.data(), n);
    used_ += n;
    text.remove_prefix(n);
  }
}

void TextWriter::write_char(char c) {
  if (used_ == buf_.size()) flush_buffer();
  buf_[used_++] = c;
  ++bytes_;
}

void TextWriter::write_int(int64_t v) {
  char tmp[24];
  auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
  write(std::string_view(tmp, static_cast<size_t>(r.ptr - tmp)));
}

void TextWriter::write_uint(uint64_t v) {
  char tmp[24];
  auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
  write(std::string_view(tmp, static_cast<size_t>(r.ptr - tmp)));
}

void TextWriter::write_float(double v) {
  char tmp[32];
  auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
  write(std::string_view(tmp, static_cast<size_t>(r.ptr - tmp)));
}

void TextWriter::commit() {
  RECO_CHECK(!committed_) << "TextWriter::commit called twice for " << path_;
  flush_buffer();
  if (direct_) {
    ::close(fd_);
    fd_ = -1;
    committed_ = true;
    return;
  }
  if (::fsync(fd_) != 0) RECO_THROW(ErrorCode::kIo) << "cannot fsync " << tmp_path_ << ": " << errno_string();
  if (::close(fd_) != 0) {
    fd_ = -1;
    RECO_THROW(ErrorCode::kIo) << "cannot close " << tmp_path_ << ": " << errno_string();
  }
  fd_ = -1;
  if (::rename(tmp_path_.c_str(), path_.c_str()) != 0) {
    RECO_THROW(ErrorCode::kIo) << "cannot rename " << tmp_path_ << " to " << path_ << ": " << errno_string();
  }
  committed_ = true;
}

}  // namespace reco
