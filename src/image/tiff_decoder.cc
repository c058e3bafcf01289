// TIFF through libtiff, first directory only, via the RGBA interface (TIFFRGBAImageGet),
// which handles every photometric, bit depth and compression libtiff supports. Alpha is
// dropped; 1-sample grey images (MINISBLACK/MINISWHITE) come out as 1 channel. 16-bit samples
// are reduced to 8 by libtiff's RGBA interface.
//
// Errors and warnings go to per-handle handlers (libtiff >= 4.5 TIFFOpenOptions) that keep the
// first error message for the Status; nothing reaches stderr.
#include <tiffio.h>

#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "src/image/decoders.h"

namespace warden::image_internal {
namespace {

// The largest single allocation libtiff may make for one file (strip buffers, tag arrays).
// Hostile headers can claim huge strips; real ones stay within max_pixels * 8 bytes.
constexpr tmsize_t kMaxTiffAlloc = tmsize_t{1} << 30;

struct TiffReader {
  std::span<const uint8_t> bytes;
  uint64_t offset = 0;
  bool ran_out = false;
  std::string error;  // the first error libtiff reported
};

tmsize_t ReadProc(thandle_t handle, void* out, tmsize_t size) {
  auto* reader = static_cast<TiffReader*>(handle);
  if (size <= 0) return 0;
  const uint64_t left =
      reader->offset < reader->bytes.size() ? reader->bytes.size() - reader->offset : 0;
  uint64_t n = static_cast<uint64_t>(size);
  if (n > left) {
    reader->ran_out = true;
    n = left;
  }
  if (n > 0) std::memcpy(out, reader->bytes.data() + reader->offset, n);
  reader->offset += n;
  return static_cast<tmsize_t>(n);
}

tmsize_t WriteProc(thandle_t, void*, tmsize_t) { return 0; }

toff_t SeekProc(thandle_t handle, toff_t offset, int whence) {
  auto* reader = static_cast<TiffReader*>(handle);
  switch (whence) {
    case SEEK_SET:
      reader->offset = offset;
      break;
    case SEEK_CUR:
      reader->offset += offset;
      break;
    case SEEK_END:
      reader->offset = reader->bytes.size() + offset;
      break;
    default:
      return static_cast<toff_t>(-1);
  }
  return reader->offset;
}

int CloseProc(thandle_t) { return 0; }
toff_t SizeProc(thandle_t handle) { return static_cast<TiffReader*>(handle)->bytes.size(); }
// No memory mapping: every read goes through ReadProc, which notices reads past the end.
int MapProc(thandle_t, void**, toff_t*) { return 0; }
void UnmapProc(thandle_t, void*, toff_t) {}

int OnTiffError(TIFF*, void* user_data, const char* module, const char* format, va_list args) {
  auto* reader = static_cast<TiffReader*>(user_data);
  if (reader->error.empty()) {
    char message[512];
    std::vsnprintf(message, sizeof(message), format, args);
    reader->error = std::string(module != nullptr ? module : "libtiff") + ": " + message;
  }
  return 1;  // handled: libtiff calls no global handler
}

int OnTiffWarning(TIFF*, void*, const char*, const char*, va_list) { return 1; }

// A few libtiff paths report through the global handlers without a handle; silence those
// once for the process (the only global state here, and libtiff's own).
void SilenceGlobalHandlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    TIFFSetErrorHandler(nullptr);
    TIFFSetWarningHandler(nullptr);
  });
}

Status Failure(const TiffReader& reader, const char* what) {
  if (reader.ran_out) return Status::Truncated(std::string("TIFF: premature end of data ") + what);
  return Status::CorruptData(std::string("TIFF: ") + what + ": " +
                             (reader.error.empty() ? "unknown error" : reader.error));
}

class TiffHandle {
 public:
  explicit TiffHandle(TIFF* tif) : tif_(tif) {}
  ~TiffHandle() {
    if (tif_ != nullptr) TIFFClose(tif_);
  }
  TiffHandle(const TiffHandle&) = delete;
  TiffHandle& operator=(const TiffHandle&) = delete;
  TIFF* get() const { return tif_; }

 private:
  TIFF* tif_;
};

}  // namespace

Result<Image> DecodeTiff(std::span<const uint8_t> bytes, const DecodeOptions& options) {
  SilenceGlobalHandlers();
  TiffReader reader;
  reader.bytes = bytes;
  TIFFOpenOptions* open_options = TIFFOpenOptionsAlloc();
  if (open_options == nullptr) return Status::Internal("TIFF: cannot allocate open options");
  TIFFOpenOptionsSetMaxSingleMemAlloc(open_options, kMaxTiffAlloc);
  TIFFOpenOptionsSetErrorHandlerExtR(open_options, OnTiffError, &reader);
  TIFFOpenOptionsSetWarningHandlerExtR(open_options, OnTiffWarning, &reader);
  TiffHandle handle(TIFFClientOpenExt("memory", "rm", &reader, ReadProc, WriteProc, SeekProc,
                                      CloseProc, SizeProc, MapProc, UnmapProc, open_options));
  TIFFOpenOptionsFree(open_options);
  TIFF* tif = handle.get();
  if (tif == nullptr) return Failure(reader, "reading the header");

  uint32_t width = 0;
  uint32_t height = 0;
  if (!TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &width) ||
      !TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &height)) {
    return Status::CorruptData("TIFF: image size tags are missing");
  }
  WARDEN_RETURN_IF_ERROR(CheckDimensions("TIFF", width, height, options));

  char why[1024] = {};
  if (!TIFFRGBAImageOK(tif, why)) {
    return Status::UnsupportedFormat(std::string("TIFF: cannot convert to RGB: ") + why);
  }
  uint16_t photometric = PHOTOMETRIC_RGB;
  uint16_t samples = 1;
  uint16_t extra_count = 0;
  uint16_t* extra = nullptr;
  TIFFGetFieldDefaulted(tif, TIFFTAG_PHOTOMETRIC, &photometric);
  TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &samples);
  TIFFGetFieldDefaulted(tif, TIFFTAG_EXTRASAMPLES, &extra_count, &extra);
  const bool grey =
      (photometric == PHOTOMETRIC_MINISBLACK || photometric == PHOTOMETRIC_MINISWHITE) &&
      samples - extra_count == 1;

  std::vector<uint32_t> raster(static_cast<size_t>(width) * height);
  TIFFRGBAImage rgba;
  if (!TIFFRGBAImageBegin(&rgba, tif, /*stop=*/1, why)) {
    return Status::UnsupportedFormat(std::string("TIFF: cannot convert to RGB: ") + why);
  }
  // libtiff premultiplies unassociated alpha through the UaToAa table (v * a / 255). Warden
  // drops alpha without compositing (warden/image.h), so make the table the identity.
  if (rgba.UaToAa != nullptr) {
    for (int a = 0; a < 256; ++a) {
      for (int v = 0; v < 256; ++v) rgba.UaToAa[a * 256 + v] = static_cast<uint8_t>(v);
    }
  }
  rgba.req_orientation = ORIENTATION_TOPLEFT;
  const int got = TIFFRGBAImageGet(&rgba, raster.data(), width, height);
  TIFFRGBAImageEnd(&rgba);
  if (!got) return Failure(reader, "reading pixels");
  Image image;
  const int channels = grey ? 1 : 3;
  AllocateImage(image, ImageFormat::kTiff, static_cast<int>(width), static_cast<int>(height),
                channels, options);
  uint8_t* out = image.pixels.data();
  for (uint32_t abgr : raster) {
    if (grey) {
      *out++ = static_cast<uint8_t>(TIFFGetR(abgr));
    } else {
      *out++ = static_cast<uint8_t>(TIFFGetR(abgr));
      *out++ = static_cast<uint8_t>(TIFFGetG(abgr));
      *out++ = static_cast<uint8_t>(TIFFGetB(abgr));
    }
  }
  return image;
}

}  // namespace warden::image_internal
