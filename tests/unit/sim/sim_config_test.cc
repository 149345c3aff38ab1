// SimConfig: TOML over defaults, unknown keys / wrong types / ranges name the key.
#include "reco/sim/sim_config.h"

#include <gtest/gtest.h>

#include "reco/core/error.h"

namespace reco::sim {
namespace {

std::string error_of(const std::string& toml) {
  try {
    SimConfig c;
    c.apply_toml(toml, "sim.toml");
    c.validate();
  } catch (const Error& e) {
    return e.message();
  }
  return "";
}

TEST(SimConfig, TomlOverridesDefaults) {
  SimConfig c;
  c.apply_toml("impressions = 5000\ndownsample = 0.5\n[items]\ncount = 900\n[examination]\neta = [0.5, 0.7, 0.9]\n"
               "[engagement]\nsave_hi = 0.4\n",
               "sim.toml");
  c.validate();
  EXPECT_EQ(c.impressions, 5000);
  EXPECT_EQ(c.downsample, 0.5);
  EXPECT_EQ(c.items, 900);
  EXPECT_EQ(c.exam_eta[2], 0.9);
  EXPECT_EQ(c.save.hi, 0.4);
  EXPECT_EQ(c.users, SimConfig{}.users);
  EXPECT_EQ(c.to_json()["items.count"], 900);
  EXPECT_EQ(c.to_json()["examination.eta"][1], 0.7);
}

TEST(SimConfig, ErrorsNameTheKey) {
  EXPECT_NE(error_of("[items]\ncolour = 3\n").find("'items.colour'"), std::string::npos);
  EXPECT_NE(error_of("bogus = 1\n").find("'bogus'"), std::string::npos);
  EXPECT_NE(error_of("[nonsense]\nx = 1\n").find("'nonsense'"), std::string::npos);
  EXPECT_NE(error_of("[requests]\nlist_size = 0\n").find("'requests.list_size'"), std::string::npos);
  EXPECT_NE(error_of("[items]\ncount = \"many\"\n").find("'items.count'"), std::string::npos);
  EXPECT_NE(error_of("downsample = 0\n").find("'downsample'"), std::string::npos);
  EXPECT_NE(error_of("[examination]\neta = [1, 2]\n").find("'examination.eta'"), std::string::npos);
  EXPECT_NE(error_of("[engagement]\nclick_lo = 0.9\nclick_hi = 0.1\n").find("'engagement.click_hi'"),
            std::string::npos);
  EXPECT_NE(error_of("days = 3\nholdout_days = 4\n").find("'holdout_days'"), std::string::npos);
  EXPECT_EQ(error_of("[users]\ncount = 10\n"), "");
}

}  // namespace
}  // namespace reco::sim
