#include "src/http/http_router.h"

#include <array>
#include <cstdint>

#include "warden/status.h"

namespace warden::http {
namespace {

// Paths with more segments than this match no route (404): no Warden route is that deep.
constexpr size_t kMaxSegments = 32;

// Splits "/a/b" into {"a", "b"}; "/" into {""}. Returns false if over kMaxSegments.
template <typename Out>
bool SplitPath(std::string_view path, Out* out, size_t* count) {
  *count = 0;
  path.remove_prefix(1);  // the leading '/'
  for (;;) {
    if (*count == kMaxSegments) return false;
    const size_t slash = path.find('/');
    (*out)[(*count)++] = path.substr(0, slash);
    if (slash == std::string_view::npos) return true;
    path.remove_prefix(slash + 1);
  }
}

}  // namespace

void Router::Add(std::string method, std::string pattern, Handler handler, RouteOptions options) {
  WARDEN_CHECK(!pattern.empty() && pattern.front() == '/');
  RouteEntry entry;
  std::array<std::string_view, kMaxSegments> parts;
  size_t count = 0;
  WARDEN_CHECK(SplitPath(std::string_view(pattern), &parts, &count));
  for (size_t i = 0; i < count; ++i) {
    const std::string_view part = parts[i];
    RouteEntry::Segment segment;
    if (!part.empty() && part.front() == '{') {
      WARDEN_CHECK(part.size() > 2 && part.back() == '}');
      segment.capture = true;
      segment.text = std::string(part.substr(1, part.size() - 2));
    } else {
      WARDEN_CHECK(part.find('{') == std::string_view::npos &&
                   part.find('}') == std::string_view::npos);
      segment.text = std::string(part);
    }
    entry.segments.push_back(std::move(segment));
  }
  entry.method = std::move(method);
  entry.pattern = std::move(pattern);
  entry.handler = std::move(handler);
  entry.options = options;
  routes_.push_back(std::move(entry));
}

const RouteEntry* Router::Find(Request* request, bool* path_known, std::string* allow) const {
  *path_known = false;
  allow->clear();
  std::array<std::string_view, kMaxSegments> segments;
  size_t count = 0;
  // Percent-decoding happens per segment, so "/c/bank/a%2Fb" is one segment "a/b".
  std::vector<std::string> decoded;
  const std::string_view raw_path =
      std::string_view(request->target).substr(0, request->target.find('?'));
  if (raw_path.find('%') == std::string_view::npos) {
    if (!SplitPath(std::string_view(request->path), &segments, &count)) return nullptr;
  } else {
    std::array<std::string_view, kMaxSegments> raw;
    if (raw_path.empty() || !SplitPath(raw_path, &raw, &count)) return nullptr;
    decoded.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      auto d = PercentDecode(raw[i], /*plus_is_space=*/false);
      if (!d) return nullptr;
      decoded.push_back(std::move(*d));
      segments[i] = decoded.back();
    }
  }

  const bool head = request->method == "HEAD";
  const RouteEntry* best = nullptr;
  uint64_t best_key = 0;
  bool best_exact_method = false;
  bool has_get = false;
  bool has_head = false;
  for (const RouteEntry& route : routes_) {
    if (route.segments.size() != count) continue;
    uint64_t key = 0;
    bool match = true;
    for (size_t i = 0; i < count && match; ++i) {
      const RouteEntry::Segment& s = route.segments[i];
      if (s.capture) {
        match = !segments[i].empty();
      } else {
        match = segments[i] == s.text;
        key |= uint64_t{1} << (63 - i);
      }
    }
    if (!match) continue;
    *path_known = true;
    if (allow->find(route.method) == std::string::npos) {
      if (!allow->empty()) *allow += ", ";
      *allow += route.method;
    }
    has_get |= route.method == "GET";
    has_head |= route.method == "HEAD";
    const bool exact_method = route.method == request->method;
    if (!exact_method && !(head && route.method == "GET")) continue;
    // An explicit HEAD route beats the GET fallback; then specificity; then order.
    if (best == nullptr || (exact_method && !best_exact_method) ||
        (exact_method == best_exact_method && key > best_key)) {
      best = &route;
      best_key = key;
      best_exact_method = exact_method;
    }
  }
  if (has_get && !has_head) *allow += ", HEAD";
  if (best != nullptr) {
    for (size_t i = 0; i < count; ++i) {
      if (best->segments[i].capture) {
        request->path_params[best->segments[i].text] = std::string(segments[i]);
      }
    }
  }
  return best;
}

}  // namespace warden::http
