// The bridge between local features (warden/local_features.h) and Warden's signals
// (warden/signal.h): a kLocal Signal's value is the lower-case hex of the stored form.
//
// Thread safety: reentrant functions, no state.
#ifndef WARDEN_LOCAL_SIGNAL_H_
#define WARDEN_LOCAL_SIGNAL_H_

#include <cstdint>
#include <vector>

#include "warden/local_features.h"
#include "warden/signal.h"
#include "warden/status.h"

namespace warden {

// The kLocal signal of `features` (quality -1): hex of EncodeLocalFeatures(features).
// REQUIRES: features.keypoints.size() <= kLocalStoredKeypoints (keep the first
// kLocalStoredKeypoints of a longer extraction: extraction is prefix-consistent).
Signal LocalSignalFromFeatures(const LocalFeatures& features);

// The stored form's bytes held in a kLocal signal's value.
// Errors: kInvalidArgument when the signal is not kLocal or its value is not even-length hex.
Result<std::vector<uint8_t>> LocalSignalBytes(const Signal& signal);

// Decodes a kLocal signal back into features (positions quantised by the stored form).
// Errors: as LocalSignalBytes, then DecodeLocalFeatures's kCorruptData.
Result<LocalFeatures> LocalFeaturesFromSignal(const Signal& signal);

}  // namespace warden

#endif  // WARDEN_LOCAL_SIGNAL_H_
