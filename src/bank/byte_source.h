// ByteSource: a buffered, line-counting reader of bytes from a std::istream, shared by the
// bank format readers so that none of them loads a whole file into memory.
//
// Thread safety: single-threaded; one per stream.
#ifndef WARDEN_SRC_BANK_BYTE_SOURCE_H_
#define WARDEN_SRC_BANK_BYTE_SOURCE_H_

#include <cstdint>
#include <istream>
#include <string>

#include "warden/status.h"

namespace warden {

class ByteSource {
 public:
  static constexpr int kEof = -1;

  explicit ByteSource(std::istream& in) : in_(in) {}

  // The next byte (0..255) without consuming it, or kEof.
  int Peek() {
    if (pos_ == end_ && !Fill()) return kEof;
    return static_cast<unsigned char>(buf_[pos_]);
  }
  // Consumes and returns the next byte (0..255), or kEof. A consumed '\n' advances line().
  int Get() {
    if (pos_ == end_ && !Fill()) return kEof;
    char c = buf_[pos_++];
    if (c == '\n') ++line_;
    return static_cast<unsigned char>(c);
  }
  // The 1-based line of the next byte to be read.
  int64_t line() const { return line_; }

  // Reads up to and including the next '\n' (or to the end). *out gets the line without the
  // '\n' and without a trailing '\r'; if the line has more than `max` bytes, *out holds the
  // first `max` and *too_long is set (the rest is consumed, not stored). Returns false if
  // there was nothing left to read.
  bool ReadLine(std::string* out, size_t max, bool* too_long);

  // OK unless the underlying stream failed with a read error (badbit).
  Status status() const { return status_; }

 private:
  bool Fill();

  std::istream& in_;
  char buf_[1 << 16];
  size_t pos_ = 0;
  size_t end_ = 0;
  int64_t line_ = 1;
  Status status_;
};

}  // namespace warden

#endif  // WARDEN_SRC_BANK_BYTE_SOURCE_H_
