// Warden's CSV: RFC 4180 (fields separated by ',', a field holding ',', '"', CR or LF is
// quoted with '"' and its quotes doubled; rows end in CRLF or LF), a header row naming the
// columns (kCsvColumns, any order, unknown ones ignored; signal_type and value required).
//
// One row per item: signal_type / value / quality / algorithm / algorithm_version hold its first
// signal; extra_signals holds the others as space-separated "type:hex". Empty cells mean the
// default (quality unknown, category none, false, enabled...). disable_until is empty (enabled),
// "forever", or a Unix ms / ISO 8601 time.
#include <fmt/core.h>

#include <map>

#include "src/bank/byte_source.h"
#include "src/bank/format_registry.h"
#include "src/bank/record_fields.h"

namespace warden {
namespace {

enum class RowResult { kRow, kEnd, kBad };

class CsvReader final : public RecordReader {
 public:
  explicit CsvReader(std::istream& in) : src_(in) {}

  Result<bool> Next(ParsedRecord* out) override {
    while (true) {
      int64_t line_no = 0;
      std::string reason;
      RowResult r = ReadRow(&line_no, &reason);
      if (r == RowResult::kEnd) {
        WARDEN_RETURN_IF_ERROR(src_.status());
        return false;
      }
      if (r == RowResult::kRow && fields_.size() == 1 && TrimBlanks(fields_[0]).empty()) {
        continue;  // a blank line
      }
      if (!have_header_) {
        if (r == RowResult::kBad) {
          return Status::CorruptData(fmt::format("CSV header on line {}: {}", line_no, reason));
        }
        WARDEN_RETURN_IF_ERROR(ReadHeader(line_no));
        continue;
      }
      *out = ParsedRecord();
      out->line = line_no;
      out->action = RecordAction::kUpsert;
      if (r == RowResult::kBad) {
        Quarantine(out, line_no, reason);
        return true;
      }
      if (fields_.size() != header_size_) {
        Quarantine(
            out, line_no,
            fmt::format("row has {} fields, the header has {}", fields_.size(), header_size_));
        return true;
      }
      Status s = RowToItem(&out->item);
      if (!s.ok()) Quarantine(out, line_no, s.message());
      return true;
    }
  }

 private:
  // Reads one RFC 4180 row into fields_. On a malformed row, skips to the end of its line.
  RowResult ReadRow(int64_t* line_no, std::string* reason) {
    fields_.clear();
    if (src_.Peek() == ByteSource::kEof) return RowResult::kEnd;
    *line_no = src_.line();
    size_t bytes = 0;
    std::string field;
    bool quoted = false;      // inside a quoted field
    bool was_quoted = false;  // the current field was quoted and its closing quote seen
    while (true) {
      int c = src_.Get();
      if (++bytes > kMaxRecordBytes) {
        *reason = fmt::format("row is over {} bytes", kMaxRecordBytes);
        if (quoted) return RowResult::kBad;  // cannot know where it ends; the rest is consumed
        SkipLine(c);
        return RowResult::kBad;
      }
      if (quoted) {
        if (c == ByteSource::kEof) {
          *reason = "quoted field is not closed before the end of the file";
          return RowResult::kBad;
        }
        if (c == '"') {
          if (src_.Peek() == '"') {
            src_.Get();
            field.push_back('"');
          } else {
            quoted = false;
            was_quoted = true;
          }
        } else {
          field.push_back(static_cast<char>(c));
        }
        continue;
      }
      if (c == ByteSource::kEof || c == '\n') {
        if (!field.empty() && field.back() == '\r' && !was_quoted) field.pop_back();
        fields_.push_back(std::move(field));
        return RowResult::kRow;
      }
      if (c == ',') {
        fields_.push_back(std::move(field));
        field.clear();
        was_quoted = false;
        continue;
      }
      if (was_quoted) {
        if (c == '\r' && (src_.Peek() == '\n' || src_.Peek() == ByteSource::kEof)) continue;
        *reason = fmt::format("unexpected '{}' after a closing quote",
                              ShownForReason(std::string(1, static_cast<char>(c))));
        SkipLine(c);
        return RowResult::kBad;
      }
      if (c == '"') {
        if (field.empty()) {
          quoted = true;
          continue;
        }
        *reason = "a quote inside an unquoted field (quote the whole field and double the quote)";
        SkipLine(c);
        return RowResult::kBad;
      }
      field.push_back(static_cast<char>(c));
    }
  }

  void SkipLine(int c) {
    while (c != '\n' && c != ByteSource::kEof) c = src_.Get();
  }

  Status ReadHeader(int64_t line_no) {
    have_header_ = true;
    header_size_ = fields_.size();
    for (size_t i = 0; i < fields_.size(); ++i) {
      std::string name(TrimBlanks(fields_[i]));
      // A UTF-8 byte order mark before the first name (spreadsheets write one).
      if (i == 0 && name.rfind("\xEF\xBB\xBF", 0) == 0) name = name.substr(3);
      for (char& ch : name) ch = (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch + 32) : ch;
      column_.emplace(std::move(name), i);
    }
    if (!column_.count("signal_type") || !column_.count("value")) {
      return Status::CorruptData(fmt::format(
          "CSV header on line {} must name the columns signal_type and value", line_no));
    }
    return Status::Ok();
  }

  // The cell of column `name` in the current row, trimmed; empty if there is no such column.
  std::string_view Cell(const char* name) const {
    auto it = column_.find(name);
    return it == column_.end() ? std::string_view() : TrimBlanks(fields_[it->second]);
  }
  // Free text keeps its blanks.
  std::string RawCell(const char* name) const {
    auto it = column_.find(name);
    return it == column_.end() ? std::string() : fields_[it->second];
  }

  Status RowToItem(Item* item) const {
    WARDEN_ASSIGN_OR_RETURN(SignalType type, ParseSignalType(Cell("signal_type")));
    int quality = -1;
    if (!Cell("quality").empty()) {
      WARDEN_ASSIGN_OR_RETURN(quality, ParseQuality(Cell("quality")));
    }
    BankSignal first;
    WARDEN_ASSIGN_OR_RETURN(first.signal, MakeImportSignal(type, Cell("value"), quality));
    first.algorithm = std::string(Cell("algorithm"));
    if (!Cell("algorithm_version").empty()) {
      Result<int64_t> v = ParseInt64(Cell("algorithm_version"));
      if (!v.ok() || *v < 0 || *v > 1'000'000) {
        return Status::InvalidArgument(fmt::format("algorithm_version \"{}\" is not a version",
                                                   ShownForReason(Cell("algorithm_version"))));
      }
      first.algorithm_version = static_cast<int>(*v);
    }
    item->signals.push_back(std::move(first));
    std::string_view extra = Cell("extra_signals");
    while (!extra.empty()) {
      size_t sp = extra.find(' ');
      std::string_view tagged = extra.substr(0, sp);
      extra = sp == std::string_view::npos ? std::string_view() : TrimBlanks(extra.substr(sp));
      if (tagged.empty()) continue;
      size_t colon = tagged.find(':');
      if (colon == std::string_view::npos) {
        return Status::InvalidArgument(
            fmt::format("extra_signals entry \"{}\" is not type:hex", ShownForReason(tagged)));
      }
      WARDEN_ASSIGN_OR_RETURN(SignalType t, ParseSignalType(tagged.substr(0, colon)));
      WARDEN_ASSIGN_OR_RETURN(Signal s, MakeImportSignal(t, tagged.substr(colon + 1)));
      item->signals.push_back(BankSignal{std::move(s), "", 0});
    }
    Classification& c = item->classification;
    if (!Cell("uk_category").empty()) {
      WARDEN_ASSIGN_OR_RETURN(c.uk_category, ParseUkCategory(Cell("uk_category")));
    }
    if (!Cell("age_band").empty()) {
      WARDEN_ASSIGN_OR_RETURN(c.youngest_age, ParseAgeBand(Cell("age_band")));
    }
    if (!Cell("sex").empty()) {
      WARDEN_ASSIGN_OR_RETURN(c.sex, ParseChildSex(Cell("sex")));
    }
    WARDEN_ASSIGN_OR_RETURN(c.self_generated, ParseBool(Cell("self_generated")));
    WARDEN_ASSIGN_OR_RETURN(c.ai_or_manipulated, ParseBool(Cell("ai_or_manipulated")));
    WARDEN_ASSIGN_OR_RETURN(c.commercial, ParseBool(Cell("commercial")));
    c.site_type = RawCell("site_type");
    c.scheme_label = RawCell("scheme_label");
    item->provenance.source_list = RawCell("source_list");
    item->provenance.external_id = RawCell("external_id");
    item->provenance.member_id = RawCell("member_id");
    item->note = RawCell("note");
    std::string_view until = Cell("disable_until");
    if (until.empty() || until == "0") {
      item->disable_until_ms = kEnabled;
    } else if (until == "forever") {
      item->disable_until_ms = kDisabledForever;
    } else {
      WARDEN_ASSIGN_OR_RETURN(item->disable_until_ms, ParseTimestampMs(until));
    }
    return Status::Ok();
  }

  ByteSource src_;
  std::vector<std::string> fields_;
  bool have_header_ = false;
  size_t header_size_ = 0;
  std::map<std::string, size_t, std::less<>> column_;
};

void WriteCell(std::ostream& out, std::string_view cell) {
  bool quote = cell.find_first_of(",\"\r\n") != std::string_view::npos ||
               (!cell.empty() && (cell.front() == ' ' || cell.back() == ' ' ||
                                  cell.front() == '\t' || cell.back() == '\t'));
  if (!quote) {
    out << cell;
    return;
  }
  out << '"';
  for (char c : cell) {
    if (c == '"') out << '"';
    out << c;
  }
  out << '"';
}

class CsvWriter final : public RecordWriter {
 public:
  explicit CsvWriter(std::ostream& out) : out_(out) {}
  Status Begin() override {
    bool first = true;
    for (const char* name : kCsvColumns) {
      if (!first) out_ << ',';
      out_ << name;
      first = false;
    }
    out_ << "\r\n";
    return StreamStatus(out_, "csv");
  }
  Result<bool> Write(const Item& item) override {
    if (item.signals.empty()) return false;
    const BankSignal& s = item.signals[0];
    std::string extra;
    for (size_t i = 1; i < item.signals.size(); ++i) {
      if (i > 1) extra += ' ';
      extra += item.signals[i].signal.ToTagged();
    }
    const Classification& c = item.classification;
    std::string until = item.disable_until_ms == kEnabled ? ""
                        : item.disable_until_ms == kDisabledForever
                            ? "forever"
                            : std::to_string(item.disable_until_ms);
    const std::string cells[] = {
        SignalTypeName(s.signal.type),
        s.signal.value,
        s.signal.quality >= 0 ? std::to_string(s.signal.quality) : "",
        s.algorithm,
        s.algorithm_version > 0 ? std::to_string(s.algorithm_version) : "",
        extra,
        c.uk_category == UkCategory::kNone ? "" : UkCategoryName(c.uk_category),
        c.youngest_age == AgeBand::kUnknown ? "" : AgeBandName(c.youngest_age),
        c.self_generated ? "true" : "false",
        c.ai_or_manipulated ? "true" : "false",
        c.sex == ChildSex::kUnknown ? "" : ChildSexName(c.sex),
        c.site_type,
        c.commercial ? "true" : "false",
        c.scheme_label,
        item.provenance.source_list,
        item.provenance.external_id,
        item.provenance.member_id,
        item.note,
        until};
    static_assert(std::size(cells) == std::size(kCsvColumns));
    for (size_t i = 0; i < std::size(cells); ++i) {
      if (i > 0) out_ << ',';
      WriteCell(out_, cells[i]);
    }
    out_ << "\r\n";
    WARDEN_RETURN_IF_ERROR(StreamStatus(out_, "csv"));
    return true;
  }
  Status Finish() override {
    out_.flush();
    return StreamStatus(out_, "csv");
  }

 private:
  std::ostream& out_;
};

}  // namespace

std::unique_ptr<RecordReader> NewCsvReader(std::istream& in) {
  return std::make_unique<CsvReader>(in);
}
std::unique_ptr<RecordWriter> NewCsvWriter(std::ostream& out) {
  return std::make_unique<CsvWriter>(out);
}

}  // namespace warden
