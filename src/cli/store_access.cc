#include "src/cli/store_access.h"

#include <filesystem>
#include <system_error>

#include <fmt/core.h>

namespace warden {

Result<std::unique_ptr<BankStore>> OpenStoreForCli(const std::string& path,
                                                   bool create_if_missing) {
  if (path.empty()) return Status::InvalidArgument("--db must not be empty");
  std::error_code ec;
  if (!create_if_missing && !std::filesystem::exists(path, ec)) {
    return Status::NotFound(fmt::format(
        "{}: no such store (create a bank with 'warden bank create NAME', or pass --db PATH)",
        path));
  }
  return OpenSqliteStore(path);
}

}  // namespace warden
