#include "src/http/http_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace warden::http {
namespace {

struct Parsed {
  std::vector<Request> requests;
  std::vector<bool> keep_alive;
  bool error = false;
  ParseError err;
};

// Feeds `input` to one parser in the pieces given by `cuts` (offsets), like a connection
// buffer: unconsumed bytes stay, new bytes are appended.
Parsed Feed(std::string_view input, const std::vector<size_t>& cuts, int max_header = 4096,
            int64_t max_body = 1 << 20) {
  RequestParser parser(max_header);
  Parsed out;
  Request request;
  parser.Reset(&request);
  std::string buffer;
  auto drain = [&] {
    for (;;) {
      size_t consumed = 0;
      auto ev = parser.Parse(buffer.data(), buffer.size(), &consumed);
      EXPECT_LE(consumed, buffer.size());
      buffer.erase(0, consumed);
      if (ev == RequestParser::Event::kHeaders) {
        ev = parser.StartBody(max_body);
        if (ev == RequestParser::Event::kNeedMore) continue;
      }
      if (ev == RequestParser::Event::kNeedMore) return true;
      if (ev == RequestParser::Event::kError) {
        out.error = true;
        out.err = parser.error();
        return false;
      }
      out.requests.push_back(request);
      out.keep_alive.push_back(parser.keep_alive());
      parser.Reset(&request);
    }
  };
  size_t start = 0;
  std::vector<size_t> all = cuts;
  all.push_back(input.size());
  for (size_t cut : all) {
    buffer.append(input.substr(start, cut - start));
    start = cut;
    if (!drain()) break;
  }
  return out;
}

Parsed FeedAll(std::string_view input, int max_header = 4096, int64_t max_body = 1 << 20) {
  return Feed(input, {}, max_header, max_body);
}

const char kPipeline[] =
    "GET /m/lookup?signal=ab%20cd&x=1&x=2&flag HTTP/1.1\r\n"
    "Host: example\r\n"
    "X-Custom:  spaced value \t\r\n"
    "\r\n"
    "POST /upload HTTP/1.1\r\n"
    "Host: example\r\n"
    "Content-Length: 11\r\n"
    "\r\n"
    "hello world"
    "PUT /c/bank/a%2Fb HTTP/1.1\r\n"
    "Transfer-Encoding: chunked\r\n"
    "Connection: close\r\n"
    "\r\n"
    "5;name=value;flag\r\n"
    "abcde\r\n"
    "A\r\n"
    "0123456789\r\n"
    "0\r\n"
    "X-Trailer: yes\r\n"
    "\r\n";

void ExpectPipeline(const Parsed& p) {
  ASSERT_FALSE(p.error) << p.err.message;
  ASSERT_EQ(p.requests.size(), 3u);
  const Request& get = p.requests[0];
  EXPECT_EQ(get.method, "GET");
  EXPECT_EQ(get.target, "/m/lookup?signal=ab%20cd&x=1&x=2&flag");
  EXPECT_EQ(get.path, "/m/lookup");
  EXPECT_EQ(get.Query("signal").value_or(""), "ab cd");
  EXPECT_EQ(get.query.count("x"), 2u);
  EXPECT_EQ(get.Query("flag").value_or("absent"), "");
  EXPECT_EQ(get.headers.Get("x-custom").value_or(""), "spaced value");
  EXPECT_EQ(get.headers.Get("HOST").value_or(""), "example");
  EXPECT_TRUE(get.body.empty());
  EXPECT_TRUE(p.keep_alive[0]);
  EXPECT_EQ(p.requests[1].method, "POST");
  EXPECT_EQ(p.requests[1].body, "hello world");
  EXPECT_EQ(p.requests[2].path, "/c/bank/a/b");
  EXPECT_EQ(p.requests[2].body, "abcde0123456789");
  EXPECT_FALSE(p.requests[2].headers.Has("x-trailer"));  // trailers are dropped
  EXPECT_FALSE(p.keep_alive[2]);
}

TEST(RequestParserTest, PipelineInOneBuffer) { ExpectPipeline(FeedAll(kPipeline)); }

TEST(RequestParserTest, SplitAtEveryByteOffsetGivesTheSameRequests) {
  const std::string input = kPipeline;
  for (size_t cut = 0; cut <= input.size(); ++cut) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    ExpectPipeline(Feed(input, {cut}));
  }
}

TEST(RequestParserTest, ByteByByte) {
  const std::string input = kPipeline;
  std::vector<size_t> cuts;
  for (size_t i = 1; i < input.size(); ++i) cuts.push_back(i);
  ExpectPipeline(Feed(input, cuts));
}

TEST(RequestParserTest, BareLineFeedsAndLeadingEmptyLines) {
  Parsed p = FeedAll("\r\n\nGET /a HTTP/1.1\nHost: h\n\nGET /b HTTP/1.0\r\n\r\n");
  ASSERT_FALSE(p.error) << p.err.message;
  ASSERT_EQ(p.requests.size(), 2u);
  EXPECT_EQ(p.requests[0].path, "/a");
  EXPECT_EQ(p.requests[0].headers.Get("host").value_or(""), "h");
  EXPECT_EQ(p.requests[1].path, "/b");
  EXPECT_FALSE(p.keep_alive[1]);  // HTTP/1.0 without keep-alive
}

TEST(RequestParserTest, ConnectionSemantics) {
  Parsed p = FeedAll(
      "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"
      "GET / HTTP/1.1\r\nConnection: foo, CLOSE\r\n\r\n");
  ASSERT_EQ(p.requests.size(), 2u);
  EXPECT_TRUE(p.keep_alive[0]);
  EXPECT_FALSE(p.keep_alive[1]);
}

TEST(RequestParserTest, ExpectContinueAndContentLengthAreReported) {
  RequestParser parser(4096);
  Request r;
  parser.Reset(&r);
  const std::string head = "POST /x HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n";
  size_t consumed = 0;
  ASSERT_EQ(parser.Parse(head.data(), head.size(), &consumed), RequestParser::Event::kHeaders);
  EXPECT_EQ(consumed, head.size());
  EXPECT_TRUE(parser.expect_continue());
  EXPECT_EQ(parser.content_length(), 3);
  EXPECT_TRUE(parser.headers_done());
  EXPECT_EQ(parser.StartBody(100), RequestParser::Event::kNeedMore);
  ASSERT_EQ(parser.Parse("abc", 3, &consumed), RequestParser::Event::kComplete);
  EXPECT_EQ(r.body, "abc");
}

struct BadCase {
  const char* input;
  int status;
  const char* message_part;
};

TEST(RequestParserTest, MalformedRequestsAreRefusedWithTheRightStatus) {
  const BadCase cases[] = {
      {"GET /\r\n\r\n", 400, "malformed request line"},
      {"GET  / HTTP/1.1\r\n\r\n", 400, "malformed request line"},
      {"GET / HTTP/1.1 \r\n\r\n", 400, "malformed request line"},
      {"G(T / HTTP/1.1\r\n\r\n", 400, "bad method"},
      {"GET x HTTP/1.1\r\n\r\n", 400, "does not start with '/'"},
      {"GET http://h/ HTTP/1.1\r\n\r\n", 400, "does not start with '/'"},
      {"GET /\x01 HTTP/1.1\r\n\r\n", 400, "bad character"},
      {"GET / http/1.1\r\n\r\n", 400, "bad HTTP version"},
      {"GET / HTTP/2.0\r\n\r\n", 505, "not supported"},
      {"GET /%zz HTTP/1.1\r\n\r\n", 400, "percent-encoding in path"},
      {"GET /%00 HTTP/1.1\r\n\r\n", 400, "percent-encoding in path"},
      {"GET /?a=%4 HTTP/1.1\r\n\r\n", 400, "query parameter"},
      {"GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400, "bad header name"},
      {"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400, "folding"},
      {"GET / HTTP/1.1\r\nNoColon\r\n\r\n", 400, "without a colon"},
      {"GET / HTTP/1.1\r\n: empty\r\n\r\n", 400, "empty header name"},
      {"GET / HTTP/1.1\r\nX: a\x01z\r\n\r\n", 400, "control character"},
      {"GET / HTTP/1.1\r\nX: a\rz\r\n\r\n", 400, "control character"},
      {"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "more than one Host"},
      {"POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n", 400, "bad Content-Length"},
      {"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400, "bad Content-Length"},
      {"POST / HTTP/1.1\r\nContent-Length: \r\n\r\n", 400, "bad Content-Length"},
      {"POST / HTTP/1.1\r\nContent-Length: 1, 2\r\n\r\n", 400, "bad Content-Length"},
      {"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400,
       "bad Content-Length"},
      {"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", 413, "over the limit"},
      {"POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
       "both Content-Length and Transfer-Encoding"},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 400,
       "both Content-Length and Transfer-Encoding"},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501, "'gzip' is not implemented"},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400, "more than once"},
      {"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "HTTP/1.0"},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400, "bad chunk size"},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n", 400,
       "not followed by CRLF"},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;\x01\r\n", 400, "chunk extension"},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nbad trailer\r\n\r\n", 400,
       "malformed trailer"},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\n", 413,
       "too large"},
  };
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.input);
    Parsed p = FeedAll(c.input);
    ASSERT_TRUE(p.error);
    EXPECT_EQ(p.err.status, c.status);
    EXPECT_NE(p.err.message.find(c.message_part), std::string::npos) << p.err.message;
    EXPECT_FALSE(p.err.code.empty());
    EXPECT_TRUE(p.requests.empty());
  }
}

TEST(RequestParserTest, RepeatedEqualContentLengthIsOneLength) {
  Parsed p = FeedAll("POST / HTTP/1.1\r\nContent-Length: 2, 2\r\nContent-Length: 2\r\n\r\nok");
  ASSERT_FALSE(p.error) << p.err.message;
  ASSERT_EQ(p.requests.size(), 1u);
  EXPECT_EQ(p.requests[0].body, "ok");
}

TEST(RequestParserTest, HeaderLimitIsEnforcedWithAndWithoutLineEnds) {
  const int limit = 200;
  // Exactly at the limit: accepted.
  std::string ok = "GET / HTTP/1.1\r\nX: ";
  ok += std::string(limit - ok.size() - 4, 'a') + "\r\n\r\n";
  ASSERT_EQ(ok.size(), static_cast<size_t>(limit));
  EXPECT_FALSE(FeedAll(ok, limit).error);
  // One byte over: 431.
  std::string over = "GET / HTTP/1.1\r\nX: ";
  over += std::string(limit - over.size() - 3, 'a') + "\r\n\r\n";
  Parsed p = FeedAll(over, limit);
  ASSERT_TRUE(p.error);
  EXPECT_EQ(p.err.status, 431);
  EXPECT_EQ(p.err.code, "headers_too_large");
  // A header that never ends: 431 as soon as the limit is passed, not buffered forever.
  Parsed endless = FeedAll("GET / HTTP/1.1\r\nX: " + std::string(500, 'b'), limit);
  ASSERT_TRUE(endless.error);
  EXPECT_EQ(endless.err.status, 431);
}

TEST(RequestParserTest, BodyLimits) {
  Parsed fixed = FeedAll("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n", 4096, 10);
  ASSERT_TRUE(fixed.error);
  EXPECT_EQ(fixed.err.status, 413);
  EXPECT_EQ(fixed.err.code, "body_too_large");
  Parsed at_limit = FeedAll("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789", 4096, 10);
  ASSERT_FALSE(at_limit.error);
  EXPECT_EQ(at_limit.requests[0].body, "0123456789");
  Parsed chunked = FeedAll(
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n5\r\nghijk\r\n0\r\n\r\n",
      4096, 10);
  ASSERT_TRUE(chunked.error);
  EXPECT_EQ(chunked.err.status, 413);
  Parsed trailers = FeedAll("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: " +
                                std::string(300, 'a') + "\r\n\r\n",
                            200, 10);
  ASSERT_TRUE(trailers.error);
  EXPECT_EQ(trailers.err.status, 431);
}

TEST(RequestParserTest, ResetKeepsRemoteAddressAndClearsTheRest) {
  RequestParser parser(4096);
  Request r;
  r.remote_address = "10.1.2.3";
  parser.Reset(&r);
  const std::string a = "POST /a?q=1 HTTP/1.1\r\nContent-Length: 1\r\n\r\nx";
  size_t consumed = 0;
  ASSERT_EQ(parser.Parse(a.data(), a.size(), &consumed), RequestParser::Event::kHeaders);
  ASSERT_EQ(parser.StartBody(10), RequestParser::Event::kNeedMore);
  ASSERT_EQ(parser.Parse(a.data() + consumed, a.size() - consumed, &consumed),
            RequestParser::Event::kComplete);
  r.path_params["id"] = "7";
  parser.Reset(&r);
  EXPECT_EQ(r.remote_address, "10.1.2.3");
  EXPECT_TRUE(r.body.empty());
  EXPECT_TRUE(r.query.empty());
  EXPECT_EQ(r.headers.size(), 0u);
  EXPECT_TRUE(r.path_params.empty());
  EXPECT_FALSE(parser.started());
}

}  // namespace
}  // namespace warden::http
