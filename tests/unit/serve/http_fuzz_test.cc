// Fuzz-style robustness: thousands of malformed bodies (truncated JSON, wrong types, huge
// numbers, negative ids, deep nesting, invalid UTF-8, NUL bytes, random bytes from a fixed
// seed) against every POST route, plus raw garbage on the socket. Every answer must be a
// 4xx with a JSON error body; the server must stay up and never answer 5xx.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <httplib.h>

#include "fake_service.h"
#include "reco/serve/api_json.h"
#include "reco/serve/http_server.h"

namespace reco::serve {
namespace {

using nlohmann::json;

struct Route {
  std::string path;
  json valid;
  // Per key: values that are wrong for it.
  std::vector<std::pair<std::string, std::vector<std::string>>> bad;
};

const std::vector<std::string> kBadIds = {"-1", "1.5", "\"12\"", "[]", "{}", "true", "1e400",
                                          "99999999999999999999999", "18446744073709551616", "-0.5"};

std::vector<Route> routes() {
  return {
      {"/v1/recommend",
       json::parse(R"({"user": 12, "item": 3, "context": {"platform": "ios"}, "k": 10, "candidates": 100,
                       "weights": {"click": 2}, "quotas": {"pixie": 30}, "filter": {"category": ["3"]},
                       "explain": false})"),
       {{"user", kBadIds},
        {"item", kBadIds},
        {"k", {"0", "1001", "-5", "2.5", "\"10\"", "1e400", "99999999999999999999999"}},
        {"candidates", {"-1", "10001", "null1", "[1]"}},
        {"context", {"[]", "3", "{\"a\": [1]}", "{\"a\": {}}", "{\"a\": 1.5}"}},
        {"weights", {"[]", "{\"click\": \"x\"}", "{\"click\": 1e400}", "{\"click\": null}", "7"}},
        {"quotas", {"{\"pixie\": -1}", "{\"pixie\": 10001}", "{\"pixie\": 0.5}", "[]"}},
        {"filter", {"{\"category\": \"3\"}", "{\"category\": [null]}", "{\"category\": [[1]]}", "1"}},
        {"explain", {"1", "\"yes\"", "[]"}}}},
      {"/v1/score",
       json::parse(R"({"user": 12, "items": [1, 2, 3], "context": {"locale": "en"}, "weights": {"save": 1}})"),
       {{"user", kBadIds},
        {"items", {"[]", "[-1]", "[1.5]", "[\"1\"]", "7", "{}", "[99999999999999999999999]", "[1e400]"}},
        {"weights", {"[]", "{\"save\": \"x\"}"}},
        {"explain", {"0", "\"false\""}}}},
      {"/v1/events",
       json::parse(R"({"events": [{"request_id": 1, "timestamp": 1700000000, "user": 12, "query_item": null,
                       "item": 17, "position": 1, "platform": "ios", "locale": "en", "policy": "model",
                       "engaged": {"click": 1}, "dwell": 0}]})"),
       {{"events", {"[]", "{}", "[1]", "[null]", "[{\"request_id\": 1}]", "[{\"request_id\": -1, \"user\": 1, "
                    "\"item\": 1, \"position\": 1}]", "[{\"request_id\": 1, \"user\": 1, \"item\": 1, "
                    "\"position\": 99999999999999999999999}]", "[{\"request_id\": 1, \"user\": 1.5, "
                    "\"item\": 1, \"position\": 1}]", "[{\"request_id\": 1, \"user\": 1, \"item\": 1, "
                    "\"position\": 1, \"engaged\": {\"click\": 7}}]", "[{\"request_id\": 1, \"user\": 1, "
                    "\"item\": 1, \"position\": 1, \"dwell\": 1e400}]"}}}},
      {"/v1/admin/reload", json::parse(R"({"bundle": "/tmp/b"})"),
       {{"bundle", {"1", "[]", "{}", "true", "1e400"}}}},
      {"/v1/admin/weights", json::parse(R"({"weights": {"click": 3}})"),
       {{"weights", {"{}", "[]", "{\"click\": \"3\"}", "{\"click\": 1e400}", "{\"click\": [1]}", "3"}}}},
  };
}

// Replaces the value of top-level `key` in `valid` (dumped) with raw text `value`.
std::string with_raw_value(const json& valid, const std::string& key, const std::string& value) {
  json copy = valid;
  copy[key] = "@@RAW@@";
  std::string text = copy.dump();
  return text.replace(text.find("\"@@RAW@@\""), 9, value);
}

class Generator {
 public:
  explicit Generator(uint64_t seed) : rng_(seed) {}

  std::string next(const Route& route) {
    const std::string valid = route.valid.dump();
    switch (pick(9)) {
      case 0: {  // truncated
        return valid.substr(0, 1 + pick(valid.size() - 1));
      }
      case 1: {  // wrong type / out of range for one key
        const auto& [key, values] = route.bad[pick(route.bad.size())];
        return with_raw_value(route.valid, key, values[pick(values.size())]);
      }
      case 2: {  // an unknown key
        json copy = route.valid;
        copy["unknown_" + std::to_string(pick(100))] = 1;
        return copy.dump();
      }
      case 3: {  // deep nesting under a real key
        const std::string& key = route.bad[pick(route.bad.size())].first;
        size_t depth = pick(4) == 0 ? 100000 : 65 + pick(1000);
        return with_raw_value(route.valid, key, std::string(depth, '[') + std::string(depth, ']'));
      }
      case 4: {  // invalid UTF-8 bytes inside a string or anywhere
        std::string text = valid;
        size_t at = text.find('"', pick(text.size()));
        if (at == std::string::npos) at = pick(text.size());
        static const char* kBad[] = {"\xff", "\xc0\xaf", "\xed\xa0\x80", "\x80", "\xe2\x82", "\xf8\x88\x80\x80\x80"};
        return text.insert(at + 1, kBad[pick(6)]);
      }
      case 5: {  // NUL bytes
        std::string text = valid;
        return text.insert(pick(text.size()), std::string(1 + pick(3), '\0'));
      }
      case 6: {  // random bytes, never starting like an object
        std::string text(pick(300), '\0');
        for (char& c : text) c = static_cast<char>(pick(256));
        if (!text.empty() && (text[0] == '{' || text[0] == ' ')) text[0] = '#';
        return text;
      }
      case 7: {  // one random byte flipped in the valid body, then cut short
        std::string text = valid;
        text[pick(text.size())] = static_cast<char>(pick(256));
        return text.substr(0, text.size() - 1 - pick(3));
      }
      default: {  // not an object at the top level
        static const char* kNotObjects[] = {"[]", "null", "1", "\"x\"", "true", "[{}]", "", "   ", "1e400"};
        return kNotObjects[pick(9)];
      }
    }
  }

 private:
  size_t pick(size_t n) { return n == 0 ? 0 : std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  std::mt19937_64 rng_;
};

bool route_accepts(const std::string& path, const std::string& body) {
  // An empty reload body means "re-read the bundle the server started with".
  if (path == "/v1/admin/reload" && body.find_first_not_of(" \t\r\n") == std::string::npos) return true;
  try {
    json j = parse_json_body(body);
    if (path == "/v1/recommend") recommend_request_from_json(j);
    else if (path == "/v1/score") score_request_from_json(j);
    else if (path == "/v1/events") events_from_json(j);
    else if (path == "/v1/admin/reload") reload_path_from_json(j);
    else admin_weights_from_json(j);
    return true;
  } catch (const reco::Error&) {
    return false;
  }
}

class HttpFuzzTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.port = 0;
    options.admin_token = "t";
    options.read_timeout_s = 2;
    server_ = std::make_unique<HttpServer>(fake_, options);
    port_ = server_->start();
  }
  void TearDown() override { server_->stop(); }

  void expect_4xx(const httplib::Result& r, const std::string& what) {
    ASSERT_TRUE(r) << "no response for " << what << ": " << httplib::to_string(r.error());
    EXPECT_GE(r->status, 400) << what << " -> " << r->body;
    EXPECT_LT(r->status, 500) << what << " -> " << r->body;
    json j;
    EXPECT_NO_THROW(j = json::parse(r->body)) << r->body;
    EXPECT_TRUE(j.contains("error")) << r->body;
  }

  testing::FakeService fake_;
  std::unique_ptr<HttpServer> server_;
  int port_ = 0;
};

TEST_F(HttpFuzzTest, MalformedBodiesAreAll4xx) {
  Generator gen(20240901);
  const httplib::Headers auth = {{"Authorization", "Bearer t"}};
  size_t sent = 0;
  for (const Route& route : routes()) {
    for (int i = 0; i < 600; ++i) {
      std::string body = gen.next(route);
      if (route_accepts(route.path, body)) continue;  // a mutation that happens to be valid
      httplib::Client c("127.0.0.1", port_);
      auto r = c.Post(route.path.c_str(), auth, body, "application/json");
      expect_4xx(r, route.path + " body " + json(body).dump(-1, ' ', true, json::error_handler_t::replace).substr(0, 200));
      ++sent;
      if (HasFatalFailure()) return;
    }
    // A million '[' (just under the 1 MiB limit) and a body over the limit.
    httplib::Client c("127.0.0.1", port_);
    expect_4xx(c.Post(route.path.c_str(), auth, std::string(1000000, '['), "application/json"), "1e6 deep");
    expect_4xx(c.Post(route.path.c_str(), auth, std::string(2 << 20, '1'), "application/json"), "2 MiB");
    // Content types and encodings the server does not take.
    expect_4xx(c.Post(route.path.c_str(), auth, "--b\r\n\r\nx\r\n--b--\r\n", "multipart/form-data; boundary=b"),
               "multipart");
    httplib::Headers gz = auth;
    gz.emplace("Content-Encoding", "gzip");
    expect_4xx(c.Post(route.path.c_str(), gz, "not gzip at all", "application/json"), "bad gzip");
    httplib::Headers weird = auth;
    weird.emplace("Content-Encoding", "zstd-or-whatever");
    expect_4xx(c.Post(route.path.c_str(), weird, "{}", "application/json"), "unknown encoding");
  }
  EXPECT_GT(sent, 2000u);
  EXPECT_TRUE(fake_.stored_events().empty());
}

// Raw bytes on the socket: a malformed request line or headers gets a 4xx (or the
// connection closed), and the server keeps serving.
TEST_F(HttpFuzzTest, RawGarbageOnTheSocket) {
  std::mt19937_64 rng(7);
  std::vector<std::string> inputs = {
      "GARBAGE\r\n\r\n",
      "POST /v1/recommend HTTP/1.1\r\nContent-Length: -5\r\n\r\n{}",
      "POST /v1/recommend HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n{}",
      "POST /v1/recommend HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
      "POST /v1/recommend HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n{}\r\n",
      "GET /v1/items/" + std::string(5000, '9') + " HTTP/1.1\r\n\r\n",
      "GET /" + std::string(20000, 'a') + " HTTP/1.1\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nRange: bytes=5-1\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nRange: bytes=99999999999999999999-\r\n\r\n",
      "GET /%ff%fe%00 HTTP/1.1\r\n\r\n",
  };
  for (int i = 0; i < 200; ++i) {
    std::string s(1 + rng() % 200, '\0');
    for (char& c : s) c = static_cast<char>(rng() % 256);
    // Always end with an empty line so the server has a complete head to judge.
    inputs.push_back(i % 2 ? s + "\r\n\r\n" : "POST /v1/events HTTP/1.1\r\n" + s + "\r\n\r\n");
  }
  size_t answered = 0;
  for (const std::string& input : inputs) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port_));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    timeval tv{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    (void)!::send(fd, input.data(), input.size(), MSG_NOSIGNAL);
    // Read one response (headers + Content-Length body); no half-close: httplib does not
    // answer a peer that has already shut down its side.
    std::string reply;
    char buf[4096];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) {
      reply.append(buf, static_cast<size_t>(n));
      size_t end = reply.find("\r\n\r\n");
      if (end == std::string::npos) continue;
      size_t length = 0;
      if (size_t at = reply.find("Content-Length: "); at != std::string::npos && at < end) {
        length = std::strtoull(reply.c_str() + at + 16, nullptr, 10);
      }
      if (reply.size() >= end + 4 + length) break;
    }
    ::close(fd);
    if (reply.empty()) continue;  // closed without an answer: allowed for garbage
    ++answered;
    ASSERT_GE(reply.size(), 12u) << reply;
    EXPECT_EQ(reply.substr(0, 9), "HTTP/1.1 ") << reply.substr(0, 100);
    const int status = std::atoi(reply.substr(9, 3).c_str());
    // A well-formed GET /healthz with a bad Range may still be served (200/206/416).
    if (input.rfind("GET /healthz", 0) == 0) {
      EXPECT_LT(status, 500) << reply.substr(0, 200);
    } else {
      EXPECT_GE(status, 400) << json(input).dump(-1, ' ', true, json::error_handler_t::replace).substr(0, 100)
                             << " -> " << reply.substr(0, 200);
      EXPECT_LT(status, 500) << reply.substr(0, 200);
    }
  }
  EXPECT_GT(answered, inputs.size() / 2);  // garbage is mostly answered 400, not just dropped
  httplib::Client c("127.0.0.1", port_);
  auto health = c.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  // No 5xx anywhere in the metrics.
  auto metrics = c.Get("/metrics");
  EXPECT_EQ(metrics->body.find("code=\"5"), std::string::npos) << metrics->body;
}

}  // namespace
}  // namespace reco::serve
