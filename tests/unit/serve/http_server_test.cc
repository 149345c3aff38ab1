// HttpServer against FakeService: every route, errors with field names, limits, admin auth,
// overload, metrics. Servers bind 127.0.0.1 on an ephemeral port.
#include "reco/serve/http_server.h"

#include <atomic>
#include <future>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>

#include "fake_service.h"

namespace reco::serve {
namespace {

using nlohmann::json;
using testing::FakeService;

const WebAsset kIndex{"/index.html", "text/html; charset=utf-8", "<html>reco</html>"};

const WebAsset* test_assets(std::string_view path) {
  return path == "/" || path == "/index.html" ? &kIndex : nullptr;
}

class HttpServerTest : public ::testing::Test {
 protected:
  void start(ServerOptions options = {}) {
    options.port = 0;
    if (!options.assets) options.assets = test_assets;
    server_ = std::make_unique<HttpServer>(fake_, options);
    port_ = server_->start();
    ASSERT_GT(port_, 0);
  }
  void TearDown() override {
    if (server_) server_->stop();
  }
  httplib::Client client() {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(10, 0);
    return c;
  }
  httplib::Result post(const std::string& path, const std::string& body,
                       const httplib::Headers& headers = {}) {
    return client().Post(path.c_str(), headers, body, "application/json");
  }
  static json body_of(const httplib::Result& r) { return json::parse(r->body); }
  static std::string error_field(const httplib::Result& r) {
    json j = body_of(r);
    return j["error"].contains("field") ? j["error"]["field"].get<std::string>() : "";
  }

  FakeService fake_;
  std::unique_ptr<HttpServer> server_;
  int port_ = 0;
};

TEST_F(HttpServerTest, HealthReadyAndVersionHeader) {
  fake_.set_ready(false);
  start();
  auto health = client().Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(body_of(health)["status"], "ok");
  auto loading = client().Get("/readyz");
  ASSERT_TRUE(loading);
  EXPECT_EQ(loading->status, 503);
  EXPECT_EQ(body_of(loading)["status"], "loading");
  auto rec = post("/v1/recommend", R"({"user": 1})");
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->status, 503);
  EXPECT_EQ(body_of(rec)["error"]["code"], "resource_exhausted");
  EXPECT_FALSE(rec->has_header("X-Reco-Bundle-Version"));

  fake_.set_ready(true);
  auto ready = client().Get("/readyz");
  EXPECT_EQ(ready->status, 200);
  EXPECT_EQ(body_of(ready)["bundle_version"], "v1");
  auto bundle = client().Get("/v1/bundle");
  EXPECT_EQ(bundle->status, 200);
  EXPECT_EQ(bundle->get_header_value("X-Reco-Bundle-Version"), "v1");
  EXPECT_EQ(body_of(bundle)["heads"], json({"click", "save"}));
}

TEST_F(HttpServerTest, Recommend) {
  start();
  auto r = post("/v1/recommend", R"({"user": 999, "k": 2, "weights": {"click": 2}, "context": {"platform": "ios"},
                                     "explain": true})");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("X-Reco-Bundle-Version"), "v1");
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  json j = body_of(r);
  EXPECT_EQ(j["bundle_version"], "v1");
  ASSERT_EQ(j["items"].size(), 2u);
  EXPECT_EQ(j["items"][0]["rank"], 1);
  EXPECT_EQ(j["items"][0]["item"], 17);
  EXPECT_DOUBLE_EQ(j["items"][0]["p"]["save"].get<double>(), 0.02);
  EXPECT_EQ(j["items"][0]["sources"], json({"pixie"}));
  EXPECT_EQ(j["items"][0]["features"]["f"], 1.0);
  EXPECT_EQ(j["explain"]["candidates"], 3);
  EXPECT_EQ(j["notes"][0], "unknown user 999");
  EXPECT_TRUE(j["stage_ms"].contains("rank"));
  RecommendRequest seen = fake_.last_recommend();
  EXPECT_EQ(*seen.user, 999u);
  EXPECT_EQ(seen.k, 2u);
  EXPECT_EQ(seen.context.at("platform"), "ios");
  EXPECT_DOUBLE_EQ(seen.weights.at("click"), 2.0);
}

TEST_F(HttpServerTest, BadRequestsNameTheField) {
  start();
  struct Case {
    const char* path;
    const char* body;
    const char* field;
  };
  const Case cases[] = {
      {"/v1/recommend", R"({"user": -1})", "user"},
      {"/v1/recommend", R"({"user": 1, "k": 0})", "k"},
      {"/v1/recommend", R"({"user": 1, "colour": 0})", "colour"},
      {"/v1/recommend", R"({"user": 1, "weights": {"clck": 1}})", "weights.clck"},  // from the Service
      {"/v1/recommend", R"({"user": 1,)", ""},
      {"/v1/score", R"({"user": 1})", "items"},
      {"/v1/score", R"({"items": [1, "2"]})", "items[1]"},
      {"/v1/events", R"({"events": [{"request_id": 1, "user": 1, "item": 2, "position": 0}]})",
       "events[0].position"},
      {"/v1/events", R"({"events": [{"request_id": 1, "user": 1, "item": 2, "position": 1, "engaged": {"like": 1}}]})",
       "events[0].engaged.like"},  // from the Service
  };
  for (const Case& c : cases) {
    auto r = post(c.path, c.body);
    ASSERT_TRUE(r) << c.body;
    EXPECT_EQ(r->status, 400) << c.path << " " << c.body << " -> " << r->body;
    EXPECT_EQ(error_field(r), c.field) << c.body << " -> " << r->body;
    json j = body_of(r);
    EXPECT_TRUE(j["error"]["code"] == "invalid_argument" || j["error"]["code"] == "parse") << r->body;
    EXPECT_FALSE(j["error"]["message"].get<std::string>().empty());
  }
  EXPECT_TRUE(fake_.stored_events().empty());
}

TEST_F(HttpServerTest, ScoreEventsItems) {
  start();
  auto score = post("/v1/score", R"({"user": 4, "items": [5, 6, 7]})");
  ASSERT_EQ(score->status, 200) << score->body;
  json j = body_of(score);
  ASSERT_EQ(j["items"].size(), 3u);
  EXPECT_EQ(j["items"][2]["item"], 7);
  EXPECT_EQ(j["items"][0]["sources"], json({"request"}));
  EXPECT_EQ(fake_.last_score().items, (std::vector<uint64_t>{5, 6, 7}));

  auto events = post("/v1/events", R"({"events": [
      {"request_id": 1, "user": 12, "item": 17, "position": 1, "engaged": {"click": 1}},
      {"request_id": 1, "user": 12, "item": 18, "position": 2, "policy": "model"}]})");
  ASSERT_EQ(events->status, 200) << events->body;
  EXPECT_EQ(body_of(events)["accepted"], 2);
  EXPECT_EQ(body_of(events)["log_rows"], 2);
  EXPECT_EQ(body_of(events)["bundle_version"], "v1");
  ASSERT_EQ(fake_.stored_events().size(), 2u);
  EXPECT_EQ(fake_.stored_events()[1].policy, "model");

  auto item = client().Get("/v1/items/17");
  ASSERT_EQ(item->status, 200);
  EXPECT_EQ(body_of(item)["attributes"]["category"], "3");
  EXPECT_EQ(body_of(item)["bundle_version"], "v1");
  auto missing = client().Get("/v1/items/18");
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(body_of(missing)["error"]["code"], "not_found");
  auto bad = client().Get("/v1/items/abc");
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(error_field(bad), "id");
  auto huge = client().Get("/v1/items/18446744073709551616");
  EXPECT_EQ(huge->status, 400);
}

TEST_F(HttpServerTest, NotFoundMethodAndWebPage) {
  start();
  auto page = client().Get("/");
  ASSERT_EQ(page->status, 200);
  EXPECT_EQ(page->body, "<html>reco</html>");
  EXPECT_EQ(page->get_header_value("Content-Type"), "text/html; charset=utf-8");
  auto nothing = client().Get("/nothing.js");
  EXPECT_EQ(nothing->status, 404);
  EXPECT_EQ(body_of(nothing)["error"]["code"], "not_found");
  auto unknown = post("/v1/unknown", "{}");
  EXPECT_EQ(unknown->status, 404);
  EXPECT_EQ(body_of(unknown)["error"]["code"], "not_found");
  auto wrong_method = client().Get("/v1/recommend");
  EXPECT_EQ(wrong_method->status, 405);
  auto del = client().Delete("/v1/events");
  EXPECT_EQ(del->status, 405);
}

TEST_F(HttpServerTest, NoAssetsMeansNoPage) {
  ServerOptions options;
  options.assets = [](std::string_view) -> const WebAsset* { return nullptr; };
  start(options);
  auto page = client().Get("/");
  EXPECT_EQ(page->status, 404);
  EXPECT_NO_THROW(body_of(page));
}

TEST_F(HttpServerTest, BodyLimit) {
  ServerOptions options;
  options.max_body_bytes = 1000;
  start(options);
  std::string big = R"({"user": 1, "context": {"x": ")" + std::string(2000, 'a') + "\"}}";
  auto r = post("/v1/recommend", big);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(body_of(r)["error"]["code"], "payload_too_large");
  // Chunked upload past the limit (no Content-Length up front).
  auto c = client();
  size_t sent = 0;
  auto chunked = c.Post(
      "/v1/events",
      [&](size_t, httplib::DataSink& sink) {
        if (sent >= 3000) {
          sink.done();
          return true;
        }
        std::string part(500, ' ');
        sent += part.size();
        return sink.write(part.data(), part.size());
      },
      "application/json");
  if (chunked) {  // the server may close before the client is done
    EXPECT_EQ(chunked->status, 413);
  }
  // Just under the limit is served.
  auto ok = post("/v1/recommend", R"({"user": 1})" + std::string(900, ' '));
  EXPECT_EQ(ok->status, 200);
}

TEST_F(HttpServerTest, Admin) {
  {
    start();  // no token: admin disabled
    auto r = post("/v1/admin/reload", "{}");
    EXPECT_EQ(r->status, 403);
    EXPECT_NE(body_of(r)["error"]["message"].get<std::string>().find("--admin-token-file"), std::string::npos);
    server_->stop();
  }
  ServerOptions options;
  options.admin_token = "s3cret";
  start(options);
  EXPECT_EQ(post("/v1/admin/reload", "{}")->status, 401);
  EXPECT_EQ(post("/v1/admin/reload", "{}", {{"Authorization", "Bearer s3cre"}})->status, 401);
  EXPECT_EQ(post("/v1/admin/reload", "{}", {{"Authorization", "Bearer s3cret!"}})->status, 401);
  EXPECT_EQ(post("/v1/admin/weights", R"({"weights": {"click": 3}})", {{"Authorization", "s3cret"}})->status, 401);
  const httplib::Headers auth = {{"Authorization", "Bearer s3cret"}};
  auto reload = post("/v1/admin/reload", R"({"bundle": "/b2"})", auth);
  ASSERT_EQ(reload->status, 200) << reload->body;
  EXPECT_EQ(body_of(reload)["previous_version"], "v1");
  EXPECT_EQ(body_of(reload)["version"], "v1+");
  EXPECT_EQ(reload->get_header_value("X-Reco-Bundle-Version"), "v1+");
  EXPECT_EQ(fake_.last_reload(), "/b2");
  auto empty = post("/v1/admin/reload", "", auth);
  EXPECT_EQ(empty->status, 200);
  EXPECT_EQ(fake_.last_reload(), "");
  EXPECT_EQ(post("/v1/admin/reload", R"({"bundle": "/missing"})", auth)->status, 404);
  auto weights = post("/v1/admin/weights", R"({"weights": {"click": 3}})", auth);
  ASSERT_EQ(weights->status, 200) << weights->body;
  EXPECT_EQ(body_of(weights)["weights"]["click"], 3.0);
  EXPECT_EQ(body_of(weights)["weights"]["save"], 4.0);
  auto bad = post("/v1/admin/weights", R"({"weights": {"like": 3}})", auth);
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(error_field(bad), "weights.like");
}

// max_inflight connections admitted -> the next one is answered 503 at once.
TEST_F(HttpServerTest, OverloadAnswers503) {
  ServerOptions options;
  options.threads = 2;
  options.max_inflight = 2;
  start(options);
  fake_.block();
  auto first = std::async(std::launch::async, [&] { return post("/v1/recommend", R"({"user": 1})"); });
  auto second = std::async(std::launch::async, [&] { return post("/v1/recommend", R"({"user": 2})"); });
  fake_.wait_entered(2);  // both connections admitted and inside the Service
  auto rejected = post("/v1/recommend", R"({"user": 3})");
  ASSERT_TRUE(rejected);
  EXPECT_EQ(rejected->status, 503);
  EXPECT_EQ(body_of(rejected)["error"]["code"], "resource_exhausted");
  auto health = client().Get("/healthz");  // every route is refused while full
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 503);
  fake_.unblock();
  EXPECT_EQ(first.get()->status, 200);
  EXPECT_EQ(second.get()->status, 200);
  EXPECT_EQ(server_->metrics().rejected(), 2u);
  EXPECT_EQ(client().Get("/healthz")->status, 200);
}

// With one compute permit, a second request waits for it (admitted, not rejected), and a
// third connection is over max_inflight.
TEST_F(HttpServerTest, AdmittedRequestsWaitForAPermit) {
  ServerOptions options;
  options.threads = 1;
  options.max_inflight = 2;
  start(options);
  fake_.block();
  auto first = std::async(std::launch::async, [&] { return post("/v1/recommend", R"({"user": 1})"); });
  fake_.wait_entered(1);
  auto second = std::async(std::launch::async, [&] { return post("/v1/recommend", R"({"user": 2})"); });
  // Wait (on a condition, not a clock) until the second connection is admitted.
  while (server_->metrics().connections() < 2) std::this_thread::yield();
  EXPECT_EQ(post("/v1/recommend", R"({"user": 3})")->status, 503);
  fake_.unblock();
  EXPECT_EQ(first.get()->status, 200);
  EXPECT_EQ(second.get()->status, 200);
}

TEST_F(HttpServerTest, MetricsAndStatsCount) {
  start();
  for (int i = 0; i < 3; ++i) ASSERT_EQ(post("/v1/recommend", R"({"user": 1})")->status, 200);
  ASSERT_EQ(post("/v1/recommend", R"({"user": -1})")->status, 400);
  ASSERT_EQ(client().Get("/nope")->status, 404);
  auto m = client().Get("/metrics");
  ASSERT_EQ(m->status, 200);
  EXPECT_EQ(m->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  const std::string& text = m->body;
  auto has = [&](const std::string& line) { return text.find("\n" + line + "\n") != std::string::npos; };
  EXPECT_TRUE(has(R"(reco_http_requests_total{endpoint="recommend",code="200"} 3)")) << text;
  EXPECT_TRUE(has(R"(reco_http_requests_total{endpoint="recommend",code="400"} 1)")) << text;
  EXPECT_TRUE(has(R"(reco_http_requests_total{endpoint="other",code="404"} 1)")) << text;
  EXPECT_TRUE(has(R"(reco_http_request_duration_seconds_count{endpoint="recommend"} 4)")) << text;
  EXPECT_TRUE(has(R"(reco_stage_duration_seconds_count{stage="rank"} 3)")) << text;
  EXPECT_TRUE(has(R"(reco_stage_duration_seconds_bucket{stage="rank",le="0.001"} 0)")) << text;
  EXPECT_TRUE(has(R"(reco_stage_duration_seconds_bucket{stage="rank",le="0.0025"} 3)")) << text;
  EXPECT_TRUE(has(R"(reco_bundle_info{version="v1"} 1)")) << text;
  EXPECT_TRUE(has("reco_http_requests_in_flight 1")) << text;  // the /metrics request itself
  auto stats = client().Get("/v1/stats");
  ASSERT_EQ(stats->status, 200);
  json s = body_of(stats);
  EXPECT_EQ(s["bundle_version"], "v1");
  EXPECT_EQ(s["endpoints"]["recommend"]["count"], 4);
  EXPECT_EQ(s["endpoints"]["recommend"]["errors"], 1);
  EXPECT_EQ(s["endpoints"]["metrics"]["count"], 1);
  EXPECT_EQ(s["stages"]["rank"]["count"], 3);
  EXPECT_GT(s["stages"]["rank"]["p50_ms"].get<double>(), 1.0);
  EXPECT_LE(s["stages"]["rank"]["p50_ms"].get<double>(), 2.5);
}

TEST_F(HttpServerTest, KeepAliveConnectionServesManyRequests) {
  start();
  httplib::Client c("127.0.0.1", port_);
  c.set_keep_alive(true);
  c.set_tcp_nodelay(true);  // the client writes headers and body separately
  for (int i = 0; i < 20; ++i) {
    auto r = c.Post("/v1/recommend", R"({"user": 1})", "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
}

TEST_F(HttpServerTest, StartStopAndPortInUse) {
  start();
  ServerOptions options;
  options.port = port_;
  HttpServer other(fake_, options);
  EXPECT_THROW(other.start(), reco::Error);
  server_->stop();
  server_->stop();  // idempotent
  server_->wait();  // returns at once when stopped
  HttpServer never_started(fake_, ServerOptions{});
  never_started.stop();
}

}  // namespace
}  // namespace reco::serve
