# Unit test of the compiled-in web page (src/reco/serve/web.cmake): compares every embedded
# asset with its source file, so the source dir is compiled in.
reco_add_test(reco_serve_web_test SOURCES web_assets_test.cc DEPS reco_serve_web LABELS serve)
target_compile_definitions(reco_serve_web_test PRIVATE
  RECO_WEB_SOURCE_DIR="${PROJECT_SOURCE_DIR}/src/reco/serve/web")
