#include "src/server/api_keys.h"

#include <fmt/core.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <unordered_map>
#include <utility>

#include "src/base/hex.h"
#include "src/store/sqlite_db.h"
#include "warden/bank.h"

namespace warden {
namespace {

constexpr char kKeyPrefix[] = "wdn_";
constexpr size_t kIdBytes = 8;       // 16 hex digits
constexpr size_t kSecretBytes = 32;  // 64 hex digits, 256 bits
constexpr size_t kSaltBytes = 16;
constexpr size_t kHashBytes = crypto_hash_sha256_BYTES;
// "wdn_" + 16 hex + "_" + 64 hex.
constexpr size_t kKeyLength = 4 + 2 * kIdBytes + 1 + 2 * kSecretBytes;
constexpr int64_t kNever = std::numeric_limits<int64_t>::min();

// The table sits beside the bank store's tables but outside its migrations (user_version is
// the store's): IF NOT EXISTS makes opening idempotent from any process. Names are unique
// among active keys only, so a name can be reused once its key is revoked.
constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS api_keys (
  id INTEGER PRIMARY KEY,
  key_id TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  rate_limit REAL NOT NULL,
  salt BLOB NOT NULL,
  secret_hash BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  revoked_at INTEGER NOT NULL DEFAULT 0,
  revoked_by TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX IF NOT EXISTS api_keys_active_name ON api_keys(name) WHERE revoked_at = 0;
)sql";

#define WARDEN_SQL_KEY_COLUMNS \
  "key_id, name, role, rate_limit, created_at, revoked_at, salt, secret_hash"

// Lower-case hex digits only: keys are printed lower-case, and one spelling per key keeps the
// cache a plain map.
int LowerHexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

bool FromHex(std::string_view hex, uint8_t* out) {
  for (size_t i = 0; i < hex.size() / 2; ++i) {
    int hi = LowerHexValue(hex[2 * i]);
    int lo = LowerHexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

// 16 hex digits; upper case too when `any_case` (what a person may type), else only the
// lower case that ids are stored in.
bool LooksLikeKeyId(std::string_view s, bool any_case = true) {
  if (s.size() != 2 * kIdBytes) return false;
  for (char c : s) {
    if (LowerHexValue(c) < 0 && !(any_case && c >= 'A' && c <= 'F')) return false;
  }
  return true;
}

uint64_t IdValue(const uint8_t* id) {
  uint64_t v = 0;
  for (size_t i = 0; i < kIdBytes; ++i) v = v << 8 | id[i];
  return v;
}

using Hash = std::array<uint8_t, kHashBytes>;
using Salt = std::array<uint8_t, kSaltBytes>;

Hash SaltedHash(const Salt& salt, const uint8_t* secret) {
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  crypto_hash_sha256_update(&state, salt.data(), salt.size());
  crypto_hash_sha256_update(&state, secret, kSecretBytes);
  Hash hash;
  crypto_hash_sha256_final(&state, hash.data());
  return hash;
}

}  // namespace

Status ValidateKeyName(std::string_view name) {
  if (name.empty()) return Status::InvalidArgument("API key name must not be empty");
  if (name.size() > kMaxShortFieldLength) {
    return Status::InvalidArgument(fmt::format("API key name is {} bytes, over the limit of {}",
                                               name.size(), kMaxShortFieldLength));
  }
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return Status::InvalidArgument("API key name must not contain control characters");
    }
  }
  // Revoke takes "an id or a name"; a name that could be read as an id would be ambiguous.
  if (LooksLikeKeyId(name)) {
    return Status::InvalidArgument(fmt::format(
        "API key name '{}' looks like a key id (16 hex digits); choose another name", name));
  }
  return Status::Ok();
}

namespace {

Status ValidateActor(std::string_view actor) {
  if (actor.empty() || actor.size() > kMaxShortFieldLength) {
    return Status::InvalidArgument(
        fmt::format("actor must be 1..{} bytes, got {}", kMaxShortFieldLength, actor.size()));
  }
  return Status::Ok();
}

struct CachedKey {
  ApiKeyInfo info;
  Salt salt;
  Hash hash;
};

// Reads one row of WARDEN_SQL_KEY_COLUMNS. Errors: kCorruptData naming the key.
Result<CachedKey> ReadRow(const Stmt& row, const std::string& path) {
  CachedKey key;
  key.info.key_id = row.Text(0);
  key.info.name = row.Text(1);
  Result<Role> role = ParseRole(row.Text(2));
  std::string salt = row.Text(6);
  std::string hash = row.Text(7);
  if (!role.ok() || !LooksLikeKeyId(key.info.key_id, false) || salt.size() != kSaltBytes ||
      hash.size() != kHashBytes) {
    return Status::CorruptData(fmt::format(
        "SQLite store {}: api_keys row for key '{}' is malformed", path, key.info.key_id));
  }
  key.info.role = *role;
  key.info.rate_limit = row.Double(3);
  key.info.created_at_ms = row.Int(4);
  key.info.revoked_at_ms = row.Int(5);
  std::memcpy(key.salt.data(), salt.data(), kSaltBytes);
  std::memcpy(key.hash.data(), hash.data(), kHashBytes);
  return key;
}

class SqliteKeyStore final : public KeyStore {
 public:
  SqliteKeyStore(std::unique_ptr<SqliteDb> db, const KeyStoreOptions& options)
      : db_(std::move(db)),
        clock_(options.clock != nullptr ? options.clock : SystemClock::Default()),
        refresh_ms_(options.refresh_ms) {}

  Status Init() {
    std::lock_guard<std::mutex> lock(db_mu_);
    WARDEN_RETURN_IF_ERROR(db_->Exec(kSchema));
    WARDEN_RETURN_IF_ERROR(ReloadLocked());
    last_refresh_ms_.store(clock_->NowMs());
    return Status::Ok();
  }

  Result<CreatedKey> Create(Role role, std::string_view name, double rate_limit,
                            std::string_view actor) override {
    WARDEN_RETURN_IF_ERROR(ValidateKeyName(name));
    WARDEN_RETURN_IF_ERROR(ValidateActor(actor));
    if (!std::isfinite(rate_limit) || rate_limit < 0) {
      return Status::InvalidArgument(fmt::format(
          "rate limit must be a finite number of requests per second >= 0, got {}", rate_limit));
    }
    uint8_t id[kIdBytes];
    uint8_t secret[kSecretBytes];
    Salt salt;
    randombytes_buf(id, sizeof(id));
    randombytes_buf(secret, sizeof(secret));
    randombytes_buf(salt.data(), salt.size());
    Hash hash = SaltedHash(salt, secret);

    CreatedKey created;
    created.info.key_id = BytesToHex(std::span<const uint8_t>(id, kIdBytes));
    created.info.name = std::string(name);
    created.info.role = role;
    created.info.rate_limit = rate_limit;
    created.info.created_at_ms = clock_->NowMs();
    created.key = kKeyPrefix + created.info.key_id + "_" +
                  BytesToHex(std::span<const uint8_t>(secret, kSecretBytes));
    sodium_memzero(secret, sizeof(secret));

    std::lock_guard<std::mutex> lock(db_mu_);
    Status s = InTransaction([&]() -> Status {
      {
        WARDEN_ASSIGN_OR_RETURN(
            Stmt q, db_->Query("SELECT key_id FROM api_keys WHERE name = ? AND revoked_at = 0"));
        q.BindText(1, name);
        WARDEN_ASSIGN_OR_RETURN(bool taken, q.Step());
        if (taken) {
          return Status::AlreadyExists(fmt::format(
              "an active API key is already named '{}' (key {}); revoke it or choose another "
              "name",
              name, q.Text(0)));
        }
      }
      WARDEN_ASSIGN_OR_RETURN(
          Stmt insert,
          db_->Query("INSERT INTO api_keys (key_id, name, role, rate_limit, salt, secret_hash, "
                     "created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
      insert.BindText(1, created.info.key_id)
          .BindText(2, name)
          .BindText(3, RoleName(role))
          .BindDouble(4, rate_limit)
          .BindBlob(5, std::string_view(reinterpret_cast<const char*>(salt.data()), salt.size()))
          .BindBlob(6, std::string_view(reinterpret_cast<const char*>(hash.data()), hash.size()))
          .BindInt(7, created.info.created_at_ms)
          .BindText(8, actor);
      return insert.Run();
    });
    if (!s.ok()) return s;
    // This process sees its own change at once; a failed reload only delays that until the
    // next refresh.
    (void)ReloadLocked();
    return created;
  }

  Result<std::vector<ApiKeyInfo>> List() override {
    std::lock_guard<std::mutex> lock(db_mu_);
    WARDEN_ASSIGN_OR_RETURN(
        Stmt q, db_->Query("SELECT " WARDEN_SQL_KEY_COLUMNS " FROM api_keys ORDER BY id"));
    std::vector<ApiKeyInfo> keys;
    while (true) {
      WARDEN_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      WARDEN_ASSIGN_OR_RETURN(CachedKey key, ReadRow(q, db_->path()));
      keys.push_back(std::move(key.info));
    }
    return keys;
  }

  Result<ApiKeyInfo> Revoke(std::string_view id_or_name, std::string_view actor) override {
    WARDEN_RETURN_IF_ERROR(ValidateActor(actor));
    const bool by_id = LooksLikeKeyId(id_or_name);
    std::string lookup(id_or_name);
    if (by_id) {
      for (char& c : lookup) {
        if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');  // stored lower-case
      }
    }
    ApiKeyInfo info;
    std::lock_guard<std::mutex> lock(db_mu_);
    Status s = InTransaction([&]() -> Status {
      {
        WARDEN_ASSIGN_OR_RETURN(
            Stmt q,
            by_id ? db_->Query("SELECT " WARDEN_SQL_KEY_COLUMNS " FROM api_keys WHERE key_id = ?")
                  : db_->Query("SELECT " WARDEN_SQL_KEY_COLUMNS
                               " FROM api_keys WHERE name = ? AND revoked_at = 0"));
        q.BindText(1, lookup);
        WARDEN_ASSIGN_OR_RETURN(bool found, q.Step());
        if (!found) {
          return Status::NotFound(by_id ? fmt::format("no API key with id '{}'", lookup)
                                        : fmt::format("no active API key named '{}'", lookup));
        }
        WARDEN_ASSIGN_OR_RETURN(CachedKey key, ReadRow(q, db_->path()));
        info = std::move(key.info);
      }
      if (!info.active()) {
        return Status::NotFound(
            fmt::format("API key {} ('{}') is already revoked", info.key_id, info.name));
      }
      // 0 means "active", so a clock at the epoch still records a revocation.
      info.revoked_at_ms = std::max<int64_t>(clock_->NowMs(), 1);
      WARDEN_ASSIGN_OR_RETURN(
          Stmt update,
          db_->Query("UPDATE api_keys SET revoked_at = ?, revoked_by = ? WHERE key_id = ?"));
      update.BindInt(1, info.revoked_at_ms).BindText(2, actor).BindText(3, info.key_id);
      return update.Run();
    });
    if (!s.ok()) return s;
    (void)ReloadLocked();
    return info;
  }

  Result<ApiKeyInfo> Authenticate(std::string_view presented) const override {
    uint8_t id[kIdBytes];
    uint8_t secret[kSecretBytes];
    if (presented.size() != kKeyLength || presented.substr(0, 4) != kKeyPrefix ||
        presented[4 + 2 * kIdBytes] != '_' || !FromHex(presented.substr(4, 2 * kIdBytes), id) ||
        !FromHex(presented.substr(5 + 2 * kIdBytes), secret)) {
      return Status::Unauthenticated("malformed API key");
    }
    const uint64_t key = IdValue(id);
    const int64_t now = clock_->NowMs();
    MaybeRefresh(now, last_refresh_ms_);
    std::optional<Result<ApiKeyInfo>> result = Check(key, secret);
    // An id missing from the cache may be a key created a moment ago by another process.
    if (!result.has_value() && MaybeRefresh(now, last_miss_ms_)) result = Check(key, secret);
    sodium_memzero(secret, sizeof(secret));
    if (!result.has_value()) return Status::Unauthenticated("unknown API key");
    return *std::move(result);
  }

 private:
  template <typename F>
  Status InTransaction(F body) {
    WARDEN_RETURN_IF_ERROR(db_->Exec("BEGIN IMMEDIATE"));
    Status s = body();
    if (s.ok()) s = db_->Exec("COMMIT");
    if (!s.ok()) (void)db_->Exec("ROLLBACK");
    return s;
  }

  // The verdict on a key whose id is in the cache; nullopt if the id is not.
  std::optional<Result<ApiKeyInfo>> Check(uint64_t key, const uint8_t* secret) const {
    std::shared_lock<std::shared_mutex> lock(cache_mu_);
    auto it = cache_.find(key);
    if (it == cache_.end()) return std::nullopt;
    const CachedKey& cached = it->second;
    Hash hash = SaltedHash(cached.salt, secret);
    // A wrong secret reads as an unknown key: the id alone proves nothing.
    if (sodium_memcmp(hash.data(), cached.hash.data(), kHashBytes) != 0) {
      return Result<ApiKeyInfo>(Status::Unauthenticated("unknown API key"));
    }
    if (!cached.info.active())
      return Result<ApiKeyInfo>(Status::Unauthenticated("API key revoked"));
    return Result<ApiKeyInfo>(cached.info);
  }

  // Re-reads the table if another connection committed since the last read, when `last` (one
  // of the two refresh clocks) is at least refresh_ms old; one caller wins the slot and the
  // others go on with the cache as it is. Returns whether this call checked the database.
  bool MaybeRefresh(int64_t now, std::atomic<int64_t>& last) const {
    int64_t prev = last.load(std::memory_order_relaxed);
    if (prev != kNever && now >= prev && now - prev < refresh_ms_) return false;
    if (!last.compare_exchange_strong(prev, now, std::memory_order_relaxed)) return false;
    std::lock_guard<std::mutex> lock(db_mu_);
    // A database that is locked or failing leaves the last good cache in use: serving keys
    // that were valid refresh_ms ago beats refusing every request.
    Result<int64_t> version = db_->QueryInt("PRAGMA data_version");
    if (version.ok() && *version != data_version_) (void)ReloadLocked();
    return true;
  }

  // REQUIRES: db_mu_ held. Replaces the cache with the table's contents.
  Status ReloadLocked() const {
    WARDEN_ASSIGN_OR_RETURN(int64_t version, db_->QueryInt("PRAGMA data_version"));
    std::unordered_map<uint64_t, CachedKey> fresh;
    {
      WARDEN_ASSIGN_OR_RETURN(Stmt q,
                              db_->Query("SELECT " WARDEN_SQL_KEY_COLUMNS " FROM api_keys"));
      while (true) {
        WARDEN_ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) break;
        WARDEN_ASSIGN_OR_RETURN(CachedKey key, ReadRow(q, db_->path()));
        uint8_t id[kIdBytes];
        FromHex(key.info.key_id, id);  // ReadRow checked it is 16 hex digits
        fresh.emplace(IdValue(id), std::move(key));
      }
    }
    {
      std::unique_lock<std::shared_mutex> lock(cache_mu_);
      cache_.swap(fresh);
    }
    data_version_ = version;
    return Status::Ok();
  }

  // The connection and data_version_ are guarded by db_mu_; Authenticate (const) refreshes
  // through them, hence mutable.
  mutable std::mutex db_mu_;
  const std::unique_ptr<SqliteDb> db_;
  mutable int64_t data_version_ = -1;
  const Clock* const clock_;
  const int refresh_ms_;
  mutable std::atomic<int64_t> last_refresh_ms_{kNever};
  mutable std::atomic<int64_t> last_miss_ms_{kNever};
  mutable std::shared_mutex cache_mu_;
  mutable std::unordered_map<uint64_t, CachedKey> cache_;  // by the id's 64-bit value
};

}  // namespace

const char* RoleName(Role role) {
  switch (role) {
    case Role::kHasher:
      return "hasher";
    case Role::kMatcher:
      return "matcher";
    case Role::kCurator:
      return "curator";
    case Role::kAdmin:
      return "admin";
  }
  return "unknown";
}

Result<Role> ParseRole(std::string_view name) {
  for (Role role : {Role::kHasher, Role::kMatcher, Role::kCurator, Role::kAdmin}) {
    if (name == RoleName(role)) return role;
  }
  return Status::InvalidArgument(
      fmt::format("unknown role '{}' (expected hasher, matcher, curator or admin)", name));
}

Result<std::unique_ptr<KeyStore>> OpenKeyStore(const std::string& path,
                                               const KeyStoreOptions& options) {
  // sodium_init is idempotent and thread-safe; it seeds randombytes_buf.
  if (sodium_init() < 0) return Status::Internal("libsodium failed to initialise");
  SqliteDbOptions db_options;
  db_options.create = true;
  db_options.cache_size_kib = 2048;  // a table of keys, not a bank
  WARDEN_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db, SqliteDb::Open(path, db_options));
  auto store = std::make_unique<SqliteKeyStore>(std::move(db), options);
  WARDEN_RETURN_IF_ERROR(store->Init());
  return std::unique_ptr<KeyStore>(std::move(store));
}

std::string_view BearerToken(std::string_view header) {
  auto is_space = [](char c) { return c == ' ' || c == '\t'; };
  while (!header.empty() && is_space(header.front())) header.remove_prefix(1);
  while (!header.empty() && is_space(header.back())) header.remove_suffix(1);
  constexpr std::string_view kScheme = "bearer";
  if (header.size() <= kScheme.size() || !is_space(header[kScheme.size()])) return {};
  // The auth scheme is case-insensitive (RFC 7235, section 2.1).
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if ((header[i] | 0x20) != kScheme[i]) return {};
  }
  header.remove_prefix(kScheme.size());
  while (!header.empty() && is_space(header.front())) header.remove_prefix(1);
  for (char c : header) {
    if (is_space(c)) return {};
  }
  return header;
}

}  // namespace warden
