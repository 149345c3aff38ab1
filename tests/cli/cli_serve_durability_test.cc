// Durability of `reco serve` through the binary (issue 9 "Bars"): clients stream POST /v1/events
// while the server is killed with SIGKILL at three different points; after each restart on the
// same --state every acknowledged event must be in <state>/events.csv (at the rows its ack named)
// and counted in the live Memboost store.
//
// The bundle is built in a temp dir through the CLI (simulate -> priors -> store -> samples ->
// a tiny ranker -> bundle build with the popular source only: the events path is what is tested).
// Synchronization is by acknowledgements (a condition variable) and by polling the server's
// readiness with bounded loops; nothing waits a fixed time for something to happen.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "testing/testing.h"

extern char** environ;

namespace reco {
namespace {

using testing::read_csv;
using testing::reco_binary;
using testing::run_command;
using testing::TempDir;
using testing::write_file;

constexpr int kItems = 5;           // events touch items 0..4, so each item's counters move a lot
constexpr int kClientThreads = 3;   // concurrent calls: the sink groups them into one commit

std::string reco(const std::string& args) { return reco_binary() + " -q --seed 5 --threads 1 " + args; }

void run_ok(const std::string& args) {
  auto [code, out] = run_command(reco(args));
  ASSERT_EQ(code, 0) << args << "\n" << out;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// A `reco serve` child process on an ephemeral port.
class Server {
 public:
  Server(const std::string& bundle, const std::string& state, const std::string& log_prefix) {
    out_ = log_prefix + ".out";
    err_ = log_prefix + ".err";
    std::vector<std::string> args = {reco_binary(), "--json",  "serve",  "--bundle",  bundle, "--state",
                                     state,         "--port",  "0",      "--workers", "2",    "--no-page"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    // The environment as it is: OpenBLAS's pool threads exist before main, and the graceful stop
    // on SIGTERM (asserted below) must hold with them.
    const int rc = posix_spawn(&pid_, args[0].c_str(), &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
      pid_ = -1;
      ADD_FAILURE() << "posix_spawn " << args[0] << ": " << std::strerror(rc);
    }
  }
  ~Server() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Polls (bounded: 60 s) for the --json readiness line, then GET /readyz == 200. False (with a
  /// test failure naming the server's stderr) when the process exits or never gets ready.
  bool wait_ready() {
    for (int i = 0; i < 1200 && pid_ > 0; ++i) {
      const std::string out = slurp(out_);
      const size_t brace = out.find('{');
      if (brace != std::string::npos && out.find('\n', brace) != std::string::npos) {
        const auto j = nlohmann::json::parse(out.substr(brace), nullptr, false);
        if (j.is_object() && j.contains("port")) {
          port_ = j["port"].get<int>();
          httplib::Client c("127.0.0.1", port_);
          auto r = c.Get("/readyz");
          if (r && r->status == 200) return true;
          ADD_FAILURE() << "/readyz after the readiness line: " << (r ? r->status : -1);
          return false;
        }
      }
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        ADD_FAILURE() << "reco serve exited before ready (status " << status << "):\n" << slurp(err_);
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));  // polling interval, not a sync point
    }
    ADD_FAILURE() << "reco serve not ready within 60 s:\n" << slurp(err_);
    return false;
  }

  void kill9() {
    ASSERT_GT(pid_, 0);
    ASSERT_EQ(::kill(pid_, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(pid_, &status, 0), pid_);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
    pid_ = -1;
  }

  /// SIGTERM (graceful stop); the exit status.
  int terminate() {
    if (pid_ <= 0) return -1;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  int port() const { return port_; }
  const std::string& stderr_path() const { return err_; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::string out_, err_;
};

/// One acknowledged POST /v1/events call: its events are rows [log_rows - n, log_rows) of the log.
struct Ack {
  uint64_t request_id = 0;
  int n = 0;
  uint64_t log_rows = 0;
};

// The call for request id `rid`: 1..4 impressions of one request, positions 1..n, some clicked.
int events_in_call(uint64_t rid) { return 1 + static_cast<int>(rid % 4); }
int item_of(uint64_t rid, int pos) { return static_cast<int>((rid * 7 + pos) % kItems); }
bool clicked(uint64_t rid, int pos) { return (rid + pos) % 5 == 0; }

std::string call_body(uint64_t rid) {
  nlohmann::json events = nlohmann::json::array();
  for (int pos = 1; pos <= events_in_call(rid); ++pos) {
    events.push_back({{"request_id", rid},
                      {"user", rid % 50},
                      {"item", item_of(rid, pos)},
                      {"position", pos},
                      {"platform", "ios"},
                      {"engaged", {{"click", clicked(rid, pos) ? 1 : 0}}}});
  }
  return nlohmann::json{{"events", events}}.dump();
}

/// Clients streaming calls until the server goes away; the acks they got, in one list.
class EventStream {
 public:
  explicit EventStream(std::atomic<uint64_t>& next_rid) : next_rid_(next_rid) {}

  /// Streams from kClientThreads threads to `port`; kills the server through `kill` once
  /// `kill_after` calls of this phase are acknowledged, then waits for the clients to stop.
  void run_and_kill(int port, size_t kill_after, const std::function<void()>& kill) {
    const size_t start = acks_.size();
    std::vector<std::thread> clients;
    for (int t = 0; t < kClientThreads; ++t) clients.emplace_back([this, port] { stream(port); });
    {
      std::unique_lock lock(mu_);
      // Bounded: a stalled server fails the test instead of hanging it.
      const bool reached = cv_.wait_for(lock, std::chrono::seconds(30), [&] {
        return acks_.size() - start >= kill_after || failures_ > 0 || stopped_ == kClientThreads;
      });
      EXPECT_TRUE(reached) << "only " << acks_.size() - start << " of " << kill_after << " calls acknowledged in 30 s";
    }
    kill();  // clients are still sending: calls are in flight when the server dies
    for (auto& c : clients) c.join();
    stopped_ = 0;
    EXPECT_EQ(failures_, 0u) << "a call got an HTTP error status (only connection loss is expected)";
  }

  /// One call on a fresh connection; true when acknowledged.
  bool call(int port) {
    const uint64_t rid = next_rid_++;
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(10, 0);
    auto r = c.Post("/v1/events", call_body(rid), "application/json");
    if (!r) return false;  // connection refused/reset: the server died; not acknowledged
    if (r->status != 200) {
      std::lock_guard lock(mu_);
      ++failures_;
      ADD_FAILURE() << "POST /v1/events request " << rid << ": " << r->status << " " << r->body;
      return false;
    }
    const auto j = nlohmann::json::parse(r->body);
    EXPECT_EQ(j["accepted"].get<int>(), events_in_call(rid)) << r->body;
    std::lock_guard lock(mu_);
    acks_.push_back({rid, events_in_call(rid), j["log_rows"].get<uint64_t>()});
    cv_.notify_all();
    return true;
  }

  const std::vector<Ack>& acks() const { return acks_; }

 private:
  void stream(int port) {
    while (call(port)) {
    }
    std::lock_guard lock(mu_);
    ++stopped_;
    cv_.notify_all();
  }

  std::atomic<uint64_t>& next_rid_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Ack> acks_;
  size_t failures_ = 0;
  int stopped_ = 0;
};

/// Counters of (no query, item) in a Memboost store: {impressions, click}; {0, 0} when absent.
std::pair<double, double> item_counters(const std::string& store, int item) {
  auto [code, out] = run_command(reco("--json memboost query --store " + store + " --query none --item " +
                                      std::to_string(item)));
  if (code != 0) {
    EXPECT_NE(out.find("no counters"), std::string::npos) << out;
    return {0, 0};
  }
  const auto j = nlohmann::json::parse(out.substr(out.find('{')));
  const auto& r = j["results"].at(0);
  return {r["impressions"].get<double>(), r["engaged"]["click"].get<double>()};
}

class ServeDurability : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const std::string d = dir_->path().string();
    run_ok("simulate -o " + d + "/sim --impressions 60000 --items 500 --users 300 --downsample 0.5");
    run_ok("memboost priors --events " + d + "/sim/events.csv -o " + d + "/priors.json");
    run_ok("memboost features --events " + d + "/sim/events.csv --priors " + d + "/priors.json -o " + d + "/mb.csv");
    run_ok("memboost update --store " + d + "/memboost --events " + d + "/sim/events.csv --priors " + d +
           "/priors.json");
    run_ok("samples events --events " + d + "/sim/events.csv --truth " + d + "/sim/truth.csv --items " + d +
           "/sim/items.csv --users " + d + "/sim/users.csv --features " + d + "/mb.csv -o " + d + "/s.dataset");
    write_file(d + "/r.toml",
               "[data]\npath = \"s.dataset\"\ndense = [\"item_quality\", \"mb_score\"]\n"
               "sparse = [\"platform\", \"item_category\"]\n[[task]]\nname = \"click\"\nlabel = \"click\"\n"
               "[model]\nkind = \"mlp\"\nhead = \"shared_bottom\"\nembedding_dim = 4\nshared = [8]\ntower = [4, 1]\n"
               "[optimizer]\nkind = \"lazy_adam\"\nlr = 0.005\n[train]\nbatch_size = 256\nepochs = 1\n");
    run_ok("train --config " + d + "/r.toml --out " + d + "/r.model");
    // Interactions (user histories, popular fallback): every logged impression.
    const auto rows = read_csv(d + "/sim/events.csv");
    std::map<std::string, size_t> col;
    for (size_t i = 0; i < rows[0].size(); ++i) col[rows[0][i]] = i;
    std::string inter = "user,item,weight,timestamp\n";
    for (size_t r = 1; r < rows.size(); ++r)
      inter += rows[r][col["user_id"]] + "," + rows[r][col["item_id"]] + ",1," + rows[r][col["timestamp"]] + "\n";
    write_file(d + "/inter.csv", inter);
    run_ok("bundle build --model " + d + "/r.model --dataset " + d + "/s.dataset --interactions " + d +
           "/inter.csv --source popular,quota=100 --priors " + d + "/priors.json --memboost-store " + d +
           "/memboost --name dur -o " + d + "/bundle");
  }
  static void TearDownTestSuite() { delete dir_; }
  static TempDir* dir_;
};
TempDir* ServeDurability::dir_ = nullptr;

TEST_F(ServeDurability, EveryAcknowledgedEventSurvivesKillNine) {
  const std::string d = dir_->path().string();
  ASSERT_TRUE(std::filesystem::exists(d + "/bundle/bundle.json")) << "bundle build failed";
  const std::string bundle = d + "/bundle", state = d + "/state";
  std::atomic<uint64_t> next_rid{1};
  EventStream stream(next_rid);
  uint64_t max_acked_rows = 0;

  // Three kills at different depths of the stream (acknowledged calls in the phase).
  const size_t kill_points[] = {25, 160, 70};
  for (size_t phase = 0; phase < 3; ++phase) {
    Server server(bundle, state, d + "/serve" + std::to_string(phase));
    ASSERT_TRUE(server.wait_ready());
    // After a restart the server's log holds at least every acknowledged row.
    httplib::Client c("127.0.0.1", server.port());
    auto info = c.Get("/v1/bundle");
    ASSERT_TRUE(info && info->status == 200);
    EXPECT_GE(nlohmann::json::parse(info->body)["events"]["log_rows"].get<uint64_t>(), max_acked_rows)
        << "phase " << phase;
    stream.run_and_kill(server.port(), kill_points[phase], [&] { server.kill9(); });
    ASSERT_FALSE(HasFatalFailure());
    for (const Ack& a : stream.acks()) max_acked_rows = std::max(max_acked_rows, a.log_rows);
  }
  ASSERT_GE(stream.acks().size(), 25u + 160u + 70u);

  // Restart once more: recovery runs, the server answers, new events are acknowledged; then a
  // graceful stop so the store can be read.
  {
    Server server(bundle, state, d + "/serve_final");
    ASSERT_TRUE(server.wait_ready());
    for (int i = 0; i < 5; ++i) EXPECT_TRUE(stream.call(server.port()));
    EXPECT_EQ(server.terminate(), 0) << slurp(server.stderr_path());
  }

  // 1. Every acknowledged call is in the log, at the rows its ack named, exactly once.
  const auto rows = read_csv(state + "/events.csv");
  ASSERT_GT(rows.size(), 1u);
  std::map<std::string, size_t> col;
  for (size_t i = 0; i < rows[0].size(); ++i) col[rows[0][i]] = i;
  for (const char* name : {"request_id", "item_id", "position", "query_item_id", "click"})
    ASSERT_TRUE(col.count(name)) << name;
  const uint64_t log_rows = rows.size() - 1;
  std::map<uint64_t, int> rows_of_request;
  for (size_t r = 1; r < rows.size(); ++r) ++rows_of_request[std::stoull(rows[r][col["request_id"]])];
  for (const Ack& a : stream.acks()) {
    ASSERT_LE(a.log_rows, log_rows) << "request " << a.request_id;
    EXPECT_EQ(rows_of_request[a.request_id], a.n) << "request " << a.request_id << " logged once, whole";
    for (int pos = 1; pos <= a.n; ++pos) {
      const auto& row = rows[a.log_rows - a.n + pos];  // row 0 is the header
      EXPECT_EQ(row[col["request_id"]], std::to_string(a.request_id));
      EXPECT_EQ(row[col["position"]], std::to_string(pos));
      EXPECT_EQ(row[col["item_id"]], std::to_string(item_of(a.request_id, pos)));
      EXPECT_EQ(row[col["click"]], clicked(a.request_id, pos) ? "1" : "0");
    }
  }

  // 2. The live store counted every row of the log: counters of each item moved by exactly the
  // log's impressions and clicks of it (every live row has no query item and weight 1) ...
  std::map<int, std::pair<double, double>> logged;
  for (size_t r = 1; r < rows.size(); ++r) {
    EXPECT_EQ(rows[r][col["query_item_id"]], "");
    auto& c = logged[std::stoi(rows[r][col["item_id"]])];
    c.first += 1;
    c.second += rows[r][col["click"]] == "1" ? 1 : 0;
  }
  for (int item = 0; item < kItems; ++item) {
    const auto live = item_counters(state + "/memboost", item);
    const auto seed = item_counters(bundle + "/memboost", item);
    EXPECT_DOUBLE_EQ(live.first - seed.first, logged[item].first) << "impressions of item " << item;
    EXPECT_DOUBLE_EQ(live.second - seed.second, logged[item].second) << "clicks of item " << item;
  }
  // ... and its cursor is at the log's end: an offline update finds nothing left to apply.
  auto [code, out] = run_command(reco("--json memboost update --store " + state + "/memboost --events " + state +
                                      "/events.csv --priors " + bundle + "/priors.json"));
  ASSERT_EQ(code, 0) << out;
  const auto u = nlohmann::json::parse(out.substr(out.find('{')));
  EXPECT_EQ(u["rows_applied"].get<uint64_t>(), 0u) << out;
  EXPECT_EQ(u["cursor"]["rows_applied"].get<uint64_t>(), log_rows) << out;
}

}  // namespace
}  // namespace reco
