// Helpers for the bank format tests: the synthetic hashes the fixtures in testdata/ use, and
// reading a whole fixture or string through a RecordReader.
//
// Thread safety: none needed (tests).
#ifndef WARDEN_SRC_BANK_FORMAT_TEST_UTIL_H_
#define WARDEN_SRC_BANK_FORMAT_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "warden/bank_formats.h"

namespace warden {

// Synthetic values (patterns, not real hashes) used by the fixtures.
inline const std::string kH1 = "f0e1d2c3b4a59687f0e1d2c3b4a59687f0e1d2c3b4a59687f0e1d2c3b4a59687";
inline const std::string kH2 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
inline const std::string kH3 = "1111222233334444111122223333444411112222333344441111222233334444";
inline const std::string kH4 = "deadbeefcafef00ddeadbeefcafef00ddeadbeefcafef00ddeadbeefcafef00d";
inline const std::string kH5 = "5a5a5a5a3c3c3c3c5a5a5a5a3c3c3c3c5a5a5a5a3c3c3c3c5a5a5a5a3c3c3c3c";
inline const std::string kH6 = "9e3779b97f4a7c159e3779b97f4a7c159e3779b97f4a7c159e3779b97f4a7c15";
inline const std::string kM1 = "00112233445566778899aabbccddeeff";
inline const std::string kM2 = "ffeeddccbbaa99887766554433221100";
inline const std::string kSha1 = "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d";
inline const std::string kS1 = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";

inline std::string FixturePath(const std::string& name) {
  return std::string(WARDEN_SOURCE_DIR) + "/src/bank/testdata/" + name;
}

// Every record of `in` read with `format`; fails the test on a reader error.
inline std::vector<ParsedRecord> ReadAllRecords(BankFormat format, std::istream& in) {
  std::vector<ParsedRecord> out;
  std::unique_ptr<RecordReader> reader = NewRecordReader(format, in);
  ParsedRecord rec;
  while (true) {
    Result<bool> more = reader->Next(&rec);
    EXPECT_TRUE(more.ok()) << more.status().ToString();
    if (!more.ok() || !*more) break;
    out.push_back(rec);
    if (out.size() > 100000) break;  // a reader that never ends is a bug: stop the test
  }
  return out;
}

inline std::vector<ParsedRecord> ReadFixture(BankFormat format, const std::string& name) {
  std::ifstream in(FixturePath(name), std::ios::binary);
  EXPECT_TRUE(in.is_open()) << FixturePath(name);
  return ReadAllRecords(format, in);
}

inline std::vector<ParsedRecord> ReadString(BankFormat format, const std::string& text) {
  std::istringstream in(text);
  return ReadAllRecords(format, in);
}

// "line: reason" of every quarantined record, for compact assertions.
inline std::vector<std::string> QuarantineLines(const std::vector<ParsedRecord>& records) {
  std::vector<std::string> out;
  for (const ParsedRecord& r : records) {
    if (r.quarantined) out.push_back(std::to_string(r.line) + ": " + r.reason);
  }
  return out;
}

inline std::vector<ParsedRecord> GoodRecords(const std::vector<ParsedRecord>& records) {
  std::vector<ParsedRecord> out;
  for (const ParsedRecord& r : records) {
    if (!r.quarantined) out.push_back(r);
  }
  return out;
}

}  // namespace warden

#endif  // WARDEN_SRC_BANK_FORMAT_TEST_UTIL_H_
