// BundleService — the Service (service.h) `reco serve` runs: the live bundle snapshot, the
// durable event sink, reloads and weight changes.
//
// State:
//   snapshot   {Engine, utility weights}, swapped atomically (std::atomic<shared_ptr>): a
//              request loads the snapshot once and answers from it, so every response carries
//              the version of a bundle that was live when the request started, and a reload
//              never fails a request in flight;
//   sink       the EventSink on the state directory (event log + live Memboost store), opened
//              with the first bundle's Memboost priors; every later bundle must have the same
//              priors (else its reload is refused: the store's expected counts would not add up).
//              Without priors (a bundle without Memboost) POST /v1/events answers 501.
// Weights: set_weights() replaces the live snapshot's weights; a reload starts from the new
// bundle's own weights (a new bundle is a new product decision).
// Threading: every method is thread-safe; reloads are serialized by a mutex.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "reco/core/context.h"
#include "reco/serve/service.h"

namespace reco::serve {

class Engine;
class EventSink;

struct BundleServiceOptions {
  std::string bundle;     ///< bundle directory loaded by load() and by reload("")
  std::string state_dir;  ///< event log + live Memboost store ("" = no events)
  RunContext ctx;
};

class BundleService final : public Service {
 public:
  explicit BundleService(BundleServiceOptions options);
  ~BundleService() override;

  /// Loads options.bundle and opens the sink; ready() turns true. Throws on a bad bundle.
  void load();

  bool ready() const override;
  std::string bundle_version() const override;
  nlohmann::json bundle_info() const override;
  Response recommend(const RecommendRequest& request) const override;
  Response score(const ScoreRequest& request) const override;
  nlohmann::json item(uint64_t id) const override;
  EventsAck events(const std::vector<EventIn>& events) override;
  ReloadResult reload(const std::string& bundle_path) override;
  std::map<std::string, double> set_weights(const std::map<std::string, double>& weights) override;

  /// Sink counters for /metrics and tests (null before load() or without Memboost).
  const EventSink* sink() const { return sink_.get(); }

 private:
  struct Snapshot;
  std::shared_ptr<const Snapshot> current() const;  // throws kResourceExhausted before load()
  void open_sink(const Engine& engine);

  BundleServiceOptions options_;
  std::atomic<std::shared_ptr<const Snapshot>> snapshot_;
  std::unique_ptr<EventSink> sink_;
  uint64_t priors_fingerprint_ = 0;
  std::mutex admin_mu_;
};

}  // namespace reco::serve
