#include "src/server/upload.h"

#include <fmt/core.h>

#include "src/server/api_support.h"

namespace warden {
namespace {

HashedUpload Fail(http::Response response) {
  HashedUpload out;
  out.error = std::move(response);
  return out;
}

}  // namespace

Result<HashOptions> HashOptionsFor(const ServiceContext& ctx, const http::Request& request) {
  HashOptions options = ctx.hash_options;
  if (std::optional<std::string> p = request.Query("pipeline")) {
    WARDEN_ASSIGN_OR_RETURN(options.pipeline, ParsePipeline(*p));
  }
  WARDEN_ASSIGN_OR_RETURN(options.dihedral, QueryBool(request, "dihedral", options.dihedral));
  return options;
}

HashedUpload HashFromRequest(const ServiceContext& ctx, const http::Request& request,
                             UploadStyle style, const HashOptions& options, int local_keypoints) {
  HashedUpload out;
  std::string_view bytes;
  std::string fetched;  // owns a fetched body for the duration of the hashing

  if (std::optional<std::string> url = request.Query("url")) {
    if (ctx.fetcher == nullptr) return Fail(http::ErrorResponse(403, "url_refused", "URL hashing is off"));
    Result<http::FetchResult> got = ctx.fetcher->Fetch(*url);
    if (!got.ok()) return Fail(ErrorFromStatus(got.status(), ErrorDomain::kFetch));
    fetched = std::move(got->body);
    bytes = fetched;
    out.source = "url";
  } else {
    std::optional<std::string_view> content_type = request.headers.Get("content-type");
    std::optional<std::string> boundary =
        content_type ? http::MultipartBoundary(*content_type) : std::nullopt;
    if (boundary) {
      Result<std::vector<http::FormPart>> parts = http::ParseMultipart(request.body, *boundary);
      if (!parts.ok()) return Fail(ErrorFromStatus(parts.status()));
      out.parts = std::move(*parts);
      const http::FormPart* file = nullptr;
      if (style == UploadStyle::kHma) {
        // HMA: every file part's field name is a content type; exactly one file per request.
        int files = 0;
        for (const http::FormPart& part : out.parts) {
          if (part.filename.empty() && part.name != "photo") continue;
          ++files;
          if (part.name != "photo") {
            return Fail(BadRequest(fmt::format("no such content_type: '{}' (use 'photo')", part.name)));
          }
          file = &part;
        }
        if (files > 1) return Fail(BadRequest("only one file allowed per request"));
      } else {
        for (const http::FormPart& part : out.parts) {
          if (!part.filename.empty() || part.name == "photo" || part.name == "image" ||
              part.name == "file") {
            file = &part;
            break;
          }
        }
      }
      if (file == nullptr) return Fail(BadRequest("missing multipart/form-data file upload"));
      bytes = file->data;
      out.source = "upload";
    } else if (style == UploadStyle::kWarden && !request.body.empty()) {
      bytes = request.body;
      out.source = "body";
    } else {
      return Fail(BadRequest(style == UploadStyle::kHma
                                 ? "missing multipart/form-data file upload (field 'photo') or url"
                                 : "no image: send it as the body, as a multipart file, or ?url="));
    }
  }
  if (bytes.empty()) return Fail(http::ErrorResponse(400, "not_an_image", "the image is empty (0 bytes)"));

  const std::span<const uint8_t> image(reinterpret_cast<const uint8_t*>(bytes.data()),
                                      bytes.size());
  Result<HashRecord> record = HashImageBytes(image, options);
  if (!record.ok()) return Fail(ErrorFromStatus(record.status(), ErrorDomain::kImage));
  out.record = std::move(*record);
  if (local_keypoints > 0) {
    // A second decode, on purpose: the extractor decodes JPEG at the reduced DCT scale its
    // detector needs, which costs less than sharing the hasher's full-resolution pixels.
    LocalExtractOptions local_options;
    local_options.max_keypoints = local_keypoints;
    // A query (more keypoints than a registered form keeps) of a small image also gets the
    // enlarged view, and one with text across it the overlay-removed view
    // (warden/local_features.h).
    local_options.enlarged_view = local_keypoints > kLocalStoredKeypoints;
    local_options.overlay_view = local_options.enlarged_view;
    Result<LocalFeatures> features =
        ExtractLocalFeaturesFromBytes(image, local_options, options.decode);
    if (features.ok()) {
      out.local = std::make_shared<const LocalFeatures>(std::move(*features));
    } else {
      out.local_status = features.status();
    }
  }
  return out;
}

}  // namespace warden
