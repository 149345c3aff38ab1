// Built-in schemas: one TOML text per official file layout, compiled into the binary and
// selectable by name (`reco ingest --preset taobao`). Each preset is an ordinary schema (see
// schema.h for the TOML keys); `reco ingest --print-schema <preset>` prints its text so a user can
// copy and edit it.
//
//   name               files (../shared/data)                    notes
//   criteo-tsv         Kaggle train.txt (TSV, no header)          I* log1p, C* hashed into 2^20 buckets
//   criteo-csv         criteo-sample/*.csv (header label,I..,C..)  same features
//   avazu              avazu-sample (header)                      hour -> timestamp + hour_of_day; id ignored
//   taobao             UserBehavior.csv (no header)               labels pv/fav/cart/buy from behavior
//   ali-ccp            ali-ccp-sample (header)                    click/purchase; D* dense none
//   aliexpress         aliexpress-sample (header)                 click/conversion; numerical_* dense none
//   census-kdd         census-income.{data,test}[.gz]             income_50k + never_married; weight
//   adult              uci-adult adult.{data,test}                income + never_married
//   movielens-ratings  ml-100k u.data                             rating + liked (rating >= 4)
//   movielens-users    ml-100k u.user
//   movielens-items    ml-100k u.item                             19 genre flags as dense "none"
//   edges              `user item` per line (Tmall MBGCN files)   integer ids kept (identity)
//   edges-weighted     `user item weight` per line
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "reco/data/schema.h"

namespace reco {

/// Names of the built-in presets, in the order of the table above.
std::vector<std::string> preset_names();

/// TOML text of a preset. Throws kNotFound listing the valid names.
std::string_view preset_toml(std::string_view name);

/// Parsed preset; schema.source is "preset:<name>".
Schema preset_schema(std::string_view name);

}  // namespace reco
