// The steps transforms are made of (src/eval/transforms.h lists the transforms): one image
// operation each, deterministic given its seed.
//
// A step reads Staged::pixels (decoding Staged::bytes first when the previous step encoded),
// writes new pixels, and clears the bytes unless it is an encoder. Steps that move pixels
// around (crop, caption bar, screenshot) move a regeneration mask with them; other steps
// leave the mask alone. Sizes are rounded to the nearest pixel and never drop below 1.
//
// Thread safety: steps are immutable values; run them from any thread.
#ifndef WARDEN_SRC_EVAL_TRANSFORM_STEPS_H_
#define WARDEN_SRC_EVAL_TRANSFORM_STEPS_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "warden/status.h"

namespace warden::eval {

// What a transform may use besides the source pixels.
struct TransformContext {
  uint64_t seed = 0;               // per (source, transform); every random choice derives from it
  const cv::Mat* donor = nullptr;  // another corpus photo (BGR) or null; not owned
  std::optional<cv::Rect> face;    // the largest face in the source, in source pixels
};

// A query in the making.
struct Staged {
  cv::Mat pixels;              // CV_8UC3 BGR, or CV_8UC1 after the greyscale step
  std::vector<uint8_t> bytes;  // the encoded file, when the last step was an encoder
  std::string format;          // "jpeg", "webp" or "png" when bytes is set
  cv::Mat mask;                // CV_8UC1, 255 where a region was regenerated; empty if none
  double mask_fraction = 0;    // the regeneration's asked area fraction (0.2, 0.4, 0.6)
  bool used_donor = false;     // a step put pixels of TransformContext::donor in the picture
};

// A step gets the staged image, the transform's context and its own seed.
using Step = std::function<Status(Staged&, const TransformContext&, uint64_t seed)>;

// 3-channel pixels of `staged`, decoding its bytes when the last step encoded.
// Errors: kCorruptData when the bytes do not decode.
Result<cv::Mat> StagedPixels(Staged& staged);
// Replaces the pixels (clearing any bytes).
void SetPixels(Staged& staged, cv::Mat pixels);

// --- encoders: set bytes (and keep pixels as decoded, so that later steps see the loss)
Step EncodeStep(std::string format, int quality);  // "jpeg" or "webp"

// --- resize
Step ScaleStep(double sx, double sy, int interpolation);  // cv::INTER_*; area when shrinking
Step ThumbnailStep(int longest_side);  // longest side to this many pixels, never enlarging

// --- crop. Keeps `area_fraction` of the area with the source's aspect ratio, centred or in a
// seeded corner.
Step CropAreaStep(double area_fraction, bool centred);
// The largest centred crop with width:height = aspect_w:aspect_h.
Step CropAspectStep(int aspect_w, int aspect_h);
// Removes `fraction` of the width from the left and right and of the height from the top and
// bottom (Thorn's crop0.05).
Step CropSidesStep(double fraction);

// --- geometry
Step Rotate90Step(int quarter_turns);  // counter-clockwise
Step MirrorStep();                     // left-right
// Rotates about the centre by `degrees` (counter-clockwise), bilinear. Filled: same canvas,
// black corners. Otherwise cropped to the largest centred rectangle of the source's aspect
// ratio that holds only valid pixels.
Step RotateStep(double degrees, bool cropped);
Step PerspectiveStep(double fraction);  // one seeded edge pulled in by fraction of its length

// --- colour
Step GammaStep(double gamma);        // out = 255 (in / 255)^gamma
Step BrightnessStep(double factor);  // out = in * factor
Step ContrastStep(double factor);    // out = mean grey + (in - mean grey) * factor
Step GreyscaleStep();                // 1-channel result
Step SaturationStep(double factor);  // out = grey + (in - grey) * factor
Step HueStep(double degrees);        // hue rotation in HSV
Step InvertStep();

// --- filters
Step GaussianBlurStep(double sigma);
Step MedianStep(int kernel);
Step SharpenStep();                              // unsharp mask, sigma 1.5, amount 1
Step NoiseStep(double sigma, bool per_channel);  // additive Gaussian noise
Step SaltPepperStep(double fraction);            // fraction of pixels set to black or white
Step VignetteStep();                             // radial darkening to 50% in the corners
Step ThornVignetteStep();                        // Thorn: Gaussian window, sigma half each side

// --- borders
enum class PadFill { kWhite, kBlack, kBlurred };
// Adds fraction * width to the left and right and fraction * height to the top and bottom.
Step PadStep(double fraction, PadFill fill);
Step PadTopBottomStep(double fraction);  // Thorn's pad0.2: black, above and below only

// --- overlays and embedding (overlay_steps.cc)
Step CaptionStep();                      // a white bar of 20% of the height on top with black text
Step TextLinesStep();                    // three lines of large outlined text across the picture
Step StickerStep(double area_fraction);  // a cartoon face sticker over that share of the area
Step WatermarkStep();                    // semi-transparent white text across the centre
Step ThornWatermarkStep();  // Thorn: "TEST" in black at alpha 200/255, 20% of the width
Step CollageStep();         // side by side with the donor photo (or a grey panel)
Step ScreenshotStep();      // inside a 720x1560 phone screen with status and navigation bars

// --- regeneration (regeneration.cc)
enum class RegenFill { kTexture, kShade, kInpaint, kSeeded };
Step RegenerationStep(RegenFill fill, double area_fraction);

// Seeds a step from its transform's seed and its position (splitmix64 of both).
uint64_t MixSeed(uint64_t a, uint64_t b);

}  // namespace warden::eval

#endif  // WARDEN_SRC_EVAL_TRANSFORM_STEPS_H_
