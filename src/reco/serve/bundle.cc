#include "reco/serve/bundle.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <set>

#include <fmt/format.h>

#include "reco/calibrate/reliability.h"
#include "reco/core/container.h"
#include "reco/core/error.h"
#include "reco/core/text_writer.h"
#include "reco/data/dataset.h"
#include "reco/memboost/counters.h"
#include "reco/memboost/position_priors.h"
#include "reco/models/model_file.h"
#include "reco/retrieval/interactions.h"
#include "reco/serve/candidate_sources.h"
#include "reco/serve/entity_table.h"
#include "reco/serve/feature_plan.h"
#include "reco/train/trainer.h"

namespace reco::serve {

namespace fs = std::filesystem;

namespace {

std::string read_whole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  RECO_CHECK_CODE(in, ErrorCode::kIo) << "cannot read " << path;
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return s;
}

// Through TextWriter (fsynced, renamed into place): bundle.json last means "the bundle is complete".
void write_text(const std::string& path, const std::string& text) {
  TextWriter w(path);
  w.write(text);
  w.commit();
}

void copy_file(const std::string& from, const fs::path& to) {
  std::error_code ec;
  RECO_CHECK_CODE(fs::is_regular_file(from, ec), ErrorCode::kNotFound) << "no such file: " << from;
  fs::create_directories(to.parent_path());
  fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
  RECO_CHECK_CODE(!ec, ErrorCode::kIo) << "cannot copy " << from << " to " << to.string() << ": " << ec.message();
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Every regular file under `dir` (relative paths, sorted), except bundle.json.
std::vector<std::string> list_files(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    const std::string rel = fs::relative(e.path(), dir).generic_string();
    if (rel != "bundle.json") out.push_back(rel);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Copies a source's artifact(s) into sources/ and returns the spec rewritten with bundle paths.
std::string bundle_source(const SourceSpec& spec, const fs::path& dir, std::set<std::string>& used) {
  auto place = [&](const std::string& from) {
    std::string name = fs::path(from).filename().string();
    for (int i = 2; used.count(name); ++i) name = fmt::format("{}-{}", i, fs::path(from).filename().string());
    used.insert(name);
    copy_file(from, dir / "sources" / name);
    return "sources/" + name;
  };
  std::string text = spec.kind;
  if (!spec.path.empty()) text += ":" + place(spec.path);
  for (const auto& [k, v] : spec.params) text += "," + k + "=" + (k == "ann" ? place(v) : v);
  return text;
}

nlohmann::json reliability(const models::LoadedModel& loaded, const Dataset& ds, size_t max_rows,
                           const RunContext& ctx) {
  nlohmann::json out = nlohmann::json::object();
  const auto split = ds.split();
  if (max_rows == 0) return out;
  std::vector<uint64_t> rows;
  for (uint8_t want : {uint8_t{2}, uint8_t{1}}) {
    if (split.empty()) break;
    for (uint64_t r = 0; r < split.size(); ++r)
      if (split[r] == want) rows.push_back(r);
    if (!rows.empty()) break;
  }
  if (rows.empty()) return out;  // no held-out rows: no honest reliability plot
  if (rows.size() > max_rows) {
    std::vector<uint64_t> kept;
    for (size_t i = 0; i < max_rows; ++i) kept.push_back(rows[i * rows.size() / max_rows]);
    rows.swap(kept);
  }
  const auto& features = loaded.model.features();
  for (const auto& t : features.tasks)
    if (!ds.has(t.label)) return out;
  auto p = train::predict_rows(loaded.model, ds, rows, ctx, false, 4096, /*position_logged=*/true);
  loaded.scoring.calibrate(p);
  const size_t nt = features.tasks.size();
  for (size_t t = 0; t < nt; ++t) {
    std::vector<float> pt(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) pt[i] = p[i * nt + t];
    const auto labels = models::task_labels(features.tasks[t], ds, rows);
    const auto diagram = calibrate::ReliabilityDiagram::build(pt, labels, {});
    nlohmann::json bins = nlohmann::json::array();
    for (const auto& b : diagram.bins())
      if (b.count > 0) bins.push_back({{"p", b.mean_prediction}, {"rate", b.fraction_positive}, {"count", b.count}});
    out[features.tasks[t].name] = bins;
  }
  return out;
}

}  // namespace

std::string file_checksum(const std::string& path) {
  const std::string bytes = read_whole(path);
  return fmt::format("{:016x}", checksum64(std::as_bytes(std::span(bytes.data(), bytes.size()))));
}

nlohmann::json build_bundle(const BundleOptions& o, const std::string& out, const RunContext& ctx) {
  RECO_CHECK(!o.model.empty() && !o.dataset.empty()) << "bundle build needs --model and --dataset";
  std::error_code ec;
  RECO_CHECK(o.force || !fs::exists(out, ec)) << out << " exists (bundles are immutable: pick a new directory, "
                                                     "or --force to replace it)";
  RECO_CHECK(o.memboost_store.empty() || !o.priors.empty()) << "--memboost-store needs --priors";
  const fs::path tmp = out + ".tmp-" + std::to_string(getpid());
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp);
  struct Cleanup {
    fs::path p;
    bool armed = true;
    ~Cleanup() {
      std::error_code e;
      if (armed) fs::remove_all(p, e);
    }
  } cleanup{tmp};

  auto loaded = models::load_model(o.model);
  const Dataset ds = Dataset::open(o.dataset);
  const auto& features = loaded.model.features();
  models::check_features(features, ds, /*require_label=*/false);
  RECO_CHECK_CODE(loaded.extra.value("loss", std::string("bce")) != "mse", ErrorCode::kUnsupported)
      << o.model << ": a regression model has no probability heads to serve";

  nlohmann::json manifest = {{"format", kBundleFormat}, {"format_version", kBundleVersion}, {"name", o.name},
                             {"created", utc_now()}};
  std::vector<std::string> types;
  std::vector<double> mb_weights;
  if (!o.priors.empty()) {
    const auto priors = memboost::PositionPriors::load(o.priors);
    types = priors.types();
    mb_weights = memboost::parse_type_weights(o.memboost_weights, types);
    priors.save((tmp / "priors.json").string());
  }
  const bool position_table = features.position.method == models::PositionMethod::kFeature ||
                              features.position.method == models::PositionMethod::kTower;
  const FeaturePlan plan = FeaturePlan::derive(features, position_table, ds, types, mb_weights, o.memboost_smoothing);
  write_text((tmp / "features.json").string(), plan.to_json().dump(2) + "\n");

  const EntityTable items = EntityTable::from_dataset(ds, plan.item_key, plan.item_columns);
  items.save((tmp / "items.table").string());
  nlohmann::json conflicts = nlohmann::json(items.conflicts());
  nlohmann::json counts = {{"items", items.rows()}};
  if (!plan.user_key.empty()) {
    const EntityTable users = EntityTable::from_dataset(ds, plan.user_key, plan.user_columns);
    users.save((tmp / "users.table").string());
    for (const auto& [k, v] : users.conflicts()) conflicts[k] = v;
    counts["users"] = users.rows();
  }
  copy_file(o.model, tmp / "ranker.model");

  std::vector<Interaction> train;
  if (!o.interactions.empty()) {
    train = read_interactions(o.interactions);
    write_interactions((tmp / "interactions.csv").string(), train);
    counts["interactions"] = train.size();
  }
  nlohmann::json sources = nlohmann::json::array();
  std::set<std::string> used;
  for (const auto& text : o.sources) {
    const SourceSpec spec = parse_source_spec(text);
    RECO_CHECK(spec.kind != "popular" || !train.empty()) << "source '" << text << "' needs --interactions";
    const std::string rewritten = bundle_source(spec, tmp, used);
    sources.push_back({{"spec", rewritten}, {"label", spec.label}, {"kind", spec.kind}, {"quota", spec.quota}});
  }
  manifest["sources"] = sources;
  manifest["candidates"] = o.candidates;
  if (!o.priors.empty()) {
    nlohmann::json mb = {{"priors", "priors.json"}, {"store", nullptr}};
    if (!o.memboost_store.empty()) {
      RECO_CHECK_CODE(fs::is_directory(o.memboost_store, ec), ErrorCode::kNotFound)
          << "--memboost-store " << o.memboost_store << " is not a directory";
      fs::copy(o.memboost_store, tmp / "memboost", fs::copy_options::recursive, ec);
      RECO_CHECK_CODE(!ec, ErrorCode::kIo) << "cannot copy " << o.memboost_store << ": " << ec.message();
      // A store's lock and info logs are process state, not content.
      for (const auto& f : list_files(tmp / "memboost"))
        if (f == "LOCK" || f.rfind("LOG", 0) == 0) fs::remove(tmp / "memboost" / f, ec);
      mb["store"] = "memboost";
    }
    manifest["memboost"] = mb;
  } else {
    manifest["memboost"] = nullptr;
  }
  manifest["reliability"] = reliability(loaded, ds, o.reliability_rows, ctx);
  manifest["dataset"] = {{"path", o.dataset}, {"rows", ds.rows()}};
  manifest["model"] = {{"path", o.model}, {"heads", features.task_names()}};
  manifest["counts"] = counts;
  manifest["conflicts"] = conflicts;

  nlohmann::json files = nlohmann::json::object();
  std::string fingerprint;
  for (const auto& rel : list_files(tmp)) {
    const std::string path = (tmp / rel).string();
    const std::string sum = file_checksum(path);
    const uint64_t bytes = fs::file_size(path);
    files[rel] = {{"bytes", bytes}, {"xxh3", sum}};
    fingerprint += rel + '\0' + std::to_string(bytes) + '\0' + sum + '\n';
  }
  manifest["files"] = files;
  manifest["version"] = fmt::format(
      "{}-{:016x}", o.name, checksum64(std::as_bytes(std::span(fingerprint.data(), fingerprint.size()))));
  write_text((tmp / "bundle.json").string(), manifest.dump(2) + "\n");

  if (fs::exists(out, ec)) {
    const fs::path old = out + ".old-" + std::to_string(getpid());
    fs::rename(out, old);
    fs::rename(tmp, out);
    fs::remove_all(old, ec);
  } else {
    fs::rename(tmp, out);
  }
  cleanup.armed = false;
  return manifest;
}

nlohmann::json verify_bundle(const std::string& dir) {
  const fs::path root(dir);
  const std::string mpath = (root / "bundle.json").string();
  std::error_code ec;
  RECO_CHECK_CODE(fs::is_regular_file(mpath, ec), ErrorCode::kNotFound)
      << dir << ": no bundle.json (not a bundle, or a build that did not finish)";
  nlohmann::json m;
  try {
    m = nlohmann::json::parse(read_whole(mpath));
  } catch (const nlohmann::json::exception& e) {
    RECO_THROW(ErrorCode::kCorrupt) << mpath << ": " << e.what();
  }
  RECO_CHECK_CODE(m.value("format", std::string()) == kBundleFormat, ErrorCode::kCorrupt)
      << mpath << ": not a reco bundle manifest (format '" << m.value("format", std::string()) << "')";
  RECO_CHECK_CODE(m.value("format_version", 0u) <= kBundleVersion, ErrorCode::kVersion)
      << mpath << ": bundle format version " << m.value("format_version", 0u) << " is newer than this reco ("
      << kBundleVersion << ")";
  RECO_CHECK_CODE(m.contains("files") && m["files"].is_object() && m.contains("version"), ErrorCode::kCorrupt)
      << mpath << ": manifest lacks 'files' or 'version'";
  std::set<std::string> listed;
  for (const auto& [rel, info] : m["files"].items()) {
    listed.insert(rel);
    const std::string path = (root / rel).string();
    RECO_CHECK_CODE(fs::is_regular_file(path, ec), ErrorCode::kCorrupt) << dir << ": file " << rel << " is missing";
    const uint64_t bytes = fs::file_size(path);
    RECO_CHECK_CODE(bytes == info.value("bytes", uint64_t{0}), ErrorCode::kCorrupt)
        << dir << ": " << rel << " has " << bytes << " bytes, the manifest says " << info.value("bytes", uint64_t{0});
    RECO_CHECK_CODE(file_checksum(path) == info.value("xxh3", std::string()), ErrorCode::kCorrupt)
        << dir << ": " << rel << " fails its checksum (changed after the bundle was built)";
  }
  for (const auto& rel : list_files(root))
    RECO_CHECK_CODE(listed.count(rel), ErrorCode::kCorrupt)
        << dir << ": file " << rel << " is not in the manifest (bundles are immutable)";
  return m;
}

}  // namespace reco::serve
