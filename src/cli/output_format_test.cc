#include "src/cli/output_format.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

namespace warden {
namespace {

HashRecord SampleRecord(bool dihedral) {
  HashRecord r;
  r.format = ImageFormat::kJpeg;
  r.width = 1600;
  r.height = 1004;
  r.pipeline = Pipeline::kCli512;
  r.pdq.hash =
      *PdqHash::FromHex("d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22");
  r.pdq.quality = 100;
  r.md5 = std::string(32, 'a');
  r.sha1 = std::string(40, 'b');
  r.sha256 = std::string(64, 'c');
  if (dihedral) {
    r.pdq.has_dihedral = true;
    for (int d = 0; d < kDihedralCount; ++d) {
      r.pdq.dihedral[d].words[0] = static_cast<uint64_t>(d);
    }
    r.pdq.dihedral[0] = r.pdq.hash;
  }
  return r;
}

constexpr char kHex[] = "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22";

TEST(OutputFormatTest, ParseNames) {
  EXPECT_EQ(*ParseOutputFormat("text"), OutputFormat::kText);
  EXPECT_EQ(*ParseOutputFormat("csv"), OutputFormat::kCsv);
  EXPECT_EQ(*ParseOutputFormat("json"), OutputFormat::kJson);
  auto bad = ParseOutputFormat("xml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(OutputFormatHasDigests(OutputFormat::kText));
  EXPECT_TRUE(OutputFormatHasDigests(OutputFormat::kJson));
}

TEST(OutputFormatTest, TextIsMetaFormat) {
  EXPECT_EQ(FormatRecord(OutputFormat::kText, "a/b,c.jpg", SampleRecord(false), false),
            std::string(kHex) + ",100,a/b,c.jpg\n");
  EXPECT_EQ(OutputHeader(OutputFormat::kText, false), "");
}

TEST(OutputFormatTest, TextDihedralKeepsPathLast) {
  std::string line = FormatRecord(OutputFormat::kText, "x.png", SampleRecord(true), true);
  std::string expect = std::string(kHex) + ",100";
  for (int d = 1; d < kDihedralCount; ++d) {
    PdqHash h;
    h.words[0] = static_cast<uint64_t>(d);
    expect += "," + h.ToHex();
  }
  expect += ",x.png\n";
  EXPECT_EQ(line, expect);
}

TEST(OutputFormatTest, CsvHeaderAndRow) {
  EXPECT_EQ(OutputHeader(OutputFormat::kCsv, false),
            "path,pdq,quality,md5,sha1,sha256,width,height,format,pipeline,algorithm,"
            "algorithm_version,too_small\n");
  std::string header = OutputHeader(OutputFormat::kCsv, true);
  EXPECT_NE(header.find(",too_small,pdq_orig,pdq_rot90,"), std::string::npos);
  EXPECT_NE(header.find(",pdq_flipminus1\n"), std::string::npos);
  EXPECT_EQ(FormatRecord(OutputFormat::kCsv, "dir/\"q\",1.jpg", SampleRecord(false), false),
            "\"dir/\"\"q\"\",1.jpg\"," + std::string(kHex) + ",100," + std::string(32, 'a') + "," +
                std::string(40, 'b') + "," + std::string(64, 'c') +
                ",1600,1004,jpeg,cli512,pdq,1,false\n");
}

TEST(OutputFormatTest, CsvFieldQuoting) {
  EXPECT_EQ(CsvField("plain.jpg"), "plain.jpg");
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvField("a\"b"), "\"a\"\"b\"");
  EXPECT_EQ(CsvField("a\nb"), "\"a\nb\"");
}

TEST(OutputFormatTest, JsonFields) {
  std::string line = FormatRecord(OutputFormat::kJson, "p.jpg", SampleRecord(true), true);
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);  // one object per line
  auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["path"], "p.jpg");
  EXPECT_EQ(j["pdq"], kHex);
  EXPECT_EQ(j["quality"], 100);
  EXPECT_EQ(j["md5"], std::string(32, 'a'));
  EXPECT_EQ(j["sha1"], std::string(40, 'b'));
  EXPECT_EQ(j["sha256"], std::string(64, 'c'));
  EXPECT_EQ(j["width"], 1600);
  EXPECT_EQ(j["height"], 1004);
  EXPECT_EQ(j["format"], "jpeg");
  EXPECT_EQ(j["pipeline"], "cli512");
  EXPECT_EQ(j["algorithm"], "pdq");
  EXPECT_EQ(j["algorithm_version"], kPdqAlgorithmVersion);
  EXPECT_EQ(j["too_small"], false);
  ASSERT_TRUE(j.contains("dihedral"));
  EXPECT_EQ(j["dihedral"].size(), 8u);
  EXPECT_EQ(j["dihedral"]["orig"], kHex);
  PdqHash rot90;
  rot90.words[0] = 1;
  EXPECT_EQ(j["dihedral"]["rot90"], rot90.ToHex());
  EXPECT_TRUE(j["dihedral"].contains("flipminus1"));

  auto plain =
      nlohmann::json::parse(FormatRecord(OutputFormat::kJson, "p.jpg", SampleRecord(false), false));
  EXPECT_FALSE(plain.contains("dihedral"));
}

TEST(OutputFormatTest, JsonSurvivesNonUtf8Paths) {
  std::string path = "bad\xff\xfename.jpg";
  std::string line = FormatRecord(OutputFormat::kJson, path, SampleRecord(false), false);
  auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["path"], "bad\xEF\xBF\xBD\xEF\xBF\xBDname.jpg");  // U+FFFD twice
}

TEST(OutputFormatTest, TooSmallMarked) {
  HashRecord r;
  r.format = ImageFormat::kPng;
  r.width = r.height = 4;
  r.pdq.too_small = true;
  auto j = nlohmann::json::parse(FormatRecord(OutputFormat::kJson, "t.png", r, false));
  EXPECT_EQ(j["too_small"], true);
  EXPECT_EQ(j["quality"], 0);
  EXPECT_EQ(j["pdq"], std::string(64, '0'));
  EXPECT_EQ(FormatRecord(OutputFormat::kText, "t.png", r, false),
            std::string(64, '0') + ",0,t.png\n");
  std::string csv = FormatRecord(OutputFormat::kCsv, "t.png", r, false);
  EXPECT_EQ(csv.substr(csv.size() - 6), ",true\n");
}

TEST(OutputFormatTest, LocalInEveryFormat) {
  HashRecord r = SampleRecord(false);
  r.local = "0a1b2c";  // the formatter prints the value as given
  r.local_keypoints = 3;
  EXPECT_EQ(FormatRecord(OutputFormat::kText, "a,b.jpg", r, false, true),
            std::string(kHex) + ",100,local:0a1b2c,a,b.jpg\n");
  EXPECT_EQ(FormatRecord(OutputFormat::kText, "a.jpg", r, false, false),
            std::string(kHex) + ",100,a.jpg\n");
  const std::string header = OutputHeader(OutputFormat::kCsv, false, true);
  EXPECT_EQ(header.substr(header.size() - 23), ",local,local_keypoints\n");
  const std::string csv = FormatRecord(OutputFormat::kCsv, "a.jpg", r, false, true);
  EXPECT_EQ(csv.substr(csv.size() - 16), ",false,0a1b2c,3\n");
  auto j = nlohmann::json::parse(FormatRecord(OutputFormat::kJson, "a.jpg", r, false, true));
  EXPECT_EQ(j["local"], "0a1b2c");
  EXPECT_EQ(j["local_keypoints"], 3);
  EXPECT_EQ(j["local_algorithm"], "warden-local");
  EXPECT_EQ(j["local_algorithm_version"], 2);
  EXPECT_FALSE(nlohmann::json::parse(FormatRecord(OutputFormat::kJson, "a.jpg", r, false))
                   .contains("local"));
  // No keypoints: an empty tagged field in text, null in JSON.
  r.local.clear();
  r.local_keypoints = 0;
  EXPECT_EQ(FormatRecord(OutputFormat::kText, "t.png", r, false, true),
            std::string(kHex) + ",100,local:,t.png\n");
  EXPECT_TRUE(
      nlohmann::json::parse(FormatRecord(OutputFormat::kJson, "t.png", r, false, true))["local"]
          .is_null());
}

}  // namespace
}  // namespace warden
