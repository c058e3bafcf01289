#include "warden/signal.h"

#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <vector>

#include "src/hash/local_test_signal.h"

namespace warden {
namespace {

std::span<const uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

constexpr char kPdqHex[] = "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22";

TEST(SignalTest, TypeNamesAndLengths) {
  EXPECT_STREQ(SignalTypeName(SignalType::kPdq), "pdq");
  EXPECT_STREQ(SignalTypeName(SignalType::kMd5), "md5");
  EXPECT_STREQ(SignalTypeName(SignalType::kSha1), "sha1");
  EXPECT_STREQ(SignalTypeName(SignalType::kSha256), "sha256");
  EXPECT_EQ(SignalHexLength(SignalType::kPdq), 64);
  EXPECT_EQ(SignalHexLength(SignalType::kMd5), 32);
  EXPECT_EQ(SignalHexLength(SignalType::kSha1), 40);
  EXPECT_EQ(SignalHexLength(SignalType::kSha256), 64);
}

TEST(SignalTest, ParseSignalTypeIsCaseInsensitive) {
  auto t = ParseSignalType("SHA256");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, SignalType::kSha256);
  ASSERT_TRUE(ParseSignalType("Pdq").ok());
  EXPECT_EQ(*ParseSignalType("Pdq"), SignalType::kPdq);
  auto bad = ParseSignalType("sha512");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("sha512"), std::string::npos);
  EXPECT_FALSE(ParseSignalType("").ok());
}

TEST(SignalTest, MakeLowerCasesAndKeepsQuality) {
  std::string upper = kPdqHex;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto s = Signal::Make(SignalType::kPdq, upper, 87);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->value, kPdqHex);
  EXPECT_EQ(s->quality, 87);
  EXPECT_EQ(s->type, SignalType::kPdq);
}

TEST(SignalTest, MakeRejectsWrongLength) {
  auto s = Signal::Make(SignalType::kMd5, std::string(31, 'a'));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.status().message(), "md5 hash must be 32 hex digits, got 31");
  EXPECT_FALSE(Signal::Make(SignalType::kSha1, std::string(41, 'a')).ok());
  EXPECT_FALSE(Signal::Make(SignalType::kSha256, "").ok());
  // A PDQ hash is not a SHA-1 even though both are hex.
  EXPECT_FALSE(Signal::Make(SignalType::kSha1, kPdqHex).ok());
}

TEST(SignalTest, MakeRejectsBadCharacters) {
  std::string hex = kPdqHex;
  hex[10] = 'g';
  auto s = Signal::Make(SignalType::kPdq, hex);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(), "pdq hash has a non-hex character 'g' at position 10");
  hex[10] = ' ';
  EXPECT_FALSE(Signal::Make(SignalType::kPdq, hex).ok());
  hex[10] = '\n';
  auto ctl = Signal::Make(SignalType::kPdq, hex);
  ASSERT_FALSE(ctl.ok());
  EXPECT_NE(ctl.status().message().find("\\x0a"), std::string::npos);
}

TEST(SignalTest, MakeRejectsQualityOutOfRange) {
  EXPECT_FALSE(Signal::Make(SignalType::kPdq, kPdqHex, 101).ok());
  EXPECT_FALSE(Signal::Make(SignalType::kPdq, kPdqHex, -2).ok());
  EXPECT_TRUE(Signal::Make(SignalType::kPdq, kPdqHex, 0).ok());
  EXPECT_TRUE(Signal::Make(SignalType::kPdq, kPdqHex, 100).ok());
}

TEST(SignalTest, ParseTaggedRoundTrip) {
  auto s = Signal::ParseTagged(std::string("PDQ:") + kPdqHex);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->type, SignalType::kPdq);
  EXPECT_EQ(s->value, kPdqHex);
  EXPECT_EQ(s->quality, -1);
  EXPECT_EQ(s->ToTagged(), std::string("pdq:") + kPdqHex);

  auto md5 = Signal::ParseTagged("md5:D41D8CD98F00B204E9800998ECF8427E");
  ASSERT_TRUE(md5.ok());
  EXPECT_EQ(md5->ToTagged(), "md5:d41d8cd98f00b204e9800998ecf8427e");
}

TEST(SignalTest, ParseTaggedRejectsMalformed) {
  EXPECT_FALSE(Signal::ParseTagged(kPdqHex).ok());                              // no tag
  EXPECT_FALSE(Signal::ParseTagged(std::string("vpdq:") + kPdqHex).ok());       // unknown tag
  EXPECT_FALSE(Signal::ParseTagged(std::string("md5:") + kPdqHex).ok());        // wrong length
  EXPECT_FALSE(Signal::ParseTagged(std::string("pdq: ") + kPdqHex).ok());       // space
  EXPECT_FALSE(Signal::ParseTagged(std::string("pdq:") + kPdqHex + ":").ok());  // trailing
  EXPECT_FALSE(Signal::ParseTagged("").ok());
  EXPECT_FALSE(Signal::ParseTagged(":").ok());
}

TEST(SignalTest, DigestKnownVectorsEmpty) {
  EXPECT_EQ(DigestHex(SignalType::kMd5, Bytes("")), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(DigestHex(SignalType::kSha1, Bytes("")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(DigestHex(SignalType::kSha256, Bytes("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(SignalTest, DigestKnownVectorsAbc) {
  EXPECT_EQ(DigestHex(SignalType::kMd5, Bytes("abc")), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(DigestHex(SignalType::kSha1, Bytes("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(DigestHex(SignalType::kSha256, Bytes("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(SignalTest, DigestOfBinaryBytes) {
  std::vector<uint8_t> zeros(1000, 0);
  // SHA-256 of 1000 zero bytes (a standard vector).
  EXPECT_EQ(DigestHex(SignalType::kSha256, zeros),
            "541b3e9daa09b20bf85fa273e5cbd3e80185aa4ec298e765db87742b70138a53");
  auto s = Signal::Make(SignalType::kSha256, DigestHex(SignalType::kSha256, zeros));
  EXPECT_TRUE(s.ok());
}

TEST(SignalLocalTest, NameAndVariableLength) {
  EXPECT_STREQ(SignalTypeName(SignalType::kLocal), "local");
  EXPECT_EQ(SignalHexLength(SignalType::kLocal), 0);
  auto t = ParseSignalType("LOCAL");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, SignalType::kLocal);
  auto bad = ParseSignalType("orb");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("local"), std::string::npos);
}

TEST(SignalLocalTest, MakeRejectsBadLengths) {
  auto odd = Signal::Make(SignalType::kLocal, "abc");
  ASSERT_FALSE(odd.ok());
  EXPECT_EQ(odd.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(odd.status().message(),
            "local signal must be an even number of hex digits, 2..8192, got 3");
  EXPECT_FALSE(Signal::Make(SignalType::kLocal, "").ok());
  auto huge = Signal::Make(SignalType::kLocal, std::string(2 * kLocalMaxStoredBytes + 2, 'a'));
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.status().message().find("got 8194"), std::string::npos);
}

TEST(SignalLocalTest, MakeRejectsNonHexAndUndecodable) {
  auto ctl = Signal::Make(SignalType::kLocal, "00\n0");
  ASSERT_FALSE(ctl.ok());
  EXPECT_EQ(ctl.status().message(), "local signal has a non-hex character \\x0a at position 2");
  // Hex, but not the stored form (no magic): the decoder's complaint is passed on.
  auto junk = Signal::Make(SignalType::kLocal, std::string(64, '0'));
  ASSERT_FALSE(junk.ok());
  EXPECT_EQ(junk.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(junk.status().message().rfind("local signal does not decode: ", 0), 0u)
      << junk.status().message();
  EXPECT_FALSE(Signal::ParseTagged(std::string("local:") + std::string(64, '0')).ok());
}

TEST(SignalLocalTest, LocalSignalBytesChecksTypeAndHex) {
  Signal pdq{SignalType::kPdq, kPdqHex, -1};
  EXPECT_FALSE(LocalSignalBytes(pdq).ok());
  Signal odd{SignalType::kLocal, "abc", -1};
  EXPECT_FALSE(LocalSignalBytes(odd).ok());
  Signal upper{SignalType::kLocal, "0aFf", -1};
  auto bytes = LocalSignalBytes(upper);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(*bytes, (std::vector<uint8_t>{0x0a, 0xff}));
  Signal bad{SignalType::kLocal, "0g", -1};
  EXPECT_FALSE(LocalSignalBytes(bad).ok());
}

TEST(SignalLocalTest, EncodedFeaturesMakeAValidSignal) {
  const LocalFeatures features = SyntheticLocalFeatures(7, 20);
  const Signal s = LocalSignalFromFeatures(features);
  EXPECT_EQ(s.type, SignalType::kLocal);
  EXPECT_EQ(s.value.size() % 2, 0u);
  EXPECT_LE(s.value.size(), 2 * kLocalMaxStoredBytes);
  // Upper-case input is accepted and canonicalised.
  std::string upper = s.value;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto made = Signal::Make(SignalType::kLocal, upper);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  EXPECT_EQ(made->value, s.value);
  auto tagged = Signal::ParseTagged(s.ToTagged());
  ASSERT_TRUE(tagged.ok()) << tagged.status().ToString();
  EXPECT_EQ(*tagged, s);
  EXPECT_EQ(s.ToTagged().rfind("local:", 0), 0u);

  auto back = LocalFeaturesFromSignal(s);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->width, 640);
  EXPECT_EQ(back->height, 480);
  ASSERT_EQ(back->keypoints.size(), 20u);
  EXPECT_EQ(back->keypoints[3].descriptor, features.keypoints[3].descriptor);
  EXPECT_NEAR(back->keypoints[3].x, features.keypoints[3].x, 1.0);
  // Different features give different values; a truncated value no longer decodes.
  EXPECT_NE(SyntheticLocalSignal(8).value, SyntheticLocalSignal(9).value);
  EXPECT_FALSE(Signal::Make(SignalType::kLocal, s.value.substr(0, s.value.size() - 2)).ok());
}

}  // namespace
}  // namespace warden
