// A direct, unoptimised transcription of PDQ.md, one step per loop, kept as the yardstick
// for the optimised core in pdq.cc: tests check that both agree bit for bit on many inputs,
// and bench/ times the optimised core against it in the same process.
//
// Thread safety: reentrant.
#ifndef WARDEN_SRC_HASH_PDQ_NAIVE_H_
#define WARDEN_SRC_HASH_PDQ_NAIVE_H_

#include "warden/pdq.h"

namespace warden {

// Same contract as ComputePdqFromLuma.
PdqResult NaivePdqFromLuma(const float* luma, int rows, int cols, bool with_dihedral);

}  // namespace warden

#endif  // WARDEN_SRC_HASH_PDQ_NAIVE_H_
