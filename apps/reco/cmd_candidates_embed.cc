// `reco candidates build item2vec | hoprec | import`: the embedding candidate sources.
//   build item2vec --train I.csv [--session-gap S] [SGNS options]       -> E.embed (items, cosine)
//   build hoprec   --train I.csv [--order K --samples N | --epochs E ...] -> E.embed (users + items, dot)
//   build import   --text vecs.txt [--users-text uvecs.txt] [--metric dot|cosine] -> E.embed
// --train is an interactions CSV (user,item,weight,timestamp; reco/graph/interactions.h).
//
// Import reads the word2vec / SMORe text layout: an optional "n d" header line, then one
// vector per line, "id v_1 ... v_d" separated by spaces or tabs. In --text an id is an item
// unless it is written "u<digits>" (a user) or "i<digits>" (an item): SMORe's HOP-Rec writes
// every vertex of its graph to one file, so users and items must be told apart by the
// prefixes given to them in its training file. Ids in --users-text are users ("u" optional).
// Metric defaults to dot when users are present, else cosine. Errors name file:line.
#include <charconv>
#include <cstdio>
#include <unordered_set>

#include "candidates_commands.h"
#include "reco/core/error.h"
#include "reco/core/timer.h"
#include "reco/data/line_reader.h"
#include "reco/graph/hoprec.h"
#include "reco/graph/item2vec.h"

namespace reco::cli {

namespace {

using namespace reco::graph;

void print_losses(const std::vector<double>& losses) {
  std::printf("  loss per epoch:");
  const size_t step = losses.size() > 12 ? losses.size() / 12 : 1;
  for (size_t k = 0; k < losses.size(); k += step) std::printf(" %.4f", losses[k]);
  if (!losses.empty() && (losses.size() - 1) % step != 0) std::printf(" .. %.4f", losses.back());
  std::printf("\n");
}

// One text vectors file into the tables. `users_file`: ids are users unless prefixed 'i'.
struct TextTables {
  std::vector<uint64_t> item_ids, user_ids;
  std::vector<float> item_vecs, user_vecs;
  uint32_t dim = 0;
  std::unordered_set<uint64_t> seen_items, seen_users;
};

void read_text_vectors(const std::string& path, bool users_file, TextTables& t) {
  LineReader reader(path);
  std::string_view line;
  std::vector<std::string_view> tok;
  uint32_t header_dim = 0;
  uint64_t header_n = 0, rows = 0;
  while (reader.next(line)) {
    tok.clear();
    size_t p = 0;
    while (p < line.size()) {
      while (p < line.size() && (line[p] == ' ' || line[p] == '\t')) ++p;
      const size_t b = p;
      while (p < line.size() && line[p] != ' ' && line[p] != '\t') ++p;
      if (p > b) tok.push_back(line.substr(b, p - b));
    }
    if (tok.empty()) continue;
    const auto where = [&] { return path + ":" + std::to_string(reader.line_number()); };
    if (reader.line_number() == 1 && tok.size() == 2) {  // "n d" header
      uint64_t n = 0;
      uint32_t d = 0;
      const bool ok = std::from_chars(tok[0].data(), tok[0].data() + tok[0].size(), n).ec == std::errc() &&
                      std::from_chars(tok[1].data(), tok[1].data() + tok[1].size(), d).ec == std::errc();
      if (ok && d > 0) {
        header_n = n;
        header_dim = d;
        if (t.dim == 0) t.dim = d;
        RECO_CHECK_CODE(d == t.dim, ErrorCode::kParse)
            << where() << ": header says dimension " << d << ", earlier vectors have " << t.dim;
        continue;
      }
    }
    const auto d = static_cast<uint32_t>(tok.size() - 1);
    RECO_CHECK_CODE(d > 0, ErrorCode::kParse) << where() << ": expected 'id v_1 ... v_d', got one field";
    if (t.dim == 0) t.dim = d;
    RECO_CHECK_CODE(d == t.dim, ErrorCode::kParse)
        << where() << ": " << d << " values, expected " << t.dim << " (dimension of the first vector/header)";
    std::string_view id = tok[0];
    bool is_user = users_file;
    if (!id.empty() && (id[0] == 'u' || id[0] == 'U')) {
      is_user = true;
      id.remove_prefix(1);
    } else if (!id.empty() && (id[0] == 'i' || id[0] == 'I')) {
      is_user = false;
      id.remove_prefix(1);
    }
    uint64_t raw = 0;
    auto [pe, ec] = std::from_chars(id.data(), id.data() + id.size(), raw);
    RECO_CHECK_CODE(ec == std::errc() && pe == id.data() + id.size() && !id.empty(), ErrorCode::kParse)
        << where() << ": id '" << tok[0] << "': expected an unsigned integer, optionally prefixed 'u' or 'i'";
    RECO_CHECK_CODE((is_user ? t.seen_users : t.seen_items).insert(raw).second, ErrorCode::kParse)
        << where() << ": duplicate " << (is_user ? "user" : "item") << " id " << raw;
    (is_user ? t.user_ids : t.item_ids).push_back(raw);
    auto& vecs = is_user ? t.user_vecs : t.item_vecs;
    for (uint32_t k = 1; k <= d; ++k) {
      float v = 0.0f;
      auto [q, e2] = std::from_chars(tok[k].data(), tok[k].data() + tok[k].size(), v);
      RECO_CHECK_CODE(e2 == std::errc() && q == tok[k].data() + tok[k].size() && std::isfinite(v), ErrorCode::kParse)
          << where() << ": value " << k << " '" << tok[k] << "' is not a finite number";
      vecs.push_back(v);
    }
    ++rows;
  }
  RECO_CHECK_CODE(rows > 0, ErrorCode::kParse) << path << ": no vectors";
  if (header_dim > 0)
    RECO_CHECK_CODE(header_n == rows, ErrorCode::kParse)
        << path << ":1: header says " << header_n << " vectors, the file has " << rows;
}

}  // namespace

Action setup_candidates_build_item2vec(CLI::App* app, GlobalOptions& global) {
  struct Opts {
    std::string train, out;
    int64_t session_gap = 0;
    bool fixed_window = false;
    Item2VecOptions opt;
  };
  auto o = std::make_shared<Opts>();
  app->add_option("--train", o->train, "Interactions CSV (user,item,weight,timestamp)")->required();
  app->add_option("--session-gap", o->session_gap,
                  "Seconds of inactivity that end a session (0 = one sequence per user)")
      ->capture_default_str();
  app->add_option("--dim", o->opt.dim, "Embedding dimension")->capture_default_str();
  app->add_option("--window", o->opt.window, "Context window on each side")->capture_default_str();
  app->add_flag("--fixed-window", o->fixed_window, "Always use the full window (default: b ~ U{1..window})");
  app->add_option("--negatives", o->opt.negatives, "Negative items per pair (unigram^0.75)")->capture_default_str();
  app->add_option("--epochs", o->opt.epochs, "Passes over the sequences")->capture_default_str();
  app->add_option("--min-count", o->opt.min_count, "Drop items seen fewer times")->capture_default_str();
  app->add_option("--subsample", o->opt.subsample, "Frequent-item subsampling threshold t (0 = off)")
      ->capture_default_str();
  app->add_option("--lr", o->opt.lr, "Initial learning rate (linear decay)")->capture_default_str();
  app->add_option("-o,--out", o->out, "Output embeddings file")->required();
  return [o, &global] {
    const RunContext ctx = global.context();
    o->opt.dynamic_window = !o->fixed_window;
    Stopwatch total;
    const Interactions in = read_interactions_csv(o->train);
    const ItemSequences seq = sequences_by_user(in, o->session_gap);
    Item2VecReport rep;
    Embeddings e = train_item2vec(seq, o->opt, ctx, &rep);
    nlohmann::json meta = e.meta();
    meta["train"] = o->train;
    meta["session_gap"] = o->session_gap;
    Embeddings out(e.dim(), e.metric(), {e.items().ids().begin(), e.items().ids().end()},
                   {e.items().vectors().begin(), e.items().vectors().end()}, {}, {}, meta);
    out.save(o->out);
    if (global.json) {
      nlohmann::json j = {{"out", o->out}, {"report", rep.to_json()}, {"options", o->opt.to_json()},
                          {"session_gap", o->session_gap}, {"seconds", total.elapsed_seconds()}};
      std::printf("%s\n", j.dump().c_str());
    } else if (!global.quiet) {
      std::printf("item2vec -> %s\n", o->out.c_str());
      std::printf("  rows %zu  sequences %llu  tokens %llu\n", in.size(), (unsigned long long)rep.sequences,
                  (unsigned long long)rep.tokens);
      std::printf("  items %llu  dropped below min-count %llu (%llu occurrences)\n", (unsigned long long)rep.items,
                  (unsigned long long)rep.items_dropped, (unsigned long long)rep.tokens_dropped);
      std::printf("  pairs %llu  train %.3f s  (%.3g pairs/s, threads %d)\n", (unsigned long long)rep.pairs,
                  rep.seconds, rep.pairs_per_second, ctx.threads);
      print_losses(rep.loss_per_epoch);
      std::printf("  total %.3f s\n", total.elapsed_seconds());
    }
    return 0;
  };
}

Action setup_candidates_build_hoprec(CLI::App* app, GlobalOptions& global) {
  struct Opts {
    std::string train, out;
    HopRecOptions opt;
  };
  auto o = std::make_shared<Opts>();
  app->add_option("--train", o->train, "Interactions CSV (user,item,weight,timestamp)")->required();
  app->add_option("--dim", o->opt.dim, "Embedding dimension")->capture_default_str();
  app->add_option("--order", o->opt.order, "K: highest walk order (item -> user -> item steps)")
      ->capture_default_str();
  app->add_option("--negatives", o->opt.negatives, "Uniform negative items per (user, item, k)")
      ->capture_default_str();
  app->add_option("--samples", o->opt.samples, "User walks in total (0 = epochs x edges)")->capture_default_str();
  app->add_option("--epochs", o->opt.epochs, "Walks = epochs x edges when --samples is 0")->capture_default_str();
  app->add_option("--lr", o->opt.lr, "Initial learning rate (linear decay)")->capture_default_str();
  app->add_option("--margin", o->opt.margin, "epsilon; order k uses epsilon / k")->capture_default_str();
  app->add_option("--l2", o->opt.l2_item, "L2 on item vectors")->capture_default_str();
  app->add_option("--l2-user", o->opt.l2_user, "L2 on user vectors")->capture_default_str();
  app->add_option("--confidence", o->opt.confidence, "C(k): inverse (1/k) | uniform")->capture_default_str();
  app->add_option("--source-power", o->opt.source_power, "Start user drawn with P ∝ degree^p (1 = by degree)")
      ->capture_default_str();
  app->add_option("--step-power", o->opt.step_power, "Walk step to a neighbour with P ∝ edge weight^p")
      ->capture_default_str();
  app->add_option("-o,--out", o->out, "Output embeddings file")->required();
  return [o, &global] {
    const RunContext ctx = global.context();
    Stopwatch total;
    const Interactions in = read_interactions_csv(o->train);
    HopRecReport rep;
    Embeddings e = train_hoprec(in, o->opt, ctx, &rep);
    nlohmann::json meta = e.meta();
    meta["train"] = o->train;
    Embeddings out(e.dim(), e.metric(), {e.items().ids().begin(), e.items().ids().end()},
                   {e.items().vectors().begin(), e.items().vectors().end()},
                   {e.users().ids().begin(), e.users().ids().end()},
                   {e.users().vectors().begin(), e.users().vectors().end()}, meta);
    out.save(o->out);
    if (global.json) {
      nlohmann::json j = {{"out", o->out}, {"report", rep.to_json()}, {"options", o->opt.to_json()},
                          {"seconds", total.elapsed_seconds()}};
      std::printf("%s\n", j.dump().c_str());
    } else if (!global.quiet) {
      std::printf("hoprec -> %s\n", o->out.c_str());
      std::printf("  users %llu  items %llu  edges %llu\n", (unsigned long long)rep.users,
                  (unsigned long long)rep.items, (unsigned long long)rep.edges);
      std::printf("  walks %llu  terms %llu (inside the margin %llu)\n", (unsigned long long)rep.samples,
                  (unsigned long long)rep.terms, (unsigned long long)rep.active_terms);
      std::printf("  train %.3f s  (%.3g walks/s, %.3g terms/s, threads %d)\n", rep.seconds, rep.samples_per_second,
                  rep.terms_per_second, ctx.threads);
      print_losses(rep.loss_per_epoch);
      std::printf("  total %.3f s\n", total.elapsed_seconds());
    }
    return 0;
  };
}

Action setup_candidates_build_import(CLI::App* app, GlobalOptions& global) {
  struct Opts {
    std::string text, users_text, metric, method = "import", out;
  };
  auto o = std::make_shared<Opts>();
  app->add_option("--text", o->text, "Vectors in word2vec/SMORe text layout (items; 'u'-prefixed ids are users)")
      ->required();
  app->add_option("--users-text", o->users_text, "Optional separate file of user vectors");
  app->add_option("--metric", o->metric, "dot | cosine (default: dot with users, else cosine)");
  app->add_option("--method", o->method, "Method name recorded in the meta")->capture_default_str();
  app->add_option("-o,--out", o->out, "Output embeddings file")->required();
  return [o, &global] {
    Stopwatch total;
    TextTables t;
    read_text_vectors(o->text, false, t);
    if (!o->users_text.empty()) read_text_vectors(o->users_text, true, t);
    RECO_CHECK(!t.item_ids.empty()) << o->text << ": no item vectors (every id was 'u'-prefixed)";
    const bool users = !t.user_ids.empty();
    const EmbeddingMetric metric =
        o->metric.empty() ? (users ? EmbeddingMetric::kDot : EmbeddingMetric::kCosine) : parse_metric(o->metric);
    nlohmann::json meta = {{"method", o->method}, {"source", o->text}};
    if (users && !o->users_text.empty()) meta["users_source"] = o->users_text;
    const size_t ni = t.item_ids.size(), nu = t.user_ids.size();
    Embeddings e(t.dim, metric, std::move(t.item_ids), std::move(t.item_vecs), std::move(t.user_ids),
                 std::move(t.user_vecs), meta);
    e.save(o->out);
    if (global.json) {
      nlohmann::json j = {{"out", o->out}, {"items", ni}, {"users", nu}, {"dim", t.dim},
                          {"metric", metric_name(metric)}, {"seconds", total.elapsed_seconds()}};
      std::printf("%s\n", j.dump().c_str());
    } else if (!global.quiet) {
      std::printf("import -> %s\n  items %zu  users %zu  dim %u  metric %s  (%.3f s)\n", o->out.c_str(), ni, nu, t.dim,
                  metric_name(metric), total.elapsed_seconds());
    }
    return 0;
  };
}

}  // namespace reco::cli
