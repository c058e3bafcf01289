// Replays files through a fuzz target without libFuzzer: every regular file named on the
// command line, and every regular file inside each directory named (recursively, in sorted
// order), is passed once to LLVMFuzzerTestOneInput. ctest runs this over fuzz/corpus/<name>/
// so every seed and every past crash stays a regression test.
//
// Exit status: 0 after all inputs ran, 1 if no input was found or a file could not be read
// (a crash aborts the process instead).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "warden/file_bytes.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  std::vector<fs::path> inputs;
  for (int i = 1; i < argc; ++i) {
    const fs::path arg(argv[i]);
    std::error_code error;
    if (fs::is_directory(arg, error)) {
      for (const auto& entry : fs::recursive_directory_iterator(arg, error)) {
        if (entry.is_regular_file()) inputs.push_back(entry.path());
      }
    } else {
      inputs.push_back(arg);
    }
  }
  std::sort(inputs.begin(), inputs.end());
  if (inputs.empty()) {
    std::fprintf(stderr, "replay: no input files given\n");
    return 1;
  }
  for (const auto& path : inputs) {
    auto bytes = warden::ReadFileBytes(path.string());
    if (!bytes.ok()) {
      std::fprintf(stderr, "replay: %s: %s\n", path.c_str(), bytes.status().ToString().c_str());
      return 1;
    }
    LLVMFuzzerTestOneInput(bytes->data(), bytes->size());
  }
  std::printf("replay: %zu inputs ran without a crash\n", inputs.size());
  return 0;
}
