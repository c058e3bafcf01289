// hash_bench: how fast Warden hashes, against baselines run in the same process and against
// Meta's reference figures (PDQ.md, "Reference cost"), with PASS/FAIL for issue 2's targets.
//
//   hash_bench [--testdata DIR] [--min-time SECONDS] [--rounds N] [--write-images DIR]
//
// Single-core figures run on one pinned CPU and are timed with the thread's CPU clock, so other
// processes sharing the machine slow them little. Each figure is the median of --rounds rounds
// that together last at least --min-time seconds. The --jobs figure is wall-clock throughput
// of 2 threads against 1, each thread hashing a different image at a time.
#include <fmt/core.h>
#include <sched.h>
#include <time.h>

// jpeglib.h needs FILE and size_t declared before it.
// clang-format off
#include <cstdio>
#include <jpeglib.h>
// clang-format on

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csetjmp>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_images.h"
#include "src/hash/pdq_naive.h"
#include "warden/hasher.h"
#include "warden/pdq.h"
#include "warden/signal.h"

namespace warden::bench {
namespace {

constexpr double kReferenceCoreMs = 3.9;  // PDQ.md: Meta's core, any image with a side >= 512

struct Settings {
  std::string testdata = WARDEN_TESTDATA;
  double min_time_s = 1.0;
  int rounds = 5;
  std::string write_images;
  // --profile NAME PIPELINE: only hash that image with that pipeline for min_time seconds
  // (to run under perf or callgrind).
  std::string profile_image;
  std::string profile_pipeline;
};

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec * 1e-9;
}

// Median over `rounds` of the CPU seconds one call of `op` takes; each round repeats `op`
// until it has used min_time / rounds seconds.
// CPU seconds per call of `op`, calling it for at least round_s of thread CPU time.
double TimeOneRound(double round_s, const std::function<void()>& op) {
  const double start = ThreadCpuSeconds();
  double now = start;
  long n = 0;
  do {
    op();
    ++n;
    now = ThreadCpuSeconds();
  } while (now - start < round_s);
  return (now - start) / static_cast<double>(n);
}

double MedianSecondsPerOp(const Settings& settings, const std::function<void()>& op) {
  op();  // warm caches and allocator
  const double round_s = settings.min_time_s / settings.rounds;
  std::vector<double> per_op;
  for (int r = 0; r < settings.rounds; ++r) per_op.push_back(TimeOneRound(round_s, op));
  std::sort(per_op.begin(), per_op.end());
  return per_op[per_op.size() / 2];
}

// Median over rounds of (time per op of a) / (time per op of b), the two timed back to back in
// each round, so a change in machine load between the two measurements cannot skew the ratio
// (MedianSecondsPerOp times one op for all its rounds before the other starts).
double MedianInterleavedRatio(const Settings& settings, const std::function<void()>& a,
                              const std::function<void()>& b) {
  a();
  b();
  const double round_s = settings.min_time_s / settings.rounds;
  std::vector<double> ratios;
  for (int r = 0; r < settings.rounds; ++r) {
    const double ta = TimeOneRound(round_s, a);
    const double tb = TimeOneRound(round_s, b);
    ratios.push_back(ta / tb);
  }
  std::sort(ratios.begin(), ratios.end());
  return ratios[ratios.size() / 2];
}

// The floor: libjpeg-turbo alone, plain jpeg_read_scanlines at scale 1/8, RGB output, the
// library's default IDCT and upsampling. Returns the number of pixels read (so the work
// cannot be optimised away), or -1 on a libjpeg error.
struct FloorError {
  jpeg_error_mgr pub;  // first member: libjpeg hands us a pointer to it
  std::jmp_buf jump;
};

[[noreturn]] void OnFloorError(j_common_ptr cinfo) {
  std::longjmp(reinterpret_cast<FloorError*>(cinfo->err)->jump, 1);
}

// Nothing with a destructor lives in this frame: the longjmp skips no cleanup.
long ReadEighthScale(jpeg_decompress_struct& cinfo, FloorError& err,
                     const std::vector<uint8_t>& bytes, std::vector<uint8_t>& buffer) {
  if (setjmp(err.jump) != 0) return -1;
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, bytes.data(), static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&cinfo, TRUE);
  cinfo.out_color_space = JCS_RGB;
  cinfo.scale_num = 1;
  cinfo.scale_denom = 8;
  jpeg_start_decompress(&cinfo);
  const size_t stride = static_cast<size_t>(cinfo.output_width) * cinfo.output_components;
  buffer.resize(stride * cinfo.output_height);
  long sum = 0;
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = buffer.data() + cinfo.output_scanline * stride;
    jpeg_read_scanlines(&cinfo, &row, 1);
    sum += row[0];
  }
  jpeg_finish_decompress(&cinfo);
  return sum + static_cast<long>(stride * cinfo.output_height);
}

long DecodeFloor(const std::vector<uint8_t>& bytes, std::vector<uint8_t>& buffer) {
  jpeg_decompress_struct cinfo{};
  FloorError err;
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = OnFloorError;
  const long result = ReadEighthScale(cinfo, err, bytes, buffer);
  jpeg_destroy_decompress(&cinfo);
  return result;
}

int failures = 0;

// The fast pipeline's JPEG tuning under test: warden/hasher.h's constants unless overridden by
// --fast-denom / --fast-min-side / --fast-decode. Set once in Main before any thread starts.
struct FastTuning {
  int denom = kFastJpegScaleDenom;
  int min_side = kFastJpegMinSide;
  bool fast_decode = kFastJpegFastDecode;
};
FastTuning fast_tuning;

DecodeOptions FastDecodeOptions() {
  DecodeOptions decode;
  decode.jpeg_scale_denom = fast_tuning.denom;
  decode.jpeg_min_side = fast_tuning.min_side;
  decode.jpeg_fast = fast_tuning.fast_decode;
  return decode;
}

void Verdict(bool pass, const std::string& what) {
  fmt::print("  [{}] {}\n", pass ? "PASS" : "FAIL", what);
  if (!pass) ++failures;
}

HashOptions Options(Pipeline pipeline, bool digests) {
  HashOptions options;
  options.pipeline = pipeline;
  options.digests = digests;
  options.fast_jpeg_scale_denom = fast_tuning.denom;
  options.fast_jpeg_min_side = fast_tuning.min_side;
  options.fast_jpeg_fast_decode = fast_tuning.fast_decode;
  return options;
}

// One call, for the timing loops: aborts on failure since the images are our own.
void HashOrDie(const BenchImage& image, const HashOptions& options) {
  Result<HashRecord> record = HashImageBytes(image.bytes, options);
  if (!record.ok()) {
    fmt::print(stderr, "{}: {}\n", image.name, record.status().ToString());
    std::exit(2);
  }
}

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  }
  return "unknown CPU";
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

void BenchCore(const Settings& settings, const Image& photo) {
  // A 512x512 luma buffer sampled from a real photo, so the blur and DCT see natural data.
  constexpr int kSide = 512;
  std::vector<float> luma(kSide * kSide);
  for (int y = 0; y < kSide; ++y) {
    for (int x = 0; x < kSide; ++x) {
      const uint8_t* p = photo.row(y * photo.height / kSide) + (x * photo.width / kSide) * 3;
      luma[y * kSide + x] = 0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2];
    }
  }
  const PdqResult fast = ComputePdqFromLuma(luma.data(), kSide, kSide, false);
  const PdqResult naive = NaivePdqFromLuma(luma.data(), kSide, kSide, false);
  const PdqResult fast8 = ComputePdqFromLuma(luma.data(), kSide, kSide, true);
  const PdqResult naive8 = NaivePdqFromLuma(luma.data(), kSide, kSide, true);
  const bool exact =
      fast.hash == naive.hash && fast.quality == naive.quality && fast8.dihedral == naive8.dihedral;
  const double core_s = MedianSecondsPerOp(
      settings, [&] { (void)ComputePdqFromLuma(luma.data(), kSide, kSide, false); });
  const double core8_s = MedianSecondsPerOp(
      settings, [&] { (void)ComputePdqFromLuma(luma.data(), kSide, kSide, true); });
  const double naive_s = MedianSecondsPerOp(
      settings, [&] { (void)NaivePdqFromLuma(luma.data(), kSide, kSide, false); });
  fmt::print("PDQ core on a 512x512 float luma buffer (one core, CPU ms per hash)\n");
  fmt::print("  optimised core          {:7.3f} ms   ({:.3f} ms with the 8 dihedral hashes)\n",
             core_s * 1e3, core8_s * 1e3);
  fmt::print("  naive transcription     {:7.3f} ms   (same process)\n", naive_s * 1e3);
  fmt::print("  Meta's reference core   {:7.3f} ms   (PDQ.md)\n", kReferenceCoreMs);
  fmt::print("  speedup: {:.2f}x vs reference, {:.2f}x vs naive; hash {} quality {}\n",
             kReferenceCoreMs / (core_s * 1e3), naive_s / core_s, fast.hash.ToHex(), fast.quality);
  Verdict(exact,
          "optimised core bit-exact with the naive transcription (hash, quality, 8 dihedral)");
  Verdict(kReferenceCoreMs / (core_s * 1e3) >= 3.0, "core >= 3x faster than the reference 3.9 ms");
  fmt::print("\n");
}

void BenchPipelines(const Settings& settings, const std::vector<BenchImage>& images) {
  fmt::print("Images per second on one core, from bytes in memory (decode + PDQ, digests off)\n");
  fmt::print("{:<10} {:>9} {:>8} {:>8} {:>8} {:>9} {:>7} {:>9} {:>9} {:>9}\n", "image", "size",
             "fullres", "cli512", "fast", "floor1/8", "ref CLI", "full/ref", "fast/ref",
             "fast/flr");
  struct Row {
    const BenchImage* image;
    double fullres_s, cli_s, fast_s, floor_s;
    double fast_over_floor;  // interleaved rounds (MedianInterleavedRatio)
  };
  std::vector<Row> rows;
  for (const BenchImage& image : images) {
    Row row{&image, 0, 0, 0, 0, 0};
    row.fullres_s =
        MedianSecondsPerOp(settings, [&] { HashOrDie(image, Options(Pipeline::kFullres, false)); });
    row.cli_s =
        MedianSecondsPerOp(settings, [&] { HashOrDie(image, Options(Pipeline::kCli512, false)); });
    row.fast_s =
        MedianSecondsPerOp(settings, [&] { HashOrDie(image, Options(Pipeline::kFast, false)); });
    if (image.format == ImageFormat::kJpeg) {
      std::vector<uint8_t> buffer;
      if (DecodeFloor(image.bytes, buffer) < 0) {
        fmt::print(stderr, "{}: libjpeg failed on the floor decode\n", image.name);
        std::exit(2);
      }
      row.floor_s = MedianSecondsPerOp(settings, [&] { (void)DecodeFloor(image.bytes, buffer); });
      row.fast_over_floor = MedianInterleavedRatio(
          settings, [&] { HashOrDie(image, Options(Pipeline::kFast, false)); },
          [&] { (void)DecodeFloor(image.bytes, buffer); });
    }
    const double ref = image.reference_cli_per_s;
    const bool jpeg = row.floor_s > 0;
    auto cell = [&](int width, const std::string& text) {
      return fmt::format("{:>{}}", jpeg ? text : "-", width);
    };
    fmt::print("{:<10} {:>9} {:8.1f} {:8.1f} {:8.1f} {} {:7.1f} {:8.2f}x {:8.2f}x {}\n", image.name,
               fmt::format("{}x{}", image.width, image.height), 1 / row.fullres_s, 1 / row.cli_s,
               1 / row.fast_s, cell(9, fmt::format("{:.1f}", 1 / row.floor_s)), ref,
               1 / row.fullres_s / ref, 1 / row.fast_s / ref,
               cell(9, fmt::format("{:.2f}x", row.fast_over_floor)));
    rows.push_back(row);
  }
  fmt::print(
      "  floor1/8 = libjpeg-turbo alone, jpeg_read_scanlines at scale 1/8, RGB;\n"
      "  fast/flr = time of fast / time of the floor, timed in alternating rounds\n");
  for (const Row& row : rows) {
    const double ref = row.image->reference_cli_per_s;
    Verdict(1 / row.fullres_s >= 2 * ref,
            fmt::format("{}: fullres {:.1f}/s >= 2x reference CLI {:.1f}/s", row.image->name,
                        1 / row.fullres_s, ref));
    if (row.floor_s > 0) {
      Verdict(1 / row.fast_s >= 5 * ref,
              fmt::format("{}: fast {:.1f}/s >= 5x reference CLI {:.1f}/s", row.image->name,
                          1 / row.fast_s, ref));
      Verdict(row.fast_over_floor <= 1.3,
              fmt::format("{}: fast <= 1.3x the 1/8 decode floor ({:.2f}x, interleaved rounds; "
                          "fast {:.3f} ms, floor {:.3f} ms)",
                          row.image->name, row.fast_over_floor, row.fast_s * 1e3,
                          row.floor_s * 1e3));
    }
  }
  fmt::print("\n");
}

// Decode alone against the whole hash, so the PDQ share (luma, blur, DCT) is the difference.
void BenchBreakdown(const Settings& settings, const std::vector<BenchImage>& images) {
  fmt::print("Where the time goes (CPU ms per image, one core)\n");
  fmt::print("{:<10} {:>13} {:>12} {:>10} {:>11} {:>10} {:>9}\n", "image", "fullres dec",
             "fullres all", "PDQ part", "fast dec", "fast all", "PDQ part");
  const DecodeOptions fast = FastDecodeOptions();
  for (const BenchImage& image : images) {
    auto decode = [&](const DecodeOptions& options) {
      Result<Image> decoded = DecodeImage(image.bytes, options);
      if (!decoded.ok()) std::exit(2);
    };
    const double full_dec = MedianSecondsPerOp(settings, [&] { decode(DecodeOptions{}); });
    const double full_all =
        MedianSecondsPerOp(settings, [&] { HashOrDie(image, Options(Pipeline::kFullres, false)); });
    const double fast_dec = MedianSecondsPerOp(settings, [&] { decode(fast); });
    const double fast_all =
        MedianSecondsPerOp(settings, [&] { HashOrDie(image, Options(Pipeline::kFast, false)); });
    fmt::print("{:<10} {:13.3f} {:12.3f} {:10.3f} {:11.3f} {:10.3f} {:9.3f}\n", image.name,
               full_dec * 1e3, full_all * 1e3, (full_all - full_dec) * 1e3, fast_dec * 1e3,
               fast_all * 1e3, (fast_all - fast_dec) * 1e3);
  }
  fmt::print("\n");
}

void BenchDigests(const Settings& settings, const std::vector<BenchImage>& images) {
  fmt::print("With MD5, SHA-1 and SHA-256 of the file bytes ON (fullres / fast, images/s)\n");
  fmt::print("{:<10} {:>10} {:>14} {:>11} {:>14} {:>12}\n", "image", "file KB", "fullres+dig",
             "fast+dig", "digests ms", "share(fast)");
  for (const BenchImage& image : images) {
    const double full_s =
        MedianSecondsPerOp(settings, [&] { HashOrDie(image, Options(Pipeline::kFullres, true)); });
    const double fast_s =
        MedianSecondsPerOp(settings, [&] { HashOrDie(image, Options(Pipeline::kFast, true)); });
    const double digest_s = MedianSecondsPerOp(settings, [&] {
      (void)DigestHex(SignalType::kMd5, image.bytes);
      (void)DigestHex(SignalType::kSha1, image.bytes);
      (void)DigestHex(SignalType::kSha256, image.bytes);
    });
    fmt::print("{:<10} {:>10.0f} {:14.1f} {:11.1f} {:14.3f} {:11.0f}%\n", image.name,
               image.bytes.size() / 1024.0, 1 / full_s, 1 / fast_s, digest_s * 1e3,
               100 * digest_s / fast_s);
  }
  fmt::print("\n");
}

// Images per wall-clock second when `threads` threads each hash a different image at a time
// (thread t starts at image t and walks the list), for `seconds`. Like `warden hash --jobs`,
// whose workers live for the whole run, each thread first hashes every image once untimed, so
// its reusable buffers are mapped before the clock starts (first-touch page faults are slow on
// this VM and serialise across threads).
double ThreadedThroughput(const std::vector<BenchImage>& images, int threads, double seconds) {
  std::atomic<long> done{0};
  std::atomic<int> warm{0};
  std::atomic<bool> go{false};
  std::chrono::steady_clock::time_point start, deadline;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (const BenchImage& image : images) HashOrDie(image, Options(Pipeline::kFullres, true));
      ++warm;
      while (!go.load()) std::this_thread::yield();
      long n = 0;
      for (size_t i = static_cast<size_t>(t); std::chrono::steady_clock::now() < deadline; ++i) {
        HashOrDie(images[i % images.size()], Options(Pipeline::kFullres, true));
        ++n;
      }
      done += n;
    });
  }
  while (warm.load() < threads) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  start = std::chrono::steady_clock::now();
  deadline = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                         std::chrono::duration<double>(seconds));
  go = true;
  for (std::thread& thread : pool) thread.join();
  const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - start;
  return static_cast<double>(done) / wall.count();
}

void BenchJobs(const Settings& settings, const std::vector<BenchImage>& images,
               const cpu_set_t& all_cpus) {
  // Let the threads use every CPU for this part.
  sched_setaffinity(0, sizeof(all_cpus), &all_cpus);
  // The JPEGs of 1600 px and up, fullres with digests, as `warden hash --jobs N` does.
  std::vector<BenchImage> set;
  for (const BenchImage& image : images) {
    if (image.width >= 1600) set.push_back(image);
  }
  const double seconds = std::max(2.0, settings.min_time_s * 2);
  std::vector<double> ratios;
  double one = 0, two = 0;
  for (int r = 0; r < 3; ++r) {
    one = ThreadedThroughput(set, 1, seconds);
    two = ThreadedThroughput(set, 2, seconds);
    ratios.push_back(two / one);
  }
  std::sort(ratios.begin(), ratios.end());
  fmt::print(
      "--jobs scaling in process (fullres + digests over the 1600-4032 px images, "
      "wall clock, {:.0f} s per run, median of 3)\n",
      seconds);
  fmt::print(
      "  1 thread {:.1f} images/s, 2 threads {:.1f} images/s (last run); "
      "median ratio {:.2f}x; load average at the end {}\n",
      one, two, ratios[1], LoadAverage());
  Verdict(ratios[1] >= 1.8, "--jobs 2 >= 1.8x one job");
  fmt::print("\n");
}

int Profile(const Settings& settings, const std::vector<BenchImage>& images) {
  Result<Pipeline> pipeline = ParsePipeline(settings.profile_pipeline);
  if (!pipeline.ok()) {
    fmt::print(stderr, "hash_bench: {}\n", pipeline.status().ToString());
    return 2;
  }
  for (const BenchImage& image : images) {
    if (image.name != settings.profile_image) continue;
    const double s =
        MedianSecondsPerOp(settings, [&] { HashOrDie(image, Options(*pipeline, false)); });
    fmt::print("{} {}: {:.3f} ms\n", image.name, PipelineName(*pipeline), s * 1e3);
    return 0;
  }
  fmt::print(stderr, "hash_bench: no image named {}\n", settings.profile_image);
  return 2;
}

bool ParseArgs(int argc, char** argv, Settings& settings) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--testdata" && has_value) {
      settings.testdata = argv[++i];
    } else if (arg == "--min-time" && has_value) {
      settings.min_time_s = std::atof(argv[++i]);
    } else if (arg == "--rounds" && has_value) {
      settings.rounds = std::atoi(argv[++i]);
    } else if (arg == "--write-images" && has_value) {
      settings.write_images = argv[++i];
    } else if (arg == "--fast-denom" && has_value) {
      fast_tuning.denom = std::atoi(argv[++i]);
    } else if (arg == "--fast-min-side" && has_value) {
      fast_tuning.min_side = std::atoi(argv[++i]);
    } else if (arg == "--fast-decode" && has_value) {
      fast_tuning.fast_decode = std::string(argv[++i]) != "0";
    } else if (arg == "--profile" && i + 2 < argc) {
      settings.profile_image = argv[++i];
      settings.profile_pipeline = argv[++i];
    } else {
      fmt::print(stderr,
                 "usage: hash_bench [--testdata DIR] [--min-time SECONDS] [--rounds N] "
                 "[--write-images DIR] [--fast-denom N] [--fast-min-side PX] [--fast-decode 0|1] "
                 "[--profile IMAGE PIPELINE]\n");
      return false;
    }
  }
  if (settings.min_time_s <= 0 || settings.rounds < 1) {
    fmt::print(stderr, "hash_bench: --min-time must be > 0 and --rounds >= 1\n");
    return false;
  }
  return true;
}

int Main(int argc, char** argv) {
  Settings settings;
  if (!ParseArgs(argc, argv, settings)) return 2;
  Result<std::vector<BenchImage>> images = MakeBenchImages(settings.testdata);
  if (!images.ok()) {
    fmt::print(stderr, "hash_bench: {}\n", images.status().ToString());
    return 2;
  }
  if (!settings.write_images.empty()) {
    for (const BenchImage& image : *images) {
      const std::string path = settings.write_images + "/" + image.name +
                               (image.format == ImageFormat::kPng ? ".png" : ".jpg");
      std::ofstream(path, std::ios::binary)
          .write(reinterpret_cast<const char*>(image.bytes.data()),
                 static_cast<std::streamsize>(image.bytes.size()));
    }
  }
  if (!settings.profile_image.empty()) return Profile(settings, *images);
  cpu_set_t all_cpus;
  CPU_ZERO(&all_cpus);
  sched_getaffinity(0, sizeof(all_cpus), &all_cpus);
  cpu_set_t one_cpu;
  CPU_ZERO(&one_cpu);
  const int cpu = std::max(0, sched_getcpu());
  CPU_SET(cpu, &one_cpu);
  sched_setaffinity(0, sizeof(one_cpu), &one_cpu);

  fmt::print(
      "hash_bench: {} ({} CPUs online), pinned to CPU {}; CPU time per thread; "
      "median of {} rounds, {:.2f} s per figure; load average {}\n",
      CpuModel(), std::thread::hardware_concurrency(), cpu, settings.rounds, settings.min_time_s,
      LoadAverage());
  fmt::print("fast pipeline: JPEG scale 1/{}, min side {} px, fast decode {}\n\n",
             fast_tuning.denom, fast_tuning.min_side, fast_tuning.fast_decode ? "on" : "off");

  Result<Image> photo = DecodeImage((*images)[1].bytes);
  if (!photo.ok() || photo->channels != 3) {
    fmt::print(stderr, "hash_bench: cannot decode the 1600x1004 photo\n");
    return 2;
  }
  BenchCore(settings, *photo);
  BenchPipelines(settings, *images);
  BenchBreakdown(settings, *images);
  BenchDigests(settings, *images);
  BenchJobs(settings, *images, all_cpus);
  fmt::print("{}\n",
             failures == 0 ? "all targets met" : fmt::format("{} target(s) missed", failures));
  return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace warden::bench

int main(int argc, char** argv) { return warden::bench::Main(argc, argv); }
