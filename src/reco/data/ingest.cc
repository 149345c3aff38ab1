#include "reco/data/ingest.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <optional>

#include "reco/core/error.h"
#include "reco/core/progress.h"
#include "reco/data/dataset.h"
#include "reco/data/downsample.h"
#include "reco/data/field_splitter.h"
#include "reco/data/line_reader.h"
#include "reco/data/row_parser.h"
#include "reco/data/split.h"
#include "reco/features/dense_stats.h"
#include "reco/features/normalizer.h"

namespace reco {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

bool is_blank_line(std::string_view line) {
  for (char c : line) {
    if (c != ' ' && c != '\t') return false;
  }
  return true;
}

std::vector<std::string> header_names(const Schema& schema, std::string_view line,
                                      const std::string& where) {
  SplitOptions opts{schema.format.delimiter, schema.format.quote, true};
  FieldSplitter splitter(opts);
  std::vector<Field> fields;
  SplitError err;
  if (!splitter.split(line, fields, err)) {
    RECO_THROW(ErrorCode::kParse) << where << ":" << err.column << ": header: " << err.message;
  }
  std::vector<std::string> names;
  for (const Field& f : fields) {
    if (f.text.empty()) {
      RECO_THROW(ErrorCode::kParse) << where << ":" << f.column
                                    << ": header: expected a column name, got ''";
    }
    names.emplace_back(f.text);
  }
  if (!schema.format.names.empty()) {
    if (schema.format.names.size() != names.size()) {
      RECO_THROW(ErrorCode::kParse) << where << ": header has " << names.size()
                                    << " columns but [format] names lists "
                                    << schema.format.names.size();
    }
    return schema.format.names;  // names override the header's spelling
  }
  return names;
}

nlohmann::json label_details(const OutputColumn& out, const Schema& schema,
                             const std::vector<std::string>& names) {
  nlohmann::json d = nlohmann::json::object();
  const LabelRule* rule = nullptr;
  if (out.derived >= 0) {
    rule = &schema.labels[out.derived].rule;
    d["derived_from"] = schema.labels[out.derived].from;
  } else {
    rule = &schema.columns[out.spec].label;
    if (out.input >= 0) d["source"] = names[out.input];
  }
  if (out.input < 0) d["absent"] = true;  // not in the input: every value is NaN
  if (!rule->positive.empty()) d["positive"] = rule->positive;
  if (!rule->negative.empty()) d["negative"] = rule->negative;
  if (!rule->domain.empty()) d["domain"] = rule->domain;
  if (rule->threshold) d["threshold"] = *rule->threshold;
  return d;
}

// Apply mode: how the reference dataset encoded one output column.
struct ReferenceColumn {
  const ColumnInfo* info = nullptr;
  std::optional<Normalizer> normalizer;  ///< dense columns
};

std::string column_names(const std::vector<ColumnInfo>& columns) {
  std::string out;
  for (const ColumnInfo& c : columns) out += (out.empty() ? "'" : ", '") + c.name + "'";
  return out;
}

// The schema the reference was ingested with (ingest records its TOML in meta.extra).
Schema reference_schema(const Dataset& ref) {
  const nlohmann::json& extra = ref.extra();
  if (!extra.contains("schema_toml") || !extra["schema_toml"].is_string() ||
      extra["schema_toml"].get<std::string>().empty()) {
    RECO_THROW(ErrorCode::kInvalidArgument)
        << ref.path() << ": reference dataset records no schema (meta.extra.schema_toml); "
        << "give the schema explicitly (--schema or --format)";
  }
  std::string source = extra.value("schema_source", ref.path() + ":schema_toml");
  return parse_schema(extra["schema_toml"].get<std::string>(), source);
}

// Checks that the parser's outputs are exactly the reference's columns, binds vocab and
// identity columns to the reference encoding, and returns the write order (output indices in
// reference column order) plus, per output, its reference column.
std::vector<ReferenceColumn> bind_reference(RowParser& parser, const Dataset& ref,
                                            std::vector<size_t>& order) {
  const std::string& path = ref.path();
  auto& outputs = parser.outputs();
  std::vector<ReferenceColumn> bound(outputs.size());
  for (size_t i = 0; i < outputs.size(); ++i) {
    OutputColumn& out = outputs[i];
    if (!ref.has(out.name)) {
      RECO_THROW(ErrorCode::kInvalidArgument)
          << "column '" << out.name << "' is not in the reference dataset " << path
          << " (its columns: " << column_names(ref.columns()) << ")";
    }
    const ColumnInfo& rc = ref.column(out.name);
    bound[i].info = &rc;
    const ColumnStorage storage = storage_for(out.role);
    if (rc.role != out.role || rc.storage != storage) {
      RECO_THROW(ErrorCode::kInvalidArgument)
          << "column '" << out.name << "': the new rows give role " << column_role_name(out.role)
          << " (" << column_storage_name(storage) << ") but the reference dataset " << path
          << " has " << column_role_name(rc.role) << " (" << column_storage_name(rc.storage)
          << ")";
    }
    if (out.role == ColumnRole::kDense) {
      if (!rc.details.contains("normalizer")) {
        RECO_THROW(ErrorCode::kInvalidArgument)
            << "column '" << out.name << "': the reference dataset " << path
            << " stores no fitted normalizer (details.normalizer)";
      }
      bound[i].normalizer = Normalizer::from_json(rc.details["normalizer"]);
    }
    if (storage != ColumnStorage::kU32 && storage != ColumnStorage::kMultiHotU32) continue;
    const std::string_view encoding = encoding_name(out.encoding);
    if (rc.encoding != encoding) {
      RECO_THROW(ErrorCode::kInvalidArgument)
          << "column '" << out.name << "': the new rows use encoding " << encoding
          << " but the reference dataset " << path << " used " << rc.encoding;
    }
    switch (out.encoding) {
      case Encoding::kVocab:
        if (!ref.has_vocabulary(out.name)) {
          RECO_THROW(ErrorCode::kInvalidArgument)
              << "column '" << out.name << "': the reference dataset " << path
              << " stores no vocabulary for it";
        }
        out.fixed_vocab = ref.vocabulary(out.name);
        break;
      case Encoding::kHash: {
        const uint64_t seed = rc.details.value("hash_seed", uint64_t{0});
        if (rc.cardinality != out.buckets || seed != out.seed) {
          RECO_THROW(ErrorCode::kInvalidArgument)
              << "column '" << out.name << "': hashing differs from the reference dataset "
              << path << " (buckets " << out.buckets << ", seed " << out.seed
              << " vs the reference's " << rc.cardinality << ", " << seed << ")";
        }
        break;
      }
      case Encoding::kIdentity:
        out.id_limit = rc.cardinality;
        break;
    }
  }
  if (ref.columns().size() != outputs.size()) {
    for (const ColumnInfo& rc : ref.columns()) {
      if (parser.output_index(rc.name) < 0) {
        RECO_THROW(ErrorCode::kInvalidArgument)
            << "reference column '" << rc.name << "' (" << column_role_name(rc.role)
            << ") of " << path << " is not produced from the new rows"
            << (rc.role == ColumnRole::kLabel
                    ? " (rows to score without labels need allow_missing_labels)"
                    : "");
      }
    }
  }
  order.clear();
  for (const ColumnInfo& rc : ref.columns()) {
    order.push_back(static_cast<size_t>(parser.output_index(rc.name)));
  }
  return bound;
}

// Writes every output column (finalizing vocabularies and normalizers) and frees its builder.
// `order`: output indices in write order. `refs`: empty, or per output the reference column
// whose encoding apply mode reuses.
void write_columns(RowParser& parser, const Schema& schema, DatasetWriter& writer,
                   const std::vector<size_t>& order, const std::vector<ReferenceColumn>& refs,
                   std::vector<uint32_t>& user_ids, std::vector<int64_t>& timestamps,
                   Vocabulary& user_vocab, bool& have_user_vocab) {
  const auto& names = parser.names();
  bool have_users = false, have_times = false;
  for (size_t index : order) {
    OutputColumn& out = parser.outputs()[index];
    const ReferenceColumn* ref = refs.empty() ? nullptr : &refs[index];
    ColumnInfo info;
    info.name = out.name;
    info.role = out.role;
    if (out.input >= 0 && out.derived < 0 && names[out.input] != out.name) {
      info.details["source"] = names[out.input];
    }
    const ColumnSpec* spec = out.spec >= 0 ? &schema.columns[out.spec] : nullptr;
    switch (out.kind) {
      case BuilderKind::kF32: {
        if (out.role == ColumnRole::kLabel) {
          info.details = label_details(out, schema, names);
        } else if (out.role == ColumnRole::kDense) {
          DenseStats stats = DenseStats::compute(out.f32);
          Normalizer norm = ref ? *ref->normalizer
                                : Normalizer::fit(parse_normalizer_kind(spec->normalizer), stats);
          norm.apply(out.f32, out.f32);
          info.details["stats"] = stats.to_json();
          info.details["normalizer"] = norm.to_json();
        }
        writer.add_f32(std::move(info), out.f32);
        std::vector<float>().swap(out.f32);
        break;
      }
      case BuilderKind::kI32:
        writer.add_i32(std::move(info), out.i32);
        std::vector<int32_t>().swap(out.i32);
        break;
      case BuilderKind::kI64:
        if (out.role == ColumnRole::kTimestamp) {
          info.details["format"] = spec->time_format;
          if (!have_times) {
            timestamps = out.i64;
            have_times = true;
          }
        }
        writer.add_i64(std::move(info), out.i64);
        std::vector<int64_t>().swap(out.i64);
        break;
      case BuilderKind::kU32:
      case BuilderKind::kMultiHot: {
        std::vector<uint32_t>& ids = out.kind == BuilderKind::kU32 ? out.u32 : out.values;
        info.encoding = std::string(encoding_name(out.encoding));
        std::optional<Vocabulary> vocab;
        if (out.encoding == Encoding::kVocab && out.fixed_vocab) {  // apply: ids are final
          vocab = *out.fixed_vocab;
          info.cardinality = static_cast<uint32_t>(vocab->size());
          for (const char* key : {"min_count", "max_size"}) {
            if (ref->info->details.contains(key)) info.details[key] = ref->info->details[key];
          }
          info.details["oov"] = out.oov;
        } else if (out.encoding == Encoding::kVocab) {
          bool is_id = out.role == ColumnRole::kUserId || out.role == ColumnRole::kItemId ||
                       out.role == ColumnRole::kQueryId;
          uint64_t min_count = is_id ? 1 : spec->min_count;
          uint64_t max_size = is_id ? 0 : spec->max_size;
          auto result = out.vocab.finalize(min_count, max_size);
          for (uint32_t& id : ids) id = result.remap[id];
          vocab = std::move(result.vocabulary);
          RECO_CHECK_CODE(vocab->size() <= 0xFFFFFFFFull, ErrorCode::kResourceExhausted)
              << out.name << ": too many distinct values";
          info.cardinality = static_cast<uint32_t>(vocab->size());
          info.details["min_count"] = min_count;
          if (max_size > 0) info.details["max_size"] = max_size;
          out.vocab = VocabularyBuilder();
        } else if (out.encoding == Encoding::kHash) {
          info.cardinality = static_cast<uint32_t>(out.buckets);
          info.details["hash_seed"] = out.seed;
          if (out.cross >= 0) info.details["cross"] = schema.crosses[out.cross].columns;
        } else if (out.id_limit > 0) {  // apply: every id was checked < the reference's
          info.cardinality = static_cast<uint32_t>(out.id_limit);
        } else {
          info.cardinality = static_cast<uint32_t>(out.max_id + 1);
        }
        if (out.role == ColumnRole::kUserId && !have_users) {
          user_ids = ids;
          have_users = true;
          if (vocab) {
            user_vocab = *vocab;
            have_user_vocab = true;
          }
        }
        if (out.kind == BuilderKind::kU32) {
          writer.add_u32(std::move(info), out.u32);
        } else {
          if (spec != nullptr) info.details["separator"] = spec->separator;
          writer.add_multi_hot(std::move(info), out.offsets, out.values, out.weights);
        }
        if (vocab) writer.add_vocabulary(out.name, *vocab);
        std::vector<uint32_t>().swap(out.u32);
        std::vector<uint32_t>().swap(out.values);
        std::vector<float>().swap(out.weights);
        std::vector<uint64_t>().swap(out.offsets);
        break;
      }
    }
  }
}

}  // namespace

OnError parse_on_error(std::string_view text) {
  if (text == "strict") return OnError::kStrict;
  if (text == "skip") return OnError::kSkip;
  RECO_THROW(ErrorCode::kInvalidArgument)
      << "--on-error must be \"strict\" or \"skip\", got \"" << text << "\"";
}

nlohmann::json IngestReport::to_json() const {
  nlohmann::json j;
  j["lines_read"] = lines_read;
  j["header_lines"] = header_lines;
  j["skipped_lines"] = skipped_lines;
  j["comment_lines"] = comment_lines;
  j["blank_lines"] = blank_lines;
  j["rows_read"] = rows_read;
  j["rows_skipped"] = rows_skipped;
  j["skip_reasons"] = skip_reasons;
  j["error_examples"] = error_examples;
  j["negatives_seen"] = negatives_seen;
  j["negatives_kept"] = negatives_kept;
  j["rows_written"] = rows_written;
  if (!oov.empty()) j["oov"] = oov;
  j["bytes_read"] = bytes_read;
  j["text_bytes"] = text_bytes;
  j["parse_seconds"] = parse_seconds;
  j["elapsed_seconds"] = elapsed_seconds;
  return j;
}

IngestReport ingest(const IngestOptions& options) {
  const auto t0 = Clock::now();
  RECO_CHECK(!options.inputs.empty()) << "ingest needs at least one input file";
  RECO_CHECK(!options.output.empty()) << "ingest needs an output path";
  check_downsample_alpha(options.downsample_alpha);
  const SplitSpec split_spec = SplitSpec::parse(options.split);
  IngestReport report;

  // Apply mode: only meta and vocabularies of the reference are read, so the O(file) checksum
  // and id passes are skipped (Vocabulary validates its own arrays).
  std::optional<Dataset> ref;
  if (!options.reference.empty()) {
    std::error_code ec;
    if (!std::filesystem::exists(options.reference, ec)) {
      RECO_THROW(ErrorCode::kNotFound) << options.reference << ": reference dataset not found";
    }
    ref.emplace(Dataset::open(options.reference, DatasetOpenOptions{false, false}));
  }
  const Schema& given = options.schema;
  const bool schema_given = !given.toml_text.empty() || !given.columns.empty() ||
                            !given.labels.empty() || !given.crosses.empty();
  RECO_CHECK(schema_given || ref) << "ingest needs a schema (or a reference dataset)";
  const Schema schema = schema_given ? given : reference_schema(*ref);
  std::string schema_name = options.schema_name.empty() ? schema.source : options.schema_name;
  if (!schema_given) schema_name = ref->extra().value("schema_name", schema.source);
  const RowParserOptions parser_options{options.allow_missing_labels};
  std::vector<size_t> order;
  std::vector<ReferenceColumn> refs;

  uint64_t total_bytes = 0;
  for (const auto& path : options.inputs) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      RECO_THROW(ErrorCode::kNotFound) << path << ": input file not found";
    }
    auto size = std::filesystem::file_size(path, ec);
    if (!ec) total_bytes += size;
  }

  std::unique_ptr<RowParser> parser;
  if (!schema.format.header) {
    parser = std::make_unique<RowParser>(schema, schema.format.names, schema.source,
                                         parser_options);
  }
  uint64_t valid_rows = 0;
  std::string downsample_label;
  auto install_filter = [&](const std::string& where) {
    int label = parser->label_output(options.downsample_label);
    if (label < 0) {
      if (options.downsample_alpha < 1.0 || !options.downsample_label.empty()) {
        RECO_THROW(ErrorCode::kInvalidArgument)
            << where << ": downsampling needs a label column"
            << (options.downsample_label.empty() ? std::string()
                                                 : " named '" + options.downsample_label + "'");
      }
      return;
    }
    downsample_label = parser->outputs()[label].name;
    const double alpha = options.downsample_alpha;
    const uint64_t seed = derive_seed(options.ctx.seed, 0xD0517);
    parser->set_row_filter(
        [&report, &valid_rows, alpha, seed](float y) {
          const uint64_t row = valid_rows++;
          if (std::isnan(y) || y != 0.0f) return true;
          ++report.negatives_seen;
          if (alpha >= 1.0 || keep_negative(row, alpha, seed)) {
            ++report.negatives_kept;
            return true;
          }
          return false;
        },
        label);
  };
  // Called once the parser exists (it needs the header): downsampling filter, then apply-mode
  // binding, so a column mismatch is reported before any row is parsed.
  auto prepare = [&](const std::string& where) {
    install_filter(where);
    if (ref) {
      refs = bind_reference(*parser, *ref, order);
    } else {
      for (size_t i = 0; i < parser->outputs().size(); ++i) order.push_back(i);
    }
  };
  if (parser) prepare(schema.source);

  Progress progress("ingest", total_bytes, options.ctx);
  uint64_t bytes_before = 0;
  bool reserved = false;
  RowIssue issue;
  for (const auto& path : options.inputs) {
    LineReader reader(path);
    std::string_view line;
    int64_t to_skip = schema.format.skip_lines;
    bool need_header = schema.format.header;
    uint64_t next_progress = 0;
    while (reader.next(line)) {
      ++report.lines_read;
      if (to_skip > 0) {
        --to_skip;
        ++report.skipped_lines;
        continue;
      }
      if (!schema.format.comment.empty() && line.starts_with(schema.format.comment)) {
        ++report.comment_lines;
        continue;
      }
      if (is_blank_line(line)) {
        ++report.blank_lines;
        continue;
      }
      if (need_header) {
        need_header = false;
        ++report.header_lines;
        const std::string where = path + ":" + std::to_string(reader.line_number());
        auto names = header_names(schema, line, where);
        if (!parser) {
          parser = std::make_unique<RowParser>(schema, std::move(names), where, parser_options);
          prepare(where);
        } else if (names != parser->names()) {
          RECO_THROW(ErrorCode::kParse) << where << ": header differs from the first input's ("
                                        << options.inputs.front() << ")";
        }
        continue;
      }
      ++report.rows_read;
      if (!parser->parse(line, issue)) {
        std::string message = path + ":" + std::to_string(reader.line_number()) + ":" +
                              std::to_string(issue.column) + ": " + issue.message;
        if (options.on_error == OnError::kStrict) {
          RECO_THROW(ErrorCode::kParse) << message;
        }
        ++report.rows_skipped;
        ++report.skip_reasons[issue.reason];
        if (report.error_examples.size() < options.max_error_examples) {
          report.error_examples.push_back(std::move(message));
        }
      }
      if (report.rows_read == 4096 && !reserved && !reader.is_gzip()) {
        // Size the builders from the first rows' bytes: avoids repeated regrowth (and the
        // copies it costs) on multi-GB inputs. 10% headroom; a low estimate only means growth.
        reserved = true;
        const double per_row = static_cast<double>(reader.text_bytes()) / 4096.0;
        if (per_row > 0) {
          double est = 1.1 * static_cast<double>(total_bytes) / per_row;
          parser->reserve(static_cast<uint64_t>(std::min(est, 4e9)));
        }
      }
      if (report.rows_read >= next_progress) {
        next_progress = report.rows_read + 65536;
        progress.update(bytes_before + reader.file_bytes_read());
      }
    }
    bytes_before += reader.file_bytes_read();
    report.bytes_read += reader.file_bytes_read();
    report.text_bytes += reader.text_bytes();
    progress.update(bytes_before);
  }
  progress.finish();
  report.parse_seconds = seconds_since(t0);
  if (!parser || parser->rows() == 0) {
    RECO_THROW(ErrorCode::kParse)
        << options.inputs.front() << ": no data rows to write (" << report.rows_read
        << " data lines read, " << report.rows_skipped << " rejected, "
        << (report.negatives_seen - report.negatives_kept) << " dropped by downsampling)";
  }
  report.rows_written = parser->rows();
  for (const OutputColumn& out : parser->outputs()) {
    if (out.fixed_vocab) report.oov[out.name] = out.oov;
  }

  DatasetWriter writer(options.output);
  writer.set_rows(report.rows_written);
  std::vector<uint32_t> user_ids;
  std::vector<int64_t> timestamps;
  Vocabulary user_vocab;
  bool have_user_vocab = false;
  write_columns(*parser, schema, writer, order, refs, user_ids, timestamps, user_vocab,
                have_user_vocab);
  if (split_spec.kind != SplitKind::kNone) {
    auto split = make_split(split_spec, report.rows_written, derive_seed(options.ctx.seed, 0x5B117),
                            timestamps, user_ids, have_user_vocab ? &user_vocab : nullptr);
    writer.set_split(split);
  }
  report.elapsed_seconds = seconds_since(t0);

  nlohmann::json extra;
  extra["sources"] = options.inputs;
  extra["schema_name"] = schema_name;
  extra["schema_source"] = schema.source;
  extra["schema_toml"] = schema.toml_text;
  extra["ingest"] = report.to_json();
  extra["downsampling"] = {{"alpha", options.downsample_alpha},
                           {"label", downsample_label},
                           {"seen", report.negatives_seen},
                           {"kept", report.negatives_kept}};
  extra["split"] = split_spec.to_string();
  extra["seed"] = options.ctx.seed;
  if (ref) extra["reference"] = options.reference;
  if (options.allow_missing_labels) extra["allow_missing_labels"] = true;
  writer.set_extra(std::move(extra));
  writer.commit();
  report.elapsed_seconds = seconds_since(t0);
  return report;
}

}  // namespace reco
