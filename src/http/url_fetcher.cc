#include "src/http/url_fetcher.h"

#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <system_error>
#include <thread>

#include <fmt/core.h>

#include "src/http/fetch_connection.h"
#include "src/http/fetch_response.h"
#include "src/http/url_address.h"
#include "src/http/url_parse.h"

namespace warden::http {
namespace {

// getaddrinfo has no timeout of its own. It runs on a detached thread that owns its half of a
// shared state, so that a fetch whose deadline passes can return at once while the lookup ends
// on its own later.
struct Lookup {
  std::mutex mu;
  std::condition_variable done_cv;
  bool done = false;
  int error = 0;
  std::vector<IpAddress> addresses;
};

Result<std::vector<IpAddress>> Resolve(const std::string& host, const FetchDeadline& deadline) {
  if (std::optional<IpAddress> literal = ParseIpAddress(host)) {
    return std::vector<IpAddress>{*literal};
  }
  auto lookup = std::make_shared<Lookup>();
  try {
    std::thread([lookup, host] {
      addrinfo hints{};
      hints.ai_family = AF_UNSPEC;
      hints.ai_socktype = SOCK_STREAM;
      addrinfo* list = nullptr;
      int error = ::getaddrinfo(host.c_str(), nullptr, &hints, &list);
      std::vector<IpAddress> addresses;
      for (addrinfo* ai = list; error == 0 && ai != nullptr; ai = ai->ai_next) {
        std::optional<IpAddress> a = IpAddressFromSockaddr(ai->ai_addr);
        if (a && std::find(addresses.begin(), addresses.end(), *a) == addresses.end()) {
          addresses.push_back(*a);
        }
      }
      if (list != nullptr) ::freeaddrinfo(list);
      std::lock_guard<std::mutex> lock(lookup->mu);
      lookup->error = error;
      lookup->addresses = std::move(addresses);
      lookup->done = true;
      lookup->done_cv.notify_all();
    }).detach();
  } catch (const std::system_error& e) {
    return Status::Unavailable(fmt::format("cannot start the name lookup: {}", e.what()));
  }
  std::unique_lock<std::mutex> lock(lookup->mu);
  if (!lookup->done_cv.wait_for(lock, std::chrono::milliseconds(deadline.RemainingMs()),
                                [&] { return lookup->done; })) {
    return deadline.TimedOut(fmt::format("resolving '{}'", host));
  }
  if (lookup->error != 0) {
    return Status::Unavailable(
        fmt::format("cannot resolve host '{}': {}", host, ::gai_strerror(lookup->error)));
  }
  if (lookup->addresses.empty()) {
    return Status::Unavailable(fmt::format("host '{}' has no IPv4 or IPv6 address", host));
  }
  return std::move(lookup->addresses);
}

// Every address must be public or allowed: a host that answers with one private address among
// public ones is refused as a whole rather than filtered, since such an answer is what a
// rebinding attack looks like.
Status CheckAddresses(const std::string& host, const std::vector<IpAddress>& addresses,
                      const AllowList& allow) {
  if (allow.AllowsHost(host)) return Status::Ok();
  for (const IpAddress& a : addresses) {
    const char* kind = NonPublicKind(a);
    if (kind != nullptr && !allow.AllowsAddress(a)) {
      return Status::PermissionDenied(
          fmt::format("address {} of host '{}' is {} and not on the fetch allow-list", a.ToString(),
                      host, kind));
    }
  }
  return Status::Ok();
}

struct Hop {
  FetchResponseHead head;
  std::string body;  // only for 2xx answers
};

// One request and its answer. Redirects and errors are the caller's.
Result<Hop> FetchOne(const ParsedUrl& url, const FetchOptions& options, const AllowList& allow,
                     const FetchDeadline& deadline) {
  WARDEN_ASSIGN_OR_RETURN(std::vector<IpAddress> addresses, Resolve(url.host, deadline));
  WARDEN_RETURN_IF_ERROR(CheckAddresses(url.host, addresses, allow));
  WARDEN_ASSIGN_OR_RETURN(std::unique_ptr<FetchConnection> conn,
                          FetchConnection::Open(addresses, url.port, deadline));
  if (url.scheme == "https") {
    WARDEN_RETURN_IF_ERROR(conn->StartTls(url.host, options.ca_file, deadline));
  }
  std::string origin = UrlOrigin(url);
  std::string host_header = origin.substr(origin.find("://") + 3);
  std::string request = fmt::format(
      "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: {}\r\nAccept: */*\r\nConnection: close\r\n\r\n",
      url.target, host_header, options.user_agent);
  WARDEN_RETURN_IF_ERROR(conn->WriteAll(request, deadline));

  FetchResponseReader reader(*conn, deadline);
  Hop hop;
  WARDEN_ASSIGN_OR_RETURN(hop.head, reader.ReadHead());
  if (hop.head.status >= 200 && hop.head.status < 300) {
    WARDEN_ASSIGN_OR_RETURN(hop.body, reader.ReadBody(hop.head, options.max_bytes));
  }
  return hop;
}

bool IsRedirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

}  // namespace

UrlFetcher::UrlFetcher(FetchOptions options) : options_(std::move(options)) {}

UrlFetcher::~UrlFetcher() = default;

Result<FetchResult> UrlFetcher::Fetch(std::string_view url) const {
  FetchDeadline deadline(options_.timeout_ms);
  std::string first = UrlForMessage(url);
  std::string current(url);
  // "fetch URL: reason", and "fetch URL (redirected to URL2): reason" after a redirect.
  auto context = [&] {
    std::string here = UrlForMessage(current);
    return here == first ? "fetch " + first
                         : fmt::format("fetch {} (redirected to {})", first, here);
  };
  if (options_.user_agent.find_first_of("\r\n") != std::string::npos) {
    return Status::InvalidArgument("the fetch User-Agent contains a line break")
        .WithContext(context());
  }
  Result<AllowList> allow = AllowList::Parse(options_.allow_list);
  if (!allow.ok()) return allow.status().WithContext(context());

  for (int redirects = 0;; ++redirects) {
    Result<ParsedUrl> parsed = ParseHttpUrl(current);
    if (!parsed.ok()) return parsed.status().WithContext(context());
    Result<Hop> hop = FetchOne(*parsed, options_, *allow, deadline);
    if (!hop.ok()) return hop.status().WithContext(context());
    const FetchResponseHead& head = hop->head;
    if (head.status >= 200 && head.status < 300) {
      FetchResult result;
      result.final_url = current;
      result.content_type = head.content_type;
      result.body = std::move(hop->body);
      return result;
    }
    if (!IsRedirect(head.status)) {
      std::string reason = head.reason.empty() ? "" : " " + head.reason;
      return Status::Unavailable(fmt::format("the server answered {}{}", head.status, reason))
          .WithContext(context());
    }
    if (head.location.empty()) {
      return Status::Unavailable(
                 fmt::format("the server answered {} without a Location", head.status))
          .WithContext(context());
    }
    Result<std::string> next = ResolveUrlReference(*parsed, head.location);
    if (!next.ok()) return next.status().WithContext(context());
    if (redirects >= options_.max_redirects) {
      return Status::Unavailable(fmt::format("more than {} redirects (the next to {})",
                                             options_.max_redirects, UrlForMessage(*next)))
          .WithContext(context());
    }
    current = std::move(*next);
  }
}

}  // namespace warden::http
