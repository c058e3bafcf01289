// Internal to warden_http: one client connection of an EventLoop (http_event_loop.h) and the
// wire form of a response. A Connection is touched only by its loop's thread.
#ifndef WARDEN_SRC_HTTP_HTTP_CONNECTION_H_
#define WARDEN_SRC_HTTP_HTTP_CONNECTION_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "src/http/http_message.h"
#include "src/http/http_parser.h"
#include "src/http/http_router.h"

namespace warden::http {

// Appends `r` in HTTP/1.1 wire form: status line, the handler's headers (minus the framing
// ones the server owns: Content-Length, Connection, Date, Transfer-Encoding; minus any field
// holding CR or LF), Date, Content-Length (not for 1xx, 204, 304), Connection, then the body
// unless `head`.
void AppendResponse(std::string& out, const Response& r, bool head, bool keep_alive,
                    std::string_view date);

struct Connection {
  explicit Connection(int max_header_bytes) : parser(max_header_bytes) {}

  uint64_t id = 0;
  int fd = -1;
  std::string remote;

  std::vector<char> in;  // received bytes [in_begin, in_end) not yet parsed
  size_t in_begin = 0;
  size_t in_end = 0;
  RequestParser parser;
  std::unique_ptr<Request> request;  // being parsed; null while it is on a worker
  const RouteEntry* route = nullptr;
  bool path_known = false;
  bool head = false;
  std::string allow;
  int64_t request_start_ns = 0;  // 0 until the request's first byte

  std::string out;  // queued answers [out_pos, size)
  size_t out_pos = 0;
  uint64_t queued_total = 0;
  uint64_t written_total = 0;
  // Answers queued but not fully written, for the observer.
  struct Pending {
    uint64_t end = 0;  // queued_total after this answer
    std::unique_ptr<Request> request;
    std::string_view route;
    int status = 0;
    int64_t bytes = 0;
    int64_t start_ns = 0;
  };
  std::vector<Pending> pending;  // [pending_head, size) not yet reported
  size_t pending_head = 0;
  std::vector<std::unique_ptr<Request>> spare;

  bool on_worker = false;
  bool close_after_write = false;
  bool untrusted = false;  // answered a broken request: unread bytes may follow
  bool peer_eof = false;
  bool lingering = false;
  bool closed = false;
  bool served_any = false;
  uint32_t events = 0;
  int64_t last_activity_ns = 0;
  int64_t linger_deadline_ns = 0;
  size_t lingered = 0;
};

}  // namespace warden::http

#endif  // WARDEN_SRC_HTTP_HTTP_CONNECTION_H_
