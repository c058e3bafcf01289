// GIF through giflib 5, first frame only. The result has the logical screen's size, filled
// with the background colour, with the first frame's pixels drawn at its offset through its
// colour map (local, else global). Transparency is ignored like alpha elsewhere: a transparent
// index shows its colour-map colour. If the first frame reaches outside the logical screen,
// the canvas grows to hold it (browsers do the same), so no decoded pixel is thrown away.
//
// Records are read one by one up to the first image, so later frames are never parsed.
#include <gif_lib.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "src/image/decoders.h"

namespace warden::image_internal {
namespace {

struct GifReader {
  std::span<const uint8_t> bytes;
  size_t offset = 0;
  bool ran_out = false;
};

int ReadFromMemory(GifFileType* gif, GifByteType* out, int length) {
  auto* reader = static_cast<GifReader*>(gif->UserData);
  if (length < 0) return 0;
  const size_t left = reader->bytes.size() - reader->offset;
  size_t n = static_cast<size_t>(length);
  if (n > left) {
    reader->ran_out = true;
    n = left;
  }
  if (n > 0) std::memcpy(out, reader->bytes.data() + reader->offset, n);
  reader->offset += n;
  return static_cast<int>(n);
}

Status GifFailure(const GifReader& reader, int error, const char* what) {
  if (reader.ran_out) return Status::Truncated(std::string("GIF: premature end of data ") + what);
  const char* message = GifErrorString(error);
  return Status::CorruptData(std::string("GIF: ") + what + ": " +
                             (message != nullptr ? message : "unknown error"));
}

// Owns the giflib handle so every return path closes it.
class GifHandle {
 public:
  explicit GifHandle(GifFileType* gif) : gif_(gif) {}
  ~GifHandle() {
    if (gif_ != nullptr) {
      int ignored = 0;
      DGifCloseFile(gif_, &ignored);
    }
  }
  GifHandle(const GifHandle&) = delete;
  GifHandle& operator=(const GifHandle&) = delete;
  GifFileType* get() const { return gif_; }

 private:
  GifFileType* gif_;
};

// Skips records until the first image descriptor has been read.
Status ReadUpToFirstImage(GifFileType* gif, const GifReader& reader) {
  for (;;) {
    GifRecordType type;
    if (DGifGetRecordType(gif, &type) == GIF_ERROR) {
      return GifFailure(reader, gif->Error, "reading a record");
    }
    switch (type) {
      case IMAGE_DESC_RECORD_TYPE:
        if (DGifGetImageDesc(gif) == GIF_ERROR) {
          return GifFailure(reader, gif->Error, "reading the image descriptor");
        }
        return Status::Ok();
      case EXTENSION_RECORD_TYPE: {
        int code = 0;
        GifByteType* block = nullptr;
        if (DGifGetExtension(gif, &code, &block) == GIF_ERROR) {
          return GifFailure(reader, gif->Error, "reading an extension");
        }
        while (block != nullptr) {
          if (DGifGetExtensionNext(gif, &block) == GIF_ERROR) {
            return GifFailure(reader, gif->Error, "reading an extension");
          }
        }
        break;
      }
      case TERMINATE_RECORD_TYPE:
        return Status::CorruptData("GIF: file holds no image");
      default:
        return Status::CorruptData("GIF: unknown record type");
    }
  }
}

}  // namespace

Result<Image> DecodeGif(std::span<const uint8_t> bytes, const DecodeOptions& options) {
  GifReader reader;
  reader.bytes = bytes;
  int error = 0;
  GifHandle handle(DGifOpen(&reader, ReadFromMemory, &error));
  GifFileType* gif = handle.get();
  if (gif == nullptr) return GifFailure(reader, error, "reading the header");
  // Screen and frame sizes are 16-bit, so these checks cannot overflow; they come before the
  // canvas exists.
  WARDEN_RETURN_IF_ERROR(ReadUpToFirstImage(gif, reader));
  const GifImageDesc& desc = gif->Image;
  const int canvas_width = std::max(gif->SWidth, desc.Left + desc.Width);
  const int canvas_height = std::max(gif->SHeight, desc.Top + desc.Height);
  WARDEN_RETURN_IF_ERROR(CheckDimensions("GIF", static_cast<uint64_t>(canvas_width),
                                         static_cast<uint64_t>(canvas_height), options));
  const ColorMapObject* map = desc.ColorMap != nullptr ? desc.ColorMap : gif->SColorMap;
  if (map == nullptr || map->Colors == nullptr || map->ColorCount <= 0) {
    return Status::CorruptData("GIF: first frame has no colour map");
  }

  Image image;
  AllocateImage(image, ImageFormat::kGif, canvas_width, canvas_height, 3, options);
  // The background colour indexes the global map (GIF89a 18); without one it stays black.
  if (gif->SColorMap != nullptr && gif->SBackGroundColor >= 0 &&
      gif->SBackGroundColor < gif->SColorMap->ColorCount) {
    const GifColorType bg = gif->SColorMap->Colors[gif->SBackGroundColor];
    for (size_t i = 0; i < image.pixels.size(); i += 3) {
      image.pixels[i] = bg.Red;
      image.pixels[i + 1] = bg.Green;
      image.pixels[i + 2] = bg.Blue;
    }
  }

  // Interlaced frames store rows in four passes (GIF89a appendix E).
  static constexpr int kPassStart[] = {0, 4, 2, 1};
  static constexpr int kPassStep[] = {8, 8, 4, 2};
  std::vector<int> row_order;
  row_order.reserve(static_cast<size_t>(desc.Height));
  if (desc.Width <= 0) {
    // An empty frame: only the background shows.
  } else if (desc.Interlace) {
    for (int pass = 0; pass < 4; ++pass) {
      for (int y = kPassStart[pass]; y < desc.Height; y += kPassStep[pass]) row_order.push_back(y);
    }
  } else {
    for (int y = 0; y < desc.Height; ++y) row_order.push_back(y);
  }
  std::vector<GifPixelType> line(static_cast<size_t>(desc.Width));
  for (int y : row_order) {
    if (DGifGetLine(gif, line.data(), desc.Width) == GIF_ERROR) {
      return GifFailure(reader, gif->Error, "reading pixels");
    }
    uint8_t* out =
        image.pixels.data() + (static_cast<size_t>(desc.Top + y) * canvas_width + desc.Left) * 3;
    for (int x = 0; x < desc.Width; ++x) {
      // An index past the map's end has no colour: black, as most viewers show it.
      if (line[x] < map->ColorCount) {
        const GifColorType c = map->Colors[line[x]];
        out[3 * x] = c.Red;
        out[3 * x + 1] = c.Green;
        out[3 * x + 2] = c.Blue;
      } else {
        out[3 * x] = out[3 * x + 1] = out[3 * x + 2] = 0;
      }
    }
  }
  return image;
}

}  // namespace warden::image_internal
