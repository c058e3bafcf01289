#include "src/eval/local_signals.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "src/local/local_index.h"
#include "warden/pdq.h"

namespace warden::eval {
namespace {

// Descriptor layout (only this file reads it): the reference form, then the query form,
// each as int32 width, height, count, enlarged_begin and `count` LocalKeypoint records, then an
// int32 1 followed by the overlay-removed form (LocalFeatures::without_overlay) or an int32 0;
// pdq_local puts its PDQ hash (four 64-bit words) in front.
constexpr size_t kPdqBytes = sizeof(PdqHash::words);

void AppendInt(int32_t v, std::vector<uint8_t>& out) {
  const size_t at = out.size();
  out.resize(at + sizeof(v));
  std::memcpy(out.data() + at, &v, sizeof(v));
}

void AppendFeatures(const LocalFeatures& f, std::vector<uint8_t>& out) {
  AppendInt(f.width, out);
  AppendInt(f.height, out);
  AppendInt(static_cast<int32_t>(f.keypoints.size()), out);
  AppendInt(static_cast<int32_t>(f.enlarged_begin), out);
  const size_t at = out.size(), bytes = f.keypoints.size() * sizeof(LocalKeypoint);
  out.resize(at + bytes);
  if (bytes > 0) std::memcpy(out.data() + at, f.keypoints.data(), bytes);
  AppendInt(f.without_overlay != nullptr ? 1 : 0, out);
  if (f.without_overlay != nullptr) AppendFeatures(*f.without_overlay, out);
}

int32_t ReadInt(const std::vector<uint8_t>& data, size_t& at) {
  WARDEN_CHECK(at + sizeof(int32_t) <= data.size());
  int32_t v;
  std::memcpy(&v, data.data() + at, sizeof(v));
  at += sizeof(v);
  return v;
}

// Reads one form at `at` and moves `at` past it. The bytes are this file's own (Extract).
LocalFeatures ReadFeatures(const std::vector<uint8_t>& data, size_t& at) {
  LocalFeatures f;
  f.width = ReadInt(data, at);
  f.height = ReadInt(data, at);
  const int32_t n = ReadInt(data, at);
  const int32_t enlarged_begin = ReadInt(data, at);
  WARDEN_CHECK(n >= 0 && at + n * sizeof(LocalKeypoint) <= data.size());
  WARDEN_CHECK(enlarged_begin >= 0 && enlarged_begin <= n);
  f.enlarged_begin = static_cast<size_t>(enlarged_begin);
  f.keypoints.resize(n);
  if (n > 0) std::memcpy(f.keypoints.data(), data.data() + at, n * sizeof(LocalKeypoint));
  at += n * sizeof(LocalKeypoint);
  const int32_t has_overlay_view = ReadInt(data, at);
  WARDEN_CHECK(has_overlay_view == 0 || has_overlay_view == 1);
  if (has_overlay_view == 1) {
    f.without_overlay = std::make_shared<const LocalFeatures>(ReadFeatures(data, at));
  }
  return f;
}

LocalFeatures ReferenceForm(const Descriptor& d, size_t offset) {
  size_t at = offset;
  return ReadFeatures(d.data, at);
}

LocalFeatures QueryForm(const Descriptor& d, size_t offset) {
  size_t at = offset;
  ReadFeatures(d.data, at);  // skip the reference form
  return ReadFeatures(d.data, at);
}

// The query-size extraction, from the memo when the other local signal made it.
Result<LocalFeatures> MemoizedLocal(const SignalInput& input) {
  if (input.memo != nullptr && input.memo->local.has_value()) return *input.memo->local;
  LocalExtractOptions options;
  options.max_keypoints = kLocalQueryKeypoints;
  options.enlarged_view = true;
  options.overlay_view = true;
  Result<LocalFeatures> features = ExtractLocalFeaturesFromBytes(input.bytes, options);
  if (input.memo != nullptr) input.memo->local = features;
  return features;
}

// Appends both forms of the input's local features: the reference form as it comes back
// from the stored form, then the query form.
Status AppendLocalForms(const SignalInput& input, std::vector<uint8_t>& out) {
  WARDEN_ASSIGN_OR_RETURN(LocalFeatures query, MemoizedLocal(input));
  // Registered: what `warden hash --local` stores (RegisteredLocalFeatures).
  const LocalFeatures reference = RegisteredLocalFeatures(query);
  Result<LocalFeatures> stored = DecodeLocalFeatures(EncodeLocalFeatures(reference));
  if (!stored.ok()) return stored.status().WithContext("local features' stored form");
  AppendFeatures(*stored, out);
  AppendFeatures(query, out);
  return Status::Ok();
}

// The local scores of one query against every reference: retrieval by the index, then
// verification of the candidates only, as the deployed search. Without an index
// (NewLocalIndex() returning null) every reference is verified.
class LocalScorer : public ReferenceScorer {
 public:
  LocalScorer(std::vector<const Descriptor*> references, size_t offset)
      : offset_(offset), present_(references.size()), forms_(references.size()) {
    index_ = NewLocalIndex();
    for (size_t i = 0; i < references.size(); ++i) {
      if (references[i] == nullptr) continue;
      forms_[i] = ReferenceForm(*references[i], offset_);
      present_[i] = true;
      // An image the index refuses is never found, as in deployment.
      if (index_ != nullptr && !index_->Add(i, forms_[i]).ok()) present_[i] = false;
    }
  }
  void ScoreAll(const Descriptor& query, std::span<double> scores) const override {
    WARDEN_CHECK(scores.size() == forms_.size());
    const LocalFeatures q = QueryForm(query, offset_);
    for (size_t i = 0; i < forms_.size(); ++i) {
      if (present_[i]) scores[i] = 0;
    }
    if (index_ != nullptr) {
      for (const LocalCandidate& c : index_->Candidates(q, kEvalLocalCandidates)) {
        scores[c.id] = VerifyLocalMatch(q, forms_[c.id], {}).score;
      }
      return;
    }
    for (size_t i = 0; i < forms_.size(); ++i) {
      if (present_[i]) scores[i] = VerifyLocalMatch(q, forms_[i], {}).score;
    }
  }

 private:
  size_t offset_;
  std::vector<bool> present_;
  std::vector<LocalFeatures> forms_;
  std::unique_ptr<LocalIndex> index_;
};

StandardPoint LocalStandardPoint() {
  return StandardPoint{kLocalDefaultMinScore, -1,
                       "score >= " + std::to_string(static_cast<int>(kLocalDefaultMinScore))};
}

class LocalSignal : public Signal {
 public:
  std::string_view name() const override { return "local"; }
  std::string_view description() const override {
    return "local features (warden-local v2): cells of a 12x12 grid over the reference holding "
           "a strong inlier of one geometry (near-equal descriptors, near-exact position), 0 "
           "under 6 strong inliers (each exact one after the first counting 2 more); query 1000 "
           "keypoints (its first 700 vote in the index) and, under 320 px, as many of the image "
           "enlarged up to 4x, verified on their own (10 strong, 3 per exact) and pooled (8), "
           "the best answering; with outlined lettering across it, the same views of the "
           "picture with the strokes filled in, pooled with the query's and on their own (6, "
           "their views pooled 8); reference as registered: its first 100, under 320 px the "
           "plain view's first 50 and the enlarged view's finer keypoints; index top 32 by "
           "IDF-weighted votes";
  }
  ScoreDirection direction() const override { return ScoreDirection::kSimilarity; }
  std::optional<StandardPoint> standard_point() const override { return LocalStandardPoint(); }
  Result<Descriptor> Extract(const SignalInput& input) const override {
    Descriptor d;
    WARDEN_RETURN_IF_ERROR(AppendLocalForms(input, d.data));
    return d;
  }
  double Score(const Descriptor& query, const Descriptor& reference) const override {
    return VerifyLocalMatch(QueryForm(query, 0), ReferenceForm(reference, 0), {}).score;
  }
  std::unique_ptr<ReferenceScorer> MakeScorer(
      std::vector<const Descriptor*> references) const override {
    return std::make_unique<LocalScorer>(std::move(references), 0);
  }
};

PdqHash HashOf(const Descriptor& d) {
  PdqHash h;
  WARDEN_CHECK(d.data.size() >= kPdqBytes);
  std::memcpy(h.words.data(), d.data.data(), kPdqBytes);
  return h;
}

class PdqLocalScorer : public ReferenceScorer {
 public:
  explicit PdqLocalScorer(std::vector<const Descriptor*> references)
      : hashes_(references.size()), local_(references, kPdqBytes) {
    for (size_t i = 0; i < references.size(); ++i) {
      if (references[i] != nullptr) hashes_[i] = HashOf(*references[i]);
    }
    references_ = std::move(references);
  }
  void ScoreAll(const Descriptor& query, std::span<double> scores) const override {
    local_.ScoreAll(query, scores);
    const PdqHash q = HashOf(query);
    for (size_t i = 0; i < references_.size(); ++i) {
      if (references_[i] == nullptr) continue;
      scores[i] = PdqLocalScore(scores[i], HammingDistance(q, hashes_[i]));
    }
  }

 private:
  std::vector<PdqHash> hashes_;
  std::vector<const Descriptor*> references_;
  LocalScorer local_;
};

class PdqLocalSignal : public Signal {
 public:
  std::string_view name() const override { return "pdq_local"; }
  std::string_view description() const override {
    static_assert(kPdqLocalPdqDistance == 91 && kPdqLocalBand == 1000,
                  "the description below spells out both constants");
    return "PDQ and local together: a match when PDQ distance <= 91 (pdq's own FPR 1e-4 "
           "threshold) OR local score >= S, S calibrated over the negatives at the FPR (the "
           "threshold shown; a PDQ match scores 1000 + 91 - distance, so a threshold above 1000 "
           "means PDQ alone)";
  }
  ScoreDirection direction() const override { return ScoreDirection::kSimilarity; }
  Result<Descriptor> Extract(const SignalInput& input) const override {
    WARDEN_ASSIGN_OR_RETURN(HashRecord record, MemoizedPdqRecord(input));
    Descriptor d;
    d.data.resize(kPdqBytes);
    std::memcpy(d.data.data(), record.pdq.hash.words.data(), kPdqBytes);
    WARDEN_RETURN_IF_ERROR(AppendLocalForms(input, d.data));
    return d;
  }
  double Score(const Descriptor& query, const Descriptor& reference) const override {
    const double local =
        VerifyLocalMatch(QueryForm(query, kPdqBytes), ReferenceForm(reference, kPdqBytes), {})
            .score;
    return PdqLocalScore(local, HammingDistance(HashOf(query), HashOf(reference)));
  }
  std::unique_ptr<ReferenceScorer> MakeScorer(
      std::vector<const Descriptor*> references) const override {
    return std::make_unique<PdqLocalScorer>(std::move(references));
  }
};

}  // namespace

double PdqLocalScore(double local_score, int pdq_distance) {
  if (pdq_distance <= kPdqLocalPdqDistance) {
    return kPdqLocalBand + (kPdqLocalPdqDistance - pdq_distance);
  }
  return local_score;
}

std::unique_ptr<Signal> MakeLocalSignal() { return std::make_unique<LocalSignal>(); }
std::unique_ptr<Signal> MakePdqLocalSignal() { return std::make_unique<PdqLocalSignal>(); }

}  // namespace warden::eval
