// How a request carries an image to hash, and hashing it (in memory only: nothing is written to
// disk, and the bytes are dropped when the request ends).
//
//   ?url=URL           fetched through the guarded UrlFetcher (http(s) only, no private
//                      addresses unless allow-listed, size and time caps)
//   multipart upload   HMA style: exactly one file part, its field name is the content type
//                      ("photo"); Warden style: the first part with a filename, or one named
//                      photo / image / file
//   raw body           Warden style only: any non-multipart body is the image itself
//
// Thread safety: reentrant (the fetcher and hasher are).
#ifndef WARDEN_SRC_SERVER_UPLOAD_H_
#define WARDEN_SRC_SERVER_UPLOAD_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/http/http_message.h"
#include "src/http/multipart.h"
#include "src/server/service_context.h"
#include "warden/hasher.h"
#include "warden/local_features.h"

namespace warden {

enum class UploadStyle { kHma, kWarden };

struct HashedUpload {
  std::optional<HashRecord> record;  // set on success
  http::Response error;              // the answer to send when !record
  std::vector<http::FormPart> parts;  // every multipart part (e.g. a "metadata" field)
  std::string source;                 // "upload", "body" or "url" (for the audit detail)
  // Local features of the image, when asked for (local_keypoints > 0) and extracted; else
  // null with the reason in local_status (the caller decides whether that fails the request).
  std::shared_ptr<const LocalFeatures> local;
  Status local_status;
};

// Finds the image in `request` (see above) and hashes it with `options`. With
// local_keypoints > 0 (1..2000) it also extracts that many local features at most
// (kLocalQueryKeypoints for a query, kLocalStoredKeypoints for the stored form), from the same
// bytes and with options.decode's pixel limit; more than kLocalStoredKeypoints asks for a
// query's enlarged view of a small image too.
// Errors become `error`: 400 bad_request (no image, several files, unknown field name),
// 400 not_an_image, 413 image_too_large, 403 url_refused, 502 fetch_failed.
HashedUpload HashFromRequest(const ServiceContext& ctx, const http::Request& request,
                             UploadStyle style, const HashOptions& options,
                             int local_keypoints = 0);

// The hash options a request asks for: the config's, overridden by ?pipeline= and ?dihedral=.
// Errors: kInvalidArgument naming the parameter.
Result<HashOptions> HashOptionsFor(const ServiceContext& ctx, const http::Request& request);

}  // namespace warden

#endif  // WARDEN_SRC_SERVER_UPLOAD_H_
