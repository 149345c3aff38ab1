# reco_serve_web: the page served at GET / (web_assets.h). The three files in web/ are turned
# into web_assets.cc at build time by web/embed_assets.cmake, so editing the page rebuilds it and
# the daemon needs no asset directory at run time. Included from src/reco/serve/CMakeLists.txt.
set(RECO_WEB_DIR ${CMAKE_CURRENT_LIST_DIR}/web)
set(RECO_WEB_FILES index.html app.js style.css)
set(RECO_WEB_ASSETS_CC ${CMAKE_CURRENT_BINARY_DIR}/web_assets.cc)
list(TRANSFORM RECO_WEB_FILES PREPEND ${RECO_WEB_DIR}/ OUTPUT_VARIABLE reco_web_paths)
string(REPLACE ";" "," reco_web_files_arg "${RECO_WEB_FILES}")
add_custom_command(
  OUTPUT ${RECO_WEB_ASSETS_CC}
  COMMAND ${CMAKE_COMMAND} -DWEB_DIR=${RECO_WEB_DIR} -DFILES=${reco_web_files_arg}
          -DOUT=${RECO_WEB_ASSETS_CC} -P ${RECO_WEB_DIR}/embed_assets.cmake
  DEPENDS ${reco_web_paths} ${RECO_WEB_DIR}/embed_assets.cmake
  COMMENT "Embedding the web page (${RECO_WEB_FILES}) into web_assets.cc"
  VERBATIM)
reco_add_library(serve_web SOURCES ${RECO_WEB_ASSETS_CC})
