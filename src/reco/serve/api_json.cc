#include "reco/serve/api_json.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <string>

namespace reco::serve {

using nlohmann::json;

ApiFieldError::ApiFieldError(ErrorCode code, std::string field, const std::string& what,
                             const char* file, int line)
    : reco::Error(code, field.empty() ? what : field + ": " + what, file, line),
      field_(std::move(field)) {}

#define RECO_API_FAIL(field, what) \
  throw ApiFieldError(ErrorCode::kInvalidArgument, (field), (what), __FILE__, __LINE__)

namespace {

// A short description of a value for error messages: scalars verbatim (cut at 40 bytes),
// containers by kind, so a message never grows with the body.
std::string describe(const json& v) {
  switch (v.type()) {
    case json::value_t::object: return "an object";
    case json::value_t::array: return "an array";
    case json::value_t::null: return "null";
    default: break;
  }
  std::string text = v.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return text;
}

std::string join_path(const std::string& parent, std::string_view key) {
  return parent.empty() ? std::string(key) : parent + "." + std::string(key);
}

std::string index_path(const std::string& parent, size_t i) {
  return parent + "[" + std::to_string(i) + "]";
}

void require_object(const json& v, const std::string& field) {
  if (!v.is_object()) RECO_API_FAIL(field, "expected an object, got " + describe(v));
}

// Rejects keys outside `allowed`, naming every unknown key (sorted: the object is a map).
void check_keys(const json& obj, const std::set<std::string_view>& allowed,
                const std::string& parent) {
  std::string unknown;
  std::string first;
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (allowed.count(it.key())) continue;
    if (first.empty()) first = it.key();
    if (!unknown.empty()) unknown += ", ";
    unknown += "\"" + it.key() + "\"";
    if (unknown.size() > 200) {
      unknown += ", ...";
      break;
    }
  }
  if (unknown.empty()) return;
  std::string expected;
  for (std::string_view k : allowed) expected += (expected.empty() ? "" : ", ") + std::string(k);
  RECO_API_FAIL(join_path(parent, first),
                "unknown key(s) " + unknown + " (accepted: " + expected + ")");
}

uint64_t get_u64(const json& v, const std::string& field, uint64_t lo, uint64_t hi) {
  auto range = [&] {
    return hi == std::numeric_limits<uint64_t>::max()
               ? "an integer >= " + std::to_string(lo)
               : "an integer in " + std::to_string(lo) + ".." + std::to_string(hi);
  };
  if (v.is_number_unsigned()) {
    uint64_t x = v.get<uint64_t>();
    if (x < lo || x > hi) RECO_API_FAIL(field, "expected " + range() + ", got " + describe(v));
    return x;
  }
  if (v.is_number_integer()) {  // negative (non-negative integers parse as unsigned)
    if (v.get<int64_t>() >= 0) {  // built programmatically, not parsed
      uint64_t x = static_cast<uint64_t>(v.get<int64_t>());
      if (x >= lo && x <= hi) return x;
    }
    RECO_API_FAIL(field, "expected " + range() + ", got " + describe(v));
  }
  if (v.is_number_float()) {
    RECO_API_FAIL(field, "expected " + range() + ", got " + describe(v) +
                             " (not an integer or past 2^64-1)");
  }
  RECO_API_FAIL(field, "expected " + range() + ", got " + describe(v));
}

uint64_t get_id(const json& v, const std::string& field) {
  if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<int64_t>() >= 0)) {
    RECO_API_FAIL(field, "expected an id (an integer in 0..18446744073709551615), got " +
                             describe(v));
  }
  return v.is_number_unsigned() ? v.get<uint64_t>() : static_cast<uint64_t>(v.get<int64_t>());
}

std::optional<uint64_t> get_optional_id(const json& obj, std::string_view key,
                                        const std::string& parent) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::nullopt;
  return get_id(*it, join_path(parent, key));
}

double get_finite(const json& v, const std::string& field) {
  if (!v.is_number()) RECO_API_FAIL(field, "expected a number, got " + describe(v));
  double x = v.get<double>();
  if (!std::isfinite(x)) RECO_API_FAIL(field, "expected a finite number, got " + describe(v));
  return x;
}

bool get_bool(const json& v, const std::string& field) {
  if (!v.is_boolean()) RECO_API_FAIL(field, "expected true or false, got " + describe(v));
  return v.get<bool>();
}

std::string get_string(const json& v, const std::string& field) {
  if (!v.is_string()) RECO_API_FAIL(field, "expected a string, got " + describe(v));
  return v.get<std::string>();
}

// A value given "as text": strings as they are, integers in decimal (categories are often
// numbered); anything else is a type error.
std::string get_text(const json& v, const std::string& field) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_unsigned()) return std::to_string(v.get<uint64_t>());
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  RECO_API_FAIL(field, "expected a string or an integer, got " + describe(v));
}

ContextMap get_context(const json& v, const std::string& field) {
  ContextMap out;
  if (v.is_null()) return out;
  require_object(v, field);
  for (auto it = v.begin(); it != v.end(); ++it) {
    out[it.key()] = get_text(it.value(), join_path(field, it.key()));
  }
  return out;
}

std::map<std::string, double> get_weights(const json& v, const std::string& field) {
  std::map<std::string, double> out;
  if (v.is_null()) return out;
  require_object(v, field);
  for (auto it = v.begin(); it != v.end(); ++it) {
    out[it.key()] = get_finite(it.value(), join_path(field, it.key()));
  }
  return out;
}

}  // namespace

nlohmann::json parse_json_body(std::string_view body) {
  // Depth scan first: linear, no recursion, and it stops at the first byte past the limit.
  size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) {
        RECO_API_FAIL(std::string(), "JSON nested deeper than " + std::to_string(kMaxJsonDepth) +
                                         " levels (at byte " + std::to_string(i) + ")");
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    RECO_API_FAIL(std::string(), "empty body: expected a JSON object");
  }
  json parsed;
  try {
    parsed = json::parse(body.begin(), body.end());
  } catch (const json::exception& e) {
    // nlohmann's text names the position and quotes the bytes it read (maybe invalid UTF-8:
    // dump_json replaces those when the error is written).
    std::string what = e.what();
    if (size_t p = what.find("] "); what.rfind("[json.exception", 0) == 0 && p != std::string::npos) {
      what = what.substr(p + 2);
    }
    throw ApiFieldError(ErrorCode::kParse, std::string(), "invalid JSON body: " + what, __FILE__,
                        __LINE__);
  }
  if (!parsed.is_object()) {
    RECO_API_FAIL(std::string(), "expected a JSON object at the top level, got " + describe(parsed));
  }
  return parsed;
}

RecommendRequest recommend_request_from_json(const json& body) {
  require_object(body, "");
  check_keys(body,
             {"user", "item", "context", "k", "candidates", "weights", "quotas", "filter",
              "explain"},
             "");
  RecommendRequest r;
  r.user = get_optional_id(body, "user", "");
  r.query_item = get_optional_id(body, "item", "");
  if (!r.user && !r.query_item) {
    RECO_API_FAIL("user", "give at least one of \"user\" and \"item\"");
  }
  if (auto it = body.find("context"); it != body.end()) r.context = get_context(*it, "context");
  if (auto it = body.find("k"); it != body.end() && !it->is_null()) r.k = get_u64(*it, "k", 1, 1000);
  if (auto it = body.find("candidates"); it != body.end() && !it->is_null()) {
    r.candidates = get_u64(*it, "candidates", 0, 10000);
  }
  if (auto it = body.find("weights"); it != body.end()) r.weights = get_weights(*it, "weights");
  if (auto it = body.find("quotas"); it != body.end() && !it->is_null()) {
    require_object(*it, "quotas");
    for (auto q = it->begin(); q != it->end(); ++q) {
      r.quotas[q.key()] = get_u64(q.value(), "quotas." + q.key(), 0, 10000);
    }
  }
  if (auto it = body.find("filter"); it != body.end() && !it->is_null()) {
    require_object(*it, "filter");
    for (auto f = it->begin(); f != it->end(); ++f) {
      std::string field = "filter." + f.key();
      if (!f->is_array()) {
        RECO_API_FAIL(field, "expected an array of values, got " + describe(f.value()));
      }
      std::vector<std::string>& values = r.filter[f.key()];
      for (size_t i = 0; i < f->size(); ++i) values.push_back(get_text((*f)[i], index_path(field, i)));
    }
  }
  if (auto it = body.find("explain"); it != body.end() && !it->is_null()) {
    r.explain = get_bool(*it, "explain");
  }
  return r;
}

ScoreRequest score_request_from_json(const json& body) {
  require_object(body, "");
  check_keys(body, {"user", "item", "context", "items", "weights", "explain"}, "");
  ScoreRequest r;
  r.user = get_optional_id(body, "user", "");
  r.query_item = get_optional_id(body, "item", "");
  if (auto it = body.find("context"); it != body.end()) r.context = get_context(*it, "context");
  auto items = body.find("items");
  if (items == body.end() || items->is_null()) RECO_API_FAIL("items", "required (1..10000 item ids)");
  if (!items->is_array()) RECO_API_FAIL("items", "expected an array of item ids, got " + describe(*items));
  if (items->empty() || items->size() > 10000) {
    RECO_API_FAIL("items", "expected 1..10000 item ids, got " + std::to_string(items->size()));
  }
  r.items.reserve(items->size());
  for (size_t i = 0; i < items->size(); ++i) r.items.push_back(get_id((*items)[i], index_path("items", i)));
  if (auto it = body.find("weights"); it != body.end()) r.weights = get_weights(*it, "weights");
  if (auto it = body.find("explain"); it != body.end() && !it->is_null()) {
    r.explain = get_bool(*it, "explain");
  }
  return r;
}

std::vector<EventIn> events_from_json(const json& body) {
  require_object(body, "");
  check_keys(body, {"events"}, "");
  auto events = body.find("events");
  if (events == body.end()) RECO_API_FAIL("events", "required (an array of 1..10000 events)");
  if (!events->is_array()) RECO_API_FAIL("events", "expected an array of events, got " + describe(*events));
  if (events->empty() || events->size() > 10000) {
    RECO_API_FAIL("events", "expected 1..10000 events, got " + std::to_string(events->size()));
  }
  std::vector<EventIn> out;
  out.reserve(events->size());
  for (size_t i = 0; i < events->size(); ++i) {
    const json& e = (*events)[i];
    const std::string at = index_path("events", i);
    require_object(e, at);
    check_keys(e,
               {"request_id", "timestamp", "user", "query_item", "item", "position", "platform",
                "locale", "policy", "engaged", "dwell"},
               at);
    auto required = [&](std::string_view key) -> const json& {
      auto it = e.find(key);
      if (it == e.end() || it->is_null()) RECO_API_FAIL(join_path(at, key), "required");
      return *it;
    };
    EventIn ev;
    ev.request_id = get_u64(required("request_id"), at + ".request_id", 1,
                            std::numeric_limits<uint64_t>::max());
    if (auto it = e.find("timestamp"); it != e.end() && !it->is_null()) {
      ev.timestamp = static_cast<int64_t>(get_u64(*it, at + ".timestamp", 0,
                                                  std::numeric_limits<int64_t>::max()));
    }
    ev.user = get_id(required("user"), at + ".user");
    ev.query_item = get_optional_id(e, "query_item", at);
    ev.item = get_id(required("item"), at + ".item");
    ev.position = static_cast<uint32_t>(
        get_u64(required("position"), at + ".position", 1, std::numeric_limits<uint32_t>::max()));
    for (auto [key, dst] : {std::pair<std::string_view, std::string*>{"platform", &ev.platform},
                            {"locale", &ev.locale},
                            {"policy", &ev.policy}}) {
      if (auto it = e.find(key); it != e.end() && !it->is_null()) *dst = get_string(*it, join_path(at, key));
    }
    if (auto it = e.find("engaged"); it != e.end() && !it->is_null()) {
      const std::string field = at + ".engaged";
      require_object(*it, field);
      for (auto g = it->begin(); g != it->end(); ++g) {
        const std::string gf = join_path(field, g.key());
        double x;
        if (g->is_boolean()) {
          x = g->get<bool>() ? 1.0 : 0.0;
        } else if (g->is_number() && (g->get<double>() == 0.0 || g->get<double>() == 1.0)) {
          x = g->get<double>();
        } else {
          RECO_API_FAIL(gf, "expected 0 or 1, got " + describe(g.value()));
        }
        ev.engaged[g.key()] = x;
      }
    }
    if (auto it = e.find("dwell"); it != e.end() && !it->is_null()) {
      ev.dwell = get_finite(*it, at + ".dwell");
      if (ev.dwell < 0) RECO_API_FAIL(at + ".dwell", "expected a number >= 0, got " + describe(*it));
    }
    out.push_back(std::move(ev));
  }
  return out;
}

std::string reload_path_from_json(const json& body) {
  require_object(body, "");
  check_keys(body, {"bundle"}, "");
  auto it = body.find("bundle");
  if (it == body.end() || it->is_null()) return "";
  return get_string(*it, "bundle");
}

std::map<std::string, double> admin_weights_from_json(const json& body) {
  require_object(body, "");
  check_keys(body, {"weights"}, "");
  auto it = body.find("weights");
  if (it == body.end() || it->is_null()) RECO_API_FAIL("weights", "required (head name -> weight)");
  auto weights = get_weights(*it, "weights");
  if (weights.empty()) RECO_API_FAIL("weights", "give at least one head");
  return weights;
}

json response_to_json(const Response& response, bool explain) {
  json out = json::object();
  out["bundle_version"] = response.bundle_version;
  out["heads"] = response.heads;
  out["weights"] = response.weights;
  json items = json::array();
  for (size_t i = 0; i < response.items.size(); ++i) {
    const ScoredItem& s = response.items[i];
    json item = json::object();
    item["rank"] = i + 1;
    item["item"] = s.item;
    item["utility"] = s.utility;
    json p = json::object();
    for (size_t h = 0; h < s.heads.size() && h < response.heads.size(); ++h) {
      p[response.heads[h]] = s.heads[h];
    }
    item["p"] = std::move(p);
    item["sources"] = s.sources;
    item["memboost"] = s.memboost;
    item["known"] = s.known;
    if (explain && !s.features.is_null()) item["features"] = s.features;
    items.push_back(std::move(item));
  }
  out["items"] = std::move(items);
  out["stage_ms"] = response.stage_ms;
  out["notes"] = response.notes;
  if (explain && !response.explain.is_null()) out["explain"] = response.explain;
  return out;
}

json events_ack_to_json(const EventsAck& ack, const std::string& bundle_version) {
  return json{{"accepted", ack.accepted}, {"log_rows", ack.log_rows}, {"bundle_version", bundle_version}};
}

json reload_result_to_json(const ReloadResult& result) {
  return json{{"previous_version", result.previous_version},
              {"version", result.version},
              {"seconds", result.seconds}};
}

json error_body(std::string_view code, std::string_view message, std::string_view field) {
  json err = json::object();
  err["code"] = std::string(code);
  err["message"] = std::string(message);
  if (!field.empty()) err["field"] = std::string(field);
  return json{{"error", std::move(err)}};
}

std::string dump_json(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string field_from_message(std::string_view message) {
  // RECO_CHECK messages read "check failed: <condition>: <text>"; look past that prefix.
  constexpr std::string_view kCheck = "check failed: ";
  std::vector<size_t> starts = {0};
  if (message.substr(0, kCheck.size()) == kCheck) {
    for (size_t p = message.find(": ", kCheck.size()); p != std::string_view::npos; p = message.find(": ", p + 2)) {
      starts.push_back(p + 2);
    }
  }
  for (size_t start : starts) {
    std::string_view rest = message.substr(start);
    size_t colon = rest.find(": ");
    if (colon == 0 || colon == std::string_view::npos || colon > 200) continue;
    bool has_letter = false, ok = true;
    for (char c : rest.substr(0, colon)) {
      bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
      bool other = (c >= '0' && c <= '9') || c == '.' || c == '[' || c == ']';
      ok &= letter || other;
      has_letter |= letter;
    }
    if (ok && has_letter) return std::string(rest.substr(0, colon));
  }
  return "";
}

}  // namespace reco::serve
