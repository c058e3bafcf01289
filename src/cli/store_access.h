// How the `bank` and `match` commands open the store named by --db.
//
// Thread safety: reentrant.
#ifndef WARDEN_SRC_CLI_STORE_ACCESS_H_
#define WARDEN_SRC_CLI_STORE_ACCESS_H_

#include <memory>
#include <string>

#include "warden/bank_store.h"
#include "warden/status.h"

namespace warden {

// Opens the SQLite store at `path`. Unless `create_if_missing`, a missing file is an error
// rather than a new empty store, so a mistyped --db never leaves a stray database behind.
// Errors: kNotFound "PATH: no such store (...)"; OpenSqliteStore's errors.
Result<std::unique_ptr<BankStore>> OpenStoreForCli(const std::string& path, bool create_if_missing);

}  // namespace warden

#endif  // WARDEN_SRC_CLI_STORE_ACCESS_H_
