// UrlFetcher: downloads one image for "hash this URL" (HMA's /h/hash?url=, /m/lookup?url=) while
// refusing to become a tool for reaching the service's own network (SSRF).
//
// Rules, each checked and each failure a Status naming the URL and the reason:
//   - only http:// and https:// URLs (kInvalidArgument "scheme 'ftp' is not allowed");
//     no user:password@ part; a host of at most 253 characters; port 1..65535.
//   - the host is resolved ONCE (getaddrinfo) and the connection goes to an address that was
//     checked, so a DNS answer cannot change between check and connect (rebinding).
//   - an address in a loopback, private, link-local, CGNAT, multicast, unspecified, reserved,
//     IPv4-mapped-private or unique-local range (IPv4 and IPv6) is refused with
//     kPermissionDenied "address 10.0.0.5 of host 'x' is private", unless the allow-list names
//     the host (exact, case-insensitive), the address, or a CIDR range holding it.
//   - https verifies the certificate chain against the system CA store and the host name
//     (SNI set); `ca_file` overrides the CA store (tests).
//   - redirects (301/302/303/307/308) are followed up to max_redirects, each hop checked again.
//   - the whole fetch (resolve, connect, TLS, headers, body) must finish within timeout_ms
//     (kUnavailable "timed out after N ms"); the body is capped at max_bytes (kTooLarge);
//     a non-2xx answer is kUnavailable naming the status.
//   - Transfer-Encoding chunked and Content-Length bodies are read; no compression is asked for.
// The body is returned in memory and never written to disk.
//
// Thread safety: Fetch may be called from many threads at once.
#ifndef WARDEN_SRC_HTTP_URL_FETCHER_H_
#define WARDEN_SRC_HTTP_URL_FETCHER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "warden/status.h"

namespace warden::http {

struct FetchOptions {
  int64_t max_bytes = 20 << 20;  // body cap
  int timeout_ms = 10'000;       // whole fetch, redirects included
  int max_redirects = 3;
  // Hosts (exact names), addresses ("127.0.0.1", "::1") or CIDR ranges ("10.1.0.0/16") that
  // may be fetched even though private or loopback.
  std::vector<std::string> allow_list;
  std::string ca_file;  // PEM bundle; empty = the system's default CA store
  std::string user_agent = "warden-fetch/1";
};

struct FetchResult {
  std::string final_url;     // after redirects
  std::string content_type;  // the answer's Content-Type ("" if none)
  std::string body;
};

// Parsed parts of an http(s) URL.
struct ParsedUrl {
  std::string scheme;  // "http" or "https"
  std::string host;    // without brackets for IPv6 literals; lower-cased
  int port = 0;        // explicit or the scheme's default
  std::string target;  // path and query, at least "/"
};
// Errors: kInvalidArgument naming the problem (scheme, userinfo, bad port, empty host, ...).
Result<ParsedUrl> ParseHttpUrl(std::string_view url);

// True iff `address` (an IPv4 or IPv6 literal) lies in one of the refused ranges above.
// Errors: kInvalidArgument if it is not an address literal.
Result<bool> IsNonPublicAddress(std::string_view address);

class UrlFetcher {
 public:
  explicit UrlFetcher(FetchOptions options);
  ~UrlFetcher();
  // Errors: see the header comment.
  Result<FetchResult> Fetch(std::string_view url) const;
  const FetchOptions& options() const { return options_; }

 private:
  FetchOptions options_;
};

}  // namespace warden::http

#endif  // WARDEN_SRC_HTTP_URL_FETCHER_H_
