#include "src/http/fetch_response.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <fmt/core.h>

#include "src/base/ascii.h"

namespace warden::http {
namespace {

constexpr size_t kMaxHeadBytes = 64 << 10;
constexpr int kMaxHeaderFields = 100;
constexpr size_t kMaxLine = 8192;
constexpr size_t kReadChunk = 16 << 10;

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Message text from the server, shortened and with non-printable bytes replaced, so that an
// error never carries a megabyte or terminal escapes into a log.
std::string Printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 80)) out += std::isprint(static_cast<unsigned char>(c)) ? c : '?';
  if (s.size() > 80) out += "...";
  return out;
}

// Parses digits (base 10 or 16) of at most `max_digits` into `out`; false if anything else.
bool ParseNumber(std::string_view s, int base, size_t max_digits, int64_t* out) {
  if (s.empty() || s.size() > max_digits) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out, base);
  return ec == std::errc() && end == s.data() + s.size() && *out >= 0;
}

}  // namespace

Result<bool> FetchResponseReader::Fill() {
  if (pos_ == buffer_.size()) {
    buffer_.clear();
    pos_ = 0;
  } else if (pos_ > kReadChunk) {
    buffer_.erase(0, pos_);
    pos_ = 0;
  }
  size_t old_size = buffer_.size();
  buffer_.resize(old_size + kReadChunk);
  Result<size_t> got = conn_.ReadSome(buffer_.data() + old_size, kReadChunk, deadline_);
  if (!got.ok()) {
    buffer_.resize(old_size);
    return got.status();
  }
  buffer_.resize(old_size + *got);
  return *got > 0;
}

Result<std::string> FetchResponseReader::ReadLine(size_t max_length, const char* what) {
  size_t scanned = 0;  // bytes after pos_ already known to hold no '\n'
  for (;;) {
    size_t newline = buffer_.find('\n', pos_ + scanned);
    if (newline != std::string::npos) {
      std::string line = buffer_.substr(pos_, newline - pos_);
      pos_ = newline + 1;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.size() > max_length) break;
      return line;
    }
    scanned = buffer_.size() - pos_;
    if (scanned > max_length + 1) break;
    WARDEN_ASSIGN_OR_RETURN(bool more, Fill());  // may move the unread bytes to the front
    if (!more) {
      return Status::Unavailable(
          fmt::format("the server closed the connection in the middle of {}", what));
    }
  }
  return Status::Unavailable(fmt::format("{} is longer than {} bytes", what, max_length));
}

Result<bool> FetchResponseReader::ReadExact(int64_t count, std::string* out) {
  while (count > 0) {
    if (pos_ == buffer_.size()) {
      WARDEN_ASSIGN_OR_RETURN(bool more, Fill());
      if (!more) return false;
    }
    size_t take = std::min(static_cast<size_t>(count), buffer_.size() - pos_);
    out->append(buffer_, pos_, take);
    pos_ += take;
    count -= static_cast<int64_t>(take);
  }
  return true;
}

Result<FetchResponseHead> FetchResponseReader::ReadHead() {
  for (;;) {
    if (pos_ == buffer_.size()) {
      WARDEN_ASSIGN_OR_RETURN(bool more, Fill());
      if (!more) return Status::Unavailable("the server closed the connection without answering");
    }
    WARDEN_ASSIGN_OR_RETURN(std::string status_line, ReadLine(kMaxLine, "the status line"));
    // "HTTP/1.1 200 OK": version, a space, three digits, then optionally a space and a reason.
    int64_t status = 0;
    if (status_line.size() < 12 || status_line.compare(0, 7, "HTTP/1.") != 0 ||
        status_line[8] != ' ' ||
        !ParseNumber(std::string_view(status_line).substr(9, 3), 10, 3, &status) || status < 100 ||
        status > 599 || (status_line.size() > 12 && status_line[12] != ' ')) {
      return Status::Unavailable(
          fmt::format("the answer is not HTTP/1.x: '{}'", Printable(status_line)));
    }
    FetchResponseHead head;
    head.status = static_cast<int>(status);
    if (status_line.size() > 13) head.reason = Printable(status_line.substr(13));
    head_bytes_ += status_line.size();

    std::string transfer_encoding;
    bool has_transfer_encoding = false;
    for (int fields = 0;; ++fields) {
      WARDEN_ASSIGN_OR_RETURN(std::string line, ReadLine(kMaxLine, "the response headers"));
      head_bytes_ += line.size() + 2;
      if (head_bytes_ > kMaxHeadBytes || fields > kMaxHeaderFields) {
        return Status::Unavailable(fmt::format("the response headers exceed {} bytes or {} fields",
                                               kMaxHeadBytes, kMaxHeaderFields));
      }
      if (line.empty()) break;
      size_t colon = line.find(':');
      // RFC 9112 5.2: obsolete line folding is refused, as is a line without a field name.
      if (line[0] == ' ' || line[0] == '\t' || colon == std::string::npos || colon == 0) {
        return Status::Unavailable(fmt::format("malformed header line '{}'", Printable(line)));
      }
      std::string name = AsciiLowered(std::string_view(line).substr(0, colon));
      std::string_view value = TrimOws(std::string_view(line).substr(colon + 1));
      if (name == "content-length") {
        int64_t length = 0;
        if (!ParseNumber(value, 10, 18, &length)) {
          return Status::Unavailable(fmt::format("bad Content-Length '{}'", Printable(value)));
        }
        if (head.content_length && *head.content_length != length) {
          return Status::Unavailable("the response has two different Content-Length values");
        }
        head.content_length = length;
      } else if (name == "transfer-encoding") {
        if (has_transfer_encoding) transfer_encoding += ',';
        transfer_encoding += AsciiLowered(value);
        has_transfer_encoding = true;
      } else if (name == "location") {
        head.location = std::string(value);
      } else if (name == "content-type") {
        head.content_type = std::string(value);
      }
    }
    if (has_transfer_encoding) {
      // RFC 9112 6.3: Transfer-Encoding overrides Content-Length; chunked must be the last
      // coding, otherwise the body runs to the end of the connection.
      std::string_view codings = transfer_encoding;
      size_t comma = codings.rfind(',');
      std::string_view last =
          TrimOws(comma == std::string_view::npos ? codings : codings.substr(comma + 1));
      head.chunked = last == "chunked";
      head.close_delimited = !head.chunked;
      head.content_length.reset();
    }
    if (head.status == 101) {
      return Status::Unavailable("the server switched protocols (101), which a fetch never asks");
    }
    if (head.status >= 200) return head;
    // An interim 1xx answer: the real one follows.
  }
}

Result<std::string> FetchResponseReader::ReadBody(const FetchResponseHead& head,
                                                  int64_t max_bytes) {
  std::string body;
  if (head.status == 204 || head.status == 304) return body;
  auto too_large = [max_bytes] {
    return Status::TooLarge(fmt::format("the body is over the limit of {} bytes", max_bytes));
  };

  if (head.chunked) {
    int64_t total = 0;
    for (;;) {
      WARDEN_ASSIGN_OR_RETURN(std::string line, ReadLine(1024, "a chunk size line"));
      std::string_view size_text = TrimOws(std::string_view(line).substr(0, line.find(';')));
      int64_t size = 0;
      if (!ParseNumber(size_text, 16, 15, &size)) {
        return Status::Unavailable(fmt::format("bad chunk size line '{}'", Printable(line)));
      }
      if (size == 0) break;
      if (size > max_bytes - total) return too_large();
      WARDEN_ASSIGN_OR_RETURN(bool complete, ReadExact(size, &body));
      if (!complete) {
        return Status::Unavailable("the server closed the connection in the middle of a chunk");
      }
      total += size;
      WARDEN_ASSIGN_OR_RETURN(std::string end, ReadLine(16, "the end of a chunk"));
      if (!end.empty()) {
        return Status::Unavailable("a chunk is longer than its size line says");
      }
    }
    // Trailer fields, ignored.
    for (int fields = 0;; ++fields) {
      WARDEN_ASSIGN_OR_RETURN(std::string line, ReadLine(kMaxLine, "the trailer"));
      if (line.empty()) return body;
      if (fields >= kMaxHeaderFields) {
        return Status::Unavailable(
            fmt::format("the trailer has more than {} fields", kMaxHeaderFields));
      }
    }
  }

  if (head.content_length && !head.close_delimited) {
    int64_t length = *head.content_length;
    if (length > max_bytes) {
      return Status::TooLarge(fmt::format(
          "the body is {} bytes (Content-Length), over the limit of {} bytes", length, max_bytes));
    }
    body.reserve(static_cast<size_t>(length));
    WARDEN_ASSIGN_OR_RETURN(bool complete, ReadExact(length, &body));
    if (!complete) {
      return Status::Unavailable(fmt::format(
          "the server closed the connection after {} of {} body bytes", body.size(), length));
    }
    return body;
  }

  // No framing: the body is everything until the server closes.
  for (;;) {
    if (pos_ < buffer_.size()) {
      if (static_cast<int64_t>(body.size() + buffer_.size() - pos_) > max_bytes) {
        return too_large();
      }
      body.append(buffer_, pos_, std::string::npos);
      pos_ = buffer_.size();
    }
    WARDEN_ASSIGN_OR_RETURN(bool more, Fill());
    if (!more) return body;
  }
}

}  // namespace warden::http
