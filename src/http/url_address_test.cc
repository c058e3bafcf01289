#include "src/http/url_address.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "src/http/url_fetcher.h"

namespace warden::http {
namespace {

using ::testing::HasSubstr;

bool NonPublic(std::string_view address) {
  Result<bool> r = IsNonPublicAddress(address);
  EXPECT_TRUE(r.ok()) << address << ": " << r.status().ToString();
  return r.ok() && *r;
}

std::string KindOf(std::string_view address) {
  std::optional<IpAddress> a = ParseIpAddress(address);
  EXPECT_TRUE(a.has_value()) << address;
  const char* kind = a ? NonPublicKind(*a) : nullptr;
  return kind == nullptr ? "public" : kind;
}

// Each refused IPv4 range: its first and last address, and the public neighbours just
// outside it where those are public.
TEST(IsNonPublicAddressTest, EveryIpv4Range) {
  const char* refused[] = {
      "0.0.0.0",         "0.255.255.255",  "10.0.0.0",        "10.255.255.255", "100.64.0.0",
      "100.127.255.255", "127.0.0.1",      "127.255.255.254", "169.254.0.1",    "169.254.169.254",
      "172.16.0.0",      "172.31.255.255", "192.0.0.0",       "192.0.0.255",    "192.0.2.0",
      "192.0.2.255",     "192.168.0.0",    "192.168.255.255", "198.18.0.0",     "198.19.255.255",
      "198.51.100.0",    "198.51.100.255", "203.0.113.0",     "203.0.113.255",  "224.0.0.1",
      "239.255.255.255", "240.0.0.0",      "254.255.255.255", "255.255.255.255"};
  for (const char* a : refused) EXPECT_TRUE(NonPublic(a)) << a;
  const char* public_neighbours[] = {
      "1.0.0.0",         "9.255.255.255",   "11.0.0.0",        "100.63.255.255",  "100.128.0.0",
      "126.255.255.255", "128.0.0.0",       "169.253.255.255", "169.255.0.0",     "172.15.255.255",
      "172.32.0.0",      "192.0.1.0",       "192.0.3.0",       "192.167.255.255", "192.169.0.0",
      "198.17.255.255",  "198.20.0.0",      "198.51.99.255",   "198.51.101.0",    "203.0.112.255",
      "203.0.114.0",     "223.255.255.255", "8.8.8.8",         "1.1.1.1"};
  for (const char* a : public_neighbours) EXPECT_FALSE(NonPublic(a)) << a;
}

TEST(IsNonPublicAddressTest, KindsNameTheRange) {
  EXPECT_EQ(KindOf("10.0.0.5"), "private");
  EXPECT_EQ(KindOf("127.0.0.1"), "loopback");
  EXPECT_EQ(KindOf("169.254.169.254"), "link-local");
  EXPECT_EQ(KindOf("100.100.100.100"), "carrier-grade NAT");
  EXPECT_EQ(KindOf("255.255.255.255"), "broadcast");
  EXPECT_EQ(KindOf("239.1.1.1"), "multicast");
  EXPECT_EQ(KindOf("0.0.0.0"), "unspecified");
  EXPECT_EQ(KindOf("::"), "unspecified");
  EXPECT_EQ(KindOf("::1"), "loopback");
  EXPECT_EQ(KindOf("fd12:3456::1"), "unique-local");
  EXPECT_EQ(KindOf("2001:db8::1"), "documentation");
  EXPECT_EQ(KindOf("8.8.4.4"), "public");
}

TEST(IsNonPublicAddressTest, EveryIpv6Range) {
  const char* refused[] = {"::",
                           "::1",
                           "fc00::",
                           "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                           "fe80::1",
                           "febf:ffff::1",
                           "fec0::1",
                           "ff00::",
                           "ff02::1",
                           "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                           "64:ff9b::1",
                           "64:ff9b::808:808",  // NAT64 even of a public IPv4 address
                           "64:ff9b:1::1",
                           "2001:db8::",
                           "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
                           "100::",
                           "100::ffff:ffff:ffff:ffff",
                           "::2",  // IPv4-compatible (deprecated)
                           "::127.0.0.1"};
  for (const char* a : refused) EXPECT_TRUE(NonPublic(a)) << a;
  const char* public_addresses[] = {"2606:4700:4700::1111",
                                    "2001:4860:4860::8888",
                                    "2a00:1450:4001:80b::200e",
                                    "fbff:ffff::1",
                                    "fe00::1",
                                    "2001:db9::1",
                                    "100:0:0:1::",
                                    "64:ff9a::1",
                                    "2002:808:808::1"};
  for (const char* a : public_addresses) EXPECT_FALSE(NonPublic(a)) << a;
}

TEST(IsNonPublicAddressTest, EmbeddedIpv4IsJudged) {
  EXPECT_TRUE(NonPublic("::ffff:127.0.0.1"));
  EXPECT_TRUE(NonPublic("::ffff:7f00:1"));
  EXPECT_TRUE(NonPublic("::ffff:10.1.2.3"));
  EXPECT_TRUE(NonPublic("::ffff:169.254.169.254"));
  EXPECT_TRUE(NonPublic("::ffff:0.0.0.0"));
  EXPECT_FALSE(NonPublic("::ffff:8.8.8.8"));
  EXPECT_FALSE(NonPublic("::ffff:1.1.1.1"));
  EXPECT_EQ(KindOf("::ffff:192.168.1.1"), "private");
  // 6to4 2002:AABB:CCDD:: carries AA.BB.CC.DD.
  EXPECT_TRUE(NonPublic("2002:7f00:1::1"));
  EXPECT_TRUE(NonPublic("2002:a00:1::"));
  EXPECT_FALSE(NonPublic("2002:808:808::"));
}

TEST(IsNonPublicAddressTest, RejectsWhatIsNoLiteral) {
  for (const char* text : {"", "localhost", "127.1", "0x7f.0.0.1", "2130706433", "1.2.3.4.5",
                           "[::1]", "fe80::1%eth0", "256.0.0.1", "::g"}) {
    Result<bool> r = IsNonPublicAddress(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << text;
  }
  EXPECT_THAT(IsNonPublicAddress("localhost").status().message(),
              HasSubstr("'localhost' is not an IPv4 or IPv6 address literal"));
}

TEST(IpAddressTest, TextRoundTripAndUnmapping) {
  EXPECT_EQ(ParseIpAddress("10.0.0.5")->ToString(), "10.0.0.5");
  EXPECT_EQ(ParseIpAddress("2001:DB8:0:0::1")->ToString(), "2001:db8::1");
  IpAddress mapped = *ParseIpAddress("::ffff:10.0.0.5");
  EXPECT_EQ(mapped.family, AF_INET6);
  EXPECT_EQ(mapped.Unmapped(), *ParseIpAddress("10.0.0.5"));
  EXPECT_EQ(ParseIpAddress("::1")->Unmapped(), *ParseIpAddress("::1"));
}

// inet_pton reads up to a NUL, so text with one inside was taken for the address before it
// (fuzz/url_fuzz). URLs refuse control characters anyway; allow-list entries do not.
TEST(IpAddressTest, TextWithANulIsNoLiteral) {
  using namespace std::string_view_literals;
  EXPECT_FALSE(ParseIpAddress("10.0.0.5\0\0\0\x01"sv).has_value());
  EXPECT_FALSE(ParseIpAddress("::1\0x"sv).has_value());
  EXPECT_FALSE(IsNonPublicAddress("127.0.0.1\0"sv).ok());
  EXPECT_TRUE(ParseIpAddress("10.0.0.5"sv).has_value());
}

AllowList MustParseAllow(const std::vector<std::string>& entries) {
  Result<AllowList> list = AllowList::Parse(entries);
  EXPECT_TRUE(list.ok()) << list.status().ToString();
  return list.ok() ? *list : AllowList();
}

TEST(AllowListTest, HostsAddressesAndRanges) {
  AllowList list = MustParseAllow(
      {"Images.Internal", "127.0.0.1", "10.1.0.0/16", "fd00:1::/32", "::1", "192.168.7.9/32"});
  EXPECT_TRUE(list.AllowsHost("images.internal"));
  EXPECT_TRUE(list.AllowsHost("IMAGES.internal"));
  EXPECT_FALSE(list.AllowsHost("images.internal.evil.example"));
  EXPECT_FALSE(list.AllowsHost("internal"));
  EXPECT_FALSE(list.AllowsHost("127.0.0.1x"));

  auto allows = [&](const char* a) { return list.AllowsAddress(*ParseIpAddress(a)); };
  EXPECT_TRUE(allows("127.0.0.1"));
  EXPECT_FALSE(allows("127.0.0.2"));
  EXPECT_TRUE(allows("10.1.0.0"));
  EXPECT_TRUE(allows("10.1.255.255"));
  EXPECT_FALSE(allows("10.2.0.0"));
  EXPECT_FALSE(allows("10.0.255.255"));
  EXPECT_TRUE(allows("fd00:1:ffff::9"));
  EXPECT_FALSE(allows("fd00:2::9"));
  EXPECT_TRUE(allows("::1"));
  EXPECT_TRUE(allows("192.168.7.9"));
  EXPECT_FALSE(allows("192.168.7.8"));
  // An IPv4-mapped address reaches the same IPv4 host.
  EXPECT_TRUE(allows("::ffff:127.0.0.1"));
  EXPECT_TRUE(allows("::ffff:10.1.2.3"));
  EXPECT_FALSE(allows("::ffff:10.2.2.3"));
  // An IPv4 range never matches an IPv6 address that merely shares leading bytes.
  EXPECT_FALSE(allows("a01::1"));
}

TEST(AllowListTest, WholeLoopbackRangeAndMappedEntries) {
  AllowList list = MustParseAllow({"127.0.0.0/8", "::ffff:172.16.0.0/108"});
  auto allows = [&](const char* a) { return list.AllowsAddress(*ParseIpAddress(a)); };
  EXPECT_TRUE(allows("127.0.0.1"));
  EXPECT_TRUE(allows("127.200.0.9"));
  EXPECT_FALSE(allows("128.0.0.1"));
  EXPECT_FALSE(allows("::1"));
  EXPECT_TRUE(allows("172.31.0.1"));  // ::ffff:172.16.0.0/108 is 172.16.0.0/12
  EXPECT_FALSE(allows("172.32.0.1"));
}

TEST(AllowListTest, BadRangesAreRefused) {
  for (const char* entry :
       {"10.0.0.0/33", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/8x", "example.com/8", "::/129", ""}) {
    Result<AllowList> list = AllowList::Parse({entry});
    ASSERT_FALSE(list.ok()) << entry;
    EXPECT_EQ(list.status().code(), StatusCode::kInvalidArgument) << entry;
  }
  EXPECT_THAT(AllowList::Parse({"10.0.0.0/33"}).status().message(),
              HasSubstr("'10.0.0.0/33' is not a CIDR range"));
  EXPECT_TRUE(AllowList::Parse({"0.0.0.0/0", "::/0"}).ok());
}

}  // namespace
}  // namespace warden::http
