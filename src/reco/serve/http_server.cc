#include "reco/serve/http_server.h"

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <semaphore>
#include <thread>
#include <vector>

#include <httplib.h>
#include <spdlog/spdlog.h>

#include "reco/core/error.h"
#include "reco/serve/api_json.h"

namespace reco::serve {

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;
using HandlerResponse = httplib::Server::HandlerResponse;

// httplib serves one request at a time per thread, calling the pre-routing handler, the
// route and the post-routing handler on that thread; this carries the request's start
// time and route label between them.
struct RequestState {
  bool active = false;
  Clock::time_point start;
  Endpoint endpoint = Endpoint::kOther;
};
thread_local RequestState t_request;
// True on the thread that answers connections beyond max_inflight: every route then
// drains the body and answers 503.
thread_local bool t_rejecting = false;

// httplib's TaskQueue, bounded: at most `max` connections are admitted (running or about
// to run on their own thread); the rest go to one reject thread (queue of `max`), and past
// that the accept thread answers them itself. Threads are created on demand and kept.
class AdmissionQueue final : public httplib::TaskQueue {
 public:
  AdmissionQueue(size_t max, Metrics& metrics) : max_(max), metrics_(metrics) {
    rejecter_ = std::thread([this] {
      t_rejecting = true;
      loop(rejects_, reject_cv_, false);
    });
  }
  ~AdmissionQueue() override { shutdown(); }

  void enqueue(std::function<void()> fn) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (admitted_ < max_) {
        ++admitted_;
        metrics_.add_connections(1);
        jobs_.push_back(std::move(fn));
        // admitted_ counts running + queued jobs: one thread each, so none waits.
        if (workers_.size() < admitted_) workers_.emplace_back([this] { loop(jobs_, cv_, true); });
        cv_.notify_one();
        return;
      }
      if (rejects_.size() < max_) {
        rejects_.push_back(std::move(fn));
        reject_cv_.notify_one();
        return;
      }
    }
    t_rejecting = true;
    run(fn);
    t_rejecting = false;
  }

  void shutdown() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (joined_) return;
      stopping_ = true;
    }
    cv_.notify_all();
    reject_cv_.notify_all();
    // workers_ only grows in enqueue(), on the accept thread, which is the caller here.
    for (std::thread& t : workers_) t.join();
    rejecter_.join();
    std::lock_guard<std::mutex> lock(mutex_);
    joined_ = true;
  }

 private:
  static void run(std::function<void()>& fn) {
    try {
      fn();  // httplib's process_and_close_socket: catches handler exceptions itself
    } catch (...) {
    }
  }

  void loop(std::deque<std::function<void()>>& queue, std::condition_variable& cv, bool admitted) {
    for (;;) {
      std::function<void()> fn;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        cv.wait(lock, [&] { return stopping_ || !queue.empty(); });
        if (queue.empty()) return;  // stopping and drained: every socket got closed
        fn = std::move(queue.front());
        queue.pop_front();
      }
      run(fn);
      if (admitted) {
        std::lock_guard<std::mutex> lock(mutex_);
        --admitted_;
        metrics_.add_connections(-1);
      }
    }
  }

  const size_t max_;
  Metrics& metrics_;
  std::mutex mutex_;
  std::condition_variable cv_, reject_cv_;
  std::deque<std::function<void()>> jobs_, rejects_;
  std::vector<std::thread> workers_;
  std::thread rejecter_;
  size_t admitted_ = 0;
  bool stopping_ = false;
  bool joined_ = false;
};

// Exposes the listening socket so its backlog can be raised past httplib's built-in 5.
class ListeningServer : public httplib::Server {
 public:
  void set_backlog(int n) { ::listen(svr_sock_, n); }
};

struct Permit {
  explicit Permit(std::counting_semaphore<>& s) : sem(s) { sem.acquire(); }
  ~Permit() { sem.release(); }
  std::counting_semaphore<>& sem;
};

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// Equal-time comparison for the admin token (no early exit on the first differing byte).
bool same_secret(std::string_view given, std::string_view secret) {
  if (secret.empty()) return false;
  size_t diff = given.size() ^ secret.size();
  for (size_t i = 0; i < given.size(); ++i) {
    diff |= static_cast<unsigned char>(given[i]) ^ static_cast<unsigned char>(secret[i % secret.size()]);
  }
  return diff == 0;
}

void write_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(dump_json(body), "application/json");
}

void write_error(httplib::Response& res, int status, std::string_view code, std::string_view message,
                 std::string_view field) {
  write_json(res, status, error_body(code, message, field));
}

std::string shorten(std::string_view s, size_t n = 200) {
  return s.size() <= n ? std::string(s) : std::string(s.substr(0, n)) + "...";
}

}  // namespace

struct HttpServer::Impl {
  Impl(Service& s, ServerOptions o)
      : service(s),
        options(std::move(o)),
        permits(static_cast<std::ptrdiff_t>(std::max<size_t>(options.threads, 1))) {}

  Service& service;
  const ServerOptions options;
  Metrics metrics;
  ListeningServer server;
  std::counting_semaphore<> permits;

  std::mutex lifecycle_mutex;
  std::condition_variable lifecycle_cv;
  bool started = false;
  bool finished = false;
  std::atomic<bool> stop_requested{false};
  std::mutex join_mutex;
  std::thread listener;
  int bound_port = 0;

  void install();
  bool route_get(const httplib::Request& req, httplib::Response& res);
  template <typename F>
  void guarded(Endpoint endpoint, const httplib::Request& req, httplib::Response& res,
               const httplib::ContentReader* reader, F&& body);
  bool read_body(const httplib::Request& req, httplib::Response& res,
                 const httplib::ContentReader& reader, std::string& body);
  bool admin_allowed(const httplib::Request& req, httplib::Response& res);
  std::string version_or_empty() const;
  json with_version(json body) const;
};

std::string HttpServer::Impl::version_or_empty() const {
  try {
    return service.bundle_version();
  } catch (...) {
    return "";
  }
}

json HttpServer::Impl::with_version(json body) const {
  if (body.is_object() && !body.contains("bundle_version")) body["bundle_version"] = version_or_empty();
  return body;
}

bool HttpServer::Impl::read_body(const httplib::Request& req, httplib::Response& res,
                                 const httplib::ContentReader& reader, std::string& body) {
  const size_t max = options.max_body_bytes;
  bool too_big = false;
  auto receive = [&](const char* data, size_t n) {
    if (n > max - body.size()) {
      too_big = true;
      return false;
    }
    body.append(data, n);
    return true;
  };
  // RFC 9112 6.3: a request with neither Content-Length nor Transfer-Encoding has no body.
  // (httplib would read until the peer closes, holding the connection for read_timeout.)
  if (!req.has_header("Content-Length") && !req.has_header("Transfer-Encoding")) return true;
  if (req.has_header("Content-Encoding")) {
    // httplib inflates gzip/deflate/br and passes anything else through as is.
    const std::string& coding = req.get_header_value("Content-Encoding");
    if (coding != "gzip" && coding != "deflate" && coding != "br" && coding != "identity") {
      size_t seen = 0;  // read it through (bounded) so the connection stays in step
      reader([&](const char*, size_t n) { return (seen += n) <= max; });
      write_error(res, 415, "unsupported_media_type",
                  "unsupported Content-Encoding (gzip, deflate, br or identity)", "");
      res.set_header("Connection", "close");
      return false;
    }
  }
  if (req.is_multipart_form_data()) {
    // Read it through (bounded) so the connection stays in step, then refuse it.
    size_t seen = 0;
    reader([](const httplib::MultipartFormData&) { return true; },
           [&](const char*, size_t n) { return (seen += n) <= max; });
    write_error(res, 415, "unsupported_media_type", "multipart bodies are not accepted: send JSON", "");
    res.set_header("Connection", "close");
    return false;
  }
  if (reader(receive)) return true;
  if (too_big || res.status == 413) {
    write_error(res, 413, "payload_too_large",
                "request body larger than " + std::to_string(max) + " bytes", "");
  } else if (res.status == 415) {
    write_error(res, 415, "unsupported_media_type", "unsupported Content-Encoding", "");
  } else {
    write_error(res, 400, "bad_request",
                "could not read the request body (truncated, or bad chunked/compressed encoding)", "");
  }
  res.set_header("Connection", "close");
  return false;
}

bool HttpServer::Impl::admin_allowed(const httplib::Request& req, httplib::Response& res) {
  if (options.admin_token.empty()) {
    write_error(res, 403, "forbidden",
                "admin disabled: start reco serve with --admin-token-file", "");
    return false;
  }
  const std::string& auth = req.get_header_value("Authorization");
  const std::string_view prefix = "Bearer ";
  if (!starts_with(auth, prefix) ||
      !same_secret(std::string_view(auth).substr(prefix.size()), options.admin_token)) {
    res.set_header("WWW-Authenticate", "Bearer");
    write_error(res, 401, "unauthorized", "missing or wrong admin token (Authorization: Bearer TOKEN)", "");
    return false;
  }
  return true;
}

template <typename F>
void HttpServer::Impl::guarded(Endpoint endpoint, const httplib::Request& req, httplib::Response& res,
                               const httplib::ContentReader* reader, F&& body) {
  t_request.endpoint = endpoint;
  try {
    if (t_rejecting) {
      if (reader) {
        std::string sink;
        read_body(req, res, *reader, sink);
      }
      metrics.add_rejected();
      write_error(res, 503, "resource_exhausted",
                  "server overloaded: " + std::to_string(options.max_inflight) +
                      " connections in flight; retry later",
                  "");
      res.set_header("Retry-After", "1");
      res.set_header("Connection", "close");
      return;
    }
    body();
  } catch (const ApiFieldError& e) {
    write_error(res, http_status(e.code()), error_code_name(e.code()), e.message(), e.field());
  } catch (const reco::Error& e) {
    const std::string field =
        e.code() == ErrorCode::kInvalidArgument ? field_from_message(e.message()) : std::string();
    write_error(res, http_status(e.code()), error_code_name(e.code()), e.message(), field);
  } catch (const std::exception& e) {
    write_error(res, 500, "internal", e.what(), "");
  } catch (...) {
    write_error(res, 500, "internal", "unknown exception", "");
  }
}

bool HttpServer::Impl::route_get(const httplib::Request& req, httplib::Response& res) {
  const std::string& path = req.path;
  if (path == "/healthz") {
    guarded(Endpoint::kHealthz, req, res, nullptr, [&] { write_json(res, 200, {{"status", "ok"}}); });
  } else if (path == "/readyz") {
    guarded(Endpoint::kReadyz, req, res, nullptr, [&] {
      if (service.ready()) {
        write_json(res, 200, {{"status", "ready"}, {"bundle_version", service.bundle_version()}});
      } else {
        write_json(res, 503, {{"status", "loading"}});
      }
    });
  } else if (path == "/metrics") {
    guarded(Endpoint::kMetrics, req, res, nullptr, [&] {
      bool ready = false;
      try {
        ready = service.ready();
      } catch (...) {
      }
      res.status = 200;
      res.set_content(metrics.prometheus(version_or_empty(), ready), "text/plain; version=0.0.4; charset=utf-8");
    });
  } else if (path == "/v1/stats") {
    guarded(Endpoint::kStats, req, res, nullptr,
            [&] { write_json(res, 200, metrics.stats_json(version_or_empty())); });
  } else if (path == "/v1/bundle") {
    guarded(Endpoint::kBundle, req, res, nullptr,
            [&] { write_json(res, 200, with_version(service.bundle_info())); });
  } else if (starts_with(path, "/v1/items/")) {
    guarded(Endpoint::kItems, req, res, nullptr, [&] {
      const std::string_view text = std::string_view(path).substr(10);
      uint64_t id = 0;
      bool ok = !text.empty() && text.size() <= 20;
      for (char c : text) {
        if (!ok) break;
        if (c < '0' || c > '9') ok = false;
        else if (id > (UINT64_MAX - static_cast<uint64_t>(c - '0')) / 10) ok = false;
        else id = id * 10 + static_cast<uint64_t>(c - '0');
      }
      if (!ok) {
        write_error(res, 400, "invalid_argument",
                    "id: expected an item id (an integer in 0..18446744073709551615), got \"" +
                        shorten(text, 40) + "\"",
                    "id");
        return;
      }
      write_json(res, 200, with_version(service.item(id)));
    });
  } else if (!starts_with(path, "/v1/") && options.assets) {
    const WebAsset* asset = options.assets(path);
    if (!asset) return false;
    guarded(Endpoint::kWeb, req, res, nullptr, [&] {
      res.status = 200;
      res.set_content(std::string(asset->body), std::string(asset->content_type));
      res.set_header("Cache-Control", "no-cache");
    });
  } else {
    return false;
  }
  return true;
}

void HttpServer::Impl::install() {
  server.new_task_queue = [this] { return new AdmissionQueue(options.max_inflight, metrics); };
  server.set_payload_max_length(options.max_body_bytes);
  server.set_read_timeout(options.read_timeout_s, 0);
  server.set_write_timeout(options.write_timeout_s, 0);
  server.set_keep_alive_timeout(options.keep_alive_timeout_s);
  server.set_keep_alive_max_count(std::max<size_t>(options.keep_alive_max_requests, 1));
  server.set_tcp_nodelay(true);
  // httplib's default sets SO_REUSEPORT, which lets a second server bind the same port and
  // silently share its traffic; SO_REUSEADDR alone still allows a quick restart.
  server.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });

  server.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    t_request = RequestState{true, Clock::now(), Endpoint::kOther};
    metrics.add_in_flight(1);
    if (req.method != "GET" && req.method != "HEAD") return HandlerResponse::Unhandled;
    return route_get(req, res) ? HandlerResponse::Handled : HandlerResponse::Unhandled;
  });

  server.set_post_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    double ms = -1;
    if (t_request.active) {
      ms = std::chrono::duration<double, std::milli>(Clock::now() - t_request.start).count();
      metrics.add_in_flight(-1);
    }
    metrics.observe_request(t_request.endpoint, res.status, ms);
    if (starts_with(req.path, "/v1/") && !res.has_header("X-Reco-Bundle-Version")) {
      std::string version = version_or_empty();
      if (!version.empty()) res.set_header("X-Reco-Bundle-Version", version);
    }
    // A GET with a body we did not read: the rest of the stream is not a request.
    if ((req.method == "GET" || req.method == "HEAD") &&
        ((req.has_header("Content-Length") && req.get_header_value("Content-Length") != "0") ||
         req.has_header("Transfer-Encoding"))) {
      res.set_header("Connection", "close");
    }
    if (spdlog::default_logger_raw()->should_log(spdlog::level::debug)) {
      spdlog::debug("{} {} {} {:.3f} ms", req.method, shorten(req.path), res.status, ms);
    }
    t_request = RequestState{};
  });

  // Responses httplib makes itself (unknown route, 413 before routing, bad request line,
  // ...) get the same JSON error body as ours; bodies we wrote are left alone.
  server.set_error_handler(httplib::Server::HandlerWithResponse(
      [this](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return HandlerResponse::Unhandled;
    static const char* const kKnown[] = {"/v1/recommend", "/v1/score", "/v1/events",
                                         "/v1/admin/reload", "/v1/admin/weights", "/v1/stats",
                                         "/v1/bundle", "/healthz", "/readyz", "/metrics"};
    const std::string where = req.method + " " + shorten(req.path);
    switch (res.status) {
      case 404: {
        bool known = starts_with(req.path, "/v1/items/");
        for (const char* k : kKnown) known |= req.path == k;
        if (known) {
          res.status = 405;
          write_error(res, 405, "method_not_allowed", "method not allowed: " + where, "");
        } else {
          write_error(res, 404, "not_found", "no such route: " + where, "");
        }
        break;
      }
      case 413:
        write_error(res, 413, "payload_too_large",
                    "request body larger than " + std::to_string(options.max_body_bytes) + " bytes", "");
        break;
      case 414: write_error(res, 414, "uri_too_long", "request URI too long", ""); break;
      case 415: write_error(res, 415, "unsupported_media_type", "unsupported Content-Encoding", ""); break;
      default:
        write_error(res, res.status, res.status >= 500 ? "internal" : "bad_request",
                    "HTTP " + std::to_string(res.status) + " for " + where, "");
    }
    return HandlerResponse::Handled;
  }));

  server.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "unknown exception";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    write_error(res, 500, "internal", what, "");
  });

  server.Post("/v1/recommend", [this](const httplib::Request& req, httplib::Response& res,
                                      const httplib::ContentReader& reader) {
    guarded(Endpoint::kRecommend, req, res, &reader, [&] {
      std::string body;
      if (!read_body(req, res, reader, body)) return;
      const RecommendRequest request = recommend_request_from_json(parse_json_body(body));
      Response out;
      {
        Permit permit(permits);
        out = service.recommend(request);
      }
      metrics.observe_stages(out.stage_ms);
      res.set_header("X-Reco-Bundle-Version", out.bundle_version);
      write_json(res, 200, response_to_json(out, request.explain));
    });
  });
  server.Post("/v1/score", [this](const httplib::Request& req, httplib::Response& res,
                                  const httplib::ContentReader& reader) {
    guarded(Endpoint::kScore, req, res, &reader, [&] {
      std::string body;
      if (!read_body(req, res, reader, body)) return;
      const ScoreRequest request = score_request_from_json(parse_json_body(body));
      Response out;
      {
        Permit permit(permits);
        out = service.score(request);
      }
      metrics.observe_stages(out.stage_ms);
      res.set_header("X-Reco-Bundle-Version", out.bundle_version);
      write_json(res, 200, response_to_json(out, request.explain));
    });
  });
  server.Post("/v1/events", [this](const httplib::Request& req, httplib::Response& res,
                                   const httplib::ContentReader& reader) {
    guarded(Endpoint::kEvents, req, res, &reader, [&] {
      std::string body;
      if (!read_body(req, res, reader, body)) return;
      const std::vector<EventIn> events = events_from_json(parse_json_body(body));
      const EventsAck ack = service.events(events);
      write_json(res, 200, events_ack_to_json(ack, version_or_empty()));
    });
  });
  server.Post("/v1/admin/reload", [this](const httplib::Request& req, httplib::Response& res,
                                         const httplib::ContentReader& reader) {
    guarded(Endpoint::kAdminReload, req, res, &reader, [&] {
      std::string body;
      if (!read_body(req, res, reader, body)) return;
      if (!admin_allowed(req, res)) return;
      const bool empty = body.find_first_not_of(" \t\r\n") == std::string::npos;
      const std::string path = empty ? std::string() : reload_path_from_json(parse_json_body(body));
      const ReloadResult result = service.reload(path);
      res.set_header("X-Reco-Bundle-Version", result.version);
      write_json(res, 200, with_version(reload_result_to_json(result)));
    });
  });
  server.Post("/v1/admin/weights", [this](const httplib::Request& req, httplib::Response& res,
                                          const httplib::ContentReader& reader) {
    guarded(Endpoint::kAdminWeights, req, res, &reader, [&] {
      std::string body;
      if (!read_body(req, res, reader, body)) return;
      if (!admin_allowed(req, res)) return;
      const auto weights = admin_weights_from_json(parse_json_body(body));
      json out = json::object();
      out["weights"] = service.set_weights(weights);
      write_json(res, 200, with_version(std::move(out)));
    });
  });
}

HttpServer::HttpServer(Service& service, ServerOptions options)
    : impl_(std::make_unique<Impl>(service, std::move(options))) {}

HttpServer::~HttpServer() { stop(); }

int HttpServer::start() {
  Impl& s = *impl_;
  const ServerOptions& o = s.options;
  RECO_CHECK(o.threads >= 1) << "threads must be >= 1, got " << o.threads;
  RECO_CHECK(o.max_inflight >= 1) << "max_inflight must be >= 1, got " << o.max_inflight;
  RECO_CHECK(o.max_body_bytes >= 1) << "max_body_bytes must be >= 1";
  RECO_CHECK(o.port >= 0 && o.port <= 65535) << "port must be in 0..65535, got " << o.port;
  std::unique_lock<std::mutex> lock(s.lifecycle_mutex);
  RECO_CHECK(!s.started) << "HttpServer::start called twice";
  s.install();
  int port = -1;
  if (o.port == 0) {
    port = s.server.bind_to_any_port(o.host);
  } else if (s.server.bind_to_port(o.host, o.port)) {
    port = o.port;
  }
  if (port < 0) {
    RECO_THROW(ErrorCode::kIo) << "cannot listen on " << o.host << ":" << o.port
                               << " (address in use, or not an address of this machine?)";
  }
  s.server.set_backlog(static_cast<int>(std::max<size_t>(o.max_inflight, 128)));
  s.bound_port = port;
  s.started = true;
  s.listener = std::thread([&s] {
    s.server.listen_after_bind();
    std::lock_guard<std::mutex> guard(s.lifecycle_mutex);
    s.finished = true;
    s.lifecycle_cv.notify_all();
  });
  lock.unlock();
  // httplib's stop() is a no-op until the accept loop runs: wait for it so stop() right
  // after start() cannot be lost.
  while (!s.server.is_running()) {
    {
      std::lock_guard<std::mutex> guard(s.lifecycle_mutex);
      if (s.finished) break;
    }
    std::this_thread::yield();
  }
  spdlog::info("listening on http://{}:{}", o.host, port);
  return port;
}

void HttpServer::wait() {
  Impl& s = *impl_;
  std::unique_lock<std::mutex> lock(s.lifecycle_mutex);
  s.lifecycle_cv.wait(lock, [&] { return !s.started || s.finished; });
}

void HttpServer::stop() {
  Impl& s = *impl_;
  {
    std::lock_guard<std::mutex> lock(s.lifecycle_mutex);
    if (!s.started) return;
  }
  if (!s.stop_requested.exchange(true)) s.server.stop();
  wait();
  std::lock_guard<std::mutex> lock(s.join_mutex);
  if (s.listener.joinable()) s.listener.join();
}

int HttpServer::port() const { return impl_->bound_port; }

const Metrics& HttpServer::metrics() const { return impl_->metrics; }

}  // namespace reco::serve
