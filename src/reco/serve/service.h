// Service — what `reco serve`'s HTTP layer asks of the loaded cascade, as plain structs.
//
// The HTTP layer (http_server.h) parses JSON bodies into these requests (api_json.h: a bad
// field is a 400 naming it), calls the Service, and writes the responses back as JSON
// (docs/api.md). The Service is the one BundleService (bundle_service.h) in production and
// a fake in the HTTP tests, so routing, limits and errors are tested without a bundle.
//
// Threading: every method may be called from many HTTP worker threads at once.
// recommend/score/item read one immutable bundle snapshot per call (a reload swaps the
// snapshot atomically; a request in flight finishes on the snapshot it started with and
// reports that snapshot's version). events() is durable when it returns (event_sink.h).
//
// Errors: methods throw reco::Error — kInvalidArgument (400: bad value, e.g. an unknown
// head in weights), kNotFound (404: unknown item for /v1/items/{id}), kResourceExhausted
// (503: no bundle loaded yet, or overloaded); core/error.h http_status() maps the rest.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace reco::serve {

/// Context features of a request: name -> value as text, e.g. {"platform": "ios",
/// "locale": "en"}. A name the model does not use is ignored (and listed in explain).
using ContextMap = std::map<std::string, std::string>;

struct RecommendRequest {
  std::optional<uint64_t> user;        ///< raw user id
  std::optional<uint64_t> query_item;  ///< raw item id of the query ("related items")
  ContextMap context;
  size_t k = 10;                       ///< results wanted, 1..1000
  size_t candidates = 0;               ///< candidates ranked (0 = the bundle's default)
  /// Utility weights by head name; heads not named keep the bundle's weight. Empty = bundle's.
  std::map<std::string, double> weights;
  /// Per candidate-source quota by source label (docs/candidates.md); empty = the bundle's.
  std::map<std::string, size_t> quotas;
  /// Segment filter: item attribute name -> allowed values (as text). An item passes when
  /// every named attribute has one of the listed values. Empty = no filter.
  std::map<std::string, std::vector<std::string>> filter;
  bool explain = false;
};

struct ScoreRequest {
  std::optional<uint64_t> user;
  std::optional<uint64_t> query_item;
  ContextMap context;
  std::vector<uint64_t> items;         ///< the caller's candidates, 1..10000 raw item ids
  std::map<std::string, double> weights;
  bool explain = false;
};

struct ScoredItem {
  uint64_t item = 0;
  double utility = 0;                  ///< sum_t w_t p_t over the calibrated heads
  std::vector<double> heads;           ///< calibrated probability per head, Response::heads order
  std::vector<std::string> sources;    ///< candidate sources that proposed it ("request" for /v1/score)
  double memboost = 0;                 ///< Memboost score of the (query, item) pair, 0 when unseen
  bool known = true;                   ///< false: the item has no features in the bundle (scored on defaults)
  nlohmann::json features;             ///< explain only: feature name -> value fed to the model
};

struct Response {
  std::string bundle_version;          ///< the snapshot that answered
  std::vector<std::string> heads;      ///< head names, the order of ScoredItem::heads
  std::vector<double> weights;         ///< the utility weights used, one per head
  std::vector<ScoredItem> items;       ///< best utility first
  /// Stage timings in milliseconds ("candidates", "features", "memboost", "rank", "total");
  /// always filled (the HTTP layer feeds its per-stage histograms with them).
  std::map<std::string, double> stage_ms;
  /// Why a result is short or empty, in words (unknown user, filter removed N, ...).
  std::vector<std::string> notes;
  nlohmann::json explain;              ///< explain only: counts per stage, ignored context keys, ...
};

/// One event of POST /v1/events: an impression (engaged all empty/zero) or an impression with
/// its engagements. Fields mirror data/event_log.h's Event.
struct EventIn {
  uint64_t request_id = 0;
  int64_t timestamp = 0;                ///< seconds since the epoch; 0 = the server's clock
  uint64_t user = 0;
  std::optional<uint64_t> query_item;
  uint64_t item = 0;
  uint32_t position = 0;                ///< 1-based, required (> 0)
  std::string platform, locale, policy;
  std::map<std::string, double> engaged;  ///< engagement type -> 0/1 (types the bundle knows)
  double dwell = 0;
};

struct EventsAck {
  uint64_t accepted = 0;                ///< events now durable (log + Memboost counters)
  uint64_t log_rows = 0;                ///< rows in the event log after this append
};

struct ReloadResult {
  std::string previous_version;
  std::string version;
  double seconds = 0;
};

class Service {
 public:
  virtual ~Service() = default;

  /// True once a bundle is loaded (GET /readyz).
  virtual bool ready() const = 0;
  /// Version of the live bundle ("" before the first load).
  virtual std::string bundle_version() const = 0;
  /// GET /v1/bundle: version, heads, default weights, sources, counts, sample user and item
  /// ids, per-head reliability bins (for the web page's calibration plot).
  virtual nlohmann::json bundle_info() const = 0;

  virtual Response recommend(const RecommendRequest& request) const = 0;
  virtual Response score(const ScoreRequest& request) const = 0;
  /// GET /v1/items/{id}: the item's attributes and feature values; kNotFound when unknown.
  virtual nlohmann::json item(uint64_t id) const = 0;

  /// Durable when it returns. kInvalidArgument naming the event index and field on a bad event
  /// (then nothing of the call is stored).
  virtual EventsAck events(const std::vector<EventIn>& events) = 0;

  /// Admin: loads `bundle_path` ("" = the path the server was started with, re-read) and swaps
  /// it in atomically; on failure the old bundle stays live and the error is thrown.
  virtual ReloadResult reload(const std::string& bundle_path) = 0;
  /// Admin: replaces the default utility weights of the live bundle (heads not named keep
  /// theirs); returns the new weights by head name.
  virtual std::map<std::string, double> set_weights(const std::map<std::string, double>& weights) = 0;
};

}  // namespace reco::serve
