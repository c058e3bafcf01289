#include "src/image/cmyk.h"

namespace warden::image_internal {

// R = round((255 - C) * (255 - K) / 255), likewise G from M and B from Y. This is what
// ImageMagick (ConvertCMYKToRGB in doubles, rounded to 8 bits) and current Pillow (cmyk2rgb:
// nk - MULDIV255(C, nk), which rounds the same product) compute: the two agree on every input
// because x / 255 is never exactly halfway between integers. On a synthetic CMYK JPEG with
// K != 0 the result equals `convert FILE rgb:-` byte for byte; the older PIL formula
// 255 - min(255, C + K) differs on about a quarter of the samples there. For the test set's
// CMYK.jpg (K = 0 everywhere) every candidate gives the same pixels.
void CmykToRgb(const uint8_t* cmyk, bool inverted, int width, uint8_t* rgb) {
  const int flip = inverted ? 255 : 0;
  for (int x = 0; x < width; ++x) {
    const uint8_t* in = cmyk + 4 * x;
    // Ink amounts 0..255 (0 = none) once Adobe's inversion is undone.
    const int not_black = 255 - (in[3] ^ flip);
    for (int i = 0; i < 3; ++i) {
      const int not_ink = 255 - (in[i] ^ flip);
      rgb[3 * x + i] = static_cast<uint8_t>((not_ink * not_black + 127) / 255);
    }
  }
}

}  // namespace warden::image_internal
