// Matcher: answers "is this hash in our banks?" with the semantics of DOMAIN.md ("Matching:
// thresholds and semantics") over an in-memory index built from a BankStore.
//
// What it holds: a PdqIndex (multi-index hashing) over every PDQ signal of every item, a
// DigestIndex over every MD5 / SHA-1 / SHA-256 signal, a LocalIndex (src/local/local_index.h)
// over every local-feature signal (decoded once when the item is indexed), and per item only what a match decision
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
//  - Local features: a kLocal query is matched by LocalIndex::Search (candidates by descriptor
//    votes, then geometric verification, VerifyLocalMatch); an item matches iff the verifier's
//    score against one of its local signals is >= LookupOptions::local_min_score. The match is
//    re-verified against the item the store returns. Every rule above (disabled items and
//    banks, ratio, negative banks, banks filter, raw) applies to local matches alike.
//  - One Match per item: its hash match (digest, else its smallest PDQ distance) when it has
//    one, else its local match. Match::local carries the local evidence whenever the item also
//    matched by local features, whichever signal the Match names.
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
#include "warden/local_features.h"
#include "warden/pdq.h"
#include "warden/signal.h"
#include "warden/status.h"

namespace warden {

// One thing to look up: a signal (PDQ with its quality, -1 if unknown, a digest, or local
// features) and, for a PDQ signal hashed from an image, optionally the image's exact 8
// dihedral hashes (PdqResult::dihedral, in Dihedral order). Without them a dihedral lookup
// derives the variants from the hash bits (DihedralVariantsOfHash), which is approximate.
//
// A local query (signal.type == kLocal) is either `local`, the QUERY form extracted from an
// image (up to kLocalQueryKeypoints keypoints, e.g. ExtractLocalFeaturesFromBytes with
// max_keypoints = kLocalQueryKeypoints: more than the stored form can hold, so it is carried
// as features, not hex; signal.value is then ignored and may be empty), or, when `local` is
// null, signal.value: the hex of a stored form (at most kLocalStoredKeypoints keypoints).
// `local` is shared, not copied, so one extraction may serve many lookups; it must not be
// modified while a Lookup uses it.
struct MatchQuery {
  Signal signal;
  std::optional<std::array<PdqHash, kDihedralCount>> dihedral;
  std::shared_ptr<const LocalFeatures> local = nullptr;
};

// A MatchQuery for local features extracted from a query image (signal.value left empty).
MatchQuery LocalMatchQuery(std::shared_ptr<const LocalFeatures> features);

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
  // Local queries: an item matches iff the verifier's score is >= this (LocalMatch::score;
  // the default is the calibrated operating point, kLocalDefaultMinScore).
  double local_min_score = kLocalDefaultMinScore;
};

// The evidence of a local-feature match (LocalMatch, reduced to what an answer reports).
struct LocalMatchInfo {
  double score = 0;     // LocalMatch::score, >= LookupOptions::local_min_score
  int inliers = 0;      // keypoint pairs consistent with the estimated transform
  double coverage = 0;  // fraction 0..1 of the query's area the inliers cover
  // Where the registered content lies in the QUERY image: the inliers' bounding box in query
  // pixels (the query image's full-size pixel coordinates, x0 <= x1, y0 <= y1).
  LocalBox region;
};

struct Match {
  std::string bank;
  BankKind bank_kind = BankKind::kPositive;
  int64_t item_id = 0;
  SignalType signal_type = SignalType::kPdq;
  // The ITEM's signal that matched (canonical hex). Empty for kLocal: a stored local value is
  // up to 8 KB of hex, never copied into answers (read the item if you need it).
  std::string signal_value;
  // PDQ Hamming distance 0..256; 0 for a digest; -1 for kLocal (see `local`).
  int distance = 0;
  Dihedral dihedral = Dihedral::kOriginal;  // the query variant that matched (PDQ only)
  Classification classification;
  Provenance provenance;
  // Set when the item matched by local features: always for signal_type kLocal, and for a PDQ
  // or digest match of an item that a local query matched as well.
  std::optional<LocalMatchInfo> local;
  // Only in LookupResult::suppressed: the negative item that suppressed this match.
  std::string suppressed_by_bank;
  int64_t suppressed_by_item = 0;
};

struct LookupResult {
  // Positive matches that stand, one per item (its smallest distance over every query and
  // variant; a digest match beats a PDQ match at equal distance; an item matched only by
  // local features comes after every hash match), sorted by distance (local-only matches by
  // score, highest first), then bank name, then item id.
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
  int64_t local_signals = 0;  // local-feature signals in the LocalIndex
  int64_t banks = 0;
  int64_t last_seq = 0;    // the store history seq the matcher is current to
  size_t index_bytes = 0;  // PDQ index heap bytes
  size_t local_index_bytes = 0;  // LocalIndex heap bytes (its features and tables)
};

class Matcher {
 public:
  virtual ~Matcher() = default;

  // Applies every store change since the last Refresh (or since the build), in pages. Returns
  // the number of history entries applied. Errors: the store's (the matcher stays as it was
  // after the last fully applied entry and the next Refresh resumes from there).
  virtual Result<int64_t> Refresh() = 0;

  // Looks up every query (e.g. an image's pdq, md5, sha1, sha256 and local features) and
  // merges the matches. Cost: the index search (a local query: retrieval, then verification of
  // up to 32 candidates, about a millisecond), then one store GetItem per candidate that passes
  // the in-memory checks (so a threshold near 256 over a large bank reads every item: keep it
  // small). Errors: kInvalidArgument for a threshold outside 0..256, a local_min_score that is
  // negative or NaN, or a malformed query signal (a local value that does not decode);
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
