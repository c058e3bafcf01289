// `warden match [PATH...] [--hash TYPE:HEX ...] [--banks A,B] [--threshold N] [--dihedral]
//               [--local auto|on|off] [--local-min-score S] [--format text|json] [--db PATH]`:
// look images and hashes up in the banks.
//
// Each PATH is hashed with the fullres pipeline (PDQ with its quality, MD5, SHA-1, SHA-256;
// with --dihedral also the image's 8 exact dihedral PDQ hashes) and every signal is looked up
// (warden/matcher.h has the semantics). Its local features (the query form, up to
// kLocalQueryKeypoints keypoints) are extracted and looked up too with --local on, or with
// --local auto (the default) when the banks hold local signals. Each --hash is "pdq:HEX",
// "md5:HEX", "sha1:HEX", "sha256:HEX", "local:HEX" (a stored form) or 64 bare hex digits
// (PDQ); its quality is unknown, and with --dihedral its variants are derived from the bits
// (approximate). Inputs are answered in order: PATHs, then hashes.
//
// Output, per input:
//   text  "INPUT: match BANK item ID TYPE distance D [VARIANT] [classification, provenance]",
//         one line per match; a local match reads "... item ID local score S region
//         X0,Y0-X1,Y1 [...]" (the region in the input image's pixels), and a hash match that
//         local features confirmed adds "local score S region X0,Y0-X1,Y1" after its distance; "INPUT: no match" when nothing matched; a positive match that a
//         negative bank suppressed: "INPUT: suppressed by NEG item ID: BANK item ID ..."; a
//         negative bank's own match: "INPUT: negative BANK item ID ..."; and
//         "INPUT: note: ..." (e.g. PDQ quality under 50: not matched).
//   json  one object per line: {"input", "matched", "matches": [...], "negative": [...],
//         "suppressed": [...], "notes": [...]}; a match is {bank, bank_kind, item_id,
//         signal_type, signal, distance, dihedral, classification{...}, provenance{...}}, plus
//         {score, inliers, coverage, region{x0, y0, x1, y1}} when local features matched; a
//         local match has signal and distance null.
//
// Exit status: 0 when every input was looked up, WHETHER OR NOT anything matched (read the
// answer, not the status); 1 when an input could not be hashed (reported as
// "warden: PATH: REASON", the others are still answered) or the store failed or a --banks
// name is unknown; 2 for usage errors (a malformed --hash, a threshold outside 0..256,
// nothing to look up).
//
// Thread safety: one command per process.
#ifndef WARDEN_SRC_CLI_MATCH_COMMAND_H_
#define WARDEN_SRC_CLI_MATCH_COMMAND_H_

#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "warden/local_features.h"
#include "warden/pdq.h"

namespace warden {

struct MatchCommandOptions {
  std::string db = "warden.db";
  std::vector<std::string> paths;
  std::vector<std::string> hashes;
  std::vector<std::string> banks;  // empty = all
  int threshold = kPdqMatchThreshold;
  bool dihedral = false;
  bool raw = false;  // ignore disabled state, ratios and negative banks (HMA raw_lookup)
  std::string local = "auto";  // extract and look up local features: auto, on, off
  double local_min_score = kLocalDefaultMinScore;
  std::string format = "text";
};

// Registers `match` on `app`; parsed values land in *options. Returns the subcommand.
CLI::App* AddMatchCommand(CLI::App* app, MatchCommandOptions* options);

// Runs the command; returns the exit status (see above).
int RunMatchCommand(const MatchCommandOptions& options, std::FILE* out, std::FILE* err);

}  // namespace warden

#endif  // WARDEN_SRC_CLI_MATCH_COMMAND_H_
