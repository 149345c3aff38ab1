// EventSink: validation, the log + store against an update_store oracle, group commit under
// concurrent appends, recovery (torn line, log ahead of store, store ahead of log, seed copy),
// and kill -9 of a writer process: every acknowledged event survives.
#include "reco/serve/event_sink.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "event_sink_testlib.h"
#include "reco/core/error.h"
#include "reco/memboost/store_updater.h"
#include "testing/testing.h"

extern char** environ;

namespace reco::serve {
namespace {

namespace fs = std::filesystem;
using memboost::MemboostStore;
using memboost::PairCounters;
using reco::testing::TempDir;

SinkOptions options(const std::string& dir) {
  SinkOptions o;
  o.state_dir = dir;
  o.priors = testlib::make_priors();
  o.clock = [] { return int64_t{1234567}; };
  return o;
}

std::vector<Event> read_log(const std::string& path) {
  EventReader r(path);
  std::vector<Event> out;
  Event e;
  while (r.next(e)) out.push_back(e);
  return out;
}

void expect_counters_near(const PairCounters& got, const PairCounters& want, const std::string& what) {
  ASSERT_EQ(got.types, want.types) << what;
  EXPECT_EQ(got.impressions, want.impressions) << what;  // sums of weight 1: exact
  for (uint32_t t = 0; t < want.types; ++t) {
    EXPECT_EQ(got.engaged[t], want.engaged[t]) << what << " type " << t;
    // Expected counts are sums of priors added in another grouping: equal up to rounding.
    EXPECT_NEAR(got.expected[t], want.expected[t], 1e-9 * std::max(1.0, std::abs(want.expected[t])))
        << what << " type " << t;
  }
}

// The exact oracle: a fresh store built by memboost::update_store over `log` from row 0.
void expect_store_matches_log(const MemboostStore& store, const std::string& log, const TempDir& tmp,
                              const std::string& name) {
  MemboostStore oracle(tmp.file(name));
  memboost::update_store(oracle, log, *testlib::make_priors(), memboost::UpdateOptions{}, RunContext{});
  EXPECT_EQ(store.cursor().rows_applied, oracle.cursor().rows_applied);
  EXPECT_EQ(store.cursor().last_request_id, oracle.cursor().last_request_id);
  ASSERT_EQ(store.pair_count(), oracle.pair_count());
  std::set<uint64_t> queries;
  for (const Event& e : read_log(log)) queries.insert(e.query_item_id);
  uint64_t compared = 0;
  for (uint64_t q : queries) {
    const auto got = store.results(q), want = oracle.results(q);
    ASSERT_EQ(got.size(), want.size()) << "query " << q;
    for (size_t i = 0; i < want.size(); ++i) {
      ASSERT_EQ(got[i].first, want[i].first);
      expect_counters_near(got[i].second, want[i].second, "pair " + std::to_string(q) + "/" +
                                                               std::to_string(want[i].first));
      ++compared;
    }
  }
  EXPECT_EQ(compared, oracle.pair_count());
}

std::string expect_invalid(EventSink& sink, const std::vector<EventIn>& events) {
  try {
    sink.append(events);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument) << e.what();
    return e.message();
  }
  ADD_FAILURE() << "append accepted a bad event";
  return "";
}

TEST(EventSink, ValidationNamesIndexAndFieldAndStoresNothing) {
  TempDir dir;
  EventSink sink(options(dir.file("state")));
  auto base = testlib::make_call(5, 3);
  auto bad = [&](auto mutate) {
    auto events = base;
    mutate(events[1]);
    return expect_invalid(sink, events);
  };
  EXPECT_NE(bad([](EventIn& e) { e.position = 0; }).find("events[1].position"), std::string::npos);
  EXPECT_NE(bad([](EventIn& e) { e.request_id = 0; }).find("events[1].request_id"), std::string::npos);
  EXPECT_NE(bad([](EventIn& e) { e.engaged["like"] = 1; }).find("events[1].engaged.like: unknown"),
            std::string::npos);
  EXPECT_NE(bad([](EventIn& e) { e.engaged["click"] = 0.5; }).find("events[1].engaged.click"), std::string::npos);
  EXPECT_NE(bad([](EventIn& e) { e.engaged["save"] = 2; }).find("events[1].engaged.save"), std::string::npos);
  EXPECT_NE(bad([](EventIn& e) { e.platform = "a,b"; }).find("events[1].platform"), std::string::npos);
  EXPECT_NE(bad([](EventIn& e) { e.locale = "en\n1,2"; }).find("events[1].locale"), std::string::npos);
  EXPECT_NE(bad([](EventIn& e) { e.dwell = -1; }).find("events[1].dwell"), std::string::npos);
  EXPECT_NE(bad([](EventIn& e) { e.dwell = NAN; }).find("events[1].dwell"), std::string::npos);
  EXPECT_NE(bad([](EventIn& e) { e.timestamp = -5; }).find("events[1].timestamp"), std::string::npos);
  EXPECT_NE(bad([](EventIn& e) { e.query_item = Event::kNoQuery; }).find("events[1].query_item"),
            std::string::npos);
  EXPECT_EQ(sink.log_rows(), 0u);
  EXPECT_EQ(sink.store().pair_count(), 0u);
  EXPECT_EQ(sink.store().cursor().rows_applied, 0u);
  EXPECT_TRUE(read_log(sink.log_path()).empty());
  EXPECT_EQ(sink.stats().log_fsyncs, 0u);
  // The same call without the bad event is accepted.
  const EventsAck ack = sink.append(base);
  EXPECT_EQ(ack.accepted, 3u);
  EXPECT_EQ(ack.log_rows, 3u);
  EXPECT_EQ(sink.append({}).accepted, 0u);
  EXPECT_EQ(sink.log_rows(), 3u);
}

TEST(EventSink, AppendWritesTheLogAndMatchesUpdateStore) {
  TempDir dir;
  EventSink sink(options(dir.file("state")));
  std::vector<EventIn> all;
  uint64_t rows = 0;
  for (uint64_t r = 1; r <= 40; ++r) {
    auto call = testlib::make_call(r, 1 + r % 9);
    const EventsAck ack = sink.append(call);
    rows += call.size();
    EXPECT_EQ(ack.accepted, call.size());
    EXPECT_EQ(ack.log_rows, rows);
    all.insert(all.end(), call.begin(), call.end());
  }
  EXPECT_EQ(sink.log_rows(), rows);
  EXPECT_EQ(sink.stats().events, rows);
  EXPECT_EQ(sink.stats().calls, 40u);
  EXPECT_EQ(sink.stats().log_fsyncs, sink.stats().groups);
  // The log is EventWriter's format: EventReader reads back every field.
  const auto log = read_log(sink.log_path());
  ASSERT_EQ(log.size(), all.size());
  for (size_t i = 0; i < all.size(); ++i) {
    const EventIn& a = all[i];
    const Event& e = log[i];
    EXPECT_EQ(e.request_id, a.request_id);
    EXPECT_EQ(e.timestamp, a.timestamp == 0 ? 1234567 : a.timestamp);
    EXPECT_EQ(e.user_id, a.user);
    EXPECT_EQ(e.query_item_id, a.query_item ? *a.query_item : Event::kNoQuery);
    EXPECT_EQ(e.item_id, a.item);
    EXPECT_EQ(e.position, a.position);
    EXPECT_EQ(e.platform, a.platform);
    EXPECT_EQ(e.policy, a.policy);
    EXPECT_EQ(e.dwell, a.dwell);
    EXPECT_EQ(e.sample_weight, 1.0);
    const double save = a.engaged.count("save") ? a.engaged.at("save") : 0.0;
    EXPECT_EQ(e.engaged, (std::vector<uint8_t>{static_cast<uint8_t>(a.engaged.at("click")),
                                               static_cast<uint8_t>(save)}));
  }
  // A byte-level check against EventWriter itself.
  {
    EventWriter w(dir.file("writer.csv"), testlib::kTypes);
    for (const Event& e : log) w.write(e);
    w.commit();
  }
  EXPECT_EQ(reco::testing::read_file(dir.file("writer.csv")), reco::testing::read_file(sink.log_path()));
  expect_store_matches_log(sink.store(), sink.log_path(), dir, "oracle");
}

TEST(EventSink, ConcurrentAppendsEachEventOnce) {
  TempDir dir;
  SinkOptions opt = options(dir.file("state"));
  opt.max_group_events = 64;  // some groups must split the queue
  EventSink sink(opt);
  constexpr size_t kThreads = 8, kCalls = 60;
  std::vector<std::vector<std::pair<uint64_t, EventsAck>>> acks(kThreads);
  std::vector<std::thread> pool;
  for (size_t t = 0; t < kThreads; ++t) {
    pool.emplace_back([&, t] {
      for (size_t k = 0; k < kCalls; ++k) {
        const uint64_t id = 1 + k * kThreads + t;
        acks[t].emplace_back(id, sink.append(testlib::make_call(id, 1 + id % 20)));
      }
    });
  }
  for (auto& th : pool) th.join();
  const auto log = read_log(sink.log_path());
  std::map<uint64_t, size_t> rows_of;
  for (const Event& e : log) ++rows_of[e.request_id];
  uint64_t total = 0;
  for (const auto& per_thread : acks) {
    uint64_t last = 0;
    for (const auto& [id, ack] : per_thread) {
      const size_t n = 1 + id % 20;
      EXPECT_EQ(ack.accepted, n);
      EXPECT_EQ(rows_of[id], n) << "request " << id;
      // The ack names the call's rows: [log_rows - accepted, log_rows) are this call's, in order.
      ASSERT_LE(ack.log_rows, log.size());
      for (size_t r = ack.log_rows - n; r < ack.log_rows; ++r) {
        EXPECT_EQ(log[r].request_id, id);
        EXPECT_EQ(log[r].position, r - (ack.log_rows - n) + 1);
      }
      EXPECT_GT(ack.log_rows, last);  // one thread's calls are logged in its order
      last = ack.log_rows;
      total += n;
    }
  }
  EXPECT_EQ(rows_of.size(), kThreads * kCalls);
  EXPECT_EQ(log.size(), total);
  EXPECT_EQ(sink.log_rows(), total);
  const SinkStats st = sink.stats();
  EXPECT_EQ(st.calls, kThreads * kCalls);
  EXPECT_EQ(st.events, total);
  EXPECT_LE(st.groups, st.calls);
  EXPECT_EQ(st.log_fsyncs, st.groups);
  EXPECT_EQ(st.store_writes, st.groups);
  EXPECT_EQ(sink.store().cursor().batches, st.groups);
  expect_store_matches_log(sink.store(), sink.log_path(), dir, "oracle");
}

TEST(EventSink, ReopenTruncatesATornLastLine) {
  TempDir dir;
  const std::string state = dir.file("state");
  uint64_t rows = 0;
  {
    EventSink sink(options(state));
    for (uint64_t r = 1; r <= 5; ++r) rows = sink.append(testlib::make_call(r, 4)).log_rows;
  }
  {
    std::ofstream f(state + "/events.csv", std::ios::app | std::ios::binary);
    f << "99,1700000000,3,,17,1,web,en,mo";  // a row cut mid-write
  }
  {
    EventSink sink(options(state));
    EXPECT_EQ(sink.stats().torn_lines, 1u);
    EXPECT_EQ(sink.stats().torn_bytes, 31u);
    EXPECT_EQ(sink.log_rows(), rows);
    EXPECT_EQ(sink.append(testlib::make_call(6, 2)).log_rows, rows + 2);
    expect_store_matches_log(sink.store(), sink.log_path(), dir, "oracle");
  }
  EventSink again(options(state));
  EXPECT_EQ(again.stats().torn_lines, 0u);
  EXPECT_EQ(read_log(again.log_path()).size(), rows + 2);
}

TEST(EventSink, ReopenAppliesLogRowsTheStoreMissed) {
  TempDir dir;
  const std::string state = dir.file("state");
  {
    EventSink sink(options(state));
    for (uint64_t r = 1; r <= 6; ++r) sink.append(testlib::make_call(r, 5));
  }
  // A crash after the log's fdatasync and before the store batch: rows in the log only.
  {
    std::string rows;
    for (const Event& e : to_log_events(testlib::make_call(7, 9), testlib::kTypes, 42)) {
      EventLogAppender::format_row(rows, e);
    }
    std::ofstream f(state + "/events.csv", std::ios::app | std::ios::binary);
    f << rows;
  }
  EventSink sink(options(state));
  EXPECT_EQ(sink.stats().recovered_rows, 9u);
  EXPECT_EQ(sink.log_rows(), 39u);
  EXPECT_EQ(sink.store().cursor().rows_applied, 39u);
  EXPECT_EQ(sink.store().cursor().last_request_id, 7u);
  expect_store_matches_log(sink.store(), sink.log_path(), dir, "oracle");
}

TEST(EventSink, StoreAheadOfLogIsCorrupt) {
  TempDir dir;
  const std::string state = dir.file("state");
  {
    EventSink sink(options(state));
    for (uint64_t r = 1; r <= 3; ++r) sink.append(testlib::make_call(r, 4));
  }
  // Drop the last row: the store has counted a row the log no longer has.
  std::string text = reco::testing::read_file(state + "/events.csv");
  text.pop_back();
  text.erase(text.rfind('\n') + 1);
  reco::testing::write_file(state + "/events.csv", text);
  try {
    EventSink sink(options(state));
    ADD_FAILURE() << "opened a store ahead of its log";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorrupt);
    EXPECT_NE(e.message().find("applied 12 rows"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("has only 11"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find(state + "/memboost"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find(state + "/events.csv"), std::string::npos) << e.message();
  }
  // Same row count but another last request: not this store's log.
  std::string other = reco::testing::read_file(state + "/events.csv");
  for (const Event& e : to_log_events(testlib::make_call(1000, 1), testlib::kTypes, 42)) {
    EventLogAppender::format_row(other, e);
  }
  reco::testing::write_file(state + "/events.csv", other);
  try {
    EventSink sink(options(state));
    ADD_FAILURE() << "opened a store with another log";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorrupt);
    EXPECT_NE(e.message().find("request 1000"), std::string::npos) << e.message();
  }
}

TEST(EventSink, WrongHeaderIsCorrupt) {
  TempDir dir;
  fs::create_directories(dir.file("state"));
  reco::testing::write_file(dir.file("state/events.csv"),
                            EventLogAppender::header({"click", "like"}));
  try {
    EventSink sink(options(dir.file("state")));
    ADD_FAILURE() << "opened a log with other engagement columns";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorrupt);
    EXPECT_NE(e.message().find("click,like"), std::string::npos) << e.message();
  }
}

TEST(EventSink, SeedStoreIsCopiedAndCountsGrowFromIt) {
  TempDir dir;
  // The "bundle's" store, built from its own log.
  std::string seed_log_text = EventLogAppender::header(testlib::kTypes);
  for (uint64_t r = 500; r < 530; ++r) {
    for (const Event& e : to_log_events(testlib::make_call(r, 6), testlib::kTypes, 77)) {
      EventLogAppender::format_row(seed_log_text, e);
    }
  }
  reco::testing::write_file(dir.file("seed.csv"), seed_log_text);
  {
    MemboostStore seed(dir.file("seed"));
    memboost::update_store(seed, dir.file("seed.csv"), *testlib::make_priors(), memboost::UpdateOptions{},
                           RunContext{});
    EXPECT_EQ(seed.cursor().rows_applied, 180u);
  }
  SinkOptions opt = options(dir.file("state"));
  opt.seed_store = dir.file("seed");
  {
    EventSink sink(opt);
    EXPECT_TRUE(sink.stats().seeded);
    EXPECT_EQ(sink.store().cursor().rows_applied, 0u);
    EXPECT_EQ(sink.log_rows(), 0u);
    for (uint64_t r = 1; r <= 10; ++r) sink.append(testlib::make_call(r, 7));
  }
  EXPECT_FALSE(fs::exists(dir.file("state/memboost.seeding")));
  // Reopen: the state has its store now; the seed is not copied again.
  EventSink sink(opt);
  EXPECT_FALSE(sink.stats().seeded);
  EXPECT_EQ(sink.log_rows(), 70u);
  // Oracle: seed log then live log, counted from scratch, equals seed counters + live increments.
  std::string combined = seed_log_text;
  const std::string live = reco::testing::read_file(sink.log_path());
  combined += live.substr(live.find('\n') + 1);
  reco::testing::write_file(dir.file("combined.csv"), combined);
  MemboostStore oracle(dir.file("oracle"));
  memboost::update_store(oracle, dir.file("combined.csv"), *testlib::make_priors(), memboost::UpdateOptions{},
                         RunContext{});
  ASSERT_EQ(sink.store().pair_count(), oracle.pair_count());
  std::set<uint64_t> queries;
  for (const Event& e : read_log(dir.file("combined.csv"))) queries.insert(e.query_item_id);
  for (uint64_t q : queries) {
    const auto got = sink.store().results(q), want = oracle.results(q);
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) expect_counters_near(got[i].second, want[i].second, "seeded pair");
  }
}

// ---- kill -9 ----------------------------------------------------------------------------------

struct Child {
  pid_t pid = -1;
  FILE* out = nullptr;
};

Child spawn_writer(const std::string& state, size_t threads, size_t batch, uint64_t first_id) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  posix_spawn_file_actions_addclose(&actions, fds[1]);
  const std::string exe = RECO_EVENT_SINK_WRITER;
  const std::string t = std::to_string(threads), b = std::to_string(batch), f = std::to_string(first_id);
  std::vector<char*> argv = {const_cast<char*>(exe.c_str()), const_cast<char*>("run"),
                             const_cast<char*>(state.c_str()), const_cast<char*>(t.c_str()),
                             const_cast<char*>(b.c_str()), const_cast<char*>(f.c_str()), nullptr};
  Child c;
  EXPECT_EQ(posix_spawn(&c.pid, exe.c_str(), &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  c.out = ::fdopen(fds[0], "r");
  return c;
}

TEST(EventSink, KillNineLosesNoAcknowledgedEvent) {
  TempDir dir;
  const std::string state = dir.file("state");
  constexpr size_t kBatch = 5;
  std::set<uint64_t> acked;
  const size_t kill_after[] = {3, 40, 150, 17};
  for (size_t round = 0; round < std::size(kill_after); ++round) {
    // Alternate 1 and 4 writer threads: the group-commit path is killed too.
    Child c = spawn_writer(state, round % 2 ? 4 : 1, kBatch, 1 + round * 1000000);
    ASSERT_NE(c.out, nullptr);
    char line[128];
    size_t seen = 0;
    while (seen < kill_after[round] && std::fgets(line, sizeof line, c.out)) {
      unsigned long long id = 0;
      ASSERT_EQ(std::sscanf(line, "acked %llu", &id), 1) << line;
      acked.insert(id);
      ++seen;
    }
    ASSERT_EQ(seen, kill_after[round]) << "the writer stopped early";
    ASSERT_EQ(::kill(c.pid, SIGKILL), 0);
    // Acks printed before the kill are acknowledged too: read the pipe to its end.
    while (std::fgets(line, sizeof line, c.out)) {
      unsigned long long id = 0;
      ASSERT_EQ(std::sscanf(line, "acked %llu", &id), 1) << line;
      acked.insert(id);
    }
    std::fclose(c.out);
    int status = 0;
    ASSERT_EQ(::waitpid(c.pid, &status, 0), c.pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;

    EventSink sink(options(state));
    const auto log = read_log(sink.log_path());
    EXPECT_EQ(sink.log_rows(), log.size());
    EXPECT_EQ(sink.store().cursor().rows_applied, log.size());
    std::map<uint64_t, size_t> rows_of;
    for (const Event& e : log) ++rows_of[e.request_id];
    for (uint64_t id : acked) EXPECT_EQ(rows_of[id], kBatch) << "acknowledged request " << id << " round " << round;
    for (const auto& [id, n] : rows_of) EXPECT_LE(n, kBatch) << "request " << id;
    // Every logged row (acknowledged or not) is counted exactly once.
    expect_store_matches_log(sink.store(), sink.log_path(), dir, "oracle" + std::to_string(round));
  }
}

}  // namespace
}  // namespace reco::serve
