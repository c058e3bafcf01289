// Matcher: answers "is this hash in our banks?" with the semantics of DOMAIN.md ("Matching:
// thresholds and semantics") over an in-memory index built from a BankStore.
//
// What it holds: a PdqIndex (multi-index hashing) over every PDQ signal of every item, a
// DigestIndex over every MD5 / SHA-1 / SHA-256 signal, and per item only what a match decision
// needs (its bank slot, disable_until and which index entries it owns: ~16 bytes an item).
// Classification, provenance and the matched hash are read from the store for the few items
// that match, so the answer is always the store's current view of those items.
//
// Freshness: the matcher never writes to the store. It follows the store's change feed
// (BankStore::ChangesSince): Refresh() applies every history entry since the last one it saw,
// re-reading each changed item and bank, and updates the index in place (no rebuild). Writers
// in this process call Refresh() after their write returns, and the change is visible to every
// Lookup that starts after Refresh returns; writes by other processes (the CLI on the same
// SQLite file) are picked up by the next Refresh, which the owner runs on a timer
// (MatcherOptions::refresh_interval_ms starts a background thread that does it). In addition,
// every match is re-checked against the item the store returns before it is answered, so an
// item disabled or deleted by anyone stops matching at once, even before a Refresh.
//
// Semantics of Lookup (each checked per query and item):
//  - PDQ distance <= threshold (INCLUSIVE, default 31, 0..256; above 63 the index scans).
//  - A PDQ query whose quality is known (0..100) and under 50 is not matched (the answer says
//    so); item PDQ signals of known quality under 50 are not indexed.
//  - An item disabled at the store clock's now (Item::IsEnabledAt), a deleted item, an item of
//    a disabled or deleted bank never matches.
//  - Gradual roll-out: an item of a bank with matching_ratio r takes part iff
//    RatioGate(item id) < r, a fixed pseudo-random number in [0, 1) per item id. So ratio 0
//    matches nothing, 1 everything, and raising the ratio only ever adds items.
//  - Negative banks: if any item of an enabled negative bank matches, every positive match of
//    the query is suppressed (moved to LookupResult::suppressed with the negative item that
//    suppressed it). The banks filter selects positive banks only; negative banks always apply.
//  - Dihedral: with LookupOptions::dihedral the 8 dihedral variants of the query are searched
//    and each item keeps its smallest distance and the variant that gave it.
//
// Thread safety: every method may be called from many threads at once. Lookups share a
// reader lock on the per-item table (the indexes have their own locks); Refresh takes the
// writer lock only for the moments it changes an entry, never while reading the store.
// Concurrent Refresh calls are serialised.
#ifndef WARDEN_MATCHER_H_
#define WARDEN_MATCHER_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "warden/bank.h"
#include "warden/bank_store.h"
#include "warden/pdq.h"
#include "warden/signal.h"
#include "warden/status.h"

namespace warden {

// One thing to look up: a signal (PDQ with its quality, -1 if unknown, or a digest) and, for a
// PDQ signal hashed from an image, optionally the image's exact 8 dihedral hashes
// (PdqResult::dihedral, in Dihedral order). Without them a dihedral lookup derives the
// variants from the hash bits (DihedralVariantsOfHash), which is approximate.
struct MatchQuery {
  Signal signal;
  std::optional<std::array<PdqHash, kDihedralCount>> dihedral;
};

struct LookupOptions {
  // PDQ threshold, INCLUSIVE, 0..kPdqMaxDistance (256). Digests always need equality.
  int threshold = kPdqMatchThreshold;
  // Positive banks to search; empty = every bank. Unknown names are an error.
  std::vector<std::string> banks;
  // Search the 8 dihedral variants of each PDQ query.
  bool dihedral = false;
  // HMA's raw_lookup: ignore disable_until, disabled banks, matching ratios, negative-bank
  // suppression and the query-quality rule. Deleted items and banks still never match.
  bool raw = false;
};

struct Match {
  std::string bank;
  BankKind bank_kind = BankKind::kPositive;
  int64_t item_id = 0;
  SignalType signal_type = SignalType::kPdq;
  std::string signal_value;                 // the ITEM's signal that matched (canonical hex)
  int distance = 0;                         // PDQ Hamming distance 0..256; 0 for a digest
  Dihedral dihedral = Dihedral::kOriginal;  // the query variant that matched (PDQ only)
  Classification classification;
  Provenance provenance;
  // Only in LookupResult::suppressed: the negative item that suppressed this match.
  std::string suppressed_by_bank;
  int64_t suppressed_by_item = 0;
};

struct LookupResult {
  // Positive matches that stand, one per item (its smallest distance over every query and
  // variant; a digest match beats a PDQ match at equal distance), sorted by distance, then
  // bank name, then item id.
  std::vector<Match> matches;
  // Matches in negative banks (same order). Non-empty => `matches` is empty.
  std::vector<Match> negative;
  // Positive matches suppressed by a negative match (same order).
  std::vector<Match> suppressed;
  // PDQ queries not matched because their quality was known and under kPdqMinQuality; one
  // line per such query, e.g. "pdq query quality 30 is under 50: not matched".
  std::vector<std::string> notes;

  bool matched() const { return !matches.empty(); }
};

struct MatcherOptions {
  // If > 0, a background thread calls Refresh() every this many milliseconds until the
  // matcher is destroyed (errors are kept for last_refresh_status()).
  int refresh_interval_ms = 0;
};

struct MatcherStats {
  int64_t items = 0;        // items held (every bank, enabled or not)
  int64_t pdq_signals = 0;  // PDQ index size
  int64_t digest_signals = 0;
  int64_t banks = 0;
  int64_t last_seq = 0;    // the store history seq the matcher is current to
  size_t index_bytes = 0;  // PDQ index heap bytes
};

class Matcher {
 public:
  virtual ~Matcher() = default;

  // Applies every store change since the last Refresh (or since the build), in pages. Returns
  // the number of history entries applied. Errors: the store's (the matcher stays as it was
  // after the last fully applied entry and the next Refresh resumes from there).
  virtual Result<int64_t> Refresh() = 0;

  // Looks up every query (e.g. an image's pdq, md5, sha1 and sha256) and merges the matches.
  // Cost: the index search, then one store GetItem per candidate that passes the in-memory
  // checks (so a threshold near 256 over a large bank reads every item: keep it small).
  // Errors: kInvalidArgument for a threshold outside 0..256 or a malformed query signal;
  // kNotFound naming an unknown bank in options.banks; store errors while reading the matched
  // items.
  virtual Result<LookupResult> Lookup(const std::vector<MatchQuery>& queries,
                                      const LookupOptions& options) const = 0;

  virtual MatcherStats Stats() const = 0;
  // The status of the last background refresh (OK if none ran or it succeeded).
  virtual Status last_refresh_status() const = 0;
};

// Builds a matcher from `store` (not owned; must outlive the matcher): LastSeq, then
// ForEachItem into the indexes, then a Refresh to catch up with writes made meanwhile.
// Errors: the store's; kResourceExhausted if the index is full.
Result<std::unique_ptr<Matcher>> NewMatcher(BankStore* store, const MatcherOptions& options = {});

// The 8 dihedral variants of a PDQ hash computed from its bits alone (variant d is the hash
// of the image transformed by d, in Dihedral order; [0] = the hash itself). PDQ.md step 8
// transforms the DCT coefficients and re-thresholds at the new median; from the bits we can
// only permute and flip signs, so variants that negate coefficients may differ from the
// image's true variant in bits whose coefficient lies between the two medians (on the
// MANIFEST images: 0 for flipplus1, 6-10 on average, up to 30, for the others).
std::array<PdqHash, kDihedralCount> DihedralVariantsOfHash(const PdqHash& hash);

// The per-item roll-out number in [0, 1) compared with a bank's matching_ratio (see above).
double RatioGate(int64_t item_id);

}  // namespace warden

#endif  // WARDEN_MATCHER_H_
