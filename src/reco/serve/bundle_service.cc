#include "reco/serve/bundle_service.h"

#include "reco/core/error.h"
#include "reco/core/log.h"
#include "reco/core/timer.h"
#include "reco/memboost/position_priors.h"
#include "reco/serve/engine.h"
#include "reco/serve/event_sink.h"

namespace reco::serve {

struct BundleService::Snapshot {
  std::shared_ptr<const Engine> engine;
  std::vector<double> weights;
};

BundleService::BundleService(BundleServiceOptions options) : options_(std::move(options)) {}
BundleService::~BundleService() = default;

std::shared_ptr<const BundleService::Snapshot> BundleService::current() const {
  auto s = snapshot_.load(std::memory_order_acquire);
  RECO_CHECK_CODE(s, ErrorCode::kResourceExhausted) << "no bundle loaded yet (GET /readyz says when)";
  return s;
}

void BundleService::open_sink(const Engine& engine) {
  if (options_.state_dir.empty() || !engine.priors()) return;
  SinkOptions so;
  so.state_dir = options_.state_dir;
  so.priors = std::make_shared<const memboost::PositionPriors>(*engine.priors());
  so.seed_store = engine.memboost_seed();
  priors_fingerprint_ = engine.priors()->fingerprint();
  sink_ = std::make_unique<EventSink>(std::move(so));
}

void BundleService::load() {
  std::lock_guard lock(admin_mu_);
  auto engine = Engine::load(options_.bundle, options_.ctx);
  if (!sink_) open_sink(*engine);
  auto snap = std::make_shared<Snapshot>(Snapshot{engine, engine->default_weights()});
  snapshot_.store(std::move(snap), std::memory_order_release);
}

bool BundleService::ready() const { return snapshot_.load(std::memory_order_acquire) != nullptr; }

std::string BundleService::bundle_version() const {
  auto s = snapshot_.load(std::memory_order_acquire);
  return s ? s->engine->version() : std::string();
}

nlohmann::json BundleService::bundle_info() const {
  auto s = current();
  nlohmann::json j = s->engine->info(s->weights);
  j["events"] = sink_ ? nlohmann::json{{"log_rows", sink_->log_rows()}, {"log", sink_->log_path()}} : nlohmann::json(nullptr);
  return j;
}

Response BundleService::recommend(const RecommendRequest& request) const {
  auto s = current();
  const auto w = s->engine->merge_weights(s->weights, request.weights);
  return s->engine->recommend(request, w, sink_ ? &sink_->store() : nullptr);
}

Response BundleService::score(const ScoreRequest& request) const {
  auto s = current();
  const auto w = s->engine->merge_weights(s->weights, request.weights);
  return s->engine->score(request, w, sink_ ? &sink_->store() : nullptr);
}

nlohmann::json BundleService::item(uint64_t id) const { return current()->engine->item(id); }

EventsAck BundleService::events(const std::vector<EventIn>& events) {
  current();
  if (!sink_)
    RECO_THROW(ErrorCode::kUnsupported)
        << (options_.state_dir.empty() ? "events are off: the server runs without a state directory (--no-events)"
                                       : "the bundle has no Memboost priors (its log has no positions), so events "
                                         "cannot be counted");
  return sink_->append(events);
}

ReloadResult BundleService::reload(const std::string& bundle_path) {
  std::lock_guard lock(admin_mu_);
  Stopwatch sw;
  const std::string path = bundle_path.empty() ? options_.bundle : bundle_path;
  auto engine = Engine::load(path, options_.ctx);
  if (sink_) {
    RECO_CHECK(engine->priors() && engine->priors()->fingerprint() == priors_fingerprint_)
        << "bundle " << path << " has other Memboost priors than the live store counts with; "
        << "start a server with a new --state directory for it";
  }
  ReloadResult r;
  auto old = snapshot_.load(std::memory_order_acquire);
  r.previous_version = old ? old->engine->version() : "";
  if (!sink_) open_sink(*engine);
  snapshot_.store(std::make_shared<Snapshot>(Snapshot{engine, engine->default_weights()}), std::memory_order_release);
  options_.bundle = path;
  r.version = engine->version();
  r.seconds = sw.elapsed_seconds();
  return r;
}

std::map<std::string, double> BundleService::set_weights(const std::map<std::string, double>& weights) {
  std::lock_guard lock(admin_mu_);
  auto s = current();
  auto next = std::make_shared<Snapshot>(Snapshot{s->engine, s->engine->merge_weights(s->weights, weights)});
  std::map<std::string, double> out;
  for (size_t t = 0; t < next->engine->heads().size(); ++t) out[next->engine->heads()[t]] = next->weights[t];
  snapshot_.store(std::move(next), std::memory_order_release);
  return out;
}

}  // namespace reco::serve
