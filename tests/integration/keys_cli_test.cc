// `warden keys` as a user runs it: the real binary on a temporary --db. Covers create (text and
// json; the printed key really authenticates through the KeyStore), list (never a secret),
// revoke by name and by id, a name reused after revocation, $WARDEN_DB, coexistence with
// `warden bank` in one file, and the error exits (1 failure, 2 usage).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "src/server/api_keys.h"
#include "tests/integration/subprocess.h"

namespace warden {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

std::string FirstLine(const std::string& text) { return text.substr(0, text.find('\n')); }

// The value of "field":"..." in a one-line JSON object (no escapes in the values used here).
std::string JsonString(const std::string& json, const std::string& field) {
  const std::string open = "\"" + field + "\":\"";
  size_t at = json.find(open);
  if (at == std::string::npos) return "";
  at += open.size();
  return json.substr(at, json.find('"', at) - at);
}

class KeysCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("keys_cli_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    db_ = (dir_ / "w.db").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs `warden ARGS... --db DB`.
  ProcessResult Warden(std::vector<std::string> args, bool with_db = true) {
    if (with_db) {
      args.push_back("--db");
      args.push_back(db_);
    }
    args.insert(args.begin(), WARDEN_BINARY);
    return RunProcess(args);
  }

  Result<ApiKeyInfo> Authenticate(const std::string& key) {
    KeyStoreOptions options;
    options.refresh_ms = 0;
    Result<std::unique_ptr<KeyStore>> store = OpenKeyStore(db_, options);
    if (!store.ok()) return store.status();
    return (*store)->Authenticate(key);
  }

  fs::path dir_;
  std::string db_;
};

TEST_F(KeysCliTest, CreateListRevoke) {
  ProcessResult r =
      Warden({"keys", "create", "--role", "matcher", "--name", "partner-a", "--rate-limit", "25"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  const std::string key = FirstLine(r.out);
  EXPECT_THAT(key, MatchesRegex("wdn_[0-9a-f]{16}_[0-9a-f]{64}"));
  EXPECT_EQ(r.out, key + "\n");  // the key alone
  EXPECT_THAT(r.err, HasSubstr("shown only this once"));
  EXPECT_THAT(r.err, HasSubstr("role matcher"));
  const std::string id = key.substr(4, 16);
  Result<ApiKeyInfo> auth = Authenticate(key);
  ASSERT_TRUE(auth.ok()) << auth.status().ToString();
  EXPECT_EQ(auth->name, "partner-a");
  EXPECT_EQ(auth->role, Role::kMatcher);
  EXPECT_EQ(auth->rate_limit, 25);

  // --db before the action, json output.
  r = RunProcess({WARDEN_BINARY, "keys", "--db", db_, "create", "--role", "admin", "--name", "ops",
                  "--format", "json"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_THAT(r.out, MatchesRegex(R"(\{"key":"wdn_[0-9a-f_]+","key_id":"[0-9a-f]{16}",)"
                                  R"("name":"ops","rate_limit":0.0,"role":"admin"\}.)"));
  EXPECT_EQ(r.out.back(), '\n');
  const std::string admin_key = JsonString(r.out, "key");
  EXPECT_EQ(JsonString(r.out, "key_id"), admin_key.substr(4, 16));
  EXPECT_THAT(r.err, HasSubstr("shown only this once"));
  ASSERT_TRUE(Authenticate(admin_key).ok());

  r = Warden({"keys", "list"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("ID"));
  EXPECT_THAT(r.out, ::testing::ContainsRegex(id + "  partner-a +matcher +25/s  20[0-9-]+T"));
  EXPECT_THAT(r.out, ::testing::ContainsRegex("ops +admin +default"));
  EXPECT_THAT(r.out, Not(HasSubstr(key.substr(21))));  // never the secret
  EXPECT_THAT(r.out, Not(HasSubstr(admin_key.substr(21))));

  r = Warden({"keys", "revoke", "partner-a"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("revoked API key " + id));
  auth = Authenticate(key);
  ASSERT_FALSE(auth.ok());
  EXPECT_EQ(auth.status().message(), "API key revoked");

  r = Warden({"keys", "list", "--format", "json"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr(R"("active":false,"created_at_ms":)"));
  EXPECT_THAT(r.out, HasSubstr(R"("key_id":")" + id + R"(","name":"partner-a")"));
  EXPECT_THAT(r.out, Not(HasSubstr("wdn_")));
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 2);

  // The name is free again; revoke by id works too.
  r = Warden({"keys", "create", "--role", "hasher", "--name", "partner-a"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  const std::string second_id = FirstLine(r.out).substr(4, 16);
  r = Warden({"keys", "revoke", second_id});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr(second_id));
}

TEST_F(KeysCliTest, ErrorsNameTheProblemAndExitNonZero) {
  // Bad role: usage error naming the four roles, and no store is created.
  ProcessResult r = Warden({"keys", "create", "--role", "root", "--name", "x"});
  EXPECT_EQ(r.exit_status, 2);
  EXPECT_THAT(r.err, HasSubstr("'root'"));
  EXPECT_THAT(r.err, HasSubstr("hasher, matcher, curator or admin"));
  EXPECT_FALSE(fs::exists(db_));
  r = Warden({"keys", "create", "--role", "hasher", "--name", "x", "--rate-limit", "-1"});
  EXPECT_EQ(r.exit_status, 2);
  EXPECT_THAT(r.err, HasSubstr("--rate-limit"));
  r = Warden({"keys", "create", "--role", "hasher", "--name", "0123456789abcdef"});
  EXPECT_EQ(r.exit_status, 2);
  EXPECT_THAT(r.err, HasSubstr("looks like a key id"));
  EXPECT_FALSE(fs::exists(db_));
  r = Warden({"keys", "create", "--role", "hasher"});  // --name missing
  EXPECT_EQ(r.exit_status, 2);
  r = Warden({"keys", "list", "--format", "xml"});
  EXPECT_EQ(r.exit_status, 2);
  r = Warden({"keys"});
  EXPECT_EQ(r.exit_status, 2);

  // No store yet: list and revoke fail without creating one.
  r = Warden({"keys", "list"});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_THAT(r.err, HasSubstr("no such store"));
  EXPECT_FALSE(fs::exists(db_));

  ASSERT_EQ(Warden({"keys", "create", "--role", "hasher", "--name", "taken"}).exit_status, 0);
  r = Warden({"keys", "create", "--role", "admin", "--name", "taken"});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_THAT(r.err, HasSubstr("already named 'taken'"));
  EXPECT_EQ(r.out, "");  // no key printed for a failed create
  r = Warden({"keys", "revoke", "nobody"});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_THAT(r.err, HasSubstr("no active API key named 'nobody'"));
  ASSERT_EQ(Warden({"keys", "revoke", "taken"}).exit_status, 0);
  r = Warden({"keys", "revoke", "taken"});
  EXPECT_EQ(r.exit_status, 1);
}

TEST_F(KeysCliTest, DefaultsToWardenDbAndSharesTheFileWithBanks) {
  ASSERT_EQ(::setenv("WARDEN_DB", db_.c_str(), 1), 0);
  ProcessResult r = Warden({"keys", "create", "--role", "curator", "--name", "env"}, false);
  ::unsetenv("WARDEN_DB");
  ASSERT_EQ(r.exit_status, 0) << r.err;
  ASSERT_TRUE(fs::exists(db_));
  // The bank store opens (and migrates) the same file; the key still works afterwards.
  r = Warden({"bank", "create", "B1"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  r = Warden({"keys", "list"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("env"));
  r = Warden({"bank", "list"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("B1"));
}

}  // namespace
}  // namespace warden
