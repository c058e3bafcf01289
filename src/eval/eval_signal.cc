#include "src/eval/eval_signal.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <string>

#include "src/eval/local_signals.h"
#include "warden/hasher.h"
#include "warden/pdq.h"
#include "warden/signal.h"

namespace warden::eval {
namespace {

// MD5 of the file bytes: matches only a byte-identical copy. Descriptor: the 32 hex digits.
class Md5Signal : public Signal {
 public:
  std::string_view name() const override { return "md5"; }
  std::string_view description() const override {
    return "MD5 of the file bytes; distance 0 (identical) or 1";
  }
  Result<Descriptor> Extract(const SignalInput& input) const override {
    const std::string hex = DigestHex(SignalType::kMd5, input.bytes);
    Descriptor d;
    d.data.assign(hex.begin(), hex.end());
    return d;
  }
  double Score(const Descriptor& query, const Descriptor& reference) const override {
    return query.data == reference.data ? 0.0 : 1.0;
  }
};

void AppendHash(const PdqHash& hash, std::vector<uint8_t>& out) {
  const size_t at = out.size();
  out.resize(at + sizeof(hash.words));
  std::memcpy(out.data() + at, hash.words.data(), sizeof(hash.words));
}

PdqHash HashAt(const Descriptor& d, int index) {
  PdqHash hash;
  WARDEN_CHECK(d.data.size() >= (static_cast<size_t>(index) + 1) * sizeof(hash.words));
  std::memcpy(hash.words.data(), d.data.data() + index * sizeof(hash.words), sizeof(hash.words));
  return hash;
}

StandardPoint PdqStandardPoint() {
  return StandardPoint{static_cast<double>(kPdqMatchThreshold), kPdqMinQuality,
                       "distance <= 31, quality >= 50"};
}

// PDQ through the hasher's fullres pipeline, as `warden hash` computes it. Descriptor: the
// four 64-bit words; quality is PDQ's.
class PdqSignal : public Signal {
 public:
  std::string_view name() const override { return "pdq"; }
  std::string_view description() const override {
    return "PDQ (fullres pipeline), Hamming distance 0..256";
  }
  std::optional<StandardPoint> standard_point() const override { return PdqStandardPoint(); }
  Result<Descriptor> Extract(const SignalInput& input) const override {
    WARDEN_ASSIGN_OR_RETURN(HashRecord record, MemoizedPdqRecord(input));
    Descriptor d;
    AppendHash(record.pdq.hash, d.data);
    d.quality = record.pdq.quality;
    return d;
  }
  double Score(const Descriptor& query, const Descriptor& reference) const override {
    return HammingDistance(HashAt(query, 0), HashAt(reference, 0));
  }
};

// PDQ with the 8 dihedral variants: the smallest distance between any of the query's eight
// hashes and the reference's plain hash, as a matcher holding only plain hashes would do
// when it turns each upload eight ways. Descriptor: 8 hashes, the plain one first.
class PdqDihedralSignal : public Signal {
 public:
  std::string_view name() const override { return "pdq_dihedral"; }
  std::string_view description() const override {
    return "PDQ (fullres), min Hamming distance over the query's 8 rotations/flips";
  }
  std::optional<StandardPoint> standard_point() const override { return PdqStandardPoint(); }
  Result<Descriptor> Extract(const SignalInput& input) const override {
    WARDEN_ASSIGN_OR_RETURN(HashRecord record, MemoizedPdqRecord(input));
    Descriptor d;
    for (int i = 0; i < kDihedralCount; ++i) AppendHash(record.pdq.dihedral[i], d.data);
    d.quality = record.pdq.quality;
    return d;
  }
  double Score(const Descriptor& query, const Descriptor& reference) const override {
    const PdqHash target = HashAt(reference, 0);
    int best = 256;
    for (int i = 0; i < kDihedralCount; ++i) {
      best = std::min(best, HammingDistance(HashAt(query, i), target));
    }
    return best;
  }
};

// The registry: one row per signal. A new signal is one more row.
struct SignalEntry {
  const char* name;
  std::unique_ptr<Signal> (*make)();
};
template <typename T>
std::unique_ptr<Signal> Make() {
  return std::make_unique<T>();
}
constexpr SignalEntry kSignalTable[] = {
    {"md5", &Make<Md5Signal>},
    {"pdq", &Make<PdqSignal>},
    {"pdq_dihedral", &Make<PdqDihedralSignal>},
    {"local", &MakeLocalSignal},
    {"pdq_local", &MakePdqLocalSignal},
};

// Score for each reference, one after the other.
class LoopScorer : public ReferenceScorer {
 public:
  LoopScorer(const Signal& signal, std::vector<const Descriptor*> references)
      : signal_(signal), references_(std::move(references)) {}
  void ScoreAll(const Descriptor& query, std::span<double> scores) const override {
    WARDEN_CHECK(scores.size() == references_.size());
    for (size_t i = 0; i < references_.size(); ++i) {
      if (references_[i] != nullptr) scores[i] = signal_.Score(query, *references_[i]);
    }
  }

 private:
  const Signal& signal_;
  std::vector<const Descriptor*> references_;
};

}  // namespace

Result<HashRecord> MemoizedPdqRecord(const SignalInput& input) {
  if (input.memo != nullptr && input.memo->pdq.has_value()) return *input.memo->pdq;
  HashOptions options;
  options.digests = false;
  options.dihedral = true;
  Result<HashRecord> record = HashImageBytes(input.bytes, options);
  if (input.memo != nullptr) input.memo->pdq = record;
  return record;
}

std::unique_ptr<ReferenceScorer> Signal::MakeScorer(
    std::vector<const Descriptor*> references) const {
  return std::make_unique<LoopScorer>(*this, std::move(references));
}

std::vector<std::string> SignalNames() {
  std::vector<std::string> names;
  for (const SignalEntry& e : kSignalTable) names.emplace_back(e.name);
  return names;
}

Result<std::unique_ptr<Signal>> MakeSignal(std::string_view name) {
  for (const SignalEntry& e : kSignalTable) {
    if (name == e.name) return e.make();
  }
  std::string known;
  for (const SignalEntry& e : kSignalTable)
    known += (known.empty() ? "" : ", ") + std::string(e.name);
  return Status::InvalidArgument("unknown signal \"" + std::string(name) + "\" (known: " + known +
                                 ")");
}

int64_t ScoreKey(const Signal& signal, double score) {
  const double scaled = std::llround(score / signal.resolution());
  return static_cast<int64_t>(signal.direction() == ScoreDirection::kSimilarity ? -scaled : scaled);
}

double KeyScore(const Signal& signal, int64_t key) {
  const double score = static_cast<double>(key) * signal.resolution();
  return signal.direction() == ScoreDirection::kSimilarity ? -score : score;
}

}  // namespace warden::eval
