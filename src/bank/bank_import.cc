// The import and export drivers: stream records from a reader into BankStore::ApplyBatch
// transactions, and page a bank's items out through a writer.
#include <fmt/core.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <streambuf>
#include <unordered_map>

#include "src/bank/item_json.h"
#include "src/bank/record_fields.h"
#include "warden/bank_formats.h"

namespace warden {
namespace {

constexpr size_t kDetectBytes = 64 * 1024;

// Serves `prefix` (bytes already read from `rest` to detect the format) and then the rest of
// `rest`, so that detection works on pipes that cannot seek back.
class PrefixedStreamBuf final : public std::streambuf {
 public:
  PrefixedStreamBuf(std::string prefix, std::streambuf* rest)
      : prefix_(std::move(prefix)), rest_(rest) {
    setg(prefix_.data(), prefix_.data(), prefix_.data() + prefix_.size());
  }

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    std::streamsize n = rest_->sgetn(buf_, sizeof(buf_));
    if (n <= 0) return traits_type::eof();
    setg(buf_, buf_, buf_ + n);
    return traits_type::to_int_type(*gptr());
  }

 private:
  std::string prefix_;
  std::streambuf* rest_;
  char buf_[1 << 16];
};

class QuarantineLog {
 public:
  QuarantineLog(const ImportOptions& options, ImportSummary* summary)
      : options_(options), summary_(summary) {}

  Status Add(int64_t line, const std::string& reason) {
    ++summary_->quarantined;
    if (summary_->quarantine.size() < options_.max_quarantine_kept) {
      summary_->quarantine.push_back({line, reason});
    }
    if (options_.quarantine_path.empty()) return Status::Ok();
    if (!file_.is_open()) {
      file_.open(options_.quarantine_path, std::ios::out | std::ios::trunc | std::ios::binary);
      if (!file_.is_open()) {
        return Status::IoError(fmt::format("cannot create the quarantine file {}: {}",
                                           options_.quarantine_path, std::strerror(errno)));
      }
    }
    file_ << DumpJson({{"line", line}, {"reason", reason}}) << '\n';
    if (file_.fail()) {
      return Status::IoError(
          fmt::format("writing the quarantine file {} failed", options_.quarantine_path));
    }
    return Status::Ok();
  }

  Status Close() {
    if (!file_.is_open()) return Status::Ok();
    file_.close();
    if (file_.fail()) {
      return Status::IoError(
          fmt::format("writing the quarantine file {} failed", options_.quarantine_path));
    }
    return Status::Ok();
  }

 private:
  const ImportOptions& options_;
  ImportSummary* summary_;
  std::ofstream file_;
};

std::string Truncated(std::string s, size_t max) {
  if (s.size() > max) s.resize(max);
  return s;
}

// An ApplyBatch error names "op N"; point it at the file line instead.
Status WithLine(const Status& s, const std::vector<int64_t>& lines) {
  const std::string& m = s.message();
  if (m.rfind("op ", 0) == 0) {
    size_t n = 0, i = 3;
    while (i < m.size() && m[i] >= '0' && m[i] <= '9' && n < lines.size()) {
      n = n * 10 + static_cast<size_t>(m[i++] - '0');
    }
    if (i > 3 && n < lines.size()) return s.WithContext(fmt::format("line {}", lines[n]));
  }
  return s;
}

}  // namespace

Result<ImportSummary> ImportStream(BankStore& store, std::string_view bank, std::istream& in,
                                   const ImportOptions& options) {
  if (options.batch_size < 1) {
    return Status::InvalidArgument(
        fmt::format("import batch size must be at least 1, got {}", options.batch_size));
  }
  {
    Result<Bank> b = store.GetBank(bank);
    if (!b.ok()) return b.status();
  }
  const std::string source = options.source_name.empty() ? "stdin" : options.source_name;
  const std::string actor =
      Truncated(options.actor.empty() ? "import:" + source : options.actor, kMaxShortFieldLength);

  ImportSummary summary;
  std::istream* src = &in;
  std::unique_ptr<PrefixedStreamBuf> prefixed;
  std::unique_ptr<std::istream> prefixed_stream;
  if (options.format) {
    summary.format = *options.format;
  } else {
    std::string head(kDetectBytes, '\0');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    if (in.bad()) return Status::IoError(fmt::format("reading {} failed", source));
    head.resize(static_cast<size_t>(in.gcount()));
    Result<BankFormat> f = DetectBankFormat(head);
    if (!f.ok()) return f.status().WithContext(source);
    summary.format = *f;
    prefixed = std::make_unique<PrefixedStreamBuf>(std::move(head), in.rdbuf());
    prefixed_stream = std::make_unique<std::istream>(prefixed.get());
    src = prefixed_stream.get();
  }
  std::unique_ptr<RecordReader> reader = NewRecordReader(summary.format, *src);
  QuarantineLog quarantine(options, &summary);

  // Later-record-wins bookkeeping for formats whose records carry a time (see the header).
  std::unordered_map<std::string, int64_t> latest;
  std::string key;
  WriteBatch batch;
  std::vector<int64_t> op_lines;
  const std::string source_list = Truncated(source, kMaxShortFieldLength);

  auto commit = [&]() -> Status {
    if (batch.empty()) return Status::Ok();
    batch.summary = fmt::format("{} ({}): {} records up to line {}", source,
                                BankFormatName(summary.format), batch.size(), op_lines.back());
    batch.summary_bank = std::string(bank);
    Result<BatchResult> r = store.ApplyBatch(batch, actor);
    if (!r.ok()) return WithLine(r.status(), op_lines).WithContext(source);
    summary.added += r->added;
    summary.updated += r->updated;
    summary.removed += r->removed;
    summary.duplicate += r->duplicate;
    summary.not_found += r->not_found;
    ++summary.batches;
    batch.ops.clear();
    op_lines.clear();
    if (options.progress) options.progress(summary.records);
    return Status::Ok();
  };

  ParsedRecord rec;
  while (true) {
    Result<bool> more = reader->Next(&rec);
    if (!more.ok()) return more.status().WithContext(source);
    if (!*more) break;
    ++summary.records;
    if (rec.quarantined) {
      WARDEN_RETURN_IF_ERROR(quarantine.Add(rec.line, rec.reason));
      continue;
    }
    Item& item = rec.item;
    item.bank = std::string(bank);
    if (item.provenance.source_list.empty()) item.provenance.source_list = source_list;
    NormalizeItem(&item);
    // ApplyBatch refuses a whole batch for one invalid op, so each item is checked here first
    // with the store's own rules and quarantined alone.
    if (Status valid = ValidateItem(item); !valid.ok()) {
      WARDEN_RETURN_IF_ERROR(quarantine.Add(rec.line, valid.message()));
      continue;
    }
    if (rec.modified_ms > 0) {
      bool stale = false;
      for (const BankSignal& s : item.signals) {
        key = s.signal.ToTagged();
        auto it = latest.find(key);
        if (it != latest.end() && it->second > rec.modified_ms) stale = true;
      }
      if (stale) {
        ++summary.superseded;
        continue;
      }
      for (const BankSignal& s : item.signals) latest[s.signal.ToTagged()] = rec.modified_ms;
    }
    switch (rec.action) {
      case RecordAction::kAdd:
        batch.Add(std::move(item));
        break;
      case RecordAction::kUpsert:
        batch.Upsert(std::move(item));
        break;
      case RecordAction::kRemove:
        batch.ops.push_back(WriteOp{WriteOpKind::kRemoveBySignal, std::move(item)});
        break;
    }
    op_lines.push_back(rec.line);
    if (batch.size() >= static_cast<size_t>(options.batch_size)) WARDEN_RETURN_IF_ERROR(commit());
  }
  WARDEN_RETURN_IF_ERROR(commit());
  WARDEN_RETURN_IF_ERROR(quarantine.Close());
  return summary;
}

Result<ImportSummary> ImportFile(BankStore& store, std::string_view bank, const std::string& path,
                                 ImportOptions options) {
  std::ifstream in(path, std::ios::in | std::ios::binary);
  if (!in.is_open()) {
    int err = errno;
    std::string message = fmt::format("cannot open {}: {}", path, std::strerror(err));
    return err == ENOENT ? Status::NotFound(message) : Status::IoError(message);
  }
  if (options.source_name.empty()) {
    size_t slash = path.find_last_of('/');
    options.source_name = slash == std::string::npos ? path : path.substr(slash + 1);
  }
  return ImportStream(store, bank, in, options);
}

Result<ExportSummary> ExportBank(BankStore& store, std::string_view bank, BankFormat format,
                                 std::ostream& out) {
  {
    Result<Bank> b = store.GetBank(bank);
    if (!b.ok()) return b.status();
  }
  std::unique_ptr<RecordWriter> writer = NewRecordWriter(format, out);
  WARDEN_RETURN_IF_ERROR(writer->Begin());
  ExportSummary summary;
  int64_t after_id = 0;
  while (true) {
    WARDEN_ASSIGN_OR_RETURN(std::vector<Item> page, store.ListItems(bank, after_id, 1000));
    if (page.empty()) break;
    for (const Item& item : page) {
      WARDEN_ASSIGN_OR_RETURN(bool written, writer->Write(item));
      ++(written ? summary.written : summary.skipped);
      for (const BankSignal& s : item.signals) {
        if (!BankFormatCarries(format, s.signal.type)) ++summary.left_out[s.signal.type];
      }
    }
    after_id = page.back().id;
  }
  WARDEN_RETURN_IF_ERROR(writer->Finish());
  return summary;
}

}  // namespace warden
