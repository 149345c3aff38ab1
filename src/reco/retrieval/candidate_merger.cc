#include "reco/retrieval/candidate_merger.h"

#include <algorithm>
#include <charconv>
#include <unordered_set>

#include "reco/core/error.h"
#include "reco/data/field_splitter.h"
#include "reco/data/line_reader.h"

namespace reco {

SegmentTable SegmentTable::load(const std::string& path, const std::string& column) {
  SegmentTable t;
  LineReader reader(path);
  FieldSplitter splitter(SplitOptions{",", '"', true});
  std::vector<Field> fields;
  SplitError err;
  std::string_view line;
  size_t value_field = 1;
  bool first = true;
  while (reader.next(line)) {
    if (line.empty()) continue;
    if (!splitter.split(line, fields, err))
      RECO_THROW(ErrorCode::kParse) << path << ":" << reader.line_number() << ":" << err.column << ": "
                                    << err.message;
    uint64_t item = 0;
    const auto& id = fields[0].text;
    auto [p, ec] = std::from_chars(id.data(), id.data() + id.size(), item);
    const bool numeric = ec == std::errc() && p == id.data() + id.size() && !id.empty();
    if (first) {
      first = false;
      if (!numeric) {  // header
        if (!column.empty()) {
          auto it = std::find_if(fields.begin(), fields.end(), [&](const Field& f) { return f.text == column; });
          if (it == fields.end())
            RECO_THROW(ErrorCode::kNotFound) << path << ":1: no column '" << column << "' in the header";
          value_field = static_cast<size_t>(it - fields.begin());
        }
        continue;
      }
      RECO_CHECK(column.empty()) << path << ": a segment column '" << column << "' needs a header line";
    }
    if (!numeric)
      RECO_THROW(ErrorCode::kParse) << path << ":" << reader.line_number() << ": field 'item': '" << id
                                    << "' is not an unsigned integer id";
    if (fields.size() <= value_field)
      RECO_THROW(ErrorCode::kParse) << path << ":" << reader.line_number() << ": expected "
                                    << value_field + 1 << " fields, got " << fields.size();
    t.values_[item] = std::string(fields[value_field].text);
  }
  return t;
}

const std::string* SegmentTable::find(uint64_t item) const {
  auto it = values_.find(item);
  return it == values_.end() ? nullptr : &it->second;
}

CandidateMerger::CandidateMerger(std::vector<MergeInput> inputs) : inputs_(std::move(inputs)) {
  RECO_CHECK(!inputs_.empty()) << "merge: no sources";
  RECO_CHECK(inputs_.size() < 65536) << "merge: too many sources";
  for (const auto& in : inputs_) RECO_CHECK(in.source != nullptr) << "merge: null source";
}

void CandidateMerger::restrict_to_segment(std::shared_ptr<const SegmentTable> table, std::string wanted) {
  segments_ = std::move(table);
  wanted_ = std::move(wanted);
}

std::string CandidateMerger::label(size_t input) const {
  const auto& in = inputs_.at(input);
  return in.label.empty() ? std::string(in.source->name()) : in.label;
}

std::vector<MergedCandidate> CandidateMerger::query_merged(const CandidateRequest& request,
                                                           const RunContext& ctx) const {
  CandidateRequest sub = request;
  if (segments_) {
    const SegmentTable* table = segments_.get();
    const std::string* wanted = &wanted_;
    auto outer = request.filter;
    sub.filter = [table, wanted, outer](uint64_t item) {
      if (outer && !outer(item)) return false;
      const std::string* v = table->find(item);
      return v != nullptr && *v == *wanted;
    };
  }
  const size_t k = request.k;
  std::vector<std::vector<Candidate>> lists(inputs_.size());
  for (size_t s = 0; s < inputs_.size(); ++s) lists[s] = inputs_[s].source->query(sub, ctx);

  std::vector<MergedCandidate> out;
  std::unordered_set<uint64_t> taken;
  std::vector<size_t> cursor(inputs_.size(), 0), used(inputs_.size(), 0);
  // One round-robin pass over ranks; with_quota = false is the top-up.
  auto fill = [&](bool with_quota) {
    bool progress = true;
    while (out.size() < k && progress) {
      progress = false;
      for (size_t s = 0; s < inputs_.size() && out.size() < k; ++s) {
        const size_t quota = inputs_[s].quota == 0 ? k : inputs_[s].quota;
        if (with_quota && used[s] >= quota) continue;
        // Skip duplicates: they do not use the quota.
        while (cursor[s] < lists[s].size() && taken.count(lists[s][cursor[s]].item)) ++cursor[s];
        if (cursor[s] >= lists[s].size()) continue;
        const Candidate& c = lists[s][cursor[s]++];
        taken.insert(c.item);
        ++used[s];
        MergedCandidate m;
        m.item = c.item;
        m.source = c.source;
        m.placed_by = static_cast<uint16_t>(s);
        out.push_back(std::move(m));
        progress = true;
      }
    }
  };
  fill(true);
  fill(false);
  // Provenance: every source that proposed an output item.
  std::unordered_map<uint64_t, size_t> position;
  for (size_t i = 0; i < out.size(); ++i) {
    position[out[i].item] = i;
    out[i].score = 1.0f / static_cast<float>(1 + i);
  }
  for (size_t s = 0; s < lists.size(); ++s)
    for (size_t r = 0; r < lists[s].size(); ++r) {
      auto it = position.find(lists[s][r].item);
      if (it == position.end()) continue;
      auto& prov = out[it->second].provenance;
      if (!prov.empty() && prov.back().input == s) continue;  // a source repeating an item
      prov.push_back({static_cast<uint16_t>(s), lists[s][r].source, lists[s][r].score, static_cast<uint32_t>(r + 1)});
    }
  return out;
}

std::vector<Candidate> CandidateMerger::query(const CandidateRequest& request, const RunContext& ctx) const {
  std::vector<Candidate> out;
  for (const auto& m : query_merged(request, ctx)) out.push_back({m.item, m.score, m.source});
  return out;
}

nlohmann::json merged_json(const CandidateMerger& merger, const std::vector<MergedCandidate>& candidates) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& m : candidates) {
    nlohmann::json prov = nlohmann::json::array();
    for (const auto& p : m.provenance)
      prov.push_back({{"source", merger.label(p.input)}, {"tag", p.tag}, {"score", p.score}, {"rank", p.rank}});
    a.push_back({{"item", m.item},
                 {"score", m.score},
                 {"source", m.source},
                 {"placed_by", merger.label(m.placed_by)},
                 {"provenance", prov}});
  }
  return a;
}

}  // namespace reco
