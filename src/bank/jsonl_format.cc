// JSON Lines: one item per line in the shape of src/bank/item_json.h, every field included, so
// that writing a bank and reading it back gives the same Item values. Blank lines are skipped.
#include <fmt/core.h>

#include "src/bank/byte_source.h"
#include "src/bank/format_registry.h"
#include "src/bank/item_json.h"
#include "src/bank/record_fields.h"

namespace warden {
namespace {

class JsonlReader final : public RecordReader {
 public:
  explicit JsonlReader(std::istream& in) : src_(in) {}

  Result<bool> Next(ParsedRecord* out) override {
    bool too_long = false;
    while (true) {
      const int64_t line_no = src_.line();
      if (!src_.ReadLine(&line_, kMaxRecordBytes, &too_long)) {
        WARDEN_RETURN_IF_ERROR(src_.status());
        return false;
      }
      if (!too_long && TrimBlanks(line_).empty()) continue;
      *out = ParsedRecord();
      out->line = line_no;
      out->action = RecordAction::kUpsert;
      if (too_long) {
        Quarantine(out, line_no, fmt::format("line is over {} bytes", kMaxRecordBytes));
        return true;
      }
      Result<nlohmann::json> j = ParseJsonText(line_);
      if (!j.ok()) {
        Quarantine(out, line_no, j.status().message());
        return true;
      }
      Result<Item> item = ItemFromJson(*j);
      if (!item.ok()) {
        Quarantine(out, line_no, item.status().message());
        return true;
      }
      out->item = std::move(item).value();
      return true;
    }
  }

 private:
  ByteSource src_;
  std::string line_;
};

class JsonlWriter final : public RecordWriter {
 public:
  explicit JsonlWriter(std::ostream& out) : out_(out) {}
  Status Begin() override { return Status::Ok(); }
  Result<bool> Write(const Item& item) override {
    out_ << DumpJson(ItemToJson(item)) << '\n';
    WARDEN_RETURN_IF_ERROR(StreamStatus(out_, "jsonl"));
    return true;
  }
  Status Finish() override {
    out_.flush();
    return StreamStatus(out_, "jsonl");
  }

 private:
  std::ostream& out_;
};

}  // namespace

std::unique_ptr<RecordReader> NewJsonlReader(std::istream& in) {
  return std::make_unique<JsonlReader>(in);
}
std::unique_ptr<RecordWriter> NewJsonlWriter(std::ostream& out) {
  return std::make_unique<JsonlWriter>(out);
}

}  // namespace warden
