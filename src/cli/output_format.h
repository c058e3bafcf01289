// Output formats of `warden hash`: one line per hashed file, in text, CSV or JSON.
//
//   text  "pdqhex,quality,path", exactly as Meta's pdq-photo-hasher prints it. With
//         --dihedral: "pdqhex,quality,rot90,rot180,rot270,flipx,flipy,flipplus1,flipminus1,path"
//         (pdqhex is also the orig variant); the path stays last so a path holding commas
//         still parses by splitting on the first commas. With --local, the field
//         "local:<hex>" comes just before the path ("local:" alone when the image gave no
//         keypoints); `warden bank import` reads "pdqhex,quality,local:<hex>,path" lines.
//   csv   RFC 4180; a header row (CsvHeader) first, then one row per file. Columns: path, pdq,
//         quality, md5, sha1, sha256, width, height, format, pipeline, algorithm,
//         algorithm_version, too_small, then the 8 dihedral hashes when asked, then local
//         (the local signal's hex, empty when no keypoints) and local_keypoints with --local.
//   json  one object per line (JSON Lines): path, pdq, quality, md5, sha1, sha256, width,
//         height, format, pipeline, algorithm "pdq", algorithm_version, too_small, and a
//         "dihedral" object {orig, rot90, ...} when asked; with --local, local (hex, or null
//         when no keypoints), local_keypoints, local_algorithm, local_algorithm_version.
//         Paths that are not valid UTF-8
//         have their bad bytes replaced by U+FFFD.
//
// Thread safety: pure functions.
#ifndef WARDEN_SRC_CLI_OUTPUT_FORMAT_H_
#define WARDEN_SRC_CLI_OUTPUT_FORMAT_H_

#include <string>
#include <string_view>

#include "warden/hasher.h"
#include "warden/status.h"

namespace warden {

enum class OutputFormat { kText, kCsv, kJson };

// "text", "csv", "json".
const char* OutputFormatName(OutputFormat format);
// Errors: kInvalidArgument naming the input and the accepted names.
Result<OutputFormat> ParseOutputFormat(std::string_view name);

// Whether the format prints MD5, SHA-1 and SHA-256 (text does not, so they are not computed).
bool OutputFormatHasDigests(OutputFormat format);

// The header line (with "\n") for CSV; empty for the other formats.
std::string OutputHeader(OutputFormat format, bool dihedral, bool local = false);

// One record as one line, ending in "\n". `path` is printed as given ("-" for stdin).
// `local`: print the local signal (record.local) too.
// REQUIRES: when `dihedral`, record.pdq.has_dihedral.
std::string FormatRecord(OutputFormat format, std::string_view path, const HashRecord& record,
                         bool dihedral, bool local = false);

// `field` quoted for CSV when it holds a comma, quote, CR or LF (quotes doubled).
std::string CsvField(std::string_view field);

}  // namespace warden

#endif  // WARDEN_SRC_CLI_OUTPUT_FORMAT_H_
