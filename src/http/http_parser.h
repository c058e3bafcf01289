// RequestParser: an incremental HTTP/1.1 request parser (RFC 9112), independent of sockets so
// that it can be unit-tested at every split of the input and fuzzed. The server owns one per
// connection and reuses it (and the Request it fills) for every request on that connection.
//
// Protocol, one request at a time:
//   1. Reset(&request) names the Request to fill (cleared, its buffers kept).
//   2. Parse(data, size, &consumed) with `data` = every byte received and not yet consumed
//      (the caller drops `consumed` bytes from its buffer after each call). It returns
//        kNeedMore  - feed more bytes (everything useful has been consumed or remembered);
//        kHeaders   - request line and headers are parsed into the Request; the caller routes
//                     it and calls StartBody(limit) before parsing on;
//        kComplete  - the whole request (body de-chunked) is in the Request;
//        kError     - error() says what to answer; the connection cannot be trusted any more.
//   3. After kComplete, Reset() for the next request (pipelined bytes may already be buffered).
//
// What it accepts: origin-form targets ("/path?query"), HTTP/1.0 and HTTP/1.1, CRLF or bare LF
// line ends (RFC 9112 section 2.2), empty lines before the request line. What it refuses:
// obsolete line folding, whitespace before a header colon, control characters, both
// Content-Length and Transfer-Encoding, conflicting Content-Lengths, codings other than chunked
// (501), headers over the limit (431), bodies over the limit (413).
//
// Thread safety: one parser per connection; not shared.
#ifndef WARDEN_SRC_HTTP_HTTP_PARSER_H_
#define WARDEN_SRC_HTTP_HTTP_PARSER_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "src/http/http_message.h"

namespace warden::http {

// What to answer for a request the parser refused.
struct ParseError {
  int status = 0;    // 400, 413, 431, 501 or 505
  std::string code;  // ErrorResponse code: "bad_request", "body_too_large", ...
  std::string message;
};

class RequestParser {
 public:
  enum class Event { kNeedMore, kHeaders, kComplete, kError };

  // `max_header_bytes`: request line + headers (and, separately, chunked trailers) limit.
  explicit RequestParser(int max_header_bytes);

  // Starts a new request that fills `*request` (not owned; must outlive the parse). The
  // request's method, target, path, query, headers and body are cleared; remote_address kept.
  void Reset(Request* request);

  // See the protocol above. `*consumed` <= size. REQUIRES: Reset() was called; not in the
  // kHeaders state (call StartBody first); not after kComplete or kError.
  Event Parse(const char* data, size_t size, size_t* consumed);

  // After kHeaders: sets the body limit in bytes. Returns kError (413) if Content-Length is
  // over it, kComplete if the request has no body, kNeedMore otherwise (then Parse on).
  Event StartBody(int64_t max_body_bytes);

  // Valid after kHeaders.
  bool keep_alive() const { return keep_alive_; }
  bool expect_continue() const { return expect_continue_; }
  bool chunked() const { return chunked_; }
  int64_t content_length() const { return content_length_; }  // -1 if none
  bool http10() const { return http10_; }
  // True once any byte of this request (not counting leading empty lines) was seen.
  bool started() const { return started_; }
  // True once the header block of this request was parsed (kHeaders was returned).
  bool headers_done() const { return state_ != State::kHeaders; }
  const ParseError& error() const { return error_; }

 private:
  enum class State {
    kHeaders,       // waiting for the end of the header block
    kAwaitStart,    // kHeaders returned; waiting for StartBody
    kFixedBody,     // Content-Length body
    kChunkSize,     // waiting for a chunk-size line
    kChunkData,     // inside chunk data
    kChunkDataEnd,  // waiting for the CRLF after chunk data
    kTrailers,      // waiting for the empty line ending the trailer section
    kDone,
    kFailed,
  };

  Event Fail(int status, const char* code, std::string message);
  Event ParseHeaderBlock(const char* data, size_t size);
  Event ParseRequestLine(const char* line, size_t size);
  Event ParseTarget();
  Event ParseHeaderLine(const char* line, size_t size);
  Event ApplyFramingHeaders();
  // Finds the next line end at or after scan_; returns the index of '\n' or npos.
  size_t FindLineEnd(const char* data, size_t size) const;

  int max_header_bytes_;
  Request* req_ = nullptr;
  State state_ = State::kHeaders;
  size_t scan_ = 0;        // bytes of the unconsumed input already searched for a line end
  size_t line_start_ = 0;  // start of the current header line within the unconsumed input
  size_t trailer_bytes_ = 0;
  bool started_ = false;
  bool keep_alive_ = true;
  bool expect_continue_ = false;
  bool chunked_ = false;
  bool http10_ = false;
  int64_t content_length_ = -1;
  int64_t max_body_ = 0;
  int64_t chunk_left_ = 0;
  ParseError error_;
};

}  // namespace warden::http

#endif  // WARDEN_SRC_HTTP_HTTP_PARSER_H_
