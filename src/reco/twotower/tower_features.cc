#include "reco/twotower/tower_features.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <unordered_map>

#include "reco/core/error.h"

namespace reco::twotower {

namespace {

std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    const size_t at = line.find(sep, start);
    out.push_back(line.substr(start, at == std::string::npos ? std::string::npos : at - start));
    if (at == std::string::npos) return out;
    start = at + 1;
  }
}

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return {};
  const size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

}  // namespace

FeatureCsv read_feature_csv(const std::string& path, const std::string& key) {
  std::ifstream in(path);
  RECO_CHECK_CODE(in.good(), ErrorCode::kIo) << "cannot open feature file " << path;
  FeatureCsv csv;
  csv.path = path;
  std::string line;
  if (!std::getline(in, line)) RECO_THROW(ErrorCode::kParse) << path << ":1: empty file";
  std::vector<std::string> header = split(line, ',');
  for (auto& h : header) h = trim(h);
  if (header[0] != key) RECO_THROW(ErrorCode::kParse)
      << path << ":1:" << header[0] << ": the first column must be '" << key << "'";
  if (header.size() < 2) RECO_THROW(ErrorCode::kParse) << path << ":1: no feature field after '" << key << "'";
  for (size_t f = 1; f < header.size(); ++f) {
    if (header[f].empty()) RECO_THROW(ErrorCode::kParse) << path << ":1: field " << f + 1 << " has no name";
    if (std::find(csv.fields.begin(), csv.fields.end(), header[f]) != csv.fields.end())
      RECO_THROW(ErrorCode::kParse)
        << path << ":1:" << header[f] << ": duplicate field name";
    csv.fields.push_back(header[f]);
  }
  std::unordered_map<uint64_t, size_t> seen;
  for (size_t lineno = 2; std::getline(in, line); ++lineno) {
    if (trim(line).empty()) continue;
    const std::vector<std::string> cells = split(line, ',');
    if (cells.size() != header.size()) RECO_THROW(ErrorCode::kParse)
        << path << ":" << lineno << ": " << cells.size() << " cells, the header has " << header.size();
    const std::string id_text = trim(cells[0]);
    uint64_t id = 0;
    auto [p, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
    if (ec != std::errc() || p != id_text.data() + id_text.size() || id_text.empty())
      RECO_THROW(ErrorCode::kParse)
        << path << ":" << lineno << ":" << key << ": '" << id_text << "' is not an unsigned integer id";
    const auto [it, fresh] = seen.emplace(id, lineno);
    if (!fresh) RECO_THROW(ErrorCode::kParse)
        << path << ":" << lineno << ":" << key << ": id " << id << " already on line " << it->second;
    for (size_t f = 1; f < cells.size(); ++f) {
      for (const std::string& tok : split(cells[f], '|'))
        if (trim(tok).empty() && !trim(cells[f]).empty())
          RECO_THROW(ErrorCode::kParse)
            << path << ":" << lineno << ":" << header[f] << ": empty token in '" << cells[f] << "'";
      csv.cells.push_back(cells[f]);
    }
    csv.ids.push_back(id);
    csv.lines.push_back(lineno);
  }
  return csv;
}

std::span<const uint32_t> SideFields::bag(size_t f, uint32_t row) const {
  static const uint32_t kUnknownBag[1] = {0};
  if (row == ~uint32_t{0}) return {kUnknownBag, 1};
  return {ids[f].data() + offsets[f][row], ids[f].data() + offsets[f][row + 1]};
}

void SideFields::gather(size_t f, std::span<const uint32_t> rows, std::vector<uint32_t>& out_ids,
                        std::vector<uint64_t>& out_offsets) const {
  for (uint32_t r : rows) {
    const auto b = bag(f, r);
    out_ids.insert(out_ids.end(), b.begin(), b.end());
    out_offsets.push_back(out_ids.size());
  }
}

void SideFields::validate(size_t n, const std::string& where) const {
  RECO_CHECK_CODE(vocab.size() == count() && offsets.size() == count() && ids.size() == count(), ErrorCode::kCorrupt)
      << where << ": inconsistent feature fields";
  for (size_t f = 0; f < count(); ++f) {
    const auto& off = offsets[f];
    RECO_CHECK_CODE(off.size() == n + 1 && off[0] == 0 && off.back() == ids[f].size(), ErrorCode::kCorrupt)
        << where << ": field '" << names[f] << "' offsets do not cover " << n << " rows";
    for (size_t r = 0; r < n; ++r)
      RECO_CHECK_CODE(off[r] < off[r + 1], ErrorCode::kCorrupt)
          << where << ": field '" << names[f] << "' row " << r << " has no id";
    for (uint32_t t : ids[f])
      RECO_CHECK_CODE(t < table_rows(f), ErrorCode::kCorrupt)
          << where << ": field '" << names[f] << "' id " << t << " beyond its vocabulary of " << vocab[f].size();
  }
}

nlohmann::json SideFields::vocab_json() const {
  nlohmann::json out = nlohmann::json::array();
  for (size_t f = 0; f < count(); ++f) out.push_back({{"name", names[f]}, {"tokens", vocab[f]}});
  return out;
}

SideFields build_side_fields(const FeatureCsv& csv, std::vector<uint64_t>& ids) {
  std::unordered_map<uint64_t, uint32_t> row_of;
  for (size_t r = 0; r < ids.size(); ++r) row_of.emplace(ids[r], static_cast<uint32_t>(r));
  for (uint64_t id : csv.ids)
    if (row_of.emplace(id, static_cast<uint32_t>(ids.size())).second) ids.push_back(id);
  // CSV row of each entity row (~0 = absent from the CSV).
  std::vector<size_t> csv_row(ids.size(), ~size_t{0});
  for (size_t i = 0; i < csv.ids.size(); ++i) csv_row[row_of.at(csv.ids[i])] = i;

  SideFields s;
  s.names = csv.fields;
  const size_t nf = csv.fields.size();
  s.vocab.resize(nf);
  s.offsets.resize(nf);
  s.ids.resize(nf);
  for (size_t f = 0; f < nf; ++f) {
    std::unordered_map<std::string, uint32_t> token_id;
    // Vocabulary in first-seen order of the CSV (not of the entity rows).
    std::vector<std::vector<uint32_t>> per_csv_row(csv.ids.size());
    for (size_t i = 0; i < csv.ids.size(); ++i) {
      const std::string cell = trim(csv.cells[i * nf + f]);
      if (cell.empty()) continue;
      for (const std::string& raw : split(cell, '|')) {
        const std::string tok = trim(raw);
        auto [it, fresh] = token_id.emplace(tok, static_cast<uint32_t>(s.vocab[f].size() + 1));
        if (fresh) s.vocab[f].push_back(tok);
        auto& bag = per_csv_row[i];
        if (std::find(bag.begin(), bag.end(), it->second) == bag.end()) bag.push_back(it->second);
      }
    }
    s.offsets[f].assign(1, 0);
    for (size_t r = 0; r < ids.size(); ++r) {
      const size_t i = csv_row[r];
      if (i == ~size_t{0} || per_csv_row[i].empty()) {
        s.ids[f].push_back(0);
      } else {
        s.ids[f].insert(s.ids[f].end(), per_csv_row[i].begin(), per_csv_row[i].end());
      }
      s.offsets[f].push_back(s.ids[f].size());
    }
  }
  return s;
}

TowerFields make_tower_fields(std::span<const uint64_t> train_users, std::span<const uint64_t> train_items,
                              const FeatureCsv* users, const FeatureCsv* items) {
  TowerFields t;
  t.user_ids.assign(train_users.begin(), train_users.end());
  t.item_ids.assign(train_items.begin(), train_items.end());
  t.trained_users = t.user_ids.size();
  t.trained_items = t.item_ids.size();
  if (users) t.user = build_side_fields(*users, t.user_ids);
  if (items) t.item = build_side_fields(*items, t.item_ids);
  return t;
}

}  // namespace reco::twotower
