// FetchResponseReader: reads one HTTP/1.1 response (RFC 9112) from a FetchConnection: the
// status line, the header fields it needs, then a body framed by Content-Length, chunked
// transfer coding or the end of the connection, capped at a byte limit. Internal to
// warden_fetch.
//
// Thread safety: one reader per connection and thread.
#ifndef WARDEN_SRC_HTTP_FETCH_RESPONSE_H_
#define WARDEN_SRC_HTTP_FETCH_RESPONSE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "src/http/fetch_connection.h"
#include "warden/status.h"

namespace warden::http {

struct FetchResponseHead {
  int status = 0;      // 200..599 (interim 1xx answers are skipped)
  std::string reason;  // "Not Found"
  std::string content_type;
  std::string location;  // "" if none
  std::optional<int64_t> content_length;
  bool chunked = false;          // Transfer-Encoding ends in chunked
  bool close_delimited = false;  // some other Transfer-Encoding: the body ends with the stream
};

class FetchResponseReader {
 public:
  // `conn` and `deadline` must outlive the reader.
  FetchResponseReader(FetchConnection& conn, const FetchDeadline& deadline)
      : conn_(conn), deadline_(deadline) {}

  // Reads the status line and headers (at most 64 KiB, 100 fields).
  // Errors: kUnavailable for a stream that is not HTTP/1.x, malformed or contradictory framing
  // (two Content-Lengths that differ, a bad number), an early end, or the timeout.
  Result<FetchResponseHead> ReadHead();

  // Reads the body `head` announces, at most `max_bytes` bytes.
  // Errors: kTooLarge once the body is known to exceed max_bytes (from Content-Length before
  // reading, otherwise as soon as one byte too many arrives); kUnavailable for bad chunk framing,
  // an early end or the timeout.
  Result<std::string> ReadBody(const FetchResponseHead& head, int64_t max_bytes);

 private:
  // Appends more bytes from the connection to buffer_; false at end of stream.
  Result<bool> Fill();
  // One line without its CRLF (a bare LF is accepted), at most `max_length` bytes.
  Result<std::string> ReadLine(size_t max_length, const char* what);
  // Moves up to `count` buffered-or-read bytes to `out`; false if the stream ended first.
  Result<bool> ReadExact(int64_t count, std::string* out);

  FetchConnection& conn_;
  const FetchDeadline& deadline_;
  std::string buffer_;
  size_t pos_ = 0;  // first unread byte of buffer_
  size_t head_bytes_ = 0;
};

}  // namespace warden::http

#endif  // WARDEN_SRC_HTTP_FETCH_RESPONSE_H_
