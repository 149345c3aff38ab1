#include "reco/data/presets.h"

#include <array>
#include <utility>

#include "reco/core/error.h"

namespace reco {

namespace {

// Criteo (Kaggle DAC): hashing keeps a 45M-row file to one pass with no vocabulary to build.
// DLRM's preprocessing is log(1 + x) on the counts (negatives clamped to 0 by the normalizer).
constexpr std::string_view kCriteoTsv = R"(# Criteo Display Advertising Challenge train.txt: label, I1..I13, C1..C26, tab-separated.
[format]
delimiter = "\t"
header = false
names = ["label", "I{1..13}", "C{1..26}"]
quote = ""

[[column]]
name = "label"
role = "label"

[[column]]
match = "I*"
role = "dense"
normalizer = "log1p"

[[column]]
match = "C*"
role = "categorical"
encoding = "hash"
buckets = 1048576
)";

constexpr std::string_view kCriteoCsv = R"(# Criteo samples as CSV with a header line label,I1..I13,C1..C26.
[format]
delimiter = ","
header = true

[[column]]
name = "label"
role = "label"

[[column]]
match = "I*"
role = "dense"
normalizer = "log1p"

[[column]]
match = "C*"
role = "categorical"
encoding = "hash"
buckets = 1048576
)";

constexpr std::string_view kAvazu = R"(# Avazu CTR (Kaggle): id, click, hour (YYMMDDHH), C1, banner_pos, site_*, app_*, device_*, C14..C21.
[format]
delimiter = ","
header = true

[[column]]
name = "id"
role = "ignore"

[[column]]
name = "click"
role = "label"

[[column]]
name = "hour"
role = "timestamp"
format = "yymmddhh"
hour_of_day = "hour_of_day"

[[column]]
match = "*"
role = "categorical"
encoding = "vocab"
min_count = 1
)";

constexpr std::string_view kTaobao = R"(# Taobao UserBehavior (Tianchi 649): user, item, category, behavior, unix time; no header.
[format]
delimiter = ","
header = false
names = ["user_id", "item_id", "category_id", "behavior", "timestamp"]

[[column]]
name = "user_id"
role = "user_id"

[[column]]
name = "item_id"
role = "item_id"

[[column]]
name = "category_id"
role = "categorical"

[[column]]
name = "behavior"
role = "ignore"

[[column]]
name = "timestamp"
role = "timestamp"

[[label]]
name = "pv"
from = "behavior"
positive = ["pv"]
domain = ["pv", "fav", "cart", "buy"]

[[label]]
name = "fav"
from = "behavior"
positive = ["fav"]
domain = ["pv", "fav", "cart", "buy"]

[[label]]
name = "cart"
from = "behavior"
positive = ["cart"]
domain = ["pv", "fav", "cart", "buy"]

[[label]]
name = "buy"
from = "behavior"
positive = ["buy"]
domain = ["pv", "fav", "cart", "buy"]
)";

constexpr std::string_view kAliCcp = R"(# Ali-CCP as preprocessed by AITM / torch-rechub: click, purchase, label-encoded field ids, D* floats.
[format]
delimiter = ","
header = true

[[column]]
name = "click"
role = "label"

[[column]]
name = "purchase"
role = "label"

[[column]]
name = "101"
role = "user_id"

[[column]]
name = "205"
role = "item_id"

[[column]]
match = "D*"
role = "dense"
normalizer = "none"

[[column]]
match = "*"
role = "categorical"
encoding = "vocab"
)";

constexpr std::string_view kAliExpress = R"(# AliExpress search log (torch-rechub sample): search_id, categorical_1..16, numerical_1..63, click, conversion.
[format]
delimiter = ","
header = true

[[column]]
name = "search_id"
role = "query_id"

[[column]]
name = "click"
role = "label"

[[column]]
name = "conversion"
role = "label"

[[column]]
match = "categorical_*"
role = "categorical"
encoding = "vocab"

[[column]]
match = "numerical_*"
role = "dense"
normalizer = "none"
)";

constexpr std::string_view kCensusKdd = R"(# UCI Census-Income (KDD), 42 columns, no header, values with a leading space (trimmed).
# Two tasks as in the MMoE paper: income_50k and never_married (derived from marital_stat,
# which is therefore not a feature).
[format]
delimiter = ","
header = false
trim = true
missing = ["", "?"]
names = ["age", "class_worker", "det_ind_code", "det_occ_code", "education", "wage_per_hour",
         "hs_college", "marital_stat", "major_ind_code", "major_occ_code", "race", "hisp_origin",
         "sex", "union_member", "unemp_reason", "full_or_part_emp", "capital_gains",
         "capital_losses", "stock_dividends", "tax_filer_stat", "region_prev_res",
         "state_prev_res", "det_hh_fam_stat", "det_hh_summ", "instance_weight", "mig_chg_msa",
         "mig_chg_reg", "mig_move_reg", "mig_same", "mig_prev_sunbelt", "num_emp", "fam_under_18",
         "country_father", "country_mother", "country_self", "citizenship", "own_or_self",
         "vet_question", "vet_benefits", "weeks_worked", "year", "income_50k"]

[[column]]
name = "income_50k"
role = "label"
positive = ["50000+."]
negative = ["- 50000."]

[[column]]
name = "marital_stat"
role = "ignore"

[[column]]
name = "instance_weight"
role = "weight"

[[column]]
name = "age"
role = "dense"

[[column]]
name = "wage_per_hour"
role = "dense"

[[column]]
name = "capital_gains"
role = "dense"

[[column]]
name = "capital_losses"
role = "dense"

[[column]]
name = "stock_dividends"
role = "dense"

[[column]]
name = "num_emp"
role = "dense"

[[column]]
name = "weeks_worked"
role = "dense"

[[column]]
match = "*"
role = "categorical"
encoding = "vocab"

[[label]]
name = "never_married"
from = "marital_stat"
positive = ["Never married"]
)";

constexpr std::string_view kAdult = R"(# UCI Adult: 15 columns separated by ", ", "?" = missing; the official adult.test starts with a
# "|1x3 Cross validator" line (skipped as a comment). Labels: income (>50K, with or without the
# test file's trailing dot) and never_married (derived from marital-status, not a feature).
[format]
delimiter = ", "
header = false
quote = ""
missing = ["", "?"]
comment = "|"
names = ["age", "workclass", "fnlwgt", "education", "education-num", "marital-status",
         "occupation", "relationship", "race", "sex", "capital-gain", "capital-loss",
         "hours-per-week", "native-country", "income"]

[[column]]
name = "income"
role = "label"
positive = [">50K", ">50K."]
negative = ["<=50K", "<=50K."]

[[column]]
name = "marital-status"
role = "ignore"

[[column]]
name = "age"
role = "dense"

[[column]]
name = "fnlwgt"
role = "dense"

[[column]]
name = "education-num"
role = "dense"

[[column]]
name = "capital-gain"
role = "dense"
normalizer = "log1p"

[[column]]
name = "capital-loss"
role = "dense"
normalizer = "log1p"

[[column]]
name = "hours-per-week"
role = "dense"

[[column]]
match = "*"
role = "categorical"
encoding = "vocab"

[[label]]
name = "never_married"
from = "marital-status"
positive = ["Never-married"]
)";

constexpr std::string_view kMovieLensRatings = R"(# MovieLens 100K u.data: user, item, rating 1..5, unix time; tab-separated.
[format]
delimiter = "\t"
header = false
quote = ""
names = ["user_id", "item_id", "rating", "timestamp"]

[[column]]
name = "user_id"
role = "user_id"

[[column]]
name = "item_id"
role = "item_id"

[[column]]
name = "rating"
role = "label"

[[column]]
name = "timestamp"
role = "timestamp"

[[label]]
name = "liked"
from = "rating"
threshold = 4.0
)";

constexpr std::string_view kMovieLensUsers = R"(# MovieLens 100K u.user: user|age|gender|occupation|zip.
[format]
delimiter = "|"
header = false
quote = ""
names = ["user_id", "age", "gender", "occupation", "zip"]

[[column]]
name = "user_id"
role = "user_id"

[[column]]
name = "age"
role = "dense"

[[column]]
match = "*"
role = "categorical"
encoding = "vocab"
)";

// u.item is ISO-8859-1: bytes are kept as they are (only the title has them, and it is ignored).
// The 19 genre flags become dense columns with normalizer "none" (0/1 values).
constexpr std::string_view kMovieLensItems = R"(# MovieLens 100K u.item: movie|title|release date|video release date|IMDb URL|19 genre flags.
[format]
delimiter = "|"
header = false
quote = ""
names = ["item_id", "title", "release_date", "video_release_date", "imdb_url",
         "genre_unknown", "genre_action", "genre_adventure", "genre_animation", "genre_children",
         "genre_comedy", "genre_crime", "genre_documentary", "genre_drama", "genre_fantasy",
         "genre_film_noir", "genre_horror", "genre_musical", "genre_mystery", "genre_romance",
         "genre_sci_fi", "genre_thriller", "genre_war", "genre_western"]

[[column]]
name = "item_id"
role = "item_id"

[[column]]
match = "genre_*"
role = "dense"
normalizer = "none"

[[column]]
match = "*"
role = "ignore"
)";

constexpr std::string_view kEdges = R"(# Edge list: "user item" per line, separated by spaces or tabs; integer ids kept as they are.
[format]
delimiter = "whitespace"
header = false
quote = ""
names = ["user_id", "item_id"]

[[column]]
name = "user_id"
role = "user_id"
encoding = "identity"

[[column]]
name = "item_id"
role = "item_id"
encoding = "identity"
)";

constexpr std::string_view kEdgesWeighted = R"(# Edge list with a weight: "user item weight" per line (spaces or tabs).
[format]
delimiter = "whitespace"
header = false
quote = ""
names = ["user_id", "item_id", "weight"]

[[column]]
name = "user_id"
role = "user_id"
encoding = "identity"

[[column]]
name = "item_id"
role = "item_id"
encoding = "identity"

[[column]]
name = "weight"
role = "weight"
)";

constexpr std::array<std::pair<std::string_view, std::string_view>, 13> kPresets = {{
    {"criteo-tsv", kCriteoTsv},
    {"criteo-csv", kCriteoCsv},
    {"avazu", kAvazu},
    {"taobao", kTaobao},
    {"ali-ccp", kAliCcp},
    {"aliexpress", kAliExpress},
    {"census-kdd", kCensusKdd},
    {"adult", kAdult},
    {"movielens-ratings", kMovieLensRatings},
    {"movielens-users", kMovieLensUsers},
    {"movielens-items", kMovieLensItems},
    {"edges", kEdges},
    {"edges-weighted", kEdgesWeighted},
}};

}  // namespace

std::vector<std::string> preset_names() {
  std::vector<std::string> out;
  for (const auto& [name, text] : kPresets) out.emplace_back(name);
  return out;
}

std::string_view preset_toml(std::string_view name) {
  for (const auto& [n, text] : kPresets) {
    if (n == name) return text;
  }
  std::string valid;
  for (const auto& [n, text] : kPresets) valid += (valid.empty() ? "" : ", ") + std::string(n);
  RECO_THROW(ErrorCode::kNotFound) << "unknown preset '" << name << "' (valid: " << valid << ")";
}

Schema preset_schema(std::string_view name) {
  return parse_schema(preset_toml(name), "preset:" + std::string(name));
}

}  // namespace reco
