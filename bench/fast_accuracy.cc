// fast_accuracy: how far the `fast` pipeline's PDQ hashes land from `fullres` (issue 2, item 2).
//
//   fast_accuracy [--manifest FILE | --dir DIR] [--min-quality Q] [--target-pct P]
//                 [--max-allowed D] [--denom N] [--min-side PX] [--fast-decode 0|1] [--sweep]
//                 [--worst K] [--min-image-side PX]
//
// --manifest (default /work/corpus/manifest.tsv, from ../shared/scripts/build-corpus.sh) takes
// the rows with photo=1 and distinct=1; --dir takes every file under DIR. For every JPEG whose
// fullres PDQ quality is >= Q (default 80) it prints the distribution of the Hamming distance
// between the fast and fullres hashes. Other formats are checked to hash identically in both
// pipelines (fast decodes them at full resolution by design). --min-image-side counts only
// JPEGs whose sides are all at least that many pixels.
//
// Exit status 0 when at least P% (default 99) of those JPEGs land within distance 10, none is
// further than D (default 20) and no non-JPEG differs; 1 otherwise; 2 on a usage error.
// --sweep instead prints one summary line per candidate tuning (scale denominator, minimum side,
// with --fast-decode as given) with its accuracy and CPU time, to choose the constants in
// warden/hasher.h.
#include <fmt/core.h>
#include <time.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "warden/file_bytes.h"
#include "warden/hasher.h"

namespace warden::bench {
namespace {

constexpr int kMetaDistance = 10;  // Meta's rule for another decoder (PDQ.md)

struct Settings {
  std::string manifest = "/work/corpus/manifest.tsv";
  std::string dir;
  int min_quality = 80;
  double target_pct = 99.0;
  int max_allowed = 20;
  int denom = kFastJpegScaleDenom;
  int min_side = kFastJpegMinSide;
  bool fast_decode = kFastJpegFastDecode;
  bool sweep = false;
  int worst = 10;
  // Only JPEGs whose both sides are at least this many pixels count (0: all).
  int min_image_side = 0;
};

struct Sample {
  std::string path;
  std::vector<uint8_t> bytes;
  ImageFormat format = ImageFormat::kUnknown;
  int width = 0, height = 0;
  PdqResult fullres;
};

struct Tuning {
  int denom;
  int min_side;
  bool fast_decode;
};

struct Outcome {
  std::vector<int> distances;  // one per JPEG with fullres quality >= min_quality
  std::vector<std::pair<int, const Sample*>> worst;
  int within = 0;        // distance <= kMetaDistance
  int over_allowed = 0;  // distance > max_allowed
  int max_distance = 0;
  int other_format_diffs = 0;  // non-JPEGs whose fast hash differs from fullres
  double fast_cpu_s = 0;       // fast hashing of every JPEG (any quality)
  double pct() const {
    return distances.empty() ? 100.0 : 100.0 * within / static_cast<double>(distances.size());
  }
};

double ProcessCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec * 1e-9;
}

std::vector<std::string> Split(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream in(line);
  std::string field;
  while (std::getline(in, field, '\t')) out.push_back(field);
  return out;
}

// Paths of the photo=1, distinct=1 rows, made absolute against the manifest's directory.
Result<std::vector<std::string>> ManifestPaths(const std::string& manifest) {
  std::ifstream in(manifest);
  if (!in) return Status::NotFound("cannot open " + manifest);
  std::string line;
  std::getline(in, line);
  const std::vector<std::string> header = Split(line);
  auto column = [&](const std::string& name) -> int {
    auto it = std::find(header.begin(), header.end(), name);
    return it == header.end() ? -1 : static_cast<int>(it - header.begin());
  };
  const int path = column("path"), photo = column("photo"), distinct = column("distinct");
  if (path < 0 || photo < 0 || distinct < 0) {
    return Status::InvalidArgument(manifest + ": no path, photo or distinct column");
  }
  const std::filesystem::path root = std::filesystem::path(manifest).parent_path();
  std::vector<std::string> out;
  while (std::getline(in, line)) {
    const std::vector<std::string> f = Split(line);
    const size_t need = static_cast<size_t>(std::max({path, photo, distinct}));
    if (f.size() <= need || f[photo] != "1" || f[distinct] != "1") continue;
    out.push_back((root / f[path]).string());
  }
  return out;
}

std::vector<std::string> DirPaths(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir, ec)) {
    if (entry.is_regular_file()) out.push_back(entry.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Reads and hashes every path with fullres; files that do not decode are reported and skipped.
std::vector<Sample> LoadSamples(const std::vector<std::string>& paths) {
  std::vector<Sample> samples;
  HashOptions fullres;
  fullres.digests = false;
  for (const std::string& path : paths) {
    Result<std::vector<uint8_t>> bytes = ReadFileBytes(path);
    if (!bytes.ok()) {
      fmt::print(stderr, "skipped {}: {}\n", path, bytes.status().ToString());
      continue;
    }
    Result<HashRecord> record = HashImageBytes(*bytes, fullres);
    if (!record.ok()) {
      fmt::print(stderr, "skipped {}: {}\n", path, record.status().ToString());
      continue;
    }
    Sample s;
    s.path = path;
    s.bytes = std::move(bytes).value();
    s.format = record->format;
    s.width = record->width;
    s.height = record->height;
    s.fullres = record->pdq;
    samples.push_back(std::move(s));
  }
  return samples;
}

Outcome Evaluate(const Settings& settings, const std::vector<Sample>& samples,
                 const Tuning& tuning) {
  Outcome out;
  HashOptions fast;
  fast.pipeline = Pipeline::kFast;
  fast.digests = false;
  fast.fast_jpeg_scale_denom = tuning.denom;
  fast.fast_jpeg_min_side = tuning.min_side;
  fast.fast_jpeg_fast_decode = tuning.fast_decode;
  for (const Sample& s : samples) {
    const double start = ProcessCpuSeconds();
    Result<HashRecord> record = HashImageBytes(s.bytes, fast);
    if (s.format == ImageFormat::kJpeg) out.fast_cpu_s += ProcessCpuSeconds() - start;
    if (!record.ok()) {
      // fullres decoded this file, so fast failing is a defect of the fast pipeline.
      fmt::print(stderr, "fast failed on {}: {}\n", s.path, record.status().ToString());
      ++out.over_allowed;
      continue;
    }
    const int d = HammingDistance(record->pdq.hash, s.fullres.hash);
    if (s.format != ImageFormat::kJpeg) {
      if (d != 0 || record->pdq.quality != s.fullres.quality) ++out.other_format_diffs;
      continue;
    }
    if (s.fullres.quality < settings.min_quality) continue;
    if (std::min(s.width, s.height) < settings.min_image_side) continue;
    out.distances.push_back(d);
    out.worst.emplace_back(d, &s);
    if (d <= kMetaDistance) ++out.within;
    if (d > settings.max_allowed) ++out.over_allowed;
    out.max_distance = std::max(out.max_distance, d);
  }
  std::stable_sort(out.worst.begin(), out.worst.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  return out;
}

bool Passed(const Settings& settings, const Outcome& o) {
  return o.pct() >= settings.target_pct && o.over_allowed == 0 && o.other_format_diffs == 0;
}

void PrintReport(const Settings& settings, const std::vector<Sample>& samples, const Tuning& tuning,
                 const Outcome& o) {
  int jpegs = 0, others = 0;
  for (const Sample& s : samples) (s.format == ImageFormat::kJpeg ? jpegs : others)++;
  fmt::print("fast pipeline: JPEG scale 1/{}, min side {} px, fast decode {}\n", tuning.denom,
             tuning.min_side, tuning.fast_decode ? "on" : "off");
  fmt::print(
      "images: {} decoded ({} JPEG, {} other formats); JPEGs with fullres quality >= {} "
      "and sides >= {} px: {}\n",
      samples.size(), jpegs, others, settings.min_quality, settings.min_image_side,
      o.distances.size());
  std::map<int, int> histogram;
  for (int d : o.distances) ++histogram[d];
  fmt::print("distance fast vs fullres: count (percent, cumulative percent)\n");
  int cumulative = 0;
  const double n = std::max<double>(1, static_cast<double>(o.distances.size()));
  for (int d = 0; d <= o.max_distance; ++d) {
    const int c = histogram.count(d) ? histogram[d] : 0;
    cumulative += c;
    if (c == 0 && d > kMetaDistance) continue;
    fmt::print("  {:3d}: {:5d}  ({:5.1f}%, {:5.1f}%)\n", d, c, 100 * c / n, 100 * cumulative / n);
  }
  std::vector<int> sorted = o.distances;
  std::sort(sorted.begin(), sorted.end());
  const int median = sorted.empty() ? 0 : sorted[sorted.size() / 2];
  fmt::print("within {}: {:.2f}%; median {}; max {}; above {}: {}\n", kMetaDistance, o.pct(),
             median, o.max_distance, settings.max_allowed, o.over_allowed);
  fmt::print(
      "non-JPEG images whose fast hash differs from fullres: {} of {} (fast decodes "
      "them at full resolution, so they must be equal)\n",
      o.other_format_diffs, others);
  fmt::print("fast CPU time over all {} JPEGs: {:.3f} s ({:.2f} ms per image)\n", jpegs,
             o.fast_cpu_s, jpegs > 0 ? 1e3 * o.fast_cpu_s / jpegs : 0.0);
  if (settings.worst > 0 && !o.worst.empty()) {
    fmt::print("furthest:\n");
    for (int i = 0; i < settings.worst && i < static_cast<int>(o.worst.size()); ++i) {
      const Sample& s = *o.worst[i].second;
      fmt::print("  {:3d}  q{:3d}  {}x{}  {}\n", o.worst[i].first, s.fullres.quality, s.width,
                 s.height, s.path);
    }
  }
  fmt::print("target (>= {:.1f}% within {}, none above {}): {}\n", settings.target_pct,
             kMetaDistance, settings.max_allowed, Passed(settings, o) ? "PASS" : "FAIL");
}

void Sweep(const Settings& settings, const std::vector<Sample>& samples) {
  fmt::print("{:>5} {:>8} {:>5} {:>8} {:>8} {:>4} {:>6} {:>10}\n", "denom", "min_side", "fastd",
             "n", "<=10 %", "max", ">20", "ms/image");
  for (int denom : {8, 4, 2}) {
    for (int min_side : {0, 64, 96, 128, 160, 192, 256, 384}) {
      {
        const bool fast_decode = settings.fast_decode;
        const Tuning t{denom, min_side, fast_decode};
        const Outcome o = Evaluate(settings, samples, t);
        int jpegs = 0;
        for (const Sample& s : samples) jpegs += s.format == ImageFormat::kJpeg;
        fmt::print("{:>5} {:>8} {:>5} {:>8} {:>8.2f} {:>4} {:>6} {:>10.2f}{}\n", denom, min_side,
                   fast_decode ? "on" : "off", o.distances.size(), o.pct(), o.max_distance,
                   o.over_allowed, 1e3 * o.fast_cpu_s / std::max(1, jpegs),
                   Passed(settings, o) ? "  PASS" : "");
        std::fflush(stdout);
      }
    }
  }
}

bool ParseArgs(int argc, char** argv, Settings& s) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--manifest" && has_value) {
      s.manifest = argv[++i];
    } else if (arg == "--dir" && has_value) {
      s.dir = argv[++i];
    } else if (arg == "--min-quality" && has_value) {
      s.min_quality = std::atoi(argv[++i]);
    } else if (arg == "--target-pct" && has_value) {
      s.target_pct = std::atof(argv[++i]);
    } else if (arg == "--max-allowed" && has_value) {
      s.max_allowed = std::atoi(argv[++i]);
    } else if (arg == "--denom" && has_value) {
      s.denom = std::atoi(argv[++i]);
    } else if (arg == "--min-side" && has_value) {
      s.min_side = std::atoi(argv[++i]);
    } else if (arg == "--fast-decode" && has_value) {
      s.fast_decode = std::string(argv[++i]) != "0";
    } else if (arg == "--worst" && has_value) {
      s.worst = std::atoi(argv[++i]);
    } else if (arg == "--min-image-side" && has_value) {
      s.min_image_side = std::atoi(argv[++i]);
    } else if (arg == "--sweep") {
      s.sweep = true;
    } else {
      fmt::print(stderr,
                 "usage: fast_accuracy [--manifest FILE | --dir DIR] [--min-quality Q] "
                 "[--target-pct P] [--max-allowed D] [--denom N] [--min-side PX] "
                 "[--fast-decode 0|1] [--min-image-side PX] [--sweep] [--worst K]\n");
      return false;
    }
  }
  if (s.denom != 1 && s.denom != 2 && s.denom != 4 && s.denom != 8) {
    fmt::print(stderr, "fast_accuracy: --denom must be 1, 2, 4 or 8\n");
    return false;
  }
  return true;
}

int Main(int argc, char** argv) {
  Settings settings;
  if (!ParseArgs(argc, argv, settings)) return 2;
  std::vector<std::string> paths;
  if (!settings.dir.empty()) {
    paths = DirPaths(settings.dir);
  } else {
    Result<std::vector<std::string>> listed = ManifestPaths(settings.manifest);
    if (!listed.ok()) {
      fmt::print(stderr, "fast_accuracy: {}\n", listed.status().ToString());
      return 2;
    }
    paths = std::move(listed).value();
  }
  const std::vector<Sample> samples = LoadSamples(paths);
  if (samples.empty()) {
    fmt::print(stderr, "fast_accuracy: no image decoded\n");
    return 2;
  }
  if (settings.sweep) {
    Sweep(settings, samples);
    return 0;
  }
  const Tuning tuning{settings.denom, settings.min_side, settings.fast_decode};
  const Outcome outcome = Evaluate(settings, samples, tuning);
  PrintReport(settings, samples, tuning, outcome);
  return Passed(settings, outcome) ? 0 : 1;
}

}  // namespace
}  // namespace warden::bench

int main(int argc, char** argv) { return warden::bench::Main(argc, argv); }
