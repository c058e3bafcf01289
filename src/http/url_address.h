// IP addresses as the URL fetcher checks them: parsing a literal, naming the non-public range it
// falls in (loopback, private, ...), and the operator's allow-list of hosts, addresses and CIDR
// ranges that may be fetched anyway. Internal to warden_fetch.
//
// Thread safety: values; an AllowList is immutable after Parse and may be shared.
#ifndef WARDEN_SRC_HTTP_URL_ADDRESS_H_
#define WARDEN_SRC_HTTP_URL_ADDRESS_H_

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "warden/status.h"

namespace warden::http {

// An IPv4 (4 bytes used) or IPv6 (16 bytes) address in network byte order.
struct IpAddress {
  int family = AF_INET;  // AF_INET or AF_INET6
  std::array<uint8_t, 16> bytes{};

  // Dotted quad or RFC 5952 text ("10.0.0.5", "::1").
  std::string ToString() const;
  // The IPv4 address inside an IPv4-mapped IPv6 address (::ffff:a.b.c.d); otherwise itself.
  IpAddress Unmapped() const;
  bool operator==(const IpAddress& other) const = default;
};

// Parses a strict literal: four decimal octets for IPv4 (inet_pton rules: no "127.1", no hex) or
// an IPv6 text form without brackets or zone. nullopt if `text` is neither.
std::optional<IpAddress> ParseIpAddress(std::string_view text);

// The address of a getaddrinfo answer (AF_INET or AF_INET6); nullopt for other families.
std::optional<IpAddress> IpAddressFromSockaddr(const sockaddr* sa);

// Why `address` is not public ("loopback", "private", "link-local", ...), or nullptr if it is a
// public unicast address. IPv4-mapped and 6to4 IPv6 addresses are judged by the IPv4 address
// they embed.
const char* NonPublicKind(const IpAddress& address);

// The allow-list of FetchOptions, parsed.
class AllowList {
 public:
  // Each entry is a CIDR range ("10.1.0.0/16", "fd00::/8"), an address literal or a host name.
  // Errors: kInvalidArgument naming the entry if it has a '/' but is no valid CIDR range, or is
  // empty.
  static Result<AllowList> Parse(const std::vector<std::string>& entries);

  // True iff `host` (lower-cased, as ParseHttpUrl returns it) is named exactly
  // (case-insensitive).
  bool AllowsHost(std::string_view host) const;
  // True iff `address` (or the IPv4 address an IPv4-mapped one embeds) is named or lies in a
  // listed range.
  bool AllowsAddress(const IpAddress& address) const;

 private:
  struct Range {
    IpAddress base;
    int prefix_bits = 0;
  };
  std::vector<std::string> hosts_;  // lower-cased
  std::vector<Range> ranges_;       // single addresses have prefix_bits = 32 or 128
};

}  // namespace warden::http

#endif  // WARDEN_SRC_HTTP_URL_ADDRESS_H_
