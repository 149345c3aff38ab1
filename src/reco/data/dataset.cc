#include "reco/data/dataset.h"

#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include "reco/core/container.h"
#include "reco/core/error.h"

namespace reco {

namespace {

constexpr std::string_view kMetaSection = "meta";
constexpr std::string_view kSplitSection = "split";

std::string col_section(std::string_view name) { return "col/" + std::string(name); }
std::string col_section(std::string_view name, std::string_view part) {
  return "col/" + std::string(name) + "/" + std::string(part);
}
std::string vocab_section(std::string_view name, std::string_view part) {
  return "vocab/" + std::string(name) + "/" + std::string(part);
}

ColumnStorage parse_storage(std::string_view name) {
  for (auto s : {ColumnStorage::kF32, ColumnStorage::kU32, ColumnStorage::kI32, ColumnStorage::kI64,
                 ColumnStorage::kMultiHotU32}) {
    if (column_storage_name(s) == name) return s;
  }
  RECO_THROW(ErrorCode::kCorrupt) << "unknown column storage '" << name << "'";
}

bool has_ids(ColumnStorage s) { return s == ColumnStorage::kU32 || s == ColumnStorage::kMultiHotU32; }

}  // namespace

nlohmann::json column_info_to_json(const ColumnInfo& info) {
  return {{"name", info.name},
          {"role", std::string(column_role_name(info.role))},
          {"storage", std::string(column_storage_name(info.storage))},
          {"cardinality", info.cardinality},
          {"encoding", info.encoding},
          {"details", info.details.is_null() ? nlohmann::json::object() : info.details}};
}

ColumnInfo column_info_from_json(const nlohmann::json& j) {
  RECO_CHECK_CODE(j.is_object(), ErrorCode::kCorrupt) << "column entry must be a JSON object";
  auto get = [&](const char* key) -> const nlohmann::json& {
    auto it = j.find(key);
    RECO_CHECK_CODE(it != j.end(), ErrorCode::kCorrupt) << "column entry lacks '" << key << "'";
    return *it;
  };
  ColumnInfo info;
  try {
    info.name = get("name").get<std::string>();
    try {
      info.role = parse_column_role(get("role").get<std::string>());
    } catch (const Error& e) {
      RECO_THROW(ErrorCode::kCorrupt) << "column '" << info.name << "': " << e.message();
    }
    info.storage = parse_storage(get("storage").get<std::string>());
    info.cardinality = get("cardinality").get<uint32_t>();
    info.encoding = get("encoding").get<std::string>();
    info.details = get("details");
  } catch (const nlohmann::json::exception& e) {
    RECO_THROW(ErrorCode::kCorrupt) << "column '" << info.name << "': mistyped field: " << e.what();
  }
  RECO_CHECK_CODE(info.details.is_object(), ErrorCode::kCorrupt)
      << "column '" << info.name << "': details must be an object";
  return info;
}

// =======================================================================================
// DatasetWriter

struct DatasetWriter::Impl {
  explicit Impl(std::string p) : path(std::move(p)), container(path, kDatasetKind, kDatasetVersion) {}
  std::string path;
  ContainerWriter container;
  bool rows_set = false;
  uint64_t rows = 0;
  std::vector<ColumnInfo> columns;
  std::map<std::string, size_t, std::less<>> by_name;
  std::map<std::string, uint64_t, std::less<>> vocab_sizes;
  bool has_split = false;
  nlohmann::json extra = nlohmann::json::object();
  bool committed = false;

  // Checks common to every add_*; fixes info.storage to the call's storage.
  void begin_column(ColumnInfo& info, ColumnStorage storage) {
    RECO_CHECK(!committed) << "dataset " << path << " already committed";
    RECO_CHECK(rows_set) << "dataset " << path << ": set_rows() must come before column '"
                         << info.name << "'";
    RECO_CHECK(!info.name.empty()) << "dataset " << path << ": column name is empty";
    RECO_CHECK(info.name.find('/') == std::string::npos)
        << "dataset " << path << ": column name '" << info.name << "' contains '/'";
    RECO_CHECK(info.name.size() <= kMaxDatasetColumnName)
        << "dataset " << path << ": column name '" << info.name << "' is too long (max "
        << kMaxDatasetColumnName << " bytes)";
    RECO_CHECK(by_name.find(info.name) == by_name.end())
        << "dataset " << path << ": column '" << info.name << "' added twice";
    RECO_CHECK(info.role != ColumnRole::kIgnore)
        << "dataset " << path << ": column '" << info.name << "' has role ignore";
    RECO_CHECK(storage_for(info.role) == storage)
        << "dataset " << path << ": column '" << info.name << "' has role "
        << column_role_name(info.role) << " which is stored as "
        << column_storage_name(storage_for(info.role)) << ", not " << column_storage_name(storage);
    info.storage = storage;
    if (info.details.is_null()) info.details = nlohmann::json::object();
    RECO_CHECK(info.details.is_object())
        << "dataset " << path << ": column '" << info.name << "' details must be a JSON object";
    if (has_ids(storage)) {
      RECO_CHECK(info.cardinality > 0)
          << "dataset " << path << ": id column '" << info.name << "' needs cardinality > 0";
    } else {
      RECO_CHECK(info.cardinality == 0)
          << "dataset " << path << ": column '" << info.name << "' is not an id column but has cardinality "
          << info.cardinality;
    }
  }

  void check_length(const ColumnInfo& info, size_t n) const {
    RECO_CHECK(n == rows) << "dataset " << path << ": column '" << info.name << "' has " << n
                          << " values, expected rows = " << rows;
  }

  void check_ids(const ColumnInfo& info, std::span<const uint32_t> ids) const {
    for (size_t i = 0; i < ids.size(); ++i) {
      if (ids[i] >= info.cardinality) {
        RECO_THROW(ErrorCode::kInvalidArgument)
            << "dataset " << path << ": column '" << info.name << "' value " << ids[i] << " at index "
            << i << " is >= cardinality " << info.cardinality;
      }
    }
  }

  void finish_column(ColumnInfo info) {
    by_name.emplace(info.name, columns.size());
    columns.push_back(std::move(info));
  }

  template <typename T>
  void add_plain(ColumnInfo info, ColumnStorage storage, std::span<const T> values) {
    begin_column(info, storage);
    check_length(info, values.size());
    if constexpr (std::is_same_v<T, uint32_t>) check_ids(info, values);
    container.add_array<T>(col_section(info.name), values);
    finish_column(std::move(info));
  }
};

DatasetWriter::DatasetWriter(std::string path) : impl_(std::make_unique<Impl>(std::move(path))) {}
DatasetWriter::~DatasetWriter() = default;

void DatasetWriter::set_rows(uint64_t rows) {
  RECO_CHECK(!impl_->rows_set || impl_->columns.empty())
      << "dataset " << impl_->path << ": set_rows() after columns were added";
  impl_->rows = rows;
  impl_->rows_set = true;
}

uint64_t DatasetWriter::rows() const { return impl_->rows; }
const std::string& DatasetWriter::path() const { return impl_->path; }

void DatasetWriter::add_f32(ColumnInfo info, std::span<const float> values) {
  impl_->add_plain(std::move(info), ColumnStorage::kF32, values);
}
void DatasetWriter::add_u32(ColumnInfo info, std::span<const uint32_t> values) {
  impl_->add_plain(std::move(info), ColumnStorage::kU32, values);
}
void DatasetWriter::add_i32(ColumnInfo info, std::span<const int32_t> values) {
  impl_->add_plain(std::move(info), ColumnStorage::kI32, values);
}
void DatasetWriter::add_i64(ColumnInfo info, std::span<const int64_t> values) {
  impl_->add_plain(std::move(info), ColumnStorage::kI64, values);
}

void DatasetWriter::add_multi_hot(ColumnInfo info, std::span<const uint64_t> offsets,
                                  std::span<const uint32_t> values, std::span<const float> weights) {
  Impl& w = *impl_;
  w.begin_column(info, ColumnStorage::kMultiHotU32);
  RECO_CHECK(offsets.size() == w.rows + 1)
      << "dataset " << w.path << ": multi-hot column '" << info.name << "' has " << offsets.size()
      << " offsets, expected rows + 1 = " << w.rows + 1;
  RECO_CHECK(offsets[0] == 0) << "dataset " << w.path << ": multi-hot column '" << info.name
                              << "' offsets must start at 0";
  for (size_t r = 1; r < offsets.size(); ++r) {
    if (offsets[r] < offsets[r - 1]) {
      RECO_THROW(ErrorCode::kInvalidArgument)
          << "dataset " << w.path << ": multi-hot column '" << info.name << "' offsets decrease at row "
          << r - 1;
    }
  }
  RECO_CHECK(offsets.back() == values.size())
      << "dataset " << w.path << ": multi-hot column '" << info.name << "' offsets end at "
      << offsets.back() << " but there are " << values.size() << " values";
  RECO_CHECK(weights.empty() || weights.size() == values.size())
      << "dataset " << w.path << ": multi-hot column '" << info.name << "' has " << weights.size()
      << " weights for " << values.size() << " values";
  w.check_ids(info, values);
  w.container.add_array<uint64_t>(col_section(info.name, "offsets"), offsets);
  w.container.add_array<uint32_t>(col_section(info.name, "values"), values);
  if (!weights.empty()) w.container.add_array<float>(col_section(info.name, "weights"), weights);
  info.details["weighted"] = !weights.empty();
  w.finish_column(std::move(info));
}

void DatasetWriter::add_vocabulary(std::string_view column, const Vocabulary& vocabulary) {
  Impl& w = *impl_;
  RECO_CHECK(!w.committed) << "dataset " << w.path << " already committed";
  RECO_CHECK(w.vocab_sizes.find(column) == w.vocab_sizes.end())
      << "dataset " << w.path << ": vocabulary of column '" << column << "' added twice";
  RECO_CHECK(column.find('/') == std::string_view::npos && column.size() <= kMaxDatasetColumnName)
      << "dataset " << w.path << ": bad vocabulary column name '" << column << "'";
  w.container.add_array<uint64_t>(vocab_section(column, "offsets"), vocabulary.offsets());
  w.container.add_section(vocab_section(column, "bytes"), vocabulary.bytes());
  w.container.add_array<uint64_t>(vocab_section(column, "counts"), vocabulary.counts());
  w.vocab_sizes.emplace(std::string(column), vocabulary.size());
}

void DatasetWriter::set_split(std::span<const uint8_t> split) {
  Impl& w = *impl_;
  RECO_CHECK(!w.committed) << "dataset " << w.path << " already committed";
  RECO_CHECK(w.rows_set) << "dataset " << w.path << ": set_rows() must come before set_split()";
  RECO_CHECK(!w.has_split) << "dataset " << w.path << ": split set twice";
  RECO_CHECK(split.size() == w.rows) << "dataset " << w.path << ": split has " << split.size()
                                     << " entries, expected rows = " << w.rows;
  for (size_t i = 0; i < split.size(); ++i) {
    if (split[i] > 2) {
      RECO_THROW(ErrorCode::kInvalidArgument)
          << "dataset " << w.path << ": split value " << int(split[i]) << " at row " << i
          << " (expected 0 train, 1 validation, 2 test)";
    }
  }
  w.container.add_array<uint8_t>(kSplitSection, split);
  w.has_split = true;
}

void DatasetWriter::set_extra(nlohmann::json extra) {
  RECO_CHECK(extra.is_object()) << "dataset " << impl_->path << ": extra must be a JSON object";
  impl_->extra = std::move(extra);
}

void DatasetWriter::commit() {
  Impl& w = *impl_;
  RECO_CHECK(!w.committed) << "dataset " << w.path << " already committed";
  RECO_CHECK(w.rows_set) << "dataset " << w.path << ": set_rows() was never called";
  nlohmann::json vocabs = nlohmann::json::array();
  for (const auto& [name, size] : w.vocab_sizes) {
    auto it = w.by_name.find(name);
    RECO_CHECK(it != w.by_name.end())
        << "dataset " << w.path << ": vocabulary for unknown column '" << name << "'";
    const ColumnInfo& info = w.columns[it->second];
    RECO_CHECK(has_ids(info.storage) && info.cardinality == size)
        << "dataset " << w.path << ": column '" << name << "' has cardinality " << info.cardinality
        << " but its vocabulary has " << size << " ids";
    vocabs.push_back(name);
  }
  nlohmann::json columns = nlohmann::json::array();
  for (const auto& c : w.columns) columns.push_back(column_info_to_json(c));
  nlohmann::json meta = {{"format_version", kDatasetVersion}, {"rows", w.rows},
                         {"columns", std::move(columns)},     {"vocabularies", std::move(vocabs)},
                         {"has_split", w.has_split},          {"extra", w.extra}};
  w.container.add_section(kMetaSection, meta.dump());
  w.container.commit();
  w.committed = true;
}

// =======================================================================================
// Dataset

struct Dataset::Impl {
  Container container;
  nlohmann::json meta;
  uint64_t rows = 0;
  std::vector<ColumnInfo> columns;
  std::map<std::string, size_t, std::less<>> by_name;
  std::set<std::string, std::less<>> vocab_names;
  std::span<const uint8_t> split;
  mutable std::mutex vocab_mutex;
  mutable std::map<std::string, std::unique_ptr<Vocabulary>, std::less<>> vocab_cache;

  explicit Impl(Container c) : container(std::move(c)) {}

  [[noreturn]] void corrupt(std::string_view column, const std::string& what) const {
    RECO_THROW(ErrorCode::kCorrupt) << "dataset " << container.path() << ": column '" << column
                                    << "': " << what;
  }

  template <typename T>
  std::span<const T> array(std::string_view column, const std::string& section) const {
    if (!container.has(section)) corrupt(column, "missing section '" + section + "'");
    return container.array<T>(section);
  }

  void check_rows(std::string_view column, size_t n, uint64_t expected) const {
    if (n != expected) {
      corrupt(column, "has " + std::to_string(n) + " values, expected " + std::to_string(expected));
    }
  }

  void check_ids(const ColumnInfo& info, std::span<const uint32_t> ids) const {
    for (size_t i = 0; i < ids.size(); ++i) {
      if (ids[i] >= info.cardinality) {
        corrupt(info.name, "id " + std::to_string(ids[i]) + " at index " + std::to_string(i) +
                               " is >= cardinality " + std::to_string(info.cardinality));
      }
    }
  }

  void validate_column(const ColumnInfo& info, const DatasetOpenOptions& options) const {
    if (info.role == ColumnRole::kIgnore || storage_for(info.role) != info.storage) {
      corrupt(info.name, "role " + std::string(column_role_name(info.role)) + " with storage " +
                             std::string(column_storage_name(info.storage)));
    }
    if (has_ids(info.storage) && info.cardinality == 0) corrupt(info.name, "id column with cardinality 0");
    switch (info.storage) {
      case ColumnStorage::kF32: check_rows(info.name, array<float>(info.name, col_section(info.name)).size(), rows); break;
      case ColumnStorage::kI32: check_rows(info.name, array<int32_t>(info.name, col_section(info.name)).size(), rows); break;
      case ColumnStorage::kI64: check_rows(info.name, array<int64_t>(info.name, col_section(info.name)).size(), rows); break;
      case ColumnStorage::kU32: {
        auto ids = array<uint32_t>(info.name, col_section(info.name));
        check_rows(info.name, ids.size(), rows);
        if (options.validate_ids) check_ids(info, ids);
        break;
      }
      case ColumnStorage::kMultiHotU32: {
        auto offsets = array<uint64_t>(info.name, col_section(info.name, "offsets"));
        auto values = array<uint32_t>(info.name, col_section(info.name, "values"));
        check_rows(info.name, offsets.size(), rows + 1);
        if (offsets[0] != 0) corrupt(info.name, "offsets do not start at 0");
        for (size_t r = 1; r < offsets.size(); ++r) {
          if (offsets[r] < offsets[r - 1]) {
            corrupt(info.name, "offsets decrease at row " + std::to_string(r - 1));
          }
        }
        if (offsets.back() != values.size()) {
          corrupt(info.name, "offsets end at " + std::to_string(offsets.back()) + " but there are " +
                                 std::to_string(values.size()) + " values");
        }
        std::string wsec = col_section(info.name, "weights");
        if (container.has(wsec)) check_rows(info.name, container.array<float>(wsec).size(), values.size());
        if (options.validate_ids) check_ids(info, values);
        break;
      }
    }
  }

  const ColumnInfo& column(std::string_view name) const {
    auto it = by_name.find(name);
    if (it == by_name.end()) {
      std::ostringstream names;
      for (size_t i = 0; i < columns.size(); ++i) names << (i ? ", " : "") << columns[i].name;
      RECO_THROW(ErrorCode::kNotFound) << "dataset " << container.path() << " has no column '" << name
                                       << "' (columns: " << names.str() << ")";
    }
    return columns[it->second];
  }

  const ColumnInfo& typed(std::string_view name, ColumnStorage storage) const {
    const ColumnInfo& info = column(name);
    RECO_CHECK(info.storage == storage)
        << "dataset " << container.path() << ": column '" << name << "' is stored as "
        << column_storage_name(info.storage) << ", not " << column_storage_name(storage);
    return info;
  }
};

Dataset::Dataset() = default;
Dataset::Dataset(Dataset&&) noexcept = default;
Dataset& Dataset::operator=(Dataset&&) noexcept = default;
Dataset::~Dataset() = default;

Dataset Dataset::open(const std::string& path, OpenOptions options) {
  ContainerOpenOptions copts;
  copts.verify_checksums = options.verify_checksums;
  Dataset ds;
  ds.impl_ = std::make_unique<Impl>(Container::open(path, kDatasetKind, kDatasetVersion, copts));
  Impl& d = *ds.impl_;
  auto bad_meta = [&](const std::string& what) {
    RECO_THROW(ErrorCode::kCorrupt) << "dataset " << path << ": meta: " << what;
  };
  if (!d.container.has(kMetaSection)) bad_meta("section missing");
  try {
    d.meta = nlohmann::json::parse(d.container.section_string(kMetaSection));
  } catch (const nlohmann::json::exception& e) {
    bad_meta(std::string("invalid JSON: ") + e.what());
  }
  if (!d.meta.is_object()) bad_meta("not an object");
  for (const char* key : {"rows", "columns", "vocabularies", "has_split", "extra"}) {
    if (!d.meta.contains(key)) bad_meta(std::string("lacks '") + key + "'");
  }
  if (!d.meta["rows"].is_number_unsigned()) bad_meta("'rows' is not an unsigned number");
  if (!d.meta["columns"].is_array() || !d.meta["vocabularies"].is_array() ||
      !d.meta["has_split"].is_boolean() || !d.meta["extra"].is_object()) {
    bad_meta("mistyped columns/vocabularies/has_split/extra");
  }
  d.rows = d.meta["rows"].get<uint64_t>();
  for (const auto& cj : d.meta["columns"]) {
    ColumnInfo info;
    try {
      info = column_info_from_json(cj);
    } catch (const Error& e) {
      bad_meta(e.message());
    }
    if (d.by_name.count(info.name)) bad_meta("column '" + info.name + "' listed twice");
    d.by_name.emplace(info.name, d.columns.size());
    d.columns.push_back(std::move(info));
  }
  for (const auto& c : d.columns) d.validate_column(c, options);
  for (const auto& vj : d.meta["vocabularies"]) {
    if (!vj.is_string()) bad_meta("vocabulary names must be strings");
    std::string name = vj.get<std::string>();
    auto it = d.by_name.find(name);
    if (it == d.by_name.end()) bad_meta("vocabulary for unknown column '" + name + "'");
    auto counts = d.array<uint64_t>(name, vocab_section(name, "counts"));
    auto offsets = d.array<uint64_t>(name, vocab_section(name, "offsets"));
    if (!d.container.has(vocab_section(name, "bytes"))) d.corrupt(name, "missing vocabulary bytes");
    if (counts.size() != d.columns[it->second].cardinality || offsets.size() != counts.size() + 1) {
      d.corrupt(name, "vocabulary has " + std::to_string(counts.size()) + " ids but cardinality is " +
                          std::to_string(d.columns[it->second].cardinality));
    }
    d.vocab_names.insert(name);
  }
  if (d.meta["has_split"].get<bool>()) {
    if (!d.container.has(kSplitSection)) bad_meta("has_split but no split section");
    d.split = d.container.array<uint8_t>(kSplitSection);
    d.check_rows("split", d.split.size(), d.rows);
    if (options.validate_ids) {
      for (size_t i = 0; i < d.split.size(); ++i) {
        if (d.split[i] > 2) d.corrupt("split", "value " + std::to_string(d.split[i]) + " at row " + std::to_string(i));
      }
    }
  }
  return ds;
}

const std::string& Dataset::path() const { return impl_->container.path(); }
uint64_t Dataset::rows() const { return impl_->rows; }
const std::vector<ColumnInfo>& Dataset::columns() const { return impl_->columns; }
bool Dataset::has(std::string_view name) const { return impl_->by_name.count(name) > 0; }
const ColumnInfo& Dataset::column(std::string_view name) const { return impl_->column(name); }

std::span<const float> Dataset::f32(std::string_view name) const {
  impl_->typed(name, ColumnStorage::kF32);
  return impl_->container.array<float>(col_section(name));
}
std::span<const uint32_t> Dataset::u32(std::string_view name) const {
  impl_->typed(name, ColumnStorage::kU32);
  return impl_->container.array<uint32_t>(col_section(name));
}
std::span<const int32_t> Dataset::i32(std::string_view name) const {
  impl_->typed(name, ColumnStorage::kI32);
  return impl_->container.array<int32_t>(col_section(name));
}
std::span<const int64_t> Dataset::i64(std::string_view name) const {
  impl_->typed(name, ColumnStorage::kI64);
  return impl_->container.array<int64_t>(col_section(name));
}

MultiHotView Dataset::multi_hot(std::string_view name) const {
  impl_->typed(name, ColumnStorage::kMultiHotU32);
  const Container& c = impl_->container;
  MultiHotView view;
  view.offsets = c.array<uint64_t>(col_section(name, "offsets"));
  view.values = c.array<uint32_t>(col_section(name, "values"));
  std::string wsec = col_section(name, "weights");
  if (c.has(wsec)) view.weights = c.array<float>(wsec);
  return view;
}

bool Dataset::has_vocabulary(std::string_view column) const { return impl_->vocab_names.count(column) > 0; }

const Vocabulary& Dataset::vocabulary(std::string_view column) const {
  const Impl& d = *impl_;
  if (!has_vocabulary(column)) {
    d.column(column);  // throws kNotFound listing the columns when the column itself is unknown
    RECO_THROW(ErrorCode::kNotFound) << "dataset " << path() << ": column '" << column
                                     << "' has no vocabulary (encoding '" << d.column(column).encoding
                                     << "')";
  }
  std::lock_guard<std::mutex> lock(d.vocab_mutex);
  auto it = d.vocab_cache.find(column);
  if (it != d.vocab_cache.end()) return *it->second;
  try {
    auto v = std::make_unique<Vocabulary>(d.container.array<uint64_t>(vocab_section(column, "offsets")),
                                          d.container.section_string(vocab_section(column, "bytes")),
                                          d.container.array<uint64_t>(vocab_section(column, "counts")));
    return *d.vocab_cache.emplace(std::string(column), std::move(v)).first->second;
  } catch (const Error& e) {
    if (e.code() != ErrorCode::kCorrupt) throw;
    d.corrupt(column, "vocabulary: " + e.message());
  }
}

std::span<const uint8_t> Dataset::split() const { return impl_->split; }

std::vector<std::string> Dataset::labels() const {
  std::vector<std::string> out;
  for (const auto& c : impl_->columns) {
    if (c.role == ColumnRole::kLabel) out.push_back(c.name);
  }
  return out;
}

const nlohmann::json& Dataset::meta() const { return impl_->meta; }
const nlohmann::json& Dataset::extra() const { return impl_->meta.at("extra"); }

}  // namespace reco
