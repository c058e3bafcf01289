#include "src/cli/compare_command.h"

#include "warden/signal.h"

namespace warden {

Result<PdqHash> ParseCompareArgument(std::string_view arg) {
  constexpr std::string_view kTag = "pdq:";
  if (arg.substr(0, kTag.size()) == kTag) arg.remove_prefix(kTag.size());
  // Signal::Make validates length and characters with a message naming the problem; the
  // canonical lower-case value then always parses.
  WARDEN_ASSIGN_OR_RETURN(Signal signal, Signal::Make(SignalType::kPdq, arg));
  return PdqHash::FromHex(signal.value);
}

int RunCompareCommand(std::string_view hex1, std::string_view hex2, std::FILE* out,
                      std::FILE* err) {
  auto a = ParseCompareArgument(hex1);
  auto b = ParseCompareArgument(hex2);
  if (!a.ok() || !b.ok()) {
    if (!a.ok()) std::fprintf(err, "warden: compare: HEX1: %s\n", a.status().message().c_str());
    if (!b.ok()) std::fprintf(err, "warden: compare: HEX2: %s\n", b.status().message().c_str());
    return ExitCodeFor(StatusCode::kInvalidArgument);
  }
  std::fprintf(out, "%d\n", HammingDistance(*a, *b));
  return 0;
}

}  // namespace warden
