#include "reco/core/progress.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "reco/core/parallel_for.h"

namespace reco {
namespace {

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

TEST(Progress, FormatLineWithKnownTotal) {
  // 250k of 1M after 2 s: 125k/s, 750k left -> 6 s.
  const std::string line = Progress::format_line("ingest", 250000, 1000000, 2.0, "loss=0.25");
  EXPECT_EQ(line, "ingest  250.0 k/1.0 M  25%  125.0 k/s  ETA 6.0s  elapsed 2.0s  loss=0.25");
}

TEST(Progress, FormatLineWithUnknownTotal) {
  const std::string line = Progress::format_line("scan", 3000000, 0, 120.0, "");
  EXPECT_EQ(line, "scan  3.0 M  25.0 k/s  elapsed 2m00s");
}

TEST(Progress, FormatLineAtStartHasNoRateOrEta) {
  const std::string line = Progress::format_line("train", 0, 100, 0.0, "");
  EXPECT_EQ(line, "train  0/100  0%  elapsed 0ms");
  // Done past the total is clamped to 100% and shows no ETA.
  const std::string over = Progress::format_line("train", 150, 100, 1.0, "");
  EXPECT_TRUE(contains(over, "100%")) << over;
  EXPECT_FALSE(contains(over, "ETA")) << over;
}

TEST(Progress, TerminalGetsRenderedLineAndNewlineAtFinish) {
  std::ostringstream out;
  {
    Progress p("ingest", 10, true, ProgressOutput{&out, true});
    EXPECT_TRUE(p.enabled());
    p.add(3);
    p.update(7);
    p.set_extra("loss=1.5");
    p.add(3);
    EXPECT_EQ(p.done(), 10u);
    p.finish();
    p.finish();  // idempotent
  }
  const std::string s = out.str();
  ASSERT_FALSE(s.empty());
  EXPECT_EQ(s.front(), '\r');
  EXPECT_EQ(s.back(), '\n');
  EXPECT_EQ(std::count(s.begin(), s.end(), '\n'), 1);
  // The final redraw is the last "\r"-started segment.
  const std::string last = s.substr(s.rfind('\r'));
  EXPECT_TRUE(contains(last, "ingest  10/10  100%")) << last;
  EXPECT_TRUE(contains(last, "loss=1.5")) << last;
  EXPECT_TRUE(contains(last, "elapsed")) << last;
}

TEST(Progress, NonTerminalGetsNothing) {
  std::ostringstream out;
  {
    Progress p("ingest", 10, true, ProgressOutput{&out, false});
    EXPECT_FALSE(p.enabled());
    p.add(5);
    p.update(10);
    p.finish();
    EXPECT_EQ(p.done(), 10u);  // still counts
  }
  EXPECT_TRUE(out.str().empty());
}

TEST(Progress, QuietGetsNothingEvenOnTerminal) {
  std::ostringstream out;
  { Progress p("ingest", 0, false, ProgressOutput{&out, true}); p.add(1); }
  EXPECT_TRUE(out.str().empty());
}

TEST(Progress, DestructorFinishes) {
  std::ostringstream out;
  { Progress p("x", 2, true, ProgressOutput{&out, true}); p.add(2); }
  EXPECT_EQ(out.str().back(), '\n');
}

TEST(Progress, ConcurrentAddCountsEverything) {
  std::ostringstream out;
  Progress p("work", 0, true, ProgressOutput{&out, true});
  parallel_for(4, 0, 40000, [&](size_t lo, size_t hi, int) {
    for (size_t i = lo; i < hi; ++i) p.add(1);
  });
  EXPECT_EQ(p.done(), 40000u);
  p.finish();
  const std::string s = out.str();
  EXPECT_TRUE(contains(s.substr(s.rfind('\r')), "work  40.0 k")) << s;
}

}  // namespace
}  // namespace reco
