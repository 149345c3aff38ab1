// Helpers shared by the tests: temporary directories, shared-data lookup with a clear skip.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

namespace reco::testing {

/// A fresh directory under the system temp dir, removed (recursively) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

/// Root of ../shared/data (RECO_SHARED_DATA env set by CTest), or empty when absent.
std::filesystem::path shared_data_dir();

/// Path of a file in ../shared/data; empty if it does not exist.
std::filesystem::path shared_data_file(const std::string& relative);

/// Writes `content` to `path` (binary).
void write_file(const std::string& path, const std::string& content);
std::string read_file(const std::string& path);
/// Rows of a small unquoted CSV file (header included), split on commas; a trailing comma
/// gives a trailing empty cell.
std::vector<std::vector<std::string>> read_csv(const std::string& path);

/// Path of the built `reco` binary (RECO_BIN env set by CTest), for CLI tests.
std::string reco_binary();

/// Runs a shell command, returns {exit status, combined stdout+stderr}.
std::pair<int, std::string> run_command(const std::string& command);

}  // namespace reco::testing

/// Skips the current test with a clear message when a shared dataset file is absent.
#define RECO_REQUIRE_SHARED(var, relative)                                                     \
  const auto var = ::reco::testing::shared_data_file(relative);                                \
  if (var.empty()) {                                                                           \
    GTEST_SKIP() << "SKIP: ../shared/data/" << (relative)                                      \
                 << " not present (tests labelled 'shared_data' need the shared datasets)";    \
  }
