#include "src/http/url_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include <fmt/core.h>

#include "src/base/ascii.h"
#include "src/http/url_fetcher.h"

namespace warden::http {
namespace {

struct KnownRange {
  std::array<uint8_t, 16> base;
  int prefix_bits;
  const char* kind;
};

// True iff the first `bits` bits of `a` and `b` agree.
bool PrefixMatches(const uint8_t* a, const uint8_t* b, int bits) {
  int whole = bits / 8;
  if (std::memcmp(a, b, static_cast<size_t>(whole)) != 0) return false;
  int rest = bits % 8;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xFF << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

// IANA special-purpose registries (RFC 6890 and updates) plus the RFC 1918 and RFC 6598 ranges:
// everything a public web server cannot live at. The order puts the narrower, more telling name
// first (255.255.255.255 is "broadcast" before 240/4 "reserved").
const KnownRange kIpv4Ranges[] = {
    {{255, 255, 255, 255}, 32, "broadcast"},
    {{0}, 8, "unspecified"},
    {{10}, 8, "private"},
    {{100, 64}, 10, "carrier-grade NAT"},
    {{127}, 8, "loopback"},
    {{169, 254}, 16, "link-local"},
    {{172, 16}, 12, "private"},
    {{192, 0, 0}, 24, "reserved"},
    {{192, 0, 2}, 24, "documentation"},
    {{192, 168}, 16, "private"},
    {{198, 18}, 15, "benchmarking"},
    {{198, 51, 100}, 24, "documentation"},
    {{203, 0, 113}, 24, "documentation"},
    {{224}, 4, "multicast"},
    {{240}, 4, "reserved"},
};

// IPv6 ranges refused outright. IPv4-mapped (::ffff:0:0/96) and 6to4 (2002::/16) addresses are
// handled before this table by judging the IPv4 address they carry.
const KnownRange kIpv6Ranges[] = {
    {{0}, 128, "unspecified"},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128, "loopback"},
    // The deprecated IPv4-compatible form ::a.b.c.d (RFC 4291 2.5.5.1); nothing public lives here.
    {{0}, 96, "reserved"},
    {{0x00, 0x64, 0xff, 0x9b}, 96, "NAT64"},
    {{0x00, 0x64, 0xff, 0x9b, 0x00, 0x01}, 48, "NAT64"},
    {{0x01, 0x00}, 64, "discard-only"},
    {{0x20, 0x01, 0x0d, 0xb8}, 32, "documentation"},
    {{0xfc}, 7, "unique-local"},
    {{0xfe, 0x80}, 10, "link-local"},
    {{0xfe, 0xc0}, 10, "site-local"},
    {{0xff}, 8, "multicast"},
};

const char* Ipv4Kind(const uint8_t* v4) {
  for (const KnownRange& r : kIpv4Ranges) {
    if (PrefixMatches(v4, r.base.data(), r.prefix_bits)) return r.kind;
  }
  return nullptr;
}

}  // namespace

std::string IpAddress::ToString() const {
  char text[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(family, bytes.data(), text, sizeof(text));
  return text;
}

IpAddress IpAddress::Unmapped() const {
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (family != AF_INET6 || std::memcmp(bytes.data(), kMapped, 12) != 0) return *this;
  IpAddress v4;
  v4.family = AF_INET;
  std::memcpy(v4.bytes.data(), bytes.data() + 12, 4);
  return v4;
}

std::optional<IpAddress> ParseIpAddress(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  // inet_pton stops at a NUL, so "10.0.0.5\0junk" would pass as 10.0.0.5 (fuzz/url_fuzz).
  if (text.find('\0') != std::string_view::npos) return std::nullopt;
  std::string z(text);  // inet_pton needs a terminated string
  IpAddress a;
  if (::inet_pton(AF_INET, z.c_str(), a.bytes.data()) == 1) {
    a.family = AF_INET;
    return a;
  }
  if (::inet_pton(AF_INET6, z.c_str(), a.bytes.data()) == 1) {
    a.family = AF_INET6;
    return a;
  }
  return std::nullopt;
}

std::optional<IpAddress> IpAddressFromSockaddr(const sockaddr* sa) {
  IpAddress a;
  if (sa->sa_family == AF_INET) {
    sockaddr_in in;
    std::memcpy(&in, sa, sizeof(in));
    a.family = AF_INET;
    std::memcpy(a.bytes.data(), &in.sin_addr, 4);
    return a;
  }
  if (sa->sa_family == AF_INET6) {
    sockaddr_in6 in6;
    std::memcpy(&in6, sa, sizeof(in6));
    a.family = AF_INET6;
    std::memcpy(a.bytes.data(), &in6.sin6_addr, 16);
    return a;
  }
  return std::nullopt;
}

const char* NonPublicKind(const IpAddress& address) {
  IpAddress plain = address.Unmapped();
  if (plain.family == AF_INET) return Ipv4Kind(plain.bytes.data());
  const uint8_t* b = plain.bytes.data();
  // 6to4 (RFC 3056): 2002:AABB:CCDD::/48 is routed towards the IPv4 address AA.BB.CC.DD, so a
  // 6to4 address is as private as the address it carries.
  if (b[0] == 0x20 && b[1] == 0x02) {
    if (const char* kind = Ipv4Kind(b + 2)) return kind;
  }
  for (const KnownRange& r : kIpv6Ranges) {
    if (PrefixMatches(b, r.base.data(), r.prefix_bits)) return r.kind;
  }
  return nullptr;
}

Result<bool> IsNonPublicAddress(std::string_view address) {
  std::optional<IpAddress> parsed = ParseIpAddress(address);
  if (!parsed) {
    return Status::InvalidArgument(
        fmt::format("'{}' is not an IPv4 or IPv6 address literal", address));
  }
  return NonPublicKind(*parsed) != nullptr;
}

Result<AllowList> AllowList::Parse(const std::vector<std::string>& entries) {
  AllowList list;
  for (const std::string& entry : entries) {
    if (entry.empty()) return Status::InvalidArgument("fetch allow-list: empty entry");
    size_t slash = entry.find('/');
    std::string_view address_part = std::string_view(entry).substr(0, slash);
    std::optional<IpAddress> address = ParseIpAddress(address_part);
    if (slash == std::string::npos) {
      if (address) {
        list.ranges_.push_back({*address, address->family == AF_INET ? 32 : 128});
      } else {
        list.hosts_.push_back(AsciiLowered(entry));
      }
      continue;
    }
    std::string_view bits_text = std::string_view(entry).substr(slash + 1);
    int bits = -1;
    auto [end, ec] = std::from_chars(bits_text.data(), bits_text.data() + bits_text.size(), bits);
    int max_bits = address && address->family == AF_INET ? 32 : 128;
    if (!address || ec != std::errc() || end != bits_text.data() + bits_text.size() ||
        bits_text.empty() || bits < 0 || bits > max_bits) {
      return Status::InvalidArgument(
          fmt::format("fetch allow-list: '{}' is not a CIDR range like 10.1.0.0/16", entry));
    }
    list.ranges_.push_back({*address, bits});
  }
  return list;
}

bool AllowList::AllowsHost(std::string_view host) const {
  std::string lower = AsciiLowered(host);
  return std::find(hosts_.begin(), hosts_.end(), lower) != hosts_.end();
}

bool AllowList::AllowsAddress(const IpAddress& address) const {
  // An IPv4-mapped address reaches the same IPv4 host, so "127.0.0.1" also allows
  // ::ffff:127.0.0.1 (and a mapped entry allows the plain IPv4 address).
  IpAddress plain = address.Unmapped();
  for (const Range& r : ranges_) {
    IpAddress base = r.base.Unmapped();
    int bits = r.prefix_bits;
    if (base.family != r.base.family) bits = std::max(0, bits - 96);  // mapped entry
    if (base.family != plain.family) continue;
    if (PrefixMatches(plain.bytes.data(), base.bytes.data(), bits)) return true;
  }
  return false;
}

}  // namespace warden::http
