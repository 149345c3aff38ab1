# Tests of reco_serve_http (the HTTP layer), against a fake Service (fake_service.h).
reco_add_test(reco_serve_api_json_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/api_json_test.cc ${CMAKE_CURRENT_LIST_DIR}/metrics_test.cc
  DEPS reco_serve_http LABELS serve)
reco_add_test(reco_serve_http_server_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/http_server_test.cc
  DEPS reco_serve_http PkgConfig::HTTPLIB LABELS serve)
reco_add_test(reco_serve_http_fuzz_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/http_fuzz_test.cc
  DEPS reco_serve_http PkgConfig::HTTPLIB LABELS serve)
