// StopNCII hash records. Accepted layouts: a JSON array of record objects, one object per line,
// or objects simply concatenated; '[' ']' and ',' between top-level objects are skipped, so a
// truncated array still yields its complete records. Each object is cut out of the stream by
// brace matching (aware of strings and escapes) and parsed on its own, so one bad object is
// quarantined without losing the rest.
//
// Record fields: lastModtimestamp (Unix s or ms, or ISO 8601; required), signalType (ImagePDQ ->
// pdq, ImageMD5 -> md5; others such as VideoMD5 are quarantined), hashValue (required),
// hashStatus (Received / Active -> upsert; Withdrawn / Deleted -> remove), caseNumbers (array of
// strings or numbers, kept comma-joined as provenance.external_id), CSPFeedbacks (kept as JSON
// in the item's note when non-empty). source_list is "stopncii".
#include <fmt/core.h>

#include "src/bank/byte_source.h"
#include "src/bank/format_registry.h"
#include "src/bank/item_json.h"
#include "src/bank/record_fields.h"
#include "src/base/ascii.h"

namespace warden {
namespace {

using nlohmann::json;

Result<std::string> RequiredString(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    return Status::InvalidArgument(fmt::format("missing field \"{}\"", key));
  }
  if (!it->is_string()) {
    return Status::InvalidArgument(fmt::format("field \"{}\" must be a string", key));
  }
  return it->get<std::string>();
}

Status RecordFromJson(const json& j, ParsedRecord* out) {
  if (!j.is_object()) return Status::InvalidArgument("record must be a JSON object");
  WARDEN_ASSIGN_OR_RETURN(std::string type_name, RequiredString(j, "signalType"));
  WARDEN_ASSIGN_OR_RETURN(std::string value, RequiredString(j, "hashValue"));
  WARDEN_ASSIGN_OR_RETURN(std::string status, RequiredString(j, "hashStatus"));
  auto ts = j.find("lastModtimestamp");
  if (ts == j.end() || ts->is_null()) {
    return Status::InvalidArgument("missing field \"lastModtimestamp\"");
  }
  if (ts->is_number_unsigned()) {
    WARDEN_ASSIGN_OR_RETURN(out->modified_ms,
                            ParseTimestampMs(std::to_string(ts->get<uint64_t>())));
  } else if (ts->is_number_integer()) {
    WARDEN_ASSIGN_OR_RETURN(out->modified_ms, ParseTimestampMs(std::to_string(ts->get<int64_t>())));
  } else if (ts->is_string()) {
    WARDEN_ASSIGN_OR_RETURN(out->modified_ms, ParseTimestampMs(ts->get<std::string>()));
  } else {
    return Status::InvalidArgument("field \"lastModtimestamp\" must be an integer or a string");
  }
  SignalType type;
  if (AsciiEqualsIgnoreCase(type_name, "ImagePDQ")) {
    type = SignalType::kPdq;
  } else if (AsciiEqualsIgnoreCase(type_name, "ImageMD5")) {
    type = SignalType::kMd5;
  } else {
    return Status::InvalidArgument(
        fmt::format("unsupported StopNCII signalType \"{}\" (Warden imports ImagePDQ and ImageMD5)",
                    ShownForReason(type_name)));
  }
  if (AsciiEqualsIgnoreCase(status, "Received") || AsciiEqualsIgnoreCase(status, "Active")) {
    out->action = RecordAction::kUpsert;
  } else if (AsciiEqualsIgnoreCase(status, "Withdrawn") || AsciiEqualsIgnoreCase(status, "Deleted")) {
    out->action = RecordAction::kRemove;
  } else {
    return Status::InvalidArgument(
        fmt::format("unknown hashStatus \"{}\" (expected Received, Active, Withdrawn or Deleted)",
                    ShownForReason(status)));
  }
  WARDEN_ASSIGN_OR_RETURN(Signal signal, MakeImportSignal(type, value));
  out->item.signals.push_back(BankSignal{std::move(signal), "", 0});
  out->item.provenance.source_list = "stopncii";
  auto cases = j.find("caseNumbers");
  if (cases != j.end() && !cases->is_null()) {
    if (!cases->is_array())
      return Status::InvalidArgument("field \"caseNumbers\" must be an array");
    std::string joined;
    for (const json& c : *cases) {
      if (!joined.empty()) joined += ',';
      if (c.is_string()) {
        joined += c.get<std::string>();
      } else if (c.is_number_integer()) {
        joined += c.dump();
      } else {
        return Status::InvalidArgument("caseNumbers must hold strings or integers");
      }
    }
    out->item.provenance.external_id = std::move(joined);
  }
  auto feedback = j.find("CSPFeedbacks");
  if (feedback != j.end() && !feedback->is_null()) {
    if (!feedback->is_array()) {
      return Status::InvalidArgument("field \"CSPFeedbacks\" must be an array");
    }
    if (!feedback->empty()) out->item.note = DumpJson(*feedback);
  }
  return Status::Ok();
}

class StopNciiReader final : public RecordReader {
 public:
  explicit StopNciiReader(std::istream& in) : src_(in) {}

  Result<bool> Next(ParsedRecord* out) override {
    while (true) {
      int c = src_.Peek();
      if (c == ByteSource::kEof) {
        WARDEN_RETURN_IF_ERROR(src_.status());
        return false;
      }
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',' || c == '[' || c == ']') {
        src_.Get();
        continue;
      }
      *out = ParsedRecord();
      const int64_t line_no = src_.line();
      out->line = line_no;
      if (c != '{') {
        // Not an object: quarantine the rest of the line and resynchronise on the next one.
        std::string rest;
        bool too_long = false;
        src_.ReadLine(&rest, 64, &too_long);
        Quarantine(out, line_no,
                   fmt::format("expected a JSON object, got \"{}\"", ShownForReason(rest)));
        return true;
      }
      std::string reason;
      if (!CutObject(&reason)) {
        Quarantine(out, line_no, reason);
        return true;
      }
      Result<json> j = ParseJsonText(text_);
      Status s = j.ok() ? RecordFromJson(*j, out) : j.status();
      if (!s.ok()) Quarantine(out, line_no, s.message());
      return true;
    }
  }

 private:
  // Copies one balanced {...} into text_. False (with the reason) if it is too big or not
  // closed; a too-big object is consumed to its end without being stored.
  bool CutObject(std::string* reason) {
    text_.clear();
    int depth = 0;
    bool in_string = false, escape = false, too_big = false;
    while (true) {
      int c = src_.Get();
      if (c == ByteSource::kEof) {
        *reason = "JSON object is not closed before the end of the file";
        return false;
      }
      if (text_.size() < kMaxRecordBytes) {
        text_.push_back(static_cast<char>(c));
      } else {
        too_big = true;
      }
      if (in_string) {
        if (escape) {
          escape = false;
        } else if (c == '\\') {
          escape = true;
        } else if (c == '"') {
          in_string = false;
        }
        continue;
      }
      if (c == '"') {
        in_string = true;
      } else if (c == '{' || c == '[') {
        // Nesting is bounded by the object's size; nlohmann limits nothing itself, so refuse
        // absurd depths here before parsing.
        if (++depth > 64) too_big = true;
      } else if (c == '}' || c == ']') {
        if (--depth == 0) break;
      }
    }
    if (too_big) {
      *reason = fmt::format("JSON object is over {} bytes or nested over 64 deep", kMaxRecordBytes);
      return false;
    }
    return true;
  }

  ByteSource src_;
  std::string text_;
};

class StopNciiWriter final : public RecordWriter {
 public:
  explicit StopNciiWriter(std::ostream& out) : out_(out) {}
  Status Begin() override {
    out_ << "[\n";
    return StreamStatus(out_, "stopncii");
  }
  Result<bool> Write(const Item& item) override {
    bool any = false;
    for (const BankSignal& s : item.signals) {
      const char* type = s.signal.type == SignalType::kPdq   ? "ImagePDQ"
                         : s.signal.type == SignalType::kMd5 ? "ImageMD5"
                                                             : nullptr;
      if (type == nullptr) continue;
      json cases = json::array();
      std::string_view ids = item.provenance.external_id;
      while (!ids.empty()) {
        size_t comma = ids.find(',');
        cases.push_back(std::string(ids.substr(0, comma)));
        ids = comma == std::string_view::npos ? std::string_view() : ids.substr(comma + 1);
      }
      json feedback = json::array();
      if (!item.note.empty()) {
        Result<json> parsed = ParseJsonText(item.note);
        if (parsed.ok() && parsed->is_array()) feedback = std::move(parsed).value();
      }
      json record = {{"lastModtimestamp", item.updated_at_ms},
                     {"signalType", type},
                     {"hashValue", s.signal.value},
                     {"hashStatus", "Active"},
                     {"caseNumbers", std::move(cases)},
                     {"CSPFeedbacks", std::move(feedback)}};
      out_ << (first_ ? "" : ",\n") << DumpJson(record);
      first_ = false;
      any = true;
    }
    WARDEN_RETURN_IF_ERROR(StreamStatus(out_, "stopncii"));
    return any;
  }
  Status Finish() override {
    out_ << (first_ ? "]\n" : "\n]\n");
    out_.flush();
    return StreamStatus(out_, "stopncii");
  }

 private:
  std::ostream& out_;
  bool first_ = true;
};

}  // namespace

std::unique_ptr<RecordReader> NewStopNciiReader(std::istream& in) {
  return std::make_unique<StopNciiReader>(in);
}
std::unique_ptr<RecordWriter> NewStopNciiWriter(std::ostream& out) {
  return std::make_unique<StopNciiWriter>(out);
}

}  // namespace warden
