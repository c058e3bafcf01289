#include "src/http/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "src/http/http_client.h"
#include "src/http/multipart.h"

namespace warden::http {
namespace {

// A raw TCP connection for byte-exact requests; every wait is bounded (5 s) so that a broken
// server fails the test instead of hanging it.
class RawConnection {
 public:
  explicit RawConnection(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~RawConnection() { close(fd_); }
  bool connected() const { return connected_; }
  void Send(std::string_view bytes) {
    ASSERT_EQ(send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }
  // Reads until `needle` has been seen `count` times, EOF, or 5 s.
  std::string ReadUntil(std::string_view needle, int count = 1) {
    while (Count(needle) < count && ReadSome()) {
    }
    return data_;
  }
  std::string ReadToEof() {
    while (ReadSome()) {
    }
    return data_;
  }
  bool eof() const { return eof_; }

 private:
  int Count(std::string_view needle) const {
    int n = 0;
    for (size_t at = data_.find(needle); at != std::string::npos;
         at = data_.find(needle, at + needle.size())) {
      ++n;
    }
    return n;
  }
  bool ReadSome() {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 5000) <= 0) return false;
    char buf[4096];
    const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    data_.append(buf, static_cast<size_t>(n));
    return true;
  }
  int fd_ = -1;
  bool connected_ = false;
  bool eof_ = false;
  std::string data_;
};

RouteOptions Blocking() {
  RouteOptions o;
  o.blocking = true;
  return o;
}

RouteOptions BodyLimit(int64_t bytes) {
  RouteOptions o;
  o.max_body_bytes = bytes;
  return o;
}

ServerOptions SmallOptions() {
  ServerOptions o;
  o.io_threads = 2;
  o.worker_threads = 2;
  return o;
}

// Adds the routes most tests use.
void AddRoutes(HttpServer& server) {
  server.Route("GET", "/hello", [](Request&) { return Response::Text(200, "hello"); });
  server.Route("POST", "/echo", [](Request& r) { return Response::Text(200, r.body); });
  server.Route("GET", "/echo/{id}",
               [](Request& r) { return Response::Text(200, "id=" + r.PathParam("id")); });
  server.Route(
      "GET", "/block/{id}",
      [](Request& r) { return Response::Text(200, "blocked=" + r.PathParam("id")); }, Blocking());
  server.Route(
      "POST", "/small", [](Request& r) { return Response::Text(200, r.body); }, BodyLimit(8));
  server.Route("GET", "/throw",
               [](Request&) -> Response { throw std::runtime_error("handler bug"); });
}

TEST(HttpServerTest, KeepAliveReusesOneConnection) {
  HttpServer server(SmallOptions());
  AddRoutes(server);
  ASSERT_TRUE(server.Start().ok());
  HttpClient client("127.0.0.1", server.port());
  for (int i = 0; i < 3; ++i) {
    auto r = client.Get("/hello");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "hello");
    EXPECT_EQ(r->headers.Get("connection").value_or(""), "keep-alive");
    EXPECT_EQ(r->headers.Get("content-length").value_or(""), "5");
    EXPECT_TRUE(r->headers.Has("date"));
    EXPECT_EQ(server.open_connections(), 1);
  }
  server.Stop();
  EXPECT_EQ(server.open_connections(), 0);
}

TEST(HttpServerTest, PipelinedRequestsAreAnsweredInOrderAcrossInlineAndBlockingRoutes) {
  HttpServer server(SmallOptions());
  AddRoutes(server);
  ASSERT_TRUE(server.Start().ok());
  RawConnection c(server.port());
  ASSERT_TRUE(c.connected());
  c.Send(
      "GET /echo/1 HTTP/1.1\r\nHost: h\r\n\r\n"
      "GET /block/2 HTTP/1.1\r\nHost: h\r\n\r\n"
      "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nthree"
      "GET /block/4 HTTP/1.1\r\nHost: h\r\n\r\n"
      "GET /echo/5 HTTP/1.1\r\nHost: h\r\n\r\n");
  const std::string all = c.ReadUntil("HTTP/1.1 200", 5);
  const size_t a = all.find("id=1");
  const size_t b = all.find("blocked=2");
  const size_t t = all.find("three");
  const size_t d = all.find("blocked=4");
  const size_t e = all.find("id=5");
  ASSERT_NE(e, std::string::npos) << all;
  EXPECT_LT(a, b);
  EXPECT_LT(b, t);
  EXPECT_LT(t, d);
  EXPECT_LT(d, e);
}

TEST(HttpServerTest, LargePipelinedAnswersAreAllWritten) {
  HttpServer server(SmallOptions());
  AddRoutes(server);
  server.Route("GET", "/big",
               [](Request&) { return Response::Text(200, std::string(300'000, 'b')); });
  ASSERT_TRUE(server.Start().ok());
  RawConnection c(server.port());
  std::string requests;
  for (int i = 0; i < 8; ++i) requests += "GET /big HTTP/1.1\r\nHost: h\r\n\r\n";
  requests += "GET /hello HTTP/1.1\r\nHost: h\r\n\r\n";
  c.Send(requests);
  // 2.4 MB of answers is more than the server queues at once: it must resume by itself.
  const std::string all = c.ReadUntil("\r\n\r\nhello");
  ASSERT_GE(all.size(), 8u * 300'000u);
  EXPECT_EQ(all.substr(all.size() - 5), "hello");
}

TEST(HttpServerTest, TheServerOwnsFramingHeadersAndDropsSplitFields) {
  HttpServer server(SmallOptions());
  server.Route("GET", "/framing", [](Request&) {
    Response r = Response::Text(200, "abc");
    r.headers.Add("Content-Length", "999");
    r.headers.Add("Transfer-Encoding", "chunked");
    r.headers.Add("X-Evil", "a\r\nInjected: yes");
    r.headers.Add("X-Fine", "ok");
    r.headers.Add("Connection", "close");
    return r;
  });
  server.Route("GET", "/empty", [](Request&) { return Response::Text(204, ""); });
  ASSERT_TRUE(server.Start().ok());
  {
    RawConnection c(server.port());
    c.Send("GET /framing HTTP/1.1\r\nHost: h\r\n\r\n");
    const std::string answer = c.ReadToEof();  // the handler asked for Connection: close
    EXPECT_TRUE(c.eof());
    EXPECT_NE(answer.find("\r\nContent-Length: 3\r\n"), std::string::npos) << answer;
    EXPECT_EQ(answer.find("999"), std::string::npos);
    EXPECT_EQ(answer.find("chunked"), std::string::npos);
    EXPECT_EQ(answer.find("Injected"), std::string::npos);
    EXPECT_NE(answer.find("\r\nx-fine: ok\r\n"), std::string::npos);
    EXPECT_NE(answer.find("\r\nConnection: close\r\n"), std::string::npos);
    EXPECT_EQ(answer.substr(answer.size() - 7), "\r\n\r\nabc");
  }
  {
    RawConnection c(server.port());
    c.Send("GET /empty HTTP/1.1\r\nHost: h\r\n\r\nGET /empty HTTP/1.1\r\nHost: h\r\n\r\n");
    const std::string answer = c.ReadUntil("HTTP/1.1 204", 2);
    EXPECT_EQ(answer.find("Content-Length"), std::string::npos) << answer;
  }
}

TEST(HttpServerTest, ClientsThatLeaveMidAnswerDoNotHurtTheServer) {
  HttpServer server(SmallOptions());
  AddRoutes(server);
  server.Route("GET", "/big",
               [](Request&) { return Response::Text(200, std::string(4 << 20, 'b')); });
  server.Route(
      "GET", "/big-blocking",
      [](Request&) { return Response::Text(200, std::string(4 << 20, 'b')); }, Blocking());
  ASSERT_TRUE(server.Start().ok());
  for (int i = 0; i < 4; ++i) {
    RawConnection c(server.port());
    // Leaves without reading: the server's writes fail with EPIPE / ECONNRESET, which must
    // neither raise SIGPIPE (it would end this test binary) nor leak the connection.
    c.Send(i % 2 == 0 ? "GET /big HTTP/1.1\r\nHost: h\r\n\r\n"
                      : "GET /big-blocking HTTP/1.1\r\nHost: h\r\n\r\n");
  }
  HttpClient client("127.0.0.1", server.port());
  EXPECT_EQ(client.Get("/hello")->body, "hello");
  for (int i = 0; i < 500 && server.open_connections() > 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(server.open_connections(), 1);
}

TEST(HttpServerTest, AClientThatStopsReadingIsCutAfterTheWriteTimeout) {
  ServerOptions o = SmallOptions();
  o.write_timeout_ms = 100;
  HttpServer server(o);
  std::atomic<bool> served{false};
  const size_t size = 16 << 20;  // more than loopback socket buffers hold
  server.Route("GET", "/huge", [&](Request&) {
    served.store(true);
    return Response::Text(200, std::string(size, 'h'));
  });
  ASSERT_TRUE(server.Start().ok());
  RawConnection c(server.port());
  c.Send("GET /huge HTTP/1.1\r\nHost: h\r\n\r\n");  // and do not read for now
  for (int i = 0; i < 1000 && !served.load(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(served.load());
  for (int i = 0; i < 1000 && server.open_connections() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(server.open_connections(), 0);
  EXPECT_LT(c.ReadToEof().size(), size);  // the answer was cut, not finished
}

TEST(HttpServerTest, NotFoundMethodNotAllowedAndHead) {
  HttpServer server(SmallOptions());
  AddRoutes(server);
  ASSERT_TRUE(server.Start().ok());
  HttpClient client("127.0.0.1", server.port());
  auto missing = client.Get("/nope");
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(missing->headers.Get("content-type").value_or(""), "application/json");
  EXPECT_NE(missing->body.find("\"code\": \"not_found\""), std::string::npos);

  auto wrong = client.Send("DELETE", "/hello");
  ASSERT_TRUE(wrong.ok());
  EXPECT_EQ(wrong->status, 405);
  EXPECT_EQ(wrong->headers.Get("allow").value_or(""), "GET, HEAD");
  EXPECT_NE(wrong->body.find("method_not_allowed"), std::string::npos);

  auto head = client.Send("HEAD", "/hello");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->headers.Get("content-length").value_or(""), "5");
  EXPECT_EQ(head->body, "");
  // The connection is still in step after HEAD (no body was sent).
  auto after = client.Get("/hello");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->body, "hello");
}

TEST(HttpServerTest, RouterCapturesAndLiteralsWin) {
  HttpServer server(SmallOptions());
  server.Route("GET", "/c/bank/{name}",
               [](Request& r) { return Response::Text(200, "capture:" + r.PathParam("name")); });
  server.Route("GET", "/c/bank/special", [](Request&) { return Response::Text(200, "literal"); });
  server.Route("GET", "/c/bank/{name}/content/{id}", [](Request& r) {
    return Response::Text(200, r.PathParam("name") + "#" + r.PathParam("id"));
  });
  ASSERT_TRUE(server.Start().ok());
  HttpClient client("127.0.0.1", server.port());
  EXPECT_EQ(client.Get("/c/bank/MY_BANK")->body, "capture:MY_BANK");
  EXPECT_EQ(client.Get("/c/bank/special")->body, "literal");
  EXPECT_EQ(client.Get("/c/bank/a%2Fb")->body, "capture:a/b");
  EXPECT_EQ(client.Get("/c/bank/B/content/42?x=1")->body, "B#42");
  EXPECT_EQ(client.Get("/c/bank/")->status, 404);  // a capture needs a non-empty segment
  EXPECT_EQ(client.Get("/c/bank/B/content")->status, 404);
}

TEST(HttpServerTest, LimitsGive413And431AndCloseTheConnection) {
  ServerOptions o = SmallOptions();
  o.max_header_bytes = 256;
  o.max_body_bytes = 64;
  HttpServer server(o);
  AddRoutes(server);
  ASSERT_TRUE(server.Start().ok());
  {
    RawConnection c(server.port());
    // The route's own limit (8) applies; decided from Content-Length before any body byte.
    c.Send("POST /small HTTP/1.1\r\nHost: h\r\nContent-Length: 9\r\nExpect: 100-continue\r\n\r\n");
    const std::string answer = c.ReadToEof();
    EXPECT_EQ(answer.rfind("HTTP/1.1 413 Content Too Large\r\n", 0), 0u) << answer;
    EXPECT_EQ(answer.find("100 Continue"), std::string::npos);
    EXPECT_NE(answer.find("body_too_large"), std::string::npos);
    EXPECT_NE(answer.find("Connection: close"), std::string::npos);
    EXPECT_TRUE(c.eof());
  }
  {
    RawConnection c(server.port());
    c.Send("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 65\r\n\r\n" + std::string(65, 'x'));
    EXPECT_EQ(c.ReadToEof().rfind("HTTP/1.1 413", 0), 0u);
  }
  {
    RawConnection c(server.port());
    c.Send("GET /hello HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(300, 'a') + "\r\n\r\n");
    const std::string answer = c.ReadToEof();
    EXPECT_EQ(answer.rfind("HTTP/1.1 431", 0), 0u) << answer;
    EXPECT_NE(answer.find("headers_too_large"), std::string::npos);
  }
  {
    RawConnection c(server.port());
    c.Send("GET /hello HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n");
    const std::string answer = c.ReadToEof();
    EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << answer;
    EXPECT_NE(answer.find("both Content-Length and Transfer-Encoding"), std::string::npos);
  }
}

TEST(HttpServerTest, ExpectContinueAndChunkedBodies) {
  HttpServer server(SmallOptions());
  AddRoutes(server);
  ASSERT_TRUE(server.Start().ok());
  RawConnection c(server.port());
  c.Send("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
  const std::string interim = c.ReadUntil("\r\n\r\n");
  EXPECT_EQ(interim, "HTTP/1.1 100 Continue\r\n\r\n");
  c.Send("body");
  std::string answer = c.ReadUntil("body");
  EXPECT_NE(answer.find("HTTP/1.1 200 OK"), std::string::npos);
  c.Send(
      "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nTrailer: x\r\n\r\n");
  answer = c.ReadUntil("abcde");
  EXPECT_NE(answer.find("Content-Length: 5\r\n"), std::string::npos);
}

TEST(HttpServerTest, Http10WithoutKeepAliveCloses) {
  HttpServer server(SmallOptions());
  AddRoutes(server);
  ASSERT_TRUE(server.Start().ok());
  RawConnection c(server.port());
  c.Send("GET /hello HTTP/1.0\r\n\r\n");
  const std::string answer = c.ReadToEof();
  EXPECT_EQ(answer.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  EXPECT_NE(answer.find("Connection: close\r\n"), std::string::npos);
  EXPECT_TRUE(c.eof());
}

TEST(HttpServerTest, HeaderTimeoutAndStalledBodyGive408) {
  ServerOptions o = SmallOptions();
  o.header_timeout_ms = 100;
  o.read_timeout_ms = 100;
  HttpServer server(o);
  AddRoutes(server);
  ASSERT_TRUE(server.Start().ok());
  {
    RawConnection c(server.port());
    c.Send("GET /hello HTTP/1.1\r\nHost: h\r\n");  // never finished
    const std::string answer = c.ReadToEof();
    EXPECT_EQ(answer.rfind("HTTP/1.1 408 Request Timeout\r\n", 0), 0u) << answer;
    EXPECT_NE(answer.find("request_timeout"), std::string::npos);
    EXPECT_NE(answer.find("headers did not arrive"), std::string::npos);
    EXPECT_TRUE(c.eof());
  }
  {
    RawConnection c(server.port());
    c.Send("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc");
    const std::string answer = c.ReadToEof();
    EXPECT_EQ(answer.rfind("HTTP/1.1 408", 0), 0u) << answer;
    EXPECT_NE(answer.find("body stalled"), std::string::npos);
  }
}

TEST(HttpServerTest, IdleConnectionIsClosedAndTheClientReconnects) {
  ServerOptions o = SmallOptions();
  o.idle_timeout_ms = 50;
  HttpServer server(o);
  AddRoutes(server);
  ASSERT_TRUE(server.Start().ok());
  HttpClient client("127.0.0.1", server.port());
  ASSERT_EQ(client.Get("/hello")->status, 200);
  // Wait (bounded) until the server has dropped the idle connection.
  for (int i = 0; i < 500 && server.open_connections() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(server.open_connections(), 0);
  auto again = client.Get("/hello");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->body, "hello");
}

TEST(HttpServerTest, MaxConnectionsGives503) {
  ServerOptions o = SmallOptions();
  o.max_connections = 2;
  HttpServer server(o);
  AddRoutes(server);
  ASSERT_TRUE(server.Start().ok());
  HttpClient a("127.0.0.1", server.port());
  HttpClient b("127.0.0.1", server.port());
  ASSERT_EQ(a.Get("/hello")->status, 200);
  ASSERT_EQ(b.Get("/hello")->status, 200);
  RawConnection third(server.port());
  const std::string answer = third.ReadToEof();
  EXPECT_EQ(answer.rfind("HTTP/1.1 503", 0), 0u) << answer;
  EXPECT_NE(answer.find("too_many_connections"), std::string::npos);
  EXPECT_EQ(a.Get("/hello")->status, 200);  // the open ones still work
}

TEST(HttpServerTest, BlockingRoutesRunOnWorkersAndHandlersThatThrowGive500) {
  ServerOptions o = SmallOptions();
  o.io_threads = 1;
  HttpServer server(o);
  std::mutex mu;
  std::thread::id inline_thread, blocking_thread;
  server.Route("GET", "/inline", [&](Request&) {
    std::lock_guard<std::mutex> lock(mu);
    inline_thread = std::this_thread::get_id();
    return Response::Text(200, "i");
  });
  server.Route(
      "GET", "/blocking",
      [&](Request&) {
        std::lock_guard<std::mutex> lock(mu);
        blocking_thread = std::this_thread::get_id();
        return Response::Text(200, "b");
      },
      Blocking());
  RouteOptions when_url;
  when_url.blocking_when = [](const Request& r) { return r.Query("url").has_value(); };
  std::thread::id chosen_thread;
  server.Route(
      "GET", "/maybe",
      [&](Request&) {
        std::lock_guard<std::mutex> lock(mu);
        chosen_thread = std::this_thread::get_id();
        return Response::Text(200, "m");
      },
      when_url);
  server.Route("GET", "/throw", [](Request&) -> Response { throw std::runtime_error("bug"); });
  server.Route(
      "GET", "/throw-blocking", [](Request&) -> Response { throw 42; }, Blocking());
  ASSERT_TRUE(server.Start().ok());
  HttpClient client("127.0.0.1", server.port());
  EXPECT_EQ(client.Get("/inline")->body, "i");
  EXPECT_EQ(client.Get("/blocking")->body, "b");
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_NE(inline_thread, std::thread::id());
    EXPECT_NE(blocking_thread, std::thread::id());
    EXPECT_NE(inline_thread, blocking_thread);
  }
  EXPECT_EQ(client.Get("/maybe")->body, "m");
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_EQ(chosen_thread, inline_thread);  // the loop thread (io_threads = 1)
  }
  EXPECT_EQ(client.Get("/maybe?url=x")->body, "m");
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_NE(chosen_thread, inline_thread);  // a worker
  }
  for (const char* path : {"/throw", "/throw-blocking"}) {
    auto r = client.Get(path);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, 500);
    EXPECT_NE(r->body.find("\"internal\""), std::string::npos);
  }
  EXPECT_EQ(client.Get("/inline")->status, 200);  // the server lives on
}

TEST(HttpServerTest, FullWorkerQueueGives503Busy) {
  ServerOptions o = SmallOptions();
  o.worker_threads = 1;
  o.max_queued_blocking = 1;
  HttpServer server(o);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> entered{0};
  server.Route(
      "GET", "/wait",
      [&](Request&) {
        entered.fetch_add(1);
        released.wait();
        return Response::Text(200, "done");
      },
      Blocking());
  ASSERT_TRUE(server.Start().ok());
  const int port = server.port();
  auto first =
      std::async(std::launch::async, [port] { return HttpClient("127.0.0.1", port).Get("/wait"); });
  for (int i = 0; i < 500 && entered.load() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(entered.load(), 1);
  auto second =
      std::async(std::launch::async, [port] { return HttpClient("127.0.0.1", port).Get("/wait"); });
  for (int i = 0; i < 500 && server.in_flight() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(server.in_flight(), 2);  // one running, one queued
  HttpClient third("127.0.0.1", port);
  auto busy = third.Get("/wait");
  ASSERT_TRUE(busy.ok());
  EXPECT_EQ(busy->status, 503);
  EXPECT_NE(busy->body.find("\"busy\""), std::string::npos);
  release.set_value();
  EXPECT_EQ(first.get()->body, "done");
  EXPECT_EQ(second.get()->body, "done");
}

TEST(HttpServerTest, ObserverSeesEveryExchange) {
  HttpServer server(SmallOptions());
  AddRoutes(server);
  std::mutex mu;
  std::vector<std::tuple<std::string, std::string, int, int64_t>> seen;
  server.SetObserver([&](const Exchange& e) {
    std::lock_guard<std::mutex> lock(mu);
    seen.emplace_back(e.request ? e.request->path : "?", std::string(e.route), e.status,
                      e.response_bytes);
    EXPECT_GE(e.latency.count(), 0);
  });
  ASSERT_TRUE(server.Start().ok());
  HttpClient client("127.0.0.1", server.port());
  ASSERT_EQ(client.Get("/echo/7")->status, 200);
  ASSERT_EQ(client.Get("/block/8")->status, 200);
  ASSERT_EQ(client.Get("/missing")->status, 404);
  server.Stop();  // joins the loops: every observer call has returned
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(std::get<0>(seen[0]), "/echo/7");
  EXPECT_EQ(std::get<1>(seen[0]), "/echo/{id}");
  EXPECT_EQ(std::get<2>(seen[0]), 200);
  EXPECT_GT(std::get<3>(seen[0]), 50);
  EXPECT_EQ(std::get<1>(seen[1]), "/block/{id}");
  EXPECT_EQ(std::get<1>(seen[2]), "");
  EXPECT_EQ(std::get<2>(seen[2]), 404);
}

TEST(HttpServerTest, StopDrainsAnInFlightBlockingRequest) {
  HttpServer server(SmallOptions());
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> entered{false};
  server.Route(
      "GET", "/slow",
      [&](Request&) {
        entered.store(true);
        released.wait();
        return Response::Text(200, "finished");
      },
      Blocking());
  ASSERT_TRUE(server.Start().ok());
  const int port = server.port();
  auto answer =
      std::async(std::launch::async, [port] { return HttpClient("127.0.0.1", port).Get("/slow"); });
  for (int i = 0; i < 500 && !entered.load(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(entered.load());
  auto stopper = std::async(std::launch::async, [&server] { server.Stop(); });
  // Stop has begun once new connections are refused.
  bool refused = false;
  for (int i = 0; i < 500 && !refused; ++i) {
    RawConnection probe(port);
    refused = !probe.connected();
    if (!refused) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_TRUE(refused);
  release.set_value();
  stopper.get();
  auto r = answer.get();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "finished");
  EXPECT_EQ(r->headers.Get("connection").value_or(""), "close");
  EXPECT_EQ(server.in_flight(), 0);
  server.Stop();  // idempotent
}

TEST(HttpServerTest, StartErrors) {
  ServerOptions bad = SmallOptions();
  bad.io_threads = 0;
  HttpServer a(bad);
  Status st = a.Start();
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("io_threads"), std::string::npos);

  ServerOptions address = SmallOptions();
  address.bind_address = "not-an-address";
  EXPECT_EQ(HttpServer(address).Start().code(), StatusCode::kInvalidArgument);

  HttpServer first(SmallOptions());
  ASSERT_TRUE(first.Start().ok());
  ServerOptions same = SmallOptions();
  same.port = first.port();
  HttpServer second(same);
  st = second.Start();
  EXPECT_EQ(st.code(), StatusCode::kIoError);
  EXPECT_NE(st.message().find("bind 127.0.0.1:" + std::to_string(first.port())), std::string::npos);
}

TEST(HttpClientTest, PostsMultipartAndReadsTheAnswer) {
  HttpServer server(SmallOptions());
  server.Route(
      "POST", "/upload",
      [](Request& r) {
        auto boundary = MultipartBoundary(r.headers.Get("content-type").value_or(""));
        if (!boundary) return ErrorResponse(400, "bad_request", "no boundary");
        auto parts = ParseMultipart(r.body, *boundary);
        if (!parts.ok()) return ErrorResponse(400, "bad_request", parts.status().message());
        const FormPart& p = parts->front();
        return Response::Text(200, p.name + "|" + p.filename + "|" + std::string(p.data));
      },
      Blocking());
  ASSERT_TRUE(server.Start().ok());
  HttpClient client("127.0.0.1", server.port());
  std::string content_type;
  const std::string data(100'000, '\x7f');
  const std::string body = MultipartBody("photo", "x.jpg", data, &content_type);
  Headers headers;
  headers.Add("Content-Type", content_type);
  auto r = client.Send("POST", "/upload", headers, body);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "photo|x.jpg|" + data);

  auto raw = client.SendRaw("BAD\r\n\r\n");
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw->status, 400);

  HttpClient nobody("127.0.0.1", 1, 2000);
  auto refused = nobody.Get("/");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace warden::http
