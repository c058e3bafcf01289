# Registers one ctest test per GoogleTest test suite of a test binary (run after it is built;
# warden_add_test in warden_options.cmake arranges that). Each ctest test runs the binary with
# --gtest_filter=SUITE.*, so the tests of a suite share one process: a suite's SetUpTestSuite
# (e.g. one `warden serve` for all the tests of a suite) runs once, and the suite pays one
# process start instead of one per test (a quarter of a second under AddressSanitizer).
#
# Input variables (-D): TEST_EXECUTABLE, TEST_TARGET (ctest names are TARGET.SUITE),
# CTEST_FILE (written), WORKING_DIR, TEST_TIMEOUT (seconds per suite), DISCOVERY_TIMEOUT.
execute_process(
  COMMAND "${TEST_EXECUTABLE}" --gtest_list_tests
  WORKING_DIRECTORY "${WORKING_DIR}"
  TIMEOUT ${DISCOVERY_TIMEOUT}
  OUTPUT_VARIABLE listing
  ERROR_VARIABLE listing_err
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "${TEST_EXECUTABLE} --gtest_list_tests failed (${result}):\n"
                      "${listing}\n${listing_err}")
endif()

# Suite lines start in column 0 and end the suite name with '.', e.g. "FooTest." or, for
# typed and parameterized suites, "Prefix/FooTest/0.  # TypeParam = ..."; test lines are
# indented. Only the name is captured, so comments cannot upset CMake's list handling.
# No SKIP_REGULAR_EXPRESSION: a suite's output holds every test's, and a match would mark the
# suite skipped even when one of its other tests failed.
string(REGEX MATCHALL "(^|\n)[A-Za-z0-9_/]+\\." suite_lines "${listing}")
set(script "")
foreach(line IN LISTS suite_lines)
  string(STRIP "${line}" line)
  string(REGEX REPLACE "\\.$" "" suite "${line}")
  if(suite MATCHES "^DISABLED_" OR suite MATCHES "/DISABLED_")
    continue()
  endif()
  set(name "${TEST_TARGET}.${suite}")
  string(APPEND script
    "add_test([==[${name}]==] [==[${TEST_EXECUTABLE}]==] [==[--gtest_filter=${suite}.*]==])\n"
    "set_tests_properties([==[${name}]==] PROPERTIES WORKING_DIRECTORY [==[${WORKING_DIR}]==]"
    " TIMEOUT ${TEST_TIMEOUT})\n")
endforeach()
file(WRITE "${CTEST_FILE}" "${script}")
