#include "reco/tuning/trial_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "reco/core/error.h"
#include <spdlog/spdlog.h>

namespace reco::tuning {

namespace {
TrialStatus parse_status(const std::string& s) {
  if (s == "pending") return TrialStatus::kPending;
  if (s == "complete") return TrialStatus::kComplete;
  if (s == "failed") return TrialStatus::kFailed;
  RECO_THROW(ErrorCode::kParse) << "trial status must be pending, complete or failed, got '" << s << "'";
}

void write_all(int fd, const std::string& text, const std::string& path) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t w = ::write(fd, text.data() + done, text.size() - done);
    if (w < 0 && errno == EINTR) continue;
    RECO_CHECK_CODE(w > 0, ErrorCode::kIo) << path << ": write failed: " << std::strerror(errno);
    done += static_cast<size_t>(w);
  }
  RECO_CHECK_CODE(::fsync(fd) == 0, ErrorCode::kIo) << path << ": fsync failed: " << std::strerror(errno);
}

// Makes the directory entry of a newly created file durable.
void sync_parent_dir(const std::string& path) {
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = ".";
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}
}  // namespace

const char* trial_status_name(TrialStatus s) {
  switch (s) {
    case TrialStatus::kPending: return "pending";
    case TrialStatus::kComplete: return "complete";
    case TrialStatus::kFailed: return "failed";
  }
  return "?";
}

nlohmann::json TrialLog::to_json(const Trial& t) {
  nlohmann::json j = {{"id", t.id}, {"status", trial_status_name(t.status)}, {"params", t.params}, {"unit", t.unit}};
  if (t.status == TrialStatus::kComplete) {
    j["value"] = t.value;
    j["constraints"] = t.constraints;
  }
  if (!t.info.empty()) j["info"] = t.info;
  return j;
}

Trial TrialLog::from_json(const nlohmann::json& j) {
  Trial t;
  t.id = j.at("id").get<int64_t>();
  t.status = parse_status(j.at("status").get<std::string>());
  t.params = j.at("params").get<std::vector<double>>();
  t.unit = j.at("unit").get<std::vector<double>>();
  if (t.status == TrialStatus::kComplete) {
    t.value = j.at("value").get<double>();
    t.constraints = j.at("constraints").get<std::vector<double>>();
  }
  if (j.contains("info")) t.info = j.at("info");
  return t;
}

TrialLog::TrialLog(const std::string& path, const nlohmann::json& header) : path_(path) {
  const nlohmann::json first = {{"reco_tune_log", 1}, {"header", header}};
  const bool exists = std::filesystem::exists(path);
  if (exists) {
    std::ifstream in(path, std::ios::binary);
    RECO_CHECK_CODE(in, ErrorCode::kIo) << path << ": cannot read the trial log";
    std::stringstream buf;
    buf << in.rdbuf();
    const std::string text = buf.str();
    size_t pos = 0, line_no = 0, good_end = 0;
    while (pos < text.size()) {
      const size_t nl = text.find('\n', pos);
      ++line_no;
      const bool last = nl == std::string::npos || nl + 1 == text.size();
      const std::string line = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
      nlohmann::json j;
      bool parsed = nl != std::string::npos;  // a line without its newline is torn
      if (parsed) {
        try {
          j = nlohmann::json::parse(line);
        } catch (const nlohmann::json::exception&) {
          parsed = false;
        }
      }
      if (!parsed) {
        RECO_CHECK_CODE(last, ErrorCode::kCorrupt)
            << path << ":" << line_no << ": not a JSON record (and not the last line, so not a torn write)";
        break;
      }
      if (line_no == 1) {
        RECO_CHECK_CODE(j.contains("reco_tune_log"), ErrorCode::kCorrupt)
            << path << ":1: not a reco tune log (missing \"reco_tune_log\")";
        RECO_CHECK(j.value("header", nlohmann::json()) == header)
            << path << ": the log was started with a different run header " << j.value("header", nlohmann::json()).dump()
            << "; this run has " << header.dump() << " (use another --log file)";
      } else {
        try {
          upsert(from_json(j));
        } catch (const nlohmann::json::exception& e) {
          RECO_THROW(ErrorCode::kCorrupt) << path << ":" << line_no << ": bad trial record: " << e.what();
        }
      }
      good_end = nl + 1;
      pos = nl + 1;
    }
    recovered_bytes_ = text.size() - good_end;
    fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    RECO_CHECK_CODE(fd_ >= 0, ErrorCode::kIo) << path << ": cannot open for append: " << std::strerror(errno);
    if (recovered_bytes_ > 0) {
      RECO_CHECK_CODE(::ftruncate(fd_, static_cast<off_t>(good_end)) == 0 && ::fsync(fd_) == 0, ErrorCode::kIo)
          << path << ": cannot cut the torn last line: " << std::strerror(errno);
      spdlog::warn("{}: dropped a torn last record ({} bytes) left by an interrupted run", path, recovered_bytes_);
    }
    if (good_end == 0) write_all(fd_, first.dump() + "\n", path);  // header itself was torn
  } else {
    fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    RECO_CHECK_CODE(fd_ >= 0, ErrorCode::kIo) << path << ": cannot create the trial log: " << std::strerror(errno);
    write_all(fd_, first.dump() + "\n", path);
    sync_parent_dir(path);
  }
}

nlohmann::json TrialLog::read_header(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  RECO_CHECK_CODE(in, ErrorCode::kNotFound) << path << ": no trial log (start one with reco tune propose)";
  std::string line;
  std::getline(in, line);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(line);
  } catch (const nlohmann::json::exception&) {
    RECO_THROW(ErrorCode::kCorrupt) << path << ":1: not a reco tune log";
  }
  RECO_CHECK_CODE(j.contains("reco_tune_log") && j.contains("header"), ErrorCode::kCorrupt)
      << path << ":1: not a reco tune log (missing \"reco_tune_log\")";
  return j["header"];
}

TrialLog::~TrialLog() {
  if (fd_ >= 0) ::close(fd_);
}

void TrialLog::append(const Trial& trial) {
  write_all(fd_, to_json(trial).dump() + "\n", path_);
  upsert(trial);
}

int64_t TrialLog::next_id() const { return trials_.empty() ? 0 : trials_.back().id + 1; }

void TrialLog::upsert(Trial trial) {
  auto it = std::lower_bound(trials_.begin(), trials_.end(), trial.id,
                             [](const Trial& t, int64_t id) { return t.id < id; });
  if (it != trials_.end() && it->id == trial.id)
    *it = std::move(trial);
  else
    trials_.insert(it, std::move(trial));
}

}  // namespace reco::tuning
