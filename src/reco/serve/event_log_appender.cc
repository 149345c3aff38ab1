#include "reco/serve/event_log_appender.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "reco/core/error.h"

namespace reco::serve {
namespace {

std::string errno_text() { return std::strerror(errno); }

void append_uint(std::string& out, uint64_t v) {
  char tmp[24];
  auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
  out.append(tmp, static_cast<size_t>(r.ptr - tmp));
}

void append_int(std::string& out, int64_t v) {
  char tmp[24];
  auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
  out.append(tmp, static_cast<size_t>(r.ptr - tmp));
}

// Shortest round-trip form, as TextWriter::write_float (EventWriter) writes it.
void append_float(std::string& out, double v) {
  char tmp[32];
  auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
  out.append(tmp, static_cast<size_t>(r.ptr - tmp));
}

void write_all(int fd, const char* data, size_t n, uint64_t offset, const std::string& path) {
  while (n > 0) {
    ssize_t w = ::pwrite(fd, data, n, static_cast<off_t>(offset));
    if (w < 0) {
      if (errno == EINTR) continue;
      RECO_THROW(ErrorCode::kIo) << "cannot write " << path << ": " << errno_text();
    }
    data += w;
    n -= static_cast<size_t>(w);
    offset += static_cast<uint64_t>(w);
  }
}

}  // namespace

void fsync_directory(const std::string& dir) {
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) RECO_THROW(ErrorCode::kIo) << "cannot open directory " << dir << " to fsync it: " << errno_text();
  int rc = ::fsync(dfd);
  const std::string why = rc != 0 ? errno_text() : "";
  ::close(dfd);
  if (rc != 0) RECO_THROW(ErrorCode::kIo) << "cannot fsync directory " << dir << ": " << why;
}

std::string EventLogAppender::header(const std::vector<std::string>& types) {
  std::string h = "request_id,timestamp,user_id,query_item_id,item_id,position,platform,locale,policy";
  for (const auto& t : types) h += "," + t;
  h += ",dwell,sample_weight,alpha\n";
  return h;
}

void EventLogAppender::format_row(std::string& out, const Event& e) {
  append_uint(out, e.request_id);
  out.push_back(',');
  append_int(out, e.timestamp);
  out.push_back(',');
  append_uint(out, e.user_id);
  out.push_back(',');
  if (e.has_query()) append_uint(out, e.query_item_id);
  out.push_back(',');
  append_uint(out, e.item_id);
  out.push_back(',');
  append_uint(out, e.position);
  out.push_back(',');
  out += e.platform;
  out.push_back(',');
  out += e.locale;
  out.push_back(',');
  out += e.policy;
  for (uint8_t v : e.engaged) {
    out.push_back(',');
    out.push_back(v ? '1' : '0');
  }
  out.push_back(',');
  append_float(out, e.dwell);
  out.push_back(',');
  append_float(out, e.sample_weight);
  out.push_back(',');
  append_float(out, e.alpha);
  out.push_back('\n');
}

EventLogAppender::EventLogAppender(std::string path, const std::vector<std::string>& types) : path_(std::move(path)) {
  const std::string head = header(types);
  std::error_code ec;
  if (!std::filesystem::exists(path_, ec)) create(head);
  fd_ = ::open(path_.c_str(), O_RDWR | O_CLOEXEC);
  if (fd_ < 0) RECO_THROW(ErrorCode::kIo) << "cannot open event log " << path_ << ": " << errno_text();
  try {
    scan_and_repair(head);
  } catch (...) {
    ::close(fd_);
    fd_ = -1;
    throw;
  }
}

EventLogAppender::~EventLogAppender() {
  if (fd_ >= 0) ::close(fd_);
}

void EventLogAppender::create(const std::string& header_line) {
  const std::string tmp = path_ + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) RECO_THROW(ErrorCode::kIo) << "cannot create " << tmp << ": " << errno_text();
  try {
    write_all(fd, header_line.data(), header_line.size(), 0, tmp);
    if (::fsync(fd) != 0) RECO_THROW(ErrorCode::kIo) << "cannot fsync " << tmp << ": " << errno_text();
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path_.c_str()) != 0) {
    RECO_THROW(ErrorCode::kIo) << "cannot rename " << tmp << " to " << path_ << ": " << errno_text();
  }
  fsync_directory(std::filesystem::path(path_).parent_path().string());
  report_.created = true;
}

void EventLogAppender::scan_and_repair(const std::string& header_line) {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) RECO_THROW(ErrorCode::kIo) << "cannot stat " << path_ << ": " << errno_text();
  const auto size = static_cast<uint64_t>(st.st_size);
  // One pass over the file: the header check, the row count (non-empty lines after the header, as
  // EventReader counts them), where the last row starts and where the last '\n' is.
  std::vector<char> buf(1 << 20);
  uint64_t offset = 0, line_start = 0, last_row_start = 0;
  int64_t last_newline = -1;
  bool header_done = false;
  std::string header_seen;
  while (offset < size) {
    ssize_t n = ::pread(fd_, buf.data(), buf.size(), static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      RECO_THROW(ErrorCode::kIo) << "cannot read " << path_ << ": " << errno_text();
    }
    if (n == 0) break;
    for (ssize_t i = 0; i < n; ++i) {
      const uint64_t pos = offset + static_cast<uint64_t>(i);
      if (!header_done && header_seen.size() < header_line.size()) header_seen.push_back(buf[static_cast<size_t>(i)]);
      if (buf[static_cast<size_t>(i)] != '\n') continue;
      if (!header_done) {
        header_done = true;
      } else if (pos > line_start) {
        ++rows_;
        last_row_start = line_start;
      }
      last_newline = static_cast<int64_t>(pos);
      line_start = pos + 1;
    }
    offset += static_cast<uint64_t>(n);
  }
  if (!header_done || header_seen != header_line) {
    std::string seen = header_seen;
    if (!seen.empty() && seen.back() == '\n') seen.pop_back();
    std::string want = header_line.substr(0, header_line.size() - 1);
    RECO_THROW(ErrorCode::kCorrupt) << "event log " << path_ << ":1: header '" << seen << "'"
                                    << (header_done ? "" : " (incomplete)") << ", expected '" << want
                                    << "' (the engagement types of the position priors)";
  }
  const uint64_t good = static_cast<uint64_t>(last_newline + 1);
  if (size > good) {
    // A torn last line: an append that was cut by a crash. It was never acknowledged.
    if (::ftruncate(fd_, static_cast<off_t>(good)) != 0 || ::fdatasync(fd_) != 0) {
      RECO_THROW(ErrorCode::kIo) << "cannot truncate the torn last line of " << path_ << ": " << errno_text();
    }
    report_.torn_lines = 1;
    report_.torn_bytes = size - good;
    spdlog::warn("event log {}: truncated a torn last line ({} bytes after row {})", path_, size - good, rows_);
  }
  bytes_ = good;
  if (rows_ > 0) {
    char head[32] = {};
    ssize_t n = ::pread(fd_, head, sizeof head, static_cast<off_t>(last_row_start));
    uint64_t id = 0;
    auto r = std::from_chars(head, head + std::max<ssize_t>(n, 0), id);
    RECO_CHECK_CODE(n > 0 && r.ec == std::errc() && r.ptr < head + n && *r.ptr == ',', ErrorCode::kCorrupt)
        << "event log " << path_ << ": row " << rows_ << " does not start with a request id";
    last_request_id_ = id;
  }
}

void EventLogAppender::append(std::string_view rows, uint64_t n_rows, uint64_t last_request_id) {
  RECO_CHECK(rows.empty() || rows.back() == '\n') << "event log rows must end with a newline";
  write_all(fd_, rows.data(), rows.size(), bytes_, path_);
  if (::fdatasync(fd_) != 0) RECO_THROW(ErrorCode::kIo) << "cannot fdatasync " << path_ << ": " << errno_text();
  ++syncs_;
  bytes_ += rows.size();
  rows_ += n_rows;
  if (n_rows > 0) last_request_id_ = last_request_id;
}

}  // namespace reco::serve
