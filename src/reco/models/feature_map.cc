#include "reco/models/feature_map.h"

#include <algorithm>
#include <limits>

#include "reco/core/error.h"
#include "reco/data/dataset.h"

namespace reco::models {

nlohmann::json FeatureMap::to_json() const {
  nlohmann::json sp = nlohmann::json::array();
  for (const auto& s : sparse) sp.push_back({{"column", s.column}, {"rows", s.rows}, {"multi_hot", s.multi_hot}});
  nlohmann::json tk = nlohmann::json::array();
  for (const auto& t : tasks)
    tk.push_back({{"name", t.name}, {"label", t.label}, {"mask", t.mask}, {"loss_weight", t.loss_weight}});
  nlohmann::json j = {{"dense", dense}, {"sparse", sp}, {"label", label}, {"weight", weight}, {"tasks", tk}};
  if (position.enabled()) j["position"] = position.to_json();
  return j;
}

std::vector<std::string> FeatureMap::task_names() const {
  std::vector<std::string> out;
  for (const auto& t : tasks) out.push_back(t.name);
  return out;
}

FeatureMap FeatureMap::from_json(const nlohmann::json& j) {
  FeatureMap m;
  try {
    m.dense = j.at("dense").get<std::vector<std::string>>();
    for (const auto& s : j.at("sparse"))
      m.sparse.push_back({s.at("column").get<std::string>(), s.at("rows").get<uint32_t>(), s.at("multi_hot").get<bool>()});
    m.label = j.at("label").get<std::string>();
    m.weight = j.value("weight", std::string());
    if (j.contains("tasks"))
      for (const auto& t : j.at("tasks"))
        m.tasks.push_back({t.at("name").get<std::string>(), t.at("label").get<std::string>(),
                           t.value("mask", std::string()), t.value("loss_weight", 1.0f)});
    if (m.tasks.empty()) m.tasks.push_back({m.label, m.label, "", 1.0f});  // files from before tasks
    if (j.contains("position")) m.position = PositionBias::from_json(j.at("position"));
  } catch (const nlohmann::json::exception& e) {
    RECO_THROW(ErrorCode::kCorrupt) << "feature map: " << e.what();
  }
  return m;
}

std::vector<float> task_labels(const Task& task, const Dataset& ds, std::span<const uint64_t> rows) {
  const auto y = ds.f32(task.label);
  std::span<const float> mask;
  if (!task.mask.empty()) mask = ds.f32(task.mask);
  std::vector<float> out(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    const uint64_t r = rows[i];
    out[i] = !mask.empty() && mask_excludes(mask[r]) ? std::numeric_limits<float>::quiet_NaN() : y[r];
  }
  return out;
}

namespace {
bool is_sparse_role(ColumnRole r) {
  return r == ColumnRole::kCategorical || r == ColumnRole::kMultiHot || r == ColumnRole::kUserId ||
         r == ColumnRole::kItemId || r == ColumnRole::kQueryId;
}

std::vector<std::string> expand(const std::vector<std::string>& names, const std::vector<std::string>& exclude,
                                const Dataset& ds, bool (*fits)(ColumnRole)) {
  std::vector<std::string> out;
  for (const auto& n : names) {
    if (n == "*") {
      for (const auto& c : ds.columns())
        if (fits(c.role) && c.role != ColumnRole::kUserId && c.role != ColumnRole::kItemId &&
            c.role != ColumnRole::kQueryId && std::find(exclude.begin(), exclude.end(), c.name) == exclude.end())
          out.push_back(c.name);
    } else {
      out.push_back(n);
    }
  }
  return out;
}
}  // namespace

FeatureMap resolve_features(const FeatureSelection& sel, const Dataset& ds) {
  FeatureMap m;
  // The position column and the unbiased-slice marker never enter a "*" expansion.
  std::vector<std::string> exclude = sel.exclude;
  if (sel.position.enabled()) {
    exclude.push_back(sel.position.column);
    if (!sel.position.slice.empty()) exclude.push_back(sel.position.slice);
  }
  m.dense = expand(sel.dense, exclude, ds, [](ColumnRole r) { return r == ColumnRole::kDense; });
  for (const auto& name : expand(sel.sparse, exclude, ds, is_sparse_role)) {
    const ColumnInfo& c = ds.column(name);
    m.sparse.push_back({name, c.cardinality, c.role == ColumnRole::kMultiHot});
  }
  if (!sel.tasks.empty()) {
    RECO_CHECK(sel.label.empty()) << ds.path() << ": give either data.label or [[task]] tables, not both";
    m.tasks = sel.tasks;
    for (size_t i = 0; i < m.tasks.size(); ++i) {
      Task& t = m.tasks[i];
      RECO_CHECK(!t.label.empty()) << "task " << i + 1 << " ('" << t.name << "'): no label column";
      if (t.name.empty()) t.name = t.label;
      RECO_CHECK(t.loss_weight >= 0.0f) << "task '" << t.name << "': loss_weight must be >= 0";
      for (size_t j = 0; j < i; ++j)
        RECO_CHECK(m.tasks[j].name != t.name) << "task name '" << t.name << "' is used twice";
    }
    m.label = m.tasks.front().label;
  } else if (sel.label.empty()) {
    auto labels = ds.labels();
    RECO_CHECK(!labels.empty()) << ds.path() << ": no label column (a column with role label is needed to train)";
    m.label = labels.front();
  } else {
    m.label = sel.label;
  }
  if (m.tasks.empty()) m.tasks.push_back({m.label, m.label, "", 1.0f});
  m.weight = sel.weight;
  m.position = sel.position;
  if (m.position.enabled()) {
    if (m.position.max_position == 0) {
      const double mx = PositionColumn(ds, m.position.column).max_value();
      RECO_CHECK(mx >= 1.0) << ds.path() << ": position column '" << m.position.column << "' has no position >= 1";
      m.position.max_position = static_cast<uint32_t>(std::min(mx, 100000.0));
    }
    if (!m.position.cross.empty()) m.position.cross_rows = ds.column(m.position.cross).cardinality;
    m.position.validate();
    for (const auto& s : m.sparse)
      RECO_CHECK(s.column != m.position.column)
          << "column '" << s.column << "' is the position column: leave it out of data.sparse (the [position] "
          << "table decides how the model sees it)";
    for (const auto& d : m.dense)
      RECO_CHECK(d != m.position.column) << "column '" << d << "' is the position column: leave it out of data.dense";
  }
  check_features(m, ds, /*require_label=*/true);
  RECO_CHECK(!m.dense.empty() || !m.sparse.empty()) << ds.path() << ": no feature columns selected";
  return m;
}

void check_features(const FeatureMap& m, const Dataset& ds, bool require_label) {
  for (const auto& name : m.dense) {
    const ColumnInfo& c = ds.column(name);
    RECO_CHECK(c.role == ColumnRole::kDense)
        << ds.path() << ": column '" << name << "' is " << column_role_name(c.role) << ", the model wants it dense";
  }
  for (const auto& s : m.sparse) {
    const ColumnInfo& c = ds.column(s.column);
    RECO_CHECK(is_sparse_role(c.role)) << ds.path() << ": column '" << s.column << "' is "
                                       << column_role_name(c.role) << ", the model wants ids (categorical/multi_hot)";
    RECO_CHECK((c.role == ColumnRole::kMultiHot) == s.multi_hot)
        << ds.path() << ": column '" << s.column << "' is " << column_role_name(c.role) << ", the model was built for "
        << (s.multi_hot ? "multi_hot" : "one id per row");
    RECO_CHECK(c.cardinality <= s.rows) << ds.path() << ": column '" << s.column << "' has cardinality "
                                        << c.cardinality << ", larger than the model's table (" << s.rows
                                        << " rows): re-ingest with the model's vocabulary";
  }
  if (require_label) {
    for (const auto& t : m.tasks) {
      const ColumnInfo& c = ds.column(t.label);
      RECO_CHECK(c.role == ColumnRole::kLabel) << ds.path() << ": column '" << t.label << "' (task '" << t.name
                                               << "') is " << column_role_name(c.role) << ", expected a label";
      if (!t.mask.empty()) {
        const ColumnInfo& mc = ds.column(t.mask);
        RECO_CHECK(mc.role == ColumnRole::kLabel || mc.role == ColumnRole::kDense)
            << ds.path() << ": mask column '" << t.mask << "' (task '" << t.name << "') is "
            << column_role_name(mc.role) << ", expected a label or dense 0/1 column";
      }
    }
  }
  if (m.position.enabled()) {
    (void)PositionColumn(ds, m.position.column);  // exists and is numeric
    if (!m.position.cross.empty()) {
      const ColumnInfo& c = ds.column(m.position.cross);
      RECO_CHECK(c.storage == ColumnStorage::kU32 && c.cardinality <= m.position.cross_rows)
          << ds.path() << ": position.cross column '" << m.position.cross << "' must be categorical with at most "
          << m.position.cross_rows << " ids";
    }
  }
  if (!m.weight.empty()) {
    const ColumnInfo& c = ds.column(m.weight);
    RECO_CHECK(c.role == ColumnRole::kWeight)
        << ds.path() << ": column '" << m.weight << "' is " << column_role_name(c.role) << ", expected a weight";
  }
}

}  // namespace reco::models
