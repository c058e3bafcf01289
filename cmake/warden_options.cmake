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
if(WARDEN_SANITIZE)
  target_compile_options(warden_flags INTERFACE
    -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  target_link_options(warden_flags INTERFACE -fsanitize=address,undefined)
endif()

# warden_add_test(NAME SOURCES... LIBS ...): one GoogleTest binary registered with ctest, one
# ctest test (NAME.SUITE) per GoogleTest test suite.
# Tests find shared/testdata through WARDEN_TESTDATA (../shared/testdata by default).
set(WARDEN_TESTDATA "${PROJECT_SOURCE_DIR}/../shared/testdata" CACHE PATH "shared test data")
set(WARDEN_TEST_SUITES_SCRIPT "${CMAKE_CURRENT_LIST_DIR}/warden_test_suites.cmake")
function(warden_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  if(NOT WARDEN_BUILD_TESTS)
    return()
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} warden_flags GTest::gtest GTest::gtest_main
                        GTest::gmock)
  target_compile_definitions(${name} PRIVATE
    WARDEN_TESTDATA="${WARDEN_TESTDATA}"
    WARDEN_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    WARDEN_BINARY_DIR="${PROJECT_BINARY_DIR}")
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
