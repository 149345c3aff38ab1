// api_json — the JSON edge of `reco serve`: request bodies -> service.h structs, and
// service.h results -> response bodies (shapes in docs/api.md).
//
// Validation is strict so a client's mistake is a 400 naming the field rather than a
// silently ignored value: unknown keys, wrong types, out-of-range numbers, non-integral or
// negative ids, ids past 2^64-1 and numbers past the double range are all rejected. Every
// rejection throws ApiFieldError (a reco::Error with code kInvalidArgument, or kParse for a
// body that is not JSON) whose message starts with the field path, e.g.
//   "events[3].position: expected an integer >= 1, got -2"
// and whose field() is that path ("" for the body as a whole); the HTTP server copies it
// into the error body's "field".
//
// parse_json_body() bounds the nesting depth (kMaxJsonDepth) with a linear scan before
// nlohmann parses anything, so a body of a million '[' neither recurses nor builds a huge
// tree. Invalid UTF-8 is rejected by nlohmann's lexer (a kParse error).
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "reco/core/error.h"
#include "reco/serve/service.h"

namespace reco::serve {

/// Deepest nesting of arrays/objects accepted in a request body.
inline constexpr size_t kMaxJsonDepth = 64;

/// A reco::Error that also carries the JSON path of the offending field.
class ApiFieldError : public reco::Error {
 public:
  ApiFieldError(ErrorCode code, std::string field, const std::string& what, const char* file,
                int line);
  const std::string& field() const noexcept { return field_; }

 private:
  std::string field_;
};

/// Parses a request body: depth <= kMaxJsonDepth, valid UTF-8, valid JSON, a top-level
/// object. Throws ApiFieldError (kParse for malformed JSON, kInvalidArgument otherwise).
nlohmann::json parse_json_body(std::string_view body);

/// POST /v1/recommend. Requires at least one of "user" / "item".
RecommendRequest recommend_request_from_json(const nlohmann::json& body);
/// POST /v1/score. Requires "items" (1..10000 ids).
ScoreRequest score_request_from_json(const nlohmann::json& body);
/// POST /v1/events: {"events": [...]} with 1..10000 events.
std::vector<EventIn> events_from_json(const nlohmann::json& body);
/// POST /v1/admin/reload: {"bundle": "/path"} or {} ("" = the path the server started with).
std::string reload_path_from_json(const nlohmann::json& body);
/// POST /v1/admin/weights: {"weights": {"click": 3}} (at least one head).
std::map<std::string, double> admin_weights_from_json(const nlohmann::json& body);

/// Response of /v1/recommend and /v1/score. `explain` adds per-item "features" and the
/// response's "explain" object.
nlohmann::json response_to_json(const Response& response, bool explain);
nlohmann::json events_ack_to_json(const EventsAck& ack, const std::string& bundle_version);
nlohmann::json reload_result_to_json(const ReloadResult& result);

/// The error body {"error": {"code", "message", "field"?}}; "field" only when non-empty.
nlohmann::json error_body(std::string_view code, std::string_view message, std::string_view field);

/// Serializes JSON for the wire; invalid UTF-8 inside strings (e.g. a message echoing
/// client bytes) is replaced by U+FFFD instead of throwing.
std::string dump_json(const nlohmann::json& value);

/// The field path a Service error message starts with ("events[3].item: unknown item" ->
/// "events[3].item"), or "" when the message does not start with "<path>: ".
std::string field_from_message(std::string_view message);

}  // namespace reco::serve
