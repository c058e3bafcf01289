// HttpClient: a small blocking HTTP/1.1 client over one keep-alive TCP connection, for tests and
// benchmarks that drive a Warden server on loopback (not for fetching from the internet: that is
// UrlFetcher, which guards addresses). It reconnects once if the server closed an idle
// connection.
//
// Thread safety: one HttpClient per thread.
#ifndef WARDEN_SRC_HTTP_HTTP_CLIENT_H_
#define WARDEN_SRC_HTTP_HTTP_CLIENT_H_

#include <string>
#include <string_view>

#include "src/http/http_message.h"
#include "warden/status.h"

namespace warden::http {

struct ClientResponse {
  int status = 0;
  Headers headers;
  std::string body;
};

class HttpClient {
 public:
  // Connects lazily to host:port (an address literal, e.g. "127.0.0.1").
  HttpClient(std::string host, int port, int timeout_ms = 30'000);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends one request and reads the whole answer. `headers` are added as given; Host and
  // Content-Length are added. Errors: kIoError / kUnavailable naming the step that failed.
  Result<ClientResponse> Send(std::string_view method, std::string_view target,
                              const Headers& headers = {}, std::string_view body = {});
  Result<ClientResponse> Get(std::string_view target, const Headers& headers = {}) {
    return Send("GET", target, headers);
  }
  // Sends raw bytes (for tests of malformed requests) and reads one answer (or until close).
  Result<ClientResponse> SendRaw(std::string_view bytes);
  void Close();

 private:
  Status Connect();
  std::string host_;
  int port_;
  int timeout_ms_;
  int fd_ = -1;
  std::string buffer_;  // bytes read past the last answer
};

// Builds a multipart/form-data body with one file part; returns the body and sets
// *content_type to the matching header value.
std::string MultipartBody(std::string_view field, std::string_view filename,
                          std::string_view data, std::string* content_type);

}  // namespace warden::http

#endif  // WARDEN_SRC_HTTP_HTTP_CLIENT_H_
