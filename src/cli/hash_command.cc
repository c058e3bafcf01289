#include "src/cli/hash_command.h"

#include <fmt/core.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string_view>

#include "src/cli/input_paths.h"
#include "src/cli/ordered_pool.h"
#include "warden/file_bytes.h"

namespace warden {
namespace {

// What one worker produced for one input. Written by the worker, read by the printer once the
// pool says the slot is done.
struct Slot {
  std::optional<Result<HashRecord>> result;
};

// Progress on standard error: a single line rewritten in place with '\r'.
class ProgressBar {
 public:
  ProgressBar(std::FILE* err, size_t total, bool enabled)
      : err_(err), total_(total), enabled_(enabled && total > 1) {}

  void Update(size_t done) {
    if (!enabled_) return;
    constexpr size_t kWidth = 30;
    const size_t filled = done * kWidth / total_;
    std::string bar(filled, '#');
    bar.append(kWidth - filled, '.');
    std::fprintf(err_, "\r[%s] %zu/%zu files", bar.c_str(), done, total_);
    std::fflush(err_);
  }
  // Erases the bar so a message or the shell prompt starts on a clean line.
  void Clear() {
    if (!enabled_) return;
    std::fputs("\r\033[K", err_);
  }

 private:
  std::FILE* err_;
  size_t total_;
  bool enabled_;
};

std::string DisplayName(const HashInput& input) {
  return input.is_stdin() ? "(stdin)" : input.path;
}

Result<HashRecord> HashOne(const HashInput& input, const HashOptions& options, std::FILE* in) {
  if (!input.error.ok()) return input.error;
  Result<std::vector<uint8_t>> bytes =
      input.is_stdin() ? ReadStreamBytes(in) : ReadFileBytes(input.path);
  if (!bytes.ok()) return bytes.status();
  return HashImageBytes(*bytes, options);
}

}  // namespace

std::string FailureReason(const Status& status) {
  const char* kind = nullptr;
  switch (status.code()) {
    case StatusCode::kUnsupportedFormat: kind = "unsupported format"; break;
    case StatusCode::kTruncated: kind = "truncated"; break;
    case StatusCode::kCorruptData: kind = "corrupt"; break;
    case StatusCode::kTooLarge: kind = "too large"; break;
    case StatusCode::kPermissionDenied:
    case StatusCode::kIoError: kind = "unreadable"; break;
    default: break;
  }
  if (kind == nullptr || status.message().find(kind) != std::string::npos) {
    return status.message().empty() ? StatusCodeName(status.code()) : status.message();
  }
  return fmt::format("{}: {}", kind, status.message());
}

int RunHashCommand(const HashCommandOptions& options, std::FILE* in, std::FILE* out,
                   std::FILE* err) {
  auto expanded = ExpandInputs(options.paths, options.recursive);
  if (!expanded.ok()) {
    std::fprintf(err, "warden: %s\n", expanded.status().message().c_str());
    return ExitCodeFor(StatusCode::kInvalidArgument);
  }
  const std::vector<HashInput>& inputs = *expanded;

  HashOptions hash_options;
  hash_options.pipeline = options.pipeline;
  hash_options.dihedral = options.dihedral;
  // Digests cost a pass over the bytes; text output never prints them.
  hash_options.digests = OutputFormatHasDigests(options.format);
  hash_options.decode.max_pixels = options.max_pixels;
  hash_options.local = options.local;

  std::fputs(OutputHeader(options.format, options.dihedral, options.local).c_str(), out);

  std::vector<Slot> slots(inputs.size());
  ProgressBar progress(err, inputs.size(), options.progress);
  bool any_failed = false;
  size_t emitted = 0;
  auto work = [&](size_t i) { slots[i].result.emplace(HashOne(inputs[i], hash_options, in)); };
  auto emit = [&](size_t i) {
    const Result<HashRecord>& r = *slots[i].result;
    if (!r.ok()) {
      any_failed = true;
      progress.Clear();
      std::fprintf(err, "warden: %s: %s\n", DisplayName(inputs[i]).c_str(),
                   FailureReason(r.status()).c_str());
    } else {
      std::fputs(
          FormatRecord(options.format, inputs[i].path, *r, options.dihedral, options.local).c_str(),
          out);
      if (options.local && r->local.empty()) {
        progress.Clear();
        std::fprintf(err, "warden: %s: no local features (%dx%d): no local signal\n",
                     DisplayName(inputs[i]).c_str(), r->width, r->height);
      }
      if (r->pdq.too_small && options.format != OutputFormat::kJson) {
        progress.Clear();
        std::fprintf(err, "warden: %s: too small to hash (%dx%d): quality 0\n",
                     DisplayName(inputs[i]).c_str(), r->width, r->height);
      }
    }
    slots[i].result.reset();  // the printer frees each slot as soon as it is printed
    progress.Update(++emitted);
  };
  RunOrdered(inputs.size(), options.jobs, work, emit);
  progress.Clear();

  if (std::fflush(out) != 0 || std::ferror(out)) {
    std::fprintf(err, "warden: cannot write the output: %s\n", std::strerror(errno));
    return 1;
  }
  return any_failed ? 1 : 0;
}

}  // namespace warden
