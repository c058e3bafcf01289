// `warden` as a user runs it: a subprocess on temporary files and on shared/testdata. Covers
// every bad input of issue 2 item 3 (each with its message and exit status, the good files
// still hashed in the same run), stdin, -r ordering, --jobs determinism, the output formats,
// compare, usage errors, and the MANIFEST cli512 rows through the command line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/subprocess.h"

namespace warden {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const std::string kImages = std::string(WARDEN_TESTDATA) + "/pdq/images";
// wee.jpg's fullres (and cli512: it is under 512 px) row in MANIFEST.tsv.
constexpr char kWeeHash[] = "6227401f601ff4ccafcc9fad4b0d95d371a2eb7265a3285234d228ca94deeb2d";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

ProcessResult Warden(std::vector<std::string> args, const ProcessOptions& options = {}) {
  args.insert(args.begin(), WARDEN_BINARY);
  return RunProcess(args, options);
}

// CRC-32 (ISO-HDLC, as PNG chunks use), bitwise: small and only used to build fixtures.
uint32_t Crc32(const std::string& bytes) {
  uint32_t crc = 0xffffffffu;
  for (unsigned char b : bytes) {
    crc ^= b;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

std::string BigEndian32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

std::string PngChunk(const std::string& type, const std::string& data) {
  return BigEndian32(static_cast<uint32_t>(data.size())) + type + data +
         BigEndian32(Crc32(type + data));
}

// A valid PNG header that claims width x height RGB pixels, with a tiny IDAT and IEND: a
// decompression-bomb shape that must be refused before any allocation.
std::string PngClaiming(uint32_t width, uint32_t height) {
  std::string ihdr =
      BigEndian32(width) + BigEndian32(height) + std::string("\x08\x02\x00\x00\x00", 5);
  return std::string("\x89PNG\r\n\x1a\n", 8) + PngChunk("IHDR", ihdr) +
         PngChunk("IDAT", std::string("\x78\x9c\x03\x00\x00\x00\x00\x01", 8)) +
         PngChunk("IEND", "");
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/warden_cli_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    // The child may run as nobody: it must reach the good files.
    ::chmod(dir_.c_str(), 0755);
  }
  void TearDown() override {
    std::error_code ec;
    for (const auto& p : fs::recursive_directory_iterator(dir_, ec)) {
      fs::permissions(p.path(), fs::perms::owner_all, fs::perm_options::add, ec);
    }
    fs::remove_all(dir_, ec);
  }

  // Writes `bytes` to dir_/name (readable by everyone) and returns the path.
  std::string Write(const std::string& name, const std::string& bytes) {
    std::string path = dir_ + "/" + name;
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << bytes;
    ::chmod(path.c_str(), 0644);
    return path;
  }
  std::string Copy(const std::string& image, const std::string& name) {
    return Write(name, ReadFile(kImages + "/" + image));
  }

  std::string dir_;
};

struct BadCase {
  std::string name;    // file name under the temp dir
  std::string reason;  // what stderr must say after "warden: PATH: "
};

TEST_F(CliTest, EveryBadInputIsReportedAndGoodFilesStillHashed) {
  const std::string jpeg = ReadFile(kImages + "/bridge-mods/aaa-orig.jpg");
  const std::string png = ReadFile(kImages + "/synthetic/s09_noise_512x512.png");
  ASSERT_GT(jpeg.size(), 20000u);
  std::string random(4096, '\0');
  uint32_t s = 2463534242u;
  for (size_t i = 1; i < random.size(); ++i) {  // byte 0 stays 0: no format starts with it
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    random[i] = static_cast<char>(s);
  }

  std::string good1 = Copy("misc-images/wee.jpg", "good1.jpg");
  Write("empty.jpg", "");
  Write("truncated.jpg", jpeg.substr(0, jpeg.size() / 2));
  Write("truncated.png", png.substr(0, png.size() / 2));
  Write("random.jpg", random);
  Write("notes.txt", "These are not the pixels you are looking for.\n");
  Write("bomb.png", PngClaiming(100000, 100000));
  std::string unreadable = Copy("misc-images/wee.jpg", "unreadable.jpg");
  ::chmod(unreadable.c_str(), 0);
  fs::create_directory(dir_ + "/adir");
  ::chmod((dir_ + "/adir").c_str(), 0755);
  std::string good2 = Copy("misc-images/wee.jpg", "good2.jpg");

  const std::vector<BadCase> cases = {
      {"empty.jpg", "unsupported format: empty file"},
      {"truncated.jpg", "truncated: JPEG: premature end of data"},
      {"truncated.png", "truncated: PNG: premature end of data"},
      {"random.jpg", "unsupported format: not an image (unknown format)"},
      {"notes.txt", "unsupported format: not an image (unknown format)"},
      {"bomb.png", "too large: PNG: image is 100000x100000, over the limit of 100000000 pixels"},
      {"unreadable.jpg", "unreadable: permission denied"},
      {"adir", "is a directory (use -r)"},
  };

  // One run with everything: good files first and last, each bad input in between.
  std::vector<std::string> args = {"hash", "--jobs", "2", good1};
  for (const auto& c : cases) args.push_back(dir_ + "/" + c.name);
  args.push_back(good2);
  ProcessResult all = Warden(args, {.stdin_bytes = "", .drop_root = true});
  EXPECT_EQ(all.exit_status, 1);
  EXPECT_EQ(Lines(all.out), (std::vector<std::string>{std::string(kWeeHash) + ",100," + good1,
                                                      std::string(kWeeHash) + ",100," + good2}));
  std::vector<std::string> err = Lines(all.err);
  ASSERT_EQ(err.size(), cases.size()) << all.err;
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_THAT(err[i],
                StartsWith("warden: " + dir_ + "/" + cases[i].name + ": " + cases[i].reason))
        << "case " << cases[i].name;
  }

  // Each bad input alone: exit 1, one line, nothing on standard output, no crash.
  for (const auto& c : cases) {
    ProcessResult one =
        Warden({"hash", dir_ + "/" + c.name}, {.stdin_bytes = "", .drop_root = true});
    EXPECT_EQ(one.exit_status, 1) << c.name;
    EXPECT_EQ(one.out, "") << c.name;
    EXPECT_EQ(Lines(one.err).size(), 1u) << c.name << ": " << one.err;
    EXPECT_THAT(one.err, HasSubstr(c.reason)) << c.name;
  }
}

TEST_F(CliTest, MissingFileIsReported) {
  ProcessResult r = Warden({"hash", dir_ + "/nope.png"});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_EQ(r.err, "warden: " + dir_ + "/nope.png: no such file\n");
}

TEST_F(CliTest, MaxPixelsRefusesBeforeDecoding) {
  std::string p = Copy("misc-images/wee.jpg", "wee.jpg");  // 34x42 = 1428 pixels
  ProcessResult r = Warden({"hash", "--max-pixels", "1000", p});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_THAT(r.err, HasSubstr("too large: JPEG: image is 34x42, over the limit of 1000 pixels"));
  EXPECT_EQ(Warden({"hash", "--max-pixels", "1428", p}).exit_status, 0);
}

TEST_F(CliTest, StandardInput) {
  ProcessResult r =
      Warden({"hash", "-"}, {.stdin_bytes = ReadFile(kImages + "/misc-images/wee.jpg")});
  EXPECT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.out, std::string(kWeeHash) + ",100,-\n");
  EXPECT_EQ(r.err, "");

  ProcessResult bad = Warden({"hash", "-"}, {.stdin_bytes = "hello"});
  EXPECT_EQ(bad.exit_status, 1);
  EXPECT_EQ(bad.err, "warden: (stdin): unsupported format: not an image (unknown format)\n");

  EXPECT_EQ(Warden({"hash", "-", "-"}).exit_status, 2);
}

TEST_F(CliTest, RecursiveIsSortedAndDirectoryNeedsFlag) {
  Copy("misc-images/wee.jpg", "tree/z.jpg");
  Copy("synthetic/s05_exact_64x64_noise.png", "tree/b.png");
  Copy("synthetic/s04_min_5x5_noise.png", "tree/a/deep/c.png");
  Copy("synthetic/s06_65x65_noise.png", "tree/a.png");
  ProcessResult r = Warden({"hash", "-r", dir_ + "/tree"});
  EXPECT_EQ(r.exit_status, 0) << r.err;
  std::vector<std::string> paths;
  for (const auto& line : Lines(r.out))
    paths.push_back(line.substr(64 + 1 + line.substr(65).find(',') + 1));
  const std::string t = dir_ + "/tree/";
  EXPECT_EQ(paths,
            (std::vector<std::string>{t + "a.png", t + "a/deep/c.png", t + "b.png", t + "z.jpg"}));

  ProcessResult no_r = Warden({"hash", dir_ + "/tree"});
  EXPECT_EQ(no_r.exit_status, 1);
  EXPECT_EQ(no_r.err, "warden: " + dir_ + "/tree: is a directory (use -r)\n");
}

TEST_F(CliTest, TooSmallIsHashedAsZeroWithANote) {
  std::string p = Copy("synthetic/s03_tiny_4x4_noise.png", "tiny.png");
  ProcessResult r = Warden({"hash", p});
  EXPECT_EQ(r.exit_status, 0);
  EXPECT_EQ(r.out, std::string(64, '0') + ",0," + p + "\n");
  EXPECT_EQ(r.err, "warden: " + p + ": too small to hash (4x4): quality 0\n");

  ProcessResult j = Warden({"hash", "--format", "json", p});
  EXPECT_EQ(j.exit_status, 0);
  EXPECT_THAT(j.out, HasSubstr("\"quality\":0,"));
  EXPECT_THAT(j.out, HasSubstr("\"too_small\":true"));
  EXPECT_EQ(j.err, "");
}

TEST_F(CliTest, CsvAndJson) {
  std::string p = Copy("misc-images/wee.jpg", "wee,1.jpg");
  ProcessResult csv = Warden({"hash", "--format", "csv", p});
  EXPECT_EQ(csv.exit_status, 0);
  auto lines = Lines(csv.out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0],
            "path,pdq,quality,md5,sha1,sha256,width,height,format,pipeline,algorithm,"
            "algorithm_version,too_small");
  EXPECT_EQ(lines[1], "\"" + p + "\"," + kWeeHash +
                          ",100,8bbbaa9540800e378beadc8bbef7bb32,"
                          "7fdbc7fe30189f0a16fbaae7162c9c5eb3c7987c,"
                          "05636c50d0c2ffe3a820f964eaba35b404deadd10538fe452ad9fb16fdd823d7,"
                          "34,42,jpeg,fullres,pdq,1,false");

  ProcessResult json =
      Warden({"hash", "--format", "json", "--dihedral", "--pipeline", "cli512", p});
  EXPECT_EQ(json.exit_status, 0);
  ASSERT_EQ(Lines(json.out).size(), 1u);
  for (const char* field :
       {"\"path\":", "\"pdq\":\"6227401f", "\"quality\":100", "\"md5\":\"8bbbaa95",
        "\"sha1\":\"7fdbc7fe", "\"sha256\":\"05636c50", "\"width\":34", "\"height\":42",
        "\"format\":\"jpeg\"", "\"pipeline\":\"cli512\"", "\"algorithm\":\"pdq\"",
        "\"algorithm_version\":1", "\"too_small\":false", "\"dihedral\":{\"orig\":\"6227401f",
        "\"flipminus1\":"}) {
    EXPECT_THAT(json.out, HasSubstr(field));
  }
}

TEST_F(CliTest, LocalSignalInTextAndJson) {
  std::string p = Copy("bridge-mods/aaa-orig.jpg", "bridge.jpg");
  ProcessResult text = Warden({"hash", "--local", p});
  ASSERT_EQ(text.exit_status, 0) << text.err;
  auto lines = Lines(text.out);
  ASSERT_EQ(lines.size(), 1u);
  // pdqhex,quality,local:<hex>,path
  const size_t tag = lines[0].find(",local:");
  ASSERT_NE(tag, std::string::npos) << lines[0];
  EXPECT_EQ(tag, lines[0].find(',', 65));  // right after the quality
  const size_t hex_end = lines[0].rfind(',');
  EXPECT_EQ(lines[0].substr(hex_end + 1), p);
  const std::string hex = lines[0].substr(tag + 7, hex_end - tag - 7);
  EXPECT_GT(hex.size(), 1000u);
  EXPECT_LE(hex.size(), 8192u);
  EXPECT_EQ(hex.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(Warden({"hash", p}).out.find("local"), std::string::npos);  // not by default

  ProcessResult json = Warden({"hash", "--local", "--format", "json", p});
  ASSERT_EQ(json.exit_status, 0) << json.err;
  EXPECT_THAT(json.out, HasSubstr("\"local\":\"" + hex + "\""));
  EXPECT_THAT(json.out, HasSubstr("\"local_keypoints\":100"));
  EXPECT_THAT(json.out, HasSubstr("\"local_algorithm\":\"warden-local\""));
}

TEST_F(CliTest, DihedralText) {
  std::string p = Copy("misc-images/wee.jpg", "wee.jpg");
  ProcessResult r = Warden({"hash", "--dihedral", p});
  EXPECT_EQ(r.exit_status, 0);
  auto fields = Lines(r.out);
  ASSERT_EQ(fields.size(), 1u);
  std::vector<std::string> parts;
  std::istringstream in(fields[0]);
  std::string f;
  while (std::getline(in, f, ',')) parts.push_back(f);
  ASSERT_EQ(parts.size(), 10u);
  EXPECT_EQ(parts[0], kWeeHash);
  EXPECT_EQ(parts[1], "100");
  for (int i = 2; i < 9; ++i) EXPECT_EQ(parts[i].size(), 64u);
  EXPECT_EQ(parts[9], p);
}

TEST_F(CliTest, Compare) {
  const std::string a = kWeeHash;
  std::string b = a;
  b[63] = 'c';  // ...2d -> ...2c: one bit apart
  ProcessResult r = Warden({"compare", a, "pdq:" + b});
  EXPECT_EQ(r.exit_status, 0);
  EXPECT_EQ(r.out, "1\n");
  ProcessResult same = Warden({"compare", a, a});
  EXPECT_EQ(same.out, "0\n");

  ProcessResult bad = Warden({"compare", a, a.substr(0, 60)});
  EXPECT_EQ(bad.exit_status, 2);
  EXPECT_EQ(bad.out, "");
  EXPECT_EQ(bad.err, "warden: compare: HEX2: pdq hash must be 64 hex digits, got 60\n");
  ProcessResult bad_char = Warden({"compare", "x" + a.substr(1), a});
  EXPECT_EQ(bad_char.exit_status, 2);
  EXPECT_THAT(bad_char.err, HasSubstr("HEX1: pdq hash has a non-hex character 'x' at position 0"));
  EXPECT_EQ(Warden({"compare", a}).exit_status, 2);
}

TEST_F(CliTest, UsageErrorsExitTwo) {
  std::string p = Copy("misc-images/wee.jpg", "wee.jpg");
  EXPECT_EQ(Warden({"hash", "--bogus", p}).exit_status, 2);
  EXPECT_EQ(Warden({"hash", "--pipeline", "slow", p}).exit_status, 2);
  EXPECT_EQ(Warden({"hash", "--format", "xml", p}).exit_status, 2);
  EXPECT_EQ(Warden({"hash", "--jobs", "0", p}).exit_status, 2);
  EXPECT_EQ(Warden({"hash"}).exit_status, 2);
  EXPECT_EQ(Warden({}).exit_status, 2);
  EXPECT_EQ(Warden({"frobnicate"}).exit_status, 2);
  ProcessResult version = Warden({"--version"});
  EXPECT_EQ(version.exit_status, 0);
  EXPECT_THAT(version.out, StartsWith("warden "));
  ProcessResult help = Warden({"help"});
  EXPECT_EQ(help.exit_status, 0);
  EXPECT_THAT(help.out, HasSubstr("compare"));
  EXPECT_THAT(help.out, HasSubstr("hash"));
}

// `warden hash -r images --pipeline cli512` equals the MANIFEST cli512 rows, and --jobs 2
// prints exactly what --jobs 1 prints.
TEST_F(CliTest, ManifestCli512RowsAndJobsDeterminism) {
  std::map<std::string, std::string> want;  // path -> "pdq,quality"
  std::ifstream manifest(std::string(WARDEN_TESTDATA) + "/pdq/MANIFEST.tsv");
  std::string line;
  while (std::getline(manifest, line)) {
    std::vector<std::string> f;
    std::istringstream in(line);
    std::string field;
    while (std::getline(in, field, '\t')) f.push_back(field);
    if (f.size() >= 4 && f[1] == "cli512") {
      want[std::string(WARDEN_TESTDATA) + "/pdq/" + f[0]] = f[2] + "," + f[3];
    }
  }
  ASSERT_EQ(want.size(), 60u);

  ProcessResult two = Warden({"hash", "-r", "--pipeline", "cli512", "--jobs", "2", kImages});
  EXPECT_EQ(two.exit_status, 0) << two.err;
  int matched = 0;
  for (const std::string& out : Lines(two.out)) {
    size_t second_comma = out.find(',', 65);
    ASSERT_NE(second_comma, std::string::npos) << out;
    std::string path = out.substr(second_comma + 1);
    auto it = want.find(path);
    if (it == want.end()) continue;  // the -lowbyte16 row's file: not a target
    EXPECT_EQ(out.substr(0, second_comma), it->second) << path;
    ++matched;
  }
  EXPECT_EQ(matched, 60);

  ProcessResult one = Warden({"hash", "-r", "--pipeline", "cli512", "--jobs", "1", kImages});
  EXPECT_EQ(one.exit_status, 0);
  EXPECT_EQ(one.out, two.out);
  EXPECT_EQ(one.err, two.err);
}

}  // namespace
}  // namespace warden
