#include "src/cli/output_format.h"

#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include "warden/local_features.h"

namespace warden {
namespace {

constexpr Dihedral kAllDihedral[kDihedralCount] = {
    Dihedral::kOriginal, Dihedral::kRot90, Dihedral::kRot180,    Dihedral::kRot270,
    Dihedral::kFlipX,    Dihedral::kFlipY, Dihedral::kFlipPlus1, Dihedral::kFlipMinus1};

std::string TextLine(std::string_view path, const HashRecord& r, bool dihedral, bool local) {
  std::string line = fmt::format("{},{}", r.pdq.hash.ToHex(), r.pdq.quality);
  if (dihedral) {
    // The orig variant equals the hash already printed, so it is not repeated.
    for (int d = 1; d < kDihedralCount; ++d) {
      line += ',';
      line += r.pdq.dihedral[d].ToHex();
    }
  }
  if (local) {
    // Tagged, so the field cannot be taken for a dihedral hash; the path stays last.
    line += ",local:";
    line += r.local;
  }
  line += ',';
  line += path;
  line += '\n';
  return line;
}

std::string CsvLine(std::string_view path, const HashRecord& r, bool dihedral, bool local) {
  std::string line =
      fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{}", CsvField(path), r.pdq.hash.ToHex(),
                  r.pdq.quality, r.md5, r.sha1, r.sha256, r.width, r.height,
                  ImageFormatName(r.format), PipelineName(r.pipeline), kPdqAlgorithm,
                  kPdqAlgorithmVersion, r.pdq.too_small ? "true" : "false");
  if (dihedral) {
    for (int d = 0; d < kDihedralCount; ++d) {
      line += ',';
      line += r.pdq.dihedral[d].ToHex();
    }
  }
  if (local) line += fmt::format(",{},{}", r.local, r.local_keypoints);
  line += '\n';
  return line;
}

std::string JsonLine(std::string_view path, const HashRecord& r, bool dihedral, bool local) {
  // ordered_json keeps the documented field order, which makes the output easy to read.
  nlohmann::ordered_json j;
  j["path"] = std::string(path);
  j["pdq"] = r.pdq.hash.ToHex();
  j["quality"] = r.pdq.quality;
  j["md5"] = r.md5;
  j["sha1"] = r.sha1;
  j["sha256"] = r.sha256;
  j["width"] = r.width;
  j["height"] = r.height;
  j["format"] = ImageFormatName(r.format);
  j["pipeline"] = PipelineName(r.pipeline);
  j["algorithm"] = std::string(kPdqAlgorithm);
  j["algorithm_version"] = kPdqAlgorithmVersion;
  j["too_small"] = r.pdq.too_small;
  if (dihedral) {
    nlohmann::ordered_json d;
    for (Dihedral v : kAllDihedral)
      d[DihedralName(v)] = r.pdq.dihedral[static_cast<int>(v)].ToHex();
    j["dihedral"] = std::move(d);
  }
  if (local) {
    // null, not "", when the image gave no keypoints: "" is not a valid local value.
    j["local"] = r.local.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(r.local);
    j["local_keypoints"] = r.local_keypoints;
    j["local_algorithm"] = std::string(kLocalAlgorithm);
    j["local_algorithm_version"] = kLocalAlgorithmVersion;
  }
  // File names are bytes, not necessarily UTF-8: replace invalid sequences instead of
  // throwing, so one odd name never stops a run.
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace

const char* OutputFormatName(OutputFormat format) {
  switch (format) {
    case OutputFormat::kText: return "text";
    case OutputFormat::kCsv: return "csv";
    case OutputFormat::kJson: return "json";
  }
  return "text";
}

Result<OutputFormat> ParseOutputFormat(std::string_view name) {
  for (OutputFormat f : {OutputFormat::kText, OutputFormat::kCsv, OutputFormat::kJson}) {
    if (name == OutputFormatName(f)) return f;
  }
  return Status::InvalidArgument(
      fmt::format("unknown format \"{}\" (expected text, csv or json)", name.substr(0, 32)));
}

bool OutputFormatHasDigests(OutputFormat format) { return format != OutputFormat::kText; }

std::string OutputHeader(OutputFormat format, bool dihedral, bool local) {
  if (format != OutputFormat::kCsv) return "";
  std::string header =
      "path,pdq,quality,md5,sha1,sha256,width,height,format,pipeline,algorithm,"
      "algorithm_version,too_small";
  if (dihedral) {
    for (Dihedral v : kAllDihedral) {
      header += ",pdq_";
      header += DihedralName(v);
    }
  }
  if (local) header += ",local,local_keypoints";
  header += '\n';
  return header;
}

std::string FormatRecord(OutputFormat format, std::string_view path, const HashRecord& record,
                         bool dihedral, bool local) {
  WARDEN_CHECK(!dihedral || record.pdq.has_dihedral);
  switch (format) {
    case OutputFormat::kText: return TextLine(path, record, dihedral, local);
    case OutputFormat::kCsv: return CsvLine(path, record, dihedral, local);
    case OutputFormat::kJson: return JsonLine(path, record, dihedral, local);
  }
  return TextLine(path, record, dihedral, local);
}

std::string CsvField(std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(field);
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace warden
