#include "reco/data/event_log.h"

#include <gtest/gtest.h>

#include <fstream>

#include "reco/core/error.h"
#include "testing/testing.h"

namespace reco {
namespace {

void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

TEST(EventLog, RoundTripKeepsEveryField) {
  testing::TempDir dir;
  const std::string path = dir.file("events.csv");
  EventWriter w(path, {"closeup", "click"});
  // Built twice rather than copied: g++ 12 warns (falsely) about copying the short strings.
  auto sample = [] {
    Event e;
    e.request_id = 7;
    e.timestamp = 1700000000;
    e.user_id = 3;
    e.item_id = 11;
    e.query_item_id = 5;
    e.position = 2;
    e.platform = "ios";
    e.locale = "en";
    e.policy = "random";
    e.engaged = {1, 0};
    e.dwell = 1.5;
    e.sample_weight = 4;
    e.alpha = 0.25;
    return e;
  };
  w.write(sample());
  Event b = sample();
  b.query_item_id = Event::kNoQuery;
  b.position = 3;
  b.engaged = {0, 1};
  b.platform.clear();
  w.write(b);
  EXPECT_FALSE(std::ifstream(path).good()) << "not visible before commit";
  w.commit();

  EventReader r(path);
  ASSERT_EQ(r.engagement_types(), (std::vector<std::string>{"closeup", "click"}));
  EXPECT_EQ(r.engagement_index("click"), 1);
  EXPECT_EQ(r.engagement_index("save"), -1);
  Event e;
  ASSERT_TRUE(r.next(e));
  EXPECT_EQ(e.request_id, 7u);
  EXPECT_EQ(e.timestamp, 1700000000);
  EXPECT_EQ(e.query_item_id, 5u);
  EXPECT_EQ(e.position, 2u);
  EXPECT_EQ(e.platform, "ios");
  EXPECT_EQ(e.policy, "random");
  EXPECT_EQ(e.engaged, (std::vector<uint8_t>{1, 0}));
  EXPECT_DOUBLE_EQ(e.dwell, 1.5);
  EXPECT_DOUBLE_EQ(e.sample_weight, 4);
  EXPECT_DOUBLE_EQ(e.alpha, 0.25);
  ASSERT_TRUE(r.next(e));
  EXPECT_FALSE(e.has_query());
  EXPECT_EQ(e.position, 3u);
  EXPECT_TRUE(e.platform.empty());
  EXPECT_EQ(e.engaged, (std::vector<uint8_t>{0, 1}));
  EXPECT_EQ(r.line_number(), 3);
  EXPECT_FALSE(r.next(e));
}

TEST(EventLog, MinimalColumnsGetDefaults) {
  testing::TempDir dir;
  const std::string path = dir.file("e.csv");
  write_text(path, "request_id,timestamp,user_id,item_id,position,click\n1,10,2,3,1,1\n");
  EventReader r(path);
  Event e;
  ASSERT_TRUE(r.next(e));
  EXPECT_FALSE(e.has_query());
  EXPECT_DOUBLE_EQ(e.alpha, 1.0);
  EXPECT_DOUBLE_EQ(e.sample_weight, 1.0);
  EXPECT_EQ(e.engaged, (std::vector<uint8_t>{1}));
}

std::string parse_error_of(const std::string& text) {
  testing::TempDir dir;
  const std::string path = dir.file("bad.csv");
  write_text(path, text);
  try {
    EventReader r(path);
    Event e;
    while (r.next(e)) {
    }
  } catch (const Error& err) {
    return err.what();
  }
  return "";
}

TEST(EventLog, BadInputNamesLineAndField) {
  EXPECT_NE(parse_error_of("request_id,timestamp,user_id,item_id,position,click\n1,10,2,3,0,1\n")
                .find("bad.csv:2: field 'position'"),
            std::string::npos);
  EXPECT_NE(parse_error_of("request_id,timestamp,user_id,item_id,position,click\n1,10,2,3,1,2\n")
                .find("field 'click': expected 0 or 1"),
            std::string::npos);
  EXPECT_NE(parse_error_of("request_id,timestamp,user_id,item_id,position,alpha\n1,10,2,3,1,1.5\n")
                .find("field 'alpha'"),
            std::string::npos);
  EXPECT_NE(parse_error_of("request_id,timestamp,user_id,item_id,click\n").find("no 'position' column"),
            std::string::npos);
  EXPECT_NE(parse_error_of("request_id,timestamp,user_id,item_id,position\n1,2,3\n").find(":2: 3 fields"),
            std::string::npos);
}

}  // namespace
}  // namespace reco
