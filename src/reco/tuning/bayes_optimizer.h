// The Bayesian optimizer: given the finished trials (points in the unit cube, objective value,
// outcome-constraint slacks) and the pending ones, proposes the next q points.
//
//   1. Initial design: while fewer than `initial_points` trials exist (finished + pending), the
//      next points of a digitally shifted Sobol sequence (seeded; point i of the design is the
//      same whatever the batch size, so a resumed run continues the same design).
//   2. Then: one GP for the objective and one per outcome constraint, hyperparameters fitted
//      by MAP (GaussianProcess::fit), warm-started from the previous call's fit when given.
//   3. Acquisition (maximized): log EI of the objective over the incumbent, plus the log
//      probability that every constraint slack is >= 0. Noisy objectives use the noise-aware
//      incumbent: the best posterior mean over finished trials whose observed slacks are all
//      >= 0. With no feasible trial yet, the acquisition is the log feasibility probability alone.
//   4. Optimized by multi-start local search: `raw_samples` scrambled-Sobol candidates plus
//      Gaussian perturbations of the best trials, the best `local_starts` of them refined by the
//      projected L-BFGS box minimizer with analytic gradients (mean/variance gradients of the GP).
//   5. Batches (q > 1) and pending trials: kriging believer — each pending or already chosen
//      point is added to every GP as a fantasy observation equal to its posterior mean (no
//      hyperparameter refit), which shrinks the variance there and pushes the next point away.
// Maximization throughout: minimize f by passing -f.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "reco/tuning/gaussian_process.h"

namespace reco::tuning {

struct Observation {
  std::vector<double> unit;          // point in [0,1]^d
  double value = 0.0;                // objective (maximized)
  std::vector<double> constraints;   // slacks: feasible when every one is >= 0
};

struct BayesOptions {
  size_t initial_points = 0;  // 0: max(5, 2 d)
  size_t raw_samples = 1024;
  size_t local_starts = 6;
  bool noisy = true;          // fit the observation noise and use the noise-aware incumbent
  uint64_t seed = 1;
  int gp_restarts = 2;
};

class BayesOptimizer {
 public:
  BayesOptimizer(size_t dims, size_t n_constraints, BayesOptions options);

  /// Next q points (unit cube) given the finished and the pending trials.
  std::vector<std::vector<double>> propose(const std::vector<Observation>& finished,
                                           const std::vector<std::vector<double>>& pending, size_t q);

  /// Index into `finished` of the best trial that satisfies every constraint (by observed
  /// value), or nullopt when none does.
  static std::optional<size_t> best_feasible(const std::vector<Observation>& finished);

  size_t dims() const { return dims_; }
  size_t initial_points() const { return initial_points_; }
  /// The GPs of the last model-based proposal (objective first), for diagnostics.
  const std::vector<GaussianProcess>& models() const { return models_; }

 private:
  std::vector<double> maximize_acquisition(const std::vector<Observation>& finished, double incumbent,
                                           bool have_incumbent, uint64_t round_seed) const;

  size_t dims_;
  size_t n_constraints_;
  BayesOptions options_;
  size_t initial_points_;
  std::vector<GaussianProcess> models_;
  std::vector<std::optional<GpHyperparameters>> warm_;  // previous fits, per model
};

}  // namespace reco::tuning
