#include "src/http/url_parse.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "src/http/url_fetcher.h"

namespace warden::http {
namespace {

using ::testing::HasSubstr;

ParsedUrl MustParse(std::string_view url) {
  Result<ParsedUrl> parsed = ParseHttpUrl(url);
  EXPECT_TRUE(parsed.ok()) << url << ": " << parsed.status().ToString();
  return parsed.ok() ? *parsed : ParsedUrl{};
}

Status ParseError(std::string_view url) {
  Result<ParsedUrl> parsed = ParseHttpUrl(url);
  EXPECT_FALSE(parsed.ok()) << url << " parsed as host " << (parsed.ok() ? parsed->host : "");
  return parsed.ok() ? Status::Ok() : parsed.status();
}

TEST(ParseHttpUrlTest, SchemeHostPortAndTarget) {
  ParsedUrl u = MustParse("http://Example.COM/a/b.jpg?x=1&y=2");
  EXPECT_EQ(u.scheme, "http");
  EXPECT_EQ(u.host, "example.com");
  EXPECT_EQ(u.port, 80);
  EXPECT_EQ(u.target, "/a/b.jpg?x=1&y=2");

  u = MustParse("HTTPS://img.example.org:8443");
  EXPECT_EQ(u.scheme, "https");
  EXPECT_EQ(u.host, "img.example.org");
  EXPECT_EQ(u.port, 8443);
  EXPECT_EQ(u.target, "/");

  EXPECT_EQ(MustParse("https://a.example/").port, 443);
  EXPECT_EQ(MustParse("http://a.example:/x").port, 80);  // empty port = default (RFC 3986)
  EXPECT_EQ(MustParse("http://a.example?q=1").target, "/?q=1");
  EXPECT_EQ(MustParse("http://a.example:65535/").port, 65535);
  EXPECT_EQ(MustParse("http://a.example:00080/").port, 80);
}

TEST(ParseHttpUrlTest, Ipv6LiteralsInBrackets) {
  ParsedUrl u = MustParse("http://[2001:DB8::1]:8080/img.png");
  EXPECT_EQ(u.host, "2001:db8::1");
  EXPECT_EQ(u.port, 8080);
  EXPECT_EQ(u.target, "/img.png");
  EXPECT_EQ(MustParse("https://[::1]").host, "::1");
  EXPECT_EQ(MustParse("https://[::ffff:10.0.0.1]/").host, "::ffff:10.0.0.1");

  EXPECT_THAT(ParseError("http://::1/").message(), HasSubstr("brackets"));
  EXPECT_THAT(ParseError("http://[::1/").message(), HasSubstr("closing ']'"));
  EXPECT_THAT(ParseError("http://[example.com]/").message(), HasSubstr("not an IPv6 address"));
  EXPECT_THAT(ParseError("http://[fe80::1%25eth0]/").message(), HasSubstr("not an IPv6"));
  EXPECT_THAT(ParseError("http://[::1]x/").message(), HasSubstr("port"));
}

TEST(ParseHttpUrlTest, PercentEncodingKeptAsSentAndFragmentDropped) {
  EXPECT_EQ(MustParse("http://h.example/a%20b/%2e%2E/c?q=%2F%3d#frag").target,
            "/a%20b/%2e%2E/c?q=%2F%3d");
  // Bytes a URL may not hold raw are encoded, once.
  EXPECT_EQ(MustParse("http://h.example/caf\xC3\xA9|x").target, "/caf%C3%A9%7Cx");
  EXPECT_EQ(MustParse("http://h.example#only-fragment").target, "/");
}

TEST(ParseHttpUrlTest, RefusesOtherSchemes) {
  Status s = ParseError("ftp://example.com/x");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "scheme 'ftp' is not allowed");
  EXPECT_THAT(ParseError("FILE:///etc/passwd").message(), HasSubstr("scheme 'file'"));
  EXPECT_THAT(ParseError("gopher://x/").message(), HasSubstr("scheme 'gopher'"));
  EXPECT_THAT(ParseError("javascript:alert(1)").message(), HasSubstr("scheme 'javascript'"));
  EXPECT_THAT(ParseError("example.com/x.jpg").message(), HasSubstr("no scheme"));
  EXPECT_THAT(ParseError("//example.com/x.jpg").message(), HasSubstr("no scheme"));
  EXPECT_THAT(ParseError("http:/example.com/").message(), HasSubstr("does not start with"));
  EXPECT_THAT(ParseError("").message(), HasSubstr("no scheme"));
}

TEST(ParseHttpUrlTest, RefusesUserInfoBadHostsAndPorts) {
  EXPECT_THAT(ParseError("http://user:pw@example.com/").message(), HasSubstr("user information"));
  EXPECT_THAT(ParseError("http://user@example.com/").message(), HasSubstr("user information"));
  // The classic confusion: the real host is after the '@'.
  EXPECT_THAT(ParseError("http://example.com@10.0.0.1/").message(), HasSubstr("user information"));
  EXPECT_THAT(ParseError("http:///x").message(), HasSubstr("empty host"));
  EXPECT_THAT(ParseError("http://:80/").message(), HasSubstr("empty host"));
  EXPECT_THAT(ParseError("http://exa%6dple.com/").message(), HasSubstr("character '%'"));
  EXPECT_THAT(ParseError("http://exa\\mple.com/").message(), HasSubstr("character '\\'"));
  EXPECT_THAT(ParseError("http://ex\xC3\xA4mple.com/").message(), HasSubstr("not allowed"));
  EXPECT_THAT(ParseError("http://" + std::string(254, 'a') + "/").message(),
              HasSubstr("254 characters"));
  EXPECT_EQ(MustParse("http://" + std::string(253, 'a') + "/").host.size(), 253u);

  for (const char* port : {"0", "65536", "-1", "8o", "99999999999", "+80", " 80"}) {
    Status s = ParseError(std::string("http://a.example:") + port + "/");
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << port;
  }
  EXPECT_THAT(ParseError("http://a.example:0/").message(),
              HasSubstr("port '0' is not a number from 1 to 65535"));
}

TEST(ParseHttpUrlTest, RefusesSpacesControlsAndHugeUrls) {
  EXPECT_THAT(ParseError("http://a.example/a b").message(), HasSubstr("space or control"));
  EXPECT_THAT(ParseError(" http://a.example/").message(), HasSubstr("space or control"));
  EXPECT_THAT(ParseError("http://a.example/\r\nX-Evil: 1").message(), HasSubstr("control"));
  EXPECT_THAT(ParseError(std::string("http://a.example/\0x", 19)).message(), HasSubstr("control"));
  EXPECT_THAT(ParseError("http://a.example/" + std::string(9000, 'x')).message(),
              HasSubstr("over the limit of 8192"));
}

TEST(ResolveUrlReferenceTest, FormsOfLocation) {
  ParsedUrl base = MustParse("http://h.example:8080/dir/page.html?old=1");
  auto resolve = [&](std::string_view location) {
    Result<std::string> r = ResolveUrlReference(base, location);
    EXPECT_TRUE(r.ok()) << location;
    return r.ok() ? *r : std::string();
  };
  EXPECT_EQ(resolve("https://other.example/x"), "https://other.example/x");
  EXPECT_EQ(resolve("ftp://other.example/x"), "ftp://other.example/x");  // judged by the parser
  EXPECT_EQ(resolve("//cdn.example/y.jpg"), "http://cdn.example/y.jpg");
  EXPECT_EQ(resolve("/abs/z.jpg?a=b"), "http://h.example:8080/abs/z.jpg?a=b");
  EXPECT_EQ(resolve("z.jpg"), "http://h.example:8080/dir/z.jpg");
  EXPECT_EQ(resolve("../up.jpg"), "http://h.example:8080/up.jpg");
  EXPECT_EQ(resolve("../../../up.jpg"), "http://h.example:8080/up.jpg");
  EXPECT_EQ(resolve("./sub/./a/../b.jpg"), "http://h.example:8080/dir/sub/b.jpg");
  EXPECT_EQ(resolve("sub/"), "http://h.example:8080/dir/sub/");
  EXPECT_EQ(resolve(".."), "http://h.example:8080/");
  EXPECT_EQ(resolve("?new=2"), "http://h.example:8080/dir/page.html?new=2");
  EXPECT_EQ(resolve("/a#frag"), "http://h.example:8080/a");
  EXPECT_EQ(resolve("#frag"), "http://h.example:8080/dir/page.html?old=1");
  EXPECT_EQ(ResolveUrlReference(base, "").status().code(), StatusCode::kInvalidArgument);

  ParsedUrl v6 = MustParse("https://[2001:db8::7]/a/b");
  EXPECT_EQ(*ResolveUrlReference(v6, "c"), "https://[2001:db8::7]/a/c");
  EXPECT_EQ(UrlOrigin(MustParse("https://h.example:443/x")), "https://h.example");
  EXPECT_EQ(UrlOrigin(MustParse("http://h.example:443/x")), "http://h.example:443");
}

TEST(UrlForMessageTest, ShortensLongUrls) {
  EXPECT_EQ(UrlForMessage("http://a/"), "http://a/");
  std::string longer = "http://a/" + std::string(500, 'x');
  std::string shown = UrlForMessage(longer);
  EXPECT_EQ(shown.size(), 203u);
  EXPECT_EQ(shown.substr(200), "...");
}

}  // namespace
}  // namespace warden::http
