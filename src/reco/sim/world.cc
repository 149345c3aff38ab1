#include "reco/sim/world.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "reco/core/context.h"
#include "reco/core/error.h"
#include "reco/core/text_writer.h"
#include "reco/sim/csv_number.h"

namespace reco::sim {

namespace {

// Gamma(shape, 1) by Marsaglia & Tsang; shape < 1 through Gamma(shape + 1) * U^(1/shape).
double sample_gamma(Rng& rng, double shape) {
  if (shape < 1.0) return sample_gamma(rng, shape + 1.0) * std::pow(1.0 - rng.uniform(), 1.0 / shape);
  const double d = shape - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    double x, v;
    do {
      x = rng.normal();
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = 1.0 - rng.uniform();
    if (std::log(u) < 0.5 * x * x + d - d * v + d * std::log(v)) return d * v;
  }
}

double sample_beta(Rng& rng, double a, double b) {
  const double x = sample_gamma(rng, a);
  const double y = sample_gamma(rng, b);
  return x + y > 0 ? x / (x + y) : 0.5;
}

template <size_t N>
std::vector<double> to_vector(const std::array<double, N>& a) {
  return std::vector<double>(a.begin(), a.end());
}

}  // namespace

World World::generate(const SimConfig& config, uint64_t seed) {
  config.validate();
  World w;
  w.config_ = config;
  w.dim_ = static_cast<int>(config.latent_dim);
  w.generate_items(derive_seed(seed, 11));
  w.generate_users(derive_seed(seed, 12));
  return w;
}

void World::generate_items(uint64_t seed) {
  const SimConfig& c = config_;
  Rng rng(seed);
  const size_t n = static_cast<size_t>(c.items);
  const size_t nc = static_cast<size_t>(c.categories);
  const float scale = 1.0f / std::sqrt(static_cast<float>(dim_));  // |centroid| ~ 1

  centroids_.resize(nc * dim_);
  for (auto& x : centroids_) x = static_cast<float>(rng.normal()) * scale;
  std::vector<double> sizes(nc);
  for (size_t k = 0; k < nc; ++k) sizes[k] = std::pow(static_cast<double>(k + 1), -c.category_zipf);
  category_sizes_ = AliasTable(sizes);
  const AliasTable locales(to_vector(c.locale_weights));

  Items& it = items_;
  it.category.resize(n);
  it.locale.resize(n);
  it.quality.resize(n);
  it.observed_quality.resize(n);
  it.log_popularity.resize(n);
  it.latent.resize(n * dim_);
  const double mean_quality = c.quality_a / (c.quality_a + c.quality_b);
  for (size_t i = 0; i < n; ++i) {
    // The first `categories` items seed one category each, so no category is empty.
    const uint32_t cat = i < nc ? static_cast<uint32_t>(i) : category_sizes_.sample(rng);
    it.category[i] = cat;
    it.locale[i] = static_cast<uint8_t>(locales.sample(rng));
    const double q = sample_beta(rng, c.quality_a, c.quality_b);
    it.quality[i] = static_cast<float>(q);
    it.observed_quality[i] = static_cast<float>(std::clamp(q + c.quality_noise * rng.normal(), 0.0, 1.0));
    it.log_popularity[i] =
        static_cast<float>(c.popularity_quality * (q - mean_quality) + c.popularity_sigma * rng.normal());
    for (int k = 0; k < dim_; ++k) {
      it.latent[i * dim_ + k] =
          centroids_[size_t(cat) * dim_ + k] + static_cast<float>(c.item_latent_noise * rng.normal()) * scale;
    }
  }
  double mean = 0, var = 0;
  for (float p : it.log_popularity) mean += p;
  mean /= static_cast<double>(n);
  for (float p : it.log_popularity) var += (p - mean) * (p - mean);
  const double sd = std::sqrt(var / static_cast<double>(n)) + 1e-12;
  it.popularity_z.resize(n);
  for (size_t i = 0; i < n; ++i) it.popularity_z[i] = static_cast<float>((it.log_popularity[i] - mean) / sd);

  it.category_begin.assign(nc + 1, 0);
  for (uint32_t cat : it.category) ++it.category_begin[cat + 1];
  for (size_t k = 0; k < nc; ++k) it.category_begin[k + 1] += it.category_begin[k];
  it.by_category.resize(n);
  std::vector<uint32_t> fill(it.category_begin.begin(), it.category_begin.end() - 1);
  for (size_t i = 0; i < n; ++i) it.by_category[fill[it.category[i]]++] = static_cast<uint32_t>(i);

  it.by_popularity.resize(n);
  std::iota(it.by_popularity.begin(), it.by_popularity.end(), 0u);
  std::stable_sort(it.by_popularity.begin(), it.by_popularity.end(),
                   [&](uint32_t a, uint32_t b) { return it.log_popularity[a] > it.log_popularity[b]; });
}

void World::generate_users(uint64_t seed) {
  const SimConfig& c = config_;
  Rng rng(seed);
  const size_t n = static_cast<size_t>(c.users);
  const uint32_t slots = static_cast<uint32_t>(c.max_interests);
  const float scale = 1.0f / std::sqrt(static_cast<float>(dim_));
  const AliasTable locales(to_vector(c.locale_weights));
  const AliasTable platforms(to_vector(c.platform_weights));

  Users& u = users_;
  u.interest_slots = slots;
  u.interest_count.resize(n);
  u.interest_category.assign(n * slots, 0);
  u.interest_weight.assign(n * slots, 0.f);
  u.top_category.resize(n);
  u.latent.resize(n * dim_);
  u.locale.resize(n);
  u.platform.resize(n);
  u.activity.resize(n);
  std::vector<double> g(slots);
  for (size_t i = 0; i < n; ++i) {
    const uint32_t m = 1 + static_cast<uint32_t>(rng.below(slots));
    uint32_t* cats = &u.interest_category[i * slots];
    float* wts = &u.interest_weight[i * slots];
    uint32_t got = 0;
    // Distinct interest categories, drawn by category size (a few retries; duplicates are rare).
    for (uint32_t tries = 0; got < m && tries < 8 * m; ++tries) {
      const uint32_t cat = category_sizes_.sample(rng);
      if (std::find(cats, cats + got, cat) == cats + got) cats[got++] = cat;
    }
    u.interest_count[i] = got;
    double total = 0;
    for (uint32_t k = 0; k < got; ++k) total += g[k] = sample_gamma(rng, c.interest_concentration) + 1e-12;
    uint32_t top = 0;
    for (uint32_t k = 0; k < got; ++k) {
      wts[k] = static_cast<float>(g[k] / total);
      if (wts[k] > wts[top]) top = k;
    }
    u.top_category[i] = cats[top];
    float* lat = &u.latent[i * dim_];
    for (int d = 0; d < dim_; ++d) {
      float s = 0.f;
      for (uint32_t k = 0; k < got; ++k) s += wts[k] * centroids_[size_t(cats[k]) * dim_ + d];
      lat[d] = s + static_cast<float>(c.user_latent_noise * rng.normal()) * scale;
    }
    u.locale[i] = static_cast<uint8_t>(locales.sample(rng));
    u.platform[i] = static_cast<uint8_t>(platforms.sample(rng));
    u.activity[i] = std::exp(c.activity_sigma * rng.normal());
  }
}

void World::write_items_csv(const std::string& path) const {
  TextWriter out(path);
  out.write("item_id,category,locale,quality,log_popularity\n");
  for (size_t i = 0; i < items_.size(); ++i) {
    out.write_uint(i);
    out.write_char(',');
    out.write_uint(items_.category[i]);
    out.write_char(',');
    out.write(kLocaleNames[items_.locale[i]]);
    out.write_char(',');
    write_number(out, items_.observed_quality[i], 4);
    out.write_char(',');
    write_number(out, items_.log_popularity[i], 5);
    out.write_char('\n');
  }
  out.commit();
}

void World::write_users_csv(const std::string& path, int64_t requests, int64_t days) const {
  double total = 0;
  for (double a : users_.activity) total += a;
  const double per_day = static_cast<double>(requests) / static_cast<double>(days) / total;
  TextWriter out(path);
  out.write("user_id,locale,activity,top_category,platform\n");
  for (size_t i = 0; i < users_.size(); ++i) {
    out.write_uint(i);
    out.write_char(',');
    out.write(kLocaleNames[users_.locale[i]]);
    out.write_char(',');
    write_number(out, users_.activity[i] * per_day, 4);
    out.write_char(',');
    out.write_uint(users_.top_category[i]);
    out.write_char(',');
    out.write(kPlatformNames[users_.platform[i]]);
    out.write_char('\n');
  }
  out.commit();
}

}  // namespace reco::sim
