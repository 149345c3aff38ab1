#include "reco/core/text_writer.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "reco/core/error.h"
#include "testing/testing.h"

namespace reco {
namespace {

TEST(TextWriter, FileAppearsOnlyAtCommit) {
  testing::TempDir dir;
  const std::string path = dir.file("out.csv");
  {
    TextWriter w(path);
    w.write("a,");
    w.write_int(-12);
    w.write_char(',');
    w.write_uint(7);
    w.write_char(',');
    w.write_float(0.25);
    w.write_char('\n');
    EXPECT_FALSE(std::filesystem::exists(path));
    w.commit();
    EXPECT_EQ(w.bytes_written(), 13u);
  }
  EXPECT_EQ(testing::read_file(path), "a,-12,7,0.25\n");
  {
    TextWriter abandoned(path);
    abandoned.write("half");
  }  // destroyed without commit: the old file stays, no temporary is left
  EXPECT_EQ(testing::read_file(path), "a,-12,7,0.25\n");
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) files += e.is_regular_file();
  EXPECT_EQ(files, 1u);
}

TEST(TextWriter, DevicesAreWrittenInPlaceNotReplaced) {
  {
    TextWriter w("/dev/null");
    w.write("discarded\n");
    w.commit();
  }
  struct stat st {};
  ASSERT_EQ(::stat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode)) << "/dev/null must stay a character device";
  testing::TempDir dir;
  EXPECT_THROW(TextWriter(dir.path().string()), Error);
}

}  // namespace
}  // namespace reco
