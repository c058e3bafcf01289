// Fuzz target: the bank exchange-format readers (include/warden/bank_formats.h), which read
// hash lists that arrive from other organisations. The first input byte picks the reader
// (pdq-hasher, pytx, csv, jsonl, stopncii, ncmec, or detection from the content); the rest
// is the file. Checked for every record:
//  - a quarantined record has a reason and a line number >= 1, and lines never go backwards;
//  - an accepted record carries 1.. signals, each in its canonical form (Signal::Make);
//  - an accepted item that the store would take (ValidateItem) survives Warden's own formats:
//    written as JSON Lines and read back it is the same Item, and written as CSV and read back
//    it has the same signals, classification, provenance, note and disable time.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>

#include "warden/bank.h"
#include "warden/bank_formats.h"
#include "warden/signal.h"

namespace {

constexpr warden::BankFormat kFormats[] = {
    warden::BankFormat::kPdqHasher, warden::BankFormat::kPytx,     warden::BankFormat::kCsv,
    warden::BankFormat::kJsonl,     warden::BankFormat::kStopNcii, warden::BankFormat::kNcmecXml};

// Writes `item` in `format` and reads it back; traps unless exactly one accepted record comes
// back.
warden::Item RoundTrip(warden::BankFormat format, const warden::Item& item) {
  std::ostringstream out;
  auto writer = warden::NewRecordWriter(format, out);
  if (!writer->Begin().ok()) __builtin_trap();
  auto wrote = writer->Write(item);
  if (!wrote.ok() || !*wrote) __builtin_trap();
  if (!writer->Finish().ok()) __builtin_trap();
  std::istringstream in(out.str());
  auto reader = warden::NewRecordReader(format, in);
  warden::ParsedRecord back;
  auto got = reader->Next(&back);
  if (!got.ok() || !*got || back.quarantined) __builtin_trap();
  warden::ParsedRecord extra;
  auto more = reader->Next(&extra);
  if (!more.ok() || *more) __builtin_trap();
  return back.item;
}

void CheckAccepted(const warden::ParsedRecord& rec) {
  const warden::Item& item = rec.item;
  if (item.signals.empty()) __builtin_trap();
  for (const warden::BankSignal& s : item.signals) {
    auto canonical = warden::Signal::Make(s.signal.type, s.signal.value);
    if (!canonical.ok() || canonical->value != s.signal.value) __builtin_trap();
  }
  warden::Item stored = item;
  stored.bank = "fuzz";
  warden::NormalizeItem(&stored);
  if (!warden::ValidateItem(stored).ok()) return;  // the importer quarantines it
  stored.bank.clear();

  if (!(RoundTrip(warden::BankFormat::kJsonl, stored) == stored)) __builtin_trap();

  warden::Item csv = RoundTrip(warden::BankFormat::kCsv, stored);
  warden::NormalizeItem(&csv);
  if (!(csv.signals == stored.signals) || !(csv.classification == stored.classification) ||
      !(csv.provenance == stored.provenance) || csv.note != stored.note ||
      csv.disable_until_ms != stored.disable_until_ms) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string file(reinterpret_cast<const char*>(data) + 1, size - 1);
  warden::BankFormat format;
  const size_t pick = data[0] % (std::size(kFormats) + 1);
  if (pick < std::size(kFormats)) {
    format = kFormats[pick];
  } else {
    auto detected = warden::DetectBankFormat(std::string_view(file).substr(0, 65536));
    if (!detected.ok()) {
      if (detected.status().message().empty()) __builtin_trap();
      return 0;
    }
    format = *detected;
  }
  std::istringstream in(file);
  auto reader = warden::NewRecordReader(format, in);
  int64_t last_line = 0;
  // Every record consumes input, so a reader that returns more records than bytes loops.
  for (size_t records = 0; records <= file.size() + 1; ++records) {
    warden::ParsedRecord rec;
    auto got = reader->Next(&rec);
    if (!got.ok()) {
      if (got.status().message().empty()) __builtin_trap();
      return 0;
    }
    if (!*got) return 0;
    if (rec.line < 1 || rec.line < last_line) __builtin_trap();
    last_line = rec.line;
    if (rec.quarantined) {
      if (rec.reason.empty()) __builtin_trap();
    } else {
      CheckAccepted(rec);
    }
  }
  __builtin_trap();  // more records than bytes
}
