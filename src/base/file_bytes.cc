#include "warden/file_bytes.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/core.h>

namespace warden {
namespace {

Status ErrnoStatus(int err) {
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return Status::NotFound("no such file");
    case EACCES:
    case EPERM:
      return Status::PermissionDenied("unreadable: permission denied");
    case EISDIR:
      return Status::InvalidArgument("is a directory");
    default:
      return Status::IoError(fmt::format("unreadable: {}", std::strerror(err)));
  }
}

}  // namespace

Result<std::vector<uint8_t>> ReadFileBytes(const std::string& path, uint64_t max_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return ErrnoStatus(err);
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return Status::InvalidArgument("is a directory (use -r to hash a directory)");
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::InvalidArgument("not a regular file");
  }
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    ::close(fd);
    return Status::TooLarge(
        fmt::format("file is {} bytes, over the limit of {} bytes", st.st_size, max_bytes));
  }
  std::vector<uint8_t> bytes(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::read(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return ErrnoStatus(err);
    }
    if (n == 0) break;  // the file shrank while we read it
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  bytes.resize(done);
  return bytes;
}

Result<std::vector<uint8_t>> ReadStreamBytes(std::FILE* stream, uint64_t max_bytes) {
  std::vector<uint8_t> bytes;
  uint8_t buf[1 << 16];
  for (;;) {
    size_t n = std::fread(buf, 1, sizeof buf, stream);
    if (n > 0) {
      if (bytes.size() + n > max_bytes) {
        return Status::TooLarge(fmt::format("input is over the limit of {} bytes", max_bytes));
      }
      bytes.insert(bytes.end(), buf, buf + n);
    }
    if (n < sizeof buf) {
      if (std::ferror(stream)) return Status::IoError("read failed");
      break;
    }
  }
  return bytes;
}

}  // namespace warden
