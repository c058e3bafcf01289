// Router: maps a method and a request path to a registered route (HttpServer's routing rules):
// patterns are literal segments and `{name}` captures of one whole, non-empty segment; exact
// segments beat captures (compared from the first segment on); among equal patterns the first
// added wins; HEAD falls back to the GET route. Internal to warden_http.
//
// Thread safety: Add() before use; Find() is const and may run on many threads at once.
#ifndef WARDEN_SRC_HTTP_HTTP_ROUTER_H_
#define WARDEN_SRC_HTTP_HTTP_ROUTER_H_

#include <string>
#include <string_view>
#include <vector>

#include "src/http/http_server.h"

namespace warden::http {

struct RouteEntry {
  std::string method;
  std::string pattern;
  struct Segment {
    std::string text;  // the literal, or the capture's name
    bool capture = false;
  };
  std::vector<Segment> segments;
  Handler handler;
  RouteOptions options;
};

class Router {
 public:
  // REQUIRES: `pattern` starts with '/' and every '{' opens a whole-segment "{name}" capture.
  void Add(std::string method, std::string pattern, Handler handler, RouteOptions options);

  // The route for request->method and request->path (with the raw path taken from
  // request->target, so that an escaped '/' stays inside its segment), filling
  // request->path_params; nullptr if none. Then *path_known says whether some route has this
  // path (405 rather than 404), and *allow lists its methods ("GET, HEAD, POST").
  const RouteEntry* Find(Request* request, bool* path_known, std::string* allow) const;

  bool empty() const { return routes_.empty(); }

 private:
  std::vector<RouteEntry> routes_;
};

}  // namespace warden::http

#endif  // WARDEN_SRC_HTTP_HTTP_ROUTER_H_
