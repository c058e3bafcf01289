#include "src/http/http_message.h"

#include <gtest/gtest.h>

namespace warden::http {
namespace {

TEST(HeadersTest, NamesAreCaseInsensitiveAndKeptInOrder) {
  Headers h;
  h.Add("Content-Type", "text/plain");
  h.Add("X-Multi", "1");
  h.Add("x-multi", "2");
  EXPECT_EQ(h.size(), 3u);
  EXPECT_EQ(h.fields()[0].first, "content-type");
  EXPECT_EQ(h.Get("CONTENT-TYPE").value_or(""), "text/plain");
  EXPECT_EQ(h.Get("x-MULTI").value_or(""), "1");  // the first value
  EXPECT_FALSE(h.Has("missing"));
  h.Set("X-Multi", "3");
  EXPECT_EQ(h.size(), 2u);
  EXPECT_EQ(h.Get("x-multi").value_or(""), "3");
  EXPECT_EQ(h.fields()[0].first, "content-type");
  h.Clear();
  EXPECT_EQ(h.size(), 0u);
}

TEST(RequestTest, QueryAndPathParams) {
  Request r;
  r.query.emplace("a", "1");
  r.query.emplace("a", "2");
  r.path_params["name"] = "MY_BANK";
  EXPECT_EQ(r.Query("a").value_or(""), "1");
  EXPECT_FALSE(r.Query("b").has_value());
  EXPECT_EQ(r.PathParam("name"), "MY_BANK");
  EXPECT_EQ(r.PathParam("other"), "");
}

TEST(ResponseTest, TextJsonAndError) {
  Response t = Response::Text(201, "hi");
  EXPECT_EQ(t.status, 201);
  EXPECT_EQ(t.body, "hi");
  EXPECT_EQ(t.headers.Get("content-type").value_or(""), "text/plain; charset=utf-8");
  Response j = Response::Json(200, "{}");
  EXPECT_EQ(j.headers.Get("content-type").value_or(""), "application/json");

  Response e = ErrorResponse(404, "not_found", "no \"bank\" named a\\b\n\x01");
  EXPECT_EQ(e.status, 404);
  EXPECT_EQ(e.headers.Get("content-type").value_or(""), "application/json");
  EXPECT_EQ(e.body,
            "{\"error\": {\"code\": \"not_found\", \"message\": "
            "\"no \\\"bank\\\" named a\\\\b\\n\\u0001\"}}");
}

TEST(ReasonPhraseTest, KnownAndUnknown) {
  EXPECT_STREQ(ReasonPhrase(200), "OK");
  EXPECT_STREQ(ReasonPhrase(404), "Not Found");
  EXPECT_STREQ(ReasonPhrase(431), "Request Header Fields Too Large");
  EXPECT_STREQ(ReasonPhrase(503), "Service Unavailable");
  EXPECT_STREQ(ReasonPhrase(299), "Unknown");
}

TEST(PercentTest, DecodeAndEncode) {
  EXPECT_EQ(PercentDecode("a%20b+c", false).value_or("?"), "a b+c");
  EXPECT_EQ(PercentDecode("a%20b+c", true).value_or("?"), "a b c");
  EXPECT_EQ(PercentDecode("%2f%2F", false).value_or("?"), "//");
  EXPECT_EQ(PercentDecode("", false).value_or("?"), "");
  EXPECT_FALSE(PercentDecode("%", false).has_value());
  EXPECT_FALSE(PercentDecode("%4", false).has_value());
  EXPECT_FALSE(PercentDecode("ab%4", false).has_value());
  EXPECT_FALSE(PercentDecode("%g0", false).has_value());
  EXPECT_EQ(PercentEncode("aZ09-._~ /?&\xff"), "aZ09-._~%20%2F%3F%26%FF");
  const std::string all = [] {
    std::string s;
    for (int i = 0; i < 256; ++i) s += static_cast<char>(i);
    return s;
  }();
  EXPECT_EQ(PercentDecode(PercentEncode(all), false).value_or("?"), all);
}

}  // namespace
}  // namespace warden::http
