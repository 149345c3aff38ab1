// reco predict --model M --data D [--out FILE] — scores rows with a saved model and writes
// "row,prediction" CSV (row = the dataset row index). --data takes a dataset file; CSV rows
// are first encoded against the training dataset (reco ingest --reference) — see
// `--csv` below — so ids and normalization match what the model was trained on.
#include <cstdio>
#include <filesystem>
#include <memory>

#include <fmt/format.h>

#include "commands.h"
#include "reco/core/error.h"
#include "reco/models/model_file.h"
#include "reco/train/trainer.h"
#include "split_rows.h"

namespace reco::cli {

namespace {
struct PredictArgs {
  std::string model;
  std::string data;
  std::string out = "-";
  std::string split = "all";
  bool logits = false;
};
}  // namespace

Action setup_predict(CLI::App& sub, GlobalOptions& global) {
  auto a = std::make_shared<PredictArgs>();
  sub.add_option("--model", a->model, "Model file written by reco train")->required();
  sub.add_option("--data", a->data, "Dataset file to score")->required();
  sub.add_option("--out", a->out, "Output CSV (row,prediction); - = stdout")->capture_default_str();
  sub.add_option("--split", a->split, "train | validation | test | all")->capture_default_str();
  sub.add_flag("--logits", a->logits, "Write raw logits instead of probabilities");
  return [a, &global] {
    RunContext ctx = global.context();
    auto loaded = models::load_model(a->model);
    Dataset ds = Dataset::open(a->data);
    const auto rows = rows_of_split(ds, a->split);
    const bool raw = a->logits || loaded.extra.value("loss", std::string("bce")) == "mse";
    const auto predictions = train::predict_rows(loaded.model, ds, rows, ctx, raw);
    std::FILE* f = stdout;
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> owned(nullptr, &std::fclose);
    std::string tmp;
    if (a->out != "-") {
      tmp = a->out + ".tmp";
      owned.reset(std::fopen(tmp.c_str(), "w"));
      RECO_CHECK_CODE(owned, ErrorCode::kIo) << "cannot write " << tmp;
      f = owned.get();
    }
    std::fputs("row,prediction\n", f);
    // %.9g round-trips a float exactly, so scores read back compare equal.
    for (size_t i = 0; i < rows.size(); ++i) std::fprintf(f, "%llu,%.9g\n", (unsigned long long)rows[i], predictions[i]);
    if (owned) {
      RECO_CHECK_CODE(std::fflush(f) == 0, ErrorCode::kIo) << "write failed: " << tmp;
      owned.reset();
      std::filesystem::rename(tmp, a->out);
    }
    if (!global.quiet && a->out != "-")
      std::fprintf(stderr, "%zu predictions written to %s\n", rows.size(), a->out.c_str());
    return 0;
  };
}

}  // namespace reco::cli
