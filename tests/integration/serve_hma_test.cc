// `warden serve`'s HMA 2.0 paths driven over HTTP on the real binary (docs/api.md, "HMA
// paths"): /status, /h/hash (upload and URL), /m/lookup (hash, upload, URL), /m/raw_lookup with
// and without distances, /m/compare, /m/index/status, /c/ bank CRUD, content added by upload,
// URL and signal, and how disabling and deleting content changes lookups. Answer shapes are
// checked key by key, including HMA's quirks (a distance is a string in /m/ answers).
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "tests/integration/serve_fixture.h"

namespace warden::serve_test {
namespace {

constexpr char kWee[] = "misc-images/wee.jpg";
constexpr char kOrig[] = "bridge-mods/aaa-orig.jpg";
constexpr char kWeeMd5[] = "8bbbaa9540800e378beadc8bbef7bb32";
// Two synthetic PDQ hashes far from each other and from the test images.
constexpr char kH1[] = "a5f0b457248995e8c1065c275aaa56d8b61ba4bdf8fcfc0383c32f8b0bfc4f05";
constexpr char kFar[] = "5a0f4ba8db766a173ef9a3d8a555a9274e45b4240703033c7c3c0d74f403b0fa";

int64_t NowS() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A multipart body with the image part `photo` and a `metadata` text field.
std::string PhotoWithMetadata(const std::string& image, const std::string& metadata,
                              std::string* content_type) {
  const std::string b = "wardenTestBoundary7f3a";
  *content_type = "multipart/form-data; boundary=" + b;
  return "--" + b +
         "\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"x.jpg\"\r\n"
         "Content-Type: image/jpeg\r\n\r\n" +
         image + "\r\n--" + b +
         "\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\r\n" + metadata + "\r\n--" +
         b + "--\r\n";
}

class ServeHmaTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    host_ = new ImageHost({{"/wee.jpg", {"image/jpeg", ReadFileBytes(TestImagePath(kWee))}},
                           {"/orig.jpg", {"image/jpeg", ReadFileBytes(TestImagePath(kOrig))}}});
    env_ = new ServeEnv("hma");
    ready_ = env_->Start(WithArgs({"--url-allow-list", "127.0.0.1"}));
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

  // Creates bank `name` through POST /c/banks.
  static void CreateBank(const std::string& name) {
    Json b = env_->CallJson(201, "POST", "/c/banks", Key("curator"),
                            R"({"name": ")" + name + R"(", "enabled": true, "enabled_ratio": 1.0})",
                            "application/json");
    EXPECT_EQ(b.value("name", ""), name) << b.dump();
  }
  // Adds `signal` ({"pdq": HEX} etc.) to `bank` through POST /c/bank/B/signal; returns the id.
  static int64_t AddSignal(const std::string& bank, const Json& signal) {
    Json a = env_->CallJson(200, "POST", "/c/bank/" + bank + "/signal", Key("curator"),
                            signal.dump(), "application/json");
    EXPECT_TRUE(a.contains("id") && a["id"].is_number_integer()) << a.dump();
    EXPECT_EQ(a.value("duplicate", true), false) << a.dump();
    return a.value("id", int64_t{-1});
  }
  static Json Lookup(const std::string& hex, const std::string& extra = "") {
    return env_->CallJson(200, "GET", "/m/lookup?signal_type=pdq&signal=" + hex + extra,
                          Key("matcher"));
  }
  static Json RawLookup(const std::string& hex, bool distances) {
    return env_->CallJson(
        200, "GET",
        "/m/raw_lookup?signal_type=pdq&signal=" + hex + (distances ? "&include_distance=true" : ""),
        Key("matcher"));
  }

  static ServeEnv* env_;
  static ImageHost* host_;
  static bool ready_;
};

ServeEnv* ServeHmaTest::env_ = nullptr;
ImageHost* ServeHmaTest::host_ = nullptr;
bool ServeHmaTest::ready_ = false;

TEST_F(ServeHmaTest, StatusIsOpenText) {
  for (const char* path : {"/status", "/status/live"}) {
    ClientResponse r = env_->Call("GET", path, "");
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
    std::string body = r.body;
    while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
    EXPECT_EQ(body, "I-AM-ALIVE") << path;
    EXPECT_EQ(r.headers.Get("content-type").value_or("").substr(0, 10), "text/plain") << path;
  }
}

TEST_F(ServeHmaTest, HashUploadAndUrl) {
  for (const char* image : {kWee, kOrig}) {
    ClientResponse r =
        env_->Upload("/h/hash", Key("hasher"), "photo", ReadFileBytes(TestImagePath(image)));
    ASSERT_EQ(r.status, 200) << image << ": " << r.body;
    Json j = ParseJson(r.body);
    ASSERT_TRUE(j.is_object()) << r.body;
    ASSERT_TRUE(j["pdq"].is_string()) << r.body;
    EXPECT_EQ(j["pdq"].get<std::string>(), ManifestPdq(image)) << image;
    EXPECT_EQ(j.size(), 1u) << "HMA's answer is {\"pdq\": HEX}: " << r.body;
  }
  // HMA's content type is the field name: anything but `photo` is refused.
  ClientResponse r =
      env_->Upload("/h/hash", Key("hasher"), "video", ReadFileBytes(TestImagePath(kWee)));
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(ErrorCode(r), "bad_request") << r.body;
  EXPECT_NE(r.body.find("no such content_type"), std::string::npos) << r.body;

  Json u = env_->CallJson(200, "GET", "/h/hash?url=" + Q(host_->Url("/wee.jpg")), Key("hasher"));
  EXPECT_EQ(u.value("pdq", ""), ManifestPdq(kWee)) << u.dump();
}

TEST_F(ServeHmaTest, LookupAndRawLookupByHash) {
  CreateBank("HMA_LOOKUP");
  CreateBank("HMA_EMPTY");
  const int64_t id = AddSignal("HMA_LOOKUP", {{"pdq", kH1}});
  const int64_t md5_id = AddSignal("HMA_LOOKUP", {{"md5", kWeeMd5}});
  ASSERT_GT(id, 0);
  ASSERT_GT(md5_id, 0);
  EXPECT_NE(id, md5_id);

  // {"BANK": [{"bank_content_id": N, "distance": "5"}]}: the distance is a string, as in HMA.
  Json j = Lookup(FlipBits(kH1, 5));
  ASSERT_TRUE(j.contains("HMA_LOOKUP")) << j.dump();
  EXPECT_EQ(j.size(), 1u) << j.dump();
  ASSERT_TRUE(j["HMA_LOOKUP"].is_array());
  ASSERT_EQ(j["HMA_LOOKUP"].size(), 1u) << j.dump();
  const Json& m = j["HMA_LOOKUP"][0];
  ASSERT_TRUE(m["bank_content_id"].is_number_integer()) << j.dump();
  EXPECT_EQ(m["bank_content_id"].get<int64_t>(), id);
  ASSERT_TRUE(m["distance"].is_string()) << j.dump();
  EXPECT_EQ(m["distance"].get<std::string>(), "5");

  // The inclusive threshold: 31 matches, 32 does not; far away: {}.
  EXPECT_EQ(Lookup(FlipBits(kH1, 31))["HMA_LOOKUP"][0].value("distance", ""), "31");
  EXPECT_EQ(Lookup(FlipBits(kH1, 32)), Json::object());
  EXPECT_EQ(Lookup(kFar), Json::object());
  // banks= restricts the search.
  EXPECT_EQ(Lookup(kH1, "&banks=HMA_EMPTY"), Json::object());
  EXPECT_TRUE(Lookup(kH1, "&banks=HMA_EMPTY,HMA_LOOKUP").contains("HMA_LOOKUP"));
  // An exact signal type.
  Json md5 = env_->CallJson(200, "GET", std::string("/m/lookup?signal_type=md5&signal=") + kWeeMd5,
                            Key("matcher"));
  ASSERT_TRUE(md5.contains("HMA_LOOKUP")) << md5.dump();
  EXPECT_EQ(md5["HMA_LOOKUP"][0].value("bank_content_id", int64_t{-1}), md5_id);
  EXPECT_EQ(md5["HMA_LOOKUP"][0].value("distance", ""), "0");

  // raw_lookup: ids only, or ids with string distances.
  Json raw = RawLookup(FlipBits(kH1, 7), false);
  EXPECT_EQ(raw, Json({{"matches", {id}}})) << raw.dump();
  Json rawd = RawLookup(FlipBits(kH1, 7), true);
  EXPECT_EQ(rawd, Json::parse(R"({"matches": [{"bank_content_id": )" + std::to_string(id) +
                              R"(, "distance": "7"}]})"))
      << rawd.dump();
  EXPECT_EQ(RawLookup(kFar, false), Json({{"matches", Json::array()}}));

  // Bad input.
  ClientResponse bad = env_->Call("GET", "/m/lookup?signal_type=pdq&signal=abc", Key("matcher"));
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(ErrorCode(bad), "malformed_hash") << bad.body;
  bad = env_->Call("GET", std::string("/m/lookup?signal_type=nohash&signal=") + kH1,
                   Key("matcher"));
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(ErrorCode(bad), "malformed_hash") << bad.body;
  bad = env_->Call("GET", "/m/raw_lookup?signal_type=pdq&signal=zz", Key("matcher"));
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(ErrorCode(bad), "malformed_hash") << bad.body;
}

// An upload or URL lookup answers one object per signal type hashed from the image: "pdq" as in
// HMA, and (Warden) "md5" etc. for exact copies.
void ExpectPerSignalType(const Json& j, const Json& want_pdq) {
  ASSERT_TRUE(j.is_object()) << j.dump();
  ASSERT_TRUE(j.contains("pdq")) << j.dump();
  EXPECT_EQ(j["pdq"], want_pdq) << j.dump();
  for (const auto& [type, banks] : j.items()) {
    EXPECT_TRUE(type == "pdq" || type == "md5" || type == "sha1" || type == "sha256") << type;
    EXPECT_TRUE(banks.is_object()) << j.dump();
  }
}

TEST_F(ServeHmaTest, LookupByUploadAndUrl) {
  CreateBank("HMA_IMAGES");
  const int64_t id = AddSignal("HMA_IMAGES", {{"pdq", ManifestPdq(kOrig)}});
  ClientResponse r =
      env_->Upload("/m/lookup", Key("matcher"), "photo", ReadFileBytes(TestImagePath(kOrig)));
  ASSERT_EQ(r.status, 200) << r.body;
  const Json want = Json::parse(R"({"HMA_IMAGES": [{"bank_content_id": )" + std::to_string(id) +
                                R"(, "distance": "0"}]})");
  ExpectPerSignalType(ParseJson(r.body), want);
  ExpectPerSignalType(
      env_->CallJson(200, "GET", "/m/lookup?url=" + Q(host_->Url("/orig.jpg")), Key("matcher")),
      want);
  // An image whose PDQ matches nothing: {"pdq": {}}.
  r = env_->Upload("/m/lookup", Key("matcher"), "photo", ReadFileBytes(TestImagePath(kWee)));
  ASSERT_EQ(r.status, 200) << r.body;
  ExpectPerSignalType(ParseJson(r.body), Json::object());
  r = env_->Upload("/m/lookup?banks=HMA_IMAGES", Key("matcher"), "photo",
                   ReadFileBytes(TestImagePath(kOrig)));
  ExpectPerSignalType(ParseJson(r.body), want);
  // The image's MD5 held by a bank matches under "md5".
  const int64_t md5_id = AddSignal("HMA_IMAGES", {{"md5", kWeeMd5}});
  r = env_->Upload("/m/lookup?banks=HMA_IMAGES", Key("matcher"), "photo",
                   ReadFileBytes(TestImagePath(kWee)));
  Json j = ParseJson(r.body);
  ExpectPerSignalType(j, Json::object());
  EXPECT_EQ(j["md5"], Json::parse(R"({"HMA_IMAGES": [{"bank_content_id": )" +
                                  std::to_string(md5_id) + R"(, "distance": "0"}]})"))
      << r.body;
}

TEST_F(ServeHmaTest, Compare) {
  auto compare = [](const std::string& a, const std::string& b) {
    return env_->CallJson(200, "POST", "/m/compare", Key("matcher"),
                          Json({{"pdq", {a, b}}}).dump(), "application/json");
  };
  EXPECT_EQ(compare(kH1, FlipBits(kH1, 9)), Json::parse(R"({"pdq": [true, {"distance": 9}]})"));
  EXPECT_EQ(compare(kH1, FlipBits(kH1, 31)), Json::parse(R"({"pdq": [true, {"distance": 31}]})"));
  EXPECT_EQ(compare(kH1, FlipBits(kH1, 32)), Json::parse(R"({"pdq": [false, {"distance": 32}]})"));
  EXPECT_EQ(compare(kH1, kH1), Json::parse(R"({"pdq": [true, {"distance": 0}]})"));
  ClientResponse bad = env_->Call("POST", "/m/compare", Key("matcher"),
                                  Json({{"pdq", {kH1, "1234"}}}).dump(), "application/json");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(ErrorCode(bad), "malformed_hash") << bad.body;
  bad = env_->Call("POST", "/m/compare", Key("matcher"), "{not json", "application/json");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(ErrorCode(bad), "bad_request") << bad.body;
}

TEST_F(ServeHmaTest, IndexStatus) {
  const int64_t start_s = NowS();
  Json before = env_->CallJson(200, "GET", "/m/index/status", Key("matcher"));
  ASSERT_TRUE(before.contains("pdq")) << before.dump();
  ASSERT_TRUE(before["pdq"]["size"].is_number_integer()) << before.dump();
  EXPECT_TRUE(before["pdq"]["present"].is_boolean()) << before.dump();
  EXPECT_TRUE(before["pdq"]["built_to"].is_number()) << before.dump();
  EXPECT_TRUE(before.contains("md5")) << before.dump();
  const int64_t size0 = before["pdq"]["size"].get<int64_t>();

  CreateBank("HMA_STATUS");
  AddSignal("HMA_STATUS", {{"pdq", FlipBits(kFar, 40)}});
  AddSignal("HMA_STATUS", {{"pdq", FlipBits(kFar, 50)}});
  Json after = env_->CallJson(200, "GET", "/m/index/status?signal_type=pdq", Key("matcher"));
  ASSERT_TRUE(after.contains("pdq")) << after.dump();
  EXPECT_EQ(after["pdq"].value("size", int64_t{-1}), size0 + 2) << after.dump();
  EXPECT_EQ(after["pdq"].value("present", false), true) << after.dump();
  const int64_t built_to = after["pdq"].value("built_to", int64_t{0});
  EXPECT_GE(built_to, start_s - 1) << "built_to is the newest change applied, in unix seconds";
  EXPECT_LE(built_to, NowS() + 1);
}

TEST_F(ServeHmaTest, BankCrud) {
  CreateBank("HMA_CRUD");
  // Taken name: 409 (HMA says 403; docs/api.md says 409 on purpose).
  ClientResponse again = env_->Call("POST", "/c/banks", Key("curator"),
                                    R"({"name": "HMA_CRUD", "enabled": true, "enabled_ratio": 1})",
                                    "application/json");
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_EQ(ErrorCode(again), "already_exists") << again.body;
  ClientResponse badname = env_->Call("POST", "/c/banks", Key("curator"),
                                      R"({"name": "not a name!", "enabled": true})",
                                      "application/json");
  EXPECT_EQ(badname.status, 400) << badname.body;

  Json list = env_->CallJson(200, "GET", "/c/banks", Key("matcher"));
  ASSERT_TRUE(list.is_array()) << list.dump();
  bool found = false;
  for (const Json& b : list) {
    if (b.value("name", "") != "HMA_CRUD") continue;
    found = true;
    ASSERT_TRUE(b["matching_enabled_ratio"].is_number()) << b.dump();
    EXPECT_DOUBLE_EQ(b["matching_enabled_ratio"].get<double>(), 1.0);
  }
  EXPECT_TRUE(found) << list.dump();

  Json one = env_->CallJson(200, "GET", "/c/bank/HMA_CRUD", Key("matcher"));
  EXPECT_EQ(one.value("name", ""), "HMA_CRUD");
  EXPECT_DOUBLE_EQ(one.value("matching_enabled_ratio", -1.0), 1.0) << one.dump();
  ClientResponse missing = env_->Call("GET", "/c/bank/HMA_NOPE", Key("matcher"));
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(ErrorCode(missing), "unknown_bank") << missing.body;

  Json half = env_->CallJson(200, "PUT", "/c/bank/HMA_CRUD", Key("curator"),
                             R"({"enabled_ratio": 0.5})", "application/json");
  EXPECT_DOUBLE_EQ(half.value("matching_enabled_ratio", -1.0), 0.5) << half.dump();
  EXPECT_DOUBLE_EQ(
      env_->CallJson(200, "GET", "/c/bank/HMA_CRUD", Key("matcher")).value("matching_enabled_ratio", -1.0),
      0.5);
  ClientResponse rename = env_->Call("PUT", "/c/bank/HMA_CRUD", Key("curator"),
                                     R"({"name": "HMA_OTHER"})", "application/json");
  EXPECT_EQ(rename.status, 400) << rename.body;

  // A disabled bank's items never match.
  env_->CallJson(200, "PUT", "/c/bank/HMA_CRUD", Key("curator"), R"({"enabled_ratio": 1.0})",
                 "application/json");
  AddSignal("HMA_CRUD", {{"pdq", FlipBits(kFar, 20)}});
  EXPECT_TRUE(Lookup(FlipBits(kFar, 20)).contains("HMA_CRUD"));
  env_->CallJson(200, "PUT", "/c/bank/HMA_CRUD", Key("curator"), R"({"enabled": false})",
                 "application/json");
  EXPECT_FALSE(Lookup(FlipBits(kFar, 20)).contains("HMA_CRUD"));
  env_->CallJson(200, "PUT", "/c/bank/HMA_CRUD", Key("curator"), R"({"enabled": true})",
                 "application/json");
  EXPECT_TRUE(Lookup(FlipBits(kFar, 20)).contains("HMA_CRUD"));

  EXPECT_EQ(env_->CallJson(200, "DELETE", "/c/bank/HMA_CRUD", Key("curator")),
            Json({{"message", "Done"}}));
  EXPECT_EQ(env_->Call("GET", "/c/bank/HMA_CRUD", Key("matcher")).status, 404);
  EXPECT_FALSE(Lookup(FlipBits(kFar, 20)).contains("HMA_CRUD"));
  ClientResponse gone = env_->Call("DELETE", "/c/bank/HMA_CRUD", Key("curator"));
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(ErrorCode(gone), "unknown_bank") << gone.body;
}

TEST_F(ServeHmaTest, ContentAddGetDisableDelete) {
  CreateBank("HMA_CONTENT");
  CreateBank("HMA_CONTENT2");
  const std::string wee = ReadFileBytes(TestImagePath(kWee));
  const std::string wee_pdq = ManifestPdq(kWee);

  // Upload with metadata.
  std::string type;
  std::string body = PhotoWithMetadata(
      wee,
      R"({"note": "from a test", "classification": {"uk_category": "B"},)"
      R"( "provenance": {"source_list": "unit", "external_id": "x-1"}})",
      &type);
  Json added = env_->CallJson(200, "POST", "/c/bank/HMA_CONTENT/content", Key("curator"), body,
                              type);
  ASSERT_TRUE(added["id"].is_number_integer()) << added.dump();
  const int64_t id = added["id"].get<int64_t>();
  EXPECT_EQ(added["signals"].value("pdq", ""), wee_pdq) << added.dump();
  EXPECT_EQ(added["signals"].value("md5", ""), kWeeMd5) << added.dump();
  EXPECT_EQ(added.value("duplicate", true), false) << added.dump();
  // The same image again: the existing id, duplicate.
  ClientResponse dup = env_->Upload("/c/bank/HMA_CONTENT/content", Key("curator"), "photo", wee);
  EXPECT_EQ(dup.status, 200) << dup.body;
  Json dupj = ParseJson(dup.body);
  EXPECT_EQ(dupj.value("id", int64_t{-1}), id) << dup.body;
  EXPECT_EQ(dupj.value("duplicate", false), true) << dup.body;
  // By URL.
  Json by_url = env_->CallJson(200, "POST",
                               "/c/bank/HMA_CONTENT/content?url=" + Q(host_->Url("/orig.jpg")),
                               Key("curator"));
  EXPECT_EQ(by_url["signals"].value("pdq", ""), ManifestPdq(kOrig)) << by_url.dump();
  EXPECT_NE(by_url.value("id", id), id);
  // Unknown bank.
  ClientResponse nobank = env_->Upload("/c/bank/HMA_NOPE/content", Key("curator"), "photo", wee);
  EXPECT_EQ(nobank.status, 404);
  EXPECT_EQ(ErrorCode(nobank), "unknown_bank") << nobank.body;
  // Signal: malformed.
  ClientResponse badsig = env_->Call("POST", "/c/bank/HMA_CONTENT/signal", Key("curator"),
                                     R"({"pdq": "0123"})", "application/json");
  EXPECT_EQ(badsig.status, 400);
  EXPECT_EQ(ErrorCode(badsig), "malformed_hash") << badsig.body;

  // GET content.
  const std::string path = "/c/bank/HMA_CONTENT/content/" + std::to_string(id);
  Json c = env_->CallJson(200, "GET", path + "?include_signals=true", Key("curator"));
  EXPECT_EQ(c.value("id", int64_t{-1}), id) << c.dump();
  EXPECT_EQ(c.value("disable_until_ts", int64_t{-1}), 0) << c.dump();
  EXPECT_TRUE(c["collab_metadata"].is_object()) << c.dump();
  EXPECT_TRUE(c.contains("original_media_uri") && c["original_media_uri"].is_null()) << c.dump();
  EXPECT_EQ(c["bank"].value("name", ""), "HMA_CONTENT") << c.dump();
  EXPECT_TRUE(c["bank"]["matching_enabled_ratio"].is_number()) << c.dump();
  EXPECT_EQ(c["signals"].value("pdq", ""), wee_pdq) << c.dump();
  EXPECT_EQ(c.value("enabled", false), true) << c.dump();
  EXPECT_EQ(c["classification"].value("uk_category", ""), "B") << c.dump();
  EXPECT_EQ(c["provenance"].value("external_id", ""), "x-1") << c.dump();
  EXPECT_EQ(c.value("note", ""), "from a test") << c.dump();
  // Not in another bank.
  ClientResponse wrong_bank =
      env_->Call("GET", "/c/bank/HMA_CONTENT2/content/" + std::to_string(id), Key("curator"));
  EXPECT_EQ(wrong_bank.status, 404);
  EXPECT_EQ(ErrorCode(wrong_bank), "unknown_item") << wrong_bank.body;

  auto matched = [&](const std::string& hex) {
    Json j = Lookup(hex);
    return j.contains("HMA_CONTENT") && !j["HMA_CONTENT"].empty() &&
           j["HMA_CONTENT"][0].value("bank_content_id", int64_t{-1}) == id;
  };
  auto raw_has = [&](const std::string& hex) {
    Json raw = RawLookup(hex, false);
    for (const Json& m : raw["matches"]) {
      if (m.is_number_integer() && m.get<int64_t>() == id) return true;
    }
    return false;
  };
  EXPECT_TRUE(matched(wee_pdq));
  EXPECT_TRUE(raw_has(wee_pdq));

  // Disabled: no longer in /m/lookup, still in raw_lookup.
  Json off = env_->CallJson(200, "PUT", path, Key("curator"), R"({"enabled": false})",
                            "application/json");
  EXPECT_EQ(off.value("enabled", true), false) << off.dump();
  EXPECT_FALSE(matched(wee_pdq));
  EXPECT_TRUE(raw_has(wee_pdq));
  Json on = env_->CallJson(200, "PUT", path, Key("curator"), R"({"disable_until_ts": 0})",
                           "application/json");
  EXPECT_EQ(on.value("enabled", false), true) << on.dump();
  EXPECT_TRUE(matched(wee_pdq));
  const int64_t until = NowS() + 3600;
  Json later = env_->CallJson(200, "PUT", path, Key("curator"),
                              R"({"disable_until_ts": )" + std::to_string(until) + "}",
                              "application/json");
  EXPECT_EQ(later.value("enabled", true), false) << later.dump();
  EXPECT_EQ(later.value("disable_until_ts", int64_t{0}), until) << later.dump();
  EXPECT_FALSE(matched(wee_pdq));
  EXPECT_TRUE(raw_has(wee_pdq));
  env_->CallJson(200, "PUT", path, Key("curator"), R"({"disable_until_ts": 0})",
                 "application/json");
  EXPECT_TRUE(matched(wee_pdq));

  // Deleted: in neither.
  EXPECT_EQ(env_->CallJson(200, "DELETE", path, Key("curator")), Json({{"deleted", 1}}));
  EXPECT_FALSE(matched(wee_pdq));
  EXPECT_FALSE(raw_has(wee_pdq));
  ClientResponse gone = env_->Call("GET", path, Key("curator"));
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(ErrorCode(gone), "unknown_item") << gone.body;
  gone = env_->Call("DELETE", path, Key("curator"));
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(ErrorCode(gone), "unknown_item") << gone.body;
}

TEST_F(ServeHmaTest, SignalAddIsDeduplicated) {
  CreateBank("HMA_SIGNAL");
  const int64_t id = AddSignal("HMA_SIGNAL", {{"pdq", FlipBits(kFar, 3)}});
  Json again = env_->CallJson(200, "POST", "/c/bank/HMA_SIGNAL/signal", Key("curator"),
                              Json({{"pdq", FlipBits(kFar, 3)}}).dump(), "application/json");
  EXPECT_EQ(again.value("id", int64_t{-1}), id) << again.dump();
  EXPECT_EQ(again.value("duplicate", false), true) << again.dump();
  EXPECT_EQ(again["signals"].value("pdq", ""), FlipBits(kFar, 3)) << again.dump();
  // sha256 too.
  const int64_t sha = AddSignal(
      "HMA_SIGNAL", {{"sha256", "05636c50d0c2ffe3a820f964eaba35b404deadd10538fe452ad9fb16fdd823d7"}});
  Json j = env_->CallJson(
      200, "GET",
      "/m/lookup?signal_type=sha256&signal="
      "05636c50d0c2ffe3a820f964eaba35b404deadd10538fe452ad9fb16fdd823d7",
      Key("matcher"));
  ASSERT_TRUE(j.contains("HMA_SIGNAL")) << j.dump();
  EXPECT_EQ(j["HMA_SIGNAL"][0].value("bank_content_id", int64_t{-1}), sha);
}

}  // namespace
}  // namespace warden::serve_test
