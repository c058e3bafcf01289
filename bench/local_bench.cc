// local_bench: the cost of the local-feature signal (issue 6) on ONE thread, against the
// brute-force baseline in the same process.
//
//  1. Extraction: ExtractLocalFeaturesFromBytes (decode included, a query as deployed:
//     kLocalQueryKeypoints, enlarged and overlay-removed views) of a 1600x1004 JPEG made from
//     a corpus photo (area-averaged, JPEG 90; or --jpeg FILE), then of the same picture with three
//     lines of outlined block lettering drawn across it (which gets the overlay-removed view),
//     median and p90 over --extract-runs runs each.
//  2. Retrieval: the corpus photos' real features are registered (their first
//     kLocalStoredKeypoints, by prefix consistency), then synthetic images up to --n: each
//     takes the size and keypoint count of a random corpus photo and, per keypoint, the
//     geometry (position rescaled, scale, angle) of a random keypoint of another random photo
//     and a descriptor spliced from the four 64-bit words of four random real descriptors
//     (word j from descriptor j, so every bit keeps its real bias and each word its real
//     internal correlation), then 0..4 random bit flips. Queries are corpus photos
//     transformed by this file's own pixel code (crop to 70% area, 20% black padding,
//     rotations of +-10 degrees), extracted with kLocalQueryKeypoints; each query's source is
//     registered. Search (candidates + VerifyLocalMatch) latency p50/p90/p99 (wall and thread
//     CPU), how many found their source, and how many matched anything else.
//  3. Memory: LocalIndex::memory_bytes per image, and the process RSS growth while filling it.
//  4. Baseline: an exact brute-force vote (every query descriptor against every registered
//     descriptor, the same radius) for --brute-queries queries: its time and how many of the
//     exact votes for the source the index recovered.
//
//   local_bench                         the documented run (100,000 images; minutes)
//   local_bench --n 20000 --queries 40 --extract-runs 5 --brute-queries 1     quick
//   flags: --corpus DIR (/work/corpus) --corpus-limit K (all) --jpeg FILE --queries Q (200)
//          --configs 8x18r32,16x16r64 (tables x key bits, radius; default the index's defaults)
//          --extract-runs R (30) --brute-queries B (2) --max-candidates C (32)
//          --threads T (setup only, 2) --seed S --print-bit-order (for local_index.cc)
#include <pthread.h>
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <numbers>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "bench/bench_images.h"
#include "src/local/block_lettering.h"
#include "src/local/local_index.h"
#include "warden/file_bytes.h"
#include "warden/image.h"
#include "warden/local_features.h"

namespace warden {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// The machine is shared: a query may be descheduled, so latencies are given as wall and as
// the calling thread's CPU time.
double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec * 1e-9;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(std::ceil(p / 100.0 * v.size()));
  return v[std::clamp<size_t>(i, 1, v.size()) - 1];
}

long StatusKb(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) return std::atol(line.c_str() + std::strlen(field));
  }
  return 0;
}

struct Flags {
  std::string corpus = "/work/corpus";
  std::string jpeg;
  size_t n = 100000;
  int queries = 200;
  int corpus_limit = 0;
  int extract_runs = 30;
  int brute_queries = 2;
  int max_candidates = 32;
  int threads = 2;
  uint64_t seed = 1;
  bool print_bit_order = false;
  std::vector<LocalIndexOptions> configs;  // --configs TxBrR,... (default: the index's defaults)
};

bool ParseFlags(int argc, char** argv, Flags& f) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> const char* { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--corpus")
      f.corpus = next();
    else if (a == "--jpeg")
      f.jpeg = next();
    else if (a == "--n")
      f.n = std::strtoull(next(), nullptr, 10);
    else if (a == "--queries")
      f.queries = std::atoi(next());
    else if (a == "--corpus-limit")
      f.corpus_limit = std::atoi(next());
    else if (a == "--extract-runs")
      f.extract_runs = std::atoi(next());
    else if (a == "--brute-queries")
      f.brute_queries = std::atoi(next());
    else if (a == "--max-candidates")
      f.max_candidates = std::atoi(next());
    else if (a == "--threads")
      f.threads = std::max(1, std::atoi(next()));
    else if (a == "--seed")
      f.seed = std::strtoull(next(), nullptr, 10);
    else if (a == "--print-bit-order")
      f.print_bit_order = true;
    else if (a == "--configs") {
      std::stringstream list(next());
      std::string item;
      while (std::getline(list, item, ',')) {
        LocalIndexOptions o;
        if (std::sscanf(item.c_str(), "%dx%dr%d", &o.tables, &o.key_bits, &o.radius) != 3) {
          std::fprintf(stderr, "local_bench: bad config %s (want e.g. 8x18r32)\n", item.c_str());
          return false;
        }
        f.configs.push_back(o);
      }
    } else {
      std::fprintf(stderr, "local_bench: unknown flag %s (see the file's header)\n", a.c_str());
      return false;
    }
  }
  if (f.configs.empty()) f.configs.push_back(LocalIndexOptions{});
  for (const LocalIndexOptions& o : f.configs) {
    if (o.tables < 1 || o.tables > 32 || o.key_bits < 8 || o.key_bits > 24 || o.radius < 0 ||
        o.radius > 256 || o.tables * o.key_bits > 256) {
      std::fprintf(stderr, "local_bench: config %dx%dr%d out of range\n", o.tables, o.key_bits,
                   o.radius);
      return false;
    }
  }
  return true;
}

// ---- Transforms: plain pixel code, so the bench needs nothing but warden's decoders. ----

Image Crop(const Image& src, int x0, int y0, int w, int h) {
  Image out;
  out.width = w;
  out.height = h;
  out.channels = src.channels;
  out.pixels.resize(static_cast<size_t>(w) * h * src.channels);
  for (int y = 0; y < h; ++y) {
    std::memcpy(&out.pixels[static_cast<size_t>(y) * w * src.channels],
                src.row(y0 + y) + static_cast<size_t>(x0) * src.channels,
                static_cast<size_t>(w) * src.channels);
  }
  return out;
}

// Black border of `frac` of the width (height) on the left and right (top and bottom).
Image Pad(const Image& src, double frac) {
  const int bx = static_cast<int>(std::lround(src.width * frac));
  const int by = static_cast<int>(std::lround(src.height * frac));
  Image out;
  out.width = src.width + 2 * bx;
  out.height = src.height + 2 * by;
  out.channels = src.channels;
  out.pixels.assign(static_cast<size_t>(out.width) * out.height * out.channels, 0);
  for (int y = 0; y < src.height; ++y) {
    std::memcpy(&out.pixels[(static_cast<size_t>(y + by) * out.width + bx) * out.channels],
                src.row(y), static_cast<size_t>(src.width) * src.channels);
  }
  return out;
}

// Rotation by `degrees` about the centre, same canvas, bilinear, black outside.
Image Rotate(const Image& src, double degrees) {
  Image out;
  out.width = src.width;
  out.height = src.height;
  out.channels = src.channels;
  out.pixels.assign(src.pixels.size(), 0);
  const double a = degrees * std::numbers::pi / 180, c = std::cos(a), s = std::sin(a);
  const double cx = src.width / 2.0, cy = src.height / 2.0;
  const int ch = src.channels;
  for (int y = 0; y < out.height; ++y) {
    for (int x = 0; x < out.width; ++x) {
      const double dx = x + 0.5 - cx, dy = y + 0.5 - cy;
      const double sx = c * dx + s * dy + cx - 0.5, sy = -s * dx + c * dy + cy - 0.5;
      const int x0 = static_cast<int>(std::floor(sx)), y0 = static_cast<int>(std::floor(sy));
      if (x0 < 0 || y0 < 0 || x0 + 1 >= src.width || y0 + 1 >= src.height) continue;
      const double fx = sx - x0, fy = sy - y0;
      for (int k = 0; k < ch; ++k) {
        const double v =
            (1 - fy) * ((1 - fx) * src.row(y0)[x0 * ch + k] + fx * src.row(y0)[(x0 + 1) * ch + k]) +
            fy *
                ((1 - fx) * src.row(y0 + 1)[x0 * ch + k] + fx * src.row(y0 + 1)[(x0 + 1) * ch + k]);
        out.pixels[(static_cast<size_t>(y) * out.width + x) * ch + k] =
            static_cast<uint8_t>(std::lround(v));
      }
    }
  }
  return out;
}

const char* kTransforms[] = {"crop70", "pad20", "rot+10", "rot-10"};

Image Transform(const Image& src, int which, std::mt19937_64& rng) {
  switch (which) {
    case 0: {
      const double side = std::sqrt(0.7);
      const int w = static_cast<int>(src.width * side), h = static_cast<int>(src.height * side);
      const int x0 = static_cast<int>(rng() % (src.width - w + 1));
      const int y0 = static_cast<int>(rng() % (src.height - h + 1));
      return Crop(src, x0, y0, w, h);
    }
    case 1:
      return Pad(src, 0.1);
    case 2:
      return Rotate(src, 10);
    default:
      return Rotate(src, -10);
  }
}

// ---- Corpus ----

// Also fills `groups`: each photo's near-duplicate group in the manifest ("" for none).
std::vector<std::string> CorpusPaths(const Flags& f, std::vector<std::string>& groups) {
  std::ifstream in(f.corpus + "/manifest.tsv");
  std::string line;
  std::vector<std::string> header, paths;
  auto split = [](const std::string& s) {
    std::vector<std::string> cols;
    std::stringstream ss(s);
    std::string c;
    while (std::getline(ss, c, '\t')) cols.push_back(c);
    return cols;
  };
  if (!std::getline(in, line)) return paths;
  header = split(line);
  auto col = [&](const char* name) {
    return static_cast<size_t>(std::find(header.begin(), header.end(), name) - header.begin());
  };
  const size_t path_col = col("path"), dup_col = col("exact_dup_of"), group_col = col("dup_group");
  while (std::getline(in, line)) {
    std::vector<std::string> cols = split(line);
    if (path_col >= cols.size()) continue;
    if (dup_col < cols.size() && !cols[dup_col].empty()) continue;  // one copy of each photo
    paths.push_back(f.corpus + "/" + cols[path_col]);
    groups.push_back(group_col < cols.size() ? cols[group_col] : "");
  }
  if (f.corpus_limit > 0 && paths.size() > static_cast<size_t>(f.corpus_limit)) {
    paths.resize(f.corpus_limit);
    groups.resize(f.corpus_limit);
  }
  return paths;
}

Result<Image> Decode(const std::string& path) {
  WARDEN_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, ReadFileBytes(path));
  return DecodeImage(bytes);
}

// ---- Brute force: every query descriptor against every registered descriptor. ----

struct BruteForce {
  std::vector<std::array<uint64_t, 4>> descriptors;
  std::vector<uint32_t> owner;  // index into ids
  std::vector<uint64_t> ids;
};

std::array<uint64_t, 4> Words(const LocalKeypoint& kp) {
  std::array<uint64_t, 4> w;
  std::memcpy(w.data(), kp.descriptor.data(), 32);
  return w;
}

// Votes (one per query descriptor and image) for `id` and the best-voted image, exactly.
__attribute__((target("popcnt"))) std::pair<int, int> BruteVotes(const BruteForce& bf,
                                                                 const LocalFeatures& query,
                                                                 int radius, uint64_t id,
                                                                 uint64_t* best_id) {
  std::vector<std::array<uint64_t, 4>> q;
  for (const LocalKeypoint& kp : query.keypoints) q.push_back(Words(kp));
  std::vector<uint32_t> votes(bf.ids.size(), 0);
  std::vector<int64_t> last(q.size(), -1);  // last image each query descriptor voted for
  constexpr size_t kBlock = 4096;           // 128 KB of descriptors: stays in L2 across q
  for (size_t b = 0; b < bf.descriptors.size(); b += kBlock) {
    const size_t e = std::min(bf.descriptors.size(), b + kBlock);
    for (size_t j = 0; j < q.size(); ++j) {
      const auto& w = q[j];
      for (size_t i = b; i < e; ++i) {
        const auto& r = bf.descriptors[i];
        int d = __builtin_popcountll(r[0] ^ w[0]) + __builtin_popcountll(r[1] ^ w[1]) +
                __builtin_popcountll(r[2] ^ w[2]) + __builtin_popcountll(r[3] ^ w[3]);
        if (d <= radius && last[j] != bf.owner[i]) {
          last[j] = bf.owner[i];
          ++votes[bf.owner[i]];
        }
      }
    }
  }
  size_t best = 0;
  int source_votes = 0;
  for (size_t i = 0; i < votes.size(); ++i) {
    if (votes[i] > votes[best]) best = i;
    if (bf.ids[i] == id) source_votes = static_cast<int>(votes[i]);
  }
  *best_id = bf.ids[best];
  return {source_votes, static_cast<int>(votes[best])};
}

struct Query {
  uint64_t source_id;
  int transform;
  LocalFeatures features;
};

int Distance(const LocalKeypoint& a, const LocalKeypoint& b) {
  int d = 0;
  for (int i = 0; i < kLocalDescriptorBytes; ++i) {
    d += __builtin_popcount(static_cast<unsigned>(a.descriptor[i] ^ b.descriptor[i]));
  }
  return d;
}

// What the index's radius and keys must live with: the bits' balance, the distance between
// unrelated descriptors, and a query descriptor's nearest registered descriptor in its source
// against in an unrelated photo.
void PrintDescriptorStats(const std::vector<LocalFeatures>& real, const std::vector<Query>& queries,
                          bool print_bit_order, std::mt19937_64& rng) {
  std::vector<const LocalKeypoint*> all;
  std::vector<size_t> owner;
  for (size_t i = 0; i < real.size(); ++i) {
    for (size_t k = 0; k < std::min<size_t>(real[i].keypoints.size(), kLocalStoredKeypoints); ++k) {
      all.push_back(&real[i].keypoints[k]);
      owner.push_back(i);
    }
  }
  if (all.size() < 2) return;
  std::vector<double> ones(256, 0);
  for (const LocalKeypoint* kp : all) {
    for (int b = 0; b < 256; ++b) ones[b] += (kp->descriptor[b / 8] >> (b % 8)) & 1;
  }
  std::vector<double> bias;
  for (double o : ones) bias.push_back(std::abs(o / all.size() - 0.5));
  if (print_bit_order) {
    // The table LocalIndex keys its hash tables with (kBitsByBalance in local_index.cc):
    // descriptor bits from the most balanced to the least (ties: lower bit first).
    std::vector<int> order(256);
    for (int b = 0; b < 256; ++b) order[b] = b;
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return bias[a] < bias[b]; });
    std::printf("    bits by balance (%zu descriptors):", all.size());
    for (int i = 0; i < 256; ++i) std::printf("%s%d,", i % 16 == 0 ? "\n      " : " ", order[i]);
    std::printf(
        "\n    their |P(1) - 0.5| at ranks 0, 63, 127, 191, 255: %.3f %.3f %.3f %.3f %.3f\n",
        bias[order[0]], bias[order[63]], bias[order[127]], bias[order[191]], bias[order[255]]);
  }
  std::vector<double> unrelated;
  for (int i = 0; i < 100000; ++i) {
    size_t a = rng() % all.size(), b = rng() % all.size();
    if (owner[a] != owner[b]) unrelated.push_back(Distance(*all[a], *all[b]));
  }
  std::printf(
      "    descriptor bits: |P(1) - 0.5| median %.3f, p90 %.3f, max %.3f; unrelated "
      "pairs' distance p0.1 %.0f p1 %.0f p5 %.0f p50 %.0f\n",
      Percentile(bias, 50), Percentile(bias, 90), Percentile(bias, 100), Percentile(unrelated, 0.1),
      Percentile(unrelated, 1), Percentile(unrelated, 5), Percentile(unrelated, 50));
  std::vector<double> to_source, to_other;
  for (const Query& q : queries) {
    const LocalFeatures& src = real[q.source_id - 1];
    const LocalFeatures& other = real[rng() % real.size()];
    if (&other == &src || other.keypoints.empty()) continue;
    for (const LocalKeypoint& kp : q.features.keypoints) {
      int ds = 256, dn = 256;
      for (size_t k = 0; k < std::min<size_t>(src.keypoints.size(), kLocalStoredKeypoints); ++k) {
        ds = std::min(ds, Distance(kp, src.keypoints[k]));
      }
      for (size_t k = 0; k < std::min<size_t>(other.keypoints.size(), kLocalStoredKeypoints); ++k) {
        dn = std::min(dn, Distance(kp, other.keypoints[k]));
      }
      to_source.push_back(ds);
      to_other.push_back(dn);
    }
  }
  auto share = [](const std::vector<double>& v, int r) {
    return 100.0 * std::count_if(v.begin(), v.end(), [r](double d) { return d <= r; }) /
           std::max<size_t>(v.size(), 1);
  };
  std::printf(
      "    a query descriptor's nearest of 100 registered, %% within r (source | unrelated "
      "photo):");
  for (int r : {16, 24, 32, 40, 48, 56, 64}) {
    std::printf("  r%d %.1f|%.1f", r, share(to_source, r), share(to_other, r));
  }
  std::printf("\n");
}

// A corpus photo resized (area averaging) to 1600x1004 and encoded as JPEG quality 90.
Result<std::vector<uint8_t>> Photo1600x1004(const std::string& path) {
  WARDEN_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, ReadFileBytes(path));
  WARDEN_ASSIGN_OR_RETURN(Image img, DecodeImage(bytes, {}));
  if (img.channels == 1) {
    std::vector<uint8_t> rgb(img.pixels.size() * 3);
    for (size_t i = 0; i < img.pixels.size(); ++i)
      rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = img.pixels[i];
    img.pixels = std::move(rgb);
    img.channels = 3;
  }
  return bench::EncodeJpeg(bench::ResizeArea(img, 0, 0, img.width, img.height, 1600, 1004), 90);
}

// `jpeg` decoded, with three lines of block lettering (src/local/block_lettering.h) drawn as
// white bars in 5-pixel black outlines, encoded again at quality 90.
Result<std::vector<uint8_t>> WithLettering(const std::vector<uint8_t>& jpeg) {
  WARDEN_ASSIGN_OR_RETURN(Image img, DecodeImage(jpeg, {}));
  const int w = img.width, h = img.height, c = img.channels;
  auto fill = [&](int x0, int y0, int x1, int y1, uint8_t v) {
    for (int y = std::max(0, y0); y < std::min(h, y1); ++y) {
      for (int x = std::max(0, x0); x < std::min(w, x1); ++x) {
        std::memset(&img.pixels[(static_cast<size_t>(y) * w + x) * c], v, c);
      }
    }
  };
  for (const local::LetteringBar& b : local::BlockLettering(w, h, 1, 12)) {
    fill(b.x0 - 3, b.y0 - 3, b.x1 + 3, b.y1 + 3, 0);
    fill(b.x0 + 2, b.y0 + 2, b.x1 - 2, b.y1 - 2, 255);
  }
  return bench::EncodeJpeg(img, 90);
}

int Run(const Flags& f) {
  std::printf("local_bench: %s %d\n", std::string(kLocalAlgorithm).c_str(), kLocalAlgorithmVersion);
  std::vector<std::string> groups;
  std::vector<std::string> paths = CorpusPaths(f, groups);
  if (paths.empty()) {
    std::fprintf(stderr, "local_bench: no photos in %s/manifest.tsv\n", f.corpus.c_str());
    return 1;
  }

  // 1. Extraction of a 1600x1004 JPEG, decode included, one thread.
  std::string jpeg = f.jpeg;
  Result<std::vector<uint8_t>> base = Status::Internal("unset");
  if (jpeg.empty()) {
    jpeg = paths[paths.size() / 2] + " at 1600x1004, JPEG 90";
    base = Photo1600x1004(paths[paths.size() / 2]);
  } else {
    base = ReadFileBytes(jpeg);
  }
  if (!base.ok()) {
    std::fprintf(stderr, "local_bench: %s: %s\n", jpeg.c_str(), base.status().message().c_str());
    return 1;
  }
  // The same picture with three lines of outlined block lettering across it (white bars in
  // black outlines, as meme captions), so that the query also gets its overlay-removed view.
  Result<std::vector<uint8_t>> lettered = WithLettering(*base);
  if (!lettered.ok()) {
    std::fprintf(stderr, "local_bench: lettering: %s\n", lettered.status().message().c_str());
    return 1;
  }
  const std::pair<std::string, const std::vector<uint8_t>*> inputs[] = {
      {jpeg, &*base}, {jpeg + " with lettering", &*lettered}};
  for (const auto& [file, bytes] : inputs) {
    std::vector<double> wall, cpu;
    size_t keypoints = 0;
    bool overlay_view = false;
    // A query as warden match and /v1/match extract it.
    LocalExtractOptions opt{
        .max_keypoints = kLocalQueryKeypoints, .enlarged_view = true, .overlay_view = true};
    for (int r = 0; r < f.extract_runs + 1; ++r) {
      auto t0 = Clock::now();
      double c0 = ThreadCpuSeconds();
      auto features = ExtractLocalFeaturesFromBytes(*bytes, opt);
      double c1 = ThreadCpuSeconds();
      auto t1 = Clock::now();
      if (!features.ok()) {
        std::fprintf(stderr, "local_bench: extraction failed: %s\n",
                     features.status().message().c_str());
        return 1;
      }
      keypoints = features->keypoints.size();
      overlay_view = features->without_overlay != nullptr;
      if (r == 0) continue;  // warm-up
      wall.push_back(Seconds(t0, t1) * 1e3);
      cpu.push_back((c1 - c0) * 1e3);
    }
    std::printf(
        "\n[1] extraction of %s (%zu bytes, %zu keypoints, %s), %d runs, one thread:\n"
        "    wall ms  median %.2f  p90 %.2f   | thread CPU ms  median %.2f  p90 %.2f\n",
        file.c_str(), bytes->size(), keypoints,
        overlay_view ? "with the overlay-removed view" : "no overlay-removed view", f.extract_runs,
        Percentile(wall, 50), Percentile(wall, 90), Percentile(cpu, 50), Percentile(cpu, 90));
  }

  // 2. Real features of the corpus (setup: --threads), then the queries' sources' transforms.
  std::mt19937_64 rng(f.seed);
  std::vector<LocalFeatures> real(paths.size());
  std::vector<Query> queries;
  {
    auto t0 = Clock::now();
    std::atomic<size_t> next{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < f.threads; ++t) {
      pool.emplace_back([&] {
        for (size_t i; (i = next.fetch_add(1)) < paths.size();) {
          auto image = Decode(paths[i]);
          if (!image.ok()) continue;
          auto feats = ExtractLocalFeatures(*image, {.max_keypoints = kLocalQueryKeypoints});
          if (feats.ok()) real[i] = std::move(feats).value();
        }
      });
    }
    for (auto& t : pool) t.join();
    size_t usable = 0, total_kp = 0;
    for (const auto& r : real) {
      usable += r.keypoints.size() >= 20;
      total_kp += std::min<size_t>(r.keypoints.size(), kLocalStoredKeypoints);
    }
    std::printf(
        "\n[2] corpus: %zu photos, %zu with >= 20 keypoints, %.1f registered keypoints "
        "per photo on average (setup %.1f s on %d threads)\n",
        paths.size(), usable, static_cast<double>(total_kp) / paths.size(),
        Seconds(t0, Clock::now()), f.threads);

    // Queries: sources among the photos with enough keypoints, evenly spread.
    std::vector<size_t> sources;
    for (size_t i = 0; i < real.size(); ++i) {
      if (real[i].keypoints.size() >= 100) sources.push_back(i);
    }
    std::shuffle(sources.begin(), sources.end(), rng);
    const size_t per = std::size(kTransforms);
    sources.resize(std::min(sources.size(), (static_cast<size_t>(f.queries) + per - 1) / per));
    t0 = Clock::now();
    for (size_t s : sources) {
      auto image = Decode(paths[s]);
      if (!image.ok()) continue;
      for (size_t k = 0; k < per && queries.size() < static_cast<size_t>(f.queries); ++k) {
        Image moved = Transform(*image, static_cast<int>(k), rng);
        // As deployed: a query's views come with it (and cost their verification).
        auto feats = ExtractLocalFeatures(
            moved,
            {.max_keypoints = kLocalQueryKeypoints, .enlarged_view = true, .overlay_view = true});
        if (feats.ok()) queries.push_back({s + 1, static_cast<int>(k), std::move(feats).value()});
      }
    }
    size_t with_view = 0;
    for (const Query& q : queries) with_view += q.features.without_overlay != nullptr;
    std::printf(
        "    %zu queries (%zu sources x %s/%s/%s/%s) made in %.1f s; %zu of them carry an "
        "overlay-removed view\n",
        queries.size(), sources.size(), kTransforms[0], kTransforms[1], kTransforms[2],
        kTransforms[3], Seconds(t0, Clock::now()), with_view);
  }

  PrintDescriptorStats(real, queries, f.print_bit_order, rng);
  if (f.print_bit_order) return 0;

  // The registered set: real photos (id = corpus row + 1), then synthetic ones.
  std::vector<std::array<uint64_t, 4>> pool;
  std::vector<size_t> layouts;
  for (size_t i = 0; i < real.size(); ++i) {
    if (real[i].keypoints.size() < 20) continue;
    layouts.push_back(i);
    for (size_t k = 0; k < std::min<size_t>(real[i].keypoints.size(), kLocalStoredKeypoints); ++k) {
      pool.push_back(Words(real[i].keypoints[k]));
    }
  }
  if (pool.empty()) {
    std::fprintf(stderr, "local_bench: no corpus photo gave keypoints (is the extractor built?)\n");
    return 1;
  }
  // The registered set, built once: real photos (id = corpus row + 1), then synthetic ones.
  std::vector<std::pair<uint64_t, LocalFeatures>> registered;
  size_t registered_real = 0;
  for (size_t i = 0; i < real.size() && registered.size() < f.n; ++i) {
    if (real[i].keypoints.empty()) continue;
    LocalFeatures stored = real[i];
    if (stored.keypoints.size() > static_cast<size_t>(kLocalStoredKeypoints)) {
      stored.keypoints.resize(kLocalStoredKeypoints);  // prefix consistency: the stored form
    }
    registered.emplace_back(i + 1, std::move(stored));
    ++registered_real;
  }
  std::uniform_int_distribution<size_t> pick_layout(0, layouts.size() - 1);
  std::uniform_int_distribution<size_t> pick_word(0, pool.size() - 1);
  for (uint64_t s = 0; registered.size() < f.n; ++s) {
    LocalFeatures synth = real[layouts[pick_layout(rng)]];
    if (synth.keypoints.size() > static_cast<size_t>(kLocalStoredKeypoints)) {
      synth.keypoints.resize(kLocalStoredKeypoints);
    }
    for (LocalKeypoint& kp : synth.keypoints) {
      // Geometry from a random keypoint of another random photo, rescaled to this size: a copy
      // of one photo's whole layout would let chance descriptor pairs line up in the source's
      // geometry and "match" (the first runs saw 5 such false matches per query).
      const LocalFeatures& donor = real[layouts[pick_layout(rng)]];
      const LocalKeypoint& g =
          donor.keypoints[rng() % std::min<size_t>(donor.keypoints.size(), kLocalStoredKeypoints)];
      kp.x = std::min(g.x / donor.width * synth.width, synth.width - 0.5f);
      kp.y = std::min(g.y / donor.height * synth.height, synth.height - 0.5f);
      kp.scale = g.scale;
      kp.angle = g.angle;
      std::array<uint64_t, 4> w;
      for (int j = 0; j < 4; ++j) w[j] = pool[pick_word(rng)][j];
      for (int flips = static_cast<int>(rng() % 5); flips > 0; --flips) {
        const int bit = static_cast<int>(rng() % 256);
        w[bit / 64] ^= uint64_t{1} << (bit % 64);
      }
      std::memcpy(kp.descriptor.data(), w.data(), 32);
    }
    registered.emplace_back(10'000'000 + s, std::move(synth));
  }

  for (const LocalIndexOptions& config : f.configs) {
    // 3. Build and memory.
    const long rss0 = StatusKb("VmRSS:");
    auto index = NewLocalIndex(config);
    auto t_build = Clock::now();
    double add_cpu = ThreadCpuSeconds();
    for (const auto& [id, feats] : registered) {
      Status st = index->Add(id, feats);
      if (!st.ok()) {
        std::fprintf(stderr, "local_bench: Add: %s\n", st.message().c_str());
        return 1;
      }
    }
    const double build_s = Seconds(t_build, Clock::now());
    add_cpu = ThreadCpuSeconds() - add_cpu;
    const long rss1 = StatusKb("VmRSS:");
    const size_t index_bytes = index->memory_bytes();
    std::printf(
        "\n==== index %d tables x %d bits, radius %d\n"
        "[3] registered %zu images (%zu real, the rest synthetic) in %.1f s wall, %.1f us "
        "CPU per Add\n"
        "    memory: memory_bytes %.0f bytes per image (%.1f MB); RSS growth %.0f bytes per "
        "image; VmRSS %.1f MB, VmHWM %.1f MB\n",
        config.tables, config.key_bits, config.radius, registered.size(), registered_real, build_s,
        add_cpu / registered.size() * 1e6, static_cast<double>(index_bytes) / registered.size(),
        index_bytes / 1e6, static_cast<double>(rss1 - rss0) * 1024 / registered.size(),
        StatusKb("VmRSS:") / 1024.0, StatusKb("VmHWM:") / 1024.0);

    // 4. Queries: Candidates alone, then Search (candidates + verification), one thread.
    LocalSearchOptions search;
    search.max_candidates = f.max_candidates;
    std::vector<double> cand_cpu, wall, cpu;
    int in_candidates = 0, found = 0, top1 = 0, other_matched = 0, other_synthetic = 0;
    int other_same_group = 0;
    std::vector<double> other_scores;
    std::vector<int> found_by(std::size(kTransforms)), count_by(std::size(kTransforms));
    std::vector<double> source_votes;
    for (const Query& q : queries) {
      double c0 = ThreadCpuSeconds();
      auto cands = index->Candidates(q.features, search.max_candidates);
      cand_cpu.push_back((ThreadCpuSeconds() - c0) * 1e3);
      for (const LocalCandidate& c : cands) {
        if (c.id == q.source_id) {
          ++in_candidates;
          source_votes.push_back(c.votes);
        }
      }
      auto t0 = Clock::now();
      c0 = ThreadCpuSeconds();
      auto matches = index->Search(q.features, search);
      cpu.push_back((ThreadCpuSeconds() - c0) * 1e3);
      wall.push_back(Seconds(t0, Clock::now()) * 1e3);
      bool hit = false;
      for (const LocalIndexMatch& m : matches) {
        if (m.id == q.source_id) {
          hit = true;
        } else {
          ++other_matched;
          other_synthetic += m.id >= 10'000'000;
          const std::string& g = groups[q.source_id - 1];
          other_same_group += m.id < 10'000'000 && !g.empty() && groups[m.id - 1] == g;
          other_scores.push_back(m.match.score);
        }
      }
      found += hit;
      top1 += !matches.empty() && matches[0].id == q.source_id;
      found_by[q.transform] += hit;
      ++count_by[q.transform];
    }
    const double nq = std::max<size_t>(queries.size(), 1);
    std::printf(
        "[4] %zu queries, max_candidates %d, one thread:\n"
        "    Candidates only  CPU ms  p50 %.2f  p90 %.2f  p99 %.2f\n"
        "    Search (+verify) CPU ms  p50 %.2f  p90 %.2f  p99 %.2f | wall ms p50 %.2f  p90 "
        "%.2f  p99 %.2f\n"
        "    source among candidates %d/%zu (%.1f%%, median votes %.0f); source matched "
        "%d/%zu (%.1f%%), first %d; other images matched: %d\n",
        queries.size(), search.max_candidates, Percentile(cand_cpu, 50), Percentile(cand_cpu, 90),
        Percentile(cand_cpu, 99), Percentile(cpu, 50), Percentile(cpu, 90), Percentile(cpu, 99),
        Percentile(wall, 50), Percentile(wall, 90), Percentile(wall, 99), in_candidates,
        queries.size(), 100.0 * in_candidates / nq, Percentile(source_votes, 50), found,
        queries.size(), 100.0 * found / nq, top1, other_matched);
    std::printf(
        "    other images matched: %d synthetic, %d real of which %d in the source's "
        "near-duplicate group (manifest dup_group); their score p50 %.0f max %.0f\n",
        other_synthetic, other_matched - other_synthetic, other_same_group,
        Percentile(other_scores, 50), Percentile(other_scores, 100));
    std::printf("    matched by transform:");
    for (size_t k = 0; k < std::size(kTransforms); ++k) {
      std::printf("  %s %d/%d", kTransforms[k], found_by[k], count_by[k]);
    }
    std::printf("\n");

    // 5. The brute-force baseline on a few queries, at this config's radius.
    if (f.brute_queries > 0 && !queries.empty() && &config == &f.configs.front()) {
      BruteForce bf;
      for (const auto& [id, feats] : registered) {
        for (const LocalKeypoint& kp : feats.keypoints) {
          bf.descriptors.push_back(Words(kp));
          bf.owner.push_back(static_cast<uint32_t>(bf.ids.size()));
        }
        bf.ids.push_back(id);
      }
      std::printf("[5] baseline: exact brute-force vote over %zu descriptors (radius %d):\n",
                  bf.descriptors.size(), config.radius);
      double brute_total = 0, index_total = 0;
      for (int b = 0; b < f.brute_queries && b < static_cast<int>(queries.size()); ++b) {
        const Query& q = queries[(b * queries.size()) / f.brute_queries];
        uint64_t best_id = 0;
        double c0 = ThreadCpuSeconds();
        auto [exact_source, exact_best] =
            BruteVotes(bf, q.features, config.radius, q.source_id, &best_id);
        const double brute_ms = (ThreadCpuSeconds() - c0) * 1e3;
        c0 = ThreadCpuSeconds();
        auto cands = index->Candidates(q.features, 1000);
        const double index_ms = (ThreadCpuSeconds() - c0) * 1e3;
        int index_source = 0;
        for (const LocalCandidate& c : cands) {
          if (c.id == q.source_id) index_source = c.votes;
        }
        brute_total += brute_ms;
        index_total += index_ms;
        std::printf(
            "    query %d (%s): brute force %.0f ms CPU, index Candidates %.2f ms CPU; "
            "source votes exact %d, index %d (%.0f%%); exact best %s (%d votes)\n",
            b, kTransforms[q.transform], brute_ms, index_ms, exact_source, index_source,
            exact_source ? 100.0 * index_source / exact_source : 0.0,
            best_id == q.source_id ? "is the source" : "is another image", exact_best);
      }
      std::printf("    ratio brute force / index Candidates: %.0fx\n", brute_total / index_total);
    }
  }
  return 0;
}

}  // namespace
}  // namespace warden

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress shows when redirected to a file
  warden::Flags flags;
  if (!warden::ParseFlags(argc, argv, flags)) return 2;
  return warden::Run(flags);
}
