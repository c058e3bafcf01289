// CMYK to RGB for the decoders that meet CMYK (JPEG from Photoshop, some TIFFs).
//
// Thread safety: pure functions.
#ifndef WARDEN_SRC_IMAGE_CMYK_H_
#define WARDEN_SRC_IMAGE_CMYK_H_

#include <cstdint>

namespace warden::image_internal {

// Converts `width` CMYK pixels (4 bytes each) to RGB (3 bytes each). `inverted`: the samples
// are stored as 255 - ink (Adobe's convention for CMYK JPEGs). REQUIRES: the buffers hold
// width pixels and do not overlap.
void CmykToRgb(const uint8_t* cmyk, bool inverted, int width, uint8_t* rgb);

}  // namespace warden::image_internal

#endif  // WARDEN_SRC_IMAGE_CMYK_H_
