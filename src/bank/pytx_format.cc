// python-threatexchange local file: one signal a line, "<signal_type> <value>", e.g.
// "pdq 3a7f...". Blank lines and '#' comments are skipped. Each line is one item.
#include <fmt/core.h>

#include "src/bank/byte_source.h"
#include "src/bank/format_registry.h"
#include "src/bank/record_fields.h"

namespace warden {
namespace {

class PytxReader final : public RecordReader {
 public:
  explicit PytxReader(std::istream& in) : src_(in) {}

  Result<bool> Next(ParsedRecord* out) override {
    bool too_long = false;
    while (true) {
      const int64_t line_no = src_.line();
      if (!src_.ReadLine(&line_, kMaxRecordBytes, &too_long)) {
        WARDEN_RETURN_IF_ERROR(src_.status());
        return false;
      }
      std::string_view text = TrimBlanks(line_);
      if (!too_long && (text.empty() || text[0] == '#')) continue;
      *out = ParsedRecord();
      out->line = line_no;
      out->action = RecordAction::kAdd;
      if (too_long) {
        Quarantine(out, line_no, fmt::format("line is over {} bytes", kMaxRecordBytes));
        return true;
      }
      size_t sep = text.find_first_of(" \t");
      if (sep == std::string_view::npos) {
        Quarantine(
            out, line_no,
            fmt::format("expected \"<signal_type> <value>\", got \"{}\"", ShownForReason(text)));
        return true;
      }
      Result<SignalType> type = ParseSignalType(text.substr(0, sep));
      if (!type.ok()) {
        Quarantine(out, line_no, type.status().message());
        return true;
      }
      if (!BankFormatCarries(BankFormat::kPytx, *type)) {
        Quarantine(out, line_no,
                   fmt::format("pytx files do not carry {} signals (use jsonl or csv)",
                               SignalTypeName(*type)));
        return true;
      }
      Result<Signal> signal = MakeImportSignal(*type, TrimBlanks(text.substr(sep + 1)));
      if (!signal.ok()) {
        Quarantine(out, line_no, signal.status().message());
        return true;
      }
      out->item.signals.push_back(BankSignal{std::move(signal).value(), "", 0});
      return true;
    }
  }

 private:
  ByteSource src_;
  std::string line_;
};

class PytxWriter final : public RecordWriter {
 public:
  explicit PytxWriter(std::ostream& out) : out_(out) {}
  Status Begin() override { return Status::Ok(); }
  Result<bool> Write(const Item& item) override {
    bool any = false;
    for (const BankSignal& s : item.signals) {
      if (!BankFormatCarries(BankFormat::kPytx, s.signal.type)) continue;  // counted by export
      out_ << SignalTypeName(s.signal.type) << ' ' << s.signal.value << '\n';
      any = true;
    }
    WARDEN_RETURN_IF_ERROR(StreamStatus(out_, "pytx"));
    return any;
  }
  Status Finish() override {
    out_.flush();
    return StreamStatus(out_, "pytx");
  }

 private:
  std::ostream& out_;
};

}  // namespace

std::unique_ptr<RecordReader> NewPytxReader(std::istream& in) {
  return std::make_unique<PytxReader>(in);
}
std::unique_ptr<RecordWriter> NewPytxWriter(std::ostream& out) {
  return std::make_unique<PytxWriter>(out);
}

}  // namespace warden
