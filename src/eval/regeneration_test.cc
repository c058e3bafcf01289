#include "src/eval/regeneration.h"

#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include "src/eval/cv_image.h"
#include "src/eval/eval_test_util.h"
#include "src/eval/transforms.h"

namespace warden::eval {
namespace {

double Area(const cv::Mat& mask) {
  return cv::countNonZero(mask) / static_cast<double>(mask.total());
}

cv::Point2d Centroid(const cv::Mat& mask) {
  const cv::Moments m = cv::moments(mask, true);
  return {m.m10 / m.m00, m.m01 / m.m00};
}

TEST(RegenerationTest, MaskAreaWithinTwoPoints) {
  const cv::Size sizes[] = {{400, 300}, {301, 777}, {1000, 120}, {64, 64}};
  for (const cv::Size& size : sizes) {
    for (double f : {0.2, 0.4, 0.6}) {
      SCOPED_TRACE(std::to_string(size.width) + "x" + std::to_string(size.height) + " " +
                   std::to_string(f));
      EXPECT_NEAR(Area(BodyRegionMask(size, std::nullopt, f)), f, 0.02);
      const cv::Rect face(size.width / 3, size.height / 10, size.width / 5, size.height / 6);
      EXPECT_NEAR(Area(BodyRegionMask(size, face, f)), f, 0.02);
    }
  }
}

TEST(RegenerationTest, MaskIsUnderTheFace) {
  const cv::Size size(600, 800);
  const cv::Rect face(220, 100, 120, 150);  // bottom at y = 250, centre x = 280
  const cv::Mat mask = BodyRegionMask(size, face, 0.2);
  const cv::Point2d c = Centroid(mask);
  EXPECT_GT(c.y, 250);
  EXPECT_NEAR(c.x, 280, 15);
  // At 20% the face itself is left alone.
  EXPECT_EQ(mask.at<uint8_t>(175, 280), 0);
  // A bigger region grows around it, still centred on the body.
  const cv::Point2d c60 = Centroid(BodyRegionMask(size, face, 0.6));
  EXPECT_NEAR(c60.x, 280, 40);
}

TEST(RegenerationTest, LowerCentreWithoutFace) {
  const cv::Mat mask = BodyRegionMask(cv::Size(400, 300), std::nullopt, 0.2);
  const cv::Point2d c = Centroid(mask);
  EXPECT_NEAR(c.x, 200, 5);
  EXPECT_GT(c.y, 150);  // the lower half
}

// Each fill changes the inside of the mask and (JPEG 75 aside) leaves the outside alone.
TEST(RegenerationTest, FillsChangeOnlyTheMask) {
  const cv::Mat src = MakeTestPhoto(400, 300, 21);
  const cv::Mat donor = MakeTestPhoto(300, 200, 77);
  for (const char* name : {"regen_texture_40", "regen_shade_40", "regen_inpaint_40"}) {
    SCOPED_TRACE(name);
    const TransformSpec* spec = nullptr;
    for (const TransformSpec& t : AllTransforms()) {
      if (t.name == name) spec = &t;
    }
    ASSERT_NE(spec, nullptr);
    TransformContext ctx;
    ctx.seed = 5;
    ctx.donor = &donor;
    auto q = ApplyTransform(*spec, src, ctx);
    ASSERT_TRUE(q.ok()) << q.status().ToString();
    EXPECT_NEAR(Area(q->mask), 0.4, 0.02);
    EXPECT_DOUBLE_EQ(q->mask_fraction, 0.4);
    // Only the texture fill shows the donor's pixels (the runner then leaves the query and
    // the donor's reference out of the negatives).
    EXPECT_EQ(q->used_donor, std::string(name) == "regen_texture_40");
    auto out = DecodeToBgr(q->bytes);
    ASSERT_TRUE(out.ok());
    cv::Mat diff, grey, inside, outside;
    cv::absdiff(*out, src, diff);
    cv::cvtColor(diff, grey, cv::COLOR_BGR2GRAY);
    cv::dilate(q->mask, outside, cv::Mat(), cv::Point(-1, -1), 6);
    cv::bitwise_not(outside, outside);
    cv::erode(q->mask, inside, cv::Mat(), cv::Point(-1, -1), 6);
    EXPECT_LT(cv::mean(grey, outside)[0], 8);  // JPEG 75 noise only
    EXPECT_GT(cv::mean(grey, inside)[0], 12);  // the region really changed
    // Same seed, same bytes.
    auto again = ApplyTransform(*spec, src, ctx);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->bytes, q->bytes);
  }
}

TEST(RegenerationTest, TextureWithoutDonorUsesThePictureItself) {
  for (const TransformSpec& t : AllTransforms()) {
    if (t.name != "regen_texture_40") continue;
    TransformContext ctx;
    ctx.seed = 5;
    auto q = ApplyTransform(t, MakeTestPhoto(200, 150, 4), ctx);
    ASSERT_TRUE(q.ok()) << q.status().ToString();
    EXPECT_FALSE(q->used_donor);
  }
  const cv::Mat src = MakeTestPhoto(200, 150, 4);
  const cv::Mat mask = BodyRegionMask(src.size(), std::nullopt, 0.4);
  const cv::Mat out = FillRegion(src, mask, RegenFill::kTexture, nullptr, 3);
  ASSERT_EQ(out.size(), src.size());
  cv::Mat diff;
  cv::absdiff(out, src, diff);
  EXPECT_GT(cv::mean(diff, mask)[0], 5);
}

TEST(RegenerationTest, NoFaceInASyntheticPicture) {
  if (FaceCascadePath().empty()) GTEST_SKIP() << "no Haar cascade installed (opencv-data)";
  EXPECT_FALSE(FindLargestFace(MakeTestPhoto(320, 240, 8)).has_value());
  EXPECT_FALSE(FindLargestFace(cv::Mat()).has_value());
}

}  // namespace
}  // namespace warden::eval
