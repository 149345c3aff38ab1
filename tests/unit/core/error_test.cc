#include "reco/core/error.h"

#include <gtest/gtest.h>

#include <string>

namespace reco {
namespace {

// Runs `f`, expects a reco::Error, returns it.
template <typename F>
Error catch_error(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no reco::Error thrown";
  return Error(ErrorCode::kInternal, "none");
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

TEST(Error, ThrowCarriesCodeMessageAndLocation) {
  int line = 0;
  Error e = catch_error([&] {
    line = __LINE__ + 1;
    RECO_THROW(ErrorCode::kParse) << "data.csv:" << 12 << ": expected a number";
  });
  EXPECT_EQ(e.code(), ErrorCode::kParse);
  EXPECT_EQ(e.message(), "data.csv:12: expected a number");
  EXPECT_STREQ(e.what(), "data.csv:12: expected a number");
  EXPECT_TRUE(ends_with(e.source_file(), "error_test.cc")) << e.source_file();
  EXPECT_EQ(e.source_line(), line);
}

TEST(Error, CheckPassesSilentlyAndFailsWithInvalidArgument) {
  EXPECT_NO_THROW(RECO_CHECK(1 + 1 == 2) << "never shown");
  int line = 0;
  Error e = catch_error([&] {
    const int rows = -3;
    line = __LINE__ + 1;
    RECO_CHECK(rows > 0) << "rows must be positive, got " << rows;
  });
  EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(e.message().find("rows > 0"), std::string::npos) << e.message();
  EXPECT_NE(e.message().find("rows must be positive, got -3"), std::string::npos) << e.message();
  EXPECT_EQ(e.source_line(), line);
}

TEST(Error, CheckOpShowsBothValues) {
  Error e = catch_error([] {
    const int a = 3, b = 4;
    RECO_CHECK_EQ(a, b) << "dimension";
  });
  EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(e.message().find("(3 vs 4)"), std::string::npos) << e.message();
  EXPECT_NE(e.message().find("dimension"), std::string::npos) << e.message();
  EXPECT_NO_THROW(RECO_CHECK_LT(1, 2));
  EXPECT_THROW(RECO_CHECK_GE(1, 2), Error);
}

TEST(Error, AssertIsInternal) {
  Error e = catch_error([] { RECO_ASSERT(false) << "invariant"; });
  EXPECT_EQ(e.code(), ErrorCode::kInternal);
}

TEST(Error, CodeNamesAndExitCodesAreDistinctWhereTheyMustBe) {
  EXPECT_EQ(error_code_name(ErrorCode::kParse), "parse");
  EXPECT_EQ(error_code_name(ErrorCode::kCorrupt), "corrupt");
  EXPECT_EQ(exit_code(ErrorCode::kInvalidArgument), 2);
  EXPECT_NE(exit_code(ErrorCode::kIo), 0);
  EXPECT_EQ(http_status(ErrorCode::kNotFound), 404);
  EXPECT_EQ(http_status(ErrorCode::kParse), 400);
}

}  // namespace
}  // namespace reco
