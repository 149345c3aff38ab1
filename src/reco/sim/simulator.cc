#include "reco/sim/simulator.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "reco/core/error.h"
#include "reco/core/progress.h"
#include "reco/core/rng.h"
#include "reco/core/text_writer.h"
#include "reco/core/timer.h"
#include "reco/data/event_log.h"
#include "reco/sim/alias_table.h"
#include "reco/sim/csv_number.h"
#include "reco/sim/engagement_model.h"
#include "reco/sim/world.h"

namespace reco::sim {

namespace {

constexpr int kPolicyPopularity = 0, kPolicyModel = 1, kPolicyRandom = 2;
constexpr uint64_t kHomeFeedKey = uint64_t(1) << 62;  // context keys of home-feed segments
constexpr int kTruthDigits = 6;                        // significant digits in truth.csv

// One request's context: who asks, where, and the query item (or none).
struct Request {
  uint32_t user = 0;
  int platform = 0;
  int64_t query = -1;   // item id, -1 for home feed
  uint64_t key = 0;     // context of the pair term: the query item or the user's segment
  int policy = kPolicyModel;
};

// Everything the per-request loop reads, built once.
struct Tables {
  AliasTable users, platforms, queries, popular;
  std::vector<std::array<double, kPlatforms>> exam;  // [position - 1][platform]
  uint64_t pair_salt = 0, model_salt = 0;
};

// True relevance logit z(user, query?, item) (docs/simulator.md "Relevance").
double true_logit(const World& w, const Request& rq, uint32_t item, uint64_t pair_salt) {
  const SimConfig& c = w.config();
  const Items& it = w.items();
  double z = c.relevance_bias + c.relevance_user * w.user_item_affinity(rq.user, item) +
             c.relevance_quality * (2.0 * it.quality[item] - 1.0) +
             c.relevance_pair * hashed_normal(pair_word(pair_salt, rq.key, item));
  if (rq.query >= 0) z += c.relevance_query * w.item_item_affinity(static_cast<uint32_t>(rq.query), item);
  if (w.users().locale[rq.user] == it.locale[item]) z += c.relevance_locale;
  return z;
}

// Candidate pool: popular items, the query's category, the user's interest categories; deduplicated
// with a per-item stamp, the query item excluded, topped up with uniform items to at least K.
void build_pool(const World& w, const Tables& t, const Request& rq, uint32_t stamp_value,
                std::vector<uint32_t>& stamp, std::vector<uint32_t>& pool, Rng& rng) {
  const SimConfig& c = w.config();
  const Items& it = w.items();
  const Users& us = w.users();
  pool.clear();
  if (rq.query >= 0) stamp[static_cast<size_t>(rq.query)] = stamp_value;
  auto add = [&](uint32_t item) {
    if (stamp[item] != stamp_value) {
      stamp[item] = stamp_value;
      pool.push_back(item);
    }
  };
  auto from_category = [&](uint32_t cat) {
    const uint32_t b = it.category_begin[cat], e = it.category_begin[cat + 1];
    return it.by_category[b + rng.below(e - b)];
  };
  const uint32_t slots = us.interest_slots;
  for (int64_t j = 0; j < c.pool_size; ++j) {
    if (rng.uniform() < c.pool_popular) {
      add(t.popular.sample(rng));
    } else if (rq.query >= 0 && rng.uniform() < c.pool_query_category) {
      add(from_category(it.category[static_cast<size_t>(rq.query)]));
    } else {
      const size_t row = size_t(rq.user) * slots;
      const uint32_t n = us.interest_count[rq.user];
      double u = rng.uniform();
      uint32_t k = 0;
      while (k + 1 < n && u >= us.interest_weight[row + k]) u -= us.interest_weight[row + k++];
      add(from_category(us.interest_category[row + k]));
    }
  }
  while (pool.size() < static_cast<size_t>(c.list_size)) add(static_cast<uint32_t>(rng.below(it.size())));
}

// A pool entry under a policy: its ranking score, and its true logit when the policy computed it.
struct Ranked {
  double score = 0;
  double logit = 0;
  bool has_logit = false;
  uint32_t item = 0;
};

// Orders the pool by the request's policy; the first K entries of `shown` are the list.
void rank_pool(const World& w, const Tables& t, const Request& rq, const std::vector<uint32_t>& pool,
               std::vector<Ranked>& shown, Rng& rng) {
  const SimConfig& c = w.config();
  const Items& it = w.items();
  const size_t k = static_cast<size_t>(c.list_size);
  shown.clear();
  if (rq.policy == kPolicyRandom) {
    for (uint32_t item : pool) shown.push_back({0.0, 0.0, false, item});
    for (size_t i = 0; i < k; ++i) std::swap(shown[i], shown[i + rng.below(shown.size() - i)]);
    return;
  }
  for (uint32_t item : pool) {
    Ranked e{0.0, 0.0, false, item};
    if (rq.policy == kPolicyPopularity) {
      e.score = it.log_popularity[item] + c.popularity_noise * rng.normal();
    } else {
      e.logit = true_logit(w, rq, item, t.pair_salt);
      e.has_logit = true;
      e.score = e.logit + c.model_noise * hashed_normal(pair_word(t.model_salt, rq.key, item)) +
                c.model_request_noise * rng.normal() + c.model_popularity_bias * it.popularity_z[item];
    }
    shown.push_back(e);
  }
  std::partial_sort(shown.begin(), shown.begin() + static_cast<std::ptrdiff_t>(k), shown.end(),
                    [](const Ranked& a, const Ranked& b) {
                      return a.score > b.score || (a.score == b.score && a.item < b.item);
                    });
}

Tables build_tables(const World& w, uint64_t seed) {
  const SimConfig& c = w.config();
  const Items& it = w.items();
  Tables t;
  t.users = AliasTable(w.users().activity);
  t.platforms = AliasTable(std::vector<double>(c.platform_weights.begin(), c.platform_weights.end()));
  std::vector<double> q(it.size()), pop(it.size());
  for (size_t r = 0; r < it.size(); ++r) q[r] = std::pow(static_cast<double>(r + 1), -c.query_zipf);
  t.queries = AliasTable(q);
  for (size_t i = 0; i < it.size(); ++i) pop[i] = std::exp(static_cast<double>(it.log_popularity[i]));
  t.popular = AliasTable(pop);
  t.exam.resize(static_cast<size_t>(c.list_size));
  for (int pos = 1; pos <= c.list_size; ++pos) {
    for (int p = 0; p < kPlatforms; ++p) {
      t.exam[pos - 1][p] = examination_probability(c.exam_top[p], c.exam_eta[p], pos);
    }
  }
  t.pair_salt = derive_seed(seed, 21);
  t.model_salt = derive_seed(seed, 22);
  return t;
}

void write_examination_csv(const Tables& t, const std::string& path) {
  TextWriter out(path);
  out.write("platform,position,p_examine\n");
  for (int p = 0; p < kPlatforms; ++p) {
    for (size_t pos = 1; pos <= t.exam.size(); ++pos) {
      out.write(kPlatformNames[p]);
      out.write_char(',');
      out.write_uint(pos);
      out.write_char(',');
      write_number(out, t.exam[pos - 1][p], kTruthDigits);
      out.write_char('\n');
    }
  }
  out.commit();
}

void add_rates(RateSums& s, const EngagementProbs& p, const std::vector<uint8_t>& engaged) {
  ++s.impressions;
  s.examine += p.examine;
  const double truth[kEngagementTypes] = {p.closeup, p.click, p.long_click, p.save};
  for (int k = 0; k < kEngagementTypes; ++k) {
    s.engaged[k] += engaged[k];
    s.truth[k] += truth[k];
  }
}

nlohmann::json rates_json(const RateSums& s) {
  nlohmann::json truth = nlohmann::json::object(), empirical = nlohmann::json::object();
  const double n = s.impressions > 0 ? static_cast<double>(s.impressions) : 1.0;
  for (int k = 0; k < kEngagementTypes; ++k) {
    truth[kEngagementNames[k]] = s.truth[k] / n;
    empirical[kEngagementNames[k]] = static_cast<double>(s.engaged[k]) / n;
  }
  return {{"impressions", s.impressions}, {"p_examine", s.examine / n}, {"truth", truth}, {"empirical", empirical}};
}

}  // namespace

nlohmann::json SimReport::to_json() const {
  nlohmann::json policies = nlohmann::json::object();
  for (size_t p = 0; p < kPolicyNames.size(); ++p) policies[kPolicyNames[p]] = policy_requests[p];
  nlohmann::json by_pos = nlohmann::json::array();
  for (const auto& s : random_by_position) by_pos.push_back(rates_json(s));
  nlohmann::json truth = nlohmann::json::object();
  const double n = all.impressions > 0 ? static_cast<double>(all.impressions) : 1.0;
  for (int k = 0; k < kEngagementTypes; ++k) truth[kEngagementNames[k]] = all.truth[k] / n;
  return {{"seed", seed},
          {"alpha", alpha},
          {"counts",
           {{"requests", requests},
            {"query_requests", query_requests},
            {"policy_requests", policies},
            {"impressions_generated", impressions_generated},
            {"impressions_logged", impressions_logged},
            {"impressions_holdout", impressions_holdout}}},
          {"holdout", {{"start_timestamp", holdout_start}, {"end_timestamp", holdout_end}}},
          {"true_mean_rates", truth},
          {"rates", rates_json(all)},
          {"random_slice_by_position", by_pos}};
}

SimReport simulate(const SimConfig& config, const std::string& out_dir, const RunContext& ctx) {
  config.validate();
  Stopwatch clock;
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) RECO_THROW(ErrorCode::kIo) << "cannot create output directory '" << out_dir << "': " << ec.message();
  const std::filesystem::path dir(out_dir);
  const SimConfig& c = config;

  const World world = World::generate(c, derive_seed(ctx.seed, 1));
  const Tables t = build_tables(world, ctx.seed);
  SimReport rep;
  rep.seed = ctx.seed;
  rep.alpha = c.downsample;
  rep.requests = static_cast<uint64_t>(c.requests());
  rep.holdout_start = c.holdout_start();
  rep.holdout_end = c.end_time();
  rep.random_by_position.resize(static_cast<size_t>(c.list_size));
  rep.world_seconds = clock.elapsed_seconds();

  // Request times: uniform over the days, sorted; request ids follow time order.
  std::vector<int64_t> times(rep.requests);
  Rng time_rng(derive_seed(ctx.seed, 2));
  const uint64_t span = static_cast<uint64_t>(c.end_time() - c.start_time);
  for (auto& ts : times) ts = c.start_time + static_cast<int64_t>(time_rng.below(span));
  std::sort(times.begin(), times.end());

  Rng rng(derive_seed(ctx.seed, 3));       // requests, lists and engagement draws
  Rng keep_rng(derive_seed(ctx.seed, 4));  // downsampling only: alpha does not change the rest of the log
  std::vector<std::string> types(kEngagementNames.begin(), kEngagementNames.end());
  EventWriter events((dir / "events.csv").string(), types);
  TextWriter truth((dir / "truth.csv").string());
  truth.write("request_id,item_id,position,relevance,p_examine,p_closeup,p_click,p_long_click,p_save\n");

  const Items& it = world.items();
  const Users& us = world.users();
  std::vector<uint32_t> stamp(it.size(), 0), pool;
  std::vector<Ranked> shown;
  pool.reserve(static_cast<size_t>(c.pool_size + c.list_size));
  shown.reserve(pool.capacity());
  Event e;
  e.engaged.assign(kEngagementTypes, 0);
  Progress progress("simulate", rep.requests * static_cast<uint64_t>(c.list_size), ctx);

  for (uint64_t r = 0; r < rep.requests; ++r) {
    Request rq;
    rq.user = t.users.sample(rng);
    rq.platform = rng.uniform() < c.platform_stickiness ? us.platform[rq.user]
                                                        : static_cast<int>(t.platforms.sample(rng));
    if (rng.uniform() < c.related_fraction) {
      rq.query = it.by_popularity[t.queries.sample(rng)];
      rq.key = static_cast<uint64_t>(rq.query);
      ++rep.query_requests;
    } else {
      rq.key = kHomeFeedKey | world.user_segment(rq.user);
    }
    const double u = rng.uniform();
    rq.policy = u < c.random_fraction ? kPolicyRandom
                : u < c.random_fraction + c.popularity_fraction ? kPolicyPopularity
                                                                 : kPolicyModel;
    ++rep.policy_requests[rq.policy];
    build_pool(world, t, rq, static_cast<uint32_t>(r + 1), stamp, pool, rng);
    rank_pool(world, t, rq, pool, shown, rng);

    const bool holdout = times[r] >= rep.holdout_start;
    const double alpha = holdout ? 1.0 : c.downsample;
    e.request_id = r + 1;
    e.timestamp = times[r];
    e.user_id = rq.user;
    e.query_item_id = rq.query >= 0 ? static_cast<uint64_t>(rq.query) : Event::kNoQuery;
    e.platform = kPlatformNames[rq.platform];
    e.locale = kLocaleNames[us.locale[rq.user]];
    e.policy = kPolicyNames[rq.policy];
    e.alpha = alpha;
    for (int pos = 1; pos <= c.list_size; ++pos) {
      const Ranked& chosen = shown[pos - 1];
      const uint32_t item = chosen.item;
      const double rel = sigmoid(chosen.has_logit ? chosen.logit : true_logit(world, rq, item, t.pair_salt));
      const CascadeStages st = cascade_stages(c, rel);
      const EngagementProbs p = unconditional(t.exam[pos - 1][rq.platform], st);
      // Cascade draws: examined -> closeup -> {click -> long_click, save}.
      uint8_t closeup = 0, click = 0, long_click = 0, save = 0;
      if (rng.uniform() < p.examine && rng.uniform() < st.closeup) {
        closeup = 1;
        click = rng.uniform() < st.click;
        long_click = click && rng.uniform() < st.long_click;
        save = rng.uniform() < st.save;
      }
      double dwell = 0.0;
      if (long_click) {
        const double extra = c.long_dwell_mean * (0.5 + rel) * -std::log(1.0 - rng.uniform());  // Exp(mean)
        dwell = c.long_click_seconds + 0.1 + std::round(10.0 * extra) / 10.0;
      } else if (click) {
        dwell = std::round(10.0 * c.long_click_seconds * (0.05 + 0.9 * rng.uniform())) / 10.0;
      }
      e.engaged[0] = closeup;
      e.engaged[1] = click;
      e.engaged[2] = long_click;
      e.engaged[3] = save;
      e.item_id = item;
      e.position = static_cast<uint32_t>(pos);
      e.dwell = dwell;
      add_rates(rep.all, p, e.engaged);
      if (rq.policy == kPolicyRandom) add_rates(rep.random_by_position[pos - 1], p, e.engaged);

      const bool any = closeup | click | long_click | save;
      if (!any && alpha < 1.0 && !(keep_rng.uniform() < alpha)) continue;
      e.sample_weight = any ? 1.0 : 1.0 / alpha;
      events.write(e);
      ++rep.impressions_logged;
      rep.impressions_holdout += holdout;
      truth.write_uint(r + 1);
      truth.write_char(',');
      truth.write_uint(item);
      truth.write_char(',');
      truth.write_uint(static_cast<uint64_t>(pos));
      const double cols[] = {rel, p.examine, p.closeup, p.click, p.long_click, p.save};
      for (double v : cols) {
        truth.write_char(',');
        write_number(truth, v, kTruthDigits);
      }
      truth.write_char('\n');
    }
    progress.add(static_cast<uint64_t>(c.list_size));
  }
  progress.finish();
  rep.impressions_generated = rep.all.impressions;

  events.commit();
  truth.commit();
  world.write_items_csv((dir / "items.csv").string());
  world.write_users_csv((dir / "users.csv").string(), c.requests(), c.days);
  write_examination_csv(t, (dir / "examination.csv").string());

  nlohmann::json j = rep.to_json();
  j["config"] = c.to_json();
  j["holdout"]["days"] = c.holdout_days;
  j["engagement_types"] = types;
  j["platforms"] = kPlatformNames;
  j["locales"] = kLocaleNames;
  j["policies"] = kPolicyNames;
  j["files"] = {"events.csv", "truth.csv", "items.csv", "users.csv", "examination.csv", "sim.json"};
  TextWriter meta((dir / "sim.json").string());
  meta.write(j.dump(2));
  meta.write_char('\n');
  meta.commit();
  rep.seconds = clock.elapsed_seconds();
  return rep;
}

}  // namespace reco::sim
