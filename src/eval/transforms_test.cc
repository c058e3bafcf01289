#include "src/eval/transforms.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include <opencv2/imgproc.hpp>

#include "src/eval/cv_image.h"
#include "src/eval/eval_test_util.h"
#include "warden/image.h"

namespace warden::eval {
namespace {

const TransformSpec& Find(const std::string& name) {
  for (const TransformSpec& t : AllTransforms()) {
    if (t.name == name) return t;
  }
  ADD_FAILURE() << "no transform " << name;
  return AllTransforms().front();
}

cv::Mat Decoded(const Query& q) {
  auto m = DecodeToBgr(q.bytes);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? *m : cv::Mat();
}

Query RunT(const std::string& name, const cv::Mat& src, uint64_t seed = 7) {
  const cv::Mat donor = MakeTestPhoto(200, 150, 99);
  TransformContext ctx;
  ctx.seed = seed;
  ctx.donor = &donor;
  auto q = ApplyTransform(Find(name), src, ctx);
  EXPECT_TRUE(q.ok()) << name << ": " << q.status().ToString();
  return q.ok() ? std::move(q).value() : Query();
}

// Output size of every transform for a 400x300 source, worked out by hand from each
// transform's definition (e.g. crop70: sqrt(0.7) * 400 = 334.66 -> 335).
const std::map<std::string, cv::Size>& ExpectedSizes() {
  static const auto* sizes = new std::map<std::string, cv::Size>{
      {"jpeg90", {400, 300}},
      {"jpeg70", {400, 300}},
      {"jpeg50", {400, 300}},
      {"jpeg30", {400, 300}},
      {"webp50", {400, 300}},
      {"jpeg80_60", {400, 300}},
      {"scale0.5", {200, 150}},
      {"scale0.25", {100, 75}},
      {"scale2.0", {800, 600}},
      {"scale_x0.8", {320, 300}},
      {"thumb256", {256, 192}},
      {"crop90_centre", {379, 285}},
      {"crop90_corner", {379, 285}},
      {"crop70_centre", {335, 251}},
      {"crop70_corner", {335, 251}},
      {"crop50_centre", {283, 212}},
      {"crop50_corner", {283, 212}},
      {"crop_1x1", {300, 300}},
      {"crop_9x16", {169, 300}},
      {"rot90", {300, 400}},
      {"rot180", {400, 300}},
      {"rot270", {300, 400}},
      {"mirror", {400, 300}},
      // Cropped rotations: s = min(W/(W cos + H sin), H/(W sin + H cos)), floor, minus 2.
      {"rot+3_fill", {400, 300}},
      {"rot+3_crop", {372, 278}},
      {"rot-3_fill", {400, 300}},
      {"rot-3_crop", {372, 278}},
      {"rot+10_fill", {400, 300}},
      {"rot+10_crop", {326, 244}},
      {"rot-10_fill", {400, 300}},
      {"rot-10_crop", {326, 244}},
      {"perspective5", {400, 300}},
      {"gamma0.6", {400, 300}},
      {"gamma1.6", {400, 300}},
      {"bright+30", {400, 300}},
      {"bright-30", {400, 300}},
      {"contrast0.6", {400, 300}},
      {"contrast1.5", {400, 300}},
      {"grey", {400, 300}},
      {"saturation2", {400, 300}},
      {"hue+30", {400, 300}},
      {"invert", {400, 300}},
      {"blur1", {400, 300}},
      {"blur3", {400, 300}},
      {"median5", {400, 300}},
      {"sharpen", {400, 300}},
      {"noise10", {400, 300}},
      {"saltpepper2", {400, 300}},
      {"vignette", {400, 300}},
      {"caption", {400, 360}},
      {"text3", {400, 300}},
      {"sticker10", {400, 300}},
      {"watermark", {400, 300}},
      {"pad10_white", {480, 360}},
      {"pad10_black", {480, 360}},
      {"pad10_blurred", {480, 360}},
      {"pad20_white", {560, 420}},
      {"pad20_black", {560, 420}},
      {"pad20_blurred", {560, 420}},
      {"collage", {800, 300}},
      {"screenshot", {720, 1560}},
      {"regen_texture_20", {400, 300}},
      {"regen_texture_40", {400, 300}},
      {"regen_texture_60", {400, 300}},
      {"regen_shade_20", {400, 300}},
      {"regen_shade_40", {400, 300}},
      {"regen_shade_60", {400, 300}},
      {"regen_inpaint_20", {400, 300}},
      {"regen_inpaint_40", {400, 300}},
      {"regen_inpaint_60", {400, 300}},
      {"chain_regen40_crop80_jpeg60", {358, 268}},
      {"chain_regen40_screenshot", {720, 1560}},
      {"chain_regen60_caption", {400, 360}},
      {"chain_jpeg50_scale0.5_mirror", {200, 150}},
      {"thorn_watermark", {400, 300}},
      {"thorn_blur2", {400, 300}},
      {"thorn_vignette", {400, 300}},
      {"thorn_gamma2", {400, 300}},
      {"thorn_jpeg95", {400, 300}},
      {"thorn_pad0.2", {400, 420}},
      {"thorn_crop0.05", {360, 270}},
      {"thorn_noise0.2", {400, 300}},
      {"thorn_rotate4", {400, 300}},
      {"thorn_resize0.5", {200, 150}},
  };
  return *sizes;
}

TEST(TransformsTest, TableCoversTheIssueAndThorn) {
  EXPECT_EQ(AllTransforms().size(), ExpectedSizes().size());
  std::set<std::string> names;
  for (const TransformSpec& t : AllTransforms()) {
    EXPECT_TRUE(names.insert(t.name).second) << "duplicate " << t.name;
    EXPECT_EQ(ExpectedSizes().count(t.name), 1u) << t.name << " has no expected size";
    EXPECT_FALSE(t.description.empty());
  }
  const std::vector<std::string> families = TransformFamilies();
  EXPECT_EQ(families, (std::vector<std::string>{"re-encode", "resize", "crop", "geometry", "colour",
                                                "filter", "overlay", "border-embed", "regeneration",
                                                "chains", "thorn"}));
}

// Every transform: the query decodes with Warden's own decoders at the expected size, and the
// same seed gives the same bytes.
TEST(TransformsTest, EverySizeAndDeterminism) {
  const cv::Mat src = MakeTestPhoto(400, 300, 3);
  for (const TransformSpec& t : AllTransforms()) {
    SCOPED_TRACE(t.name);
    const Query a = RunT(t.name, src), b = RunT(t.name, src);
    ASSERT_FALSE(a.bytes.empty());
    EXPECT_EQ(a.bytes, b.bytes);
    auto image = DecodeImage(a.bytes);
    ASSERT_TRUE(image.ok()) << image.status().ToString();
    const cv::Size want = ExpectedSizes().at(t.name);
    EXPECT_EQ(image->width, want.width);
    EXPECT_EQ(image->height, want.height);
    EXPECT_EQ(image->channels, t.name == "grey" ? 1 : 3);
  }
}

TEST(TransformsTest, Encodings) {
  const cv::Mat src = MakeTestPhoto(400, 300, 3);
  EXPECT_EQ(RunT("jpeg50", src).format, "jpeg");
  EXPECT_EQ(RunT("webp50", src).format, "webp");
  EXPECT_EQ(RunT("screenshot", src).format, "jpeg");
  EXPECT_EQ(RunT("regen_shade_40", src).format, "jpeg");
  EXPECT_EQ(RunT("mirror", src).format, "png");
  // Lower quality, fewer bytes; Thorn's jpeg95 is quality 5, the smallest of all.
  EXPECT_LT(RunT("jpeg30", src).bytes.size(), RunT("jpeg90", src).bytes.size());
  EXPECT_LT(RunT("thorn_jpeg95", src).bytes.size(), RunT("jpeg30", src).bytes.size());
}

TEST(TransformsTest, LosslessGeometryAndColourAreExact) {
  const cv::Mat src = MakeTestPhoto(400, 300, 5);
  const cv::Mat mirror = Decoded(RunT("mirror", src));
  EXPECT_EQ(mirror.at<cv::Vec3b>(10, 0), src.at<cv::Vec3b>(10, 399));
  const cv::Mat rot90 = Decoded(RunT("rot90", src));  // counter-clockwise
  EXPECT_EQ(rot90.at<cv::Vec3b>(399, 0), src.at<cv::Vec3b>(0, 0));
  const cv::Mat inv = Decoded(RunT("invert", src));
  EXPECT_EQ(inv.at<cv::Vec3b>(123, 45)[1], 255 - src.at<cv::Vec3b>(123, 45)[1]);
  const cv::Mat gamma = Decoded(RunT("thorn_gamma2", src));
  const int v = src.at<cv::Vec3b>(200, 300)[2];
  EXPECT_NEAR(gamma.at<cv::Vec3b>(200, 300)[2], 255.0 * (v / 255.0) * (v / 255.0), 0.51);
  const cv::Mat crop = Decoded(RunT("thorn_crop0.05", src));
  EXPECT_EQ(crop.at<cv::Vec3b>(0, 0), src.at<cv::Vec3b>(15, 20));
  const cv::Mat pad = Decoded(RunT("pad20_black", src));
  EXPECT_EQ(pad.at<cv::Vec3b>(5, 5), cv::Vec3b(0, 0, 0));
  EXPECT_EQ(pad.at<cv::Vec3b>(60 + 7, 80 + 9), src.at<cv::Vec3b>(7, 9));
  const cv::Mat white = Decoded(RunT("pad10_white", src));
  EXPECT_EQ(white.at<cv::Vec3b>(1, 1), cv::Vec3b(255, 255, 255));
  const cv::Mat thorn_pad = Decoded(RunT("thorn_pad0.2", src));
  EXPECT_EQ(thorn_pad.at<cv::Vec3b>(0, 200), cv::Vec3b(0, 0, 0));
  EXPECT_EQ(thorn_pad.at<cv::Vec3b>(60, 0), src.at<cv::Vec3b>(0, 0));
}

TEST(TransformsTest, CroppedRotationHoldsOnlyValidPixels) {
  const cv::Mat white(300, 400, CV_8UC3, cv::Scalar::all(255));
  for (const char* name : {"rot+3_crop", "rot-10_crop"}) {
    double min = 0;
    cv::Mat grey;
    cv::cvtColor(Decoded(RunT(name, white)), grey, cv::COLOR_BGR2GRAY);
    cv::minMaxLoc(grey, &min);
    EXPECT_GE(min, 250) << name;
  }
  cv::Mat grey;
  cv::cvtColor(Decoded(RunT("rot+10_fill", white)), grey, cv::COLOR_BGR2GRAY);
  EXPECT_EQ(grey.at<uint8_t>(0, 0), 0);  // the filled corner is black
}

TEST(TransformsTest, OverlaysCoverWhatTheySay) {
  const cv::Mat src = MakeTestPhoto(400, 300, 11);
  // The sticker changes about 10% of the picture (its outline adds a little).
  cv::Mat diff, grey;
  cv::absdiff(Decoded(RunT("sticker10", src)), src, diff);
  cv::cvtColor(diff, grey, cv::COLOR_BGR2GRAY);
  const double changed = cv::countNonZero(grey > 8) / static_cast<double>(grey.total());
  EXPECT_GT(changed, 0.08);
  EXPECT_LT(changed, 0.13);
  // The caption bar is white with dark text; the picture sits below it unchanged.
  const cv::Mat caption = Decoded(RunT("caption", src));
  const double bar_mean = cv::mean(caption(cv::Rect(0, 0, 400, 60)))[0];
  EXPECT_GT(bar_mean, 180);
  EXPECT_LT(bar_mean, 254);
  EXPECT_EQ(caption.at<cv::Vec3b>(60 + 100, 50), src.at<cv::Vec3b>(100, 50));
  // Thorn's watermark darkens only the lower left.
  const cv::Mat thorn = Decoded(RunT("thorn_watermark", src));
  EXPECT_EQ(thorn.at<cv::Vec3b>(10, 390), src.at<cv::Vec3b>(10, 390));
  EXPECT_LT(cv::mean(thorn(cv::Rect(0, 200, 160, 100)))[0],
            cv::mean(src(cv::Rect(0, 200, 160, 100)))[0]);
}

TEST(TransformsTest, OnlyStepsThatShowTheDonorSayTheyUsedIt) {
  const cv::Mat src = MakeTestPhoto(400, 300, 11);
  EXPECT_TRUE(RunT("collage", src).used_donor);
  EXPECT_TRUE(RunT("regen_texture_60", src).used_donor);
  EXPECT_FALSE(RunT("regen_shade_60", src).used_donor);
  EXPECT_FALSE(RunT("sticker10", src).used_donor);
  EXPECT_FALSE(RunT("crop70_centre", src).used_donor);
  // Without a donor the collage's other half is a grey panel.
  TransformContext no_donor;
  no_donor.seed = 7;
  auto q = ApplyTransform(Find("collage"), src, no_donor);
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_FALSE(q->used_donor);
}

TEST(TransformsTest, SeedsMatter) {
  const cv::Mat src = MakeTestPhoto(400, 300, 13);
  EXPECT_NE(RunT("noise10", src, 1).bytes, RunT("noise10", src, 2).bytes);
  EXPECT_NE(RunT("saltpepper2", src, 1).bytes, RunT("saltpepper2", src, 2).bytes);
  // Salt and pepper touches about 2% of the pixels.
  cv::Mat diff, grey;
  cv::absdiff(Decoded(RunT("saltpepper2", src)), src, diff);
  cv::cvtColor(diff, grey, cv::COLOR_BGR2GRAY);
  const double touched = cv::countNonZero(grey > 0) / static_cast<double>(grey.total());
  EXPECT_NEAR(touched, 0.02, 0.005);
}

TEST(TransformsTest, SelectTransforms) {
  auto all = SelectTransforms("all");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), AllTransforms().size());
  auto some = SelectTransforms("thorn,jpeg50,thorn_blur2");
  ASSERT_TRUE(some.ok());
  EXPECT_EQ(some->size(), 11u);           // ten Thorn transforms and jpeg50, no repeat
  EXPECT_EQ((*some)[0]->name, "jpeg50");  // table order
  auto bad = SelectTransforms("jpeg50,nope");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("nope"), std::string::npos);
  EXPECT_FALSE(SelectTransforms("").ok());
}

TEST(TransformsTest, MaskFollowsTheChain) {
  const cv::Mat src = MakeTestPhoto(400, 300, 17);
  const Query q = RunT("chain_regen60_caption", src);
  ASSERT_EQ(q.mask.size(), cv::Size(400, 360));
  EXPECT_EQ(cv::countNonZero(q.mask(cv::Rect(0, 0, 400, 60))), 0);  // the bar was not regenerated
  EXPECT_NEAR(cv::countNonZero(q.mask) / 120000.0, 0.6, 0.02);
  const Query c = RunT("chain_regen40_crop80_jpeg60", src);
  EXPECT_EQ(c.mask.size(), cv::Size(358, 268));
  EXPECT_DOUBLE_EQ(c.mask_fraction, 0.4);
}

}  // namespace
}  // namespace warden::eval
