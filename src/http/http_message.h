// HTTP/1.1 messages as Warden's server and client see them: a request (method, path, decoded
// query parameters, headers, body) and a response (status, headers, body). Plain value types;
// parsing and serialising live in http_parser.h / http_server.cc.
//
// Header names are compared case-insensitively (RFC 9110); they are stored lower-cased.
//
// Thread safety: value types only.
#ifndef WARDEN_SRC_HTTP_HTTP_MESSAGE_H_
#define WARDEN_SRC_HTTP_HTTP_MESSAGE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace warden::http {

// Header fields in arrival order; names lower-cased. A name may repeat.
class Headers {
 public:
  // Appends a field; `name` is lower-cased.
  void Add(std::string_view name, std::string_view value);
  // Replaces every field named `name` with one field.
  void Set(std::string_view name, std::string_view value);
  // The first value of `name` (any case), or nullopt.
  std::optional<std::string_view> Get(std::string_view name) const;
  bool Has(std::string_view name) const { return Get(name).has_value(); }
  // Removes every field (the server reuses one Headers per connection).
  void Clear() { fields_.clear(); }
  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }
  size_t size() const { return fields_.size(); }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

struct Request {
  std::string method;  // "GET", "POST", ... as sent (upper case by convention)
  std::string target;  // the request-target as sent, e.g. "/m/lookup?signal=ab"
  std::string path;    // percent-decoded path without the query, e.g. "/c/bank/MY_BANK"
  // Query parameters, percent-decoded ('+' = space); a repeated name keeps every value in order.
  std::multimap<std::string, std::string> query;
  Headers headers;
  std::string body;  // the whole body (Content-Length or de-chunked)
  std::string remote_address;  // peer IP as text, e.g. "127.0.0.1"
  // Path parameters captured by the router (e.g. {"name": "MY_BANK"}); set before a handler runs.
  std::map<std::string, std::string> path_params;

  // The first value of query parameter `name`, or nullopt.
  std::optional<std::string> Query(std::string_view name) const;
  // The path parameter `name` ("" if absent).
  const std::string& PathParam(const std::string& name) const;
};

struct Response {
  int status = 200;
  Headers headers;   // Content-Length, Connection and Date are added by the server
  std::string body;

  // A response with `body` and Content-Type `content_type`.
  static Response Text(int status, std::string body,
                       std::string_view content_type = "text/plain; charset=utf-8");
  static Response Json(int status, std::string json_body);
};

// Warden's one JSON error shape, used by the server for its own errors (400, 404, 405, 408,
// 413, 431, 503) and by every handler:
//   {"error": {"code": "<stable snake_case code>", "message": "<what was wrong>"}}
// with Content-Type application/json.
Response ErrorResponse(int status, std::string_view code, std::string_view message);

// The reason phrase of a status code ("OK", "Not Found", ...; "Unknown" otherwise).
const char* ReasonPhrase(int status);

// Percent-decodes `in` ('+' becomes a space iff plus_is_space). Returns nullopt on a bad escape
// (a '%' not followed by two hex digits).
std::optional<std::string> PercentDecode(std::string_view in, bool plus_is_space);
// Percent-encodes everything but unreserved characters (RFC 3986 ALPHA DIGIT - . _ ~).
std::string PercentEncode(std::string_view in);

}  // namespace warden::http

#endif  // WARDEN_SRC_HTTP_HTTP_MESSAGE_H_
