#include "src/cli/input_paths.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

namespace warden {
namespace {

namespace fs = std::filesystem;

Status ListingError(const std::error_code& ec) {
  if (ec == std::errc::permission_denied || ec == std::errc::operation_not_permitted) {
    return Status::PermissionDenied("unreadable directory: permission denied");
  }
  return Status::IoError("unreadable directory: " + ec.message());
}

// Appends the files under `dir` (unsorted) to `files`, and one failed input per directory
// that cannot be listed to `errors`.
void Walk(const fs::path& dir, std::vector<std::string>* files, std::vector<HashInput>* errors) {
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) {
    errors->push_back(HashInput{dir.string(), ListingError(ec)});
    return;
  }
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    const fs::directory_entry& entry = *it;
    std::error_code sec;
    fs::file_status link = entry.symlink_status(sec);
    if (sec) continue;  // vanished while we listed it
    if (fs::is_directory(link)) {
      Walk(entry.path(), files, errors);
    } else if (fs::is_regular_file(link)) {
      files->push_back(entry.path().string());
    } else if (fs::is_symlink(link)) {
      fs::file_status target = entry.status(sec);
      // A dangling link is passed on so its "no such file" is reported, not swallowed.
      if (sec || fs::is_regular_file(target)) files->push_back(entry.path().string());
    }
  }
  if (ec) errors->push_back(HashInput{dir.string(), ListingError(ec)});
}

}  // namespace

Result<std::vector<HashInput>> ExpandInputs(const std::vector<std::string>& args, bool recursive) {
  std::vector<HashInput> inputs;
  bool saw_stdin = false;
  for (const std::string& arg : args) {
    if (arg == kStdinPath) {
      if (saw_stdin) {
        return Status::InvalidArgument("standard input (\"-\") can be given only once");
      }
      saw_stdin = true;
      inputs.push_back(HashInput{arg, Status::Ok()});
      continue;
    }
    std::error_code ec;
    if (!fs::is_directory(arg, ec)) {
      inputs.push_back(HashInput{arg, Status::Ok()});
      continue;
    }
    if (!recursive) {
      inputs.push_back(HashInput{arg, Status::InvalidArgument("is a directory (use -r)")});
      continue;
    }
    std::vector<std::string> files;
    std::vector<HashInput> errors;
    Walk(arg, &files, &errors);
    std::sort(files.begin(), files.end());
    for (auto& e : errors) inputs.push_back(std::move(e));
    for (auto& f : files) inputs.push_back(HashInput{std::move(f), Status::Ok()});
  }
  return inputs;
}

}  // namespace warden
