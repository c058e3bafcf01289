// The URL side of the fetcher beyond ParseHttpUrl (declared in url_fetcher.h): turning a
// redirect's Location into an absolute URL and shortening URLs for error messages. Internal to
// warden_fetch.
//
// Thread safety: pure functions.
#ifndef WARDEN_SRC_HTTP_URL_PARSE_H_
#define WARDEN_SRC_HTTP_URL_PARSE_H_

#include <string>
#include <string_view>

#include "src/http/url_fetcher.h"

namespace warden::http {

// "scheme://host[:port]", the port left out when it is the scheme's default and IPv6 hosts in
// brackets.
std::string UrlOrigin(const ParsedUrl& url);

// The absolute URL a redirect's `location` points at, resolved against `base` (RFC 3986
// section 5.2: absolute, scheme-relative "//host/x", absolute-path "/x", query "?q" and relative
// "x" references, dot segments removed; the fragment dropped). The result is not validated:
// ParseHttpUrl judges it. Errors: kInvalidArgument for an empty location.
Result<std::string> ResolveUrlReference(const ParsedUrl& base, std::string_view location);

// `url` cut to at most 200 characters with "..." so that messages stay readable.
std::string UrlForMessage(std::string_view url);

}  // namespace warden::http

#endif  // WARDEN_SRC_HTTP_URL_PARSE_H_
