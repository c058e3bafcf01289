// NCMEC hash-sharing entries as XML. No real NCMEC data exists in this repository, so this is
// a synthetic layout modelled on the public description of the feed (DOMAIN.md); README.md in
// this directory shows a full example:
//
//   <queryResult>                           (any wrapper elements are ignored)
//     <images>
//       <image>
//         <member id="MEMBER_ID">Member name</member>
//         <timestamp>2024-01-02T03:04:05.000Z</timestamp>   (or Unix s / ms)
//         <id>ENTRY_ID</id>
//         <classification>A1</classification>                (optional)
//         <fingerprints>
//           <md5>32 hex</md5> <sha1>40 hex</sha1> <sha256>64 hex</sha256>
//           <pdq quality="90">64 hex</pdq>                   (quality optional)
//           (others, e.g. <pdna>, are ignored)
//         </fingerprints>
//       </image>
//     </images>
//     <deletedImages>
//       <deletedImage> member, timestamp, id and the fingerprints to remove </deletedImage>
//     </deletedImages>
//   </queryResult>
//
// <image> upserts an item: classification -> scheme_label, id -> provenance.external_id,
// member id -> provenance.member_id, source_list "ncmec". <deletedImage> removes every item
// holding one of its fingerprints (Warden's layout requires them: the store has no lookup by
// entry id). <video> and <deletedVideo> are quarantined: Warden has no video signal types yet.
// Each entry is one record, reported at the line of its start tag.
#include <fmt/core.h>

#include "src/bank/format_registry.h"
#include "src/bank/record_fields.h"
#include "src/bank/xml_tokenizer.h"

namespace warden {
namespace {

constexpr size_t kMaxEntryDepth = 16;

bool IsEntryName(const std::string& name) {
  return name == "image" || name == "video" || name == "deletedImage" || name == "deletedVideo";
}

struct Entry {
  std::string kind;
  std::string member_id;
  std::string timestamp;
  std::string id;
  std::string classification;
  std::string pdq_quality;
  std::vector<std::pair<std::string, std::string>> fingerprints;
  bool has_timestamp = false, has_id = false;
};

class NcmecXmlReader final : public RecordReader {
 public:
  explicit NcmecXmlReader(std::istream& in) : tokens_(in) {}

  Result<bool> Next(ParsedRecord* out) override {
    while (true) {
      NextToken();
      if (tok_.kind == XmlToken::kEof) {
        WARDEN_RETURN_IF_ERROR(tokens_.status());
        return false;
      }
      if (tok_.kind == XmlToken::kError) {
        *out = ParsedRecord();
        Quarantine(out, tok_.line, "bad XML: " + tok_.text);
        return true;
      }
      if (tok_.kind == XmlToken::kStartTag && IsEntryName(tok_.name)) {
        *out = ParsedRecord();
        ReadEntry(out);
        return true;
      }
    }
  }

 private:
  void NextToken() {
    if (have_pending_) {
      have_pending_ = false;
      return;  // tok_ already holds it
    }
    tokens_.Next(&tok_);
  }

  // Reads the entry whose start tag is in tok_, into *out (quarantined on any problem).
  void ReadEntry(ParsedRecord* out) {
    const int64_t line = tok_.line;
    out->line = line;
    Entry e;
    e.kind = tok_.name;
    std::vector<std::string> stack{e.kind};
    size_t bytes = 0;
    if (tok_.self_closing) stack.clear();
    while (!stack.empty()) {
      NextToken();
      std::string problem;
      switch (tok_.kind) {
        case XmlToken::kEof:
          Quarantine(out, line, fmt::format("<{}> is not closed at the end of the input", e.kind));
          return;
        case XmlToken::kError:
          problem = "bad XML: " + tok_.text;
          break;
        case XmlToken::kStartTag:
          if (IsEntryName(tok_.name)) {
            have_pending_ = true;  // the next entry starts here; read it on the next call
            Quarantine(out, line,
                       fmt::format("<{}> is not closed before <{}> on line {}", e.kind, tok_.name,
                                   tok_.line));
            return;
          }
          if (stack.size() >= kMaxEntryDepth) {
            problem = fmt::format("elements nested over {} deep", kMaxEntryDepth);
            break;
          }
          stack.push_back(tok_.name);
          for (const auto& [key, value] : tok_.attributes) {
            if (stack.size() == 2 && tok_.name == "member" && key == "id") e.member_id = value;
            if (stack.size() == 3 && stack[1] == "fingerprints" && tok_.name == "pdq" &&
                key == "quality") {
              e.pdq_quality = value;
            }
          }
          if (stack.size() == 3 && stack[1] == "fingerprints") {
            e.fingerprints.emplace_back(tok_.name, "");
          }
          if (tok_.self_closing) stack.pop_back();
          break;
        case XmlToken::kText:
          bytes += tok_.text.size();
          if (bytes > kMaxRecordBytes) {
            problem = fmt::format("entry is over {} bytes", kMaxRecordBytes);
            break;
          }
          if (stack.size() == 2) {
            if (stack[1] == "timestamp") {
              e.timestamp += tok_.text;
              e.has_timestamp = true;
            } else if (stack[1] == "id") {
              e.id += tok_.text;
              e.has_id = true;
            } else if (stack[1] == "classification") {
              e.classification += tok_.text;
            }
          } else if (stack.size() == 3 && stack[1] == "fingerprints" && !e.fingerprints.empty()) {
            e.fingerprints.back().second += tok_.text;
          }
          break;
        case XmlToken::kEndTag:
          if (tok_.name != stack.back()) {
            problem = fmt::format("</{}> on line {} does not close <{}>", tok_.name, tok_.line,
                                  stack.back());
            break;
          }
          stack.pop_back();
          break;
      }
      if (!problem.empty()) {
        Quarantine(out, line, fmt::format("<{}>: {}", e.kind, problem));
        SkipEntry(e.kind);
        return;
      }
    }
    Status s = EntryToRecord(e, out);
    if (!s.ok()) Quarantine(out, line, fmt::format("<{}>: {}", e.kind, s.message()));
  }

  // After a bad entry: skip to its end tag, or stop before the next entry's start tag.
  void SkipEntry(const std::string& kind) {
    while (true) {
      NextToken();
      if (tok_.kind == XmlToken::kEof) return;
      if (tok_.kind == XmlToken::kEndTag && tok_.name == kind) return;
      if (tok_.kind == XmlToken::kStartTag && IsEntryName(tok_.name)) {
        have_pending_ = true;
        return;
      }
    }
  }

  static Status EntryToRecord(const Entry& e, ParsedRecord* out) {
    if (e.kind == "video" || e.kind == "deletedVideo") {
      return Status::InvalidArgument(
          "video entries are not imported (Warden has no video signal types yet)");
    }
    if (!e.has_id || TrimBlanks(e.id).empty()) return Status::InvalidArgument("missing <id>");
    if (!e.has_timestamp) return Status::InvalidArgument("missing <timestamp>");
    WARDEN_ASSIGN_OR_RETURN(out->modified_ms, ParseTimestampMs(e.timestamp));
    for (const auto& [name, value] : e.fingerprints) {
      SignalType type;
      if (name == "md5") {
        type = SignalType::kMd5;
      } else if (name == "sha1") {
        type = SignalType::kSha1;
      } else if (name == "sha256") {
        type = SignalType::kSha256;
      } else if (name == "pdq") {
        type = SignalType::kPdq;
      } else {
        continue;  // e.g. PhotoDNA: not a hash Warden holds
      }
      int quality = -1;
      if (type == SignalType::kPdq && !TrimBlanks(e.pdq_quality).empty()) {
        WARDEN_ASSIGN_OR_RETURN(quality, ParseQuality(e.pdq_quality));
      }
      Result<Signal> s = MakeImportSignal(type, TrimBlanks(value), quality);
      if (!s.ok()) return s.status().WithContext(fmt::format("<{}>", name));
      out->item.signals.push_back(BankSignal{std::move(s).value(), "", 0});
    }
    if (out->item.signals.empty()) {
      return Status::InvalidArgument(
          e.kind == "deletedImage"
              ? "no md5, sha1, sha256 or pdq fingerprint (Warden removes by fingerprint; an "
                "entry id alone is not enough)"
              : "no md5, sha1, sha256 or pdq fingerprint");
    }
    out->action = e.kind == "deletedImage" ? RecordAction::kRemove : RecordAction::kUpsert;
    out->item.classification.scheme_label = std::string(TrimBlanks(e.classification));
    out->item.provenance.source_list = "ncmec";
    out->item.provenance.external_id = std::string(TrimBlanks(e.id));
    out->item.provenance.member_id = std::string(TrimBlanks(e.member_id));
    return Status::Ok();
  }

  XmlTokenizer tokens_;
  XmlToken tok_;
  bool have_pending_ = false;
};

std::string XmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        // XML 1.0 cannot carry most control characters even escaped: write a space instead.
        out +=
            (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') ? ' ' : c;
    }
  }
  return out;
}

class NcmecXmlWriter final : public RecordWriter {
 public:
  explicit NcmecXmlWriter(std::ostream& out) : out_(out) {}
  Status Begin() override {
    out_ << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<queryResult xmlns=\"urn:warden:synthetic-ncmec-hash-sharing\">\n  <images>\n";
    return StreamStatus(out_, "ncmec");
  }
  Result<bool> Write(const Item& item) override {
    // An entry without a fingerprint could never be matched or removed: skip the item.
    bool any = false;
    for (const BankSignal& s : item.signals) {
      any = any || BankFormatCarries(BankFormat::kNcmecXml, s.signal.type);
    }
    if (!any) return false;
    std::string id = item.provenance.external_id.empty() ? fmt::format("warden-{}", item.id)
                                                         : item.provenance.external_id;
    out_ << "    <image>\n      <member id=\"" << XmlEscape(item.provenance.member_id)
         << "\"/>\n      <timestamp>" << FormatTimestampMs(item.updated_at_ms)
         << "</timestamp>\n      <id>" << XmlEscape(id) << "</id>\n";
    if (!item.classification.scheme_label.empty()) {
      out_ << "      <classification>" << XmlEscape(item.classification.scheme_label)
           << "</classification>\n";
    }
    out_ << "      <fingerprints>\n";
    for (const BankSignal& s : item.signals) {
      if (!BankFormatCarries(BankFormat::kNcmecXml, s.signal.type)) continue;  // counted by export
      const char* name = SignalTypeName(s.signal.type);
      out_ << "        <" << name;
      if (s.signal.type == SignalType::kPdq && s.signal.quality >= 0) {
        out_ << " quality=\"" << s.signal.quality << '"';
      }
      out_ << '>' << s.signal.value << "</" << name << ">\n";
    }
    out_ << "      </fingerprints>\n    </image>\n";
    WARDEN_RETURN_IF_ERROR(StreamStatus(out_, "ncmec"));
    return true;
  }
  Status Finish() override {
    out_ << "  </images>\n</queryResult>\n";
    out_.flush();
    return StreamStatus(out_, "ncmec");
  }

 private:
  std::ostream& out_;
};

}  // namespace

std::unique_ptr<RecordReader> NewNcmecXmlReader(std::istream& in) {
  return std::make_unique<NcmecXmlReader>(in);
}
std::unique_ptr<RecordWriter> NewNcmecXmlWriter(std::ostream& out) {
  return std::make_unique<NcmecXmlWriter>(out);
}

}  // namespace warden
