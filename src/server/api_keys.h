// API keys and roles for `warden serve` (and `warden keys`).
//
// A key is shown to its owner once, at creation, as
//     wdn_<16 hex key id>_<64 hex secret>
// and the server stores only the key id, a random 16-byte salt and SHA-256(salt || secret)
// (plus name, role, rate limit, times). The secret is 256 random bits from libsodium's
// randombytes_buf, so a fast salted hash is enough: nothing can be brute-forced, and a slow KDF
// would cost milliseconds on every request. Comparison is constant-time.
//
// Roles form a ladder; each includes every role below it:
//   hasher  < matcher < curator < admin
//   hasher:  hash images (/h/hash, /v1/hash)
//   matcher: + ask whether something matches (lookups, compare, index status); it can NOT list
//            banks' contents or export them (hash lists are sensitive themselves)
//   curator: + create/update/delete banks and items, import, export, read contents
//   admin:   + metrics, the audit log, key management over the API
//
// Storage: table `api_keys` in the same SQLite file as the banks (created if missing; the bank
// store's schema is not touched). Keys created or revoked by another process (the CLI while the
// server runs) are seen by Authenticate within refresh_ms.
//
// Thread safety: every method may be called from many threads at once.
#ifndef WARDEN_SRC_SERVER_API_KEYS_H_
#define WARDEN_SRC_SERVER_API_KEYS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "warden/clock.h"
#include "warden/status.h"

namespace warden {

enum class Role { kHasher = 0, kMatcher = 1, kCurator = 2, kAdmin = 3 };
// "hasher", "matcher", "curator", "admin".
const char* RoleName(Role role);
// Errors: kInvalidArgument naming the input and the four names.
Result<Role> ParseRole(std::string_view name);
// True iff a key of role `have` may do what needs role `need` (the ladder above).
inline bool RoleAllows(Role have, Role need) {
  return static_cast<int>(have) >= static_cast<int>(need);
}

struct ApiKeyInfo {
  std::string key_id;  // 16 lower-case hex; public (appears in logs and the audit log)
  std::string name;    // who it is for, 1..kMaxShortFieldLength bytes, unique among active keys
  Role role = Role::kHasher;
  double rate_limit = 0;  // requests per second for this key; 0 = the server's default
  int64_t created_at_ms = 0;
  int64_t revoked_at_ms = 0;  // 0 = active
  bool active() const { return revoked_at_ms == 0; }
};

struct CreatedKey {
  ApiKeyInfo info;
  std::string key;  // the full "wdn_<id>_<secret>"; shown once, never stored
};

struct KeyStoreOptions {
  const Clock* clock = nullptr;  // not owned; nullptr = the system clock
  int refresh_ms = 1000;         // how stale the in-memory key cache may get
};

class KeyStore {
 public:
  virtual ~KeyStore() = default;

  // Errors: kInvalidArgument (empty or long name, negative rate); kAlreadyExists if an active
  // key already has this name; storage errors.
  virtual Result<CreatedKey> Create(Role role, std::string_view name, double rate_limit,
                                    std::string_view actor) = 0;
  // Every key (active and revoked), oldest first.
  virtual Result<std::vector<ApiKeyInfo>> List() = 0;
  // Revokes by key id or by the name of an active key. Errors: kNotFound naming it.
  virtual Result<ApiKeyInfo> Revoke(std::string_view id_or_name, std::string_view actor) = 0;
  // Checks a presented key. Errors: kUnauthenticated "malformed API key" / "unknown API key" /
  // "API key revoked" (the message never echoes the secret). Fast path: no storage access.
  virtual Result<ApiKeyInfo> Authenticate(std::string_view presented) const = 0;
};

// Checks a key name as Create does: 1..kMaxShortFieldLength bytes, no control characters, and
// not 16 hex digits (Revoke would read it as a key id). Errors: kInvalidArgument naming it.
Status ValidateKeyName(std::string_view name);

// Opens the key table in the SQLite file at `path` (creating the file and table if missing).
// Errors: kIoError / kCorruptData naming the path.
Result<std::unique_ptr<KeyStore>> OpenKeyStore(const std::string& path,
                                               const KeyStoreOptions& options = {});

// The key from an "Authorization: Bearer KEY" header value, or "" if it is not that form.
std::string_view BearerToken(std::string_view authorization_header);

}  // namespace warden

#endif  // WARDEN_SRC_SERVER_API_KEYS_H_
