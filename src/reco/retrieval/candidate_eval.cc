#include "reco/retrieval/candidate_eval.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "reco/core/error.h"
#include "reco/core/parallel_for.h"
#include "reco/core/timer.h"
#include "reco/eval/ndcg.h"

namespace reco {

namespace {

bool contains(std::span<const uint64_t> sorted, uint64_t item) {
  return std::binary_search(sorted.begin(), sorted.end(), item);
}

size_t hits_at(std::span<const uint64_t> ranked, std::span<const uint64_t> relevant_sorted, size_t k) {
  size_t hits = 0;
  const size_t n = std::min(k, ranked.size());
  for (size_t i = 0; i < n; ++i) hits += contains(relevant_sorted, ranked[i]);
  return hits;
}

// [begin, end) of each user's rows in rows sorted by user.
std::vector<std::pair<size_t, size_t>> user_ranges(std::span<const Interaction> rows) {
  std::vector<std::pair<size_t, size_t>> out;
  for (size_t b = 0; b < rows.size();) {
    size_t e = b;
    while (e < rows.size() && rows[e].user == rows[b].user) ++e;
    out.emplace_back(b, e);
    b = e;
  }
  return out;
}

std::vector<Interaction> sorted_copy(std::span<const Interaction> rows) {
  std::vector<Interaction> v(rows.begin(), rows.end());
  sort_interactions(v);
  return v;
}

}  // namespace

double recall_at(std::span<const uint64_t> ranked, std::span<const uint64_t> relevant_sorted, size_t k) {
  if (relevant_sorted.empty()) return 0.0;
  return static_cast<double>(hits_at(ranked, relevant_sorted, k)) / relevant_sorted.size();
}

double ndcg_at(std::span<const uint64_t> ranked, std::span<const uint64_t> relevant_sorted, size_t k) {
  double dcg = 0.0, ideal = 0.0;
  const size_t n = std::min(k, ranked.size());
  for (size_t i = 0; i < n; ++i)
    if (contains(relevant_sorted, ranked[i])) dcg += eval::rank_discount(i);
  const size_t m = std::min(k, relevant_sorted.size());
  for (size_t i = 0; i < m; ++i) ideal += eval::rank_discount(i);
  return ideal > 0.0 ? dcg / ideal : 0.0;
}

double hit_rate_at(std::span<const uint64_t> ranked, std::span<const uint64_t> relevant_sorted, size_t k) {
  return hits_at(ranked, relevant_sorted, k) > 0 ? 1.0 : 0.0;
}

void user_history(std::span<const Interaction> rows, std::vector<uint64_t>& items, std::vector<float>& weights) {
  // Walk backwards so the first time an item is met is its last occurrence.
  std::unordered_map<uint64_t, size_t> slot;
  std::vector<uint64_t> rev;
  std::vector<float> rev_w;
  for (size_t i = rows.size(); i-- > 0;) {
    auto [it, fresh] = slot.emplace(rows[i].item, rev.size());
    if (fresh) {
      rev.push_back(rows[i].item);
      rev_w.push_back(rows[i].weight);
    } else {
      rev_w[it->second] += rows[i].weight;
    }
  }
  items.assign(rev.rbegin(), rev.rend());
  weights.assign(rev_w.rbegin(), rev_w.rend());
}

CandidateEvaluator::CandidateEvaluator(std::span<const Interaction> train_in, std::span<const Interaction> test_in,
                                       CandidateEvalOptions options)
    : options_(std::move(options)) {
  RECO_CHECK(!options_.ks.empty()) << "candidate eval: give at least one K";
  for (size_t k : options_.ks) RECO_CHECK(k > 0) << "candidate eval: K must be > 0";
  std::sort(options_.ks.begin(), options_.ks.end());
  options_.ks.erase(std::unique(options_.ks.begin(), options_.ks.end()), options_.ks.end());
  const std::vector<Interaction> train = sorted_copy(train_in), test = sorted_copy(test_in);
  std::unordered_set<uint64_t> catalog;
  for (const Interaction& r : train) catalog.insert(r.item);
  catalog_ = catalog.size();

  const auto train_users = user_ranges(train);
  size_t t = 0;  // cursor into train_users (both sides ascend by user)
  for (const auto& [b, e] : user_ranges(test)) {
    const uint64_t id = test[b].user;
    ++test_users_;
    while (t < train_users.size() && train[train_users[t].first].user < id) ++t;
    if (t == train_users.size() || train[train_users[t].first].user != id) {
      ++cold_;
      continue;
    }
    User u;
    u.id = id;
    user_history(std::span(train).subspan(train_users[t].first, train_users[t].second - train_users[t].first),
                 u.history, u.weights);
    u.history_sorted = u.history;
    std::sort(u.history_sorted.begin(), u.history_sorted.end());
    for (size_t i = b; i < e; ++i) {
      if (contains(u.history_sorted, test[i].item)) {
        ++in_history_;
        continue;
      }
      u.relevant.push_back(test[i].item);
    }
    std::sort(u.relevant.begin(), u.relevant.end());
    u.relevant.erase(std::unique(u.relevant.begin(), u.relevant.end()), u.relevant.end());
    if (u.relevant.empty()) {
      ++no_relevant_;
      continue;
    }
    if (options_.max_users > 0 && users_.size() >= options_.max_users) {
      ++not_requested_;
      continue;
    }
    users_.push_back(std::move(u));
  }
}

CandidateRequest CandidateEvaluator::request_for(size_t i) const {
  const User& u = users_.at(i);
  CandidateRequest req;
  req.user = u.id;
  req.items = u.history;
  req.weights = u.weights;
  req.k = options_.ks.back();
  const std::vector<uint64_t>* seen = &u.history_sorted;
  req.filter = [seen](uint64_t item) { return !std::binary_search(seen->begin(), seen->end(), item); };
  return req;
}

CandidateEvalResult CandidateEvaluator::evaluate(const CandidateSource& source, const RunContext& ctx) const {
  const size_t nk = options_.ks.size();
  // Per user: the metric values at each K and the returned list (for coverage).
  struct PerUser {
    std::vector<double> values;  // [recall x nk, ndcg x nk, hr x nk]
    std::vector<uint64_t> items;
  };
  std::vector<PerUser> per_user(users_.size());
  Stopwatch clock;
  parallel_tasks(std::max(1, ctx.threads), users_.size(), [&](size_t i, int) {
    RunContext one = ctx;
    one.threads = 1;
    one.seed = derive_seed(ctx.seed, users_[i].id);
    const CandidateRequest req = request_for(i);
    const std::vector<Candidate> got = source.query(req, one);
    PerUser& p = per_user[i];
    p.items.reserve(std::min(got.size(), req.k));
    for (size_t j = 0; j < got.size() && j < req.k; ++j) p.items.push_back(got[j].item);
    const auto& rel = users_[i].relevant;
    p.values.resize(3 * nk);
    for (size_t k = 0; k < nk; ++k) {
      p.values[k] = recall_at(p.items, rel, options_.ks[k]);
      p.values[nk + k] = ndcg_at(p.items, rel, options_.ks[k]);
      p.values[2 * nk + k] = hit_rate_at(p.items, rel, options_.ks[k]);
    }
  });
  CandidateEvalResult r;
  r.seconds = clock.elapsed_seconds();
  r.source = std::string(source.name());
  r.ks = options_.ks;
  r.threads = std::max(1, ctx.threads);
  r.test_users = test_users_;
  r.users_evaluated = users_.size();
  r.users_cold = cold_;
  r.users_no_relevant = no_relevant_;
  r.users_not_requested = not_requested_;
  r.test_items_in_history = in_history_;
  r.catalog = catalog_;
  r.queries_per_second = r.seconds > 0 ? users_.size() / r.seconds : 0.0;
  // Reduction in user order: the sums do not depend on how users were scheduled.
  std::vector<double> sums(3 * nk, 0.0);
  std::vector<std::unordered_set<uint64_t>> covered(nk);
  double total_candidates = 0.0;
  for (const PerUser& p : per_user) {
    for (size_t j = 0; j < sums.size(); ++j) sums[j] += p.values[j];
    total_candidates += p.items.size();
    for (size_t k = 0; k < nk; ++k)
      covered[k].insert(p.items.begin(), p.items.begin() + std::min(p.items.size(), options_.ks[k]));
  }
  const double n = users_.empty() ? 1.0 : static_cast<double>(users_.size());
  for (size_t k = 0; k < nk; ++k) {
    r.recall.push_back(sums[k] / n);
    r.ndcg.push_back(sums[nk + k] / n);
    r.hit_rate.push_back(sums[2 * nk + k] / n);
    r.coverage.push_back(catalog_ > 0 ? static_cast<double>(covered[k].size()) / catalog_ : 0.0);
  }
  r.mean_candidates = total_candidates / n;
  return r;
}

nlohmann::json CandidateEvalResult::to_json() const {
  nlohmann::json metrics = nlohmann::json::object();
  for (size_t i = 0; i < ks.size(); ++i) {
    const std::string at = "@" + std::to_string(ks[i]);
    metrics["recall" + at] = recall[i];
    metrics["ndcg" + at] = ndcg[i];
    metrics["hr" + at] = hit_rate[i];
    metrics["coverage" + at] = coverage[i];
  }
  return {{"source", source},
          {"metrics", metrics},
          {"test_users", test_users},
          {"users_evaluated", users_evaluated},
          {"users_cold", users_cold},
          {"users_no_relevant", users_no_relevant},
          {"users_not_requested", users_not_requested},
          {"test_items_in_history", test_items_in_history},
          {"catalog", catalog},
          {"mean_candidates", mean_candidates},
          {"seconds", seconds},
          {"queries_per_second", queries_per_second},
          {"threads", threads}};
}

}  // namespace reco
