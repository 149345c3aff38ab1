// HttpServer — `reco serve`'s HTTP/1.1 front (cpp-httplib): routes of docs/api.md, JSON
// parsing and errors (api_json.h), request limits, admin auth, metrics (metrics.h).
//
// Threads and admission:
//   * one accept thread (start() .. stop());
//   * connection threads, created on demand, at most `max_inflight`: each serves one
//     connection (keep-alive included) at a time. A connection accepted while
//     `max_inflight` connections are admitted goes to a single reject thread that reads
//     its request and answers 503 + "Connection: close" — never an unbounded queue. When
//     even the reject queue (max_inflight long) is full, the accept thread answers it
//     itself, which stalls accepting: back-pressure into the kernel's listen backlog;
//   * `threads` compute permits: recommend and score hold one while they run in the
//     Service, so at most `threads` rank at once; the other routes (events: I/O bound;
//     admin reload: must not stall ranking; healthz, metrics, ...) do not wait for one.
// Every exception from parsing or the Service becomes a JSON error
// {"error": {"code", "message", "field"?}} with core/error.h http_status(); nothing a
// client sends can take the process down (tests/unit/serve/http_fuzz_test.cc).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "reco/serve/metrics.h"
#include "reco/serve/service.h"
#include "reco/serve/web_assets.h"

namespace reco::serve {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                         ///< 0 = an ephemeral port (start() returns it)
  size_t threads = 2;                      ///< concurrent Service calls (compute permits)
  size_t max_body_bytes = size_t{1} << 20; ///< larger bodies -> 413
  size_t max_inflight = 64;                ///< admitted connections; beyond -> 503
  std::string admin_token;                 ///< "" = admin routes answer 403
  int read_timeout_s = 5;                  ///< per socket read while receiving a request
  int write_timeout_s = 5;                 ///< per socket write while sending a response
  int keep_alive_timeout_s = 2;            ///< idle wait for the next request on a connection
  size_t keep_alive_max_requests = 100;    ///< requests per connection before it is closed
  /// Static web page lookup (web_assets.h find_web_asset); null = no page (GET / -> 404).
  std::function<const WebAsset*(std::string_view)> assets;
};

class HttpServer {
 public:
  /// `service` must outlive the server. Nothing is bound until start().
  HttpServer(Service& service, ServerOptions options);
  /// Stops (as stop()) if still running.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Binds host:port and starts accepting on a background thread; returns the bound port.
  /// Throws reco::Error kIo when the address cannot be bound, kInvalidArgument on bad options.
  int start();
  /// Blocks until the server has stopped (after stop() from another thread).
  void wait();
  /// Stops accepting, lets requests in progress finish (idle keep-alive connections close
  /// within keep_alive_timeout_s), joins every thread. Idempotent; any thread but a handler.
  void stop();

  /// The bound port (after start()), else 0.
  int port() const;
  const Metrics& metrics() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace reco::serve
