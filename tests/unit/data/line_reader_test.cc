#include "reco/data/line_reader.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>
#include <vector>

#include "reco/core/error.h"
#include "testing/testing.h"

namespace reco {
namespace {

using reco::testing::TempDir;
using reco::testing::write_file;

std::string gzip_bytes(const std::string& text) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&zs, text.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  zs.avail_in = static_cast<uInt>(text.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::vector<std::string> read_all(const std::string& path, size_t buffer = 1 << 20) {
  LineReader r(path, buffer);
  std::vector<std::string> lines;
  std::string_view line;
  while (r.next(line)) {
    lines.emplace_back(line);
    EXPECT_EQ(r.line_number(), static_cast<int64_t>(lines.size()));
  }
  return lines;
}

TEST(LineReader, PlainLinesCrlfAndLastLineWithoutNewline) {
  TempDir dir;
  write_file(dir.file("a.txt"), "a,b\r\n\nc\nlast");
  auto lines = read_all(dir.file("a.txt"));
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], "a,b");
  EXPECT_EQ(lines[1], "");
  EXPECT_EQ(lines[2], "c");
  EXPECT_EQ(lines[3], "last");
}

TEST(LineReader, Utf8ByteOrderMarkIsDropped) {
  TempDir dir;
  write_file(dir.file("bom.csv"), "\xEF\xBB\xBFlabel,x\n1,2\n");
  EXPECT_EQ(read_all(dir.file("bom.csv")), (std::vector<std::string>{"label,x", "1,2"}));
}

TEST(LineReader, LinesLongerThanTheBufferAndRefillBoundaries) {
  TempDir dir;
  std::string text;
  std::vector<std::string> expected;
  for (int i = 0; i < 500; ++i) {
    std::string line(static_cast<size_t>((i * 37) % 300), static_cast<char>('a' + i % 26));
    line += std::to_string(i);
    expected.push_back(line);
    text += line + "\n";
  }
  write_file(dir.file("b.txt"), text);
  EXPECT_EQ(read_all(dir.file("b.txt"), 64), expected);  // tiny buffer: growth + many refills
  EXPECT_EQ(read_all(dir.file("b.txt")), expected);
}

TEST(LineReader, GzipIsDetectedByMagic) {
  TempDir dir;
  std::string text;
  for (int i = 0; i < 20000; ++i) text += std::to_string(i) + "\t" + std::to_string(i * 3) + "\r\n";
  write_file(dir.file("c.dat"), gzip_bytes(text));  // no .gz suffix on purpose
  LineReader r(dir.file("c.dat"));
  EXPECT_TRUE(r.is_gzip());
  std::string_view line;
  int n = 0;
  while (r.next(line)) {
    ASSERT_EQ(line, std::to_string(n) + "\t" + std::to_string(n * 3));
    ++n;
  }
  EXPECT_EQ(n, 20000);
  EXPECT_EQ(r.text_bytes(), text.size());
}

TEST(LineReader, TruncatedGzipNamesFileAndLine) {
  TempDir dir;
  std::string text;
  for (int i = 0; i < 50000; ++i) text += "row " + std::to_string(i * 7919) + "\n";
  std::string gz = gzip_bytes(text);
  write_file(dir.file("t.gz"), gz.substr(0, gz.size() / 2));
  try {
    read_all(dir.file("t.gz"));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kParse);
    EXPECT_NE(e.message().find(dir.file("t.gz") + ":"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("gzip"), std::string::npos) << e.message();
  }
}

TEST(LineReader, CorruptGzipBody) {
  TempDir dir;
  std::string gz = gzip_bytes(std::string(100000, 'x') + "\n");
  for (size_t i = 20; i < gz.size() - 10; i += 7) gz[i] = static_cast<char>(gz[i] ^ 0x5a);
  write_file(dir.file("bad.gz"), gz);
  try {
    read_all(dir.file("bad.gz"));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kParse);
    EXPECT_NE(e.message().find("bad.gz:1: bad gzip stream"), std::string::npos) << e.message();
  }
}

TEST(LineReader, MissingDirectoryAndEmptyFiles) {
  TempDir dir;
  try {
    LineReader r(dir.file("nope.csv"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_NE(e.message().find("nope.csv"), std::string::npos);
  }
  try {
    LineReader r(dir.path().string());
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("directory"), std::string::npos);
  }
  write_file(dir.file("empty.csv"), "");
  try {
    LineReader r(dir.file("empty.csv"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kParse);
    EXPECT_NE(e.message().find("empty.csv: empty file"), std::string::npos);
  }
  write_file(dir.file("empty.gz"), gzip_bytes(""));
  EXPECT_THROW(LineReader(dir.file("empty.gz")), Error);
}

}  // namespace
}  // namespace reco
