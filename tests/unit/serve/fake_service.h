// A Service for the HTTP tests: answers from a few fixed items, records what it was asked,
// and can hold recommend() until the test releases it (to fill max_inflight without sleeps).
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "reco/core/error.h"
#include "reco/serve/service.h"

namespace reco::serve::testing {

class FakeService : public Service {
 public:
  // --- knobs and observations (guarded by mutex_) ---
  void set_ready(bool ready) {
    std::lock_guard<std::mutex> lock(mutex_);
    ready_ = ready;
  }
  /// While blocked, recommend() waits until unblock(); entered() counts callers so far.
  void block() {
    std::lock_guard<std::mutex> lock(mutex_);
    blocked_ = true;
  }
  void unblock() {
    std::lock_guard<std::mutex> lock(mutex_);
    blocked_ = false;
    cv_.notify_all();
  }
  /// Waits until `n` recommend() calls have entered (counting from the start).
  void wait_entered(size_t n) {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [&] { return entered_ >= n; });
  }
  RecommendRequest last_recommend() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return last_recommend_;
  }
  ScoreRequest last_score() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return last_score_;
  }
  std::vector<EventIn> stored_events() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return events_;
  }
  std::string last_reload() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return last_reload_;
  }

  // --- Service ---
  bool ready() const override {
    std::lock_guard<std::mutex> lock(mutex_);
    return ready_;
  }
  std::string bundle_version() const override {
    std::lock_guard<std::mutex> lock(mutex_);
    return ready_ ? version_ : "";
  }
  nlohmann::json bundle_info() const override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!ready_) RECO_THROW(ErrorCode::kResourceExhausted) << "no bundle loaded yet";
    return {{"version", version_}, {"heads", heads_}, {"items", 3}, {"users", 2}};
  }
  Response recommend(const RecommendRequest& request) const override {
    std::unique_lock<std::mutex> lock(mutex_);
    ++entered_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return !blocked_; });
    if (!ready_) RECO_THROW(ErrorCode::kResourceExhausted) << "no bundle loaded yet";
    for (const auto& [head, w] : request.weights) {
      RECO_CHECK(head == "click" || head == "save") << "weights." << head << ": unknown head";
    }
    last_recommend_ = request;
    Response r = base_response();
    for (uint64_t item : {17u, 18u, 19u}) {
      if (r.items.size() >= request.k) break;
      r.items.push_back(scored(item, {"pixie"}));
    }
    if (request.user && *request.user == 999) r.notes.push_back("unknown user 999");
    if (request.explain) r.explain = {{"candidates", 3}};
    return r;
  }
  Response score(const ScoreRequest& request) const override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!ready_) RECO_THROW(ErrorCode::kResourceExhausted) << "no bundle loaded yet";
    last_score_ = request;
    Response r = base_response();
    for (uint64_t item : request.items) r.items.push_back(scored(item, {"request"}));
    return r;
  }
  nlohmann::json item(uint64_t id) const override {
    if (id != 17) RECO_THROW(ErrorCode::kNotFound) << "unknown item " << id;
    return {{"item", 17}, {"attributes", {{"category", "3"}}}};
  }
  EventsAck events(const std::vector<EventIn>& events) override {
    std::lock_guard<std::mutex> lock(mutex_);
    for (size_t i = 0; i < events.size(); ++i) {
      for (const auto& [type, v] : events[i].engaged) {
        if (type != "click" && type != "save") {
          RECO_THROW(ErrorCode::kInvalidArgument) << "events[" << i << "].engaged." << type
                                                  << ": unknown engagement type";
        }
      }
    }
    events_.insert(events_.end(), events.begin(), events.end());
    return {events.size(), events_.size()};
  }
  ReloadResult reload(const std::string& bundle_path) override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (bundle_path == "/missing") RECO_THROW(ErrorCode::kNotFound) << "no bundle at /missing";
    last_reload_ = bundle_path;
    ReloadResult r{version_, version_ + "+", 0.5};
    version_ += "+";
    return r;
  }
  std::map<std::string, double> set_weights(const std::map<std::string, double>& weights) override {
    std::lock_guard<std::mutex> lock(mutex_);
    std::map<std::string, double> out{{"click", 1}, {"save", 4}};
    for (const auto& [head, w] : weights) {
      RECO_CHECK(out.count(head)) << "weights." << head << ": unknown head";
      out[head] = w;
    }
    return out;
  }

 private:
  Response base_response() const {
    Response r;
    r.bundle_version = version_;
    r.heads = heads_;
    r.weights = {1, 4};
    r.stage_ms = {{"candidates", 0.3}, {"rank", 1.5}, {"total", 2.0}};
    return r;
  }
  static ScoredItem scored(uint64_t item, std::vector<std::string> sources) {
    ScoredItem s;
    s.item = item;
    s.heads = {0.1, 0.02};
    s.utility = 0.1 + 4 * 0.02;
    s.sources = std::move(sources);
    s.features = {{"f", 1.0}};
    return s;
  }

  mutable std::mutex mutex_;
  mutable std::condition_variable cv_;
  mutable size_t entered_ = 0;
  mutable RecommendRequest last_recommend_;
  mutable ScoreRequest last_score_;
  bool ready_ = true;
  bool blocked_ = false;
  std::string version_ = "v1";
  std::vector<std::string> heads_ = {"click", "save"};
  std::vector<EventIn> events_;
  std::string last_reload_ = "(none)";
};

}  // namespace reco::serve::testing
