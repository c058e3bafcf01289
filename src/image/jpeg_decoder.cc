// JPEG through libjpeg-turbo. libjpeg's default error handler calls exit(); ours formats the
// message and longjmps back to DecodeScanlines, the one frame that calls setjmp. Nothing with a
// destructor lives in that frame, so the jump skips no C++ cleanup.
//
// The default settings (JDCT_ISLOW, fancy upsampling, no quantization) are what PIL and
// ImageMagick use on Debian 12 with libjpeg-turbo 2.1.5, so RGB and grey pixels equal theirs
// byte for byte and the bit-exact PDQ pipelines reproduce (PDQ.md).
// clang-format off
#include <cstdio>  // jpeglib.h needs FILE and size_t declared first.
#include <jerror.h>
#include <jpeglib.h>
// clang-format on

#include <algorithm>
#include <csetjmp>
#include <string>
#include <vector>

#include "src/image/cmyk.h"
#include "src/image/decoders.h"

namespace warden::image_internal {
namespace {

// A hostile progressive JPEG can hold thousands of tiny scans, each of which makes libjpeg
// walk every coefficient again; real encoders write at most a few dozen.
constexpr int kMaxScans = 1000;

struct JpegErrorManager {
  jpeg_error_mgr pub;  // first member: libjpeg hands us a pointer to it
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX] = {};
  bool premature_end = false;
  int scans = 0;
};

[[noreturn]] void OnJpegError(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

// Called for warnings (level -1) and trace messages (level >= 0). A truncated file makes
// libjpeg warn JWRN_JPEG_EOF and pad the rest with grey: that is a failure for us, so stop at
// once instead of decoding the padding. Other warnings (corrupt data that libjpeg skips) are
// accepted like PIL and ImageMagick accept them. Nothing is printed.
void OnJpegMessage(j_common_ptr cinfo, int msg_level) {
  auto* err = reinterpret_cast<JpegErrorManager*>(cinfo->err);
  if (msg_level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) {
    err->premature_end = true;
    std::longjmp(err->jump, 1);
  }
  if (cinfo->err->msg_code == JTRC_SOS && ++err->scans > kMaxScans) {
    std::snprintf(err->message, sizeof(err->message), "more than %d scans", kMaxScans);
    std::longjmp(err->jump, 1);
  }
}

void IgnoreJpegOutput(j_common_ptr) {}

// The largest denominator <= `denom` (1, 2, 4 or 8) keeping both sides >= min_side.
// libjpeg's output size at 1/d is ceil(side / d).
int ChooseScaleDenom(int denom, int min_side, JDIMENSION width, JDIMENSION height) {
  while (denom > 1) {
    const JDIMENSION w = (width + denom - 1) / denom;
    const JDIMENSION h = (height + denom - 1) / denom;
    if (min_side <= 0 ||
        (w >= static_cast<JDIMENSION>(min_side) && h >= static_cast<JDIMENSION>(min_side))) {
      break;
    }
    denom /= 2;
  }
  return denom;
}

// Runs libjpeg from the header to the last scanline. Returns false after a libjpeg error
// (err says which). `image` and `cmyk_row` belong to the caller so that a longjmp leaves them
// to be destroyed normally; `status` is set for failures found by our own checks.
bool DecodeScanlines(jpeg_decompress_struct& cinfo, JpegErrorManager& err,
                     std::span<const uint8_t> bytes, const DecodeOptions& options, Image& image,
                     std::vector<uint8_t>& cmyk_row, Status& status) {
  if (setjmp(err.jump) != 0) return false;
  jpeg_create_decompress(&cinfo);
  // jpeg_mem_src only reads through the pointer; the cast is an artefact of its C signature.
  jpeg_mem_src(&cinfo, const_cast<unsigned char*>(bytes.data()),
               static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&cinfo, TRUE);

  status = CheckDimensions("JPEG", cinfo.image_width, cinfo.image_height, options);
  if (!status.ok()) return true;

  const bool cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
  if (cinfo.jpeg_color_space == JCS_GRAYSCALE) {
    cinfo.out_color_space = JCS_GRAYSCALE;
  } else if (cmyk) {
    cinfo.out_color_space = JCS_CMYK;  // libjpeg turns YCCK into CMYK; we make RGB below
  } else {
    cinfo.out_color_space = JCS_RGB;
  }
  if (options.jpeg_fast) {
    cinfo.dct_method = JDCT_IFAST;
    cinfo.do_fancy_upsampling = FALSE;
    if (cinfo.jpeg_color_space == JCS_YCbCr) cinfo.out_color_space = JCS_GRAYSCALE;
  }
  const int denom = ChooseScaleDenom(options.jpeg_scale_denom, options.jpeg_min_side,
                                     cinfo.image_width, cinfo.image_height);
  cinfo.scale_num = 1;
  cinfo.scale_denom = static_cast<unsigned int>(denom);

  jpeg_start_decompress(&cinfo);
  const int channels = cinfo.out_color_space == JCS_GRAYSCALE ? 1 : 3;
  if (cinfo.output_components != (cmyk ? 4 : channels)) {
    status = Status::Internal("JPEG: unexpected " + std::to_string(cinfo.output_components) +
                              " output components");
    return true;
  }
  const int out_channels = cmyk ? 3 : channels;
  AllocateImage(image, ImageFormat::kJpeg, static_cast<int>(cinfo.output_width),
                static_cast<int>(cinfo.output_height), out_channels, options);
  image.source_width = static_cast<int>(cinfo.image_width);
  image.source_height = static_cast<int>(cinfo.image_height);
  const size_t stride = static_cast<size_t>(image.width) * out_channels;

  if (cmyk) {
    // Photoshop, the usual writer of CMYK JPEGs, stores inverted samples and says so with an
    // Adobe APP14 marker.
    const bool inverted = cinfo.saw_Adobe_marker;
    cmyk_row.resize(static_cast<size_t>(image.width) * 4);
    JSAMPROW row = cmyk_row.data();
    while (cinfo.output_scanline < cinfo.output_height) {
      const JDIMENSION y = cinfo.output_scanline;
      if (jpeg_read_scanlines(&cinfo, &row, 1) != 1) break;
      CmykToRgb(cmyk_row.data(), inverted, image.width, image.pixels.data() + y * stride);
    }
  } else {
    // Straight into the output buffer, up to 16 rows a call (libjpeg's largest row group).
    JSAMPROW rows[16];
    while (cinfo.output_scanline < cinfo.output_height) {
      const JDIMENSION y = cinfo.output_scanline;
      const JDIMENSION n = std::min<JDIMENSION>(16, cinfo.output_height - y);
      for (JDIMENSION i = 0; i < n; ++i) rows[i] = image.pixels.data() + (y + i) * stride;
      if (jpeg_read_scanlines(&cinfo, rows, n) == 0) break;
    }
  }
  if (cinfo.output_scanline < cinfo.output_height) {
    status = Status::Truncated("JPEG: premature end of data");
    return true;
  }
  // jpeg_finish_decompress is skipped on purpose: it only reads markers after the last scan,
  // and a broken trailer should not reject pixels that decoded completely.
  return true;
}

}  // namespace

Result<Image> DecodeJpeg(std::span<const uint8_t> bytes, const DecodeOptions& options) {
  const int denom = options.jpeg_scale_denom;
  if (denom != 1 && denom != 2 && denom != 4 && denom != 8) {
    return Status::InvalidArgument("JPEG: scale denominator " + std::to_string(denom) +
                                   " is not 1, 2, 4 or 8");
  }
  jpeg_decompress_struct cinfo{};
  JpegErrorManager err;
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = OnJpegError;
  err.pub.emit_message = OnJpegMessage;
  err.pub.output_message = IgnoreJpegOutput;
  Image image;
  std::vector<uint8_t> cmyk_row;
  Status status;
  const bool decoded = DecodeScanlines(cinfo, err, bytes, options, image, cmyk_row, status);
  jpeg_destroy_decompress(&cinfo);
  if (!decoded) {
    if (err.premature_end) return Status::Truncated("JPEG: premature end of data");
    return Status::CorruptData(std::string("JPEG: ") + err.message);
  }
  if (!status.ok()) return status;
  return image;
}

}  // namespace warden::image_internal
