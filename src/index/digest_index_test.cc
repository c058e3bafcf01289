#include "src/index/digest_index.h"

#include <gtest/gtest.h>

namespace warden {
namespace {

Signal Sig(SignalType type, std::string value) {
  Signal s;
  s.type = type;
  s.value = std::move(value);
  return s;
}

const std::string kMd5 = "d41d8cd98f00b204e9800998ecf8427e";
const std::string kSha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

TEST(DigestIndexTest, AddLookupRemove) {
  DigestIndex index;
  ASSERT_TRUE(index.Add(Sig(SignalType::kMd5, kMd5), 7).ok());
  ASSERT_TRUE(index.Add(Sig(SignalType::kMd5, kMd5), 3).ok());
  ASSERT_TRUE(index.Add(Sig(SignalType::kMd5, kMd5), 7).ok());  // same pair: no change
  ASSERT_TRUE(index.Add(Sig(SignalType::kSha256, kSha256), 9).ok());
  EXPECT_EQ(index.size(), 3u);
  EXPECT_EQ(*index.Lookup(Sig(SignalType::kMd5, kMd5)), (std::vector<uint64_t>{3, 7}));
  // Upper-case hex is the same digest.
  std::string upper = kMd5;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(*index.Lookup(Sig(SignalType::kMd5, upper)), (std::vector<uint64_t>{3, 7}));
  EXPECT_EQ(*index.Lookup(Sig(SignalType::kSha256, kSha256)), (std::vector<uint64_t>{9}));
  // One character off: no match.
  std::string other = kMd5;
  other[31] = 'f';
  EXPECT_TRUE(index.Lookup(Sig(SignalType::kMd5, other))->empty());

  EXPECT_TRUE(index.Remove(Sig(SignalType::kMd5, kMd5), 7));
  EXPECT_FALSE(index.Remove(Sig(SignalType::kMd5, kMd5), 7));
  EXPECT_EQ(*index.Lookup(Sig(SignalType::kMd5, kMd5)), (std::vector<uint64_t>{3}));
  EXPECT_TRUE(index.Remove(Sig(SignalType::kMd5, kMd5), 3));
  EXPECT_TRUE(index.Lookup(Sig(SignalType::kMd5, kMd5))->empty());
  EXPECT_EQ(index.size(), 1u);
}

TEST(DigestIndexTest, TypesDoNotMix) {
  DigestIndex index;
  std::string sha1(40, 'a');
  ASSERT_TRUE(index.Add(Sig(SignalType::kSha1, sha1), 1).ok());
  // A SHA-256 whose first 40 digits equal the SHA-1 is a different digest.
  EXPECT_TRUE(index.Lookup(Sig(SignalType::kSha256, std::string(64, 'a')))->empty());
  EXPECT_EQ(index.Lookup(Sig(SignalType::kSha1, sha1))->size(), 1u);
}

TEST(DigestIndexTest, LeavesLocalSignalsToTheLocalIndex) {
  DigestIndex index;
  // Any even-length hex: the digest index rejects the type before looking at the value.
  Status local = index.Add(Sig(SignalType::kLocal, std::string(200, '0')), 1);
  EXPECT_EQ(local.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(local.message(), "digest index: local signals belong in a local index");
  EXPECT_FALSE(index.Lookup(Sig(SignalType::kLocal, std::string(200, '0'))).ok());
  EXPECT_FALSE(index.Remove(Sig(SignalType::kLocal, std::string(200, '0')), 1));
  EXPECT_EQ(index.size(), 0u);
}

TEST(DigestIndexTest, RejectsMalformedSignals) {
  DigestIndex index;
  Status pdq = index.Add(Sig(SignalType::kPdq, std::string(64, '0')), 1);
  EXPECT_EQ(pdq.code(), StatusCode::kInvalidArgument);
  Status short_md5 = index.Add(Sig(SignalType::kMd5, "abc"), 1);
  EXPECT_EQ(short_md5.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(short_md5.message().find("3 hex digits, expected 32"), std::string::npos);
  std::string bad = kMd5;
  bad[5] = 'g';
  Status bad_hex = index.Add(Sig(SignalType::kMd5, bad), 1);
  EXPECT_EQ(bad_hex.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad_hex.message().find("at 5"), std::string::npos);
  EXPECT_EQ(index.Lookup(Sig(SignalType::kMd5, bad)).status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(index.Remove(Sig(SignalType::kMd5, bad), 1));
  EXPECT_EQ(index.size(), 0u);
}

}  // namespace
}  // namespace warden
