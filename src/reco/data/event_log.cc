#include "reco/data/event_log.h"

#include <charconv>
#include <cmath>
#include <string_view>

#include "reco/core/error.h"
#include "reco/core/text_writer.h"
#include "reco/data/field_splitter.h"
#include "reco/data/line_reader.h"

namespace reco {
namespace {

// Which Event field a CSV column fills.
enum class Slot : uint8_t {
  kRequest, kTimestamp, kUser, kQuery, kItem, kPosition, kPlatform, kLocale, kPolicy, kDwell,
  kWeight, kAlpha, kEngagement
};

struct NamedSlot {
  const char* name;
  Slot slot;
};

constexpr NamedSlot kKnownColumns[] = {
    {"request_id", Slot::kRequest}, {"timestamp", Slot::kTimestamp}, {"user_id", Slot::kUser},
    {"query_item_id", Slot::kQuery}, {"item_id", Slot::kItem},       {"position", Slot::kPosition},
    {"platform", Slot::kPlatform},   {"locale", Slot::kLocale},       {"policy", Slot::kPolicy},
    {"dwell", Slot::kDwell},         {"sample_weight", Slot::kWeight}, {"alpha", Slot::kAlpha},
};
constexpr const char* kRequired[] = {"request_id", "timestamp", "user_id", "item_id", "position"};

template <typename T>
bool parse_integer(std::string_view s, T& out) {
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

bool parse_double(std::string_view s, double& out) {
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && std::isfinite(out);
}

}  // namespace

struct EventReader::Impl {
  explicit Impl(const std::string& p) : lines(p) {}
  LineReader lines;
  std::vector<std::string> header;
  std::vector<Slot> slots;       // per column
  std::vector<int> engagement;   // per column: index into Event::engaged, or -1
  std::vector<std::string> engagement_types;
  FieldSplitter splitter{SplitOptions{",", '\0', false}};  // the event CSV has no quoting
  std::vector<Field> fields;
  SplitError split_error;  // never set without quoting
  int64_t last_line = 0;

  [[noreturn]] void fail(size_t column, const std::string& what) const {
    RECO_THROW(ErrorCode::kParse) << lines.path() << ":" << lines.line_number() << ": field '" << header[column]
                                  << "': " << what;
  }
};

EventReader::EventReader(const std::string& path) : impl_(std::make_unique<Impl>(path)) {
  auto& im = *impl_;
  std::string_view line;
  if (!im.lines.next(line)) RECO_THROW(ErrorCode::kParse) << path << ": empty event log (no header)";
  im.splitter.split(line, im.fields, im.split_error);
  for (size_t c = 0; c < im.fields.size(); ++c) {
    std::string name(im.fields[c].text);
    if (name.empty()) RECO_THROW(ErrorCode::kParse) << path << ":1: column " << c + 1 << " has an empty name";
    for (const auto& h : im.header) {
      if (h == name) RECO_THROW(ErrorCode::kParse) << path << ":1: column '" << name << "' appears twice";
    }
    im.header.push_back(name);
    Slot slot = Slot::kEngagement;
    for (const auto& k : kKnownColumns) {
      if (name == k.name) slot = k.slot;
    }
    im.slots.push_back(slot);
    if (slot == Slot::kEngagement) {
      im.engagement.push_back(static_cast<int>(im.engagement_types.size()));
      im.engagement_types.push_back(name);
    } else {
      im.engagement.push_back(-1);
    }
  }
  for (const char* required : kRequired) {
    bool found = false;
    for (const auto& h : im.header) found = found || h == required;
    if (!found) RECO_THROW(ErrorCode::kParse) << path << ":1: the event log has no '" << required << "' column";
  }
}

EventReader::~EventReader() = default;

const std::vector<std::string>& EventReader::engagement_types() const { return impl_->engagement_types; }

int EventReader::engagement_index(const std::string& name) const {
  for (size_t i = 0; i < impl_->engagement_types.size(); ++i) {
    if (impl_->engagement_types[i] == name) return static_cast<int>(i);
  }
  return -1;
}

bool EventReader::next(Event& e) {
  auto& im = *impl_;
  std::string_view line;
  do {
    if (!im.lines.next(line)) return false;
  } while (line.empty());
  im.splitter.split(line, im.fields, im.split_error);
  if (im.fields.size() != im.header.size()) {
    RECO_THROW(ErrorCode::kParse) << im.lines.path() << ":" << im.lines.line_number() << ": " << im.fields.size()
                                  << " fields, the header has " << im.header.size();
  }
  e.query_item_id = Event::kNoQuery;
  e.platform.clear();
  e.locale.clear();
  e.policy.clear();
  e.dwell = 0.0;
  e.sample_weight = 1.0;
  e.alpha = 1.0;
  e.engaged.assign(im.engagement_types.size(), 0);
  for (size_t c = 0; c < im.fields.size(); ++c) {
    std::string_view f = im.fields[c].text;
    switch (im.slots[c]) {
      case Slot::kRequest:
        if (!parse_integer(f, e.request_id)) im.fail(c, "expected a non-negative integer");
        break;
      case Slot::kTimestamp:
        if (!parse_integer(f, e.timestamp)) im.fail(c, "expected integer unix seconds");
        break;
      case Slot::kUser:
        if (!parse_integer(f, e.user_id)) im.fail(c, "expected a non-negative integer id");
        break;
      case Slot::kQuery:
        if (!f.empty() && (!parse_integer(f, e.query_item_id) || e.query_item_id == Event::kNoQuery)) {
          im.fail(c, "expected a non-negative integer id or empty");
        }
        break;
      case Slot::kItem:
        if (!parse_integer(f, e.item_id)) im.fail(c, "expected a non-negative integer id");
        break;
      case Slot::kPosition:
        if (!parse_integer(f, e.position) || e.position == 0) im.fail(c, "expected a 1-based position");
        break;
      case Slot::kPlatform: e.platform.assign(f); break;
      case Slot::kLocale: e.locale.assign(f); break;
      case Slot::kPolicy: e.policy.assign(f); break;
      case Slot::kDwell:
        if (!f.empty() && (!parse_double(f, e.dwell) || e.dwell < 0)) im.fail(c, "expected seconds >= 0");
        break;
      case Slot::kWeight:
        if (!parse_double(f, e.sample_weight) || !(e.sample_weight > 0)) im.fail(c, "expected a weight > 0");
        break;
      case Slot::kAlpha:
        if (!parse_double(f, e.alpha) || !(e.alpha > 0 && e.alpha <= 1)) im.fail(c, "expected alpha in (0, 1]");
        break;
      case Slot::kEngagement:
        if (f == "0") {
          e.engaged[static_cast<size_t>(im.engagement[c])] = 0;
        } else if (f == "1") {
          e.engaged[static_cast<size_t>(im.engagement[c])] = 1;
        } else {
          im.fail(c, "expected 0 or 1 (an engagement column)");
        }
        break;
    }
  }
  im.last_line = im.lines.line_number();
  return true;
}

int64_t EventReader::line_number() const { return impl_->last_line; }
uint64_t EventReader::bytes_read() const { return impl_->lines.file_bytes_read(); }
uint64_t EventReader::file_size() const { return impl_->lines.file_size(); }
const std::string& EventReader::path() const { return impl_->lines.path(); }

struct EventWriter::Impl {
  explicit Impl(const std::string& p) : out(p) {}
  TextWriter out;
  std::vector<std::string> engagement_types;
  uint64_t rows = 0;
};

EventWriter::EventWriter(const std::string& path, std::vector<std::string> engagement_types)
    : impl_(std::make_unique<Impl>(path)) {
  for (const auto& t : engagement_types) {
    for (const auto& k : kKnownColumns) {
      if (t == k.name) RECO_THROW(ErrorCode::kInvalidArgument) << "engagement type '" << t << "' is a reserved column";
    }
    if (t.empty() || t.find(',') != std::string::npos) {
      RECO_THROW(ErrorCode::kInvalidArgument) << "engagement type '" << t << "' must be non-empty without commas";
    }
  }
  impl_->engagement_types = std::move(engagement_types);
  auto& o = impl_->out;
  o.write("request_id,timestamp,user_id,query_item_id,item_id,position,platform,locale,policy");
  for (const auto& t : impl_->engagement_types) {
    o.write_char(',');
    o.write(t);
  }
  o.write(",dwell,sample_weight,alpha\n");
}

EventWriter::~EventWriter() = default;

void EventWriter::write(const Event& e) {
  auto& o = impl_->out;
  RECO_CHECK_EQ(e.engaged.size(), impl_->engagement_types.size()) << "event engagement count";
  o.write_uint(e.request_id);
  o.write_char(',');
  o.write_int(e.timestamp);
  o.write_char(',');
  o.write_uint(e.user_id);
  o.write_char(',');
  if (e.has_query()) o.write_uint(e.query_item_id);
  o.write_char(',');
  o.write_uint(e.item_id);
  o.write_char(',');
  o.write_uint(e.position);
  o.write_char(',');
  o.write(e.platform);
  o.write_char(',');
  o.write(e.locale);
  o.write_char(',');
  o.write(e.policy);
  for (uint8_t v : e.engaged) {
    o.write_char(',');
    o.write_char(v ? '1' : '0');
  }
  o.write_char(',');
  o.write_float(e.dwell);
  o.write_char(',');
  o.write_float(e.sample_weight);
  o.write_char(',');
  o.write_float(e.alpha);
  o.write_char('\n');
  ++impl_->rows;
}

void EventWriter::commit() { impl_->out.commit(); }
uint64_t EventWriter::rows() const { return impl_->rows; }

}  // namespace reco
