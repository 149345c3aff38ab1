// reco ingest — CSV/TSV/edge lists (plain or gzip) into a columnar dataset file, by a built-in
// preset (--format) or a TOML schema (--schema). Strict by default; --on-error=skip counts.
// --reference TRAIN.dataset: apply mode (reco/data/ingest.h) — encode new rows exactly like an
// existing dataset (its schema unless one is given, vocabularies, hashing, normalizers); labels
// may be absent or empty (stored as NaN) so rows to score need no label column.
#include <cstdio>

#include <fmt/format.h>

#include "commands.h"
#include "reco/core/error.h"
#include "reco/data/dataset.h"
#include "reco/data/dataset_summary.h"
#include "reco/data/ingest.h"
#include "reco/data/presets.h"

namespace reco::cli {

Action setup_ingest(CLI::App& sub, GlobalOptions& global) {
  struct Opts {
    std::vector<std::string> inputs;
    std::string format, schema, out, on_error = "strict", split = "none", downsample_label, print_schema,
        reference;
    double alpha = 1.0;
    size_t max_examples = 5;
    bool list_formats = false, inspect = false;
  };
  auto o = std::make_shared<Opts>();
  sub.add_option("inputs,-i,--input", o->inputs, "Input files (same layout; .gz read transparently)");
  sub.add_option("-f,--format", o->format, "Built-in layout (see --list-formats)");
  sub.add_option("-s,--schema", o->schema, "TOML schema file describing the columns (docs/formats.md)");
  sub.add_option("-o,--out", o->out, "Output dataset file");
  sub.add_option("--reference", o->reference,
                 "Encode like this existing dataset (its schema, vocabularies, hashing, normalizers; "
                 "missing labels -> NaN)");
  sub.add_option("--on-error", o->on_error, "strict: stop at the first bad row; skip: count and continue")
      ->capture_default_str();
  sub.add_option("--max-error-examples", o->max_examples, "Bad rows quoted in skip mode")->capture_default_str();
  sub.add_option("--downsample", o->alpha, "Keep negatives with probability alpha (0,1]; alpha is stored")
      ->capture_default_str();
  sub.add_option("--downsample-label", o->downsample_label, "Label defining negatives (default: the first label)");
  sub.add_option("--split", o->split,
                 "none | random:0.8,0.1,0.1 | time:0.8,0.1 | user:0.8,0.1,0.1 | leave-last-out[:N] | index-mod:N:a,b")
      ->capture_default_str();
  sub.add_flag("--list-formats", o->list_formats, "List the built-in layouts and exit");
  sub.add_option("--print-schema", o->print_schema, "Print a built-in layout's TOML schema and exit");
  sub.add_flag("--inspect", o->inspect, "Print the dataset summary after writing");
  return [o, &global] {
    if (o->list_formats) {
      for (const auto& name : preset_names()) std::printf("%s\n", name.c_str());
      return 0;
    }
    if (!o->print_schema.empty()) {
      std::fputs(std::string(preset_toml(o->print_schema)).c_str(), stdout);
      return 0;
    }
    RECO_CHECK(!o->inputs.empty()) << "no input files given";
    RECO_CHECK(!o->out.empty()) << "--out is required";
    if (o->reference.empty()) {
      RECO_CHECK(o->format.empty() != o->schema.empty()) << "give exactly one of --format and --schema";
    } else {
      RECO_CHECK(o->format.empty() || o->schema.empty())
          << "give at most one of --format and --schema (with --reference, default: the reference's)";
    }
    IngestOptions opt;
    opt.inputs = o->inputs;
    if (!o->format.empty()) {
      opt.schema = preset_schema(o->format);
      opt.schema_name = o->format;
    } else if (!o->schema.empty()) {
      opt.schema = schema_from_file(o->schema);
      opt.schema_name = o->schema;
    }
    opt.reference = o->reference;
    opt.allow_missing_labels = !o->reference.empty();
    opt.output = o->out;
    opt.on_error = parse_on_error(o->on_error);
    opt.max_error_examples = o->max_examples;
    opt.downsample_alpha = o->alpha;
    opt.downsample_label = o->downsample_label;
    opt.split = o->split;
    opt.ctx = global.context();
    IngestReport report = ingest(opt);
    if (global.json) {
      nlohmann::json j = {{"out", o->out}, {"report", report.to_json()}};
      if (o->inspect) j["summary"] = summarize_dataset(Dataset::open(o->out), opt.ctx);
      std::printf("%s\n", j.dump(2).c_str());
      return 0;
    }
    if (!global.quiet) {
      std::fprintf(stderr, "reco: %s: %llu rows written (%llu read, %llu skipped) in %.2f s, %.1f MB/s\n",
                   o->out.c_str(), (unsigned long long)report.rows_written, (unsigned long long)report.rows_read,
                   (unsigned long long)report.rows_skipped, report.elapsed_seconds,
                   report.parse_seconds > 0 ? report.text_bytes / report.parse_seconds / 1e6 : 0.0);
      for (const auto& [reason, count] : report.skip_reasons) {
        std::fprintf(stderr, "reco:   skipped %llu rows: %s\n", (unsigned long long)count, reason.c_str());
      }
      for (const auto& example : report.error_examples) std::fprintf(stderr, "reco:   e.g. %s\n", example.c_str());
      for (const auto& [column, count] : report.oov) {
        if (count > 0) {
          std::fprintf(stderr, "reco:   %s: %llu values not in the reference vocabulary (id 0)\n", column.c_str(),
                       (unsigned long long)count);
        }
      }
    }
    if (o->inspect) std::fputs(format_dataset_summary(summarize_dataset(Dataset::open(o->out), opt.ctx)).c_str(), stdout);
    return 0;
  };
}

}  // namespace reco::cli
