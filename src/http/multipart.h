// multipart/form-data (RFC 7578) parsing: how HMA's clients (and browsers) upload an image,
// e.g. `curl -F photo=@x.jpg`. The parts are views into the request body: nothing is copied and
// nothing is written anywhere.
//
// Thread safety: reentrant functions only.
#ifndef WARDEN_SRC_HTTP_MULTIPART_H_
#define WARDEN_SRC_HTTP_MULTIPART_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "warden/status.h"

namespace warden::http {

struct FormPart {
  std::string name;          // the Content-Disposition name parameter
  std::string filename;      // the filename parameter ("" if none)
  std::string content_type;  // the part's Content-Type ("" if none)
  std::string_view data;     // the part's bytes (a view into the body passed in)
};

// The boundary parameter of a multipart/form-data Content-Type, or nullopt if `content_type`
// is not multipart/form-data or has no (valid, 1..70 characters) boundary.
std::optional<std::string> MultipartBoundary(std::string_view content_type);

// Splits `body` into its parts. `body` must outlive the result.
// Errors: kInvalidArgument naming the problem ("multipart: no closing boundary", "multipart:
// part 2 has no Content-Disposition name", more than `max_parts` parts, ...).
Result<std::vector<FormPart>> ParseMultipart(std::string_view body, std::string_view boundary,
                                             int max_parts = 64);

}  // namespace warden::http

#endif  // WARDEN_SRC_HTTP_MULTIPART_H_
