#include "reco/data/dataset.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "reco/core/container.h"
#include "reco/core/error.h"
#include "testing/testing.h"

namespace reco {
namespace {

using reco::testing::TempDir;

ErrorCode code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code();
  }
  return ErrorCode::kInternal;  // "no throw" sentinel; tests compare against the expected code
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.message();
  }
  return "";
}

Vocabulary make_vocab(std::vector<std::string> tokens) {
  VocabularyBuilder b;
  for (const auto& t : tokens) b.add(t);
  return b.finalize().vocabulary;
}

TEST(Dataset, RoundTripEveryStorage) {
  TempDir dir;
  const std::string path = dir.file("d.reco");
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> label{1, 0, nan, 1};
  std::vector<float> dense{0.5f, -1.25f, 3.0f, 0.0f};
  Vocabulary city = make_vocab({"paris", "lyon", "paris", ""});
  std::vector<uint32_t> city_ids{city.lookup("paris"), city.lookup("lyon"), city.lookup(""),
                                 city.lookup("paris")};
  std::vector<int32_t> pos{1, 2, 0, 3};
  std::vector<int64_t> ts{1700000000, -5, 1700000100, int64_t{1} << 40};
  std::vector<uint64_t> offsets{0, 2, 2, 5, 6};
  std::vector<uint32_t> values{1, 3, 0, 2, 9, 4};
  std::vector<float> weights{0.5f, 0.5f, 1, 1, 1, 2};
  std::vector<uint64_t> tag_offsets{0, 1, 1, 1, 3};
  std::vector<uint32_t> tag_values{7, 0, 5};
  std::vector<uint8_t> split{0, 1, 2, 0};
  {
    DatasetWriter w(path);
    w.set_rows(4);
    w.add_f32({"click", ColumnRole::kLabel, ColumnStorage::kF32, 0, "", {{"positive", {"1"}}}}, label);
    w.add_f32({"price", ColumnRole::kDense, ColumnStorage::kF32, 0, "", {{"normalizer", "zscore"}}}, dense);
    w.add_u32({"city", ColumnRole::kCategorical, ColumnStorage::kU32, static_cast<uint32_t>(city.size()), "vocab", {}},
              city_ids);
    w.add_i32({"pos", ColumnRole::kPosition, ColumnStorage::kI32, 0, "", {}}, pos);
    w.add_i64({"ts", ColumnRole::kTimestamp, ColumnStorage::kI64, 0, "", {}}, ts);
    w.add_multi_hot({"genres", ColumnRole::kMultiHot, ColumnStorage::kMultiHotU32, 10, "hash", {}}, offsets,
                    values, weights);
    w.add_multi_hot({"tags", ColumnRole::kMultiHot, ColumnStorage::kMultiHotU32, 8, "identity", {}},
                    tag_offsets, tag_values);
    w.add_vocabulary("city", city);
    w.set_split(split);
    w.set_extra({{"source", {"a.csv"}}, {"rows_read", 4}});
    w.commit();
  }
  Dataset d = Dataset::open(path);
  EXPECT_EQ(d.rows(), 4u);
  ASSERT_EQ(d.columns().size(), 7u);
  EXPECT_EQ(d.columns()[0].name, "click");
  EXPECT_EQ(d.columns()[5].name, "genres");
  EXPECT_EQ(d.labels(), std::vector<std::string>{"click"});
  auto l = d.f32("click");
  ASSERT_EQ(l.size(), 4u);
  EXPECT_EQ(l[0], 1.0f);
  EXPECT_TRUE(std::isnan(l[2]));
  EXPECT_EQ(std::vector<float>(d.f32("price").begin(), d.f32("price").end()), dense);
  EXPECT_EQ(std::vector<uint32_t>(d.u32("city").begin(), d.u32("city").end()), city_ids);
  EXPECT_EQ(std::vector<int32_t>(d.i32("pos").begin(), d.i32("pos").end()), pos);
  EXPECT_EQ(std::vector<int64_t>(d.i64("ts").begin(), d.i64("ts").end()), ts);
  MultiHotView g = d.multi_hot("genres");
  EXPECT_EQ(std::vector<uint64_t>(g.offsets.begin(), g.offsets.end()), offsets);
  EXPECT_EQ(std::vector<uint32_t>(g.values.begin(), g.values.end()), values);
  EXPECT_EQ(std::vector<float>(g.weights.begin(), g.weights.end()), weights);
  EXPECT_EQ(g.row(2).size(), 3u);
  EXPECT_EQ(g.row(2)[2], 9u);
  MultiHotView t = d.multi_hot("tags");
  EXPECT_TRUE(t.weights.empty());
  EXPECT_EQ(t.row(3).size(), 2u);
  const ColumnInfo& c = d.column("city");
  EXPECT_EQ(c.cardinality, city.size());
  EXPECT_EQ(c.encoding, "vocab");
  EXPECT_EQ(d.column("price").details["normalizer"], "zscore");
  ASSERT_TRUE(d.has_vocabulary("city"));
  EXPECT_FALSE(d.has_vocabulary("genres"));
  const Vocabulary& v = d.vocabulary("city");
  EXPECT_EQ(&v, &d.vocabulary("city"));  // cached
  EXPECT_EQ(v.size(), city.size());
  EXPECT_EQ(v.token(city_ids[1]), "lyon");
  EXPECT_EQ(v.lookup(""), city.lookup(""));
  EXPECT_EQ(v.count(v.lookup("paris")), 2u);
  EXPECT_EQ(std::vector<uint8_t>(d.split().begin(), d.split().end()), split);
  EXPECT_EQ(d.extra()["rows_read"], 4);
  EXPECT_EQ(d.meta()["format_version"], kDatasetVersion);

  // Typed access errors.
  EXPECT_EQ(code_of([&] { d.u32("price"); }), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code_of([&] { d.f32("nope"); }), ErrorCode::kNotFound);
  EXPECT_NE(message_of([&] { d.column("nope"); }).find("city"), std::string::npos);
  EXPECT_EQ(code_of([&] { d.vocabulary("genres"); }), ErrorCode::kNotFound);

  // Moving keeps spans valid.
  auto span_before = d.f32("price");
  Dataset moved = std::move(d);
  EXPECT_EQ(moved.f32("price").data(), span_before.data());
}

TEST(Dataset, NoSplitMeansEmptySpan) {
  TempDir dir;
  const std::string path = dir.file("d.reco");
  DatasetWriter w(path);
  w.set_rows(2);
  std::vector<float> x{1, 2};
  w.add_f32({"x", ColumnRole::kDense, ColumnStorage::kF32, 0, "", {}}, x);
  w.commit();
  Dataset d = Dataset::open(path);
  EXPECT_TRUE(d.split().empty());
  EXPECT_TRUE(d.labels().empty());
  EXPECT_TRUE(d.extra().is_object());
}

TEST(DatasetWriter, RejectsBadInput) {
  TempDir dir;
  const std::string path = dir.file("bad.reco");
  std::vector<float> three{1, 2, 3};
  std::vector<float> two{1, 2};
  std::vector<uint32_t> ids{0, 5};
  {
    DatasetWriter w(path);
    EXPECT_EQ(code_of([&] { w.add_f32({"x", ColumnRole::kDense, ColumnStorage::kF32, 0, "", {}}, two); }),
              ErrorCode::kInvalidArgument);  // set_rows first
    w.set_rows(2);
    std::string msg = message_of([&] { w.add_f32({"lenx", ColumnRole::kDense, ColumnStorage::kF32, 0, "", {}}, three); });
    EXPECT_NE(msg.find("lenx"), std::string::npos) << msg;
    w.add_f32({"x", ColumnRole::kDense, ColumnStorage::kF32, 0, "", {}}, two);
    EXPECT_THROW(w.add_f32({"x", ColumnRole::kDense, ColumnStorage::kF32, 0, "", {}}, two), Error);  // duplicate
    EXPECT_THROW(w.add_f32({"c", ColumnRole::kCategorical, ColumnStorage::kF32, 0, "", {}}, two), Error);  // role
    msg = message_of([&] { w.add_u32({"cat", ColumnRole::kCategorical, ColumnStorage::kU32, 5, "hash", {}}, ids); });
    EXPECT_NE(msg.find("cat"), std::string::npos);
    EXPECT_NE(msg.find("cardinality"), std::string::npos);
    EXPECT_THROW(w.add_u32({"nocard", ColumnRole::kCategorical, ColumnStorage::kU32, 0, "hash", {}}, ids), Error);
    std::vector<uint64_t> bad_offsets{0, 2, 1};
    std::vector<uint32_t> vals{1};
    EXPECT_THROW(w.add_multi_hot({"m", ColumnRole::kMultiHot, ColumnStorage::kMultiHotU32, 4, "", {}},
                                 bad_offsets, vals),
                 Error);
    std::vector<uint64_t> offsets{0, 1, 1};
    std::vector<float> w2{1, 2};
    EXPECT_THROW(w.add_multi_hot({"m", ColumnRole::kMultiHot, ColumnStorage::kMultiHotU32, 4, "", {}}, offsets,
                                 vals, w2),
                 Error);
    std::vector<uint8_t> split{0, 3};
    EXPECT_THROW(w.set_split(split), Error);
    EXPECT_THROW(w.add_f32({std::string(40, 'n'), ColumnRole::kDense, ColumnStorage::kF32, 0, "", {}}, two), Error);
    // A vocabulary whose size differs from the column's cardinality fails at commit.
    std::vector<uint32_t> ok_ids{0, 1};
    w.add_u32({"u", ColumnRole::kUserId, ColumnStorage::kU32, 3, "vocab", {}}, ok_ids);
    w.add_vocabulary("u", make_vocab({"a"}));
    EXPECT_THROW(w.commit(), Error);
  }
  // The failed writer left no file.
  EXPECT_FALSE(std::filesystem::exists(path));
}

// Writes a dataset container by hand, bypassing DatasetWriter's checks.
void write_raw(const std::string& path, const nlohmann::json& meta,
               const std::function<void(ContainerWriter&)>& sections) {
  ContainerWriter w(path, kDatasetKind, kDatasetVersion);
  sections(w);
  w.add_section("meta", meta.dump());
  w.commit();
}

nlohmann::json meta_with(const std::vector<ColumnInfo>& cols, uint64_t rows) {
  nlohmann::json c = nlohmann::json::array();
  for (const auto& i : cols) c.push_back(column_info_to_json(i));
  return {{"format_version", 1}, {"rows", rows}, {"columns", c}, {"vocabularies", nlohmann::json::array()},
          {"has_split", false}, {"extra", nlohmann::json::object()}};
}

TEST(Dataset, CorruptFilesRejected) {
  TempDir dir;
  const std::string path = dir.file("c.reco");
  auto expect_corrupt = [&](const std::string& column_in_message) {
    try {
      Dataset::open(path);
      FAIL() << "corrupt dataset accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kCorrupt) << e.what();
      EXPECT_NE(e.message().find(path), std::string::npos) << e.message();
      EXPECT_NE(e.message().find(column_in_message), std::string::npos) << e.message();
    }
  };
  // id >= cardinality
  std::vector<uint32_t> ids{0, 1, 7};
  ColumnInfo cat{"cat", ColumnRole::kCategorical, ColumnStorage::kU32, 7, "hash", {}};
  write_raw(path, meta_with({cat}, 3), [&](ContainerWriter& w) { w.add_array<uint32_t>("col/cat", ids); });
  expect_corrupt("cat");
  // ...but accepted when id validation is off (the caller takes responsibility).
  DatasetOpenOptions lax;
  lax.validate_ids = false;
  EXPECT_NO_THROW(Dataset::open(path, lax));

  // wrong length
  write_raw(path, meta_with({cat}, 4), [&](ContainerWriter& w) { w.add_array<uint32_t>("col/cat", ids); });
  expect_corrupt("cat");

  // multi-hot offsets decreasing / out of range / ids too big
  ColumnInfo mh{"tags", ColumnRole::kMultiHot, ColumnStorage::kMultiHotU32, 10, "", {}};
  std::vector<uint32_t> vals{1, 2, 3};
  for (std::vector<uint64_t> offs : {std::vector<uint64_t>{0, 2, 1, 3}, std::vector<uint64_t>{0, 1, 2, 4},
                                     std::vector<uint64_t>{1, 1, 2, 3}}) {
    write_raw(path, meta_with({mh}, 3), [&](ContainerWriter& w) {
      w.add_array<uint64_t>("col/tags/offsets", offs);
      w.add_array<uint32_t>("col/tags/values", vals);
    });
    expect_corrupt("tags");
  }
  std::vector<uint64_t> good_offs{0, 1, 2, 3};
  std::vector<uint32_t> big{1, 2, 10};
  write_raw(path, meta_with({mh}, 3), [&](ContainerWriter& w) {
    w.add_array<uint64_t>("col/tags/offsets", good_offs);
    w.add_array<uint32_t>("col/tags/values", big);
  });
  expect_corrupt("tags");

  // missing section
  ColumnInfo x{"x", ColumnRole::kDense, ColumnStorage::kF32, 0, "", {}};
  write_raw(path, meta_with({x}, 3), [&](ContainerWriter&) {});
  expect_corrupt("x");

  // bad meta
  write_raw(path, nlohmann::json{{"rows", 3}}, [&](ContainerWriter&) {});
  expect_corrupt("meta");
}

}  // namespace
}  // namespace reco
