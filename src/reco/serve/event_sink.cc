#include "reco/serve/event_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "reco/core/error.h"
#include "reco/memboost/store_updater.h"

namespace reco::serve {
namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxTextBytes = 256;

// Free text goes into an unquoted CSV: no commas, no control characters (line breaks above all).
void check_text(const std::string& s, size_t i, const char* field) {
  RECO_CHECK_CODE(s.size() <= kMaxTextBytes, ErrorCode::kInvalidArgument)
      << "events[" << i << "]." << field << ": " << s.size() << " bytes, at most " << kMaxTextBytes;
  for (unsigned char c : s) {
    RECO_CHECK_CODE(c != ',' && c >= 0x20 && c != 0x7F, ErrorCode::kInvalidArgument)
        << "events[" << i << "]." << field << ": must not contain commas or control characters";
  }
}

int64_t system_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// fsyncs every file under `dir` and the directories themselves, so a copied store is on disk
// before it is renamed into place.
void fsync_tree(const fs::path& dir) {
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) {
      if (entry.is_directory()) fsync_directory(entry.path().string());
      continue;
    }
    int fd = ::open(entry.path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::fsync(fd) != 0) {
      const std::string why = std::strerror(errno);
      if (fd >= 0) ::close(fd);
      RECO_THROW(ErrorCode::kIo) << "cannot fsync " << entry.path().string() << ": " << why;
    }
    ::close(fd);
  }
  fsync_directory(dir.string());
}

}  // namespace

std::vector<Event> to_log_events(const std::vector<EventIn>& in, const std::vector<std::string>& types, int64_t now) {
  std::vector<Event> out(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const EventIn& a = in[i];
    Event& e = out[i];
    RECO_CHECK_CODE(a.request_id > 0, ErrorCode::kInvalidArgument) << "events[" << i << "].request_id: must be > 0";
    RECO_CHECK_CODE(a.timestamp >= 0, ErrorCode::kInvalidArgument)
        << "events[" << i << "].timestamp: unix seconds >= 0 expected (0 = server clock), got " << a.timestamp;
    RECO_CHECK_CODE(a.position >= 1, ErrorCode::kInvalidArgument)
        << "events[" << i << "].position: 1-based position expected, got " << a.position;
    RECO_CHECK_CODE(!a.query_item || *a.query_item != Event::kNoQuery, ErrorCode::kInvalidArgument)
        << "events[" << i << "].query_item: " << Event::kNoQuery << " is reserved (no query item: omit it)";
    RECO_CHECK_CODE(std::isfinite(a.dwell) && a.dwell >= 0, ErrorCode::kInvalidArgument)
        << "events[" << i << "].dwell: seconds >= 0 expected, got " << a.dwell;
    check_text(a.platform, i, "platform");
    check_text(a.locale, i, "locale");
    check_text(a.policy, i, "policy");
    e.engaged.assign(types.size(), 0);
    for (const auto& [name, value] : a.engaged) {
      const auto it = std::find(types.begin(), types.end(), name);
      if (it == types.end()) {
        std::string known;
        for (const auto& t : types) known += (known.empty() ? "" : ", ") + t;
        RECO_THROW(ErrorCode::kInvalidArgument)
            << "events[" << i << "].engaged." << name << ": unknown engagement type (known: " << known << ")";
      }
      RECO_CHECK_CODE(value == 0 || value == 1, ErrorCode::kInvalidArgument)
          << "events[" << i << "].engaged." << name << ": 0 or 1 expected, got " << value;
      e.engaged[static_cast<size_t>(it - types.begin())] = value == 1 ? 1 : 0;
    }
    e.request_id = a.request_id;
    e.timestamp = a.timestamp == 0 ? now : a.timestamp;
    e.user_id = a.user;
    e.query_item_id = a.query_item ? *a.query_item : Event::kNoQuery;
    e.item_id = a.item;
    e.position = a.position;
    e.platform = a.platform;
    e.locale = a.locale;
    e.policy = a.policy;
    e.dwell = a.dwell;
    e.sample_weight = 1.0;  // live events are logged in full: no downsampling
    e.alpha = 1.0;
  }
  return out;
}

struct EventSink::Call {
  std::vector<Event> events;
  std::string rows;  // the events' CSV lines
  EventsAck ack;
  std::string error;  // set with done when the call failed
  bool done = false;
};

EventSink::EventSink(SinkOptions opt) : opt_(std::move(opt)) {
  RECO_CHECK_CODE(opt_.priors != nullptr, ErrorCode::kInvalidArgument) << "event sink: position priors are required";
  RECO_CHECK_CODE(!opt_.state_dir.empty(), ErrorCode::kInvalidArgument) << "event sink: empty state directory";
  RECO_CHECK_CODE(opt_.max_group_events > 0, ErrorCode::kInvalidArgument) << "event sink: max_group_events must be > 0";
  if (!opt_.clock) opt_.clock = system_seconds;
  std::error_code ec;
  fs::create_directories(opt_.state_dir, ec);
  RECO_CHECK_CODE(!ec && fs::is_directory(opt_.state_dir), ErrorCode::kIo)
      << "event sink: cannot create state directory " << opt_.state_dir << ": " << ec.message();
  open_store();
  log_ = std::make_unique<EventLogAppender>(log_path(), opt_.priors->types());
  stats_.torn_lines = log_->open_report().torn_lines;
  stats_.torn_bytes = log_->open_report().torn_bytes;
  recover();
  log_rows_.store(log_->rows(), std::memory_order_release);
}

EventSink::~EventSink() = default;

std::string EventSink::log_path() const { return (fs::path(opt_.state_dir) / "events.csv").string(); }
std::string EventSink::store_path() const { return (fs::path(opt_.state_dir) / "memboost").string(); }

void EventSink::open_store() {
  const std::string path = store_path();
  const auto& priors = *opt_.priors;
  if (!fs::exists(path) && !opt_.seed_store.empty()) {
    RECO_CHECK_CODE(fs::is_directory(opt_.seed_store), ErrorCode::kNotFound)
        << "event sink: seed Memboost store " << opt_.seed_store << " is not a directory";
    // Copy to a temporary name, reset the cursor to row 0 of our (new) log, fsync, then rename:
    // a crash leaves either no store (the copy is redone) or the finished one.
    const std::string tmp = path + ".seeding";
    fs::remove_all(tmp);
    fs::copy(opt_.seed_store, tmp, fs::copy_options::recursive);
    fs::remove(fs::path(tmp) / "LOCK");  // the seed's lock file, if any; RocksDB recreates it
    memboost::StoreCursor seed_cursor;
    {
      memboost::MemboostStore seed(tmp);
      seed.bind(priors.types(), priors.fingerprint());
      seed_cursor = seed.cursor();
      seed.apply({}, memboost::StoreCursor{0, 0, 0});
      seed.flush();
    }
    fsync_tree(tmp);
    fs::rename(tmp, path);
    fsync_directory(opt_.state_dir);
    stats_.seeded = true;
    spdlog::info("event sink: seeded {} from {} (which had counted {} rows of its own log; the cursor now "
                 "counts rows of {})", path, opt_.seed_store, seed_cursor.rows_applied, log_path());
  }
  store_ = std::make_unique<memboost::MemboostStore>(path);
  store_->bind(priors.types(), priors.fingerprint());
  cursor_ = store_->cursor();
}

void EventSink::recover() {
  const uint64_t rows = log_->rows();
  if (cursor_.rows_applied > rows) {
    RECO_THROW(ErrorCode::kCorrupt) << "event sink: memboost store " << store_path() << " has applied "
                                    << cursor_.rows_applied << " rows but event log " << log_path() << " has only "
                                    << rows << " (the log was truncated or replaced: restore it, or remove the "
                                    << "store to rebuild it from the log)";
  }
  if (cursor_.rows_applied < rows) {
    // A crash between the log's fdatasync and the store's batch: count the missing rows now.
    // update_store checks that the row at the cursor is the request the store applied last.
    RunContext ctx;
    ctx.quiet = true;
    memboost::UpdateReport report;
    try {
      report = memboost::update_store(*store_, log_path(), *opt_.priors, memboost::UpdateOptions{}, ctx);
    } catch (const Error& e) {
      RECO_THROW(ErrorCode::kCorrupt) << "event sink: recovering " << opt_.state_dir << ": " << e.message();
    }
    stats_.recovered_rows = report.rows_applied;
    cursor_ = store_->cursor();
    spdlog::warn("event sink: applied {} event-log rows the store had not counted ({} -> {} rows)",
                 report.rows_applied, report.rows_skipped, cursor_.rows_applied);
    RECO_CHECK_CODE(cursor_.rows_applied == rows, ErrorCode::kCorrupt)
        << "event sink: after recovery the store has applied " << cursor_.rows_applied << " rows, the log has "
        << rows;
  } else if (rows > 0) {
    RECO_CHECK_CODE(cursor_.last_request_id == log_->last_request_id(), ErrorCode::kCorrupt)
        << "event sink: event log " << log_path() << " ends with request " << log_->last_request_id()
        << " but memboost store " << store_path() << " last applied request " << cursor_.last_request_id
        << ": the store was not built from this log";
  }
}

SinkStats EventSink::stats() const {
  std::lock_guard<std::mutex> lk(mu_);
  return stats_;
}

EventsAck EventSink::append(const std::vector<EventIn>& events) {
  if (events.empty()) return {0, log_rows()};
  Call me;
  me.events = to_log_events(events, opt_.priors->types(), opt_.clock());
  me.rows.reserve(events.size() * 64);
  for (const Event& e : me.events) EventLogAppender::format_row(me.rows, e);

  std::unique_lock<std::mutex> lk(mu_);
  RECO_CHECK_CODE(failed_.empty(), ErrorCode::kIo) << "event sink failed earlier (restart to recover): " << failed_;
  queue_.push_back(&me);
  // Leader/follower group commit: whoever finds no commit in progress takes every queued call
  // (up to max_group_events) and commits them together; the others wait for their `done`.
  while (!me.done) {
    if (writing_) {
      cv_.wait(lk);
      continue;
    }
    writing_ = true;
    std::vector<Call*> group;
    size_t n = 0;
    while (!queue_.empty() && (group.empty() || n + queue_.front()->events.size() <= opt_.max_group_events)) {
      n += queue_.front()->events.size();
      group.push_back(queue_.front());
      queue_.pop_front();
    }
    lk.unlock();
    std::string error;
    try {
      commit_group(group);
    } catch (const std::exception& e) {
      error = e.what();
    } catch (...) {
      error = "unknown error while committing a group";
    }
    lk.lock();
    writing_ = false;
    if (!error.empty()) {
      failed_ = error;
      spdlog::error("event sink: {}", error);
      for (Call* c : queue_) group.push_back(c);
      queue_.clear();
      for (Call* c : group) c->error = error;
    } else {
      ++stats_.groups;
      ++stats_.store_writes;
      stats_.log_fsyncs = log_->syncs();
      for (Call* c : group) {
        ++stats_.calls;
        stats_.events += c->events.size();
      }
    }
    for (Call* c : group) c->done = true;
    cv_.notify_all();
  }
  if (!me.error.empty()) RECO_THROW(ErrorCode::kIo) << "event sink: " << me.error;
  return me.ack;
}

void EventSink::commit_group(const std::vector<Call*>& group) {
  // Runs on the leader only, outside the mutex: log_, store_ writes and cursor_ are single-writer.
  const uint64_t base = log_->rows();
  std::string bytes;
  size_t total_bytes = 0, n = 0;
  for (const Call* c : group) total_bytes += c->rows.size();
  bytes.reserve(total_bytes);
  const auto& priors = *opt_.priors;
  const auto types = static_cast<uint32_t>(priors.types().size());
  std::unordered_map<memboost::PairKey, memboost::PairCounters, memboost::PairKeyHash> pending;
  for (Call* c : group) {
    bytes += c->rows;
    n += c->events.size();
    c->ack = EventsAck{c->events.size(), base + n};
    for (const Event& e : c->events) {
      auto [it, fresh] = pending.try_emplace(memboost::pair_key(e), types);
      memboost::add_impression(it->second, e, priors);
    }
  }
  const uint64_t last_request = group.back()->events.back().request_id;
  // 1. the write-ahead log: durable before anything is counted
  log_->append(bytes, n, last_request);
  // 2. the counters and the cursor, one synced atomic batch (key order: see store_updater.cc)
  std::vector<std::pair<memboost::PairKey, memboost::PairCounters>> inc(pending.begin(), pending.end());
  std::sort(inc.begin(), inc.end(), [](const auto& a, const auto& b) {
    return a.first.query != b.first.query ? a.first.query < b.first.query : a.first.item < b.first.item;
  });
  const memboost::StoreCursor next{base + n, last_request, cursor_.batches + 1};
  store_->apply(inc, next);
  cursor_ = next;
  log_rows_.store(next.rows_applied, std::memory_order_release);
}

}  // namespace reco::serve
