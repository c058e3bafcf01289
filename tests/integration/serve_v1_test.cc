// `warden serve`'s own API under /v1/ driven over HTTP on the real binary (docs/api.md,
// "/v1/"): hashing (raw body, multipart, URL), match, batch lookup and its limits, banks and
// items CRUD, import with a quarantined line and export, the audit log, keys, and the OpenAPI
// document.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/serve_fixture.h"

namespace warden::serve_test {
namespace {

constexpr char kOrig[] = "bridge-mods/aaa-orig.jpg";
constexpr char kOrigMd5[] = "d35c785545392755e7e4164457657269";
constexpr char kOrigSha1[] = "ea45d7166b30f98aac6af52f952193ce3083cb4c";
constexpr char kOrigSha256[] = "b5b0799616df52d475a3968dc7e54f1d0724c912244ffa6175bc786375dd7298";
constexpr char kH1[] = "a5f0b457248995e8c1065c275aaa56d8b61ba4bdf8fcfc0383c32f8b0bfc4f05";
constexpr char kH2[] = "d8f80f31e0f457b00637f5d5038f980fb36ed12a9662c1e233e64c634e9c64dd";
constexpr char kFar[] = "5a0f4ba8db766a173ef9a3d8a555a9274e45b4240703033c7c3c0d74f403b0fa";

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class ServeV1Test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    host_ = new ImageHost({{"/orig.jpg", {"image/jpeg", ReadFileBytes(TestImagePath(kOrig))}}});
    env_ = new ServeEnv("v1");
    ready_ = env_->Start(WithArgs({"--url-allow-list", "127.0.0.1", "--refresh-interval-ms", "100"}));
  }
  static void TearDownTestSuite() {
    if (env_->server().running()) {
      EXPECT_EQ(env_->Stop(), 0) << env_->server().Log();
    }
    delete env_;
    delete host_;
  }
  void SetUp() override { ASSERT_TRUE(ready_) << "the server did not start"; }

  static const std::string& Key(const std::string& role) { return env_->key(role); }

  static Json CreateBank(const std::string& name, const std::string& kind = "positive") {
    Json b = env_->CallJson(201, "POST", "/v1/banks", Key("curator"),
                            Json({{"name", name},
                                  {"description", "made by serve_v1_test"},
                                  {"enabled", true},
                                  {"matching_ratio", 1.0},
                                  {"kind", kind},
                                  {"source", "own_assessment"}})
                                .dump(),
                            "application/json");
    EXPECT_EQ(b.value("name", ""), name) << b.dump();
    return b;
  }
  // POST /v1/banks/B/items with one PDQ signal; returns the item id.
  static int64_t AddItem(const std::string& bank, const std::string& pdq,
                         const Json& extra = Json::object()) {
    Json item = extra;
    item["signals"] = Json::array({{{"type", "pdq"}, {"value", pdq}}});
    Json a = env_->CallJson(201, "POST", "/v1/banks/" + bank + "/items", Key("curator"),
                            item.dump(), "application/json");
    EXPECT_EQ(a.value("duplicate", true), false) << a.dump();
    EXPECT_TRUE(a["item"]["id"].is_number_integer()) << a.dump();
    return a["item"].value("id", int64_t{-1});
  }
  static Json LookupOne(const std::string& pdq, const Json& extra = Json::object()) {
    Json body = extra;
    body["hashes"] = Json::array({{{"signal_type", "pdq"}, {"value", pdq}}});
    Json r = env_->CallJson(200, "POST", "/v1/lookup", Key("matcher"), body.dump(),
                            "application/json");
    EXPECT_EQ(r["results"].size(), 1u) << r.dump();
    return r["results"].empty() ? Json::object() : r["results"][0];
  }

  static ServeEnv* env_;
  static ImageHost* host_;
  static bool ready_;
};

ServeEnv* ServeV1Test::env_ = nullptr;
ImageHost* ServeV1Test::host_ = nullptr;
bool ServeV1Test::ready_ = false;

// Checks the hash record of aaa-orig.jpg at the fullres pipeline.
void ExpectOrigRecord(const Json& h) {
  EXPECT_EQ(h.value("width", 0), 1600) << h.dump();
  EXPECT_EQ(h.value("height", 0), 1004) << h.dump();
  std::string format = h.value("format", "");
  std::transform(format.begin(), format.end(), format.begin(), ::tolower);
  EXPECT_EQ(format, "jpeg") << h.dump();
  EXPECT_EQ(h.value("pipeline", ""), "fullres") << h.dump();
  EXPECT_EQ(h.value("too_small", true), false) << h.dump();
  ASSERT_TRUE(h["signals"].is_array()) << h.dump();
  std::map<std::string, Json> by_type;
  for (const Json& s : h["signals"]) by_type[s.value("type", "")] = s;
  ASSERT_EQ(by_type.size(), 4u) << h.dump();
  EXPECT_EQ(by_type["pdq"].value("value", ""), ManifestPdq(kOrig));
  EXPECT_EQ(by_type["pdq"].value("quality", -1), 100);
  EXPECT_TRUE(by_type["pdq"]["algorithm"].is_string()) << h.dump();
  EXPECT_TRUE(by_type["pdq"]["algorithm_version"].is_number_integer()) << h.dump();
  EXPECT_EQ(by_type["md5"].value("value", ""), kOrigMd5);
  EXPECT_EQ(by_type["sha1"].value("value", ""), kOrigSha1);
  EXPECT_EQ(by_type["sha256"].value("value", ""), kOrigSha256);
}

TEST_F(ServeV1Test, HashRawMultipartUrlAndDihedral) {
  const std::string orig = ReadFileBytes(TestImagePath(kOrig));
  ExpectOrigRecord(env_->CallJson(200, "POST", "/v1/hash", Key("hasher"), orig, "image/jpeg"));
  ExpectOrigRecord(
      env_->CallJson(200, "POST", "/v1/hash", Key("hasher"), orig, "application/octet-stream"));
  ClientResponse m = env_->Upload("/v1/hash", Key("hasher"), "file", orig);
  ASSERT_EQ(m.status, 200) << m.body;
  ExpectOrigRecord(ParseJson(m.body));
  ExpectOrigRecord(
      env_->CallJson(200, "GET", "/v1/hash?url=" + Q(host_->Url("/orig.jpg")), Key("hasher")));

  // Another pipeline; the 8 dihedral hashes.
  Json cli = env_->CallJson(200, "POST", "/v1/hash?pipeline=cli512", Key("hasher"), orig,
                            "image/jpeg");
  EXPECT_EQ(cli.value("pipeline", ""), "cli512");
  ASSERT_FALSE(cli["signals"].empty()) << cli.dump();
  EXPECT_EQ(cli["signals"][0].value("value", ""), ManifestPdq(kOrig, "cli512")) << cli.dump();
  Json d = env_->CallJson(200, "POST", "/v1/hash?dihedral=true", Key("hasher"), orig,
                          "image/jpeg");
  ASSERT_TRUE(d["dihedral"].is_object()) << d.dump();
  EXPECT_EQ(d["dihedral"].size(), 8u) << d.dump();
  EXPECT_EQ(d["dihedral"].value("orig", ""), ManifestPdq(kOrig)) << d.dump();
  ClientResponse bad = env_->Call("POST", "/v1/hash?pipeline=nope", Key("hasher"), orig,
                                  "image/jpeg");
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(ErrorCode(bad), "bad_request") << bad.body;
}

TEST_F(ServeV1Test, MatchUploadAndUrl) {
  CreateBank("V1_MATCH");
  const int64_t id = AddItem(
      "V1_MATCH", ManifestPdq(kOrig),
      {{"classification", {{"uk_category", "A"}, {"age_band", "7-10"}, {"sex", "girls"}}},
       {"provenance", {{"source_list", "ncmec"}, {"external_id", "123"}}},
       {"note", "test item"}});
  const std::string orig = ReadFileBytes(TestImagePath(kOrig));
  for (const Json& r :
       {env_->CallJson(200, "POST", "/v1/match", Key("matcher"), orig, "image/jpeg"),
        env_->CallJson(200, "GET", "/v1/match?url=" + Q(host_->Url("/orig.jpg")), Key("matcher"))}) {
    ExpectOrigRecord(r["hash"]);
    EXPECT_EQ(r.value("matched", false), true) << r.dump();
    ASSERT_EQ(r["matches"].size(), 1u) << r.dump();
    const Json& m = r["matches"][0];
    EXPECT_EQ(m.value("bank", ""), "V1_MATCH");
    EXPECT_EQ(m.value("bank_kind", ""), "positive");
    EXPECT_EQ(m.value("item_id", int64_t{-1}), id);
    EXPECT_EQ(m.value("signal_type", ""), "pdq");
    EXPECT_EQ(m.value("signal_value", ""), ManifestPdq(kOrig));
    ASSERT_TRUE(m["distance"].is_number_integer()) << "an integer in /v1/: " << m.dump();
    EXPECT_EQ(m["distance"].get<int>(), 0);
    EXPECT_EQ(m.value("dihedral", ""), "orig");
    EXPECT_EQ(m["classification"].value("uk_category", ""), "A") << m.dump();
    EXPECT_EQ(m["classification"].value("age_band", ""), "7-10") << m.dump();
    EXPECT_EQ(m["classification"].value("sex", ""), "girls") << m.dump();
    EXPECT_TRUE(m["classification"]["self_generated"].is_boolean()) << m.dump();
    EXPECT_EQ(m["provenance"].value("source_list", ""), "ncmec") << m.dump();
    EXPECT_EQ(m["provenance"].value("external_id", ""), "123") << m.dump();
    EXPECT_TRUE(r["negative"].is_array() && r["negative"].empty()) << r.dump();
    EXPECT_TRUE(r["suppressed"].is_array() && r["suppressed"].empty()) << r.dump();
    EXPECT_TRUE(r["notes"].is_array()) << r.dump();
  }
  // banks= naming another bank: no match.
  CreateBank("V1_MATCH_OTHER");
  Json none = env_->CallJson(200, "POST", "/v1/match?banks=V1_MATCH_OTHER", Key("matcher"), orig,
                             "image/jpeg");
  EXPECT_EQ(none.value("matched", true), false) << none.dump();
  EXPECT_TRUE(none["matches"].empty()) << none.dump();
}

TEST_F(ServeV1Test, LookupBatchThresholdNegativeAndLimits) {
  CreateBank("V1_LOOKUP");
  const int64_t id = AddItem("V1_LOOKUP", kH1);
  Json md5item = env_->CallJson(
      201, "POST", "/v1/banks/V1_LOOKUP/items", Key("curator"),
      Json({{"signals", {{{"type", "md5"}, {"value", kOrigMd5}}}}}).dump(), "application/json");
  const int64_t md5_id = md5item["item"].value("id", int64_t{-1});

  Json body = {{"hashes",
                {{{"signal_type", "pdq"}, {"value", FlipBits(kH1, 4)}, {"quality", 90}},
                 std::string("md5:") + kOrigMd5,
                 {{"signal_type", "pdq"}, {"value", kFar}}}}};
  Json r = env_->CallJson(200, "POST", "/v1/lookup", Key("matcher"), body.dump(),
                          "application/json");
  ASSERT_EQ(r["results"].size(), 3u) << r.dump();
  const Json& a = r["results"][0];
  EXPECT_EQ(a.value("signal_type", ""), "pdq");
  EXPECT_EQ(a.value("value", ""), FlipBits(kH1, 4));
  EXPECT_EQ(a.value("matched", false), true) << a.dump();
  ASSERT_EQ(a["matches"].size(), 1u) << a.dump();
  EXPECT_EQ(a["matches"][0].value("item_id", int64_t{-1}), id);
  EXPECT_EQ(a["matches"][0].value("distance", -1), 4);
  EXPECT_EQ(a["matches"][0].value("signal_value", ""), kH1);
  const Json& b = r["results"][1];
  EXPECT_EQ(b.value("signal_type", ""), "md5");
  EXPECT_EQ(b.value("matched", false), true) << b.dump();
  EXPECT_EQ(b["matches"][0].value("item_id", int64_t{-2}), md5_id) << b.dump();
  const Json& c = r["results"][2];
  EXPECT_EQ(c.value("matched", true), false) << c.dump();
  EXPECT_TRUE(c["matches"].empty());
  EXPECT_TRUE(c["negative"].is_array() && c["suppressed"].is_array() && c["notes"].is_array());

  // threshold and banks.
  EXPECT_EQ(LookupOne(FlipBits(kH1, 4), {{"threshold", 3}}).value("matched", true), false);
  EXPECT_EQ(LookupOne(FlipBits(kH1, 40), {{"threshold", 40}}).value("matched", false), true);
  CreateBank("V1_LOOKUP_OTHER");
  EXPECT_EQ(LookupOne(kH1, {{"banks", {"V1_LOOKUP_OTHER"}}}).value("matched", true), false);
  EXPECT_EQ(LookupOne(kH1, {{"banks", {"V1_LOOKUP"}}}).value("matched", false), true);

  // A negative bank holding the same hash suppresses the positive match.
  CreateBank("V1_BENIGN", "negative");
  const int64_t neg = AddItem("V1_BENIGN", kH1);
  Json s = LookupOne(FlipBits(kH1, 2));
  EXPECT_EQ(s.value("matched", true), false) << s.dump();
  ASSERT_EQ(s["suppressed"].size(), 1u) << s.dump();
  EXPECT_EQ(s["suppressed"][0].value("item_id", int64_t{-1}), id);
  ASSERT_EQ(s["negative"].size(), 1u) << s.dump();
  EXPECT_EQ(s["negative"][0].value("item_id", int64_t{-1}), neg);
  EXPECT_EQ(s["negative"][0].value("bank_kind", ""), "negative");

  // 1000 hashes: fine; 1001: refused.
  Json many = {{"hashes", Json::array()}};
  for (int i = 0; i < 1000; ++i) many["hashes"].push_back("pdq:" + FlipBits(kFar, i % 64));
  Json ok = env_->CallJson(200, "POST", "/v1/lookup", Key("matcher"), many.dump(),
                           "application/json");
  EXPECT_EQ(ok["results"].size(), 1000u);
  many["hashes"].push_back("pdq:" + std::string(kFar));
  ClientResponse over = env_->Call("POST", "/v1/lookup", Key("matcher"), many.dump(),
                                   "application/json");
  EXPECT_EQ(over.status, 400) << over.body.substr(0, 300);
  EXPECT_EQ(ErrorCode(over), "bad_request") << over.body.substr(0, 300);
  ClientResponse empty = env_->Call("POST", "/v1/lookup", Key("matcher"), R"({"hashes": []})",
                                    "application/json");
  EXPECT_EQ(empty.status, 400) << empty.body;

  // One malformed hash fails the whole request and is named.
  Json bad = {{"hashes", {"pdq:" + std::string(kH1), "pdq:" + std::string(kH2), "pdq:12345"}}};
  ClientResponse br = env_->Call("POST", "/v1/lookup", Key("matcher"), bad.dump(),
                                 "application/json");
  EXPECT_EQ(br.status, 400);
  EXPECT_EQ(ErrorCode(br), "malformed_hash") << br.body;
  EXPECT_NE(br.body.find("hashes[2]"), std::string::npos) << br.body;
  ClientResponse notjson = env_->Call("POST", "/v1/lookup", Key("matcher"), "{\"hashes\": [",
                                      "application/json");
  EXPECT_EQ(notjson.status, 400);
  EXPECT_EQ(ErrorCode(notjson), "bad_request") << notjson.body;
  // A number no double holds was a 500 (the JSON library's out_of_range escaped the parser).
  ClientResponse overflow = env_->Call("POST", "/v1/lookup", Key("matcher"),
                                       R"({"hashes": [], "max_distance": 1e999})",
                                       "application/json");
  EXPECT_EQ(overflow.status, 400) << overflow.body;
  EXPECT_EQ(ErrorCode(overflow), "bad_request") << overflow.body;
  EXPECT_NE(overflow.body.find("number overflow"), std::string::npos) << overflow.body;
}

TEST_F(ServeV1Test, BanksCrud) {
  Json made = CreateBank("V1_BANKS");
  for (const char* field : {"description", "kind", "source"}) {
    EXPECT_TRUE(made[field].is_string()) << field << ": " << made.dump();
  }
  EXPECT_EQ(made.value("enabled", false), true) << made.dump();
  EXPECT_DOUBLE_EQ(made.value("matching_ratio", -1.0), 1.0) << made.dump();
  EXPECT_TRUE(made["created_at_ms"].is_number_integer()) << made.dump();
  ClientResponse again = env_->Call("POST", "/v1/banks", Key("curator"),
                                    R"({"name": "V1_BANKS"})", "application/json");
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(ErrorCode(again), "already_exists") << again.body;

  AddItem("V1_BANKS", kH2);
  Json list = env_->CallJson(200, "GET", "/v1/banks", Key("matcher"));
  ASSERT_TRUE(list["banks"].is_array()) << list.dump();
  bool found = false;
  for (const Json& b : list["banks"]) {
    if (b.value("name", "") != "V1_BANKS") continue;
    found = true;
    for (const char* f : {"description", "enabled", "matching_ratio", "kind", "source",
                          "created_at_ms", "updated_at_ms", "items"}) {
      EXPECT_TRUE(b.contains(f)) << f << ": " << b.dump();
    }
    EXPECT_EQ(b.value("items", -1), 1) << b.dump();
    EXPECT_EQ(b.value("kind", ""), "positive");
  }
  EXPECT_TRUE(found) << list.dump();

  Json one = env_->CallJson(200, "GET", "/v1/banks/V1_BANKS", Key("matcher"));
  EXPECT_EQ(one.value("items", -1), 1) << one.dump();
  EXPECT_EQ(one.value("disabled_items", -1), 0) << one.dump();
  Json changed = env_->CallJson(200, "PUT", "/v1/banks/V1_BANKS", Key("curator"),
                                R"({"description": "changed", "matching_ratio": 0.25})",
                                "application/json");
  EXPECT_EQ(changed.value("description", ""), "changed") << changed.dump();
  EXPECT_DOUBLE_EQ(changed.value("matching_ratio", -1.0), 0.25) << changed.dump();
  EXPECT_EQ(env_->CallJson(200, "GET", "/v1/banks/V1_BANKS", Key("matcher")).value("description", ""),
            "changed");
  ClientResponse bad_ratio = env_->Call("PUT", "/v1/banks/V1_BANKS", Key("curator"),
                                        R"({"matching_ratio": 7})", "application/json");
  EXPECT_EQ(bad_ratio.status, 400) << bad_ratio.body;

  EXPECT_EQ(env_->CallJson(200, "DELETE", "/v1/banks/V1_BANKS", Key("curator")),
            Json({{"deleted", "V1_BANKS"}}));
  ClientResponse gone = env_->Call("GET", "/v1/banks/V1_BANKS", Key("matcher"));
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(ErrorCode(gone), "unknown_bank") << gone.body;
  EXPECT_EQ(env_->Call("DELETE", "/v1/banks/V1_BANKS", Key("curator")).status, 404);
  EXPECT_EQ(LookupOne(kH2).value("matched", true), false);
}

TEST_F(ServeV1Test, ItemsCrudAndPaging) {
  CreateBank("V1_ITEMS");
  const int64_t a = AddItem("V1_ITEMS", FlipBits(kFar, 10),
                            {{"note", "first"}, {"provenance", {{"source_list", "unit"}}}});
  const int64_t b = AddItem("V1_ITEMS", FlipBits(kH2, 45));  // far from every kFar variant
  ASSERT_LT(a, b);
  // The same signal again: 200 with the existing item.
  ClientResponse dup = env_->Call(
      "POST", "/v1/banks/V1_ITEMS/items", Key("curator"),
      Json({{"signals", {{{"type", "pdq"}, {"value", FlipBits(kFar, 10)}}}}}).dump(),
      "application/json");
  EXPECT_EQ(dup.status, 200) << dup.body;
  EXPECT_EQ(ParseJson(dup.body).value("duplicate", false), true) << dup.body;
  EXPECT_EQ(ParseJson(dup.body)["item"].value("id", int64_t{-1}), a) << dup.body;
  ClientResponse nosig = env_->Call("POST", "/v1/banks/V1_ITEMS/items", Key("curator"),
                                    R"({"note": "no signals"})", "application/json");
  EXPECT_EQ(nosig.status, 400) << nosig.body;
  ClientResponse nobank = env_->Call(
      "POST", "/v1/banks/V1_NOPE/items", Key("curator"),
      Json({{"signals", {{{"type", "pdq"}, {"value", kH2}}}}}).dump(), "application/json");
  EXPECT_EQ(nobank.status, 404);
  EXPECT_EQ(ErrorCode(nobank), "unknown_bank") << nobank.body;

  Json item = env_->CallJson(200, "GET", "/v1/items/" + std::to_string(a), Key("curator"));
  EXPECT_EQ(item.value("id", int64_t{-1}), a);
  EXPECT_EQ(item.value("bank", ""), "V1_ITEMS");
  EXPECT_EQ(item.value("note", ""), "first");
  EXPECT_EQ(item["provenance"].value("source_list", ""), "unit");
  ASSERT_EQ(item["signals"].size(), 1u) << item.dump();
  EXPECT_EQ(item["signals"][0].value("value", ""), FlipBits(kFar, 10));

  // Paging.
  Json p1 = env_->CallJson(200, "GET", "/v1/banks/V1_ITEMS/items?limit=1", Key("curator"));
  ASSERT_EQ(p1["items"].size(), 1u) << p1.dump();
  EXPECT_EQ(p1["items"][0].value("id", int64_t{-1}), a);
  EXPECT_EQ(p1.value("next_after_id", int64_t{-1}), a) << p1.dump();
  Json p2 = env_->CallJson(200, "GET",
                           "/v1/banks/V1_ITEMS/items?limit=1&after_id=" + std::to_string(a),
                           Key("curator"));
  ASSERT_EQ(p2["items"].size(), 1u) << p2.dump();
  EXPECT_EQ(p2["items"][0].value("id", int64_t{-1}), b);
  Json p3 = env_->CallJson(200, "GET",
                           "/v1/banks/V1_ITEMS/items?limit=1&after_id=" + std::to_string(b),
                           Key("curator"));
  EXPECT_TRUE(p3["items"].empty()) << p3.dump();
  EXPECT_TRUE(p3.contains("next_after_id") && p3["next_after_id"].is_null()) << p3.dump();
  Json all = env_->CallJson(200, "GET", "/v1/banks/V1_ITEMS/items", Key("curator"));
  EXPECT_EQ(all["items"].size(), 2u);
  EXPECT_TRUE(all["next_after_id"].is_null()) << all.dump();
  EXPECT_EQ(env_->Call("GET", "/v1/banks/V1_ITEMS/items?limit=0", Key("curator")).status, 400);
  EXPECT_EQ(env_->Call("GET", "/v1/banks/V1_ITEMS/items?limit=10001", Key("curator")).status,
            400);

  // PUT: note, then disable_until_ms in the future (stops matching), then 0.
  const std::string path = "/v1/items/" + std::to_string(a);
  Json noted = env_->CallJson(200, "PUT", path, Key("curator"), R"({"note": "changed"})",
                              "application/json");
  EXPECT_EQ(noted.value("note", ""), "changed") << noted.dump();
  EXPECT_EQ(noted["signals"].size(), 1u) << "signals kept: " << noted.dump();
  EXPECT_EQ(LookupOne(FlipBits(kFar, 10)).value("matched", false), true);
  const int64_t until = NowMs() + 3'600'000;
  Json off = env_->CallJson(200, "PUT", path, Key("curator"),
                            R"({"disable_until_ms": )" + std::to_string(until) + "}",
                            "application/json");
  EXPECT_EQ(off.value("disable_until_ms", int64_t{0}), until) << off.dump();
  EXPECT_EQ(LookupOne(FlipBits(kFar, 10)).value("matched", true), false);
  EXPECT_EQ(env_->CallJson(200, "GET", "/v1/banks/V1_ITEMS", Key("matcher")).value("disabled_items", -1), 1);
  env_->CallJson(200, "PUT", path, Key("curator"), R"({"disable_until_ms": 0})",
                 "application/json");
  EXPECT_EQ(LookupOne(FlipBits(kFar, 10)).value("matched", false), true);
  // New signals replace the old.
  Json resig = env_->CallJson(
      200, "PUT", path, Key("curator"),
      Json({{"signals", {{{"type", "pdq"}, {"value", FlipBits(kFar, 50)}}}}}).dump(),
      "application/json");
  EXPECT_EQ(resig["signals"][0].value("value", ""), FlipBits(kFar, 50)) << resig.dump();
  EXPECT_EQ(LookupOne(FlipBits(kFar, 10)).value("matched", true), false);
  EXPECT_EQ(LookupOne(FlipBits(kFar, 50)).value("matched", false), true);

  EXPECT_EQ(env_->CallJson(200, "DELETE", path, Key("curator")), Json({{"deleted", a}}));
  ClientResponse gone = env_->Call("GET", path, Key("curator"));
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(ErrorCode(gone), "unknown_item") << gone.body;
  EXPECT_EQ(env_->Call("DELETE", path, Key("curator")).status, 404);
  EXPECT_EQ(LookupOne(FlipBits(kFar, 50)).value("matched", true), false);
  EXPECT_EQ(env_->Call("GET", "/v1/items/abc", Key("curator")).status / 100, 4);
}

std::vector<std::string> SortedLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] != '#') lines.push_back(line);
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

TEST_F(ServeV1Test, ImportWithQuarantineAndExport) {
  CreateBank("V1_IMPORT");
  const std::string file = std::string("pdq ") + kH1 + "\npdq " + kH2 + "\npdq 12345\nmd5 " +
                           kOrigMd5 + "\n";
  Json r = env_->CallJson(200, "POST", "/v1/banks/V1_IMPORT/import?format=pytx", Key("curator"),
                          file, "text/plain");
  EXPECT_EQ(r.value("format", ""), "pytx") << r.dump();
  EXPECT_EQ(r.value("records", -1), 4) << r.dump();
  EXPECT_EQ(r.value("added", -1), 3) << r.dump();
  EXPECT_EQ(r.value("updated", -1), 0) << r.dump();
  EXPECT_EQ(r.value("duplicate", -1), 0) << r.dump();
  EXPECT_EQ(r.value("quarantined", -1), 1) << r.dump();
  for (const char* f : {"removed", "not_found", "superseded"}) {
    EXPECT_EQ(r.value(f, -1), 0) << f << ": " << r.dump();
  }
  ASSERT_EQ(r["quarantine"].size(), 1u) << r.dump();
  EXPECT_EQ(r["quarantine"][0].value("line", -1), 3) << r.dump();
  EXPECT_FALSE(r["quarantine"][0].value("reason", "").empty()) << r.dump();
  EXPECT_EQ(LookupOne(kH2).value("matched", false), true);

  // Again, format detected: all duplicates.
  Json again = env_->CallJson(200, "POST", "/v1/banks/V1_IMPORT/import", Key("curator"), file,
                              "text/plain");
  EXPECT_EQ(again.value("format", ""), "pytx") << again.dump();
  EXPECT_EQ(again.value("added", -1), 0) << again.dump();
  EXPECT_EQ(again.value("duplicate", -1), 3) << again.dump();

  ClientResponse pytx = env_->Call("GET", "/v1/banks/V1_IMPORT/export?format=pytx", Key("curator"));
  ASSERT_EQ(pytx.status, 200) << pytx.body;
  EXPECT_EQ(SortedLines(pytx.body),
            SortedLines(std::string("pdq ") + kH1 + "\npdq " + kH2 + "\nmd5 " + kOrigMd5 + "\n"));
  ClientResponse jsonl = env_->Call("GET", "/v1/banks/V1_IMPORT/export", Key("curator"));
  ASSERT_EQ(jsonl.status, 200) << jsonl.body;
  std::vector<std::string> lines = SortedLines(jsonl.body);
  ASSERT_EQ(lines.size(), 3u) << jsonl.body;
  std::set<std::string> values;
  for (const std::string& line : lines) {
    Json item = ParseJson(line);
    ASSERT_TRUE(item.is_object()) << line;
    values.insert(item["signals"][0].value("value", ""));
  }
  EXPECT_EQ(values, (std::set<std::string>{kH1, kH2, kOrigMd5}));
  EXPECT_EQ(env_->Call("GET", "/v1/banks/V1_NOPE/export", Key("curator")).status, 404);
  EXPECT_EQ(env_->Call("POST", "/v1/banks/V1_IMPORT/import?format=nope", Key("curator"), file,
                       "text/plain")
                .status,
            400);
}

TEST_F(ServeV1Test, AuditLog) {
  CreateBank("V1_AUDIT");
  AddItem("V1_AUDIT", FlipBits(kH2, 17));
  // A lookup (audited without its hash) and a denied export.
  LookupOne(FlipBits(kH2, 9));
  EXPECT_EQ(env_->Call("GET", "/v1/banks/V1_AUDIT/export", Key("matcher")).status, 403);

  Json a = env_->CallJson(200, "GET", "/v1/audit?limit=100", Key("admin"));
  ASSERT_TRUE(a["entries"].is_array()) << a.dump();
  ASSERT_FALSE(a["entries"].empty());
  int64_t last_seq = INT64_MAX;
  bool saw_create = false, saw_denied = false, saw_lookup = false;
  for (const Json& e : a["entries"]) {
    for (const char* f : {"seq", "at_ms", "key_id", "key_name", "role", "method", "endpoint",
                          "target", "status", "outcome", "detail", "remote_address"}) {
      EXPECT_TRUE(e.contains(f)) << f << ": " << e.dump();
    }
    const int64_t seq = e.value("seq", int64_t{0});
    EXPECT_LT(seq, last_seq) << "newest first";
    last_seq = seq;
    if (e.value("method", "") == "POST" && e.value("status", 0) == 201 &&
        e.value("key_name", "") == "test-curator" && e.value("role", "") == "curator") {
      saw_create = true;
      EXPECT_EQ(e.value("remote_address", ""), "127.0.0.1") << e.dump();
    }
    if (e.value("status", 0) == 403 && e.value("key_name", "") == "test-matcher") {
      saw_denied = true;
    }
    if (e.value("key_name", "") == "test-matcher" && e.value("status", 0) == 200) saw_lookup = true;
  }
  EXPECT_TRUE(saw_create) << a.dump();
  EXPECT_TRUE(saw_denied) << a.dump();
  EXPECT_TRUE(saw_lookup) << a.dump();
  // Never a queried hash.
  EXPECT_EQ(a.dump().find(FlipBits(kH2, 9)), std::string::npos);
  EXPECT_EQ(env_->CallJson(200, "GET", "/v1/audit?limit=1", Key("admin"))["entries"].size(), 1u);
  EXPECT_EQ(env_->Call("GET", "/v1/audit", Key("curator")).status, 403);
}

TEST_F(ServeV1Test, KeysCreateListRevoke) {
  Json list = env_->CallJson(200, "GET", "/v1/keys", Key("admin"));
  ASSERT_TRUE(list["keys"].is_array()) << list.dump();
  std::set<std::string> names;
  for (const Json& k : list["keys"]) {
    names.insert(k.value("name", ""));
    for (const char* f : {"key_id", "name", "role", "rate_limit", "created_at_ms",
                          "revoked_at_ms"}) {
      EXPECT_TRUE(k.contains(f)) << f << ": " << k.dump();
    }
    if (k.value("name", "") == "test-curator") {
      EXPECT_EQ(k.value("role", ""), "curator");
    }
  }
  for (const char* role : kRoles) EXPECT_TRUE(names.count(std::string("test-") + role)) << role;
  // No secret is ever listed.
  for (const char* role : kRoles) {
    const std::string& key = Key(role);
    EXPECT_EQ(list.dump().find(key.substr(key.rfind('_') + 1)), std::string::npos) << role;
  }

  Json made = env_->CallJson(201, "POST", "/v1/keys", Key("admin"),
                             R"({"role": "matcher", "name": "api-made", "rate_limit": 0})",
                             "application/json");
  const std::string key = made.value("key", "");
  ASSERT_EQ(key.rfind("wdn_", 0), 0u) << made.dump();
  EXPECT_EQ(made.value("name", ""), "api-made");
  EXPECT_EQ(made.value("role", ""), "matcher");
  const std::string id = made.value("key_id", "");
  EXPECT_EQ(id.size(), 16u) << made.dump();
  EXPECT_EQ(env_->Call("GET", "/m/index/status", key).status, 200);
  EXPECT_EQ(env_->Call("GET", "/v1/banks/X/export", key).status, 403);
  ClientResponse taken = env_->Call("POST", "/v1/keys", Key("admin"),
                                    R"({"role": "matcher", "name": "api-made"})",
                                    "application/json");
  EXPECT_EQ(taken.status, 409);
  EXPECT_EQ(ErrorCode(taken), "already_exists") << taken.body;
  ClientResponse badrole = env_->Call("POST", "/v1/keys", Key("admin"),
                                      R"({"role": "superuser", "name": "x"})", "application/json");
  EXPECT_EQ(badrole.status, 400) << badrole.body;

  EXPECT_EQ(env_->CallJson(200, "DELETE", "/v1/keys/api-made", Key("admin")),
            Json({{"revoked", id}}));
  // Revoked through the API: refused (within the key cache's refresh at most).
  ClientResponse refused;
  EXPECT_GE(PollUntil(
                [&] {
                  refused = env_->Call("GET", "/m/index/status", key);
                  return refused.status == 401;
                },
                1500),
            0);
  EXPECT_EQ(ErrorCode(refused), "unauthenticated") << refused.body;
  EXPECT_EQ(env_->Call("DELETE", "/v1/keys/no-such-key", Key("admin")).status, 404);
  EXPECT_EQ(env_->Call("POST", "/v1/keys", Key("curator"), R"({"role": "admin", "name": "y"})",
                       "application/json")
                .status,
            403);
}

TEST_F(ServeV1Test, OpenApiListsEveryPath) {
  ClientResponse r = env_->Call("GET", "/v1/openapi.json", "");
  ASSERT_EQ(r.status, 200) << r.body;
  Json doc = ParseJson(r.body);
  ASSERT_TRUE(doc.is_object()) << r.body.substr(0, 200);
  ASSERT_TRUE(doc["openapi"].is_string());
  EXPECT_EQ(doc["openapi"].get<std::string>().substr(0, 4), "3.0.");
  ASSERT_TRUE(doc["paths"].is_object());
  // Path templates with their parameter names blanked: {name} and {bank} are both {}.
  std::set<std::string> paths;
  for (const auto& [path, ops] : doc["paths"].items()) {
    std::string p;
    bool in_param = false;
    for (char ch : path) {
      if (ch == '{') {
        in_param = true;
        p += "{}";
      } else if (ch == '}') {
        in_param = false;
      } else if (!in_param) {
        p += ch;
      }
    }
    paths.insert(p);
  }
  for (const char* want : {"/v1/hash", "/v1/match", "/v1/lookup", "/v1/banks", "/v1/banks/{}",
                           "/v1/banks/{}/items", "/v1/items/{}", "/v1/banks/{}/import",
                           "/v1/banks/{}/export", "/v1/audit", "/v1/keys", "/v1/keys/{}"}) {
    EXPECT_TRUE(paths.count(want)) << want << " missing from /v1/openapi.json";
  }
  // Methods of a few paths.
  EXPECT_TRUE(doc["paths"]["/v1/lookup"].contains("post"));
  EXPECT_TRUE(doc["paths"]["/v1/banks"].contains("get"));
  EXPECT_TRUE(doc["paths"]["/v1/banks"].contains("post"));
}

}  // namespace
}  // namespace warden::serve_test
