#include "warden/local_features.h"

namespace warden {

// Placeholder until the verifier lands.
LocalMatch VerifyLocalMatch(const LocalFeatures& query, const LocalFeatures& reference,
                            const LocalVerifyOptions& options) {
  (void)query;
  (void)reference;
  (void)options;
  return {};
}

}  // namespace warden
