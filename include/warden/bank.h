// Banks: the data model of Warden's hash lists (../shared/docs/DOMAIN.md, "The data model").
//
// A Bank is a named hash list (positive: content to find; negative: known-benign content whose
// match suppresses the others). An Item is one assessed piece of content in a bank: one or more
// signals (hashes, each with its algorithm name and version), a hotline classification, its
// provenance, a note and a disable_until time. Every change to banks and items is recorded in
// an append-only history (HistoryEntry) whose sequence number doubles as a change feed.
//
// This header holds the value types, their validation and the string <-> enum functions used
// by the JSON/CSV formats, the CLI and the HTTP API. Storage is in warden/bank_store.h.
//
// Thread safety: value types and reentrant functions only.
#ifndef WARDEN_BANK_H_
#define WARDEN_BANK_H_

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "warden/signal.h"
#include "warden/status.h"

namespace warden {

// ---- Limits (bytes unless stated); validation rejects anything longer. ----
inline constexpr size_t kMaxBankNameLength = 64;  // characters of ^[A-Z0-9_]+$
inline constexpr size_t kMaxBankDescriptionLength = 1024;
inline constexpr size_t kMaxNoteLength = 4096;
inline constexpr size_t kMaxShortFieldLength = 256;  // provenance fields, site type, label, actor
inline constexpr size_t kMaxSignalsPerItem = 16;

// ---- Enums. Each has Name (canonical string) and Parse (case-insensitive; errors:
// kInvalidArgument naming the input and the accepted names). ----

enum class BankKind { kPositive, kNegative };
// "positive", "negative".
const char* BankKindName(BankKind kind);
Result<BankKind> ParseBankKind(std::string_view name);

enum class BankSource { kOwnAssessment, kImportedExchange, kVictimSubmissions };
// "own_assessment", "imported_exchange", "victim_submissions".
const char* BankSourceName(BankSource source);
Result<BankSource> ParseBankSource(std::string_view name);

// UK Sentencing Council category of the most severe content visible; kNone = not assessed or
// not categorised.
enum class UkCategory { kNone, kA, kB, kC };
// "none", "A", "B", "C".
const char* UkCategoryName(UkCategory category);
Result<UkCategory> ParseUkCategory(std::string_view name);

// Age band of the youngest child visible.
enum class AgeBand { kUnknown, k0To2, k3To6, k7To10, k11To13, k14To15, k16To17 };
// "unknown", "0-2", "3-6", "7-10", "11-13", "14-15", "16-17".
const char* AgeBandName(AgeBand band);
Result<AgeBand> ParseAgeBand(std::string_view name);

enum class ChildSex { kUnknown, kGirls, kBoys, kBoth, kUnidentifiable };
// "unknown", "girls", "boys", "both", "unidentifiable".
const char* ChildSexName(ChildSex sex);
Result<ChildSex> ParseChildSex(std::string_view name);

enum class HistoryAction {
  kBankCreated,
  kBankUpdated,
  kBankDeleted,
  kItemAdded,
  kItemUpdated,
  kItemDeleted,
  kImport,  // one summary entry per WriteBatch that carries a summary (see bank_store.h)
};
// "bank_created", "bank_updated", "bank_deleted", "item_added", "item_updated",
// "item_deleted", "import".
const char* HistoryActionName(HistoryAction action);
Result<HistoryAction> ParseHistoryAction(std::string_view name);

// ---- Bank ----

struct Bank {
  int64_t id = 0;    // assigned by the store; ignored on create
  std::string name;  // ^[A-Z0-9_]+$, 1..kMaxBankNameLength characters; the bank's key
  std::string description;
  bool enabled = true;  // a disabled bank never matches
  // Share of lookups this bank takes part in, 0.0..1.0 inclusive, for gradual roll-out.
  double matching_ratio = 1.0;
  BankKind kind = BankKind::kPositive;
  BankSource source = BankSource::kOwnAssessment;
  int64_t created_at_ms = 0;  // Unix ms, set by the store
  int64_t updated_at_ms = 0;  // Unix ms, set by the store

  friend bool operator==(const Bank&, const Bank&) = default;
};

// OK iff `name` matches ^[A-Z0-9_]+$ and has 1..64 characters.
// Errors: kInvalidArgument naming the problem (empty, too long, the first bad character).
Status ValidateBankName(std::string_view name);
// Validates the name, description length and matching_ratio (0..1, not NaN).
Status ValidateBank(const Bank& bank);

// ---- Item ----

// One stored signal: the hash value and the algorithm (name and version) that produced it, so
// a future hasher can never mix silently with old data.
struct BankSignal {
  Signal signal;
  // Empty / 0 mean "the current default for signal.type" (see DefaultAlgorithmFor);
  // NormalizeItem fills them in before an item is stored, so stored items always carry both.
  std::string algorithm;
  int algorithm_version = 0;

  friend bool operator==(const BankSignal&, const BankSignal&) = default;
};

// The algorithm name and version Warden currently produces for a signal type: pdq -> ("pdq",
// kPdqAlgorithmVersion); local -> (kLocalAlgorithm "warden-local", kLocalAlgorithmVersion);
// md5/sha1/sha256 -> (their name, 1).
BankSignal DefaultAlgorithmFor(const Signal& signal);

// A hotline assessment of an image (DOMAIN.md, "Classification").
struct Classification {
  UkCategory uk_category = UkCategory::kNone;
  AgeBand youngest_age = AgeBand::kUnknown;
  // Self-generated (the child filmed themself). AI-generated or manipulated imagery is
  // recorded as NOT self-generated with its own flag: both true is invalid.
  bool self_generated = false;
  bool ai_or_manipulated = false;
  ChildSex sex = ChildSex::kUnknown;
  std::string site_type;  // free text, e.g. "image host", <= kMaxShortFieldLength
  bool commercial = false;
  std::string scheme_label;  // another scheme's label, e.g. NCMEC "A1"; <= kMaxShortFieldLength

  friend bool operator==(const Classification&, const Classification&) = default;
};

// Where an item came from. All optional (empty = unknown), each <= kMaxShortFieldLength.
struct Provenance {
  std::string source_list;  // e.g. "ncmec", "stopncii", a file name
  std::string external_id;  // the id in the source list, e.g. an NCMEC entry id
  std::string member_id;    // the member/organisation that contributed it

  friend bool operator==(const Provenance&, const Provenance&) = default;
};

// disable_until_ms values: 0 = enabled; kDisabledForever = disabled until re-enabled; any
// other positive value = disabled until that Unix ms (enabled from that instant on).
inline constexpr int64_t kEnabled = 0;
inline constexpr int64_t kDisabledForever = std::numeric_limits<int64_t>::max();

struct Item {
  int64_t id = 0;                   // assigned by the store (> 0); ignored on add
  std::string bank;                 // the bank's name
  std::vector<BankSignal> signals;  // 1..kMaxSignalsPerItem, no value twice
  Classification classification;
  Provenance provenance;
  std::string note;                     // <= kMaxNoteLength
  int64_t created_at_ms = 0;            // Unix ms, set by the store
  int64_t updated_at_ms = 0;            // Unix ms, set by the store
  int64_t disable_until_ms = kEnabled;  // >= 0; see kEnabled / kDisabledForever

  // True iff the item may match at `now_ms`: disable_until_ms is 0 or <= now_ms.
  bool IsEnabledAt(int64_t now_ms) const {
    return disable_until_ms == kEnabled ||
           (disable_until_ms != kDisabledForever && now_ms >= disable_until_ms);
  }
  // The first signal of `type`, or nullptr.
  const BankSignal* FindSignal(SignalType type) const;

  friend bool operator==(const Item&, const Item&) = default;
};

// Convenience: an item of `bank` holding the one signal (algorithm left to the default).
Item MakeItem(std::string bank, Signal signal);

// Validates an item as a store will before writing it: bank name, 1..16 signals each with a
// valid canonical value (Signal::Make rules) and, for PDQ, quality -1 or 0..100; no (type,
// value) twice; classification (not both self_generated and ai_or_manipulated); field lengths;
// disable_until_ms >= 0. Does not check that the bank exists.
// Errors: kInvalidArgument naming the field and the problem.
Status ValidateItem(const Item& item);
// Fills each signal's empty algorithm / zero version with DefaultAlgorithmFor.
void NormalizeItem(Item* item);

// ---- History ----

// One append-only history entry. `seq` is assigned by the store, strictly increasing, never
// reused; it doubles as the change feed position (BankStore::ChangesSince).
struct HistoryEntry {
  int64_t seq = 0;
  int64_t at_ms = 0;  // Unix ms
  std::string actor;  // who: a user name, "cli", "import:<file>", ...
  HistoryAction action = HistoryAction::kItemAdded;
  std::string bank;     // the bank's name (kept after the bank is deleted)
  int64_t item_id = 0;  // 0 for bank-level entries
  std::string detail;   // short text or JSON, e.g. "pdq:ab12..." or an import summary

  friend bool operator==(const HistoryEntry&, const HistoryEntry&) = default;
};

}  // namespace warden

#endif  // WARDEN_BANK_H_
