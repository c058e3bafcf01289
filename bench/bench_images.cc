#include "bench/bench_images.h"

#include <png.h>

// jpeglib.h needs FILE and size_t declared before it.
// clang-format off
#include <cstdio>
#include <jpeglib.h>
// clang-format on

#include <algorithm>
#include <csetjmp>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "warden/file_bytes.h"

namespace warden::bench {
namespace {

// Weights of the source samples [first, first + weights.size()) that make one output sample
// when [start, start + scale) in source coordinates is averaged (area resampling).
struct AreaTap {
  int first = 0;
  std::vector<float> weights;
};

std::vector<AreaTap> AreaTaps(int offset, int in_len, int out_len) {
  const double scale = static_cast<double>(in_len) / out_len;
  std::vector<AreaTap> taps(out_len);
  for (int o = 0; o < out_len; ++o) {
    const double lo = o * scale;
    const double hi = lo + scale;
    AreaTap& tap = taps[o];
    tap.first = offset + static_cast<int>(lo);
    for (int i = static_cast<int>(lo); i < in_len && i < hi; ++i) {
      const double cover = std::min<double>(i + 1, hi) - std::max<double>(i, lo);
      tap.weights.push_back(static_cast<float>(cover / scale));
    }
  }
  return taps;
}

struct JpegEncodeError {
  jpeg_error_mgr pub;  // first member: libjpeg hands us a pointer to it
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX] = {};
};

[[noreturn]] void OnEncodeError(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegEncodeError*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

// The frame that calls setjmp holds nothing with a destructor, so a longjmp skips no cleanup.
bool CompressJpeg(jpeg_compress_struct& cinfo, JpegEncodeError& err, const Image& image,
                  int quality, unsigned char** out, unsigned long* out_size) {
  if (setjmp(err.jump) != 0) return false;
  jpeg_create_compress(&cinfo);
  jpeg_mem_dest(&cinfo, out, out_size);
  cinfo.image_width = static_cast<JDIMENSION>(image.width);
  cinfo.image_height = static_cast<JDIMENSION>(image.height);
  cinfo.input_components = image.channels;
  cinfo.in_color_space = image.channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  // jpeg_set_defaults picks YCbCr with 2x2 luma sampling (4:2:0) for RGB input.
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    // libjpeg only reads the rows; the cast is an artefact of its C signature.
    JSAMPROW row = const_cast<uint8_t*>(image.row(static_cast<int>(cinfo.next_scanline)));
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  return true;
}

void AppendPngBytes(png_structp png, png_bytep data, png_size_t length) {
  auto* out = static_cast<std::vector<uint8_t>*>(png_get_io_ptr(png));
  out->insert(out->end(), data, data + length);
}

bool WritePng(png_structp png, png_infop info, const Image& image, std::vector<uint8_t>& out) {
  if (setjmp(png_jmpbuf(png)) != 0) return false;
  png_set_write_fn(png, &out, AppendPngBytes, nullptr);
  png_set_IHDR(png, info, static_cast<png_uint_32>(image.width),
               static_cast<png_uint_32>(image.height), 8,
               image.channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int y = 0; y < image.height; ++y) {
    png_write_row(png, image.row(y));
  }
  png_write_end(png, nullptr);
  return true;
}

Result<Image> DecodeFile(const std::string& path) {
  WARDEN_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, ReadFileBytes(path));
  Result<Image> image = DecodeImage(bytes);
  if (!image.ok()) return image.status().WithContext(path);
  if (image->channels != 3) return Status::Internal(path + ": expected an RGB photo");
  return image;
}

BenchImage Made(std::string name, ImageFormat format, const Image& pixels,
                std::vector<uint8_t> bytes, double reference) {
  BenchImage out;
  out.name = std::move(name);
  out.format = format;
  out.width = pixels.width;
  out.height = pixels.height;
  out.bytes = std::move(bytes);
  out.reference_cli_per_s = reference;
  return out;
}

}  // namespace

Image ResizeArea(const Image& src, int x0, int y0, int w, int h, int out_w, int out_h) {
  WARDEN_CHECK(src.channels == 3 && x0 >= 0 && y0 >= 0 && x0 + w <= src.width &&
               y0 + h <= src.height && out_w > 0 && out_h > 0);
  const std::vector<AreaTap> xs = AreaTaps(x0, w, out_w);
  const std::vector<AreaTap> ys = AreaTaps(y0, h, out_h);
  // Horizontal pass over the rows of the crop, then vertical, in float.
  std::vector<float> horizontal(static_cast<size_t>(h) * out_w * 3);
  for (int y = 0; y < h; ++y) {
    const uint8_t* in = src.row(y0 + y);
    float* out = horizontal.data() + static_cast<size_t>(y) * out_w * 3;
    for (int x = 0; x < out_w; ++x) {
      float acc[3] = {0, 0, 0};
      for (size_t k = 0; k < xs[x].weights.size(); ++k) {
        const uint8_t* p = in + static_cast<size_t>(xs[x].first + static_cast<int>(k)) * 3;
        for (int c = 0; c < 3; ++c) acc[c] += xs[x].weights[k] * p[c];
      }
      for (int c = 0; c < 3; ++c) out[x * 3 + c] = acc[c];
    }
  }
  Image dst;
  dst.width = out_w;
  dst.height = out_h;
  dst.channels = 3;
  dst.format = src.format;
  dst.source_width = out_w;
  dst.source_height = out_h;
  dst.pixels.resize(static_cast<size_t>(out_w) * out_h * 3);
  for (int y = 0; y < out_h; ++y) {
    uint8_t* out = dst.pixels.data() + static_cast<size_t>(y) * out_w * 3;
    for (int i = 0; i < out_w * 3; ++i) {
      float acc = 0;
      for (size_t k = 0; k < ys[y].weights.size(); ++k) {
        const int row = ys[y].first + static_cast<int>(k) - y0;
        acc += ys[y].weights[k] * horizontal[static_cast<size_t>(row) * out_w * 3 + i];
      }
      out[i] = static_cast<uint8_t>(std::clamp(acc + 0.5f, 0.0f, 255.0f));
    }
  }
  return dst;
}

Result<std::vector<uint8_t>> EncodeJpeg(const Image& image, int quality) {
  jpeg_compress_struct cinfo{};
  JpegEncodeError err;
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = OnEncodeError;
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  const bool ok = CompressJpeg(cinfo, err, image, quality, &buffer, &size);
  jpeg_destroy_compress(&cinfo);
  std::vector<uint8_t> out;
  if (ok) out.assign(buffer, buffer + size);
  std::free(buffer);  // jpeg_mem_dest allocates with malloc and leaves freeing to us
  if (!ok) return Status::Internal(std::string("JPEG encoder: ") + err.message);
  return out;
}

Result<std::vector<uint8_t>> EncodePng(const Image& image) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  if (png == nullptr) return Status::Internal("PNG encoder: out of memory");
  png_infop info = png_create_info_struct(png);
  std::vector<uint8_t> out;
  const bool ok = info != nullptr && WritePng(png, info, image, out);
  png_destroy_write_struct(&png, &info);
  if (!ok) return Status::Internal("PNG encoder failed");
  return out;
}

Result<std::vector<BenchImage>> MakeBenchImages(const std::string& testdata_dir) {
  const std::string images = testdata_dir + "/pdq/images/";
  const std::string bridge_path = images + "bridge-mods/aaa-orig.jpg";
  const std::string big_path = images + "reg-test-input/exif-rotn/exif-rotn-1.jpg";
  WARDEN_ASSIGN_OR_RETURN(std::vector<uint8_t> bridge_bytes, ReadFileBytes(bridge_path));
  WARDEN_ASSIGN_OR_RETURN(std::vector<uint8_t> big_bytes, ReadFileBytes(big_path));
  WARDEN_ASSIGN_OR_RETURN(Image bridge, DecodeFile(bridge_path));
  WARDEN_ASSIGN_OR_RETURN(Image big, DecodeFile(big_path));

  // Reference CLI images/s from PDQ.md, "Reference cost".
  std::vector<BenchImage> out;
  const int side = std::min(bridge.width, bridge.height);
  const Image small = ResizeArea(bridge, (bridge.width - side) / 2, (bridge.height - side) / 2,
                                 side, side, 256, 256);
  WARDEN_ASSIGN_OR_RETURN(std::vector<uint8_t> small_jpeg, EncodeJpeg(small, 90));
  out.push_back(Made("jpeg-256", ImageFormat::kJpeg, small, std::move(small_jpeg), 46));
  out.push_back(Made("jpeg-1600", ImageFormat::kJpeg, bridge, std::move(bridge_bytes), 12.3));

  // A 16:10 crop of the 4:3 photo, so the 2560x1600 image is not stretched.
  const int crop_h = big.width * 10 / 16;
  const Image wide = ResizeArea(big, 0, (big.height - crop_h) / 2, big.width, crop_h, 2560, 1600);
  WARDEN_ASSIGN_OR_RETURN(std::vector<uint8_t> wide_jpeg, EncodeJpeg(wide, 90));
  WARDEN_ASSIGN_OR_RETURN(std::vector<uint8_t> wide_png, EncodePng(wide));
  out.push_back(Made("jpeg-2560", ImageFormat::kJpeg, wide, std::move(wide_jpeg), 6.2));
  out.push_back(Made("jpeg-4032", ImageFormat::kJpeg, big, std::move(big_bytes), 2.6));
  out.push_back(Made("png-2560", ImageFormat::kPng, wide, std::move(wide_png), 3.7));
  return out;
}

}  // namespace warden::bench
