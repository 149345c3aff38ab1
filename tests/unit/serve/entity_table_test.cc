#include "reco/serve/entity_table.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "reco/core/error.h"
#include "reco/data/dataset.h"
#include "serve_dataset_fixture.h"
#include "testing/testing.h"

namespace reco::serve {
namespace {

using reco::testing::TempDir;

TEST(EntityTable, OneRowPerKeyWithStoredValues) {
  TempDir dir;
  reco::testing::write_serve_dataset(dir.file("d.dataset"));
  const Dataset ds = Dataset::open(dir.file("d.dataset"));
  const EntityTable t = EntityTable::from_dataset(ds, "item_id", {"item_id", "item_category", "item_quality", "item_log_events"});
  ASSERT_EQ(t.rows(), 3u);
  EXPECT_EQ(t.keys(), (std::vector<uint64_t>{10, 11, 12}));
  EXPECT_EQ(t.row(11), 1u);
  EXPECT_EQ(t.row(99), kMissingEntity);
  const EntityColumn* cat = t.column("item_category");
  ASSERT_NE(cat, nullptr);
  EXPECT_TRUE(cat->categorical);
  EXPECT_EQ(cat->token(cat->ids[t.row(11)]), "b");
  EXPECT_FLOAT_EQ(t.column("item_quality")->dense[t.row(12)], 2.0f);
  // Leave-one-out counts disagree per row: the largest (the row without own events) is kept, counted.
  EXPECT_FLOAT_EQ(t.column("item_log_events")->dense[t.row(10)], 1.0f);
  EXPECT_EQ(t.conflicts().at("item_log_events"), 1u);
  EXPECT_FALSE(t.conflicts().count("item_quality"));
  EXPECT_EQ(t.attributes(t.row(11))["item_category"], "b");
}

TEST(EntityTable, SaveLoadRoundTripAndCorruption) {
  TempDir dir;
  reco::testing::write_serve_dataset(dir.file("d.dataset"));
  const Dataset ds = Dataset::open(dir.file("d.dataset"));
  const EntityTable t = EntityTable::from_dataset(ds, "user_id", {"user_id", "user_top_category", "noise"});
  t.save(dir.file("u.table"));
  const EntityTable u = EntityTable::load(dir.file("u.table"));
  EXPECT_EQ(u.key_column(), "user_id");
  EXPECT_EQ(u.keys(), t.keys());
  EXPECT_EQ(u.column("user_top_category")->tokens, t.column("user_top_category")->tokens);
  EXPECT_EQ(u.column("noise")->dense, t.column("noise")->dense);
  EXPECT_EQ(u.conflicts(), t.conflicts());
  // One flipped byte in the payload: the container checksum catches it.
  {
    std::fstream f(dir.file("u.table"), std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(-3, std::ios::end);
    char c = 0;
    f.read(&c, 1);
    f.seekp(-3, std::ios::end);
    c = static_cast<char>(c ^ 1);
    f.write(&c, 1);
  }
  try {
    EntityTable::load(dir.file("u.table"));
    FAIL() << "a corrupted table loaded";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorrupt) << e.what();
  }
}

TEST(EntityTable, RawIdsFromAVocabularyKey) {
  TempDir dir;
  {
    DatasetWriter w(dir.file("v.dataset"));
    w.set_rows(3);
    ColumnInfo c;
    c.name = "item_id";
    c.role = ColumnRole::kItemId;
    c.encoding = "vocab";
    const Vocabulary v = reco::testing::make_vocab({"900001", "77"});
    c.cardinality = static_cast<uint32_t>(v.size());
    w.add_u32(c, std::vector<uint32_t>{1, 2, 1});
    w.add_vocabulary("item_id", v);
    w.commit();
  }
  const Dataset ds = Dataset::open(dir.file("v.dataset"));
  EXPECT_EQ(raw_ids(ds, "item_id"), (std::vector<uint64_t>{900001, 77, 900001}));
  const EntityTable t = EntityTable::from_dataset(ds, "item_id", {"item_id"});
  EXPECT_EQ(t.keys(), (std::vector<uint64_t>{77, 900001}));
}

}  // namespace
}  // namespace reco::serve
