#include "src/cli/bank_command.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "src/bank/item_json.h"
#include "src/cli/cli_checks.h"
#include "src/cli/store_access.h"
#include "warden/bank.h"
#include "warden/bank_formats.h"
#include "warden/bank_store.h"

namespace warden {
namespace {

constexpr char kActor[] = "cli";
// Quarantined records printed on standard error; --quarantine gets all of them.
constexpr size_t kQuarantineShown = 20;

std::string Ratio(double r) { return fmt::format("{:g}", r); }


std::string SignalCounts(const std::map<SignalType, int64_t>& signals) {
  std::string s;
  for (const auto& [type, n] : signals) {
    s += fmt::format("{}{} {}", s.empty() ? "" : ", ", n, SignalTypeName(type));
  }
  return s.empty() ? "none" : s;
}

Status CheckTextOrJson(const std::string& format) {
  if (format.empty() || format == "text" || format == "json") return Status::Ok();
  return Status::InvalidArgument(
      fmt::format("unknown output format '{}' (expected text or json)", format));
}

Status Create(BankStore& store, const BankCommandOptions& o, std::FILE* out) {
  Bank bank;
  bank.name = o.name;
  bank.description = o.description;
  WARDEN_ASSIGN_OR_RETURN(bank.kind, ParseBankKind(o.kind));
  WARDEN_ASSIGN_OR_RETURN(bank.source, ParseBankSource(o.source));
  bank.matching_ratio = o.ratio;
  WARDEN_RETURN_IF_ERROR(ValidateBank(bank));
  WARDEN_ASSIGN_OR_RETURN(Bank created, store.CreateBank(bank, kActor));
  fmt::print(out, "created bank {} ({}, ratio {})\n", created.name, BankKindName(created.kind),
             Ratio(created.matching_ratio));
  return Status::Ok();
}

Status List(BankStore& store, const BankCommandOptions& o, std::FILE* out) {
  WARDEN_RETURN_IF_ERROR(CheckTextOrJson(o.format));
  WARDEN_ASSIGN_OR_RETURN(std::vector<Bank> banks, store.ListBanks());
  WARDEN_ASSIGN_OR_RETURN(StoreStats stats, store.Stats());
  if (o.format == "json") {
    for (const Bank& bank : banks) {
      auto it = stats.by_bank.find(bank.name);
      fmt::print(out, "{}\n",
                 DumpJson(BankToJson(bank, it == stats.by_bank.end() ? nullptr : &it->second)));
    }
    return Status::Ok();
  }
  fmt::print(out, "{:<24} {:<8} {:<8} {:>6} {:>10}  {}\n", "NAME", "KIND", "ENABLED", "RATIO",
             "ITEMS", "DESCRIPTION");
  for (const Bank& bank : banks) {
    fmt::print(out, "{:<24} {:<8} {:<8} {:>6} {:>10}  {}\n", bank.name, BankKindName(bank.kind),
               bank.enabled ? "yes" : "no", Ratio(bank.matching_ratio),
               stats.by_bank[bank.name].items, bank.description);
  }
  return Status::Ok();
}

Status Show(BankStore& store, const BankCommandOptions& o, std::FILE* out) {
  WARDEN_RETURN_IF_ERROR(CheckTextOrJson(o.format));
  WARDEN_RETURN_IF_ERROR(ValidateBankName(o.name));
  WARDEN_ASSIGN_OR_RETURN(Bank bank, store.GetBank(o.name));
  WARDEN_ASSIGN_OR_RETURN(StoreStats stats, store.Stats());
  const BankStats& bs = stats.by_bank[bank.name];
  if (o.format == "json") {
    fmt::print(out, "{}\n", DumpJson(BankToJson(bank, &bs)));
    return Status::Ok();
  }
  fmt::print(out,
             "name:           {}\ndescription:    {}\nkind:           {}\nsource:         {}\n"
             "enabled:        {}\nmatching ratio: {}\nitems:          {} ({} disabled)\n"
             "signals:        {}\n",
             bank.name, bank.description, BankKindName(bank.kind), BankSourceName(bank.source),
             bank.enabled ? "yes" : "no", Ratio(bank.matching_ratio), bs.items, bs.disabled_items,
             SignalCounts(bs.signals));
  HistoryFilter filter;
  filter.bank = bank.name;
  WARDEN_ASSIGN_OR_RETURN(std::vector<HistoryEntry> history, store.History(filter, 5));
  if (!history.empty()) fmt::print(out, "recent changes:\n");
  for (const HistoryEntry& h : history) {
    fmt::print(out, "  #{} {} by {}{}{}\n", h.seq, HistoryActionName(h.action), h.actor,
               h.item_id > 0 ? fmt::format(" item {}", h.item_id) : "",
               h.detail.empty() ? "" : ": " + h.detail);
  }
  return Status::Ok();
}

Status SetEnabled(BankStore& store, const BankCommandOptions& o, bool enabled, std::FILE* out) {
  WARDEN_RETURN_IF_ERROR(ValidateBankName(o.name));
  WARDEN_ASSIGN_OR_RETURN(Bank bank, store.GetBank(o.name));
  bank.enabled = enabled;
  WARDEN_ASSIGN_OR_RETURN(Bank updated, store.UpdateBank(bank, kActor));
  fmt::print(out, "bank {} {}\n", updated.name, enabled ? "enabled" : "disabled");
  return Status::Ok();
}

Status Delete(BankStore& store, const BankCommandOptions& o, std::FILE* out) {
  WARDEN_RETURN_IF_ERROR(ValidateBankName(o.name));
  WARDEN_RETURN_IF_ERROR(store.DeleteBank(o.name, kActor));
  fmt::print(out, "deleted bank {}\n", o.name);
  return Status::Ok();
}

Status Import(BankStore& store, const BankCommandOptions& o, std::FILE* out, std::FILE* err) {
  WARDEN_RETURN_IF_ERROR(ValidateBankName(o.name));
  ImportOptions options;
  if (!o.format.empty()) {
    WARDEN_ASSIGN_OR_RETURN(BankFormat format, ParseBankFormat(o.format));
    options.format = format;
  }
  if (o.batch_size < 1) {
    return Status::InvalidArgument(fmt::format("--batch-size must be >= 1, got {}", o.batch_size));
  }
  options.batch_size = o.batch_size;
  options.quarantine_path = o.quarantine_path;
  const std::string file_name = std::filesystem::path(o.file).filename().string();
  if (o.progress) {
    options.progress = [err](int64_t done) {
      fmt::print(err, "\rwarden: {} records imported", done);
      std::fflush(err);
    };
  }
  // "-" reads standard input, e.g. `warden hash --local IMG | warden bank import NAME -`.
  Result<ImportSummary> summary = Status::Internal("import did not run");
  if (o.file == "-") {
    options.source_name = "stdin";
    summary = ImportStream(store, o.name, std::cin, options);
  } else {
    summary = ImportFile(store, o.name, o.file, options);
  }
  if (o.progress) fmt::print(err, "\r\033[K");
  if (!summary.ok()) return summary.status();
  const ImportSummary& s = *summary;
  fmt::print(out,
             "imported {} into {} ({}): {} records: {} added, {} updated, {} removed, "
             "{} duplicate, {} not found, {} superseded, {} quarantined\n",
             o.file, o.name, BankFormatName(s.format), s.records, s.added, s.updated, s.removed,
             s.duplicate, s.not_found, s.superseded, s.quarantined);
  for (size_t i = 0; i < s.quarantine.size() && i < kQuarantineShown; ++i) {
    fmt::print(err, "warden: {}:{}: quarantined: {}\n", file_name, s.quarantine[i].line,
               s.quarantine[i].reason);
  }
  if (s.quarantined > static_cast<int64_t>(kQuarantineShown)) {
    fmt::print(err, "warden: {}: {} more quarantined records{}\n", file_name,
               s.quarantined - static_cast<int64_t>(kQuarantineShown),
               o.quarantine_path.empty() ? " (--quarantine PATH lists them all)"
                                         : " in " + o.quarantine_path);
  }
  return Status::Ok();
}

Status Export(BankStore& store, const BankCommandOptions& o, std::FILE* out, std::FILE* err) {
  WARDEN_RETURN_IF_ERROR(ValidateBankName(o.name));
  BankFormat format = BankFormat::kJsonl;
  if (!o.format.empty()) {
    WARDEN_ASSIGN_OR_RETURN(format, ParseBankFormat(o.format));
  }
  WARDEN_ASSIGN_OR_RETURN(Bank bank, store.GetBank(o.name));  // fail before creating files
  Result<ExportSummary> summary = Status::Internal("export did not run");
  if (o.out_path.empty()) {
    // ExportBank streams to an ostream; this adaptor passes it straight on to the FILE*.
    struct FileBuf : std::streambuf {
      explicit FileBuf(std::FILE* f) : file(f) {}
      int_type overflow(int_type c) override {
        if (c != traits_type::eof() && std::fputc(c, file) == EOF) return traits_type::eof();
        return traits_type::not_eof(c);
      }
      std::streamsize xsputn(const char* s, std::streamsize n) override {
        return static_cast<std::streamsize>(std::fwrite(s, 1, static_cast<size_t>(n), file));
      }
      std::FILE* file;
    } buf(out);
    std::ostream stream(&buf);
    summary = ExportBank(store, bank.name, format, stream);
    std::fflush(out);
  } else {
    // Write beside the target and rename when complete: a failed export never leaves a
    // half-written file under the name asked for, nor clobbers an older export.
    const std::string tmp = o.out_path + ".tmp";
    {
      std::ofstream file(tmp, std::ios::binary | std::ios::trunc);
      if (!file) return Status::IoError(fmt::format("{}: cannot create", tmp));
      summary = ExportBank(store, bank.name, format, file);
      file.flush();
      if (summary.ok() && !file) summary = Status::IoError(fmt::format("{}: write failed", tmp));
    }
    std::error_code ec;
    if (!summary.ok()) {
      std::filesystem::remove(tmp, ec);
      return summary.status();
    }
    std::filesystem::rename(tmp, o.out_path, ec);
    if (ec) {
      std::filesystem::remove(tmp, ec);
      return Status::IoError(fmt::format("{}: {}", o.out_path, ec.message()));
    }
  }
  if (!summary.ok()) return summary.status();
  // Say what was left out, by type, so nobody takes a pytx export for a whole bank.
  std::string left_out;
  for (const auto& [type, n] : summary->left_out) {
    left_out += fmt::format("; left out {} {} signals ({} cannot carry them)", n,
                            SignalTypeName(type), BankFormatName(format));
  }
  fmt::print(err, "warden: exported {} items of {} ({}){}{}\n", summary->written, bank.name,
             BankFormatName(format),
             summary->skipped > 0
                 ? fmt::format("; {} items have no signal this format can hold", summary->skipped)
                 : "",
             left_out);
  return Status::Ok();
}

Status Stats(BankStore& store, const BankCommandOptions& o, std::FILE* out) {
  WARDEN_RETURN_IF_ERROR(CheckTextOrJson(o.format));
  WARDEN_ASSIGN_OR_RETURN(StoreStats stats, store.Stats());
  WARDEN_ASSIGN_OR_RETURN(int64_t seq, store.LastSeq());
  if (o.format == "json") {
    nlohmann::json j = {{"banks", stats.banks}, {"items", stats.items}, {"last_seq", seq}};
    nlohmann::json signals = nlohmann::json::object();
    for (const auto& [type, n] : stats.signals) signals[SignalTypeName(type)] = n;
    j["signals"] = signals;
    nlohmann::json by_bank = nlohmann::json::object();
    for (const auto& [name, bs] : stats.by_bank) {
      by_bank[name] = {{"items", bs.items}, {"disabled_items", bs.disabled_items}};
    }
    j["by_bank"] = by_bank;
    fmt::print(out, "{}\n", DumpJson(j));
    return Status::Ok();
  }
  fmt::print(out, "banks: {}\nitems: {}\nsignals: {}\nhistory: {} changes\n", stats.banks,
             stats.items, SignalCounts(stats.signals), seq);
  for (const auto& [name, bs] : stats.by_bank) {
    fmt::print(out, "  {}: {} items ({} disabled), {}\n", name, bs.items, bs.disabled_items,
               SignalCounts(bs.signals));
  }
  return Status::Ok();
}

Status ItemAction(BankStore& store, const BankCommandOptions& o, std::FILE* out) {
  WARDEN_RETURN_IF_ERROR(ValidateBankName(o.name));
  WARDEN_ASSIGN_OR_RETURN(Bank bank, store.GetBank(o.name));
  Result<Item> item = store.GetItem(o.item_id);
  if (!item.ok() || item->bank != bank.name) {
    if (!item.ok() && item.status().code() != StatusCode::kNotFound) return item.status();
    return Status::NotFound(fmt::format("bank {} has no item {}", bank.name, o.item_id));
  }
  if (o.item_action == "show") {
    fmt::print(out, "{}\n", DumpJson(ItemToJson(*item)));
  } else if (o.item_action == "delete") {
    WARDEN_RETURN_IF_ERROR(store.DeleteItem(item->id, kActor));
    fmt::print(out, "deleted item {} of {}\n", item->id, bank.name);
  } else {
    const bool enable = o.item_action == "enable";
    item->disable_until_ms = enable ? kEnabled : kDisabledForever;
    WARDEN_ASSIGN_OR_RETURN(Item updated, store.UpdateItem(*item, kActor));
    fmt::print(out, "item {} of {} {}\n", updated.id, bank.name, enable ? "enabled" : "disabled");
  }
  return Status::Ok();
}

Status Dispatch(BankStore& s, const BankCommandOptions& o, std::FILE* out, std::FILE* err) {
  if (o.action == "create") return Create(s, o, out);
  if (o.action == "list") return List(s, o, out);
  if (o.action == "show") return Show(s, o, out);
  if (o.action == "enable") return SetEnabled(s, o, true, out);
  if (o.action == "disable") return SetEnabled(s, o, false, out);
  if (o.action == "delete") return Delete(s, o, out);
  if (o.action == "import") return Import(s, o, out, err);
  if (o.action == "export") return Export(s, o, out, err);
  if (o.action == "stats") return Stats(s, o, out);
  if (o.action == "item") return ItemAction(s, o, out);
  return Status::InvalidArgument(fmt::format("unknown bank action '{}'", o.action));
}

}  // namespace

CLI::App* AddBankCommand(CLI::App* app, BankCommandOptions* o) {
  CLI::App* bank = app->add_subcommand("bank", "Manage banks (hash lists): create, import, ...");
  bank->require_subcommand(1);
  bank->add_option("--db", o->db, "The SQLite store (default ./warden.db)")
      ->envname("WARDEN_DB")
      ->capture_default_str();
  auto action = [&](const char* name, const char* help) {
    CLI::App* sub = bank->add_subcommand(name, help);
    sub->fallthrough();  // --db may follow the action
    sub->callback([o, name] { o->action = name; });
    return sub;
  };
  auto name_arg = [o](CLI::App* sub) {
    sub->add_option("NAME", o->name, "Bank name: A-Z, 0-9 and _, up to 64")->required();
  };

  CLI::App* create = action("create", "Create a bank.");
  name_arg(create);
  create->add_option("--description", o->description, "What the bank holds");
  create
      ->add_option("--kind", o->kind,
                   "positive (content to find) or negative (known benign, "
                   "suppresses other matches)")
      ->capture_default_str();
  create
      ->add_option("--source", o->source, "own_assessment, imported_exchange or victim_submissions")
      ->capture_default_str();
  create->add_option("--ratio", o->ratio, "Matching ratio 0..1 for gradual roll-out")
      ->capture_default_str();

  CLI::App* list = action("list", "List banks with their item counts.");
  list->add_option("--format", o->format, "text (default) or json");
  CLI::App* show = action("show", "Show one bank, its counts and recent changes.");
  name_arg(show);
  show->add_option("--format", o->format, "text (default) or json");
  name_arg(action("enable", "Enable a bank (its items match again)."));
  name_arg(action("disable", "Disable a bank (its items stop matching)."));
  name_arg(action("delete", "Delete a bank and all its items (history is kept)."));

  CLI::App* import = action("import", "Import a hash-list file into a bank.");
  name_arg(import);
  import->add_option("FILE", o->file, "The file to import")->required();
  import->add_option("--format", o->format,
                     "pdq-hasher, pytx, csv, jsonl, stopncii or ncmec (default: detected)");
  import->add_option("--batch-size", o->batch_size, "Records per committed transaction")
      ->capture_default_str();
  import->add_option("--quarantine", o->quarantine_path,
                     "Write every quarantined record here (JSON Lines)");
  import->footer(
      "Prints: records, added, updated, removed, duplicate, not found, superseded, "
      "quarantined.\nQuarantined records (bad hex, wrong length, all-zero PDQ, quality under "
      "50, ...) are\nlisted on standard error as FILE:LINE: REASON; they do not fail the "
      "import (exit 0).");

  CLI::App* exp = action("export", "Export a bank's items.");
  name_arg(exp);
  exp->add_option("--format", o->format,
                  "pdq-hasher, pytx, csv, jsonl (default), stopncii or ncmec");
  exp->add_option("--out", o->out_path, "Write here instead of standard output");

  CLI::App* stats = action("stats", "Counts of banks, items and signals.");
  stats->add_option("--format", o->format, "text (default) or json");

  CLI::App* item = action("item", "Show, enable, disable or delete one item.");
  item->add_option("ACTION", o->item_action, "show, enable, disable or delete")
      ->required()
      ->check(CLI::IsMember({"show", "enable", "disable", "delete"}));
  name_arg(item);
  item->add_option("ID", o->item_id, "The item id")->required()->check(PositiveInteger());
  return bank;
}

int RunBankCommand(const BankCommandOptions& o, std::FILE* out, std::FILE* err) {
  // A bad bank name is a usage error, reported before touching the store.
  if (!o.name.empty()) {
    Status name = ValidateBankName(o.name);
    if (!name.ok()) {
      fmt::print(err, "warden: {}\n", name.message());
      return ExitCodeFor(name.code());
    }
  }
  Result<std::unique_ptr<BankStore>> store = OpenStoreForCli(o.db, o.action == "create");
  Status status = store.ok() ? Dispatch(**store, o, out, err) : store.status();
  if (status.ok()) return 0;
  fmt::print(err, "warden: {}\n", status.message());
  return ExitCodeFor(status.code());
}

}  // namespace warden
