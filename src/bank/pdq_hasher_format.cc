// Meta's pdq-photo-hasher output: "hash,quality,filename" per line. The filename is
// everything after the second comma (file names may hold commas) and is kept as the item's
// provenance.external_id. An empty quality means unknown (Warden writes that for items whose
// quality it does not know); a quality under 50 is quarantined. Lines written by
// `warden hash --local`, "hash,quality,local:<hex>,filename", also carry a local signal (an
// empty "local:" field means the image had none); the writer never writes local signals.
#include <fmt/core.h>

#include "src/bank/byte_source.h"
#include "src/bank/format_registry.h"
#include "src/bank/record_fields.h"

namespace warden {
namespace {

constexpr std::string_view kLocalTag = "local:";

class PdqHasherReader final : public RecordReader {
 public:
  explicit PdqHasherReader(std::istream& in) : src_(in) {}

  Result<bool> Next(ParsedRecord* out) override {
    bool too_long = false;
    while (true) {
      const int64_t line_no = src_.line();
      if (!src_.ReadLine(&line_, kMaxRecordBytes, &too_long)) {
        WARDEN_RETURN_IF_ERROR(src_.status());
        return false;
      }
      std::string_view text = line_;
      if (!too_long && (TrimBlanks(text).empty() || TrimBlanks(text)[0] == '#')) continue;
      *out = ParsedRecord();
      out->line = line_no;
      out->action = RecordAction::kAdd;
      if (too_long) {
        Quarantine(out, line_no, fmt::format("line is over {} bytes", kMaxRecordBytes));
        return true;
      }
      size_t c1 = text.find(',');
      size_t c2 = c1 == std::string_view::npos ? c1 : text.find(',', c1 + 1);
      if (c2 == std::string_view::npos) {
        Quarantine(
            out, line_no,
            fmt::format("expected \"hash,quality,filename\", got \"{}\"", ShownForReason(text)));
        return true;
      }
      std::string_view quality_text = TrimBlanks(text.substr(c1 + 1, c2 - c1 - 1));
      int quality = -1;
      if (!quality_text.empty()) {
        Result<int> q = ParseQuality(quality_text);
        if (!q.ok()) {
          Quarantine(out, line_no, q.status().message());
          return true;
        }
        quality = *q;
      }
      Result<Signal> signal =
          MakeImportSignal(SignalType::kPdq, TrimBlanks(text.substr(0, c1)), quality);
      if (!signal.ok()) {
        Quarantine(out, line_no, signal.status().message());
        return true;
      }
      out->item.signals.push_back(BankSignal{std::move(signal).value(), "", 0});
      std::string_view name = text.substr(c2 + 1);
      // Warden's extension (`warden hash --local`): "hash,quality,local:<hex>,filename". A
      // real filename starting "local:" then hex that decodes as local features and a comma
      // is not a risk worth a flag.
      if (name.substr(0, kLocalTag.size()) == kLocalTag) {
        const size_t c3 = name.find(',');
        std::string_view hex = name.substr(kLocalTag.size(), c3 - kLocalTag.size());
        if (c3 != std::string_view::npos && !hex.empty()) {
          Result<Signal> local = MakeImportSignal(SignalType::kLocal, hex);
          if (!local.ok()) {
            Quarantine(out, line_no, local.status().message());
            return true;
          }
          out->item.signals.push_back(BankSignal{std::move(local).value(), "", 0});
        }
        if (c3 != std::string_view::npos) name = name.substr(c3 + 1);
      }
      out->item.provenance.external_id = std::string(name);
      return true;
    }
  }

 private:
  ByteSource src_;
  std::string line_;
};

class PdqHasherWriter final : public RecordWriter {
 public:
  explicit PdqHasherWriter(std::ostream& out) : out_(out) {}
  Status Begin() override { return Status::Ok(); }
  Result<bool> Write(const Item& item) override {
    const BankSignal* pdq = item.FindSignal(SignalType::kPdq);
    if (pdq == nullptr) return false;
    out_ << pdq->signal.value << ',';
    if (pdq->signal.quality >= 0) out_ << pdq->signal.quality;
    out_ << ',';
    // A line break inside the name would split the record: write it as a space.
    for (char c : item.provenance.external_id) out_ << ((c == '\n' || c == '\r') ? ' ' : c);
    out_ << '\n';
    WARDEN_RETURN_IF_ERROR(StreamStatus(out_, "pdq-hasher"));
    return true;
  }
  Status Finish() override {
    out_.flush();
    return StreamStatus(out_, "pdq-hasher");
  }

 private:
  std::ostream& out_;
};

}  // namespace

std::unique_ptr<RecordReader> NewPdqHasherReader(std::istream& in) {
  return std::make_unique<PdqHasherReader>(in);
}
std::unique_ptr<RecordWriter> NewPdqHasherWriter(std::ostream& out) {
  return std::make_unique<PdqHasherWriter>(out);
}

}  // namespace warden
