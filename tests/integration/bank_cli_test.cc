// `warden bank` and `warden match` as a user runs them: the real binary on a temporary --db.
// Covers create, import twice (the second adds nothing), list/show/stats, the export round
// trip, the threshold boundary (31 matches, 32 does not), item disable/enable, negative-bank
// suppression, matching an image file after importing its hash, and the error exits.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <cctype>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/subprocess.h"

namespace warden {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const std::string kWee = std::string(WARDEN_TESTDATA) + "/pdq/images/misc-images/wee.jpg";
// wee.jpg's fullres hash (MANIFEST.tsv).
constexpr char kWeeHash[] = "6227401f601ff4ccafcc9fad4b0d95d371a2eb7265a3285234d228ca94deeb2d";
// An unrelated hash (far from kWeeHash) for the threshold tests.
constexpr char kOther[] = "a5f0b457248995e8c1065c275aaa56d8b61ba4bdf8fcfc0383c32f8b0bfc4f05";

// `hex` with the lowest bit of its first `n` hex digits flipped: exactly n bits away.
std::string FlipBits(std::string hex, int n) {
  for (int i = 0; i < n; ++i) {
    int v = std::stoi(hex.substr(i, 1), nullptr, 16) ^ 1;
    hex[i] = "0123456789abcdef"[v];
  }
  return hex;
}

std::vector<std::string> SortedLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::sort(lines.begin(), lines.end());
  return lines;
}

class BankCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("bank_cli_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    db_ = (dir_ / "w.db").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs `warden FIRST --db DB REST...` (the --db right after the command, or at the end).
  ProcessResult Warden(std::vector<std::string> args, bool with_db = true) {
    if (with_db) {
      args.push_back("--db");
      args.push_back(db_);
    }
    args.insert(args.begin(), WARDEN_BINARY);
    return RunProcess(args);
  }

  std::string Write(const std::string& name, const std::string& text) {
    std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  // The item id in the first "match BANK item ID" line of text output, or -1.
  // (Parsed by hand: GCC 12's <regex> trips -Wmaybe-uninitialized under ASan.)
  static long ItemIdOf(const std::string& out) {
    for (size_t at = out.find(": match "); at != std::string::npos;
         at = out.find(": match ", at + 1)) {
      size_t p = at + 8;
      while (p < out.size() && (std::isalnum(static_cast<unsigned char>(out[p])) || out[p] == '_')) ++p;
      if (p == at + 8 || out.compare(p, 6, " item ") != 0) continue;
      p += 6;
      size_t q = p;
      while (q < out.size() && std::isdigit(static_cast<unsigned char>(out[q]))) ++q;
      if (q > p && q < out.size() && out[q] == ' ') return std::stol(out.substr(p, q - p));
    }
    return -1;
  }

  fs::path dir_;
  std::string db_;
};

TEST_F(BankCliTest, CreateImportListShowStatsExportMatch) {
  ProcessResult r = Warden({"bank", "create", "HOTLINE", "--description", "test list"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("created bank HOTLINE"));

  const std::string list =
      Write("list.txt", std::string("# a pytx local file\npdq ") + kWeeHash + "\npdq " + kOther +
                            "\nmd5 0123456789abcdef0123456789abcdef\n"
                            "pdq 12345\n");
  r = Warden({"bank", "import", "HOTLINE", list});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("3 added, 0 updated, 0 removed, 0 duplicate"));
  EXPECT_THAT(r.out, HasSubstr("1 quarantined"));
  EXPECT_THAT(r.err, HasSubstr("list.txt:5: quarantined:"));
  r = Warden({"bank", "import", "HOTLINE", list, "--format", "pytx"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("0 added, 0 updated, 0 removed, 3 duplicate"));

  r = Warden({"bank", "list"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_THAT(r.out, ::testing::ContainsRegex("HOTLINE +positive +yes +1 +3  test list"));
  r = Warden({"bank", "show", "HOTLINE"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("items:          3 (0 disabled)"));
  EXPECT_THAT(r.out, HasSubstr("signals:        2 pdq, 1 md5"));
  r = Warden({"bank", "stats", "--format", "json"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr(R"("banks":1)"));
  EXPECT_THAT(r.out, HasSubstr(R"("items":3)"));

  // Export round trip: JSON Lines into a second bank gives the same pytx list.
  const std::string exported = (dir_ / "hotline.jsonl").string();
  r = Warden({"bank", "export", "HOTLINE", "--out", exported});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  ASSERT_TRUE(fs::exists(exported));
  EXPECT_FALSE(fs::exists(exported + ".tmp"));
  ASSERT_EQ(Warden({"bank", "create", "COPY"}).exit_status, 0);
  r = Warden({"bank", "import", "COPY", exported});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("(jsonl): 3 records: 3 added"));
  ProcessResult a = Warden({"bank", "export", "HOTLINE", "--format", "pytx"});
  ProcessResult b = Warden({"bank", "export", "COPY", "--format", "pytx"});
  ASSERT_EQ(a.exit_status, 0) << a.err;
  EXPECT_EQ(SortedLines(a.out), SortedLines(b.out));
  EXPECT_EQ(SortedLines(a.out).size(), 3u);
  ASSERT_EQ(Warden({"bank", "delete", "COPY"}).exit_status, 0);

  // The image itself, hashed with the fullres pipeline, matches its imported hash.
  r = Warden({"match", kWee});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr(kWee + ": match HOTLINE item "));
  EXPECT_THAT(r.out, HasSubstr(" pdq distance 0"));
  r = Warden({"match", kWee, "--format", "json"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr(R"("matched":true)"));
  EXPECT_THAT(r.out, HasSubstr(std::string(R"("signal":")") + kWeeHash));
  r = Warden({"match", "--hash", "md5:0123456789ABCDEF0123456789ABCDEF"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("match HOTLINE item "));
  EXPECT_THAT(r.out, HasSubstr(" md5 distance 0"));
}

TEST_F(BankCliTest, HashLocalPipesIntoImport) {
  const std::string photo = std::string(WARDEN_TESTDATA) + "/pdq/images/bridge-mods/aaa-orig.jpg";
  ProcessResult hashed = RunProcess({WARDEN_BINARY, "hash", "--local", photo});
  ASSERT_EQ(hashed.exit_status, 0) << hashed.err;
  ASSERT_THAT(hashed.out, HasSubstr(",local:"));
  ASSERT_EQ(Warden({"bank", "create", "LOCAL"}).exit_status, 0);
  // `warden hash --local IMG | warden bank import LOCAL -`
  const std::vector<std::string> import = {WARDEN_BINARY, "bank", "import", "LOCAL", "-",
                                           "--db",        db_};
  ProcessResult r = RunProcess(import, {.stdin_bytes = hashed.out});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("imported - into LOCAL (pdq-hasher): 1 records: 1 added"));
  r = RunProcess(import, {.stdin_bytes = hashed.out});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("0 added, 0 updated, 0 removed, 1 duplicate"));
  r = Warden({"bank", "show", "LOCAL"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("1 pdq, 1 local"));
  // JSON Lines carry the local signal with its algorithm; pytx leaves it out and says so.
  r = Warden({"bank", "export", "LOCAL"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr(R"("type":"local")"));
  EXPECT_THAT(r.out, HasSubstr(R"("algorithm":"warden-local","algorithm_version":2)"));
  r = Warden({"bank", "export", "LOCAL", "--format", "pytx"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.out.find("local"), std::string::npos);
  EXPECT_THAT(r.err, HasSubstr("left out 1 local signals (pytx cannot carry them)"));
}

TEST_F(BankCliTest, ThresholdBoundaryAndItemDisable) {
  ASSERT_EQ(Warden({"bank", "create", "A"}).exit_status, 0);
  ASSERT_EQ(Warden({"bank", "import", "A", Write("a.txt", std::string("pdq ") + kOther + "\n")})
                .exit_status,
            0);
  const std::string at31 = FlipBits(kOther, 31), at32 = FlipBits(kOther, 32);
  ProcessResult r = Warden({"match", "--hash", "pdq:" + at31});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("pdq distance 31"));
  const long id = ItemIdOf(r.out);
  ASSERT_GT(id, 0) << r.out;
  r = Warden({"match", "--hash", "pdq:" + at32});
  EXPECT_EQ(r.exit_status, 0) << "no match is not an error";
  EXPECT_EQ(r.out, "pdq:" + at32 + ": no match\n");
  r = Warden({"match", "--hash", at32, "--threshold", "32"});
  EXPECT_THAT(r.out, HasSubstr("pdq distance 32"));

  r = Warden({"bank", "item", "disable", "A", std::to_string(id)});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_THAT(Warden({"match", "--hash", at31}).out, HasSubstr("no match"));
  EXPECT_THAT(Warden({"match", "--hash", at31, "--raw"}).out, HasSubstr("distance 31"));
  ASSERT_EQ(Warden({"bank", "item", "enable", "A", std::to_string(id)}).exit_status, 0);
  EXPECT_THAT(Warden({"match", "--hash", at31}).out, HasSubstr("distance 31"));

  // A disabled bank never matches; a negative bank suppresses.
  ASSERT_EQ(Warden({"bank", "disable", "A"}).exit_status, 0);
  EXPECT_THAT(Warden({"match", "--hash", at31}).out, HasSubstr("no match"));
  ASSERT_EQ(Warden({"bank", "enable", "A"}).exit_status, 0);
  ASSERT_EQ(Warden({"bank", "create", "BENIGN", "--kind", "negative"}).exit_status, 0);
  ASSERT_EQ(
      Warden({"bank", "import", "BENIGN", Write("n.txt", std::string("pdq ") + kOther + "\n")})
          .exit_status,
      0);
  r = Warden({"match", "--hash", at31});
  EXPECT_THAT(r.out, ::testing::ContainsRegex(
                         "suppressed by BENIGN item [0-9]+: A item [0-9]+ pdq distance 31"));
  EXPECT_THAT(r.out, HasSubstr("negative BENIGN item"));
  EXPECT_THAT(r.out, HasSubstr("no match"));

  ASSERT_EQ(Warden({"bank", "item", "delete", "A", std::to_string(id)}).exit_status, 0);
  EXPECT_EQ(Warden({"bank", "item", "show", "A", std::to_string(id)}).exit_status, 1);
}

TEST_F(BankCliTest, ErrorsNameTheProblemAndExitNonZero) {
  ProcessResult r = Warden({"bank", "list"});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_THAT(r.err, HasSubstr("no such store"));
  EXPECT_FALSE(fs::exists(db_)) << "a read must not create a store";

  ASSERT_EQ(Warden({"bank", "create", "A"}).exit_status, 0);
  r = Warden({"bank", "create", "A"});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_THAT(r.err, HasSubstr("A"));
  r = Warden({"bank", "create", "bad-name"});
  EXPECT_EQ(r.exit_status, 2);
  EXPECT_THAT(r.err, HasSubstr("bad-name"));
  r = Warden({"bank", "show", "NOPE"});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_THAT(r.err, HasSubstr("NOPE"));
  r = Warden({"bank", "import", "NOPE", Write("x.txt", std::string("pdq ") + kOther + "\n")});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_THAT(r.err, HasSubstr("NOPE"));
  r = Warden({"bank", "import", "A", (dir_ / "missing.txt").string()});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_THAT(r.err, HasSubstr("missing.txt"));
  r = Warden({"bank", "create", "B", "--ratio", "1.5"});
  EXPECT_EQ(r.exit_status, 2);
  // Item ids: the message says what an id is; one past int64 is refused, not clamped.
  r = Warden({"bank", "item", "show", "A", "abc"});
  EXPECT_EQ(r.exit_status, 2);
  EXPECT_THAT(r.err, HasSubstr("ID: must be a whole number of at least 1, got 'abc'"));
  r = Warden({"bank", "item", "show", "A", "9223372036854775808"});
  EXPECT_EQ(r.exit_status, 2);
  EXPECT_THAT(r.err, HasSubstr("'9223372036854775808' is too large"));
  r = Warden({"bank", "item", "show", "A", "9223372036854775807"});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_THAT(r.err, HasSubstr("bank A has no item 9223372036854775807"));

  r = Warden({"match", "--hash", "pdq:1234"});
  EXPECT_EQ(r.exit_status, 2);
  EXPECT_THAT(r.err, HasSubstr("pdq:1234"));
  EXPECT_EQ(r.out, "");
  r = Warden({"match", "--hash", kOther, "--banks", "NOPE"});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_THAT(r.err, HasSubstr("NOPE"));
  r = Warden({"match", "--hash", kOther, "--threshold", "257"});
  EXPECT_EQ(r.exit_status, 2);
  r = Warden({"match"});
  EXPECT_EQ(r.exit_status, 2);
  EXPECT_THAT(r.err, HasSubstr("nothing to look up"));
  // One unreadable image: the others are still answered, exit 1.
  r = Warden({"match", (dir_ / "nope.jpg").string(), "--hash", kOther});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_THAT(r.err, HasSubstr("nope.jpg"));
  EXPECT_THAT(r.out, HasSubstr(std::string(kOther) + ": no match"));
  // Nothing was lost along the way.
  r = Warden({"bank", "show", "A"});
  EXPECT_EQ(r.exit_status, 0);
  EXPECT_THAT(r.out, HasSubstr("items:          0"));
}

}  // namespace
}  // namespace warden
