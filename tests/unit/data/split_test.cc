#include "reco/data/split.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "reco/core/error.h"

namespace reco {
namespace {

std::array<uint64_t, 3> tally(const std::vector<uint8_t>& s) {
  std::array<uint64_t, 3> c{};
  for (uint8_t v : s) ++c.at(v);
  return c;
}

TEST(SplitSpec, ParseForms) {
  EXPECT_EQ(SplitSpec::parse("none").kind, SplitKind::kNone);
  SplitSpec r = SplitSpec::parse("random:0.8,0.1,0.1");
  EXPECT_EQ(r.kind, SplitKind::kRandom);
  EXPECT_DOUBLE_EQ(r.train, 0.8);
  EXPECT_DOUBLE_EQ(r.validation, 0.1);
  EXPECT_NEAR(r.test, 0.1, 1e-12);
  SplitSpec t = SplitSpec::parse("time:0.7,0.2");
  EXPECT_EQ(t.kind, SplitKind::kTime);
  EXPECT_NEAR(t.test, 0.1, 1e-12);
  EXPECT_EQ(SplitSpec::parse("user:0.5,0.25,0.25").kind, SplitKind::kUser);
  EXPECT_EQ(SplitSpec::parse("leave-last-out").last_n, 1u);
  EXPECT_EQ(SplitSpec::parse("leave-last-out:3").last_n, 3u);
  for (const char* s : {"random:0.8,0.1,0.1", "time:0.7,0.2", "leave-last-out:2", "none"}) {
    SplitSpec a = SplitSpec::parse(s);
    SplitSpec b = SplitSpec::parse(a.to_string());
    EXPECT_EQ(a.kind, b.kind);
    EXPECT_DOUBLE_EQ(a.train, b.train);
    EXPECT_DOUBLE_EQ(a.test, b.test);
    EXPECT_EQ(a.last_n, b.last_n);
  }
  for (const char* bad : {"random", "random:0.8", "random:0.8,0.3,0.1", "random:a,b", "time:0.9,0.2",
                          "kfold:5", "leave-last-out:0", "leave-last-out:x", "none:1", "random:1.5,0"}) {
    EXPECT_THROW(SplitSpec::parse(bad), Error) << bad;
  }
}

TEST(Split, RandomFractionsAndDeterminism) {
  const uint64_t n = 200000;
  SplitSpec spec = SplitSpec::parse("random:0.8,0.1,0.1");
  auto a = make_split(spec, n, 7, {}, {});
  auto b = make_split(spec, n, 7, {}, {});
  auto c = make_split(spec, n, 8, {}, {});
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  auto t = tally(a);
  // Binomial sd for p=0.1: sqrt(n*0.09) ~ 134; allow 6 sd.
  EXPECT_NEAR(static_cast<double>(t[0]), 0.8 * n, 6 * std::sqrt(n * 0.16));
  EXPECT_NEAR(static_cast<double>(t[1]), 0.1 * n, 6 * std::sqrt(n * 0.09));
  EXPECT_NEAR(static_cast<double>(t[2]), 0.1 * n, 6 * std::sqrt(n * 0.09));
  // A row's part does not depend on the number of rows.
  auto prefix = make_split(spec, 1000, 7, {}, {});
  EXPECT_TRUE(std::equal(prefix.begin(), prefix.end(), a.begin()));
  auto none = make_split(SplitSpec::parse("none"), 10, 7, {}, {});
  EXPECT_EQ(tally(none)[0], 10u);
}

TEST(Split, TimeOrdersOldestToNewest) {
  // Timestamps in scrambled order with ties.
  std::vector<int64_t> ts{50, 10, 90, 10, 70, 30, 90, 20, 60, 80};
  SplitSpec spec = SplitSpec::parse("time:0.6,0.2");
  auto s = make_split(spec, ts.size(), 1, ts, {});
  auto t = tally(s);
  EXPECT_EQ(t[0], 6u);
  EXPECT_EQ(t[1], 2u);
  EXPECT_EQ(t[2], 2u);
  int64_t max_train = INT64_MIN, min_val = INT64_MAX, max_val = INT64_MIN, min_test = INT64_MAX;
  for (size_t i = 0; i < ts.size(); ++i) {
    if (s[i] == 0) max_train = std::max(max_train, ts[i]);
    if (s[i] == 1) min_val = std::min(min_val, ts[i]), max_val = std::max(max_val, ts[i]);
    if (s[i] == 2) min_test = std::min(min_test, ts[i]);
  }
  EXPECT_LE(max_train, min_val);
  EXPECT_LE(max_val, min_test);
  // Ties broken by row index: rows 2 and 6 (both 90) are the newest two -> test.
  EXPECT_EQ(s[2], 2);
  EXPECT_EQ(s[6], 2);
  EXPECT_THROW(make_split(spec, ts.size(), 1, {}, {}), Error);
}

TEST(Split, UserSplitKeepsUsersTogether) {
  const uint64_t n = 30000;
  std::vector<uint32_t> users(n);
  for (uint64_t i = 0; i < n; ++i) users[i] = static_cast<uint32_t>((i * 7919) % 3000);
  auto s = make_split(SplitSpec::parse("user:0.6,0.2,0.2"), n, 3, {}, users);
  std::vector<int> part(3000, -1);
  for (uint64_t i = 0; i < n; ++i) {
    if (part[users[i]] < 0) part[users[i]] = s[i];
    EXPECT_EQ(part[users[i]], s[i]);
  }
  std::array<int, 3> per_user{};
  for (int p : part) ++per_user.at(p);
  EXPECT_NEAR(per_user[0], 1800, 6 * std::sqrt(3000 * 0.24));
  EXPECT_THROW(make_split(SplitSpec::parse("user:0.6,0.2,0.2"), n, 3, {}, {}), Error);
  // With a vocabulary, the hash is of the id string.
  VocabularyBuilder b;
  for (int u = 0; u < 3000; ++u) b.add("user" + std::to_string(u));
  Vocabulary v = b.finalize().vocabulary;
  auto sv = make_split(SplitSpec::parse("user:0.6,0.2,0.2"), n, 3, {}, users, &v);
  EXPECT_EQ(sv.size(), n);
}

TEST(Split, LeaveLastOutOnHandMadeLog) {
  // user: 0 has 4 events, 1 has 2, 2 has 1; rows interleaved, timestamps not sorted.
  std::vector<uint32_t> users{0, 1, 0, 2, 0, 1, 0};
  std::vector<int64_t> ts{40, 5, 10, 7, 30, 9, 20};
  auto s = make_split(SplitSpec::parse("leave-last-out"), users.size(), 0, ts, users);
  // user 0 by time: row2(10), row6(20), row4(30), row0(40) -> row0 test, row4 validation.
  // user 1: row1(5), row5(9) -> row5 test, row1 stays train (one train row kept).
  // user 2: a single event stays train.
  EXPECT_EQ(s, (std::vector<uint8_t>{2, 0, 0, 0, 1, 2, 0}));
  auto s2 = make_split(SplitSpec::parse("leave-last-out:2"), users.size(), 0, ts, users);
  // user 0: test = rows 0,4; validation = min(2, 4-1-2) = 1 -> row6; train row2.
  EXPECT_EQ(s2, (std::vector<uint8_t>{2, 0, 0, 0, 2, 2, 1}));
  // Ties in timestamp: the later row counts as later.
  std::vector<uint32_t> u2{5, 5, 5};
  std::vector<int64_t> t2{1, 1, 1};
  EXPECT_EQ(make_split(SplitSpec::parse("leave-last-out"), 3, 0, t2, u2), (std::vector<uint8_t>{0, 1, 2}));
  EXPECT_THROW(make_split(SplitSpec::parse("leave-last-out"), 7, 0, {}, users), Error);
  EXPECT_THROW(make_split(SplitSpec::parse("leave-last-out"), 7, 0, ts, {}), Error);
}

TEST(SplitSpec, IndexModParseAndRoundTrip) {
  SplitSpec s = SplitSpec::parse("index-mod:10:8,1");
  EXPECT_EQ(s.kind, SplitKind::kIndexMod);
  EXPECT_EQ(s.modulus, 10u);
  EXPECT_EQ(s.mod_train, 8u);
  EXPECT_EQ(s.mod_validation, 1u);
  EXPECT_DOUBLE_EQ(s.train, 0.8);
  EXPECT_DOUBLE_EQ(s.validation, 0.1);
  EXPECT_NEAR(s.test, 0.1, 1e-12);
  EXPECT_EQ(s.to_string(), "index-mod:10:8,1");
  for (const char* text : {"index-mod:10:8,1", "index-mod:3:0,3", "index-mod:1:1,0", "index-mod:7:2,0"}) {
    SplitSpec a = SplitSpec::parse(text);
    SplitSpec b = SplitSpec::parse(a.to_string());
    EXPECT_EQ(a.to_string(), text);
    EXPECT_EQ(b.kind, SplitKind::kIndexMod);
    EXPECT_EQ(a.modulus, b.modulus);
    EXPECT_EQ(a.mod_train, b.mod_train);
    EXPECT_EQ(a.mod_validation, b.mod_validation);
  }
  for (const char* bad : {"index-mod", "index-mod:10", "index-mod:10:8", "index-mod:10:8,3", "index-mod:0:0,0",
                          "index-mod:10:8,1,1", "index-mod:10:-1,1", "index-mod:x:8,1", "index-mod:10:8.5,1",
                          "index-mod:10:,1", "index-mod::8,1"}) {
    EXPECT_THROW(SplitSpec::parse(bad), Error) << bad;
  }
  // The parse error quotes the text and lists the accepted forms, index-mod included.
  try {
    SplitSpec::parse("index-mod:10:9,2");
    ADD_FAILURE() << "no throw";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("index-mod:10:9,2"), std::string::npos) << msg;
  }
  try {
    SplitSpec::parse("kfold:5");
    ADD_FAILURE() << "no throw";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("'kfold:5'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("index-mod:N:TRAIN,VAL"), std::string::npos) << msg;
  }
}

TEST(Split, IndexModAssignsByRowIndex) {
  const uint64_t n = 1003;
  SplitSpec spec = SplitSpec::parse("index-mod:10:8,1");
  auto s = make_split(spec, n, 5, {}, {});
  ASSERT_EQ(s.size(), n);
  for (uint64_t i = 0; i < n; ++i) {
    const uint8_t want = i % 10 < 8 ? 0 : (i % 10 == 8 ? 1 : 2);
    ASSERT_EQ(s[i], want) << "row " << i;
  }
  // 100 full blocks of 10 plus rows 1000..1002 (all train).
  EXPECT_EQ(tally(s), (std::array<uint64_t, 3>{803, 100, 100}));
  // No seed dependence; no timestamp or user column needed.
  EXPECT_EQ(make_split(spec, n, 99, {}, {}), s);
  EXPECT_FALSE(spec.needs_timestamps());
  EXPECT_FALSE(spec.needs_users());
  // Zero train rows and an empty validation part are allowed.
  EXPECT_EQ(make_split(SplitSpec::parse("index-mod:3:0,2"), 6, 0, {}, {}),
            (std::vector<uint8_t>{1, 1, 2, 1, 1, 2}));
  EXPECT_EQ(make_split(SplitSpec::parse("index-mod:4:3,0"), 5, 0, {}, {}),
            (std::vector<uint8_t>{0, 0, 0, 2, 0}));
}

}  // namespace
}  // namespace reco
