#include "src/base/ascii.h"

#include <gtest/gtest.h>

namespace warden {
namespace {

TEST(AsciiTest, LowersOnlyAsciiCapitals) {
  EXPECT_EQ(AsciiLower('A'), 'a');
  EXPECT_EQ(AsciiLower('Z'), 'z');
  EXPECT_EQ(AsciiLower('a'), 'a');
  EXPECT_EQ(AsciiLower('@'), '@');  // just below 'A'
  EXPECT_EQ(AsciiLower('['), '[');  // just above 'Z'
  EXPECT_EQ(AsciiLower('\xC3'), '\xC3');
  // "Ä" in UTF-8 keeps both bytes; the ASCII around it is lowered.
  EXPECT_EQ(AsciiLowered("Content-TYPE \xC3\x84X"), "content-type \xC3\x84x");
  EXPECT_EQ(AsciiLowered(""), "");
}

TEST(AsciiTest, EqualsIgnoreCaseComparesLengthAndFoldedBytes) {
  EXPECT_TRUE(AsciiEqualsIgnoreCase("Keep-Alive", "keep-alive"));
  EXPECT_TRUE(AsciiEqualsIgnoreCase("", ""));
  EXPECT_FALSE(AsciiEqualsIgnoreCase("close", "closed"));
  EXPECT_FALSE(AsciiEqualsIgnoreCase("chunked", "chunkee"));
  // '@' and '`' differ from each other by 32 as 'A' and 'a' do, but are not letters.
  EXPECT_FALSE(AsciiEqualsIgnoreCase("@", "`"));
  EXPECT_FALSE(AsciiEqualsIgnoreCase("\xC3\x84", "\xC3\xA4"));
}

}  // namespace
}  // namespace warden
