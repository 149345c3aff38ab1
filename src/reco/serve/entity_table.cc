#include "reco/serve/entity_table.h"

#include <algorithm>
#include <charconv>
#include <numeric>

#include "reco/core/container.h"
#include "reco/core/error.h"
#include "reco/data/dataset.h"

namespace reco::serve {

namespace {
constexpr std::string_view kKind = "entities";
constexpr uint32_t kVersion = 1;

std::string join_tokens(const std::vector<std::string>& tokens) {
  std::string out;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (i) out += '\n';
    out += tokens[i];
  }
  return out;
}

std::vector<std::string> split_tokens(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t nl = text.find('\n', start);
    out.emplace_back(text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start));
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return out;
}
}  // namespace

std::string EntityColumn::token(uint32_t id) const {
  if (id < tokens.size()) return tokens[id];
  return tokens.empty() ? std::to_string(id) : std::string();
}

std::vector<uint64_t> raw_ids(const Dataset& ds, const std::string& key_column) {
  const ColumnInfo& info = ds.column(key_column);
  RECO_CHECK(info.storage == ColumnStorage::kU32)
      << ds.path() << ": key column '" << key_column << "' must hold one id per row";
  RECO_CHECK(info.encoding != "hash") << ds.path() << ": key column '" << key_column
                                      << "' is hashed; raw ids cannot be recovered for serving";
  const auto values = ds.u32(key_column);
  std::vector<uint64_t> out(values.size());
  if (ds.has_vocabulary(key_column)) {
    const Vocabulary& v = ds.vocabulary(key_column);
    std::vector<uint64_t> by_id(v.size(), UINT64_MAX);
    for (uint32_t id = 1; id < v.size(); ++id) {
      const std::string_view t = v.token(id);
      uint64_t x = 0;
      const auto r = std::from_chars(t.data(), t.data() + t.size(), x);
      RECO_CHECK(r.ec == std::errc() && r.ptr == t.data() + t.size())
          << ds.path() << ": key column '" << key_column << "' token '" << t << "' is not an unsigned integer id";
      by_id[id] = x;
    }
    for (size_t r = 0; r < values.size(); ++r) out[r] = by_id[values[r]];
  } else {
    for (size_t r = 0; r < values.size(); ++r) out[r] = values[r];
  }
  return out;
}

EntityTable EntityTable::from_dataset(const Dataset& ds, const std::string& key_column,
                                      const std::vector<std::string>& columns) {
  EntityTable t;
  t.key_ = key_column;
  const std::vector<uint64_t> raw = raw_ids(ds, key_column);
  // First row of every key (rows with an OOV key — UINT64_MAX — are not an entity).
  std::unordered_map<uint64_t, uint64_t> first;
  for (uint64_t r = 0; r < raw.size(); ++r)
    if (raw[r] != UINT64_MAX) first.emplace(raw[r], r);
  t.keys_.reserve(first.size());
  for (const auto& [k, r] : first) t.keys_.push_back(k);
  std::sort(t.keys_.begin(), t.keys_.end());
  t.index();
  std::vector<uint64_t> row_of_key(t.keys_.size());
  for (size_t i = 0; i < t.keys_.size(); ++i) row_of_key[i] = first.at(t.keys_[i]);
  std::vector<uint32_t> entity_of_row(raw.size(), kMissingEntity);
  for (uint64_t r = 0; r < raw.size(); ++r)
    if (raw[r] != UINT64_MAX) entity_of_row[r] = t.row(raw[r]);

  for (const std::string& name : columns) {
    const ColumnInfo& info = ds.column(name);
    EntityColumn c;
    c.name = name;
    uint64_t conflicts = 0;
    if (info.storage == ColumnStorage::kF32) {
      const auto v = ds.f32(name);
      c.dense.resize(t.keys_.size());
      for (size_t i = 0; i < t.keys_.size(); ++i) c.dense[i] = v[row_of_key[i]];
      for (uint64_t r = 0; r < v.size(); ++r) {
        const uint32_t e = entity_of_row[r];
        if (e == kMissingEntity) continue;
        const float a = v[r], b = c.dense[e];
        if (a != b && !(a != a && b != b)) {
          ++conflicts;
          if (a > b || b != b) c.dense[e] = a;
        }
      }
    } else if (info.storage == ColumnStorage::kU32) {
      const auto v = ds.u32(name);
      c.categorical = true;
      c.cardinality = info.cardinality;
      c.ids.resize(t.keys_.size());
      for (size_t i = 0; i < t.keys_.size(); ++i) c.ids[i] = v[row_of_key[i]];
      for (uint64_t r = 0; r < v.size(); ++r) {
        const uint32_t e = entity_of_row[r];
        if (e != kMissingEntity && v[r] != c.ids[e]) ++conflicts;
      }
      if (ds.has_vocabulary(name)) {
        const Vocabulary& voc = ds.vocabulary(name);
        c.tokens.resize(voc.size());
        for (uint32_t id = 1; id < voc.size(); ++id) c.tokens[id] = std::string(voc.token(id));
      }
    } else {
      RECO_THROW(ErrorCode::kInvalidArgument) << ds.path() << ": column '" << name
                                              << "' is neither f32 nor a u32 id column; it cannot be served per "
                                              << key_column;
    }
    if (conflicts) t.conflicts_[name] = conflicts;
    t.columns_.push_back(std::move(c));
  }
  return t;
}

void EntityTable::index() {
  row_of_.clear();
  row_of_.reserve(keys_.size());
  for (uint32_t i = 0; i < keys_.size(); ++i) row_of_.emplace(keys_[i], i);
}

uint32_t EntityTable::row(uint64_t raw_id) const {
  const auto it = row_of_.find(raw_id);
  return it == row_of_.end() ? kMissingEntity : it->second;
}

const EntityColumn* EntityTable::column(const std::string& name) const {
  for (const auto& c : columns_)
    if (c.name == name) return &c;
  return nullptr;
}

nlohmann::json EntityTable::attributes(uint32_t row) const {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& c : columns_) {
    if (c.categorical) {
      j[c.name] = c.tokens.empty() ? nlohmann::json(c.ids[row]) : nlohmann::json(c.token(c.ids[row]));
    } else {
      const float v = c.dense[row];
      j[c.name] = v == v ? nlohmann::json(v) : nlohmann::json(nullptr);
    }
  }
  return j;
}

void EntityTable::save(const std::string& path) const {
  ContainerWriter w(path, kKind, kVersion);
  nlohmann::json cols = nlohmann::json::array();
  for (const auto& c : columns_)
    cols.push_back({{"name", c.name}, {"categorical", c.categorical}, {"cardinality", c.cardinality}});
  nlohmann::json meta = {{"key", key_}, {"rows", keys_.size()}, {"columns", cols},
                         {"conflicts", nlohmann::json(conflicts_)}};
  w.add_section("meta", meta.dump());
  w.add_array<uint64_t>("keys", keys_);
  for (const auto& c : columns_) {
    if (c.categorical) {
      w.add_array<uint32_t>("col/" + c.name, c.ids);
      if (!c.tokens.empty()) w.add_section("tok/" + c.name, join_tokens(c.tokens));
    } else {
      w.add_array<float>("col/" + c.name, c.dense);
    }
  }
  w.commit();
}

EntityTable EntityTable::load(const std::string& path) {
  const Container f = Container::open(path, kKind, kVersion);
  EntityTable t;
  nlohmann::json meta;
  try {
    meta = nlohmann::json::parse(f.section_string("meta"));
    t.key_ = meta.at("key").get<std::string>();
    const auto keys = f.array<uint64_t>("keys");
    t.keys_.assign(keys.begin(), keys.end());
    RECO_CHECK_CODE(std::is_sorted(t.keys_.begin(), t.keys_.end()), ErrorCode::kCorrupt)
        << path << ": keys are not ascending";
    for (const auto& jc : meta.at("columns")) {
      EntityColumn c;
      c.name = jc.at("name").get<std::string>();
      c.categorical = jc.at("categorical").get<bool>();
      c.cardinality = jc.at("cardinality").get<uint32_t>();
      if (c.categorical) {
        const auto ids = f.array<uint32_t>("col/" + c.name);
        c.ids.assign(ids.begin(), ids.end());
        RECO_CHECK_CODE(c.ids.size() == t.keys_.size(), ErrorCode::kCorrupt) << path << ": column " << c.name << " size";
        for (uint32_t id : c.ids)
          RECO_CHECK_CODE(id < c.cardinality, ErrorCode::kCorrupt) << path << ": column " << c.name << " id " << id
                                                                   << " >= cardinality " << c.cardinality;
        if (f.has("tok/" + c.name)) c.tokens = split_tokens(f.section_string("tok/" + c.name));
      } else {
        const auto v = f.array<float>("col/" + c.name);
        c.dense.assign(v.begin(), v.end());
        RECO_CHECK_CODE(c.dense.size() == t.keys_.size(), ErrorCode::kCorrupt) << path << ": column " << c.name << " size";
      }
      t.columns_.push_back(std::move(c));
    }
    const nlohmann::json conflicts = meta.value("conflicts", nlohmann::json::object());
    for (const auto& [k, v] : conflicts.items()) t.conflicts_[k] = v.get<uint64_t>();
  } catch (const nlohmann::json::exception& e) {
    RECO_THROW(ErrorCode::kCorrupt) << path << ": bad entity table meta: " << e.what();
  }
  t.index();
  return t;
}

}  // namespace reco::serve
