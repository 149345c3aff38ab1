# Build helpers shared by every target: one place for warnings, sanitizers and -march.
add_library(reco_build_flags INTERFACE)
target_compile_options(reco_build_flags INTERFACE -Wall -Wextra -Wpedantic -Wno-sign-compare)
# GCC 12 at -O2/-O3 reports -Wrestrict inside libstdc++'s own string code for `"x" + std::to_string(n)`
# (a false positive, gone in GCC 13): off for older GCC only, so real overlaps are still reported there.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(reco_build_flags INTERFACE -Wno-restrict)
endif()
if(RECO_WERROR)
  target_compile_options(reco_build_flags INTERFACE -Werror)
endif()
if(RECO_NATIVE)
  target_compile_options(reco_build_flags INTERFACE -march=native)
endif()
if(RECO_SANITIZE)
  target_compile_options(reco_build_flags INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(reco_build_flags INTERFACE -fsanitize=address,undefined)
endif()

# reco_add_library(NAME SOURCES a.cc b.cc PUBLIC_DEPS x PRIVATE_DEPS y)
# Creates target reco_<NAME>; headers are included as "reco/<concern>/<file>.h".
function(reco_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(reco_${name} STATIC ${ARG_SOURCES})
  target_include_directories(reco_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(reco_${name} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE reco_build_flags ${ARG_PRIVATE_DEPS})
  set_target_properties(reco_${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
endfunction()

# reco_add_test(NAME SOURCES a_test.cc DEPS reco_core [LABELS data])
function(reco_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} reco_testing GTest::gtest_main reco_build_flags)
  # Paths (shared data, the reco binary) are compiled into reco_testing; environment
  # variables RECO_SHARED_DATA / RECO_BIN override them at run time.
  # One label per test binary: CMake 3.25's gtest_discover_tests cannot carry a label list.
  # Tests reading ../shared/data get the single label shared_data (ctest -LE shared_data).
  list(LENGTH ARG_LABELS n_labels)
  if(n_labels GREATER 1)
    message(FATAL_ERROR "reco_add_test(${name}): give one label, got '${ARG_LABELS}'")
  endif()
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "${ARG_LABELS}")
endfunction()
