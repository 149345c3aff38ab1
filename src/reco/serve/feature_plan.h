// FeaturePlan — how `reco serve` computes each input of the ranker for one (request, item)
// row, derived once at bundle build from the model's FeatureMap and the training dataset's
// column metadata, so serving computes exactly what training stored.
//
// Every model input column gets one rule (by the naming conventions of data/event_samples.h
// and data/engagement_samples.h, checked against the data):
//   item            the item table's stored value (item key, item_* columns, and any other
//                   column that is constant per item in the training data, e.g. category_id)
//   user            the user table's stored value (user key, user_* columns, per-user constants)
//   context         a request context value ("platform": "ios") through the column's stored
//                   vocabulary; unknown or absent -> id 0 (OOV), noted in explain
//   query_item_id   the query item's raw id + 1 (0 = no query item, or an id beyond the table)
//   query_attr      query_<a>: the query item's item_<a> id (0 without a query item)
//   match_query     match_query_<a>: 1 when the item's item_<a> token equals the query item's
//   match_user      match_user_<a>: 1 when the item's item_<a> token equals the user's
//                   user_<a> (or user_top_<a>) token
//   memboost        mb_* columns: the live (query, item) counters (memboost/counters.h), the
//                   quantity named by the column, then the column's stored normalizer
//   constant        random_slice: 0 (served traffic is not the random slice)
// A column no rule fits makes derive() throw kUnsupported naming it: a model that cannot be
// served is refused at bundle build, not at the first request.
// A model with a position table is scored with the position zeroed (position id 0).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reco/features/normalizer.h"

namespace reco {
class Dataset;
}
namespace reco::models {
struct FeatureMap;
}

namespace reco::serve {

enum class InputSource { kItem, kUser, kContext, kQueryItemId, kQueryAttribute, kMatchQuery, kMatchUser, kMemboost,
                         kConstant };
std::string_view input_source_name(InputSource s);
InputSource parse_input_source(std::string_view name);

struct InputRule {
  std::string column;                  ///< the model's input column
  bool sparse = false;                 ///< a categorical id input (else dense f32)
  uint32_t cardinality = 0;            ///< sparse: ids must be < this (else id 0)
  InputSource source = InputSource::kConstant;
  std::string ref;                     ///< item/user/query_attr/match_*: the entity column; memboost: quantity
  std::string ref2;                    ///< match_user: the user column; context: the request key
  std::vector<std::string> vocabulary; ///< context: tokens by id (id 0 = OOV)
  Normalizer normalizer;               ///< memboost: the column's stored transform
  float constant = 0.0f;               ///< constant: the value

  nlohmann::json to_json() const;
  static InputRule from_json(const nlohmann::json& j);
};

struct FeaturePlan {
  std::vector<InputRule> dense;    ///< model dense inputs, in order
  std::vector<InputRule> sparse;   ///< model sparse inputs, in order
  bool position_table = false;     ///< the model reads position ids (batch.sparse[F]): served zeroed
  std::string item_key, user_key;  ///< dataset key columns ("" when the dataset has none)
  std::vector<std::string> item_columns, user_columns;  ///< what the entity tables hold
  std::vector<std::string> context_keys;                ///< request context names the model uses
  /// Memboost quantities: every mb_* rule's quantity names an engagement type of these.
  std::vector<std::string> memboost_types;
  std::vector<double> memboost_weights;  ///< mb_score weights, one per memboost_types entry
  double memboost_smoothing = 5.0;

  bool uses_memboost() const;

  nlohmann::json to_json() const;
  static FeaturePlan from_json(const nlohmann::json& j);

  /// Derives the plan (see the header comment). memboost_types: the engagement types of the
  /// Memboost priors (empty when the bundle has no Memboost; then mb_* columns are refused).
  static FeaturePlan derive(const models::FeatureMap& features, bool position_table, const Dataset& dataset,
                            const std::vector<std::string>& memboost_types, std::vector<double> memboost_weights,
                            double memboost_smoothing);
};

}  // namespace reco::serve
