#include "src/eval/transforms.h"

#include <algorithm>
#include <set>
#include <sstream>
#include <utility>

#include <opencv2/imgproc.hpp>

#include "src/eval/cv_image.h"
#include "src/eval/regeneration.h"

namespace warden::eval {
namespace {

std::vector<TransformSpec> BuildTable() {
  std::vector<TransformSpec> t;
  auto add = [&t](std::string name, std::string family, std::string description,
                  std::vector<Step> steps) {
    t.push_back({std::move(name), std::move(family), std::move(description), std::move(steps)});
  };
  const std::string enc = "re-encode", rs = "resize", cr = "crop", geo = "geometry", col = "colour",
                    fil = "filter", ov = "overlay", emb = "border-embed", reg = "regeneration",
                    ch = "chains", th = "thorn";

  for (int q : {90, 70, 50, 30}) {
    add("jpeg" + std::to_string(q), enc, "JPEG quality " + std::to_string(q),
        {EncodeStep("jpeg", q)});
  }
  add("webp50", enc, "WebP quality 50", {EncodeStep("webp", 50)});
  add("jpeg80_60", enc, "JPEG 80 then JPEG 60", {EncodeStep("jpeg", 80), EncodeStep("jpeg", 60)});

  add("scale0.5", rs, "scale to 0.5 (area)", {ScaleStep(0.5, 0.5, cv::INTER_LINEAR)});
  add("scale0.25", rs, "scale to 0.25 (area)", {ScaleStep(0.25, 0.25, cv::INTER_LINEAR)});
  add("scale2.0", rs, "scale to 2.0 (bicubic)", {ScaleStep(2.0, 2.0, cv::INTER_CUBIC)});
  add("scale_x0.8", rs, "width to 0.8, height kept", {ScaleStep(0.8, 1.0, cv::INTER_LINEAR)});
  add("thumb256", rs, "thumbnail, longest side 256 px", {ThumbnailStep(256)});

  for (int keep : {90, 70, 50}) {
    const double f = keep / 100.0;
    add("crop" + std::to_string(keep) + "_centre", cr,
        "keep " + std::to_string(keep) + "% of the area, centred", {CropAreaStep(f, true)});
    add("crop" + std::to_string(keep) + "_corner", cr,
        "keep " + std::to_string(keep) + "% of the area, in a seeded corner",
        {CropAreaStep(f, false)});
  }
  add("crop_1x1", cr, "largest centred square", {CropAspectStep(1, 1)});
  add("crop_9x16", cr, "largest centred 9:16 portrait", {CropAspectStep(9, 16)});

  add("rot90", geo, "rotate 90 degrees", {Rotate90Step(1)});
  add("rot180", geo, "rotate 180 degrees", {Rotate90Step(2)});
  add("rot270", geo, "rotate 270 degrees", {Rotate90Step(3)});
  add("mirror", geo, "mirror left-right", {MirrorStep()});
  for (int deg : {3, -3, 10, -10}) {
    const std::string d = (deg > 0 ? "+" : "") + std::to_string(deg);
    add("rot" + d + "_fill", geo, "rotate " + d + " degrees, black corners",
        {RotateStep(deg, false)});
    add("rot" + d + "_crop", geo, "rotate " + d + " degrees, cropped to valid pixels",
        {RotateStep(deg, true)});
  }
  add("perspective5", geo, "perspective skew: one edge 5% shorter each side",
      {PerspectiveStep(0.05)});

  add("gamma0.6", col, "gamma 0.6", {GammaStep(0.6)});
  add("gamma1.6", col, "gamma 1.6", {GammaStep(1.6)});
  add("bright+30", col, "brightness +30%", {BrightnessStep(1.3)});
  add("bright-30", col, "brightness -30%", {BrightnessStep(0.7)});
  add("contrast0.6", col, "contrast 0.6", {ContrastStep(0.6)});
  add("contrast1.5", col, "contrast 1.5", {ContrastStep(1.5)});
  add("grey", col, "greyscale (1-channel PNG)", {GreyscaleStep()});
  add("saturation2", col, "saturation 2.0", {SaturationStep(2.0)});
  add("hue+30", col, "hue +30 degrees", {HueStep(30)});
  add("invert", col, "negative", {InvertStep()});

  add("blur1", fil, "Gaussian blur sigma 1", {GaussianBlurStep(1)});
  add("blur3", fil, "Gaussian blur sigma 3", {GaussianBlurStep(3)});
  add("median5", fil, "median filter 5x5", {MedianStep(5)});
  add("sharpen", fil, "unsharp mask sigma 1.5, amount 1", {SharpenStep()});
  add("noise10", fil, "Gaussian noise sigma 10 per channel", {NoiseStep(10, true)});
  add("saltpepper2", fil, "salt and pepper on 2% of pixels", {SaltPepperStep(0.02)});
  add("vignette", fil, "radial darkening to 50% in the corners", {VignetteStep()});

  add("caption", ov, "meme caption bar, 20% of the height, on top", {CaptionStep()});
  add("text3", ov, "three lines of large text across", {TextLinesStep()});
  add("sticker10", ov, "a sticker over 10% of the area", {StickerStep(0.10)});
  add("watermark", ov, "semi-transparent text across the centre", {WatermarkStep()});

  for (int pct : {10, 20}) {
    const double f = pct / 100.0;
    const std::string p = std::to_string(pct);
    add("pad" + p + "_white", emb, "pad " + p + "% each side, white",
        {PadStep(f, PadFill::kWhite)});
    add("pad" + p + "_black", emb, "pad " + p + "% each side, black",
        {PadStep(f, PadFill::kBlack)});
    add("pad" + p + "_blurred", emb, "pad " + p + "% each side, blurred copy",
        {PadStep(f, PadFill::kBlurred)});
  }
  add("collage", emb, "half of a side-by-side collage with another photo", {CollageStep()});
  add("screenshot", emb, "inside a 720x1560 phone screenshot, then JPEG 80",
      {ScreenshotStep(), EncodeStep("jpeg", 80)});

  for (RegenFill fill : {RegenFill::kTexture, RegenFill::kShade, RegenFill::kInpaint}) {
    for (int pct : {20, 40, 60}) {
      add(std::string("regen_") + RegenFillName(fill) + "_" + std::to_string(pct), reg,
          "body-like region of " + std::to_string(pct) + "% replaced by " + RegenFillName(fill) +
              ", then JPEG 75",
          {RegenerationStep(fill, pct / 100.0), EncodeStep("jpeg", 75)});
    }
  }

  add("chain_regen40_crop80_jpeg60", ch,
      "regeneration 40% (seeded fill), JPEG 75, crop 80%, JPEG 60",
      {RegenerationStep(RegenFill::kSeeded, 0.4), EncodeStep("jpeg", 75), CropAreaStep(0.8, true),
       EncodeStep("jpeg", 60)});
  add("chain_regen40_screenshot", ch, "regeneration 40% (seeded fill), JPEG 75, screenshot",
      {RegenerationStep(RegenFill::kSeeded, 0.4), EncodeStep("jpeg", 75), ScreenshotStep(),
       EncodeStep("jpeg", 80)});
  add("chain_regen60_caption", ch, "regeneration 60% (seeded fill), JPEG 75, caption",
      {RegenerationStep(RegenFill::kSeeded, 0.6), EncodeStep("jpeg", 75), CaptionStep()});
  add("chain_jpeg50_scale0.5_mirror", ch, "JPEG 50, scale 0.5, mirror",
      {EncodeStep("jpeg", 50), ScaleStep(0.5, 0.5, cv::INTER_LINEAR), MirrorStep()});

  // Thorn's perception benchmark (docs/examples/benchmarking.rst), same parameters. imgaug's
  // JpegCompression(95) is a compression *degree*: quality = 100 - 95 = 5.
  add("thorn_watermark", th, "Thorn: \"TEST\" in black, alpha 200, 20% wide, bottom left",
      {ThornWatermarkStep()});
  add("thorn_blur2", th, "Thorn: Gaussian blur sigma 2", {GaussianBlurStep(2)});
  add("thorn_vignette", th, "Thorn: Gaussian vignette, sigma half of each side",
      {ThornVignetteStep()});
  add("thorn_gamma2", th, "Thorn: gamma 2", {GammaStep(2.0)});
  add("thorn_jpeg95", th, "Thorn: imgaug JpegCompression(95), i.e. JPEG quality 5",
      {EncodeStep("jpeg", 5)});
  add("thorn_pad0.2", th, "Thorn: black pad of 20% of the height above and below",
      {PadTopBottomStep(0.2)});
  add("thorn_crop0.05", th, "Thorn: 5% cropped from every side", {CropSidesStep(0.05)});
  add("thorn_noise0.2", th, "Thorn: Gaussian noise sigma 0.2*255, same on all channels",
      {NoiseStep(0.2 * 255, false)});
  add("thorn_rotate4", th, "Thorn: rotate 4 degrees, same canvas, black corners",
      {RotateStep(4, false)});
  add("thorn_resize0.5", th, "Thorn: resize to 0.5 (bicubic)",
      {ScaleStep(0.5, 0.5, cv::INTER_CUBIC)});
  return t;
}

}  // namespace

const std::vector<TransformSpec>& AllTransforms() {
  static const std::vector<TransformSpec>* table = new std::vector<TransformSpec>(BuildTable());
  return *table;
}

std::vector<std::string> TransformFamilies() {
  std::vector<std::string> families;
  for (const TransformSpec& t : AllTransforms()) {
    if (std::find(families.begin(), families.end(), t.family) == families.end()) {
      families.push_back(t.family);
    }
  }
  return families;
}

Result<std::vector<const TransformSpec*>> SelectTransforms(std::string_view list) {
  std::set<const TransformSpec*> chosen;
  std::stringstream in{std::string(list)};
  std::string item;
  bool any = false;
  while (std::getline(in, item, ',')) {
    if (item.empty()) continue;
    any = true;
    bool found = false;
    for (const TransformSpec& t : AllTransforms()) {
      if (item == "all" || item == t.name || item == t.family) {
        chosen.insert(&t);
        found = true;
      }
    }
    if (!found) {
      return Status::InvalidArgument("unknown transform or family \"" + item +
                                     "\" (see `warden eval --list`)");
    }
  }
  if (!any) return Status::InvalidArgument("no transforms selected");
  std::vector<const TransformSpec*> out;
  for (const TransformSpec& t : AllTransforms()) {
    if (chosen.count(&t) != 0) out.push_back(&t);
  }
  return out;
}

Result<Query> ApplyTransform(const TransformSpec& spec, const cv::Mat& source,
                             const TransformContext& ctx) {
  Staged staged;
  staged.pixels = source;
  try {
    for (size_t i = 0; i < spec.steps.size(); ++i) {
      const Status st = spec.steps[i](staged, ctx, MixSeed(ctx.seed, i));
      if (!st.ok()) return st.WithContext(spec.name);
    }
    Query q;
    if (staged.bytes.empty()) {
      WARDEN_ASSIGN_OR_RETURN(q.bytes, Encode(staged.pixels, "png", 0));
      q.format = "png";
      q.pixels = staged.pixels;
    } else {
      q.bytes = std::move(staged.bytes);
      q.format = staged.format;
    }
    q.mask = staged.mask;
    q.mask_fraction = staged.mask_fraction;
    q.used_donor = staged.used_donor;
    return q;
  } catch (const cv::Exception& e) {
    return Status::Internal(spec.name + ": OpenCV: " + e.what());
  }
}

}  // namespace warden::eval
