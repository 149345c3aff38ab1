#include "reco/data/dataset_summary.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "reco/core/parallel_for.h"

namespace reco {

namespace {

constexpr const char* kSplitNames[3] = {"train", "validation", "test"};

nlohmann::json label_summary(const Dataset& ds, const ColumnInfo& col) {
  auto values = ds.f32(col.name);
  auto split = ds.split();
  uint64_t count = 0, missing = 0, positives = 0;
  double sum = 0;
  bool binary = true;
  uint64_t split_count[3] = {0, 0, 0};
  double split_sum[3] = {0, 0, 0};
  for (size_t r = 0; r < values.size(); ++r) {
    float v = values[r];
    if (std::isnan(v)) {
      ++missing;
      continue;
    }
    ++count;
    sum += v;
    if (v == 1.0f) ++positives;
    else if (v != 0.0f) binary = false;
    if (!split.empty()) {
      ++split_count[split[r]];
      split_sum[split[r]] += v;
    }
  }
  nlohmann::json j = {{"name", col.name}, {"count", count}, {"missing", missing},
                      {"mean", count ? sum / count : 0.0}, {"binary", binary}};
  if (binary) {
    j["positives"] = positives;
    j["rate"] = count ? static_cast<double>(positives) / count : 0.0;
  }
  if (!split.empty()) {
    nlohmann::json by = nlohmann::json::object();
    for (int s = 0; s < 3; ++s) {
      by[kSplitNames[s]] = {{"count", split_count[s]},
                            {binary ? "rate" : "mean", split_count[s] ? split_sum[s] / split_count[s] : 0.0}};
    }
    j["by_split"] = by;
  }
  return j;
}

uint64_t count_distinct(std::span<const uint32_t> ids, uint32_t cardinality) {
  std::vector<bool> seen(std::max<uint32_t>(cardinality, 1), false);
  uint64_t distinct = 0;
  for (uint32_t id : ids) {
    if (id < seen.size() && !seen[id]) {
      seen[id] = true;
      ++distinct;
    }
  }
  return distinct;
}

nlohmann::json column_summary(const Dataset& ds, const ColumnInfo& col) {
  nlohmann::json j = {{"name", col.name},
                      {"role", std::string(column_role_name(col.role))},
                      {"storage", std::string(column_storage_name(col.storage))}};
  if (col.cardinality) j["cardinality"] = col.cardinality;
  if (!col.encoding.empty()) j["encoding"] = col.encoding;
  if (col.details.contains("stats")) j["stats"] = col.details["stats"];
  if (col.details.contains("normalizer")) j["normalizer"] = col.details["normalizer"];
  switch (col.storage) {
    case ColumnStorage::kU32:
      j["distinct"] = count_distinct(ds.u32(col.name), col.cardinality);
      break;
    case ColumnStorage::kMultiHotU32: {
      auto mh = ds.multi_hot(col.name);
      j["distinct"] = count_distinct(mh.values, col.cardinality);
      j["nnz_per_row"] = ds.rows() ? static_cast<double>(mh.values.size()) / ds.rows() : 0.0;
      break;
    }
    case ColumnStorage::kI32: {
      auto v = ds.i32(col.name);
      if (!v.empty()) {
        auto [lo, hi] = std::minmax_element(v.begin(), v.end());
        j["min"] = *lo;
        j["max"] = *hi;
      }
      break;
    }
    case ColumnStorage::kI64: {
      auto v = ds.i64(col.name);
      if (!v.empty()) {
        auto [lo, hi] = std::minmax_element(v.begin(), v.end());
        j["min"] = *lo;
        j["max"] = *hi;
      }
      break;
    }
    case ColumnStorage::kF32:
      if (!col.details.contains("stats")) {
        auto v = ds.f32(col.name);
        double sum = 0;
        uint64_t n = 0;
        for (float x : v) {
          if (!std::isnan(x)) {
            sum += x;
            ++n;
          }
        }
        j["mean"] = n ? sum / n : 0.0;
      }
      break;
  }
  return j;
}

std::string fmt_num(const nlohmann::json& v) {
  if (v.is_number_integer() || v.is_number_unsigned()) return fmt::format("{}", v.get<int64_t>());
  if (v.is_number_float()) return fmt::format("{:.4g}", v.get<double>());
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

}  // namespace

nlohmann::json summarize_dataset(const Dataset& ds, const RunContext& ctx) {
  nlohmann::json out;
  out["path"] = ds.path();
  out["kind"] = std::string(kDatasetKind);
  out["format_version"] = ds.meta().value("format_version", 0);
  out["rows"] = ds.rows();
  std::error_code ec;
  auto bytes = std::filesystem::file_size(ds.path(), ec);
  out["file_bytes"] = ec ? 0 : bytes;

  auto split = ds.split();
  if (!split.empty()) {
    uint64_t counts[3] = {0, 0, 0};
    for (uint8_t s : split) ++counts[s];
    out["split"] = {{"train", counts[0]}, {"validation", counts[1]}, {"test", counts[2]}};
  } else {
    out["split"] = nullptr;
  }

  const auto& cols = ds.columns();
  std::vector<nlohmann::json> col_json(cols.size());
  parallel_tasks(std::max(1, ctx.threads), cols.size(),
                 [&](size_t i, int) { col_json[i] = column_summary(ds, cols[i]); });
  out["columns"] = col_json;

  nlohmann::json labels = nlohmann::json::array();
  for (const auto& c : cols) {
    if (c.role == ColumnRole::kLabel) labels.push_back(label_summary(ds, c));
  }
  out["labels"] = labels;
  out["extra"] = ds.extra();
  return out;
}

std::string format_dataset_summary(const nlohmann::json& s) {
  std::ostringstream o;
  o << fmt::format("dataset  {}\n", s.value("path", ""));
  o << fmt::format("rows     {}   ({:.1f} MiB, format v{})\n", s.value("rows", 0ull),
                   s.value("file_bytes", 0ull) / 1048576.0, s.value("format_version", 0));
  const auto& extra = s["extra"];
  if (extra.contains("schema_name")) o << fmt::format("schema   {}\n", extra["schema_name"].get<std::string>());
  if (extra.contains("sources") && extra["sources"].is_array()) {
    for (const auto& src : extra["sources"]) o << fmt::format("source   {}\n", fmt_num(src));
  }
  if (extra.contains("generator")) o << fmt::format("source   generated: {}\n", extra["generator"].dump());
  if (extra.contains("ingest") && extra["ingest"].is_object()) {
    const auto& r = extra["ingest"];
    o << fmt::format("ingest   rows read {}, written {}, skipped {}", fmt_num(r.value("rows_read", nlohmann::json(0))),
                     fmt_num(r.value("rows_written", nlohmann::json(0))),
                     fmt_num(r.value("rows_skipped", nlohmann::json(0))));
    if (r.contains("comment_lines")) o << fmt::format(", comment lines {}", fmt_num(r["comment_lines"]));
    if (r.contains("blank_lines")) o << fmt::format(", blank lines {}", fmt_num(r["blank_lines"]));
    o << "\n";
  }
  if (extra.contains("downsampling") && extra["downsampling"].is_object() &&
      extra["downsampling"].value("alpha", 1.0) < 1.0) {
    const auto& d = extra["downsampling"];
    o << fmt::format("downsample  alpha {} on label '{}': kept {} of {} negatives\n",
                     fmt_num(d.value("alpha", nlohmann::json(1.0))), d.value("label", std::string()),
                     fmt_num(d.value("kept", nlohmann::json(0))), fmt_num(d.value("seen", nlohmann::json(0))));
  }
  if (!s["split"].is_null()) {
    const auto& sp = s["split"];
    o << fmt::format("split    train {}  validation {}  test {}", fmt_num(sp["train"]), fmt_num(sp["validation"]),
                     fmt_num(sp["test"]));
    if (extra.contains("split")) o << fmt::format("   ({})", fmt_num(extra["split"]));
    o << "\n";
  }

  if (!s["labels"].empty()) {
    o << "\nlabels\n";
    o << fmt::format("  {:<20} {:>10} {:>9} {:>10} {:>9}\n", "name", "count", "missing", "positives", "rate/mean");
    for (const auto& l : s["labels"]) {
      bool binary = l.value("binary", false);
      o << fmt::format("  {:<20} {:>10} {:>9} {:>10} {:>9.4f}\n", l["name"].get<std::string>(), fmt_num(l["count"]),
                       fmt_num(l["missing"]), binary ? fmt_num(l["positives"]) : std::string("-"),
                       binary ? l["rate"].get<double>() : l["mean"].get<double>());
    }
  }

  o << "\ncolumns\n";
  o << fmt::format("  {:<24} {:<12} {:<8} {:>11} {:>10}  {}\n", "name", "role", "storage", "cardinality", "distinct",
                   "statistics");
  for (const auto& c : s["columns"]) {
    std::string stats;
    if (c.contains("stats")) {
      const auto& st = c["stats"];
      stats = fmt::format("mean {} std {} min {} med {} max {} missing {}", fmt_num(st.value("mean", nlohmann::json(0))),
                          fmt_num(st.value("std", nlohmann::json(0))), fmt_num(st.value("min", nlohmann::json(0))),
                          fmt_num(st.value("median", nlohmann::json(0))), fmt_num(st.value("max", nlohmann::json(0))),
                          fmt_num(st.value("missing", nlohmann::json(0))));
      if (c.contains("normalizer") && c["normalizer"].contains("kind")) {
        stats += fmt::format(" -> {}", fmt_num(c["normalizer"]["kind"]));
      }
    } else if (c.contains("min")) {
      stats = fmt::format("min {} max {}", fmt_num(c["min"]), fmt_num(c["max"]));
    } else if (c.contains("nnz_per_row")) {
      stats = fmt::format("{:.2f} ids/row", c["nnz_per_row"].get<double>());
    } else if (c.contains("mean")) {
      stats = fmt::format("mean {}", fmt_num(c["mean"]));
    }
    o << fmt::format("  {:<24} {:<12} {:<8} {:>11} {:>10}  {}\n", c["name"].get<std::string>(),
                     c["role"].get<std::string>(), c["storage"].get<std::string>(),
                     c.contains("cardinality") ? fmt_num(c["cardinality"]) : std::string("-"),
                     c.contains("distinct") ? fmt_num(c["distinct"]) : std::string("-"), stats);
  }
  return o.str();
}

}  // namespace reco
