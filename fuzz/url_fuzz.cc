// Fuzz target: the URL guard of hashing by URL (src/http/url_fetcher.h, url_address.h,
// url_parse.h), the code that decides what the service may connect to. Checked:
//  - ParseIpAddress agrees with inet_pton: an IPv4 literal iff inet_pton(AF_INET) takes it,
//    an IPv6 one iff inet_pton(AF_INET6) does, with the same bytes; its text form parses back
//    to the same address; an IPv4 address and its IPv4-mapped IPv6 form get the same verdict
//    from NonPublicKind;
//  - a URL ParseHttpUrl accepts is http or https with a port in 1..65535, a lower-case
//    non-empty host and a target starting with '/', and UrlOrigin + target parses back to the
//    same parts;
//  - a redirect Location resolved against an accepted URL never breaks (the result is judged by
//    ParseHttpUrl again, as the fetcher does).
#include <arpa/inet.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "src/http/url_address.h"
#include "src/http/url_fetcher.h"
#include "src/http/url_parse.h"

namespace {

using warden::http::IpAddress;

void CheckAddress(const std::string& text) {
  const std::optional<IpAddress> a = warden::http::ParseIpAddress(text);
  uint8_t v4[4];
  uint8_t v6[16];
  const bool is_v4 =
      text.find('\0') == std::string::npos && inet_pton(AF_INET, text.c_str(), v4) == 1;
  const bool is_v6 =
      text.find('\0') == std::string::npos && inet_pton(AF_INET6, text.c_str(), v6) == 1;
  if (a.has_value() != (is_v4 || is_v6)) __builtin_trap();
  if (!a) return;
  if (is_v4 && (a->family != AF_INET || std::memcmp(a->bytes.data(), v4, 4) != 0)) {
    __builtin_trap();
  }
  if (is_v6 && (a->family != AF_INET6 || std::memcmp(a->bytes.data(), v6, 16) != 0)) {
    __builtin_trap();
  }
  const std::optional<IpAddress> again = warden::http::ParseIpAddress(a->ToString());
  if (!again || !(*again == *a)) __builtin_trap();
  if (a->family == AF_INET) {
    IpAddress mapped;
    mapped.family = AF_INET6;
    mapped.bytes[10] = 0xff;
    mapped.bytes[11] = 0xff;
    std::memcpy(mapped.bytes.data() + 12, a->bytes.data(), 4);
    const char* plain = warden::http::NonPublicKind(*a);
    const char* embedded = warden::http::NonPublicKind(mapped);
    if ((plain == nullptr) != (embedded == nullptr)) __builtin_trap();
    if (plain != nullptr && std::strcmp(plain, embedded) != 0) __builtin_trap();
  }
}

bool LowerCase(std::string_view s) {
  for (char c : s) {
    if (c >= 'A' && c <= 'Z') return false;
  }
  return true;
}

void CheckUrl(std::string_view text) {
  auto url = warden::http::ParseHttpUrl(text);
  if (!url.ok()) {
    if (url.status().message().empty()) __builtin_trap();
    return;
  }
  if (url->scheme != "http" && url->scheme != "https") __builtin_trap();
  if (url->port < 1 || url->port > 65535) __builtin_trap();
  if (url->host.empty() || !LowerCase(url->host)) __builtin_trap();
  if (url->target.empty() || url->target[0] != '/') __builtin_trap();
  auto again = warden::http::ParseHttpUrl(warden::http::UrlOrigin(*url) + url->target);
  if (!again.ok() || again->scheme != url->scheme || again->host != url->host ||
      again->port != url->port || again->target != url->target) {
    __builtin_trap();
  }
  // The same bytes as a redirect's Location, resolved against this URL.
  auto resolved = warden::http::ResolveUrlReference(*url, text);
  if (resolved.ok()) (void)warden::http::ParseHttpUrl(*resolved);
  (void)warden::http::UrlForMessage(text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  CheckAddress(text);
  CheckUrl(text);
  // As a redirect against a fixed page, so that relative references are explored too.
  auto base = warden::http::ParseHttpUrl("http://example.org/a/b?c=d");
  if (!base.ok()) __builtin_trap();
  auto resolved = warden::http::ResolveUrlReference(*base, text);
  if (resolved.ok()) CheckUrl(*resolved);
  return 0;
}
