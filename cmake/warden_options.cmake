# Compiler flags shared by every Warden target.
#
# -ffp-contract=off: PDQ must equal Meta's reference bit for bit, and fused multiply-add
# changes hashes of degenerate images (PDQ.md, "Precision traps"). -ffast-math is never used.
add_library(warden_flags INTERFACE)
target_compile_options(warden_flags INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow
  -ffp-contract=off -fno-fast-math
  $<$<BOOL:${WARDEN_WERROR}>:-Werror>)
target_include_directories(warden_flags INTERFACE
  ${PROJECT_SOURCE_DIR}/include ${PROJECT_SOURCE_DIR})
# WARDEN_LINKER=gold (or lld): the linker every executable is linked with (-fuse-ld). The ~90
# test executables link the static module libraries; GNU gold links them in about a third of
# the CPU time of the default BFD ld. scripts/test uses gold, which comes with binutils.
set(WARDEN_LINKER "" CACHE STRING "Linker for -fuse-ld= (gold, lld, bfd; empty: the default)")
if(WARDEN_LINKER)
  target_link_options(warden_flags INTERFACE -fuse-ld=${WARDEN_LINKER})
endif()
if(WARDEN_SANITIZE)
  target_compile_options(warden_flags INTERFACE
    -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  target_link_options(warden_flags INTERFACE -fsanitize=address,undefined)
endif()

# WARDEN_UNITY_BUILD: each target's sources are compiled in batches of
# WARDEN_UNITY_BUILD_BATCH_SIZE files, each batch one translation unit (CMake's unity build), so
# the headers every file of a module includes (fmt, nlohmann/json, the standard library, OpenCV)
# are parsed once per batch instead of once per file. scripts/test turns it on for both of its
# build trees. Names at namespace scope of a .cc file (anonymous namespace, static) must
# therefore be unique within its target; a file that cannot be combined sets the source property
# SKIP_UNITY_BUILD_INCLUSION. Test executables are single files and are not batched.
option(WARDEN_UNITY_BUILD "Compile each target's sources in batches (CMake unity build)" OFF)
set(WARDEN_UNITY_BUILD_BATCH_SIZE 8 CACHE STRING "Source files per unity batch")
if(WARDEN_UNITY_BUILD)
  set(CMAKE_UNITY_BUILD ON)
  set(CMAKE_UNITY_BUILD_BATCH_SIZE ${WARDEN_UNITY_BUILD_BATCH_SIZE})
  # GCC treats every file a batch includes as a header and warns about a class of one .cc file
  # whose members' types come from that file's anonymous namespace (e.g. the pimpl Impl classes);
  # in a batch of .cc files that is no mistake.
  target_compile_options(warden_flags INTERFACE $<$<CXX_COMPILER_ID:GNU>:-Wno-subobject-linkage>)
endif()

# warden_add_test(NAME SOURCES... LIBS ...): one GoogleTest binary registered with ctest, one
# ctest test (NAME.SUITE) per GoogleTest test suite.
# Tests find shared/testdata through WARDEN_TESTDATA (../shared/testdata by default).
set(WARDEN_TESTDATA "${PROJECT_SOURCE_DIR}/../shared/testdata" CACHE PATH "shared test data")
set(WARDEN_TEST_SUITES_SCRIPT "${CMAKE_CURRENT_LIST_DIR}/warden_test_suites.cmake")

# Every test executable reuses one precompiled header (per build tree) of GoogleTest, gMock and
# the standard headers most tests include: parsing gtest.h and gmock.h alone costs ~2 s of CPU
# per test file, more than many test files' own code, and CI builds ~90 of them twice.
# The PCH target is created by the first warden_add_test, where GTest's targets exist.
# With WARDEN_TEST_PCH=OFF each test parses its headers itself (e.g. to check its includes).
option(WARDEN_TEST_PCH "Precompile GoogleTest and common std headers once for all tests" ON)
set(WARDEN_TEST_PCH_HEADERS
  <gtest/gtest.h> <gmock/gmock.h>
  <algorithm> <atomic> <chrono> <cmath> <cstdint> <cstdio> <cstdlib> <cstring> <filesystem>
  <fstream> <map> <memory> <random> <sstream> <string> <thread> <vector>)
# Extra compile options for the test executables (and their PCH), after the build type's: the
# sanitizer tree of scripts/test compiles the tests' own code at -O0, where GCC compiles a test
# file with ASan in ~0.6x the time of -O1; the code under test keeps the tree's -O1.
set(WARDEN_TEST_COMPILE_OPTIONS "" CACHE STRING
    "Extra compile options for the test executables, e.g. -O0 (a ;-list)")
# GCC 12 does not treat the code of a precompiled header as a system header once it is inlined:
# its known false positives in libstdc++'s std::string code (e.g. -Warray-bounds on
# `std::string(a) + "b"` at -O2) surface in the tests that use the PCH, failing -Werror, while
# without a PCH GCC silences them as system-header code. The tests' own code gives up these
# four middle-end warnings; the code under test keeps them.
set(WARDEN_TEST_PCH_NO_WARNINGS
    $<$<CXX_COMPILER_ID:GNU>:-Wno-array-bounds$<SEMICOLON>-Wno-stringop-overflow$<SEMICOLON>-Wno-stringop-overread$<SEMICOLON>-Wno-restrict>)
function(warden_test_pch_target out_var)
  if(NOT TARGET warden_test_pch)
    # An object library of one empty file: the PCH is built with the flags every test gets
    # (warden_flags, GTest's usage requirements), so GCC accepts it in each test (-Winvalid-pch
    # with -Werror would fail the build otherwise).
    file(CONFIGURE OUTPUT "${PROJECT_BINARY_DIR}/warden_test_pch.cc"
         CONTENT "// Holds the tests' precompiled header (cmake/warden_options.cmake).\n")
    add_library(warden_test_pch OBJECT "${PROJECT_BINARY_DIR}/warden_test_pch.cc")
    set_target_properties(warden_test_pch PROPERTIES UNITY_BUILD OFF)
    target_link_libraries(warden_test_pch PRIVATE warden_flags GTest::gtest GTest::gmock)
    target_compile_options(warden_test_pch PRIVATE ${WARDEN_TEST_COMPILE_OPTIONS}
                           ${WARDEN_TEST_PCH_NO_WARNINGS})
    target_precompile_headers(warden_test_pch PRIVATE ${WARDEN_TEST_PCH_HEADERS})
  endif()
  set(${out_var} warden_test_pch PARENT_SCOPE)
endfunction()

function(warden_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  if(NOT WARDEN_BUILD_TESTS)
    return()
  endif()
  add_executable(${name} ${ARG_SOURCES})
  set_target_properties(${name} PROPERTIES UNITY_BUILD OFF)
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} warden_flags GTest::gtest GTest::gtest_main
                        GTest::gmock)
  target_compile_definitions(${name} PRIVATE
    WARDEN_TESTDATA="${WARDEN_TESTDATA}"
    WARDEN_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    WARDEN_BINARY_DIR="${PROJECT_BINARY_DIR}")
  target_compile_options(${name} PRIVATE ${WARDEN_TEST_COMPILE_OPTIONS})
  if(WARDEN_TEST_PCH)
    warden_test_pch_target(pch_target)
    set_target_properties(${name} PROPERTIES PRECOMPILE_HEADERS_REUSE_FROM ${pch_target})
    target_compile_options(${name} PRIVATE ${WARDEN_TEST_PCH_NO_WARNINGS})
  endif()
  # One ctest test per test suite (warden_test_suites.cmake explains why), listed right after
  # the build as gtest_discover_tests would.
  set(suites_file "${CMAKE_CURRENT_BINARY_DIR}/${name}_suites.cmake")
  add_custom_command(TARGET ${name} POST_BUILD
    COMMAND ${CMAKE_COMMAND} -D "TEST_EXECUTABLE=$<TARGET_FILE:${name}>" -D "TEST_TARGET=${name}"
            -D "CTEST_FILE=${suites_file}" -D "WORKING_DIR=${CMAKE_CURRENT_BINARY_DIR}"
            -D TEST_TIMEOUT=600 -D DISCOVERY_TIMEOUT=60
            -P "${WARDEN_TEST_SUITES_SCRIPT}"
    BYPRODUCTS "${suites_file}"
    VERBATIM)
  set(include_file "${CMAKE_CURRENT_BINARY_DIR}/${name}_include.cmake")
  file(WRITE "${include_file}"
    "if(EXISTS [==[${suites_file}]==])\n"
    "  include([==[${suites_file}]==])\n"
    "else()\n"
    "  add_test([==[${name}_NOT_BUILT]==] [==[${name}_NOT_BUILT]==])\n"
    "endif()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${include_file}")
endfunction()
