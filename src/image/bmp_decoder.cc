// BMP, parsed here (no library): BITMAPCOREHEADER, BITMAPINFOHEADER and its V2-V5 extensions;
// 1/4/8-bit palettes, 16/24/32-bit BI_RGB, 16/32-bit BI_BITFIELDS (and BI_ALPHABITFIELDS);
// BI_RLE8 and BI_RLE4; bottom-up and top-down rows. Embedded JPEG/PNG and other compressions
// are refused as unsupported. Every read is bounds-checked against the input: it is hostile.
//
// Palette images come out RGB, except when the palette is exactly the grey ramp (0..n-1 for
// n > 2 colours, {0, 255} for 2), which comes out as 1-channel grey: the rule PIL applies, so
// the PDQ luma of such files matches PIL-based pipelines.
#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "src/image/decoders.h"

namespace warden::image_internal {
namespace {

constexpr size_t kFileHeaderSize = 14;

uint32_t Le16(const uint8_t* p) { return uint32_t{p[0]} | (uint32_t{p[1]} << 8); }
uint32_t Le32(const uint8_t* p) {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}

// Compression values (MS-WMF 2.1.1.7).
constexpr uint32_t kBiRgb = 0;
constexpr uint32_t kBiRle8 = 1;
constexpr uint32_t kBiRle4 = 2;
constexpr uint32_t kBiBitfields = 3;
constexpr uint32_t kBiAlphaBitfields = 6;

// One colour field of a BI_BITFIELDS pixel: its mask and how to scale it to 0..255.
struct Field {
  uint32_t mask = 0;
  int shift = 0;
  int bits = 0;

  static Field FromMask(uint32_t m) {
    Field f;
    f.mask = m;
    if (m != 0) {
      f.shift = std::countr_zero(m);
      f.bits = std::popcount(m);
    }
    return f;
  }
  // Contiguous and non-empty masks only (others have no sensible meaning).
  bool valid() const {
    if (bits == 0) return false;
    const uint32_t run = mask >> shift;
    return (run & (run + 1)) == 0;  // contiguous: run is 2^bits - 1 (wraps to 0 for 32 bits)
  }
  // Scales a field to 8 bits by repeating its bits (5-bit abcde -> abcdeabc), as ImageMagick
  // does; wider fields keep their top 8 bits.
  uint8_t Extract(uint32_t pixel) const {
    const uint32_t v = (pixel & mask) >> shift;
    if (bits >= 8) return static_cast<uint8_t>(v >> (bits - 8));
    uint32_t out = 0;
    for (int filled = 0; filled < 8; filled += bits) out = (out << bits) | v;
    const int total = ((8 + bits - 1) / bits) * bits;
    return static_cast<uint8_t>(out >> (total - 8));
  }
};

struct BmpHeader {
  uint32_t pixel_offset = 0;
  uint32_t header_size = 0;
  int64_t width = 0;
  int64_t height = 0;  // negative: rows stored top-down
  uint32_t bpp = 0;
  uint32_t compression = kBiRgb;
  uint32_t colors_used = 0;
  Field red, green, blue;
  size_t palette_offset = 0;  // file offset of the colour table
  size_t palette_entry_size = 4;
};

Status ParseHeader(std::span<const uint8_t> bytes, BmpHeader& h) {
  if (bytes.size() < kFileHeaderSize + 4) return Status::Truncated("BMP: premature end of header");
  h.pixel_offset = Le32(bytes.data() + 10);
  const uint8_t* dib = bytes.data() + kFileHeaderSize;
  h.header_size = Le32(dib);
  if (h.header_size != 12 && h.header_size != 40 && h.header_size != 52 && h.header_size != 56 &&
      h.header_size != 108 && h.header_size != 124) {
    return Status::UnsupportedFormat("BMP: unsupported header size " +
                                     std::to_string(h.header_size));
  }
  if (bytes.size() < kFileHeaderSize + h.header_size) {
    return Status::Truncated("BMP: premature end of header");
  }
  if (h.header_size == 12) {  // BITMAPCOREHEADER: 16-bit unsigned sizes, 3-byte palette
    h.width = Le16(dib + 4);
    h.height = Le16(dib + 6);
    h.bpp = Le16(dib + 10);
    h.palette_entry_size = 3;
  } else {
    h.width = static_cast<int32_t>(Le32(dib + 4));
    h.height = static_cast<int32_t>(Le32(dib + 8));
    h.bpp = Le16(dib + 14);
    h.compression = Le32(dib + 16);
    h.colors_used = Le32(dib + 32);
  }
  h.palette_offset = kFileHeaderSize + h.header_size;
  if (h.compression == kBiBitfields || h.compression == kBiAlphaBitfields) {
    // V2+ headers hold the masks; a plain INFO header is followed by them (12 or 16 bytes).
    size_t mask_offset = kFileHeaderSize + 40;
    if (h.header_size == 40) {
      h.palette_offset += h.compression == kBiAlphaBitfields ? 16 : 12;
    }
    if (bytes.size() < mask_offset + 12) return Status::Truncated("BMP: premature end of masks");
    h.red = Field::FromMask(Le32(bytes.data() + mask_offset));
    h.green = Field::FromMask(Le32(bytes.data() + mask_offset + 4));
    h.blue = Field::FromMask(Le32(bytes.data() + mask_offset + 8));
    if (h.bpp != 16 && h.bpp != 32) {
      return Status::CorruptData("BMP: bit fields with " + std::to_string(h.bpp) + " bits/pixel");
    }
    if (!h.red.valid() || !h.green.valid() || !h.blue.valid()) {
      return Status::CorruptData("BMP: colour masks are empty or not contiguous");
    }
  } else if (h.compression == kBiRle8 || h.compression == kBiRle4) {
    if (h.bpp != (h.compression == kBiRle8 ? 8u : 4u)) {
      return Status::CorruptData("BMP: RLE with " + std::to_string(h.bpp) + " bits per pixel");
    }
  } else if (h.compression != kBiRgb) {
    return Status::UnsupportedFormat("BMP: compression " + std::to_string(h.compression) +
                                     " (JPEG, PNG or other) is not supported");
  } else if (h.bpp == 16) {
    h.red = Field::FromMask(0x7C00);
    h.green = Field::FromMask(0x03E0);
    h.blue = Field::FromMask(0x001F);
  }
  if (h.bpp != 1 && h.bpp != 4 && h.bpp != 8 && h.bpp != 16 && h.bpp != 24 && h.bpp != 32) {
    return Status::CorruptData("BMP: " + std::to_string(h.bpp) + " bits per pixel");
  }
  return Status::Ok();
}

// Expands BI_RLE8 / BI_RLE4 data (MS-WMF 2.1.1.7 and 3.1.6) into one palette index per pixel,
// rows top-down. Pixels the data skips (deltas, early end of line) keep index 0. Errors:
// kTruncated when the data ends before the last row without an end-of-bitmap marker.
Status ExpandRle(std::span<const uint8_t> data, bool rle4, uint64_t width, uint64_t height,
                 std::vector<uint8_t>& indices) {
  indices.assign(width * height, 0);
  uint64_t x = 0;
  uint64_t y = 0;  // counted from the bottom row, as RLE bitmaps are stored
  size_t pos = 0;
  auto put = [&](uint8_t index) {
    if (x < width && y < height) indices[(height - 1 - y) * width + x] = index;
    ++x;
  };
  while (y < height) {
    if (pos + 2 > data.size()) return Status::Truncated("BMP: premature end of RLE data");
    const uint8_t count = data[pos];
    const uint8_t value = data[pos + 1];
    pos += 2;
    if (count > 0) {  // encoded run: RLE4 alternates the byte's two nibbles
      for (int i = 0; i < count; ++i) {
        put(rle4 ? static_cast<uint8_t>(i % 2 == 0 ? value >> 4 : value & 0x0F) : value);
      }
    } else if (value == 0) {  // end of line
      x = 0;
      ++y;
    } else if (value == 1) {  // end of bitmap
      break;
    } else if (value == 2) {  // delta: move right and up
      if (pos + 2 > data.size()) return Status::Truncated("BMP: premature end of RLE data");
      x += data[pos];
      y += data[pos + 1];
      pos += 2;
    } else {  // absolute run of `value` pixels, padded to a 16-bit boundary
      const size_t run_bytes = rle4 ? (value + 1u) / 2 : value;
      if (pos + run_bytes > data.size()) return Status::Truncated("BMP: premature end of RLE data");
      for (int i = 0; i < value; ++i) {
        const uint8_t b = data[pos + (rle4 ? i / 2 : i)];
        put(rle4 ? static_cast<uint8_t>(i % 2 == 0 ? b >> 4 : b & 0x0F) : b);
      }
      pos += run_bytes + (run_bytes & 1);
    }
  }
  return Status::Ok();
}

}  // namespace

Result<Image> DecodeBmp(std::span<const uint8_t> bytes, const DecodeOptions& options) {
  BmpHeader h;
  WARDEN_RETURN_IF_ERROR(ParseHeader(bytes, h));
  if (h.width <= 0 || h.height == 0 || h.height == INT32_MIN) {
    return Status::CorruptData("BMP: image is " + std::to_string(h.width) + "x" +
                               std::to_string(h.height));
  }
  const bool top_down = h.height < 0;
  const uint64_t width = static_cast<uint64_t>(h.width);
  const uint64_t height = static_cast<uint64_t>(top_down ? -h.height : h.height);
  WARDEN_RETURN_IF_ERROR(CheckDimensions("BMP", width, height, options));

  // Colour table: colors_used entries, or all 2^bpp when it says 0; never more than 2^bpp.
  std::vector<uint8_t> palette;  // RGB triples
  bool grey_ramp = false;
  if (h.bpp <= 8) {
    const uint32_t max_colors = 1u << h.bpp;
    const uint32_t colors =
        h.colors_used == 0 || h.colors_used > max_colors ? max_colors : h.colors_used;
    if (h.palette_offset + static_cast<size_t>(colors) * h.palette_entry_size > bytes.size()) {
      return Status::Truncated("BMP: premature end of colour table");
    }
    palette.resize(static_cast<size_t>(colors) * 3);
    grey_ramp = true;
    for (uint32_t i = 0; i < colors; ++i) {
      const uint8_t* e = bytes.data() + h.palette_offset + i * h.palette_entry_size;
      palette[3 * i] = e[2];  // stored blue, green, red
      palette[3 * i + 1] = e[1];
      palette[3 * i + 2] = e[0];
      const uint32_t ramp = colors == 2 ? i * 255 : i;
      if (e[0] != ramp || e[1] != ramp || e[2] != ramp) grey_ramp = false;
    }
  }

  const bool rle = h.compression == kBiRle8 || h.compression == kBiRle4;
  if (rle && top_down) return Status::CorruptData("BMP: RLE bitmap stored top-down");
  const uint64_t stride = (width * h.bpp + 31) / 32 * 4;
  if (h.pixel_offset > bytes.size()) return Status::Truncated("BMP: premature end of pixel data");
  std::vector<uint8_t> rle_indices;
  if (rle) {
    WARDEN_RETURN_IF_ERROR(ExpandRle(bytes.subspan(h.pixel_offset), h.compression == kBiRle4, width,
                                     height, rle_indices));
  } else if (stride * height > bytes.size() - h.pixel_offset) {
    return Status::Truncated("BMP: premature end of pixel data");
  }
  Image image;
  const int channels = grey_ramp ? 1 : 3;
  AllocateImage(image, ImageFormat::kBmp, static_cast<int>(width), static_cast<int>(height),
                channels, options);
  const size_t palette_size = palette.size() / 3;
  for (uint64_t y = 0; y < height; ++y) {
    // Unused for RLE, whose rows are in rle_indices instead.
    const uint8_t* in =
        rle ? nullptr : bytes.data() + h.pixel_offset + (top_down ? y : height - 1 - y) * stride;
    uint8_t* out = image.pixels.data() + y * width * channels;
    for (uint64_t x = 0; x < width; ++x) {
      switch (h.bpp) {
        case 1:
        case 4:
        case 8: {
          // Pixels are packed from the most significant bits of each byte.
          const uint64_t bit = x * h.bpp;
          const uint32_t index = rle ? rle_indices[y * width + x]
                                     : (in[bit / 8] >> (8 - h.bpp - bit % 8)) & ((1u << h.bpp) - 1);
          // An index past the table has no colour: black.
          const uint8_t* rgb = index < palette_size ? &palette[3 * index] : nullptr;
          if (channels == 1) {
            out[x] = rgb != nullptr ? rgb[0] : 0;
          } else {
            for (int c = 0; c < 3; ++c) out[3 * x + c] = rgb != nullptr ? rgb[c] : 0;
          }
          break;
        }
        case 24:
          out[3 * x] = in[3 * x + 2];
          out[3 * x + 1] = in[3 * x + 1];
          out[3 * x + 2] = in[3 * x];
          break;
        case 16:
        case 32: {
          if (h.bpp == 32 && h.compression == kBiRgb) {  // B, G, R, unused
            out[3 * x] = in[4 * x + 2];
            out[3 * x + 1] = in[4 * x + 1];
            out[3 * x + 2] = in[4 * x];
            break;
          }
          const uint32_t pixel = h.bpp == 16 ? Le16(in + 2 * x) : Le32(in + 4 * x);
          out[3 * x] = h.red.Extract(pixel);
          out[3 * x + 1] = h.green.Extract(pixel);
          out[3 * x + 2] = h.blue.Extract(pixel);
          break;
        }
        default:
          break;
      }
    }
  }
  return image;
}

}  // namespace warden::image_internal
