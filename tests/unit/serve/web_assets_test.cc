// The web page compiled into the binary (src/reco/serve/web_assets.h): every asset is found
// under its path, carries the right content type and equals its source file byte for byte.
#include "reco/serve/web_assets.h"

#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "testing/testing.h"

namespace reco::serve {
namespace {

const std::string kSourceDir = RECO_WEB_SOURCE_DIR;

struct Expected {
  const char* path;
  const char* file;
  const char* content_type;
};
constexpr Expected kExpected[] = {
    {"/index.html", "index.html", "text/html; charset=utf-8"},
    {"/app.js", "app.js", "text/javascript; charset=utf-8"},
    {"/style.css", "style.css", "text/css; charset=utf-8"},
};

TEST(WebAssets, EveryAssetEqualsItsSourceFile) {
  for (const Expected& e : kExpected) {
    SCOPED_TRACE(e.path);
    const WebAsset* asset = find_web_asset(e.path);
    ASSERT_NE(asset, nullptr);
    EXPECT_EQ(asset->path, e.path);
    EXPECT_EQ(asset->content_type, e.content_type);
    const std::string source = testing::read_file(kSourceDir + "/" + e.file);
    ASSERT_FALSE(source.empty());
    EXPECT_EQ(asset->body.size(), source.size());
    EXPECT_TRUE(asset->body == source) << "embedded " << e.path << " differs from " << e.file;
  }
}

TEST(WebAssets, RootIsTheIndexPage) {
  const WebAsset* root = find_web_asset("/");
  ASSERT_NE(root, nullptr);
  EXPECT_EQ(root, find_web_asset("/index.html"));
  EXPECT_EQ(root->content_type, "text/html; charset=utf-8");
}

TEST(WebAssets, UnknownPathsAreNull) {
  for (const char* path : {"", "index.html", "/index.htm", "/index.html/", "/APP.JS", "/app.js?x=1",
                           "/v1/bundle", "/favicon.ico", "//", "/web/app.js"}) {
    EXPECT_EQ(find_web_asset(path), nullptr) << "'" << path << "'";
  }
}

// The page loads its script and style sheet from absolute paths; each must be an asset.
TEST(WebAssets, IndexReferencesOnlyEmbeddedFiles) {
  const WebAsset* index = find_web_asset("/index.html");
  ASSERT_NE(index, nullptr);
  const std::string html(index->body);
  const std::regex ref(R"re((?:src|href)="(/[^"]*)")re");
  int n = 0;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), ref); it != std::sregex_iterator(); ++it) {
    const std::string path = (*it)[1];
    EXPECT_NE(find_web_asset(path), nullptr) << "index.html references " << path;
    ++n;
  }
  EXPECT_GE(n, 2) << "index.html should load /app.js and /style.css";
  EXPECT_EQ(html.find("http://"), std::string::npos) << "no external resources";
  EXPECT_EQ(html.find("https://"), std::string::npos) << "no external resources";
}

}  // namespace
}  // namespace reco::serve
