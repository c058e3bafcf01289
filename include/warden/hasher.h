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

struct HashOptions {
  Pipeline pipeline = Pipeline::kFullres;
  bool dihedral = false;  // also compute the 8 dihedral PDQ hashes
  bool digests = true;    // also compute MD5, SHA-1 and SHA-256 of the bytes
  DecodeOptions decode;   // pixel limit; the fast pipeline sets the JPEG scaling itself
};

struct HashRecord {
  ImageFormat format = ImageFormat::kUnknown;
  int width = 0;   // pixels as stored in the file
  int height = 0;
  Pipeline pipeline = Pipeline::kFullres;
  PdqResult pdq;
  std::string md5, sha1, sha256;  // lower-case hex; empty when digests were not asked for

  // Every signal computed: pdq (with its quality), then md5, sha1, sha256 when present.
  std::vector<Signal> Signals() const;
};

// Decodes `bytes` and hashes them. Errors are DecodeImage's (kUnsupportedFormat,
// kTruncated, kCorruptData, kTooLarge).
Result<HashRecord> HashImageBytes(std::span<const uint8_t> bytes, const HashOptions& options);

}  // namespace warden

#endif  // WARDEN_HASHER_H_
