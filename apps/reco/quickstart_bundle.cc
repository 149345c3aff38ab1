#include "quickstart_bundle.h"

#include <filesystem>

#include "reco/graph/cooccurrence.h"
#include "reco/graph/edge_list.h"
#include "reco/graph/graph_builder.h"
#include "reco/memboost/memboost_store.h"
#include "reco/memboost/position_priors.h"
#include "reco/memboost/store_updater.h"
#include "reco/serve/bundle.h"

namespace reco::cli {

namespace fs = std::filesystem;

nlohmann::json build_quickstart_bundle(const QuickstartBundleInputs& in, const RunContext& ctx) {
  const fs::path dir(in.dir);
  const std::string interactions = (dir / "interactions.csv").string();
  write_interactions(interactions, in.interactions);
  const graph::BipartiteGraph g = graph::build_graph(graph::read_csv_edges(interactions), {});
  g.save((dir / "serve.graph").string());
  graph::CoOccurrence::build(g, graph::CoocOptions{}, ctx).save((dir / "serve.cooc").string());

  serve::BundleOptions o;
  o.model = in.model;
  o.dataset = in.dataset;
  o.interactions = interactions;
  // Quotas out of 1000 candidates: walks and co-occurrence first, popular items as the floor.
  // 20000 walk steps keep the candidate stage near a millisecond (the Pixie paper's 100k budget is
  // for a whole board's worth of queries).
  o.sources = {"pixie:" + (dir / "serve.graph").string() + ",steps=20000,quota=450",
               "cooc:" + (dir / "serve.cooc").string() + ",quota=400", "popular,quota=150"};
  o.name = in.name;
  o.force = true;
  if (!in.events.empty()) {
    const std::string store = (dir / "memboost-store").string();
    fs::remove_all(store);
    const auto priors = memboost::PositionPriors::load(in.priors);
    {
      memboost::MemboostStore s(store);
      memboost::update_store(s, in.events, priors, memboost::UpdateOptions{}, ctx);
      s.flush();
    }
    o.priors = in.priors;
    o.memboost_store = store;
  }
  return serve::build_bundle(o, (dir / "bundle").string(), ctx);
}

}  // namespace reco::cli
