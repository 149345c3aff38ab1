// reco serve — the cascade online (src/reco/serve; docs/serving.md, docs/api.md).
// Binds 127.0.0.1 by default, answers /healthz at once and /readyz with 503 until the bundle is
// loaded, then serves recommendations, scores, events, the web page and metrics until SIGINT or
// SIGTERM (a graceful stop: requests in flight finish, the event sink closes cleanly).
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <thread>

#include "commands.h"
#include "reco/core/error.h"
#include "reco/core/log.h"
#include "reco/core/timer.h"
#include "reco/serve/bundle_service.h"
#include "reco/serve/http_server.h"
#include "reco/serve/web_assets.h"

namespace reco::cli {

namespace {
// SIGINT/SIGTERM -> one byte on a pipe, read by a waiter thread that stops the server. A handler
// (not a blocked mask + sigwait) because threads started before main — OpenBLAS's pool — would
// not have the mask, and a signal delivered to one of them would kill the process ungracefully.
int g_stop_pipe[2] = {-1, -1};
void on_stop_signal(int sig) {
  const unsigned char b = static_cast<unsigned char>(sig);
  [[maybe_unused]] const ssize_t n = write(g_stop_pipe[1], &b, 1);
}

struct ServeArgs {
  std::string bundle;
  std::string state = "reco-state";
  std::string host = "127.0.0.1";
  int port = 8080;
  size_t workers = 2;
  size_t max_inflight = 64;
  size_t max_body = size_t{1} << 20;
  std::string admin_token_file;
  bool no_events = false;
  bool no_page = false;
};

std::string read_token(const std::string& path) {
  std::ifstream in(path);
  RECO_CHECK_CODE(in, ErrorCode::kNotFound) << "--admin-token-file " << path << ": cannot read";
  std::string token;
  std::getline(in, token);
  while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
  RECO_CHECK(token.size() >= 16) << "--admin-token-file " << path << ": the token must have at least 16 characters";
  return token;
}
}  // namespace

Action setup_serve(CLI::App& sub, GlobalOptions& global) {
  auto a = std::make_shared<ServeArgs>();
  sub.add_option("--bundle", a->bundle, "Bundle directory (reco bundle build)")->required();
  sub.add_option("--state", a->state, "State directory: event log + live Memboost store")->capture_default_str();
  sub.add_flag("--no-events", a->no_events, "Serve without a state directory (POST /v1/events answers 501)");
  sub.add_option("--host", a->host, "Address to bind (loopback by default)")->capture_default_str();
  sub.add_option("--port", a->port, "Port (0 = any free port, printed)")->capture_default_str();
  sub.add_option("--workers", a->workers, "Requests ranked at once")->capture_default_str();
  sub.add_option("--max-inflight", a->max_inflight, "Connections admitted at once; more get 503")->capture_default_str();
  sub.add_option("--max-body", a->max_body, "Largest request body in bytes; larger get 413")->capture_default_str();
  sub.add_option("--admin-token-file", a->admin_token_file,
                 "File holding the bearer token of /v1/admin/* (without it admin routes answer 403)");
  sub.add_flag("--no-page", a->no_page, "Do not serve the web page at /");
  return [a, &global] {
    serve::BundleServiceOptions so;
    so.bundle = a->bundle;
    so.state_dir = a->no_events ? "" : a->state;
    so.ctx = global.context();
    so.ctx.threads = 1;  // one request ranks on one thread; concurrency comes from the workers
    serve::BundleService service(so);
    serve::ServerOptions opt;
    opt.host = a->host;
    opt.port = a->port;
    opt.threads = a->workers;
    opt.max_inflight = a->max_inflight;
    opt.max_body_bytes = a->max_body;
    if (!a->admin_token_file.empty()) opt.admin_token = read_token(a->admin_token_file);
    if (!a->no_page) opt.assets = [](std::string_view path) { return serve::find_web_asset(path); };

    RECO_CHECK_CODE(pipe(g_stop_pipe) == 0, ErrorCode::kIo) << "cannot create the stop pipe";
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    signal(SIGPIPE, SIG_IGN);

    serve::HttpServer server(service, opt);
    const int port = server.start();
    const std::string url = "http://" + a->host + ":" + std::to_string(port);
    if (!global.quiet) std::fprintf(stderr, "reco serve: listening on %s, loading %s\n", url.c_str(), a->bundle.c_str());
    Stopwatch sw;
    try {
      service.load();
    } catch (...) {
      server.stop();
      throw;
    }
    const std::string version = service.bundle_version();
    if (global.json) {
      std::printf("{\"url\":\"%s\",\"port\":%d,\"bundle_version\":\"%s\"}\n", url.c_str(), port, version.c_str());
    } else {
      std::printf("reco serve: bundle %s ready in %.2f s\n", version.c_str(), sw.elapsed_seconds());
      std::printf("  web page  %s/\n", url.c_str());
      const auto info = service.bundle_info();
      const std::string user =
          info["sample_users"].empty() ? std::string("1") : info["sample_users"][0].dump();
      std::printf("  try       curl -s %s/v1/recommend -d '{\"user\": %s, \"k\": 5}'\n", url.c_str(),
                  user.c_str());
      std::printf("  stop      Ctrl-C\n");
    }
    std::fflush(stdout);
    std::thread waiter([&] {
      unsigned char sig = 0;
      while (read(g_stop_pipe[0], &sig, 1) < 0 && errno == EINTR) {
      }
      if (!global.quiet) std::fprintf(stderr, "reco serve: signal %d, stopping\n", sig);
      server.stop();
    });
    server.wait();
    // wait() returned: the server stopped, so the waiter got its signal (the only caller of stop()).
    waiter.join();
    return 0;
  };
}

}  // namespace reco::cli
