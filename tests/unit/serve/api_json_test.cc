#include "reco/serve/api_json.h"

#include <string>

#include <gtest/gtest.h>

namespace reco::serve {
namespace {

using nlohmann::json;

// The field path of the ApiFieldError that `fn` throws ("<none>" when nothing is thrown).
template <typename F>
std::string field_of(F&& fn) {
  try {
    fn();
  } catch (const ApiFieldError& e) {
    EXPECT_EQ(e.message().rfind(e.field(), 0), 0u) << "message should start with the field: " << e.message();
    return e.field();
  }
  return "<none>";
}

std::string recommend_field(const std::string& body) {
  return field_of([&] { recommend_request_from_json(parse_json_body(body)); });
}
std::string events_field(const std::string& body) {
  return field_of([&] { events_from_json(parse_json_body(body)); });
}

TEST(ApiJson, RecommendFullRequest) {
  RecommendRequest r = recommend_request_from_json(parse_json_body(R"({
    "user": 12, "item": 18446744073709551615, "context": {"platform": "ios", "hour": 13}, "k": 5,
    "candidates": 1000, "weights": {"click": 2.5}, "quotas": {"pixie": 300},
    "filter": {"category": ["3", 7]}, "explain": true})"));
  ASSERT_TRUE(r.user.has_value());
  EXPECT_EQ(*r.user, 12u);
  EXPECT_EQ(*r.query_item, 18446744073709551615ull);
  EXPECT_EQ(r.context.at("platform"), "ios");
  EXPECT_EQ(r.context.at("hour"), "13");
  EXPECT_EQ(r.k, 5u);
  EXPECT_EQ(r.candidates, 1000u);
  EXPECT_DOUBLE_EQ(r.weights.at("click"), 2.5);
  EXPECT_EQ(r.quotas.at("pixie"), 300u);
  EXPECT_EQ(r.filter.at("category"), (std::vector<std::string>{"3", "7"}));
  EXPECT_TRUE(r.explain);
}

TEST(ApiJson, RecommendDefaults) {
  RecommendRequest r = recommend_request_from_json(parse_json_body(R"({"item": 3, "user": null})"));
  EXPECT_FALSE(r.user.has_value());
  EXPECT_EQ(*r.query_item, 3u);
  EXPECT_EQ(r.k, 10u);
  EXPECT_EQ(r.candidates, 0u);
  EXPECT_FALSE(r.explain);
}

TEST(ApiJson, RecommendErrorsNameTheField) {
  EXPECT_EQ(recommend_field(R"({})"), "user");
  EXPECT_EQ(recommend_field(R"({"user": -1})"), "user");
  EXPECT_EQ(recommend_field(R"({"user": 1.5})"), "user");
  EXPECT_EQ(recommend_field(R"({"user": "12"})"), "user");
  EXPECT_EQ(recommend_field(R"({"user": 18446744073709551616})"), "user");
  EXPECT_EQ(recommend_field(R"({"user": 99999999999999999999999})"), "user");
  EXPECT_EQ(recommend_field(R"({"user": 1, "k": 0})"), "k");
  EXPECT_EQ(recommend_field(R"({"user": 1, "k": 1001})"), "k");
  EXPECT_EQ(recommend_field(R"({"user": 1, "k": "10"})"), "k");
  EXPECT_EQ(recommend_field(R"({"user": 1, "candidates": 10001})"), "candidates");
  EXPECT_EQ(recommend_field(R"({"user": 1, "weights": {"click": "x"}})"), "weights.click");
  EXPECT_EQ(recommend_field(R"({"user": 1, "weights": [1]})"), "weights");
  EXPECT_EQ(recommend_field(R"({"user": 1, "quotas": {"pixie": 10001}})"), "quotas.pixie");
  EXPECT_EQ(recommend_field(R"({"user": 1, "filter": {"category": "3"}})"), "filter.category");
  EXPECT_EQ(recommend_field(R"({"user": 1, "filter": {"category": ["3", true]}})"), "filter.category[1]");
  EXPECT_EQ(recommend_field(R"({"user": 1, "context": {"platform": 1.5}})"), "context.platform");
  EXPECT_EQ(recommend_field(R"({"user": 1, "explain": 1})"), "explain");
  EXPECT_EQ(recommend_field(R"({"user": 1, "usr": 2})"), "usr");
}

TEST(ApiJson, UnknownKeysAreAllNamed) {
  try {
    recommend_request_from_json(parse_json_body(R"({"user": 1, "zeta": 1, "alpha": 2})"));
    FAIL() << "expected an error";
  } catch (const ApiFieldError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(e.field(), "alpha");
    EXPECT_NE(e.message().find("\"zeta\""), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("\"alpha\""), std::string::npos) << e.message();
  }
}

TEST(ApiJson, BodyLevelErrors) {
  auto parse_code = [](const std::string& body) {
    try {
      parse_json_body(body);
    } catch (const ApiFieldError& e) {
      EXPECT_EQ(e.field(), "");
      return e.code();
    }
    return ErrorCode::kInternal;
  };
  EXPECT_EQ(parse_code(""), ErrorCode::kInvalidArgument);
  EXPECT_EQ(parse_code("[1]"), ErrorCode::kInvalidArgument);
  EXPECT_EQ(parse_code("{\"user\": 1"), ErrorCode::kParse);
  EXPECT_EQ(parse_code("{\"user\": 1e400}"), ErrorCode::kParse);
  EXPECT_EQ(parse_code("{\"s\": \"a\xff\"}"), ErrorCode::kParse);
  EXPECT_EQ(parse_code(std::string("{\"s\": \"a\0\"}", 10)), ErrorCode::kParse);
  EXPECT_EQ(parse_code(std::string(1000000, '[')), ErrorCode::kInvalidArgument);
  // 64 levels are fine, 65 are not; brackets inside strings do not count.
  std::string ok = "{\"a\":" + std::string(63, '[') + std::string(63, ']') + ",\"s\":\"[[[[\\\"[[\"}";
  EXPECT_NO_THROW(parse_json_body(ok));
  std::string deep = "{\"a\":" + std::string(64, '[') + std::string(64, ']') + "}";
  EXPECT_EQ(parse_code(deep), ErrorCode::kInvalidArgument);
}

TEST(ApiJson, ScoreRequest) {
  ScoreRequest r = score_request_from_json(parse_json_body(R"({"user": 4, "items": [17, 18]})"));
  EXPECT_EQ(r.items, (std::vector<uint64_t>{17, 18}));
  EXPECT_EQ(field_of([] { score_request_from_json(parse_json_body(R"({"user": 4})")); }), "items");
  EXPECT_EQ(field_of([] { score_request_from_json(parse_json_body(R"({"items": []})")); }), "items");
  EXPECT_EQ(field_of([] { score_request_from_json(parse_json_body(R"({"items": [1, -2]})")); }), "items[1]");
  json many = {{"items", std::vector<uint64_t>(10001, 1)}};
  EXPECT_EQ(field_of([&] { score_request_from_json(many); }), "items");
}

TEST(ApiJson, Events) {
  std::vector<EventIn> events = events_from_json(parse_json_body(R"({"events": [
    {"request_id": 1, "timestamp": 1700000000, "user": 12, "query_item": null, "item": 17, "position": 1,
     "platform": "ios", "locale": "en", "policy": "model", "engaged": {"click": 1, "save": false}, "dwell": 2.5},
    {"request_id": 2, "user": 0, "query_item": 5, "item": 18, "position": 3}]})"));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].request_id, 1u);
  EXPECT_EQ(events[0].timestamp, 1700000000);
  EXPECT_FALSE(events[0].query_item.has_value());
  EXPECT_EQ(events[0].platform, "ios");
  EXPECT_EQ(events[0].engaged.at("click"), 1.0);
  EXPECT_EQ(events[0].engaged.at("save"), 0.0);
  EXPECT_DOUBLE_EQ(events[0].dwell, 2.5);
  EXPECT_EQ(events[1].timestamp, 0);
  EXPECT_EQ(*events[1].query_item, 5u);
  EXPECT_EQ(events[1].position, 3u);

  const std::string ok = R"("request_id": 1, "user": 1, "item": 2, "position": 1)";
  EXPECT_EQ(events_field(R"({"events": []})"), "events");
  EXPECT_EQ(events_field(R"({"events": {}})"), "events");
  EXPECT_EQ(events_field(R"({"evnts": []})"), "evnts");
  EXPECT_EQ(events_field("{\"events\": [{" + ok + "}, 3]}"), "events[1]");
  EXPECT_EQ(events_field("{\"events\": [{" + ok + "}, {" + ok + ", \"position\": -2}]}"), "events[1].position");
  EXPECT_EQ(events_field(R"({"events": [{"request_id": 0, "user": 1, "item": 2, "position": 1}]})"),
            "events[0].request_id");
  EXPECT_EQ(events_field(R"({"events": [{"request_id": 1, "item": 2, "position": 1}]})"), "events[0].user");
  EXPECT_EQ(events_field(R"({"events": [{"request_id": 1, "user": 1, "item": 2}]})"), "events[0].position");
  EXPECT_EQ(events_field("{\"events\": [{" + ok + ", \"position\": 4294967296}]}"), "events[0].position");
  EXPECT_EQ(events_field("{\"events\": [{" + ok + ", \"engaged\": {\"click\": 2}}]}"), "events[0].engaged.click");
  EXPECT_EQ(events_field("{\"events\": [{" + ok + ", \"dwell\": -1}]}"), "events[0].dwell");
  EXPECT_EQ(events_field("{\"events\": [{" + ok + ", \"timestamp\": -1}]}"), "events[0].timestamp");
  EXPECT_EQ(events_field("{\"events\": [{" + ok + ", \"platform\": 3}]}"), "events[0].platform");
  EXPECT_EQ(events_field("{\"events\": [{" + ok + ", \"alpha\": 1}]}"), "events[0].alpha");
  try {
    events_from_json(parse_json_body("{\"events\": [{" + ok + "}, {" + ok + ", \"position\": -2}]}"));
  } catch (const ApiFieldError& e) {
    EXPECT_EQ(e.message(), "events[1].position: expected an integer in 1..4294967295, got -2");
  }
}

TEST(ApiJson, Admin) {
  EXPECT_EQ(reload_path_from_json(parse_json_body(R"({"bundle": "/b"})")), "/b");
  EXPECT_EQ(reload_path_from_json(parse_json_body(R"({})")), "");
  EXPECT_EQ(field_of([] { reload_path_from_json(parse_json_body(R"({"bundle": 1})")); }), "bundle");
  EXPECT_EQ(admin_weights_from_json(parse_json_body(R"({"weights": {"click": 3}})")).at("click"), 3.0);
  EXPECT_EQ(field_of([] { admin_weights_from_json(parse_json_body(R"({"weights": {}})")); }), "weights");
}

TEST(ApiJson, ResponseToJson) {
  Response r;
  r.bundle_version = "v7";
  r.heads = {"click", "save"};
  r.weights = {1, 4};
  ScoredItem s;
  s.item = 17;
  s.utility = 0.3;
  s.heads = {0.1, 0.05};
  s.sources = {"pixie"};
  s.features = {{"f", 2}};
  r.items = {s, s};
  r.items[1].item = 18;
  r.stage_ms = {{"total", 1.5}};
  r.notes = {"n"};
  r.explain = {{"x", 1}};
  json j = response_to_json(r, false);
  EXPECT_EQ(j["bundle_version"], "v7");
  EXPECT_EQ(j["items"][1]["rank"], 2);
  EXPECT_EQ(j["items"][1]["item"], 18);
  EXPECT_DOUBLE_EQ(j["items"][0]["p"]["save"].get<double>(), 0.05);
  EXPECT_FALSE(j["items"][0].contains("features"));
  EXPECT_FALSE(j.contains("explain"));
  EXPECT_DOUBLE_EQ(j["stage_ms"]["total"].get<double>(), 1.5);
  json e = response_to_json(r, true);
  EXPECT_EQ(e["items"][0]["features"]["f"], 2);
  EXPECT_EQ(e["explain"]["x"], 1);
}

TEST(ApiJson, DumpNeverThrowsOnInvalidUtf8) {
  json body = error_body("parse", std::string("bad \xff\xfe bytes"), "");
  std::string text;
  ASSERT_NO_THROW(text = dump_json(body));
  EXPECT_NO_THROW(json::parse(text));
}

TEST(ApiJson, FieldFromMessage) {
  EXPECT_EQ(field_from_message("events[3].item: unknown item"), "events[3].item");
  EXPECT_EQ(field_from_message("weights.click: unknown head"), "weights.click");
  EXPECT_EQ(field_from_message("unknown head 'x' in weights"), "");
  EXPECT_EQ(field_from_message("check failed: a > b: x"), "");
  EXPECT_EQ(field_from_message("check failed: a == \"b\": weights.x: unknown head"), "weights.x");
  EXPECT_EQ(field_from_message("unknown: weights.x: y"), "unknown");
  EXPECT_EQ(field_from_message("12: x"), "");
}

}  // namespace
}  // namespace reco::serve
