// Signals under evaluation: what `warden eval` measures, behind one small interface so that a
// new signal plugs in with one line in the registry table (eval_signal.cc, kSignalTable).
//
// A signal extracts an opaque descriptor from a query as a hotline would receive it (the
// encoded file bytes, and the decoded pixels when it asks for them), and scores two
// descriptors. Scores are distances (smaller = closer) or similarities (larger = closer, see
// ScoreDirection); the runner quantises them by resolution() into the integer keys of
// src/eval/metrics.h. The runner scores each query against all references at once through a
// ReferenceScorer (MakeScorer), so that a signal with an index (local features) can score the
// way its deployment does: retrieve candidates, verify only those.
//
// Thread safety: a Signal is immutable after construction; Extract and Score may be called
// from any number of threads at once.
#ifndef WARDEN_SRC_EVAL_EVAL_SIGNAL_H_
#define WARDEN_SRC_EVAL_EVAL_SIGNAL_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "warden/hasher.h"
#include "warden/image.h"
#include "warden/local_features.h"
#include "warden/status.h"

namespace warden::eval {

// Work several signals of one image can share, filled by the first that needs it: the
// hasher's fullres record with the dihedral hashes (its plain hash is dihedral[0]), so pdq
// and pdq_dihedral decode and hash each query once. Used by one thread at a time.
// Likewise the local features at the query size (kLocalQueryKeypoints), for local and
// pdq_local.
struct ExtractionMemo {
  std::optional<Result<HashRecord>> pdq;
  std::optional<Result<LocalFeatures>> local;
};

// What a signal sees of one image. `bytes` is the whole encoded file. `image` is its decoded
// pixels (warden's decoders) when the signal's needs_pixels() is true, else null. `memo` may
// be null (nothing shared). Not owned.
struct SignalInput {
  std::span<const uint8_t> bytes;
  const Image* image = nullptr;
  ExtractionMemo* memo = nullptr;
};

// An opaque descriptor; only the signal that made it reads `data`.
struct Descriptor {
  std::vector<uint8_t> data;
  int quality = -1;  // the signal's own quality figure (PDQ 0..100); -1 when it has none
};

enum class ScoreDirection { kDistance, kSimilarity };

// A signal's standard operating point, when it has one (PDQ: distance <= 31, quality >= 50).
struct StandardPoint {
  double max_distance = 0;  // inclusive, in the signal's own score units
  int min_quality = -1;     // both descriptors need quality >= this; -1: no quality rule
  std::string label;        // e.g. "distance <= 31, quality >= 50"
};

// One query against a fixed list of references (Signal::MakeScorer). Thread safety: ScoreAll
// may be called from any number of threads at once.
class ReferenceScorer {
 public:
  virtual ~ReferenceScorer() = default;
  // scores[i] = the score of `query` against the i-th reference given to MakeScorer; entries of
  // null references are left as they are. REQUIRES scores.size() == the reference count.
  virtual void ScoreAll(const Descriptor& query, std::span<double> scores) const = 0;
};

class Signal {
 public:
  virtual ~Signal() = default;
  // Short lower-case name used on the command line and in reports, e.g. "pdq".
  virtual std::string_view name() const = 0;
  // One line for the report, e.g. "PDQ (fullres pipeline), Hamming distance".
  virtual std::string_view description() const = 0;
  virtual bool needs_pixels() const { return false; }
  virtual ScoreDirection direction() const { return ScoreDirection::kDistance; }
  // Scores are reported as multiples of this (PDQ and MD5: 1).
  virtual double resolution() const { return 1.0; }
  virtual std::optional<StandardPoint> standard_point() const { return std::nullopt; }
  // Errors: whatever decoding the input returns (kUnsupportedFormat, kCorruptData, ...).
  virtual Result<Descriptor> Extract(const SignalInput& input) const = 0;
  // The score of `query` against `reference`, both made by this signal's Extract. Not
  // necessarily symmetric (pdq_dihedral turns the query, not the reference).
  virtual double Score(const Descriptor& query, const Descriptor& reference) const = 0;
  // A scorer over `references` (null entries: references that failed to extract), which
  // must outlive it along with this signal. The default calls Score for each; a signal may
  // score faster or differently (local features: only the candidates its index retrieves are
  // verified, every other reference scores 0, exactly as the deployed search decides).
  virtual std::unique_ptr<ReferenceScorer> MakeScorer(
      std::vector<const Descriptor*> references) const;
};

// The registered signals' names in registry order: "md5", "pdq", "pdq_dihedral", "local",
// "pdq_local".
std::vector<std::string> SignalNames();
// Makes the named signal. Errors: kInvalidArgument naming the input and the known names.
Result<std::unique_ptr<Signal>> MakeSignal(std::string_view name);

// The fullres record with the dihedral hashes (HashImageBytes, no digests), from input.memo
// when a signal made it already, else computed and left in the memo. Errors: the hasher's.
Result<HashRecord> MemoizedPdqRecord(const SignalInput& input);

// The integer metric key of a score (src/eval/metrics.h): score / resolution rounded, negated
// for similarities so that smaller is always closer.
int64_t ScoreKey(const Signal& signal, double score);
// The score a key stands for (inverse of ScoreKey up to the rounding).
double KeyScore(const Signal& signal, int64_t key);

}  // namespace warden::eval

#endif  // WARDEN_SRC_EVAL_EVAL_SIGNAL_H_
