// `reco candidates build twotower`: trains a two-tower retrieval model on an interactions CSV
// (user,item,weight,timestamp) and writes the model (.twotower) and, optionally, the
// embeddings file (every item's vector and the user-tower vector of every training user,
// metric dot) that `reco candidates eval --source embed:...` and the ANN indexes read.
// --user-features / --item-features add categorical feature fields to the towers
// (src/reco/twotower/tower_features.h).
#include <cstdio>
#include <optional>

#include "candidates_commands.h"
#include "reco/core/error.h"
#include "reco/core/timer.h"
#include "reco/twotower/trainer.h"

namespace reco::cli {

Action setup_candidates_build_twotower(CLI::App* app, GlobalOptions& global) {
  struct Opts {
    std::string train, out, embeddings, user_features, item_features;
    twotower::TwoTowerConfig config;
    bool no_logq = false;
  };
  auto o = std::make_shared<Opts>();
  auto& c = o->config;
  app->add_option("--train", o->train, "Interactions CSV: user,item,weight,timestamp (sorted by user, time)")
      ->required();
  app->add_option("-o,--out", o->out, "Output model file (.twotower)")->required();
  app->add_option("--embeddings", o->embeddings, "Also write the embeddings file (items + training users)");
  app->add_option("--user-features", o->user_features,
                  "Categorical user fields: CSV user,<field>,... (tokens; a|b = multi-hot)");
  app->add_option("--item-features", o->item_features,
                  "Categorical item fields: CSV item,<field>,... (items only here get vectors: cold start)");
  app->add_option("--field-dim", c.field_dim, "Embedding size of each feature field (0 = --embed-dim)")
      ->capture_default_str();
  app->add_option("--dim", c.dim, "Output vector size")->capture_default_str();
  app->add_option("--embed-dim", c.embed_dim, "Id embedding size")->capture_default_str();
  app->add_option("--hidden", c.hidden, "Hidden layer width of both towers (0 = a single linear layer)")
      ->capture_default_str();
  app->add_option("--history", c.history, "Recent training items mean-pooled into the user tower (0 = off)")
      ->capture_default_str();
  app->add_option("--batch", c.batch, "Positives per batch (the in-batch negatives)")->capture_default_str();
  app->add_option("--temperature", c.temperature, "Softmax temperature tau")->capture_default_str();
  app->add_option("--epochs", c.epochs, "Passes over the training rows")->capture_default_str();
  app->add_option("--lr", c.lr, "Adam learning rate (LazyAdam on the id tables)")->capture_default_str();
  app->add_option("--random-negatives", c.random_negatives, "Extra uniform negatives per batch (mixed negatives)")
      ->capture_default_str();
  app->add_option("--init-scale", c.init_scale, "Id embeddings start U(-s, s)")->capture_default_str();
  app->add_flag("--no-logq", o->no_logq, "No log Q(j) correction of the logits");
  app->add_flag("--normalize", c.normalize, "L2-normalise both towers' outputs");
  app->add_flag("--weighted", c.weighted, "Use the weight column as sample weights");
  app->add_option("--user-id-dropout", c.user_id_dropout,
                  "Training: share of rows whose user id embedding is zeroed (serves unseen users better)")
      ->capture_default_str();
  return [o, &global] {
    const RunContext ctx = global.context();
    o->config.logq = !o->no_logq;
    o->config.validate();
    Stopwatch total;
    const twotower::Interactions data = twotower::read_interactions(o->train);
    const double read_s = total.elapsed_seconds();
    twotower::TrainReport rep;
    std::optional<twotower::FeatureCsv> ucsv, icsv;
    if (!o->user_features.empty()) ucsv = twotower::read_feature_csv(o->user_features, "user");
    if (!o->item_features.empty()) icsv = twotower::read_feature_csv(o->item_features, "item");
    const bool with_fields = ucsv || icsv;
    const twotower::TowerFields fields =
        with_fields ? twotower::make_tower_fields(data.user_ids, data.item_ids, ucsv ? &*ucsv : nullptr,
                                                  icsv ? &*icsv : nullptr)
                    : twotower::TowerFields{};
    const twotower::TwoTowerModel model =
        twotower::train_two_tower(data, o->config, ctx, &rep, with_fields ? &fields : nullptr);
    nlohmann::json report = rep.to_json();
    report["train"] = o->train;
    report["threads"] = ctx.threads;
    report["seed"] = ctx.seed;
    report["user_features"] = o->user_features;
    report["item_features"] = o->item_features;
    model.save(o->out, report);
    if (!o->embeddings.empty()) twotower::two_tower_embeddings(model, data, ctx.threads, report).save(o->embeddings);
    if (global.json) {
      nlohmann::json j = {{"out", o->out},          {"embeddings", o->embeddings}, {"users", data.users()},
                          {"items", data.items()},  {"interactions", data.size()}, {"read_seconds", read_s},
                          {"report", rep.to_json()}, {"config", o->config.to_json()},
                          {"seconds", total.elapsed_seconds()},
                          {"model_users", model.users()}, {"model_items", model.items()},
                          {"user_fields", model.user_fields().names}, {"item_fields", model.item_fields().names}};
      std::printf("%s\n", j.dump().c_str());
    } else if (!global.quiet) {
      std::printf("twotower -> %s%s%s\n", o->out.c_str(), o->embeddings.empty() ? "" : " + ",
                  o->embeddings.c_str());
      std::printf("  %zu users, %zu items, %zu interactions (read %.3f s)\n", data.users(), data.items(), data.size(),
                  read_s);
      std::printf("  %llu steps, %.3f s, %.0f samples/s, final epoch loss %.4f\n", (unsigned long long)rep.steps,
                  rep.seconds, rep.samples_per_second, rep.epoch_loss.empty() ? 0.0 : rep.epoch_loss.back());
    }
    return 0;
  };
}

}  // namespace reco::cli
