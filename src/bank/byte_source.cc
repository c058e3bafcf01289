#include "src/bank/byte_source.h"

#include <algorithm>
#include <cstring>

namespace warden {

bool ByteSource::Fill() {
  if (!status_.ok() || in_.eof()) return false;
  in_.read(buf_, sizeof(buf_));
  std::streamsize n = in_.gcount();
  if (in_.bad()) {
    status_ = Status::IoError("read error on the input stream");
    return false;
  }
  pos_ = 0;
  end_ = static_cast<size_t>(n);
  return end_ > 0;
}

bool ByteSource::ReadLine(std::string* out, size_t max, bool* too_long) {
  out->clear();
  *too_long = false;
  if (Peek() == kEof) return false;
  // Scan the buffer with memchr rather than byte by byte: the pytx import of a million lines
  // spends most of its parsing time here.
  while (true) {
    if (pos_ == end_ && !Fill()) break;
    const char* start = buf_ + pos_;
    size_t avail = end_ - pos_;
    const void* nl = std::memchr(start, '\n', avail);
    size_t take = nl ? static_cast<size_t>(static_cast<const char*>(nl) - start) : avail;
    size_t room = max - std::min(max, out->size());
    if (take > room) {
      *too_long = true;
      out->append(start, room);
    } else {
      out->append(start, take);
    }
    pos_ += take;
    if (nl) {
      ++pos_;
      ++line_;
      break;
    }
  }
  if (!*too_long && !out->empty() && out->back() == '\r') out->pop_back();
  return true;
}

}  // namespace warden
