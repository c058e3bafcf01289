// Format names, content sniffing and the reader / writer dispatch.
#include "warden/bank_formats.h"

#include <fmt/core.h>

#include "src/bank/format_registry.h"
#include "src/bank/record_fields.h"

namespace warden {
namespace {

constexpr BankFormat kAllFormats[] = {BankFormat::kPdqHasher, BankFormat::kPytx,
                                      BankFormat::kCsv,       BankFormat::kJsonl,
                                      BankFormat::kStopNcii,  BankFormat::kNcmecXml};

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

}  // namespace

const char* BankFormatName(BankFormat format) {
  switch (format) {
    case BankFormat::kPdqHasher:
      return "pdq-hasher";
    case BankFormat::kPytx:
      return "pytx";
    case BankFormat::kCsv:
      return "csv";
    case BankFormat::kJsonl:
      return "jsonl";
    case BankFormat::kStopNcii:
      return "stopncii";
    case BankFormat::kNcmecXml:
      return "ncmec";
  }
  return "pytx";
}

bool BankFormatCarries(BankFormat format, SignalType type) {
  switch (format) {
    case BankFormat::kCsv:
    case BankFormat::kJsonl:
      return true;
    case BankFormat::kPytx:
    case BankFormat::kNcmecXml:
      // python-threatexchange and NCMEC name only these; a local value (up to 8 KB of hex) in
      // their files would be an error for every other reader of them.
      return type != SignalType::kLocal;
    case BankFormat::kStopNcii:
      return type == SignalType::kPdq || type == SignalType::kMd5;
    case BankFormat::kPdqHasher:
      return type == SignalType::kPdq;
  }
  return false;
}

Result<BankFormat> ParseBankFormat(std::string_view name) {
  std::string lower;
  for (char c : name) lower.push_back(Lower(c));
  for (BankFormat f : kAllFormats) {
    if (lower == BankFormatName(f)) return f;
  }
  return Status::InvalidArgument(fmt::format(
      "unknown format \"{}\" (expected pdq-hasher, pytx, csv, jsonl, stopncii or ncmec)",
      ShownForReason(name)));
}

Result<BankFormat> DetectBankFormat(std::string_view head) {
  std::string_view rest = head;
  if (rest.substr(0, 3) == "\xEF\xBB\xBF") rest.remove_prefix(3);
  std::string_view line;
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    line = TrimBlanks(rest.substr(0, nl));
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    if (!line.empty() && line[0] != '#') break;
    line = {};
  }
  if (line.empty()) {
    return Status::UnsupportedFormat("cannot detect the format of an empty file; give --format");
  }
  if (line[0] == '<') return BankFormat::kNcmecXml;
  if (line[0] == '[' || line[0] == '{') {
    if (head.find("\"hashValue\"") != std::string_view::npos ||
        head.find("\"signalType\"") != std::string_view::npos) {
      return BankFormat::kStopNcii;
    }
    if (line[0] == '{') return BankFormat::kJsonl;
  }
  // A CSV header: comma-separated names including signal_type and value.
  {
    bool has_type = false, has_value = false;
    std::string_view cells = line;
    while (true) {
      size_t comma = cells.find(',');
      std::string cell;
      for (char c : TrimBlanks(cells.substr(0, comma))) {
        if (c != '"') cell.push_back(Lower(c));
      }
      has_type |= cell == "signal_type";
      has_value |= cell == "value";
      if (comma == std::string_view::npos) break;
      cells.remove_prefix(comma + 1);
    }
    if (has_type && has_value) return BankFormat::kCsv;
  }
  size_t sep = line.find_first_of(" \t");
  if (sep != std::string_view::npos && ParseSignalType(line.substr(0, sep)).ok()) {
    return BankFormat::kPytx;
  }
  size_t comma = line.find(',');
  if (comma == 64) {
    bool hex = true;
    for (char c : line.substr(0, 64)) hex &= IsHex(c);
    size_t c2 = line.find(',', 65);
    std::string_view q = line.substr(65, c2 == std::string_view::npos ? c2 : c2 - 65);
    if (hex && c2 != std::string_view::npos &&
        q.find_first_not_of("0123456789") == std::string_view::npos) {
      return BankFormat::kPdqHasher;
    }
  }
  return Status::UnsupportedFormat(fmt::format(
      "cannot detect the format from its first line \"{}\"; give --format (pdq-hasher, pytx, "
      "csv, jsonl, stopncii or ncmec)",
      ShownForReason(line)));
}

std::unique_ptr<RecordReader> NewRecordReader(BankFormat format, std::istream& in) {
  switch (format) {
    case BankFormat::kPdqHasher:
      return NewPdqHasherReader(in);
    case BankFormat::kPytx:
      return NewPytxReader(in);
    case BankFormat::kCsv:
      return NewCsvReader(in);
    case BankFormat::kJsonl:
      return NewJsonlReader(in);
    case BankFormat::kStopNcii:
      return NewStopNciiReader(in);
    case BankFormat::kNcmecXml:
      return NewNcmecXmlReader(in);
  }
  return NewPytxReader(in);
}

std::unique_ptr<RecordWriter> NewRecordWriter(BankFormat format, std::ostream& out) {
  switch (format) {
    case BankFormat::kPdqHasher:
      return NewPdqHasherWriter(out);
    case BankFormat::kPytx:
      return NewPytxWriter(out);
    case BankFormat::kCsv:
      return NewCsvWriter(out);
    case BankFormat::kJsonl:
      return NewJsonlWriter(out);
    case BankFormat::kStopNcii:
      return NewStopNciiWriter(out);
    case BankFormat::kNcmecXml:
      return NewNcmecXmlWriter(out);
  }
  return NewPytxWriter(out);
}

Status StreamStatus(const std::ostream& out, const char* format) {
  if (out.fail()) return Status::IoError(fmt::format("writing {} output failed", format));
  return Status::Ok();
}

void Quarantine(ParsedRecord* record, int64_t line, std::string reason) {
  record->quarantined = true;
  record->line = line;
  record->reason = std::move(reason);
  record->item = Item();
}

}  // namespace warden
