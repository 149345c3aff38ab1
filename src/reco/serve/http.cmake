# reco_serve_http: the HTTP layer of `reco serve` (http_server.h, api_json.h, metrics.h).
reco_add_library(serve_http
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/api_json.cc
    ${CMAKE_CURRENT_LIST_DIR}/metrics.cc
    ${CMAKE_CURRENT_LIST_DIR}/http_server.cc
  PUBLIC_DEPS reco_core nlohmann_json::nlohmann_json
  PRIVATE_DEPS PkgConfig::HTTPLIB spdlog::spdlog)
