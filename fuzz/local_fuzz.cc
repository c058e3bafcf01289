// Fuzz target: the local signal's stored form (DecodeLocalFeatures) and what runs on decoded
// forms, which arrive in bank imports from other organisations: the verifier and the
// retrieval index. The first two input bytes (little-endian) give the length of the first
// stored form; the rest is the second. Checked:
//  - a rejected form has an error message; an accepted one has its keypoints inside the image
//    and no more than kLocalStoredKeypoints, and encoding it again gives the same bytes (a
//    version-1 form: version 2's);
//  - verifying one decoded form against the other (either way round) gives finite numbers in
//    range: inliers <= tentative pairs <= the reference's keypoints, coverage in [0, 1], a
//    match only at score >= min_score, the matched region inside the query;
//  - the index holding the second form answers a search with the first without breaking the
//    same rules, and finds only that id.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "src/local/local_index.h"
#include "warden/local_features.h"

namespace {

bool Decode(std::span<const uint8_t> bytes, warden::LocalFeatures* out) {
  auto f = warden::DecodeLocalFeatures(bytes);
  if (!f.ok()) {
    if (f.status().message().empty()) __builtin_trap();
    return false;
  }
  if (f->width < 1 || f->height < 1) __builtin_trap();
  if (f->keypoints.size() > static_cast<size_t>(warden::kLocalStoredKeypoints)) __builtin_trap();
  for (const warden::LocalKeypoint& kp : f->keypoints) {
    if (!(kp.x >= 0 && kp.x < f->width && kp.y >= 0 && kp.y < f->height)) __builtin_trap();
    if (!std::isfinite(kp.scale) || !(kp.scale > 0) || !std::isfinite(kp.angle)) __builtin_trap();
  }
  // Encoding writes version 2: a version-1 form comes back with that version byte, and the
  // same scale bytes while they are under 128 (version 1's unsigned scales above 127 are levels
  // no extractor makes, clamped by version 2's signed byte).
  std::vector<uint8_t> again = warden::EncodeLocalFeatures(*f);
  if (again.size() != bytes.size()) __builtin_trap();
  bool v1_large_scale = false;
  if (bytes[3] == 1) {
    again[3] = 1;
    for (size_t k = 14 + 4; k < bytes.size(); k += 38) v1_large_scale |= bytes[k] >= 128;
  }
  if (!v1_large_scale && !std::equal(again.begin(), again.end(), bytes.begin())) __builtin_trap();
  *out = std::move(*f);
  return true;
}

void CheckMatch(const warden::LocalMatch& m, const warden::LocalFeatures& query,
                const warden::LocalFeatures& reference, double min_score) {
  if (m.inliers < 0 || m.inliers > m.tentative ||
      m.tentative > static_cast<int>(reference.keypoints.size())) {
    __builtin_trap();
  }
  if (!std::isfinite(m.score) || m.score < 0) __builtin_trap();
  if (!(m.coverage >= 0 && m.coverage <= 1)) __builtin_trap();
  for (double v : m.transform) {
    if (!std::isfinite(v)) __builtin_trap();
  }
  if (m.matched != (m.score >= min_score)) __builtin_trap();
  if (m.matched) {
    const warden::LocalBox& b = m.query_box;
    if (!(b.x0 >= 0 && b.x0 <= b.x1 && b.x1 <= query.width && b.y0 >= 0 && b.y0 <= b.y1 &&
          b.y1 <= query.height)) {
      __builtin_trap();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const size_t first = std::min<size_t>(data[0] | (size_t{data[1]} << 8), size - 2);
  const std::span<const uint8_t> a(data + 2, first);
  const std::span<const uint8_t> b(data + 2 + first, size - 2 - first);
  warden::LocalFeatures fa;
  warden::LocalFeatures fb;
  const bool has_a = Decode(a, &fa);
  const bool has_b = Decode(b, &fb);
  if (!has_a || !has_b) return 0;

  const warden::LocalVerifyOptions verify;
  CheckMatch(warden::VerifyLocalMatch(fa, fb, verify), fa, fb, verify.min_score);
  CheckMatch(warden::VerifyLocalMatch(fb, fa, verify), fb, fa, verify.min_score);

  auto index = warden::NewLocalIndex();
  if (!index->Add(7, fb).ok()) __builtin_trap();
  warden::LocalSearchOptions search;
  for (const warden::LocalIndexMatch& m : index->Search(fa, search)) {
    if (m.id != 7) __builtin_trap();
    CheckMatch(m.match, fa, fb, search.verify.min_score);
  }
  return 0;
}
