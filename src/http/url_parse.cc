#include "src/http/url_parse.h"

#include <arpa/inet.h>

#include <cctype>
#include <charconv>
#include <vector>

#include <fmt/core.h>

#include "src/base/ascii.h"
#include "src/http/url_address.h"

namespace warden::http {
namespace {

constexpr size_t kMaxUrlLength = 8192;
constexpr size_t kMaxHostLength = 253;  // RFC 1035: 255 octets on the wire, 253 as text

bool IsSchemeChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
}

// Characters RFC 3986 allows in a path or query as they are ('%' included, so that an
// already percent-encoded target is sent exactly as given).
bool IsTargetChar(unsigned char c) {
  static constexpr std::string_view kPunctuation = "-._~!$&'()*+,;=:@/?%";
  return std::isalnum(c) ||
         (c != 0 && kPunctuation.find(static_cast<char>(c)) != kPunctuation.npos);
}

// Letters, digits, '-', '.' and '_' (seen in real host names although not in RFC 952). Anything
// else ('%', '\\', non-ASCII) could be read differently by another parser, so it is refused.
bool IsHostChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

// If `s` begins with "scheme:", the scheme; otherwise empty.
std::string_view LeadingScheme(std::string_view s) {
  size_t colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0) return {};
  if (!std::isalpha(static_cast<unsigned char>(s[0]))) return {};
  for (size_t i = 0; i < colon; ++i) {
    if (!IsSchemeChar(s[i])) return {};
  }
  return s.substr(0, colon);
}

// RFC 3986 section 5.2.4 on a path that starts with '/'.
std::string RemoveDotSegments(std::string_view path) {
  std::vector<std::string_view> out;
  size_t pos = 1;
  bool trailing_slash = false;
  while (pos <= path.size()) {
    size_t next = path.find('/', pos);
    if (next == std::string_view::npos) next = path.size();
    std::string_view segment = path.substr(pos, next - pos);
    bool last = next == path.size();
    trailing_slash = false;
    if (segment == ".") {
      trailing_slash = true;
    } else if (segment == "..") {
      if (!out.empty()) out.pop_back();
      trailing_slash = true;
    } else {
      out.push_back(segment);
    }
    if (last) break;
    pos = next + 1;
  }
  std::string result;
  for (std::string_view segment : out) {
    result += '/';
    result += segment;
  }
  if (trailing_slash || result.empty()) result += '/';
  return result;
}

}  // namespace

Result<ParsedUrl> ParseHttpUrl(std::string_view url) {
  if (url.size() > kMaxUrlLength) {
    return Status::InvalidArgument(
        fmt::format("URL is {} characters, over the limit of {}", url.size(), kMaxUrlLength));
  }
  for (char c : url) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F) {
      return Status::InvalidArgument(
          fmt::format("URL {} contains a space or control character", UrlForMessage(url)));
    }
  }
  ParsedUrl out;
  std::string_view scheme = LeadingScheme(url);
  if (scheme.empty()) {
    return Status::InvalidArgument(
        fmt::format("URL {} has no scheme (expected http:// or https://)", UrlForMessage(url)));
  }
  out.scheme = AsciiLowered(scheme);
  if (out.scheme != "http" && out.scheme != "https") {
    return Status::InvalidArgument(fmt::format("scheme '{}' is not allowed", out.scheme));
  }
  size_t sep = scheme.size();
  if (url.substr(sep, 3) != "://") {
    return Status::InvalidArgument(
        fmt::format("URL {} does not start with {}://", UrlForMessage(url), out.scheme));
  }
  std::string_view rest = url.substr(sep + 3);
  size_t authority_end = rest.find_first_of("/?#");
  if (authority_end == std::string_view::npos) authority_end = rest.size();
  std::string_view authority = rest.substr(0, authority_end);
  rest.remove_prefix(authority_end);
  if (authority.find('@') != std::string_view::npos) {
    return Status::InvalidArgument(
        "URL has a user information part (user:password@), which is not allowed");
  }

  std::string_view host;
  std::string_view port_text;
  bool has_port = false;
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return Status::InvalidArgument("URL host '[' has no closing ']'");
    }
    host = authority.substr(1, close - 1);
    std::optional<IpAddress> v6 = ParseIpAddress(host);
    if (!v6 || v6->family != AF_INET6) {
      return Status::InvalidArgument(fmt::format("URL host [{}] is not an IPv6 address", host));
    }
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') {
        return Status::InvalidArgument(
            fmt::format("URL has '{}' after the IPv6 address where a port belongs", after));
      }
      has_port = true;
      port_text = after.substr(1);
    }
  } else {
    size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      has_port = true;
      port_text = authority.substr(colon + 1);
      if (port_text.find(':') != std::string_view::npos) {
        return Status::InvalidArgument(
            "URL host has several ':' (an IPv6 address must be written in brackets)");
      }
    }
    if (host.size() > kMaxHostLength) {
      return Status::InvalidArgument(fmt::format("URL host is {} characters, over the limit of {}",
                                                 host.size(), kMaxHostLength));
    }
    for (char c : host) {
      if (!IsHostChar(c)) {
        return Status::InvalidArgument(
            fmt::format("URL host '{}' has the character '{}', which is not allowed", host, c));
      }
    }
  }
  if (host.empty()) return Status::InvalidArgument("URL has an empty host");
  out.host = AsciiLowered(host);

  out.port = out.scheme == "https" ? 443 : 80;
  if (has_port && !port_text.empty()) {
    int port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    bool digits_only = port_text.size() <= 5 &&
                       port_text.find_first_not_of("0123456789") == std::string_view::npos;
    if (!digits_only || ec != std::errc() || end != port_text.data() + port_text.size() ||
        port < 1 || port > 65535) {
      return Status::InvalidArgument(
          fmt::format("URL port '{}' is not a number from 1 to 65535", port_text));
    }
    out.port = port;
  }

  // The fragment is for the browser and never sent.
  size_t hash = rest.find('#');
  if (hash != std::string_view::npos) rest = rest.substr(0, hash);
  if (rest.empty() || rest[0] == '?') out.target = "/";
  for (char c : rest) {
    auto u = static_cast<unsigned char>(c);
    if (IsTargetChar(u)) {
      out.target += c;
    } else {
      out.target += fmt::format("%{:02X}", u);
    }
  }
  return out;
}

std::string UrlOrigin(const ParsedUrl& url) {
  bool v6 = url.host.find(':') != std::string::npos;
  std::string origin = url.scheme + "://" + (v6 ? "[" + url.host + "]" : url.host);
  int default_port = url.scheme == "https" ? 443 : 80;
  if (url.port != default_port) origin += fmt::format(":{}", url.port);
  return origin;
}

Result<std::string> ResolveUrlReference(const ParsedUrl& base, std::string_view location) {
  size_t hash = location.find('#');
  if (hash != std::string_view::npos) location = location.substr(0, hash);
  if (location.empty()) {
    if (hash != std::string_view::npos) return UrlOrigin(base) + base.target;
    return Status::InvalidArgument("redirect has an empty Location");
  }
  if (!LeadingScheme(location).empty()) return std::string(location);
  if (location.size() >= 2 && location[0] == '/' && location[1] == '/') {
    return base.scheme + ":" + std::string(location);
  }
  std::string_view base_path = base.target;
  size_t base_query = base_path.find('?');
  if (base_query != std::string_view::npos) base_path = base_path.substr(0, base_query);
  if (location[0] == '?') return UrlOrigin(base) + std::string(base_path) + std::string(location);

  std::string_view path = location;
  std::string_view query;
  size_t q = location.find('?');
  if (q != std::string_view::npos) {
    path = location.substr(0, q);
    query = location.substr(q);
  }
  std::string merged;
  if (path[0] == '/') {
    merged = std::string(path);
  } else {
    // Merge with the base's directory (RFC 3986 5.2.3).
    merged = std::string(base_path.substr(0, base_path.rfind('/') + 1)) + std::string(path);
  }
  return UrlOrigin(base) + RemoveDotSegments(merged) + std::string(query);
}

std::string UrlForMessage(std::string_view url) {
  constexpr size_t kMax = 200;
  if (url.size() <= kMax) return std::string(url);
  return std::string(url.substr(0, kMax)) + "...";
}

}  // namespace warden::http
