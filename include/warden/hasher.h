// The hasher: from file bytes to every signal Warden computes, through one of three
// pipelines that feed pixels to the PDQ core (PDQ.md, "Pipelines").
//
//   fullres  decode at full resolution, no resize (python-threatexchange, HMA); the default
//   cli512   decode; if a side is over 512 px, nearest-neighbour resize to exactly 512x512
//            (Meta's C++ pdq-photo-hasher)
//   fast     JPEG decoded at 1/2, 1/4 or 1/8 scale in the DCT domain; other formats as
//            fullres. Not bit-exact; within distance 10 of fullres on quality >= 80 images.
//
// Nothing is kept: the bytes and pixels live only for the call.
// Thread safety: HashImageBytes is reentrant; run it from as many threads as you like.
#ifndef WARDEN_HASHER_H_
#define WARDEN_HASHER_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "warden/image.h"
#include "warden/pdq.h"
#include "warden/signal.h"
#include "warden/status.h"

namespace warden {

enum class Pipeline { kFullres, kCli512, kFast };

// "fullres", "cli512", "fast".
const char* PipelineName(Pipeline pipeline);
// Errors: kInvalidArgument naming the input and the accepted names.
Result<Pipeline> ParsePipeline(std::string_view name);

// The fast pipeline's JPEG decode parameters, in one place so the benchmark that tunes them
// (bench/) and the hasher agree. See DecodeOptions for their meaning.
inline constexpr int kFastJpegScaleDenom = 8;  // 1/8 scale in the DCT domain
inline constexpr int kFastJpegMinSide = 128;   // never let a side drop below this (pixels)
inline constexpr bool kFastJpegFastDecode = true;

// The side of the square the cli512 pipeline squashes larger images to (pixels).
inline constexpr int kCli512Side = 512;

struct HashOptions {
  Pipeline pipeline = Pipeline::kFullres;
  bool dihedral = false;  // also compute the 8 dihedral PDQ hashes
  bool digests = true;    // also compute MD5, SHA-1 and SHA-256 of the bytes
  // Also extract the local-feature signal (warden/local_features.h) in its registration form:
  // the first kLocalStoredKeypoints keypoints. Off by default: it costs about 10 ms an image
  // (its own decode, whatever the pipeline). Uses decode.max_pixels.
  bool local = false;
  DecodeOptions decode;   // pixel limit; the fast pipeline sets the JPEG scaling itself
  // Fast pipeline only: JPEG DCT-domain scaling used instead of decode's JPEG fields. Defaults
  // are the tuned constants above; a benchmark may override them to explore.
  int fast_jpeg_scale_denom = kFastJpegScaleDenom;
  int fast_jpeg_min_side = kFastJpegMinSide;
  bool fast_jpeg_fast_decode = kFastJpegFastDecode;
};

struct HashRecord {
  ImageFormat format = ImageFormat::kUnknown;
  int width = 0;  // pixels as stored in the file
  int height = 0;
  // Size of the luma buffer the PDQ core saw (after DCT-domain scaling or the 512 squash).
  int hashed_width = 0;
  int hashed_height = 0;
  Pipeline pipeline = Pipeline::kFullres;
  PdqResult pdq;
  std::string md5, sha1, sha256;  // lower-case hex; empty when digests were not asked for
  // The local signal's value (hex of the stored form, see SignalType::kLocal); empty when not
  // asked for, or when the image gave no keypoints (under 32x32 or featureless).
  std::string local;
  int local_keypoints = 0;  // keypoints in `local`

  // Every signal computed: pdq (with its quality), then md5, sha1, sha256, local when present.
  std::vector<Signal> Signals() const;
};

// Decodes `bytes` and hashes them. Errors are DecodeImage's (kUnsupportedFormat,
// kTruncated, kCorruptData, kTooLarge).
Result<HashRecord> HashImageBytes(std::span<const uint8_t> bytes, const HashOptions& options);

}  // namespace warden

#endif  // WARDEN_HASHER_H_
