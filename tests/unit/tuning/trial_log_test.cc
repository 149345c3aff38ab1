#include "reco/tuning/trial_log.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "reco/core/error.h"
#include "testing/testing.h"

namespace reco::tuning {
namespace {

const nlohmann::json kHeader = {{"objective", "pr_auc:long_click"}, {"seed", 1}};

Trial make_trial(int64_t id, TrialStatus status) {
  Trial t;
  t.id = id;
  t.status = status;
  t.params = {0.1 * id, 1.0};
  t.unit = {0.01 * id, 0.5};
  if (status == TrialStatus::kComplete) {
    t.value = 0.5 + 0.01 * id;
    t.constraints = {0.1, -0.2 + id};
    t.info = {{"auc:save", 0.7}};
  }
  return t;
}

// A child process appends trials and reports each finished append through a pipe; the parent
// kills it with SIGKILL mid-stream. Every trial whose append returned must survive the reopen.
TEST(TrialLog, SurvivesKillDuringAppends) {
  reco::testing::TempDir tmp;
  const std::string path = tmp.file("trials.jsonl");
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(fds[0]);
    TrialLog log(path, kHeader);
    for (int64_t id = 0;; ++id) {
      log.append(make_trial(id, TrialStatus::kPending));
      log.append(make_trial(id, TrialStatus::kComplete));
      const int64_t done = id;
      if (::write(fds[1], &done, sizeof done) != sizeof done) ::_exit(1);
    }
  }
  ::close(fds[1]);
  int64_t last_done = -1, v = 0;
  while (last_done < 20 && ::read(fds[0], &v, sizeof v) == sizeof v) last_done = v;
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  // Drain what the child reported before it died.
  while (::read(fds[0], &v, sizeof v) == sizeof v) last_done = v;
  ::close(fds[0]);
  ASSERT_TRUE(WIFSIGNALED(status));

  TrialLog log(path, kHeader);
  ASSERT_GE(static_cast<int64_t>(log.trials().size()), last_done + 1);
  for (int64_t id = 0; id <= last_done; ++id) {
    const Trial& t = log.trials()[id];
    EXPECT_EQ(t.id, id);
    EXPECT_EQ(t.status, TrialStatus::kComplete);
    EXPECT_DOUBLE_EQ(t.value, 0.5 + 0.01 * id);
    EXPECT_EQ(t.params, make_trial(id, TrialStatus::kComplete).params);
  }
  // The log keeps working after the reopen.
  const int64_t next = log.next_id();
  log.append(make_trial(next, TrialStatus::kComplete));
  TrialLog again(path, kHeader);
  EXPECT_EQ(again.trials().back().id, next);
  EXPECT_EQ(again.recovered_bytes(), 0u);
}

TEST(TrialLog, TornLastLineIsDroppedAndEarlierRecordsKept) {
  reco::testing::TempDir tmp;
  const std::string path = tmp.file("trials.jsonl");
  {
    TrialLog log(path, kHeader);
    for (int64_t id = 0; id < 3; ++id) log.append(make_trial(id, TrialStatus::kComplete));
  }
  {
    std::ofstream out(path, std::ios::app);
    out << R"({"id": 3, "status": "compl)";  // crash mid-write
  }
  TrialLog log(path, kHeader);
  EXPECT_GT(log.recovered_bytes(), 0u);
  ASSERT_EQ(log.trials().size(), 3u);
  EXPECT_EQ(log.trials()[2].constraints, make_trial(2, TrialStatus::kComplete).constraints);
  EXPECT_EQ(log.trials()[2].info.at("auc:save").get<double>(), 0.7);
  log.append(make_trial(3, TrialStatus::kComplete));
  TrialLog again(path, kHeader);
  EXPECT_EQ(again.trials().size(), 4u);
}

TEST(TrialLog, LastRecordOfAnIdWins) {
  reco::testing::TempDir tmp;
  const std::string path = tmp.file("trials.jsonl");
  {
    TrialLog log(path, kHeader);
    log.append(make_trial(0, TrialStatus::kPending));
    log.append(make_trial(1, TrialStatus::kPending));
    log.append(make_trial(0, TrialStatus::kComplete));
  }
  TrialLog log(path, kHeader);
  ASSERT_EQ(log.trials().size(), 2u);
  EXPECT_EQ(log.trials()[0].status, TrialStatus::kComplete);
  EXPECT_EQ(log.trials()[1].status, TrialStatus::kPending);
  EXPECT_EQ(log.next_id(), 2);
}

TEST(TrialLog, RejectsOtherRunsAndCorruptMiddleLines) {
  reco::testing::TempDir tmp;
  const std::string path = tmp.file("trials.jsonl");
  { TrialLog log(path, kHeader); log.append(make_trial(0, TrialStatus::kComplete)); }
  EXPECT_THROW(TrialLog(path, nlohmann::json{{"objective", "auc:click"}}), Error);
  {
    std::ofstream out(path, std::ios::app);
    out << "garbage\n" << TrialLog::to_json(make_trial(1, TrialStatus::kPending)).dump() << "\n";
  }
  try {
    TrialLog log(path, kHeader);
    FAIL() << "expected a corrupt-log error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorrupt);
    EXPECT_NE(std::string(e.what()).find(":3:"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace reco::tuning
