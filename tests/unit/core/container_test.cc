#include "reco/core/container.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "reco/core/error.h"
#include "testing/testing.h"

namespace reco {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

// Byte offsets of header fields, as documented in container.cc (little-endian):
constexpr size_t kOffContainerVersion = 8;   // u32
constexpr size_t kOffKind = 12;              // 8 chars
constexpr size_t kOffKindVersion = 20;       // u32
constexpr size_t kOffTableOffset = 32;       // u64
constexpr size_t kOffHeaderChecksum = 56;    // u64 = XXH3-64 of bytes [0, 56)
constexpr size_t kEntrySize = 72;            // table entry: name[48], offset, size, checksum

std::string read_bytes(const std::string& path) { return testing::read_file(path); }
void write_bytes(const std::string& path, const std::string& s) { testing::write_file(path, s); }

uint64_t load_u64(const std::string& s, size_t off) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t(static_cast<unsigned char>(s[off + i])) << (8 * i);
  return v;
}
void store_u32(std::string& s, size_t off, uint32_t v) {
  for (int i = 0; i < 4; ++i) s[off + i] = static_cast<char>(v >> (8 * i));
}
void store_u64(std::string& s, size_t off, uint64_t v) {
  for (int i = 0; i < 8; ++i) s[off + i] = static_cast<char>(v >> (8 * i));
}
// Recomputes the header checksum after a deliberate header edit, so the check under test
// (not the header checksum) is the one that fires.
void reseal_header(std::string& s) {
  store_u64(s, kOffHeaderChecksum, checksum64(std::as_bytes(std::span<const char>(s.data(), 56))));
}

template <typename F>
Error expect_error(F&& f, ErrorCode code) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.message();
    return e;
  }
  ADD_FAILURE() << "no reco::Error thrown";
  return Error(ErrorCode::kInternal, "none");
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

std::vector<float> large_floats() {
  std::vector<float> v(10 * 1000 * 1000 / sizeof(float) + 3);  // ~10 MB, odd element count
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (auto& x : v) x = dist(rng);
  return v;
}

// A small valid file: "meta" (text), "ids" (u32 array), "empty".
void write_small(const std::string& path, uint32_t kind_version = 2) {
  ContainerWriter w(path, "dataset", kind_version);
  w.add_section("meta", std::string_view("hello container"));
  std::vector<uint32_t> ids = {1, 2, 3, 5, 8, 13};
  w.add_array<uint32_t>("ids", ids);
  w.add_section("empty", std::span<const std::byte>());
  w.commit();
}

TEST(Container, RoundTripSeveralSectionsIncludingEmptyAndLarge) {
  TempDir dir;
  const std::string path = dir.file("a.reco");
  const auto big = large_floats();
  std::vector<uint64_t> streamed(300001);
  std::iota(streamed.begin(), streamed.end(), uint64_t{1000});
  {
    ContainerWriter w(path, "model", 3);
    w.add_section("name", std::string_view("abc"));  // 3 bytes: next payload must realign
    w.add_section("empty", std::span<const std::byte>());
    w.add_array<float>("big", big);
    // Streaming in uneven pieces, including an empty append.
    w.begin_section("streamed");
    const auto bytes = std::as_bytes(std::span<const uint64_t>(streamed));
    size_t at = 0;
    for (size_t piece : {size_t{0}, size_t{7}, size_t{1 << 21}, size_t{13}}) {
      piece = std::min(piece, bytes.size() - at);
      w.append(bytes.subspan(at, piece));
      at += piece;
    }
    w.append(bytes.subspan(at));
    w.end_section();
    w.begin_section("streamed_empty");
    w.end_section();
    w.add_section("tail", std::string_view("x"));
    w.commit();
  }
  EXPECT_FALSE(fs::exists(path + ".tmp." + std::to_string(::getpid())));

  Container c = Container::open(path, "model", 3);
  EXPECT_EQ(c.path(), path);
  EXPECT_EQ(c.kind(), "model");
  EXPECT_EQ(c.kind_version(), 3u);
  ASSERT_EQ(c.sections().size(), 6u);
  std::vector<std::string> names;
  for (const auto& s : c.sections()) {
    names.push_back(s.name);
    EXPECT_EQ(s.offset % kSectionAlignment, 0u) << s.name;
    EXPECT_GE(s.offset, 64u) << s.name;
    EXPECT_EQ(s.checksum, checksum64(c.section(s.name))) << s.name;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(c.section(s.name).data()) % kSectionAlignment, 0u);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"name", "empty", "big", "streamed", "streamed_empty", "tail"}));
  EXPECT_EQ(c.section_string("name"), "abc");
  EXPECT_EQ(c.section("empty").size(), 0u);
  EXPECT_EQ(c.section("streamed_empty").size(), 0u);
  EXPECT_EQ(c.section_string("tail"), "x");
  auto got_big = c.array<float>("big");
  ASSERT_EQ(got_big.size(), big.size());
  EXPECT_EQ(std::memcmp(got_big.data(), big.data(), big.size() * sizeof(float)), 0);
  auto got_streamed = c.array<uint64_t>("streamed");
  ASSERT_EQ(got_streamed.size(), streamed.size());
  EXPECT_TRUE(std::equal(got_streamed.begin(), got_streamed.end(), streamed.begin()));
  EXPECT_TRUE(c.has("big"));
  EXPECT_FALSE(c.has("nope"));

  // open_any and a move keep working views.
  Container any = Container::open_any(path);
  EXPECT_EQ(any.kind(), "model");
  Container moved = std::move(any);
  EXPECT_EQ(moved.section_string("name"), "abc");
}

TEST(Container, ArrayOfWrongElementSizeIsCorrupt) {
  TempDir dir;
  const std::string path = dir.file("a.reco");
  write_small(path);
  Container c = Container::open(path, "dataset", 2);
  EXPECT_EQ(c.array<uint32_t>("ids").size(), 6u);
  Error e = expect_error([&] { (void)c.array<uint64_t>("meta"); }, ErrorCode::kCorrupt);  // 15 bytes
  EXPECT_TRUE(contains(e.message(), "meta")) << e.message();
}

TEST(Container, MissingSectionNamesFileAndSection) {
  TempDir dir;
  const std::string path = dir.file("a.reco");
  write_small(path);
  Container c = Container::open(path, "dataset", 2);
  Error e = expect_error([&] { (void)c.section("weights"); }, ErrorCode::kCorrupt);
  EXPECT_TRUE(contains(e.message(), "weights")) << e.message();
  EXPECT_TRUE(contains(e.message(), path)) << e.message();
}

TEST(Container, EmptyFileAndTooShortFileAreNotRecoFiles) {
  TempDir dir;
  const std::string path = dir.file("empty.reco");
  write_bytes(path, "");
  Error e = expect_error([&] { Container::open_any(path); }, ErrorCode::kCorrupt);
  EXPECT_TRUE(contains(e.message(), "not a reco file")) << e.message();
  EXPECT_TRUE(contains(e.message(), "empty")) << e.message();
  EXPECT_TRUE(contains(e.message(), path)) << e.message();
  write_bytes(path, "RECOBIN");
  e = expect_error([&] { Container::open_any(path); }, ErrorCode::kCorrupt);
  EXPECT_TRUE(contains(e.message(), "not a reco file")) << e.message();
}

TEST(Container, MissingFileIsNotFound) {
  TempDir dir;
  Error e = expect_error([&] { Container::open_any(dir.file("nope.reco")); }, ErrorCode::kNotFound);
  EXPECT_TRUE(contains(e.message(), "nope.reco")) << e.message();
}

TEST(Container, BadMagic) {
  TempDir dir;
  const std::string path = dir.file("a.reco");
  write_small(path);
  std::string s = read_bytes(path);
  s[0] = 'X';  // magic is bytes [0, 8)
  write_bytes(path, s);
  Error e = expect_error([&] { Container::open(path, "dataset", 2); }, ErrorCode::kCorrupt);
  EXPECT_TRUE(contains(e.message(), "not a reco file")) << e.message();
  EXPECT_TRUE(contains(e.message(), path)) << e.message();
  // A text file is rejected the same way.
  write_bytes(path, std::string(200, 'a'));
  expect_error([&] { Container::open_any(path); }, ErrorCode::kCorrupt);
}

TEST(Container, WrongKind) {
  TempDir dir;
  const std::string path = dir.file("a.reco");
  write_small(path);
  Error e = expect_error([&] { Container::open(path, "model", 9); }, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(contains(e.message(), "is a dataset file, expected model")) << e.message();
  EXPECT_TRUE(contains(e.message(), path)) << e.message();
}

TEST(Container, NewerContainerVersion) {
  TempDir dir;
  const std::string path = dir.file("a.reco");
  write_small(path);
  std::string s = read_bytes(path);
  // A newer writer may change the header layout, so the version is checked before the
  // header checksum: no reseal here.
  store_u32(s, kOffContainerVersion, kContainerVersion + 1);
  write_bytes(path, s);
  Error e = expect_error([&] { Container::open(path, "dataset", 2); }, ErrorCode::kVersion);
  EXPECT_TRUE(contains(e.message(), "newer reco")) << e.message();
  EXPECT_TRUE(contains(e.message(), "container version " + std::to_string(kContainerVersion + 1) +
                                        " > supported " + std::to_string(kContainerVersion)))
      << e.message();
}

TEST(Container, NewerKindVersion) {
  TempDir dir;
  const std::string path = dir.file("a.reco");
  write_small(path, /*kind_version=*/5);
  EXPECT_NO_THROW(Container::open(path, "dataset", 5));
  Error e = expect_error([&] { Container::open(path, "dataset", 4); }, ErrorCode::kVersion);
  EXPECT_TRUE(contains(e.message(), "5 > supported 4")) << e.message();
  // Same via a patched header (resealed so only the kind version differs).
  std::string s = read_bytes(path);
  store_u32(s, kOffKindVersion, 77);
  reseal_header(s);
  write_bytes(path, s);
  e = expect_error([&] { Container::open(path, "dataset", 5); }, ErrorCode::kVersion);
  EXPECT_TRUE(contains(e.message(), "77")) << e.message();
}

TEST(Container, CorruptedHeaderField) {
  TempDir dir;
  const std::string path = dir.file("a.reco");
  write_small(path);
  std::string s = read_bytes(path);
  s[kOffKind] = 'D';  // "Dataset": not resealed, so the header checksum catches it
  write_bytes(path, s);
  Error e = expect_error([&] { Container::open(path, "dataset", 2); }, ErrorCode::kCorrupt);
  EXPECT_TRUE(contains(e.message(), "header checksum")) << e.message();
}

TEST(Container, TruncationAtSeveralPoints) {
  TempDir dir;
  const std::string path = dir.file("a.reco");
  write_small(path);
  const std::string full = read_bytes(path);
  for (size_t cut : {full.size() - 1, full.size() - kEntrySize, full.size() / 2, size_t{65}, size_t{64},
                     size_t{63}, size_t{8}, size_t{1}}) {
    write_bytes(path, full.substr(0, cut));
    Error e = expect_error([&] { Container::open(path, "dataset", 2); }, ErrorCode::kCorrupt);
    EXPECT_TRUE(contains(e.message(), path)) << e.message();
    if (cut >= 64) {
      EXPECT_TRUE(contains(e.message(), "truncated: header says " + std::to_string(full.size()) +
                                            " bytes, file has " + std::to_string(cut)))
          << e.message();
    } else {
      EXPECT_TRUE(contains(e.message(), "not a reco file")) << e.message();
    }
  }
  // Extra bytes appended are rejected as well (the size must match exactly).
  write_bytes(path, full + "junk");
  expect_error([&] { Container::open(path, "dataset", 2); }, ErrorCode::kCorrupt);
}

TEST(Container, CorruptedPayloadByteNamesTheSection) {
  TempDir dir;
  const std::string path = dir.file("a.reco");
  write_small(path);
  uint64_t ids_offset = 0;
  {
    Container c = Container::open(path, "dataset", 2);
    for (const auto& s : c.sections()) if (s.name == "ids") ids_offset = s.offset;
  }
  ASSERT_GT(ids_offset, 0u);
  std::string s = read_bytes(path);
  s[ids_offset + 5] ^= 0x40;
  write_bytes(path, s);
  Error e = expect_error([&] { Container::open(path, "dataset", 2); }, ErrorCode::kCorrupt);
  EXPECT_TRUE(contains(e.message(), "checksum")) << e.message();
  EXPECT_TRUE(contains(e.message(), "'ids'")) << e.message();
  EXPECT_TRUE(contains(e.message(), path)) << e.message();
  // Without verification the file opens (the caller chose speed over the check).
  ContainerOpenOptions fast;
  fast.verify_checksums = false;
  Container c = Container::open(path, "dataset", 2, fast);
  EXPECT_EQ(c.array<uint32_t>("ids").size(), 6u);
}

TEST(Container, CorruptedTable) {
  TempDir dir;
  const std::string path = dir.file("a.reco");
  write_small(path);
  std::string s = read_bytes(path);
  const uint64_t table = load_u64(s, kOffTableOffset);
  ASSERT_EQ(table % kSectionAlignment, 0u);
  ASSERT_EQ(table + 3 * kEntrySize, s.size());
  s[table + kEntrySize + 1] ^= 0x01;  // second entry's name: "ids" -> "ihs"
  write_bytes(path, s);
  Error e = expect_error([&] { Container::open(path, "dataset", 2); }, ErrorCode::kCorrupt);
  EXPECT_TRUE(contains(e.message(), "table checksum")) << e.message();
}

TEST(Container, TableOffsetOutOfBounds) {
  TempDir dir;
  const std::string path = dir.file("a.reco");
  write_small(path);
  std::string s = read_bytes(path);
  store_u64(s, kOffTableOffset, s.size() + 4096);
  reseal_header(s);
  write_bytes(path, s);
  Error e = expect_error([&] { Container::open(path, "dataset", 2); }, ErrorCode::kCorrupt);
  EXPECT_TRUE(contains(e.message(), "out of bounds")) << e.message();
}

TEST(Container, WriterRejectsBadNamesAndKinds) {
  TempDir dir;
  const std::string path = dir.file("a.reco");
  ContainerWriter w(path, "dataset", 1);
  w.add_section("a", std::string_view("1"));
  Error e = expect_error([&] { w.add_section("a", std::string_view("2")); }, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(contains(e.message(), "duplicate section name 'a'")) << e.message();
  expect_error([&] { w.begin_section("a"); }, ErrorCode::kInvalidArgument);
  expect_error([&] { w.add_section(std::string(kMaxSectionName + 1, 'n'), std::string_view()); },
               ErrorCode::kInvalidArgument);
  w.add_section(std::string(kMaxSectionName, 'n'), std::string_view("longest name"));
  expect_error([&] { w.add_section("", std::string_view()); }, ErrorCode::kInvalidArgument);
  expect_error([&] { w.append(std::span<const std::byte>()); }, ErrorCode::kInvalidArgument);
  expect_error([&] { w.end_section(); }, ErrorCode::kInvalidArgument);
  w.begin_section("open");
  expect_error([&] { w.begin_section("other"); }, ErrorCode::kInvalidArgument);
  expect_error([&] { w.commit(); }, ErrorCode::kInvalidArgument);
  w.end_section();
  w.commit();
  Container c = Container::open(path, "dataset", 1);
  EXPECT_EQ(c.section_string(std::string(kMaxSectionName, 'n')), "longest name");
  EXPECT_EQ(c.sections().size(), 3u);

  expect_error([&] { ContainerWriter bad(dir.file("b.reco"), "toolongkind", 1); }, ErrorCode::kInvalidArgument);
  expect_error([&] { ContainerWriter bad(dir.file("b.reco"), "", 1); }, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(dir.file("b.reco")));
}

TEST(Container, WriterDestroyedWithoutCommitLeavesNoFile) {
  TempDir dir;
  const std::string path = dir.file("a.reco");
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    ContainerWriter w(path, "dataset", 1);
    w.add_section("meta", std::string_view("x"));
    EXPECT_TRUE(fs::exists(tmp));
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_FALSE(fs::exists(tmp));
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(Container, AbandonedWriteKeepsOlderFileUntouched) {
  TempDir dir;
  const std::string path = dir.file("a.reco");
  write_small(path);
  const std::string before = read_bytes(path);
  {
    ContainerWriter w(path, "dataset", 2);
    w.add_section("meta", std::string_view("replacement that never lands"));
  }
  EXPECT_EQ(read_bytes(path), before);
  EXPECT_EQ(Container::open(path, "dataset", 2).section_string("meta"), "hello container");
}

TEST(Container, CommitReplacesExistingFile) {
  TempDir dir;
  const std::string path = dir.file("a.reco");
  write_small(path);
  Container old = Container::open(path, "dataset", 2);  // a live mapping of the old file
  {
    ContainerWriter w(path, "dataset", 2);
    w.add_section("meta", std::string_view("new"));
    w.commit();
    EXPECT_EQ(w.path(), path);
  }
  Container c = Container::open(path, "dataset", 2);
  EXPECT_EQ(c.section_string("meta"), "new");
  EXPECT_FALSE(c.has("ids"));
  // The rename does not disturb readers of the old file.
  EXPECT_EQ(old.section_string("meta"), "hello container");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);
}

TEST(Container, UnwritableDirectoryIsIo) {
  TempDir dir;
  Error e = expect_error([&] { ContainerWriter w(dir.file("no/such/dir/a.reco"), "dataset", 1); },
                         ErrorCode::kIo);
  EXPECT_TRUE(contains(e.message(), "no/such/dir/a.reco")) << e.message();
  EXPECT_TRUE(contains(e.message(), std::strerror(ENOENT))) << e.message();
}

TEST(Checksum64, DependsOnEveryByte) {
  std::string a = "abcdefgh", b = "abcdefgi";
  auto h = [](const std::string& s) { return checksum64(std::as_bytes(std::span<const char>(s.data(), s.size()))); };
  EXPECT_NE(h(a), h(b));
  EXPECT_EQ(h(a), h(std::string("abcdefgh")));
  EXPECT_NE(h(""), h(std::string(1, '\0')));
}

}  // namespace
}  // namespace reco
