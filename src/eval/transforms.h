// The transforms `warden eval` applies to corpus photos to make queries: the table of
// issue 5 (re-encode, resize, crop, geometry, colour, filter, overlay, border/embed,
// regeneration, chains) and Thorn's ten from the perception benchmark, each a named list of
// steps (src/eval/transform_steps.h) in one family.
//
// A query always ends as file bytes, as an upload would: the last step's JPEG or WebP when the
// transform ends by encoding, else a lossless PNG of the pixels.
//
// Thread safety: the table is immutable; ApplyTransform is reentrant.
#ifndef WARDEN_SRC_EVAL_TRANSFORMS_H_
#define WARDEN_SRC_EVAL_TRANSFORMS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <opencv2/core.hpp>

#include "src/eval/transform_steps.h"
#include "warden/status.h"

namespace warden::eval {

struct TransformSpec {
  std::string name;         // e.g. "jpeg50", "regen_inpaint_40", "thorn_rotate4"
  std::string family;       // e.g. "re-encode", "regeneration", "thorn"
  std::string description;  // one line for the report
  std::vector<Step> steps;
};

// Every transform, grouped by family in the order, Thorn's ten last.
const std::vector<TransformSpec>& AllTransforms();
// The families in table order.
std::vector<std::string> TransformFamilies();
// A comma-separated list of transform names and family names, or "all". Keeps table order and
// drops repeats. Errors: kInvalidArgument naming an unknown entry.
Result<std::vector<const TransformSpec*>> SelectTransforms(std::string_view list);

// A finished query.
struct Query {
  std::vector<uint8_t> bytes;  // the file
  std::string format;          // "jpeg", "webp" or "png"
  cv::Mat pixels;              // the pixels a PNG was made of; empty when a lossy step encoded
  cv::Mat mask;                // regeneration mask in the final geometry, or empty
  double mask_fraction = 0;    // asked regeneration area (0 when none)
  // The picture holds pixels of TransformContext::donor (a collage, a texture fill): the query
  // and the donor's reference are then not unrelated images.
  bool used_donor = false;
};

// Runs `spec` on `source` (8-bit BGR). Errors: a step's (an encoder OpenCV refused, bytes that
// do not decode) or kInternal for an OpenCV exception, with the transform's name.
Result<Query> ApplyTransform(const TransformSpec& spec, const cv::Mat& source,
                             const TransformContext& ctx);

}  // namespace warden::eval

#endif  // WARDEN_SRC_EVAL_TRANSFORMS_H_
