// KeyStore on a real SQLite file: the key format, authentication verdicts, revocation, names,
// persistence, the refresh rules that bound how stale another process's view may be (moved by
// a FakeClock), coexistence with the bank store in one file, and concurrent use.
#include "src/server/api_keys.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <cctype>
#include <cmath>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "src/store/store_test_util.h"
#include "warden/bank_store.h"

namespace warden {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

std::unique_ptr<KeyStore> OpenOrDie(const std::string& path, const Clock* clock,
                                    int refresh_ms = 1000) {
  KeyStoreOptions options;
  options.clock = clock;
  options.refresh_ms = refresh_ms;
  Result<std::unique_ptr<KeyStore>> store = OpenKeyStore(path, options);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

class ApiKeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.File("warden.db");
    store_ = OpenOrDie(path_, &clock_);
    ASSERT_NE(store_, nullptr);
  }

  CreatedKey CreateOrDie(Role role, const std::string& name, double rate = 0) {
    Result<CreatedKey> created = store_->Create(role, name, rate, "test");
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return created.ok() ? *created : CreatedKey{};
  }

  TempDir dir_;
  std::string path_;
  FakeClock clock_{1'700'000'000'000};
  std::unique_ptr<KeyStore> store_;
};

TEST(RoleTest, NamesParseAndLadder) {
  for (Role r : {Role::kHasher, Role::kMatcher, Role::kCurator, Role::kAdmin}) {
    Result<Role> parsed = ParseRole(RoleName(r));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, r);
  }
  EXPECT_STREQ(RoleName(Role::kCurator), "curator");
  Result<Role> bad = ParseRole("root");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("'root'"));
  EXPECT_THAT(bad.status().message(), HasSubstr("hasher, matcher, curator or admin"));
  EXPECT_FALSE(ParseRole("Admin").ok());  // names are exact
  EXPECT_TRUE(RoleAllows(Role::kAdmin, Role::kHasher));
  EXPECT_TRUE(RoleAllows(Role::kMatcher, Role::kMatcher));
  EXPECT_FALSE(RoleAllows(Role::kMatcher, Role::kCurator));
  EXPECT_FALSE(RoleAllows(Role::kHasher, Role::kMatcher));
}

TEST(BearerTokenTest, ExtractsTheToken) {
  EXPECT_EQ(BearerToken("Bearer abc"), "abc");
  EXPECT_EQ(BearerToken("bearer   abc  "), "abc");
  EXPECT_EQ(BearerToken("  BEARER\tabc"), "abc");
  EXPECT_EQ(BearerToken("Bearer"), "");
  EXPECT_EQ(BearerToken("Bearer "), "");
  EXPECT_EQ(BearerToken("Bearerabc"), "");
  EXPECT_EQ(BearerToken("Basic abc"), "");
  EXPECT_EQ(BearerToken("Bearer a b"), "");
  EXPECT_EQ(BearerToken(""), "");
}

TEST_F(ApiKeysTest, CreateGivesAWellFormedKeyThatAuthenticates) {
  CreatedKey k = CreateOrDie(Role::kMatcher, "partner-a", 50);
  EXPECT_THAT(k.key, MatchesRegex("wdn_[0-9a-f]{16}_[0-9a-f]{64}"));
  EXPECT_EQ(k.key.substr(4, 16), k.info.key_id);
  EXPECT_EQ(k.info.name, "partner-a");
  EXPECT_EQ(k.info.role, Role::kMatcher);
  EXPECT_EQ(k.info.rate_limit, 50);
  EXPECT_EQ(k.info.created_at_ms, clock_.NowMs());
  EXPECT_TRUE(k.info.active());

  Result<ApiKeyInfo> auth = store_->Authenticate(k.key);
  ASSERT_TRUE(auth.ok()) << auth.status().ToString();
  EXPECT_EQ(auth->key_id, k.info.key_id);
  EXPECT_EQ(auth->name, "partner-a");
  EXPECT_EQ(auth->role, Role::kMatcher);
  EXPECT_EQ(auth->rate_limit, 50);
}

TEST_F(ApiKeysTest, KeysAreDistinct) {
  std::set<std::string> keys, ids;
  for (int i = 0; i < 20; ++i) {
    CreatedKey k = CreateOrDie(Role::kHasher, "k" + std::to_string(i));
    keys.insert(k.key);
    ids.insert(k.info.key_id);
  }
  EXPECT_EQ(keys.size(), 20u);
  EXPECT_EQ(ids.size(), 20u);
}

TEST_F(ApiKeysTest, NothingSecretIsStored) {
  CreatedKey k = CreateOrDie(Role::kAdmin, "ops");
  const std::string secret = k.key.substr(21);
  ASSERT_EQ(secret.size(), 64u);
  store_.reset();
  // Every byte of the database file (and its WAL) is searched for the secret, in hex and raw.
  std::string raw;
  for (size_t i = 0; i < 64; i += 2) {
    raw.push_back(static_cast<char>(std::stoi(secret.substr(i, 2), nullptr, 16)));
  }
  for (const char* suffix : {"", "-wal"}) {
    std::ifstream f(path_ + suffix, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    EXPECT_EQ(bytes.find(secret), std::string::npos) << suffix;
    EXPECT_EQ(bytes.find(raw), std::string::npos) << suffix;
  }
}

TEST_F(ApiKeysTest, AuthenticateVerdicts) {
  CreatedKey k = CreateOrDie(Role::kCurator, "curator-1");
  auto expect_unauth = [&](const std::string& presented, const std::string& message) {
    Result<ApiKeyInfo> r = store_->Authenticate(presented);
    ASSERT_FALSE(r.ok()) << presented;
    EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated) << presented;
    EXPECT_EQ(r.status().message(), message) << presented;
  };
  expect_unauth("", "malformed API key");
  expect_unauth("wdn_", "malformed API key");
  expect_unauth(k.key + "0", "malformed API key");
  expect_unauth(k.key.substr(0, k.key.size() - 1), "malformed API key");
  std::string upper = k.key;
  upper[30] = upper[30] >= 'a' ? static_cast<char>(upper[30] - 32) : upper[30];
  upper[5] = 'G';
  expect_unauth(upper, "malformed API key");
  std::string bad_sep = k.key;
  bad_sep[20] = '-';
  expect_unauth(bad_sep, "malformed API key");
  std::string bad_prefix = k.key;
  bad_prefix[0] = 'x';
  expect_unauth(bad_prefix, "malformed API key");

  // A right id with a wrong secret, and a made-up id.
  std::string wrong_secret = k.key;
  wrong_secret.back() = wrong_secret.back() == '0' ? '1' : '0';
  expect_unauth(wrong_secret, "unknown API key");
  std::string wrong_id = k.key;
  wrong_id[4] = wrong_id[4] == '0' ? '1' : '0';
  expect_unauth(wrong_id, "unknown API key");

  ASSERT_TRUE(store_->Revoke(k.info.key_id, "test").ok());
  expect_unauth(k.key, "API key revoked");
  // The revoked verdict needs the right secret too.
  expect_unauth(wrong_secret, "unknown API key");
}

TEST_F(ApiKeysTest, CreateValidatesItsInput) {
  auto code_of = [&](Role role, const std::string& name, double rate, const std::string& actor) {
    Result<CreatedKey> r = store_->Create(role, name, rate, actor);
    return r.ok() ? StatusCode::kOk : r.status().code();
  };
  EXPECT_EQ(code_of(Role::kHasher, "", 0, "t"), StatusCode::kInvalidArgument);
  EXPECT_EQ(code_of(Role::kHasher, std::string(257, 'a'), 0, "t"), StatusCode::kInvalidArgument);
  EXPECT_EQ(code_of(Role::kHasher, std::string(256, 'a'), 0, "t"), StatusCode::kOk);
  EXPECT_EQ(code_of(Role::kHasher, "tab\there", 0, "t"), StatusCode::kInvalidArgument);
  EXPECT_EQ(code_of(Role::kHasher, "0123456789abcdef", 0, "t"), StatusCode::kInvalidArgument);
  EXPECT_EQ(code_of(Role::kHasher, "0123456789ABCDEF", 0, "t"), StatusCode::kInvalidArgument);
  EXPECT_EQ(code_of(Role::kHasher, "neg", -1, "t"), StatusCode::kInvalidArgument);
  EXPECT_EQ(code_of(Role::kHasher, "nan", std::nan(""), "t"), StatusCode::kInvalidArgument);
  EXPECT_EQ(code_of(Role::kHasher, "noactor", 0, ""), StatusCode::kInvalidArgument);
  EXPECT_EQ(code_of(Role::kHasher, "zero-rate", 0, "t"), StatusCode::kOk);
  EXPECT_EQ(code_of(Role::kHasher, "0123456789abcdeg", 0, "t"), StatusCode::kOk);  // not hex
  Result<std::vector<ApiKeyInfo>> keys = store_->List();
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(keys->size(), 3u);  // the rejected ones left nothing behind
}

TEST_F(ApiKeysTest, NamesAreUniqueAmongActiveKeysOnly) {
  CreatedKey first = CreateOrDie(Role::kHasher, "shared");
  Result<CreatedKey> again = store_->Create(Role::kAdmin, "shared", 0, "test");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
  EXPECT_THAT(again.status().message(), HasSubstr("'shared'"));

  Result<ApiKeyInfo> revoked = store_->Revoke("shared", "test");
  ASSERT_TRUE(revoked.ok()) << revoked.status().ToString();
  EXPECT_EQ(revoked->key_id, first.info.key_id);
  EXPECT_EQ(revoked->revoked_at_ms, clock_.NowMs());

  CreatedKey second = CreateOrDie(Role::kAdmin, "shared");
  EXPECT_NE(second.info.key_id, first.info.key_id);
  EXPECT_TRUE(store_->Authenticate(second.key).ok());
  // Revoking by name now finds the active one, not the old one.
  Result<ApiKeyInfo> by_name = store_->Revoke("shared", "test");
  ASSERT_TRUE(by_name.ok());
  EXPECT_EQ(by_name->key_id, second.info.key_id);
}

TEST_F(ApiKeysTest, RevokeErrors) {
  CreatedKey k = CreateOrDie(Role::kHasher, "once");
  Result<ApiKeyInfo> missing = store_->Revoke("nobody", "test");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("'nobody'"));
  Result<ApiKeyInfo> missing_id = store_->Revoke("00000000000000ff", "test");
  ASSERT_FALSE(missing_id.ok());
  EXPECT_EQ(missing_id.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(missing_id.status().message(), HasSubstr("00000000000000ff"));

  // By id in upper case, then again: the second names the key as already revoked.
  std::string upper_id = k.info.key_id;
  for (char& c : upper_id) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  ASSERT_TRUE(store_->Revoke(upper_id, "test").ok());
  Result<ApiKeyInfo> twice = store_->Revoke(k.info.key_id, "test");
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(twice.status().message(), HasSubstr("already revoked"));
  // And a revoked key's name no longer resolves.
  EXPECT_EQ(store_->Revoke("once", "test").status().code(), StatusCode::kNotFound);
}

TEST_F(ApiKeysTest, ListIsOldestFirstWithRevocations) {
  CreatedKey a = CreateOrDie(Role::kHasher, "a", 1.5);
  clock_.AdvanceMs(10);
  CreatedKey b = CreateOrDie(Role::kAdmin, "b");
  clock_.AdvanceMs(10);
  CreatedKey c = CreateOrDie(Role::kMatcher, "c");
  clock_.AdvanceMs(5);
  ASSERT_TRUE(store_->Revoke("b", "test").ok());
  Result<std::vector<ApiKeyInfo>> keys = store_->List();
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->size(), 3u);
  EXPECT_EQ((*keys)[0].key_id, a.info.key_id);
  EXPECT_EQ((*keys)[0].rate_limit, 1.5);
  EXPECT_EQ((*keys)[0].role, Role::kHasher);
  EXPECT_EQ((*keys)[1].key_id, b.info.key_id);
  EXPECT_EQ((*keys)[1].created_at_ms, a.info.created_at_ms + 10);
  EXPECT_EQ((*keys)[1].revoked_at_ms, a.info.created_at_ms + 25);
  EXPECT_FALSE((*keys)[1].active());
  EXPECT_EQ((*keys)[2].key_id, c.info.key_id);
  EXPECT_TRUE((*keys)[2].active());
}

TEST_F(ApiKeysTest, KeysSurviveReopen) {
  CreatedKey k = CreateOrDie(Role::kCurator, "persist", 7);
  store_.reset();
  std::unique_ptr<KeyStore> reopened = OpenOrDie(path_, &clock_);
  ASSERT_NE(reopened, nullptr);
  Result<ApiKeyInfo> auth = reopened->Authenticate(k.key);
  ASSERT_TRUE(auth.ok()) << auth.status().ToString();
  EXPECT_EQ(auth->role, Role::kCurator);
  EXPECT_EQ(auth->rate_limit, 7);
}

// A second KeyStore on the same file stands for another process (its own connection).
TEST_F(ApiKeysTest, AnotherConnectionsChangesAreSeenWithinRefreshMs) {
  std::unique_ptr<KeyStore> server = OpenOrDie(path_, &clock_, 1000);
  ASSERT_NE(server, nullptr);

  // An unknown id triggers one refresh at once: a key just created by the CLI works.
  CreatedKey first = CreateOrDie(Role::kMatcher, "first");
  ASSERT_TRUE(server->Authenticate(first.key).ok());

  // A second miss within refresh_ms does not go to the database again...
  CreatedKey second = CreateOrDie(Role::kMatcher, "second");
  Result<ApiKeyInfo> early = server->Authenticate(second.key);
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.status().message(), "unknown API key");
  clock_.AdvanceMs(999);
  EXPECT_FALSE(server->Authenticate(second.key).ok());
  // ...but once refresh_ms has passed it does.
  clock_.AdvanceMs(1);
  EXPECT_TRUE(server->Authenticate(second.key).ok());

  // A revocation is seen by the periodic refresh, not before refresh_ms.
  ASSERT_TRUE(store_->Revoke("first", "cli").ok());
  EXPECT_TRUE(server->Authenticate(first.key).ok());  // still cached
  clock_.AdvanceMs(1000);
  Result<ApiKeyInfo> late = server->Authenticate(first.key);
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.status().message(), "API key revoked");
}

TEST_F(ApiKeysTest, UnrelatedWritesToTheFileDoNotLoseKeys) {
  CreatedKey k = CreateOrDie(Role::kHasher, "h");
  // The bank store's schema and data land in the same file (and bump data_version).
  {
    Result<std::unique_ptr<BankStore>> banks = OpenSqliteStore(path_);
    ASSERT_TRUE(banks.ok()) << banks.status().ToString();
    Bank bank;
    bank.name = "B";
    ASSERT_TRUE((*banks)->CreateBank(bank, "test").ok());
  }
  clock_.AdvanceMs(5000);
  EXPECT_TRUE(store_->Authenticate(k.key).ok());
  // And the bank store still opens over a file that holds the key table.
  Result<std::unique_ptr<BankStore>> banks = OpenSqliteStore(path_);
  ASSERT_TRUE(banks.ok()) << banks.status().ToString();
  EXPECT_TRUE((*banks)->GetBank("B").ok());
}

TEST_F(ApiKeysTest, OpenRefusesAFileThatIsNotADatabase) {
  std::string path = dir_.File("not.db");
  std::ofstream(path) << "this is not a SQLite database, it is just text, long enough......";
  Result<std::unique_ptr<KeyStore>> store = OpenKeyStore(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kCorruptData);
  EXPECT_THAT(store.status().message(), HasSubstr(path));
  Result<std::unique_ptr<KeyStore>> nodir = OpenKeyStore(dir_.File("no/such/dir/w.db"));
  ASSERT_FALSE(nodir.ok());
  EXPECT_EQ(nodir.status().code(), StatusCode::kIoError);
}

TEST_F(ApiKeysTest, ConcurrentAuthenticateCreateAndRevoke) {
  std::vector<CreatedKey> stable;
  for (int i = 0; i < 4; ++i) stable.push_back(CreateOrDie(Role::kHasher, "s" + std::to_string(i)));
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        const CreatedKey& k = stable[static_cast<size_t>((t + i) % 4)];
        Result<ApiKeyInfo> r = store_->Authenticate(k.key);
        if (!r.ok() || r->key_id != k.info.key_id) ++failures;
        if (i % 100 == 0) clock_.AdvanceMs(600);  // forces periodic refreshes
      }
    });
  }
  threads.emplace_back([&] {
    for (int i = 0; i < 30; ++i) {
      std::string name = "churn" + std::to_string(i);
      if (!store_->Create(Role::kHasher, name, 0, "t").ok()) ++failures;
      if (!store_->Revoke(name, "t").ok()) ++failures;
    }
  });
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  Result<std::vector<ApiKeyInfo>> keys = store_->List();
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(keys->size(), 34u);
}

}  // namespace
}  // namespace warden
