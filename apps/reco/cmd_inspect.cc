// reco inspect FILE — prints what a reco artifact holds. Datasets get the full summary
// (schema, rows, label rates, column statistics); any other container its kind and sections.
#include <cstdio>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "reco/core/container.h"
#include "reco/data/dataset.h"
#include "reco/data/dataset_summary.h"

namespace reco::cli {

Action setup_inspect(CLI::App& sub, GlobalOptions& global) {
  auto path = std::make_shared<std::string>();
  sub.add_option("file", *path, "A reco artifact (dataset, model, index ...)")->required();
  return [path, &global] {
    RunContext ctx = global.context();
    Container probe = Container::open_any(*path, {.verify_checksums = false});
    if (probe.kind() == kDatasetKind) {
      Dataset ds = Dataset::open(*path);
      nlohmann::json summary = summarize_dataset(ds, ctx);
      if (global.json) {
        std::printf("%s\n", summary.dump(2).c_str());
      } else {
        std::fputs(format_dataset_summary(summary).c_str(), stdout);
      }
      return 0;
    }
    // Not a dataset: validate every checksum and list the sections.
    Container c = Container::open_any(*path);
    nlohmann::json j = {{"path", *path}, {"kind", std::string(c.kind())}, {"kind_version", c.kind_version()}};
    nlohmann::json sections = nlohmann::json::array();
    for (const auto& s : c.sections()) {
      sections.push_back({{"name", s.name}, {"offset", s.offset}, {"bytes", s.size}});
    }
    j["sections"] = sections;
    if (global.json) {
      std::printf("%s\n", j.dump(2).c_str());
    } else {
      std::printf("%s: %s v%u, %zu sections (checksums ok)\n", path->c_str(), std::string(c.kind()).c_str(),
                  c.kind_version(), c.sections().size());
      for (const auto& s : c.sections()) std::printf("  %-40s %12llu bytes\n", s.name.c_str(), (unsigned long long)s.size);
    }
    return 0;
  };
}

}  // namespace reco::cli
