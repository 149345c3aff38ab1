// reco predict --model M (--data D | --csv FILE) [--out FILE] — scores rows with a saved model
// and writes "row,prediction" CSV. --data takes a dataset file (row = its row index). --csv
// takes raw rows in the training data's text layout: they are first encoded against the
// training dataset (ingest apply mode, data/ingest.h: same vocabularies, hash buckets and
// normalizers) so ids and dense values match what the model saw; row = the CSV row number.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "reco/core/error.h"
#include "reco/data/ingest.h"
#include "reco/models/model_file.h"
#include "reco/train/trainer.h"
#include "split_rows.h"

namespace reco::cli {

namespace {
// A scratch dataset in the temp directory, removed when scoring is done.
struct TempPath {
  TempPath()
      : path((std::filesystem::temp_directory_path() / fmt::format("reco-predict-{}.dataset", ::getpid())).string()) {}
  ~TempPath() {
    std::error_code ec;
    std::filesystem::remove(path, ec);
  }
  std::string path;
};

struct PredictArgs {
  bool position_logged = false;
  std::string model;
  std::string data;
  std::string csv;
  std::string reference;
  std::string out = "-";
  std::string split = "all";
  bool logits = false;
  bool uncalibrated = false;
  std::string utility;
};
}  // namespace

Action setup_predict(CLI::App& sub, GlobalOptions& global) {
  auto a = std::make_shared<PredictArgs>();
  sub.add_option("--model", a->model, "Model file written by reco train")->required();
  auto* data = sub.add_option("--data", a->data, "Dataset file to score");
  auto* csv = sub.add_option("--csv", a->csv, "Raw CSV/TSV rows to score (the training data's layout)");
  data->excludes(csv);
  sub.add_option("--reference", a->reference,
                 "Dataset whose encoding --csv rows get (default: the model's training dataset)");
  sub.add_option("--out", a->out, "Output CSV (row,prediction); - = stdout")->capture_default_str();
  sub.add_option("--split", a->split, "train | validation | test | all")->capture_default_str();
  sub.add_flag("--logits", a->logits, "Write raw logits instead of probabilities");
  sub.add_flag("--position-logged", a->position_logged,
               "Feed each row's logged position to a model with a position input (default: zeroed, as served)");
  sub.add_flag("--uncalibrated", a->uncalibrated, "Raw head probabilities (no downsampling correction or calibrator)");
  sub.add_option("--utility", a->utility,
                 "Utility weights overriding the model's, e.g. click=1,save=2 or 1,2 (multi-task models)");
  return [a, &global] {
    RunContext ctx = global.context();
    auto loaded = models::load_model(a->model);
    RECO_CHECK(!a->data.empty() || !a->csv.empty()) << "reco predict: give --data DATASET or --csv FILE";
    std::string data_path = a->data;
    std::unique_ptr<TempPath> encoded;
    if (!a->csv.empty()) {
      std::string reference = a->reference;
      if (reference.empty()) {
        const auto& d = loaded.extra.value("dataset", nlohmann::json::object());
        reference = d.value("path", std::string());
        RECO_CHECK(!reference.empty()) << a->model << " does not record its training dataset: pass --reference";
      }
      encoded = std::make_unique<TempPath>();
      IngestOptions opt;
      opt.inputs = {a->csv};
      opt.reference = reference;
      opt.allow_missing_labels = true;
      opt.output = encoded->path;
      opt.ctx = ctx;
      opt.ctx.quiet = true;
      const IngestReport report = ingest(opt);
      if (report.rows_skipped > 0 && !global.quiet)
        std::fprintf(stderr, "reco predict: %llu rows of %s skipped (see --on-error in reco ingest)\n",
                     (unsigned long long)report.rows_skipped, a->csv.c_str());
      data_path = encoded->path;
    }
    Dataset ds = Dataset::open(data_path);
    const auto rows = rows_of_split(ds, a->split);
    const bool raw = a->logits || loaded.extra.value("loss", std::string("bce")) == "mse";
    RECO_CHECK(!a->position_logged || loaded.model.features().position.method == models::PositionMethod::kFeature ||
               loaded.model.features().position.method == models::PositionMethod::kTower)
        << a->model << ": --position-logged needs a model with a position feature or tower";
    auto predictions = train::predict_rows(loaded.model, ds, rows, ctx, raw, 4096, a->position_logged);
    // Calibrated heads (downsampling correction + stored map) unless raw scores are asked for.
    if (!raw && !a->uncalibrated) loaded.scoring.calibrate(predictions);
    const std::vector<double> weights =
        a->utility.empty() ? loaded.scoring.weights : loaded.scoring.parse_weights(a->utility);
    std::FILE* f = stdout;
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> owned(nullptr, &std::fclose);
    std::string tmp;
    if (a->out != "-") {
      tmp = a->out + ".tmp";
      owned.reset(std::fopen(tmp.c_str(), "w"));
      RECO_CHECK_CODE(owned, ErrorCode::kIo) << "cannot write " << tmp;
      f = owned.get();
    }
    // One column per task: "prediction" for a single-task model, the task names otherwise.
    const auto& tasks = loaded.model.features().tasks;
    const size_t nt = tasks.size();
    std::string header = "row";
    for (const auto& t : tasks) header += "," + (nt == 1 ? std::string("prediction") : t.name);
    if (nt > 1) header += ",utility";
    std::fprintf(f, "%s\n", header.c_str());
    // %.9g round-trips a float exactly, so scores read back compare equal.
    for (size_t i = 0; i < rows.size(); ++i) {
      std::fprintf(f, "%llu", (unsigned long long)rows[i]);
      for (size_t t = 0; t < nt; ++t) std::fprintf(f, ",%.9g", predictions[i * nt + t]);
      if (nt > 1) std::fprintf(f, ",%.9g", models::HeadScoring::utility(&predictions[i * nt], weights));
      std::fputc('\n', f);
    }
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
