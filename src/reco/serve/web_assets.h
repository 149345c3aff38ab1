// The web page served at GET / (issue 9): static files compiled into the binary, so the
// daemon needs no asset directory and makes no external request at runtime.
// Sources live in src/reco/serve/web/ (web.cmake turns them into web_assets.cc).
// Ownership: every string_view points into static storage that lives as long as the process.
#pragma once

#include <string_view>

namespace reco::serve {

struct WebAsset {
  std::string_view path;          ///< "/index.html", "/app.js", ...
  std::string_view content_type;  ///< "text/html; charset=utf-8", ...
  std::string_view body;
};

/// The asset at `path` ("/" is "/index.html"), or null.
const WebAsset* find_web_asset(std::string_view path);

}  // namespace reco::serve
