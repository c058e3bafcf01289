// Fuzz target: Warden's HTTP/1.1 request parser (src/http/http_parser.h) and the multipart
// parser it feeds (see fuzz/README.md). The first input byte picks how the rest is cut into
// pieces; the same bytes parsed in one piece and in small pieces must give the same requests
// and the same error, since a client decides where TCP segments end. Bodies with a multipart
// Content-Type go through ParseMultipart, whose parts must lie inside the body.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "src/http/http_parser.h"
#include "src/http/multipart.h"

namespace {

constexpr int kMaxHeaderBytes = 1024;
constexpr int64_t kMaxBodyBytes = 4096;

struct Outcome {
  std::vector<std::string> requests;  // a digest of each parsed request
  int error_status = 0;
};

std::string Digest(const warden::http::Request& r, bool keep_alive) {
  std::string d = r.method + ' ' + r.target + ' ' + r.path + ' ' + std::to_string(keep_alive);
  for (const auto& [name, value] : r.query) d += '&' + name + '=' + value;
  for (const auto& [name, value] : r.headers.fields()) d += '|' + name + ':' + value;
  d += '#' + r.body;
  return d;
}

void CheckMultipart(const warden::http::Request& r) {
  auto type = r.headers.Get("content-type");
  if (!type) return;
  auto boundary = warden::http::MultipartBoundary(*type);
  if (!boundary) return;
  if (boundary->empty() || boundary->size() > 70) __builtin_trap();
  auto parts = warden::http::ParseMultipart(r.body, *boundary, 8);
  if (!parts.ok()) {
    if (parts.status().message().empty()) __builtin_trap();
    return;
  }
  if (parts->size() > 8) __builtin_trap();
  const char* begin = r.body.data();
  const char* end = begin + r.body.size();
  for (const auto& part : *parts) {
    if (part.name.empty()) __builtin_trap();
    if (!part.data.empty() &&
        (part.data.data() < begin || part.data.data() + part.data.size() > end)) {
      __builtin_trap();
    }
  }
}

Outcome Run(std::string_view input, size_t piece) {
  using Event = warden::http::RequestParser::Event;
  warden::http::RequestParser parser(kMaxHeaderBytes);
  warden::http::Request request;
  parser.Reset(&request);
  Outcome out;
  std::string buffer;
  for (size_t at = 0; at < input.size() && out.error_status == 0;) {
    const size_t n = std::min(piece, input.size() - at);
    buffer.append(input.substr(at, n));
    at += n;
    for (;;) {
      size_t consumed = 0;
      Event ev = parser.Parse(buffer.data(), buffer.size(), &consumed);
      if (consumed > buffer.size()) __builtin_trap();
      buffer.erase(0, consumed);
      if (ev == Event::kHeaders) {
        ev = parser.StartBody(kMaxBodyBytes);
        if (ev == Event::kNeedMore) continue;
      }
      if (ev == Event::kNeedMore) {
        // Unconsumed bytes are only ever an unfinished line: bounded by the limits.
        if (buffer.size() > static_cast<size_t>(kMaxHeaderBytes) + 4096 + piece) __builtin_trap();
        break;
      }
      if (ev == Event::kError) {
        const auto& e = parser.error();
        if (e.message.empty() || e.code.empty()) __builtin_trap();
        if (e.status != 400 && e.status != 413 && e.status != 431 && e.status != 501 &&
            e.status != 505) {
          __builtin_trap();
        }
        out.error_status = e.status;
        break;
      }
      if (static_cast<int64_t>(request.body.size()) > kMaxBodyBytes) __builtin_trap();
      if (request.path.empty() || request.target.empty() || request.target[0] != '/') {
        __builtin_trap();
      }
      CheckMultipart(request);
      out.requests.push_back(Digest(request, parser.keep_alive()));
      parser.Reset(&request);
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t piece = 1 + data[0] % 7;
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  const Outcome whole = Run(input, input.size() + 1);
  const Outcome cut = Run(input, piece);
  if (whole.requests != cut.requests || whole.error_status != cut.error_status) __builtin_trap();
  return 0;
}
