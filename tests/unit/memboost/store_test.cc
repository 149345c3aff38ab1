#include "reco/memboost/memboost_store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <unordered_map>

#include "reco/core/error.h"
#include "reco/memboost/store_updater.h"
#include "synthetic_log.h"
#include "testing/testing.h"

namespace reco::memboost {
namespace {

using Reference = std::unordered_map<PairKey, PairCounters, PairKeyHash>;

// One-shot counting of the first `rows` events, the reference every store state must equal.
Reference count(const std::vector<Event>& events, size_t rows, const PositionPriors& priors) {
  Reference ref;
  for (size_t i = 0; i < rows; ++i) {
    auto [it, fresh] = ref.try_emplace(pair_key(events[i]), 2u);
    add_impression(it->second, events[i], priors);
  }
  return ref;
}

void expect_store_equals(const MemboostStore& store, const Reference& ref) {
  ASSERT_EQ(store.pair_count(), ref.size());
  for (const auto& [key, want] : ref) {
    const auto got = store.get(key);
    ASSERT_TRUE(got.has_value()) << key.query << "/" << key.item;
    EXPECT_NEAR(got->impressions, want.impressions, 1e-9 * want.impressions);
    for (size_t t = 0; t < 2; ++t) {
      EXPECT_NEAR(got->engaged[t], want.engaged[t], 1e-9 * (1 + want.engaged[t]));
      EXPECT_NEAR(got->expected[t], want.expected[t], 1e-9 * (1 + want.expected[t]));
    }
  }
}

struct Fixture {
  testing::TempDir dir;
  std::vector<Event> events;
  PositionPriors priors;
  std::string log;

  explicit Fixture(uint64_t requests, double alpha = 1.0) {
    testlog::Config cfg;
    cfg.requests = requests;
    events = testlog::generate(cfg);
    if (alpha < 1) events = testlog::downsample(events, alpha, 5);
    log = dir.file("events.csv");
    testlog::write(log, events);
    PriorOptions opt;
    opt.min_impressions = 50;
    priors = PositionPriors::estimate(log, opt, RunContext{});
  }
};

TEST(MemboostStore, KeysSortByQueryThenResultAndRoundTrip) {
  const PairKey a{1, 500}, b{2, 3}, c{kNoQuery, 0};
  EXPECT_LT(MemboostStore::encode_key(a), MemboostStore::encode_key(b));
  EXPECT_LT(MemboostStore::encode_key(b), MemboostStore::encode_key(c));
  EXPECT_EQ(MemboostStore::decode_key(MemboostStore::encode_key(a)), a);

  testing::TempDir dir;
  PairCounters x(2);
  x.impressions = 3;
  x.engaged = {1, 0};
  x.expected = {0.5, 0.1};
  {
    MemboostStore s(dir.file("db"));
    s.bind({"click", "save"}, 77);
    s.apply({{a, x}, {{1, 7}, x}, {b, x}}, StoreCursor{3, 9, 1});
    s.apply({{a, x}}, StoreCursor{4, 10, 2});
  }
  MemboostStore s(dir.file("db"), MemboostStore::Mode::kReadOnly);
  EXPECT_EQ(s.types(), (std::vector<std::string>{"click", "save"}));
  EXPECT_EQ(s.cursor(), (StoreCursor{4, 10, 2}));
  EXPECT_DOUBLE_EQ(s.get(a)->impressions, 6);
  EXPECT_FALSE(s.get({3, 3}).has_value());
  const auto r = s.results(1);  // prefix scan: query 1's results only, ascending
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].first, 7u);
  EXPECT_EQ(r[1].first, 500u);
  EXPECT_THROW(s.bind({"click", "save"}, 78), Error);  // other priors
  EXPECT_THROW(s.bind({"click"}, 77), Error);          // other types
}

TEST(MemboostStore, IncrementalUpdatesEqualOneShotCountingAndResumeNeverDoubleCounts) {
  Fixture f(3000, 0.5);
  const std::string half = f.dir.file("half.csv");
  // The first part of the log (whole requests), then the full log: an append-only stream.
  size_t cut = 1230;  // moved to the next request boundary
  while (f.events[cut].request_id == f.events[cut - 1].request_id) ++cut;
  testlog::write(half, std::vector<Event>(f.events.begin(), f.events.begin() + cut));
  {
    MemboostStore store(f.dir.file("db"));
    UpdateOptions opt;
    opt.batch_rows = 97;
    std::vector<StoreCursor> acks;
    opt.on_batch = [&](const StoreCursor& c) { acks.push_back(c); };
    const UpdateReport r1 = update_store(store, half, f.priors, opt, RunContext{});
    EXPECT_EQ(r1.rows_applied, cut);
    ASSERT_FALSE(acks.empty());
    for (const auto& c : acks) {  // whole requests per batch
      if (c.rows_applied < cut) {
        EXPECT_NE(f.events[c.rows_applied - 1].request_id, f.events[c.rows_applied].request_id);
      }
    }
    EXPECT_GT(acks.size(), 5u);
    expect_store_equals(store, count(f.events, cut, f.priors));
    // Same file again: nothing new to apply.
    const UpdateReport r2 = update_store(store, half, f.priors, opt, RunContext{});
    EXPECT_EQ(r2.rows_applied, 0u);
    EXPECT_EQ(r2.rows_skipped, cut);
  }
  MemboostStore store(f.dir.file("db"));
  const UpdateReport r3 = update_store(store, f.log, f.priors, UpdateOptions{}, RunContext{});
  EXPECT_EQ(r3.rows_skipped, cut);
  EXPECT_EQ(r3.rows_applied, f.events.size() - cut);
  EXPECT_EQ(store.cursor().rows_applied, f.events.size());
  EXPECT_EQ(store.cursor().last_request_id, f.events.back().request_id);
  expect_store_equals(store, count(f.events, f.events.size(), f.priors));
  // Item-level memory: a log without query items keys pairs by (kNoQuery, item).
  testlog::Config cfg;
  cfg.requests = 50;
  cfg.queries = 0;
  const auto no_query = testlog::generate(cfg);
  testlog::write(f.dir.file("nq.csv"), no_query);
  MemboostStore nq(f.dir.file("nq-db"));
  update_store(nq, f.dir.file("nq.csv"), f.priors, UpdateOptions{}, RunContext{});
  EXPECT_EQ(nq.results(kNoQuery).size(), nq.pair_count());
  EXPECT_GT(nq.pair_count(), 0u);
}

TEST(MemboostStore, ResumeRejectsADifferentLog) {
  Fixture f(200);
  MemboostStore store(f.dir.file("db"));
  update_store(store, f.log, f.priors, UpdateOptions{}, RunContext{});
  auto other = f.events;
  for (auto& e : other) e.request_id += 1000000;
  other.resize(other.size() + 10, other.back());
  testlog::write(f.dir.file("other.csv"), other);
  EXPECT_THROW(update_store(store, f.dir.file("other.csv"), f.priors, UpdateOptions{}, RunContext{}), Error);
  EXPECT_EQ(store.cursor().rows_applied, f.events.size());
}

// Durability: a child process updates the store batch by batch and reports every acknowledged
// batch through a pipe; the parent SIGKILLs it mid-stream. After reopening, every acknowledged
// batch must be there, and the store must equal one-shot counting of exactly the rows its cursor
// says were applied: no batch half-applied, no acknowledged batch lost.
TEST(MemboostStore, SigkillMidStreamLosesNoAcknowledgedBatch) {
  Fixture f(20000);  // 200k rows
  const std::string db = f.dir.file("db");
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(fds[0]);
    try {
      MemboostStore store(db);
      UpdateOptions opt;
      opt.batch_rows = 300;
      opt.on_batch = [&](const StoreCursor& c) {
        if (::write(fds[1], &c.rows_applied, sizeof c.rows_applied) != sizeof c.rows_applied) ::_exit(3);
      };
      update_store(store, f.log, f.priors, opt, RunContext{});
    } catch (...) {
      ::_exit(2);
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  uint64_t acked = 0, acks = 0, v = 0;
  while (acks < 40 && ::read(fds[0], &v, sizeof v) == sizeof v) {
    acked = v;
    ++acks;
  }
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  // Acks written after our last read are acknowledged too: drain them.
  while (::read(fds[0], &v, sizeof v) == sizeof v) acked = v;
  ::close(fds[0]);
  ASSERT_EQ(acks, 40u) << "the child ended before 40 batches (status " << status << ")";
  ASSERT_TRUE(WIFSIGNALED(status)) << "the child finished before the kill: not a mid-stream crash";
  ASSERT_LT(acked, f.events.size());

  {
    MemboostStore store(db);
    const StoreCursor c = store.cursor();
    EXPECT_GE(c.rows_applied, acked);
    ASSERT_GT(c.rows_applied, 0u);
    EXPECT_EQ(c.last_request_id, f.events[c.rows_applied - 1].request_id);
    expect_store_equals(store, count(f.events, c.rows_applied, f.priors));
    // Resume after the crash: the rest is applied once.
    update_store(store, f.log, f.priors, UpdateOptions{}, RunContext{});
    expect_store_equals(store, count(f.events, f.events.size(), f.priors));
  }
}

}  // namespace
}  // namespace reco::memboost
