# Every dependency is a Debian package installed by scripts/setup.sh.
find_package(Threads REQUIRED)
find_package(ZLIB REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
find_package(tomlplusplus REQUIRED)
find_package(CLI11 REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET libxxhash)
# OpenBLAS (pthread build) for sgemm; reco calls it single-threaded and owns the parallelism.
pkg_check_modules(OPENBLAS REQUIRED IMPORTED_TARGET openblas)

set(RECO_SHARED_DATA "${PROJECT_SOURCE_DIR}/../shared/data" CACHE PATH "Folder with the shared real datasets")
# RocksDB: the embedded store of Memboost counters (and, later, the event log).
pkg_check_modules(ROCKSDB REQUIRED IMPORTED_TARGET rocksdb)
# cpp-httplib: the HTTP server of `reco serve` (Debian ships it as a compiled library).
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
# hnswlib is header-only (libhnswlib-dev).
find_path(HNSWLIB_INCLUDE_DIR hnswlib/hnswlib.h REQUIRED)
# oneDNN (libdnnl-dev, optional): fp32 GEMMs and the fused Linear forward (OpenBLAS otherwise), bf16
# matmuls for model.precision = "bf16". Found by header and library rather than dnnl-config.cmake,
# whose Debian build also requires OpenCL. -DRECO_WITH_DNNL=OFF builds the OpenBLAS-only engine.
option(RECO_WITH_DNNL "use oneDNN when it is installed" ON)
if(RECO_WITH_DNNL)
  find_path(RECO_DNNL_INCLUDE_DIR oneapi/dnnl/dnnl.hpp)
  find_library(RECO_DNNL_LIBRARY dnnl)
endif()
if(RECO_WITH_DNNL AND RECO_DNNL_INCLUDE_DIR AND RECO_DNNL_LIBRARY)
  message(STATUS "oneDNN: ${RECO_DNNL_LIBRARY} (fp32 GEMMs on oneDNN, bf16 precision available)")
else()
  unset(RECO_DNNL_LIBRARY CACHE)
  unset(RECO_DNNL_INCLUDE_DIR CACHE)
  message(STATUS "oneDNN not used: fp32 GEMMs on OpenBLAS, model.precision = \"bf16\" unavailable "
                 "(apt install libdnnl-dev, -DRECO_WITH_DNNL=ON)")
endif()
