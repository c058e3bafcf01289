#include "src/http/url_fetcher.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "src/http/fetch_test_server.h"

namespace warden::http {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using Peer = FetchTestServer::Peer;

FetchOptions LoopbackAllowed() {
  FetchOptions options;
  options.allow_list = {"127.0.0.1"};
  options.timeout_ms = 5000;
  return options;
}

FetchTestServer::Handler Reply(std::string response) {
  return [response](Peer& peer, const std::string&) { peer.Write(response); };
}

std::string Redirect(int status, const std::string& location) {
  return FetchTestServer::Response(status, "Location: " + location + "\r\n", "");
}

TEST(UrlFetcherTest, FetchesABodyWithTheRightRequest) {
  FetchTestServer server(
      {{"/img.jpg", Reply(FetchTestServer::Response(200, "Content-Type: image/jpeg\r\n",
                                                    std::string("\xFF\xD8\0body", 7)))}});
  UrlFetcher fetcher(LoopbackAllowed());
  Result<FetchResult> r = fetcher.Fetch(server.Url("/img.jpg"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, std::string("\xFF\xD8\0body", 7));
  EXPECT_EQ(r->content_type, "image/jpeg");
  EXPECT_EQ(r->final_url, server.Url("/img.jpg"));

  ASSERT_EQ(server.requests().size(), 1u);
  std::string request = server.requests()[0];
  EXPECT_THAT(request, StartsWith("GET /img.jpg HTTP/1.1\r\n"));
  EXPECT_THAT(request, HasSubstr("\r\nHost: 127.0.0.1:" + std::to_string(server.port()) + "\r\n"));
  EXPECT_THAT(request, HasSubstr("\r\nUser-Agent: warden-fetch/1\r\n"));
  EXPECT_THAT(request, HasSubstr("\r\nAccept: */*\r\n"));
  EXPECT_THAT(request, HasSubstr("\r\nConnection: close\r\n"));
  EXPECT_THAT(request, Not(HasSubstr("Accept-Encoding")));
}

TEST(UrlFetcherTest, SendsThePercentEncodedTargetAsGiven) {
  FetchTestServer server({{"/a%20b", Reply(FetchTestServer::Response(200, "", "ok"))}});
  FetchOptions options = LoopbackAllowed();
  options.user_agent = "test-agent/2";
  Result<FetchResult> r = UrlFetcher(options).Fetch(server.Url("/a%20b?x=%2F&y=1#frag"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "ok");
  EXPECT_EQ(r->content_type, "");
  EXPECT_THAT(server.requests().at(0), StartsWith("GET /a%20b?x=%2F&y=1 HTTP/1.1\r\n"));
  EXPECT_THAT(server.requests().at(0), HasSubstr("\r\nUser-Agent: test-agent/2\r\n"));
}

TEST(UrlFetcherTest, ReadsAChunkedBody) {
  FetchTestServer server({{"/chunked", Reply("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                                             "Content-Type: image/png\r\n\r\n"
                                             "5\r\nhello\r\n"
                                             "7;name=value\r\n, world\r\n"
                                             "A\r\n0123456789\r\n"
                                             "0\r\nX-Trailer: yes\r\n\r\n")}});
  Result<FetchResult> r = UrlFetcher(LoopbackAllowed()).Fetch(server.Url("/chunked"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "hello, world0123456789");
  EXPECT_EQ(r->content_type, "image/png");
}

TEST(UrlFetcherTest, ReadsABodyUntilClose) {
  FetchTestServer server({{"/close", [](Peer& peer, const std::string&) {
                             peer.Write("HTTP/1.0 200 OK\r\n\r\n");
                             peer.Write(std::string(100'000, 'z'));
                           }}});
  Result<FetchResult> r = UrlFetcher(LoopbackAllowed()).Fetch(server.Url("/close"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, std::string(100'000, 'z'));
}

TEST(UrlFetcherTest, SkipsAnInterimAnswer) {
  FetchTestServer server(
      {{"/x", Reply("HTTP/1.1 100 Continue\r\n\r\n" + FetchTestServer::Response(200, "", "x"))}});
  Result<FetchResult> r = UrlFetcher(LoopbackAllowed()).Fetch(server.Url("/x"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "x");
}

TEST(UrlFetcherTest, TooLargeByContentLengthIsRefusedBeforeReading) {
  FetchTestServer server({{"/big", [](Peer& peer, const std::string&) {
                             peer.Write("HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n");
                             peer.WaitUntilClosed();  // sends no body at all
                           }}});
  FetchOptions options = LoopbackAllowed();
  options.max_bytes = 1000;
  Result<FetchResult> r = UrlFetcher(options).Fetch(server.Url("/big"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kTooLarge);
  EXPECT_THAT(r.status().message(),
              HasSubstr("1000000 bytes (Content-Length), over the limit of 1000 bytes"));
  EXPECT_THAT(r.status().message(), StartsWith("fetch " + server.Url("/big") + ": "));
}

TEST(UrlFetcherTest, TooLargeWhileStreamingWithoutLength) {
  auto stream = [](Peer& peer, const std::string&) {
    peer.Write("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
    std::string block(64 << 10, 'b');
    for (int i = 0; i < 64 && peer.Write(block); ++i) {
    }
  };
  FetchTestServer server({{"/stream", stream}});
  FetchOptions options = LoopbackAllowed();
  options.max_bytes = 100'000;
  Result<FetchResult> r = UrlFetcher(options).Fetch(server.Url("/stream"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kTooLarge);
  EXPECT_THAT(r.status().message(), HasSubstr("over the limit of 100000 bytes"));

  // The same body at exactly the limit passes.
  FetchTestServer exact({{"/exact", [](Peer& peer, const std::string&) {
                            peer.Write("HTTP/1.1 200 OK\r\n\r\n" + std::string(100'000, 'e'));
                          }}});
  Result<FetchResult> ok = UrlFetcher(options).Fetch(exact.Url("/exact"));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->body.size(), 100'000u);
}

TEST(UrlFetcherTest, TooLargeByChunks) {
  FetchTestServer server({{"/chunks", [](Peer& peer, const std::string&) {
                             peer.Write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
                             for (int i = 0; i < 10; ++i) {
                               if (!peer.Write("3E8\r\n" + std::string(1000, 'c') + "\r\n")) break;
                             }
                             peer.Write("0\r\n\r\n");
                           }}});
  FetchOptions options = LoopbackAllowed();
  options.max_bytes = 5500;
  Result<FetchResult> r = UrlFetcher(options).Fetch(server.Url("/chunks"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kTooLarge);
  options.max_bytes = 10'000;
  Result<FetchResult> ok = UrlFetcher(options).Fetch(server.Url("/chunks"));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->body, std::string(10'000, 'c'));
}

TEST(UrlFetcherTest, NonSuccessStatusIsUnavailable) {
  FetchTestServer server({{"/gone", Reply(FetchTestServer::Response(410, "", "gone"))}});
  UrlFetcher fetcher(LoopbackAllowed());
  Result<FetchResult> r = fetcher.Fetch(server.Url("/missing"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(r.status().message(),
            "fetch " + server.Url("/missing") + ": the server answered 404 Test");
  Result<FetchResult> gone = fetcher.Fetch(server.Url("/gone"));
  ASSERT_FALSE(gone.ok());
  EXPECT_THAT(gone.status().message(), HasSubstr("answered 410"));
}

TEST(UrlFetcherTest, MalformedAnswersAreUnavailable) {
  FetchTestServer server({
      {"/garbage", Reply("SSH-2.0-OpenSSH\r\n\r\n")},
      {"/silent-close", [](Peer&, const std::string&) {}},
      {"/short", Reply("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")},
      {"/two-lengths", Reply("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n"
                             "abcd")},
      {"/bad-chunk", Reply("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")},
      {"/folded", Reply("HTTP/1.1 200 OK\r\nX-A: 1\r\n  folded\r\n\r\n")},
  });
  UrlFetcher fetcher(LoopbackAllowed());
  const std::pair<const char*, const char*> cases[] = {
      {"/garbage", "not HTTP/1.x"},
      {"/silent-close", "closed the connection without answering"},
      {"/short", "after 3 of 10 body bytes"},
      {"/two-lengths", "two different Content-Length"},
      {"/bad-chunk", "bad chunk size line 'zz'"},
      {"/folded", "malformed header line"},
  };
  for (const auto& [path, reason] : cases) {
    Result<FetchResult> r = fetcher.Fetch(server.Url(path));
    ASSERT_FALSE(r.ok()) << path;
    EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << path;
    EXPECT_THAT(r.status().message(), HasSubstr(reason)) << path;
  }
}

TEST(UrlFetcherTest, FollowsRedirectsWithinTheLimit) {
  // Absolute-path, relative and absolute Locations, and each redirect status.
  FetchTestServer* self = nullptr;
  FetchTestServer server({
      {"/r1", Reply(Redirect(301, "/dir/r2"))},
      {"/dir/r2", Reply(Redirect(302, "r3?x=1"))},
      {"/dir/r3",
       [&self](Peer& peer, const std::string&) { peer.Write(Redirect(307, self->Url("/final"))); }},
      {"/final", Reply(FetchTestServer::Response(200, "Content-Type: image/gif\r\n", "GIF89a"))},
  });
  self = &server;
  FetchOptions options = LoopbackAllowed();
  options.max_redirects = 3;
  Result<FetchResult> r = UrlFetcher(options).Fetch(server.Url("/r1"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "GIF89a");
  EXPECT_EQ(r->content_type, "image/gif");
  EXPECT_EQ(r->final_url, server.Url("/final"));
  std::vector<std::string> requests = server.requests();
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_THAT(requests[1], StartsWith("GET /dir/r2 HTTP/1.1"));
  EXPECT_THAT(requests[2], StartsWith("GET /dir/r3?x=1 HTTP/1.1"));

  options.max_redirects = 2;
  Result<FetchResult> over = UrlFetcher(options).Fetch(server.Url("/r1"));
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(over.status().message(), HasSubstr("more than 2 redirects"));
  EXPECT_THAT(over.status().message(), HasSubstr("redirected to " + server.Url("/dir/r3?x=1")));

  options.max_redirects = 0;
  Result<FetchResult> none = UrlFetcher(options).Fetch(server.Url("/r1"));
  ASSERT_FALSE(none.ok());
  EXPECT_THAT(none.status().message(), HasSubstr("more than 0 redirects"));
}

TEST(UrlFetcherTest, RedirectLoopStopsAtTheLimit) {
  FetchTestServer server({{"/loop", Reply(Redirect(308, "/loop"))}});
  FetchOptions options = LoopbackAllowed();
  options.max_redirects = 5;
  Result<FetchResult> r = UrlFetcher(options).Fetch(server.Url("/loop"));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("more than 5 redirects"));
  EXPECT_EQ(server.connections(), 6);
}

TEST(UrlFetcherTest, RedirectToAPrivateAddressIsRefused) {
  FetchTestServer server({
      {"/to-loopback", Reply(Redirect(302, "http://127.0.0.2:1/secret"))},
      {"/to-metadata", Reply(Redirect(303, "http://169.254.169.254/latest/meta-data/"))},
      {"/to-mapped", Reply(Redirect(301, "http://[::ffff:10.0.0.1]/"))},
      {"/to-file", Reply(Redirect(302, "file:///etc/passwd"))},
  });
  UrlFetcher fetcher(LoopbackAllowed());  // only 127.0.0.1
  Result<FetchResult> r = fetcher.Fetch(server.Url("/to-loopback"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(r.status().message(),
            "fetch " + server.Url("/to-loopback") +
                " (redirected to http://127.0.0.2:1/secret): address 127.0.0.2 of host "
                "'127.0.0.2' is loopback and not on the fetch allow-list");

  Result<FetchResult> metadata = fetcher.Fetch(server.Url("/to-metadata"));
  EXPECT_EQ(metadata.status().code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(metadata.status().message(), HasSubstr("is link-local"));
  Result<FetchResult> mapped = fetcher.Fetch(server.Url("/to-mapped"));
  EXPECT_EQ(mapped.status().code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(mapped.status().message(), HasSubstr("address ::ffff:10.0.0.1 "));
  Result<FetchResult> file = fetcher.Fetch(server.Url("/to-file"));
  EXPECT_EQ(file.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(file.status().message(), HasSubstr("scheme 'file' is not allowed"));
  EXPECT_EQ(server.connections(), 4);  // none of the targets was connected to
}

TEST(UrlFetcherTest, ServerThatNeverAnswersTimesOut) {
  FetchTestServer server(
      {{"/silent", [](Peer& peer, const std::string&) { peer.WaitUntilClosed(); }}});
  FetchOptions options = LoopbackAllowed();
  options.timeout_ms = 300;
  Result<FetchResult> r = UrlFetcher(options).Fetch(server.Url("/silent"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(r.status().message(), HasSubstr("timed out after 300 ms (reading the response)"));
}

TEST(UrlFetcherTest, TimeoutCoversTheWholeRedirectChain) {
  // Each hop answers at once but the last never does: the one budget ends the chain.
  FetchTestServer server({
      {"/a", Reply(Redirect(302, "/b"))},
      {"/b", [](Peer& peer, const std::string&) { peer.WaitUntilClosed(); }},
  });
  FetchOptions options = LoopbackAllowed();
  options.timeout_ms = 300;
  Result<FetchResult> r = UrlFetcher(options).Fetch(server.Url("/a"));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("(redirected to " + server.Url("/b") + ")"));
  EXPECT_THAT(r.status().message(), HasSubstr("timed out after 300 ms"));
}

TEST(UrlFetcherTest, ConnectionRefusedIsUnavailable) {
  int port = 0;
  {
    FetchTestServer closed({});
    port = closed.port();
  }  // nothing listens on the port any more
  Result<FetchResult> r =
      UrlFetcher(LoopbackAllowed()).Fetch("http://127.0.0.1:" + std::to_string(port) + "/");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(r.status().message(), HasSubstr("connect to 127.0.0.1 port"));
}

TEST(UrlFetcherTest, BadUrlsAreInvalidArgument) {
  UrlFetcher fetcher(LoopbackAllowed());
  Result<FetchResult> r = fetcher.Fetch("ftp://127.0.0.1/x");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "fetch ftp://127.0.0.1/x: scheme 'ftp' is not allowed");
  EXPECT_EQ(fetcher.Fetch("http://u:p@127.0.0.1/").status().code(), StatusCode::kInvalidArgument);

  FetchOptions bad_allow;
  bad_allow.allow_list = {"10.0.0.0/40"};
  Result<FetchResult> b = UrlFetcher(bad_allow).Fetch("http://127.0.0.1/");
  EXPECT_EQ(b.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(b.status().message(), HasSubstr("'10.0.0.0/40' is not a CIDR range"));
}

TEST(UrlFetcherGuardTest, LoopbackIsRefusedWithoutAllowList) {
  FetchTestServer server({{"/x", Reply(FetchTestServer::Response(200, "", "secret"))}});
  FetchOptions options;
  options.timeout_ms = 5000;
  UrlFetcher fetcher(options);
  std::string port = std::to_string(server.port());
  const std::pair<std::string, std::string> cases[] = {
      {"http://127.0.0.1:" + port + "/x", "address 127.0.0.1 of host '127.0.0.1' is loopback"},
      {"http://localhost:" + port + "/x", "of host 'localhost' is loopback"},
      {"http://LOCALHOST:" + port + "/x", "of host 'localhost' is loopback"},
      {"http://[::1]:" + port + "/x", "address ::1 of host '::1' is loopback"},
      {"http://[::ffff:127.0.0.1]:" + port + "/x", "address ::ffff:127.0.0.1 "},
      {"http://0.0.0.0:" + port + "/x", "is unspecified"},
      {"http://10.0.0.5/x", "address 10.0.0.5 of host '10.0.0.5' is private"},
      {"http://[fd00::1]/x", "is unique-local"},
      // Numeric forms the resolver (inet_aton) reads as 127.0.0.1 are caught by the address.
      {"http://2130706433:" + port + "/x", "address 127.0.0.1 of host '2130706433'"},
      {"http://127.1:" + port + "/x", "address 127.0.0.1 of host '127.1'"},
      {"http://0x7f.0.0.1:" + port + "/x", "address 127.0.0.1 of host '0x7f.0.0.1'"},
  };
  for (const auto& [url, reason] : cases) {
    Result<FetchResult> r = fetcher.Fetch(url);
    ASSERT_FALSE(r.ok()) << url;
    EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << url;
    EXPECT_THAT(r.status().message(), HasSubstr(reason)) << url;
    EXPECT_THAT(r.status().message(), StartsWith("fetch " + url + ": ")) << url;
  }
  EXPECT_EQ(server.connections(), 0);
}

TEST(UrlFetcherGuardTest, AllowListOpensLoopbackByAddressRangeOrHost) {
  FetchTestServer server({{"/x", Reply(FetchTestServer::Response(200, "", "allowed"))}});
  std::string port = std::to_string(server.port());
  const std::pair<std::vector<std::string>, std::string> cases[] = {
      {{"127.0.0.1"}, "http://127.0.0.1:" + port + "/x"},
      {{"127.0.0.0/8"}, "http://127.0.0.1:" + port + "/x"},
      {{"::ffff:127.0.0.0/104"}, "http://127.0.0.1:" + port + "/x"},
      {{"localhost"}, "http://localhost:" + port + "/x"},
      {{"LocalHost"}, "http://localhost:" + port + "/x"},
  };
  for (const auto& [allow, url] : cases) {
    FetchOptions options;
    options.allow_list = allow;
    options.timeout_ms = 5000;
    Result<FetchResult> r = UrlFetcher(options).Fetch(url);
    ASSERT_TRUE(r.ok()) << allow[0] << " " << url << ": " << r.status().ToString();
    EXPECT_EQ(r->body, "allowed");
  }
  EXPECT_EQ(server.connections(), 5);

  // Naming one host or address opens nothing else.
  FetchOptions options;
  options.allow_list = {"localhost", "127.0.0.2", "10.0.0.0/8"};
  Result<FetchResult> r = UrlFetcher(options).Fetch("http://127.0.0.1:" + port + "/x");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(server.connections(), 5);
}

}  // namespace
}  // namespace warden::http
