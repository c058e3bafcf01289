#include "src/cli/keys_command.h"

#include <cmath>
#include <ctime>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "src/server/api_keys.h"
#include "warden/status.h"

namespace warden {
namespace {

constexpr char kActor[] = "cli";

// Names are free text: bytes that are not UTF-8 become U+FFFD rather than an exception.
std::string Json(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// "2026-11-27T14:35:00Z"; "-" for 0 (not revoked).
std::string UtcTime(int64_t ms) {
  if (ms == 0) return "-";
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  if (gmtime_r(&seconds, &tm) == nullptr) return std::to_string(ms);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string Rate(double rate) { return rate == 0 ? "default" : fmt::format("{:g}/s", rate); }

// Only `create` may make a new file, so a mistyped --db never leaves a stray database behind.
Result<std::unique_ptr<KeyStore>> Open(const KeysCommandOptions& o) {
  if (o.db.empty()) return Status::InvalidArgument("--db must not be empty");
  std::error_code ec;
  if (o.action != "create" && !std::filesystem::exists(o.db, ec)) {
    return Status::NotFound(fmt::format(
        "{}: no such store (create a key with 'warden keys create --role R --name N', or pass "
        "--db PATH)",
        o.db));
  }
  return OpenKeyStore(o.db);
}

Status Create(KeyStore& store, const KeysCommandOptions& o, std::FILE* out, std::FILE* err) {
  WARDEN_ASSIGN_OR_RETURN(Role role, ParseRole(o.role));
  WARDEN_ASSIGN_OR_RETURN(CreatedKey created, store.Create(role, o.name, o.rate_limit, kActor));
  const ApiKeyInfo& info = created.info;
  if (o.format == "json") {
    fmt::print(out, "{}\n",
               Json({{"key", created.key},
                     {"key_id", info.key_id},
                     {"name", info.name},
                     {"role", RoleName(info.role)},
                     {"rate_limit", info.rate_limit}}));
  } else {
    fmt::print(out, "{}\n", created.key);
  }
  std::fflush(out);
  fmt::print(err,
             "warden: created API key {} for '{}' (role {}, rate limit {}).\n"
             "warden: the key is shown only this once (only a hash of its secret is stored); "
             "keep it somewhere safe now.\n",
             info.key_id, info.name, RoleName(info.role), Rate(info.rate_limit));
  return Status::Ok();
}

Status List(KeyStore& store, const KeysCommandOptions& o, std::FILE* out) {
  WARDEN_ASSIGN_OR_RETURN(std::vector<ApiKeyInfo> keys, store.List());
  if (o.format == "json") {
    for (const ApiKeyInfo& k : keys) {
      fmt::print(out, "{}\n",
                 Json({{"key_id", k.key_id},
                       {"name", k.name},
                       {"role", RoleName(k.role)},
                       {"rate_limit", k.rate_limit},
                       {"created_at_ms", k.created_at_ms},
                       {"revoked_at_ms", k.revoked_at_ms},
                       {"active", k.active()}}));
    }
    return Status::Ok();
  }
  fmt::print(out, "{:<16}  {:<24} {:<8} {:>9}  {:<20}  {}\n", "ID", "NAME", "ROLE", "RATE",
             "CREATED", "REVOKED");
  for (const ApiKeyInfo& k : keys) {
    fmt::print(out, "{:<16}  {:<24} {:<8} {:>9}  {:<20}  {}\n", k.key_id, k.name, RoleName(k.role),
               Rate(k.rate_limit), UtcTime(k.created_at_ms), UtcTime(k.revoked_at_ms));
  }
  return Status::Ok();
}

Status Revoke(KeyStore& store, const KeysCommandOptions& o, std::FILE* out) {
  WARDEN_ASSIGN_OR_RETURN(ApiKeyInfo info, store.Revoke(o.id_or_name, kActor));
  fmt::print(out, "revoked API key {} ('{}', role {})\n", info.key_id, info.name,
             RoleName(info.role));
  return Status::Ok();
}

Status Dispatch(KeyStore& s, const KeysCommandOptions& o, std::FILE* out, std::FILE* err) {
  if (o.action == "create") return Create(s, o, out, err);
  if (o.action == "list") return List(s, o, out);
  if (o.action == "revoke") return Revoke(s, o, out);
  return Status::InvalidArgument(fmt::format("unknown keys action '{}'", o.action));
}

}  // namespace

CLI::App* AddKeysCommand(CLI::App* app, KeysCommandOptions* o) {
  CLI::App* keys =
      app->add_subcommand("keys", "Manage the API keys of 'warden serve': create, list, revoke.");
  keys->require_subcommand(1);
  keys->add_option("--db", o->db, "The SQLite store (default ./warden.db)")
      ->envname("WARDEN_DB")
      ->capture_default_str();
  auto action = [&](const char* name, const char* help) {
    CLI::App* sub = keys->add_subcommand(name, help);
    sub->fallthrough();  // --db may follow the action
    sub->callback([o, name] { o->action = name; });
    return sub;
  };
  auto format_opt = [o](CLI::App* sub) {
    sub->add_option("--format", o->format, "text (default) or json")
        ->check(CLI::IsMember({"text", "json"}));
  };

  CLI::App* create = action("create", "Create a key; prints it once.");
  create->add_option("--role", o->role, "hasher, matcher, curator or admin")->required();
  create->add_option("--name", o->name, "Who the key is for (unique among active keys)")
      ->required();
  create
      ->add_option("--rate-limit", o->rate_limit,
                   "Requests per second for this key (0 = the server's default)")
      ->capture_default_str();
  format_opt(create);
  create->footer(
      "Prints the key (wdn_<16 hex id>_<64 hex secret>) alone on the first line of standard\n"
      "output; with --format json one object {key, key_id, name, role, rate_limit}. The key is\n"
      "shown only this once: the store keeps a salted hash of its secret.");

  CLI::App* list = action("list", "List keys (never their secrets).");
  format_opt(list);

  CLI::App* revoke = action("revoke", "Revoke a key by id or by the name of an active key.");
  revoke->add_option("ID_OR_NAME", o->id_or_name, "A key id (16 hex) or an active key's name")
      ->required();
  return keys;
}

int RunKeysCommand(const KeysCommandOptions& o, std::FILE* out, std::FILE* err) {
  // Usage errors are reported before touching (or creating) the store.
  if (o.action == "create") {
    Status usage = ParseRole(o.role).status();
    if (usage.ok()) usage = ValidateKeyName(o.name);
    if (usage.ok() && !(o.rate_limit >= 0 && std::isfinite(o.rate_limit))) {
      usage = Status::InvalidArgument(fmt::format(
          "--rate-limit must be a number of requests per second >= 0, got {}", o.rate_limit));
    }
    if (!usage.ok()) {
      fmt::print(err, "warden: {}\n", usage.message());
      return ExitCodeFor(usage.code());
    }
  }
  Result<std::unique_ptr<KeyStore>> store = Open(o);
  Status status = store.ok() ? Dispatch(**store, o, out, err) : store.status();
  if (status.ok()) return 0;
  fmt::print(err, "warden: {}\n", status.message());
  return ExitCodeFor(status.code());
}

}  // namespace warden
