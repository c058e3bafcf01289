#include "src/http/http_parser.h"

#include <cstring>
#include <limits>
#include <string_view>

#include "src/base/ascii.h"
#include "warden/status.h"

namespace warden::http {
namespace {

// A chunk-size line with extensions longer than this is refused: extensions carry nothing
// Warden uses, and an unbounded line would be an unbounded buffer.
constexpr size_t kMaxChunkLine = 4096;
// Content-Length up front reserves at most this much; a larger body grows as it arrives, so a
// client that announces 20 MiB and sends nothing costs nothing.
constexpr int64_t kMaxBodyReserve = 1 << 20;

// RFC 9110 section 5.6.2: tchar.
bool IsTokenChar(unsigned char c) {
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Calls fn(token) for each comma-separated element of a header list value (RFC 9110 5.6.1),
// trimmed; empty elements are skipped.
template <typename Fn>
void ForEachListElement(std::string_view value, Fn fn) {
  while (!value.empty()) {
    const size_t comma = value.find(',');
    std::string_view element = TrimOws(value.substr(0, comma));
    if (!element.empty()) fn(element);
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string Printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 64)) {
    const auto u = static_cast<unsigned char>(c);
    out += (u >= 0x20 && u < 0x7F) ? c : '?';
  }
  if (s.size() > 64) out += "...";
  return out;
}

}  // namespace

RequestParser::RequestParser(int max_header_bytes) : max_header_bytes_(max_header_bytes) {}

void RequestParser::Reset(Request* request) {
  req_ = request;
  req_->method.clear();
  req_->target.clear();
  req_->path.clear();
  req_->query.clear();
  req_->headers.Clear();
  // A large upload's buffer is not kept for the small lookups that follow it.
  if (req_->body.capacity() > (64 << 10)) {
    std::string().swap(req_->body);
  } else {
    req_->body.clear();
  }
  req_->path_params.clear();
  state_ = State::kHeaders;
  scan_ = 0;
  line_start_ = 0;
  trailer_bytes_ = 0;
  started_ = false;
  keep_alive_ = true;
  expect_continue_ = false;
  chunked_ = false;
  http10_ = false;
  content_length_ = -1;
  max_body_ = 0;
  chunk_left_ = 0;
  error_ = ParseError{};
}

RequestParser::Event RequestParser::Fail(int status, const char* code, std::string message) {
  state_ = State::kFailed;
  error_.status = status;
  error_.code = code;
  error_.message = std::move(message);
  return Event::kError;
}

size_t RequestParser::FindLineEnd(const char* data, size_t size) const {
  if (scan_ >= size) return std::string_view::npos;
  const void* nl = std::memchr(data + scan_, '\n', size - scan_);
  return nl == nullptr ? std::string_view::npos
                       : static_cast<size_t>(static_cast<const char*>(nl) - data);
}

RequestParser::Event RequestParser::Parse(const char* data, size_t size, size_t* consumed) {
  WARDEN_CHECK(req_ != nullptr);
  WARDEN_CHECK(state_ != State::kAwaitStart && state_ != State::kDone && state_ != State::kFailed);
  size_t pos = 0;
  *consumed = 0;
  if (state_ == State::kHeaders) {
    // RFC 9112 section 2.2: ignore empty lines received before the request line.
    if (!started_) {
      while (pos < size) {
        if (data[pos] == '\n') {
          ++pos;
        } else if (data[pos] == '\r' && pos + 1 < size && data[pos + 1] == '\n') {
          pos += 2;
        } else if (data[pos] == '\r' && pos + 1 == size) {
          *consumed = pos;
          return Event::kNeedMore;
        } else {
          started_ = true;
          break;
        }
      }
      *consumed = pos;
      if (!started_) return Event::kNeedMore;
      data += pos;
      size -= pos;
    }
    for (;;) {
      const size_t nl = FindLineEnd(data, size);
      if (nl == std::string_view::npos) {
        scan_ = size;
        if (size > static_cast<size_t>(max_header_bytes_)) {
          return Fail(431, "headers_too_large",
                      "request line and headers are over the limit of " +
                          std::to_string(max_header_bytes_) + " bytes");
        }
        return Event::kNeedMore;
      }
      if (nl + 1 > static_cast<size_t>(max_header_bytes_)) {
        return Fail(431, "headers_too_large",
                    "request line and headers are over the limit of " +
                        std::to_string(max_header_bytes_) + " bytes");
      }
      const size_t line_size = nl - line_start_;
      if (line_start_ > 0 && (line_size == 0 || (line_size == 1 && data[line_start_] == '\r'))) {
        const Event e = ParseHeaderBlock(data, line_start_);
        if (e == Event::kError) return e;
        *consumed = pos + nl + 1;
        state_ = State::kAwaitStart;
        return Event::kHeaders;
      }
      line_start_ = nl + 1;
      scan_ = nl + 1;
    }
  }

  while (pos < size) {
    const char* p = data + pos;
    const size_t avail = size - pos;
    switch (state_) {
      case State::kFixedBody: {
        const size_t take = static_cast<size_t>(
            std::min<int64_t>(static_cast<int64_t>(avail),
                              content_length_ - static_cast<int64_t>(req_->body.size())));
        req_->body.append(p, take);
        pos += take;
        if (static_cast<int64_t>(req_->body.size()) == content_length_) {
          state_ = State::kDone;
          *consumed = pos;
          return Event::kComplete;
        }
        break;
      }
      case State::kChunkSize: {
        const size_t nl = FindLineEnd(p, avail);
        if (nl == std::string_view::npos) {
          scan_ = avail;
          if (avail > kMaxChunkLine) return Fail(400, "bad_request", "chunk-size line too long");
          *consumed = pos;
          return Event::kNeedMore;
        }
        std::string_view line(p, nl);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.size() > kMaxChunkLine)
          return Fail(400, "bad_request", "chunk-size line too long");
        int64_t value = 0;
        size_t i = 0;
        for (; i < line.size() && HexDigit(line[i]) >= 0; ++i) {
          if (value > (std::numeric_limits<int64_t>::max() >> 4)) {
            return Fail(413, "body_too_large", "chunk size '" + Printable(line) + "' is too large");
          }
          value = value * 16 + HexDigit(line[i]);
        }
        if (i == 0) {
          return Fail(400, "bad_request", "bad chunk size '" + Printable(line) + "'");
        }
        std::string_view rest = line.substr(i);
        while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t'))
          rest.remove_prefix(1);
        if (!rest.empty()) {
          if (rest.front() != ';') {
            return Fail(400, "bad_request", "bad chunk size '" + Printable(line) + "'");
          }
          for (char c : rest) {
            const auto u = static_cast<unsigned char>(c);
            if ((u < 0x20 && u != '\t') || u == 0x7F) {
              return Fail(400, "bad_request", "control character in a chunk extension");
            }
          }
        }
        pos += nl + 1;
        scan_ = 0;
        if (value > max_body_ - static_cast<int64_t>(req_->body.size())) {
          return Fail(413, "body_too_large",
                      "chunked body is over the limit of " + std::to_string(max_body_) + " bytes");
        }
        if (value == 0) {
          state_ = State::kTrailers;
          line_start_ = 0;
        } else {
          chunk_left_ = value;
          state_ = State::kChunkData;
        }
        break;
      }
      case State::kChunkData: {
        const size_t take =
            static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(avail), chunk_left_));
        req_->body.append(p, take);
        pos += take;
        chunk_left_ -= static_cast<int64_t>(take);
        if (chunk_left_ == 0) state_ = State::kChunkDataEnd;
        break;
      }
      case State::kChunkDataEnd: {
        if (p[0] == '\n') {
          pos += 1;
        } else if (p[0] == '\r') {
          if (avail < 2) {
            *consumed = pos;
            return Event::kNeedMore;
          }
          if (p[1] != '\n') return Fail(400, "bad_request", "chunk data not followed by CRLF");
          pos += 2;
        } else {
          return Fail(400, "bad_request", "chunk data not followed by CRLF");
        }
        state_ = State::kChunkSize;
        scan_ = 0;
        break;
      }
      case State::kTrailers: {
        // Trailer fields are read and dropped: nothing in Warden reads them, and merging them
        // into the headers after routing would let a client change what was checked.
        const size_t nl = FindLineEnd(p, avail);
        if (nl == std::string_view::npos) {
          scan_ = avail;
          if (trailer_bytes_ + avail > static_cast<size_t>(max_header_bytes_)) {
            return Fail(431, "headers_too_large", "chunked trailer section is over the limit");
          }
          *consumed = pos;
          return Event::kNeedMore;
        }
        trailer_bytes_ += nl + 1;
        if (trailer_bytes_ > static_cast<size_t>(max_header_bytes_)) {
          return Fail(431, "headers_too_large", "chunked trailer section is over the limit");
        }
        std::string_view line(p, nl);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        pos += nl + 1;
        scan_ = 0;
        if (line.empty()) {
          state_ = State::kDone;
          *consumed = pos;
          return Event::kComplete;
        }
        const size_t colon = line.find(':');
        if (colon == 0 || colon == std::string_view::npos) {
          return Fail(400, "bad_request", "malformed trailer field '" + Printable(line) + "'");
        }
        for (char c : line) {
          const auto u = static_cast<unsigned char>(c);
          if ((u < 0x20 && u != '\t') || u == 0x7F) {
            return Fail(400, "bad_request", "control character in a trailer field");
          }
        }
        break;
      }
      default:
        WARDEN_CHECK(false);
    }
  }
  *consumed = pos;
  return Event::kNeedMore;
}

RequestParser::Event RequestParser::StartBody(int64_t max_body_bytes) {
  WARDEN_CHECK(state_ == State::kAwaitStart);
  max_body_ = max_body_bytes;
  scan_ = 0;
  line_start_ = 0;
  if (chunked_) {
    state_ = State::kChunkSize;
    return Event::kNeedMore;
  }
  if (content_length_ > max_body_bytes) {
    return Fail(413, "body_too_large",
                "Content-Length " + std::to_string(content_length_) + " is over the limit of " +
                    std::to_string(max_body_bytes) + " bytes");
  }
  if (content_length_ <= 0) {
    state_ = State::kDone;
    return Event::kComplete;
  }
  req_->body.reserve(static_cast<size_t>(std::min(content_length_, kMaxBodyReserve)));
  state_ = State::kFixedBody;
  return Event::kNeedMore;
}

RequestParser::Event RequestParser::ParseHeaderBlock(const char* data, size_t size) {
  size_t start = 0;
  bool first = true;
  while (start < size) {
    const char* nl = static_cast<const char*>(std::memchr(data + start, '\n', size - start));
    size_t end = nl == nullptr ? size : static_cast<size_t>(nl - data);
    size_t line_end = end;
    if (line_end > start && data[line_end - 1] == '\r') --line_end;
    const Event e = first ? ParseRequestLine(data + start, line_end - start)
                          : ParseHeaderLine(data + start, line_end - start);
    if (e == Event::kError) return e;
    first = false;
    start = end + 1;
  }
  return ApplyFramingHeaders();
}

RequestParser::Event RequestParser::ParseRequestLine(const char* line, size_t size) {
  std::string_view text(line, size);
  const size_t sp1 = text.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : text.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || text.find(' ', sp2 + 1) != std::string_view::npos) {
    return Fail(400, "bad_request", "malformed request line '" + Printable(text) + "'");
  }
  const std::string_view method = text.substr(0, sp1);
  const std::string_view target = text.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = text.substr(sp2 + 1);
  if (method.empty()) return Fail(400, "bad_request", "empty method in the request line");
  for (char c : method) {
    if (!IsTokenChar(static_cast<unsigned char>(c))) {
      return Fail(400, "bad_request", "bad method '" + Printable(method) + "'");
    }
  }
  if (target.empty() || target.front() != '/') {
    return Fail(400, "bad_request",
                "request target '" + Printable(target) + "' does not start with '/'");
  }
  for (char c : target) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7F) {
      return Fail(400, "bad_request", "bad character in the request target");
    }
  }
  if (version == "HTTP/1.1") {
    http10_ = false;
  } else if (version == "HTTP/1.0") {
    http10_ = true;
  } else if (version.size() == 8 && version.substr(0, 5) == "HTTP/" && version[5] >= '0' &&
             version[5] <= '9' && version[6] == '.' && version[7] >= '0' && version[7] <= '9') {
    return Fail(505, "version_not_supported",
                "HTTP version '" + std::string(version) + "' is not supported");
  } else {
    return Fail(400, "bad_request", "bad HTTP version '" + Printable(version) + "'");
  }
  req_->method.assign(method);
  req_->target.assign(target);
  return ParseTarget();
}

RequestParser::Event RequestParser::ParseTarget() {
  std::string_view target = req_->target;
  const size_t q = target.find('?');
  const std::string_view raw_path = target.substr(0, q);
  if (raw_path.find('%') == std::string_view::npos) {
    req_->path.assign(raw_path);
  } else {
    auto decoded = PercentDecode(raw_path, /*plus_is_space=*/false);
    if (!decoded || decoded->find('\0') != std::string::npos) {
      return Fail(400, "bad_request", "bad percent-encoding in path '" + Printable(raw_path) + "'");
    }
    req_->path = std::move(*decoded);
  }
  if (q == std::string_view::npos) return Event::kNeedMore;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    if (!pair.empty()) {
      const size_t eq = pair.find('=');
      auto name = PercentDecode(pair.substr(0, eq), /*plus_is_space=*/true);
      auto value =
          PercentDecode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1),
                        /*plus_is_space=*/true);
      if (!name || !value) {
        return Fail(400, "bad_request",
                    "bad percent-encoding in query parameter '" + Printable(pair) + "'");
      }
      req_->query.emplace(std::move(*name), std::move(*value));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return Event::kNeedMore;
}

RequestParser::Event RequestParser::ParseHeaderLine(const char* line, size_t size) {
  std::string_view text(line, size);
  if (text.empty()) return Fail(400, "bad_request", "empty header line");
  if (text.front() == ' ' || text.front() == '\t') {
    return Fail(400, "bad_request", "obsolete line folding in the headers");
  }
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    return Fail(400, "bad_request", "header line without a colon: '" + Printable(text) + "'");
  }
  const std::string_view name = text.substr(0, colon);
  if (name.empty()) return Fail(400, "bad_request", "empty header name");
  for (char c : name) {
    if (!IsTokenChar(static_cast<unsigned char>(c))) {
      // Includes whitespace before the colon (RFC 9112 section 5.1: MUST reject).
      return Fail(400, "bad_request", "bad header name '" + Printable(name) + "'");
    }
  }
  const std::string_view value = TrimOws(text.substr(colon + 1));
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && u != '\t') || u == 0x7F) {
      return Fail(400, "bad_request", "control character in header '" + Printable(name) + "'");
    }
  }
  req_->headers.Add(name, value);
  return Event::kNeedMore;
}

RequestParser::Event RequestParser::ApplyFramingHeaders() {
  bool has_te = false;
  bool connection_close = false;
  bool connection_keep_alive = false;
  int hosts = 0;
  int chunked_count = 0;
  std::string other_coding;
  for (const auto& [name, value] : req_->headers.fields()) {
    if (name == "content-length") {
      // RFC 9112 section 6.3: a list of identical values may be taken as one.
      bool bad = false;
      ForEachListElement(value, [&](std::string_view element) {
        int64_t v = 0;
        for (char c : element) {
          if (c < '0' || c > '9') {
            bad = true;
            return;
          }
          // Saturate: an absurd length is simply over every limit (413), not malformed.
          v = v > (std::numeric_limits<int64_t>::max() - 9) / 10
                  ? std::numeric_limits<int64_t>::max() / 2
                  : v * 10 + (c - '0');
        }
        if (content_length_ >= 0 && content_length_ != v) bad = true;
        content_length_ = v;
      });
      if (bad || TrimOws(value).empty()) {
        return Fail(400, "bad_request", "bad Content-Length '" + Printable(value) + "'");
      }
    } else if (name == "transfer-encoding") {
      has_te = true;
      ForEachListElement(value, [&](std::string_view element) {
        if (AsciiEqualsIgnoreCase(element, "chunked")) {
          ++chunked_count;
        } else if (other_coding.empty()) {
          other_coding = Printable(element);
        }
      });
    } else if (name == "connection") {
      ForEachListElement(value, [&](std::string_view element) {
        if (AsciiEqualsIgnoreCase(element, "close")) connection_close = true;
        if (AsciiEqualsIgnoreCase(element, "keep-alive")) connection_keep_alive = true;
      });
    } else if (name == "expect") {
      if (AsciiEqualsIgnoreCase(TrimOws(value), "100-continue")) expect_continue_ = !http10_;
    } else if (name == "host") {
      ++hosts;
    }
  }
  if (hosts > 1) return Fail(400, "bad_request", "more than one Host header");
  if (has_te) {
    // RFC 9112 section 6.1 and 6.3: both framings at once is how requests are smuggled.
    if (content_length_ >= 0) {
      return Fail(400, "bad_request", "both Content-Length and Transfer-Encoding are present");
    }
    if (http10_) return Fail(400, "bad_request", "Transfer-Encoding in an HTTP/1.0 request");
    if (!other_coding.empty()) {
      return Fail(501, "not_implemented",
                  "Transfer-Encoding '" + other_coding + "' is not implemented (only chunked)");
    }
    if (chunked_count != 1) {
      return Fail(400, "bad_request", "Transfer-Encoding lists chunked more than once");
    }
    chunked_ = true;
  }
  keep_alive_ = http10_ ? (connection_keep_alive && !connection_close) : !connection_close;
  return Event::kNeedMore;
}

}  // namespace warden::http
