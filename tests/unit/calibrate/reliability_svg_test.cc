// The reliability SVG: well-formed XML, one series per head, escaped text, atomic write.
#include "reco/calibrate/reliability_svg.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "testing/testing.h"

namespace reco::calibrate {
namespace {

std::vector<CalibrationReport> make_heads() {
  std::mt19937_64 rng(8);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<CalibrationReport> heads;
  for (const char* name : {"click", "save & <share> \"now\"", "buy"}) {
    std::vector<float> p, y;
    for (int i = 0; i < 3000; ++i) {
      const double s = u(rng) * u(rng);
      p.push_back(static_cast<float>(s));
      y.push_back(u(rng) < 1.2 * s ? 1.0f : 0.0f);
    }
    heads.push_back(make_calibration_report(name, p, y, {}));
  }
  return heads;
}

// Fallback when no Python: every opened element is closed in order (no self-check of
// attributes; enough to catch a missing close tag).
bool balanced_tags(const std::string& s) {
  std::vector<std::string> stack;
  for (size_t i = s.find('<'); i != std::string::npos; i = s.find('<', i + 1)) {
    if (s.compare(i, 2, "<?") == 0) continue;
    const size_t end = s.find('>', i);
    if (end == std::string::npos) return false;
    const bool closing = s[i + 1] == '/', self = s[end - 1] == '/';
    const size_t name_start = i + (closing ? 2 : 1);
    const size_t name_end = s.find_first_of(" />", name_start);
    const std::string name = s.substr(name_start, name_end - name_start);
    if (closing) {
      if (stack.empty() || stack.back() != name) return false;
      stack.pop_back();
    } else if (!self) {
      stack.push_back(name);
    }
  }
  return stack.empty();
}

TEST(ReliabilitySvg, WellFormedWithOneSeriesPerHead) {
  const auto heads = make_heads();
  const std::string svg = reliability_svg(heads);
  EXPECT_TRUE(balanced_tags(svg));
  EXPECT_NE(svg.find("save &amp; &lt;share&gt; &quot;now&quot;"), std::string::npos);
  EXPECT_EQ(svg.find("<share>"), std::string::npos);
  EXPECT_NE(svg.find("ECE"), std::string::npos);

  testing::TempDir dir;
  const std::string path = dir.file("reliability.svg");
  write_reliability_svg(path, heads);
  EXPECT_EQ(testing::read_file(path), svg);
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) files += e.is_regular_file();
  EXPECT_EQ(files, 1u) << "the temporary file must be renamed away";

  const std::string script = dir.file("check.py");
  testing::write_file(script,
                      "import sys, xml.etree.ElementTree as ET\n"
                      "ns = '{http://www.w3.org/2000/svg}'\n"
                      "root = ET.parse(sys.argv[1]).getroot()\n"
                      "assert root.tag == ns + 'svg', root.tag\n"
                      "series = [g for g in root.iter(ns + 'g') if g.get('class') == 'series']\n"
                      "for g in series:\n"
                      "    assert len(g.findall(ns + 'polyline')) == 1\n"
                      "    assert len(g.findall(ns + 'circle')) >= 3\n"
                      "print('HEADS=' + '|'.join(g.get('data-head') for g in series))\n");
  const auto [code, out] = testing::run_command("/usr/bin/python3 " + script + " " + path);
  if (code == 127 || out.find("No such file") != std::string::npos) {
    GTEST_SKIP() << "/usr/bin/python3 not available: only the balanced-tag check ran";
  }
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("HEADS=click|save & <share> \"now\"|buy"), std::string::npos) << out;
}

TEST(ReliabilitySvg, NoHeadsStillRendersAxes) {
  const std::string svg = reliability_svg({});
  EXPECT_TRUE(balanced_tags(svg));
  EXPECT_EQ(svg.find("class=\"series\""), std::string::npos);
  EXPECT_NE(svg.find("class=\"diagonal\""), std::string::npos);
}

TEST(ReliabilitySvg, WriteFailureIsAnError) {
  testing::TempDir dir;
  EXPECT_THROW(write_reliability_svg(dir.file("no/such/dir/r.svg"), {}), std::exception);
}

}  // namespace
}  // namespace reco::calibrate
