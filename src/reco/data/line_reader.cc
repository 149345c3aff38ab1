#include "reco/data/line_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>

#include "reco/core/error.h"

namespace reco {

namespace {
gzFile as_gz(void* p) { return static_cast<gzFile>(p); }
}  // namespace

LineReader::LineReader(std::string path, size_t buffer_bytes) : path_(std::move(path)) {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) {
    RECO_THROW(ErrorCode::kNotFound) << path_ << ": cannot open: " << std::strerror(errno);
  }
  if (S_ISDIR(st.st_mode)) {
    RECO_THROW(ErrorCode::kInvalidArgument) << path_ << ": is a directory, expected a text file";
  }
  file_size_ = static_cast<uint64_t>(st.st_size);
  fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) {
    RECO_THROW(ErrorCode::kIo) << path_ << ": cannot open: " << std::strerror(errno);
  }
  unsigned char magic[2] = {0, 0};
  ssize_t got = ::pread(fd_, magic, 2, 0);
  gzip_ = got == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
  if (gzip_) {
    // gzdopen takes ownership of the descriptor.
    gzFile gz = ::gzdopen(fd_, "rb");
    if (gz == nullptr) {
      ::close(fd_);
      fd_ = -1;
      RECO_THROW(ErrorCode::kIo) << path_ << ": cannot open gzip stream";
    }
    fd_ = -1;
    ::gzbuffer(gz, 1u << 20);
    gz_ = gz;
  } else {
    ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
  }
  // The destructor does not run when the constructor throws: release the handles here.
  try {
    buf_.resize(std::max<size_t>(buffer_bytes, 64));
    if (!refill()) {
      RECO_THROW(ErrorCode::kParse) << path_ << ": empty file";
    }
    // A UTF-8 byte-order mark (spreadsheet exports) is not part of the first field.
    if (end_ >= 3 && static_cast<unsigned char>(buf_[0]) == 0xEF &&
        static_cast<unsigned char>(buf_[1]) == 0xBB && static_cast<unsigned char>(buf_[2]) == 0xBF) {
      begin_ = 3;
      text_bytes_ = 3;
    }
  } catch (...) {
    close_handles();
    throw;
  }
}

LineReader::~LineReader() { close_handles(); }

void LineReader::close_handles() {
  if (gz_ != nullptr) ::gzclose(as_gz(gz_));
  gz_ = nullptr;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

uint64_t LineReader::file_bytes_read() const {
  if (gz_ != nullptr) return static_cast<uint64_t>(::gzoffset(as_gz(gz_)));
  return plain_bytes_read_;
}

size_t LineReader::read_some(char* dst, size_t capacity) {
  if (gz_ != nullptr) {
    // gzread takes an unsigned count; capacity is bounded by the buffer size, far below 4 GiB
    // in practice, but clamp anyway.
    unsigned want = static_cast<unsigned>(std::min<size_t>(capacity, 1u << 30));
    int n = ::gzread(as_gz(gz_), dst, want);
    int errnum = Z_OK;
    const char* msg = ::gzerror(as_gz(gz_), &errnum);
    if (n < 0 || (errnum != Z_OK && errnum != Z_STREAM_END)) {
      RECO_THROW(ErrorCode::kParse) << path_ << ":" << (line_number_ + 1) << ": bad gzip stream ("
                                    << (msg != nullptr ? msg : "unknown zlib error")
                                    << "), expected a complete gzip file";
    }
    return static_cast<size_t>(n);
  }
  for (;;) {
    ssize_t n = ::read(fd_, dst, capacity);
    if (n < 0) {
      if (errno == EINTR) continue;
      RECO_THROW(ErrorCode::kIo) << path_ << ":" << (line_number_ + 1)
                                 << ": read failed: " << std::strerror(errno);
    }
    plain_bytes_read_ += static_cast<uint64_t>(n);
    return static_cast<size_t>(n);
  }
}

bool LineReader::refill() {
  if (eof_) return false;
  // Move the unread tail to the front.
  size_t tail = end_ - begin_;
  if (begin_ > 0 && tail > 0) std::memmove(buf_.data(), buf_.data() + begin_, tail);
  begin_ = 0;
  end_ = tail;
  if (end_ == buf_.size()) buf_.resize(buf_.size() * 2);  // one line longer than the buffer
  size_t n = read_some(buf_.data() + end_, buf_.size() - end_);
  if (n == 0) {
    eof_ = true;
    return tail > 0;
  }
  end_ += n;
  return true;
}

bool LineReader::next(std::string_view& line) {
  size_t scan_from = begin_;
  for (;;) {
    const char* base = buf_.data();
    const void* nl = std::memchr(base + scan_from, '\n', end_ - scan_from);
    if (nl != nullptr) {
      size_t pos = static_cast<size_t>(static_cast<const char*>(nl) - base);
      size_t len = pos - begin_;
      text_bytes_ += len + 1;
      if (len > 0 && base[begin_ + len - 1] == '\r') --len;
      line = std::string_view(base + begin_, len);
      begin_ = pos + 1;
      ++line_number_;
      return true;
    }
    if (eof_) {
      if (begin_ == end_) return false;
      // Last line without a newline.
      size_t len = end_ - begin_;
      text_bytes_ += len;
      if (base[begin_ + len - 1] == '\r') --len;
      line = std::string_view(base + begin_, len);
      begin_ = end_;
      ++line_number_;
      return true;
    }
    size_t scanned = end_ - begin_;
    if (!refill() && begin_ == end_) return false;
    scan_from = begin_ + scanned;
  }
}

}  // namespace reco
