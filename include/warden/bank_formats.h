// Bank exchange formats: streaming readers and writers for the hash-list files hotlines and
// platforms exchange (../shared/docs/DOMAIN.md, "Exchange formats to read and write"), and the
// import / export drivers that move them in and out of a BankStore.
//
// Formats (BankFormatName in quotes):
//   "pdq-hasher"  Meta's pdq-photo-hasher output: `hash,quality,filename` per line. The
//                 filename (everything after the second comma) is kept as provenance.external_id.
//                 The reader also takes `warden hash --local` lines,
//                 `hash,quality,local:<hex>,filename`, as a pdq and a local signal.
//   "pytx"        python-threatexchange local file: `<signal_type> <value>` per line, e.g.
//                 `pdq 3a7f...`. Blank lines and lines starting with '#' are skipped. Local
//                 signals are not part of it: a `local` line is quarantined.
//   "csv"         Warden's CSV (RFC 4180 quoting, CRLF or LF), a header row naming the columns
//                 (kCsvColumns; any order; unknown columns ignored; signal_type and value
//                 required).
//   "jsonl"       JSON Lines, one item per line with every field (id, times, algorithm names
//                 included); write -> read gives back the same Item values exactly.
//   "stopncii"    StopNCII hash records: a JSON array of objects or one object per line
//                 (concatenated objects are accepted too): {lastModtimestamp, signalType,
//                 hashValue, hashStatus, caseNumbers, CSPFeedbacks}. ImagePDQ -> pdq and
//                 ImageMD5 -> md5; other types (VideoMD5, ...) are quarantined. Received / Active
//                 upsert the hash; Withdrawn / Deleted remove it. See ImportOptions for the
//                 later-record-wins rule.
//   "ncmec"       NCMEC hash-sharing XML (a synthetic layout, documented in
//                 src/bank/ncmec_xml_format.cc and docs in src/bank/README.md): <image>/<video>
//                 entries with member, timestamp, id, classification and fingerprints; and
//                 <deletedImage>/<deletedVideo> entries that remove the entry's hashes.
//
// A malformed record never stops a read: the reader returns it as a quarantined record with
// its 1-based line number (the line the record starts on) and the reason, and goes on.
//
// Thread safety: readers and writers are single-threaded objects (one per stream). The free
// functions are reentrant. ImportFile / ExportBank are as thread-safe as the BankStore.
#ifndef WARDEN_BANK_FORMATS_H_
#define WARDEN_BANK_FORMATS_H_

#include <cstdint>
#include <functional>
#include <istream>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "warden/bank.h"
#include "warden/bank_store.h"
#include "warden/status.h"

namespace warden {

enum class BankFormat { kPdqHasher, kPytx, kCsv, kJsonl, kStopNcii, kNcmecXml };

// "pdq-hasher", "pytx", "csv", "jsonl", "stopncii", "ncmec".
const char* BankFormatName(BankFormat format);
// Accepts the names above, case-insensitive. Errors: kInvalidArgument naming the input and
// the accepted names.
Result<BankFormat> ParseBankFormat(std::string_view name);

// Whether files of `format` can carry signals of `type`: csv and jsonl carry every type;
// pytx and ncmec carry pdq, md5, sha1 and sha256; stopncii carries pdq and md5; pdq-hasher
// carries pdq (its reader also takes the local field `warden hash --local` prints). No exchange
// format but Warden's own (csv, jsonl) knows the local signal.
// Writers leave out the signals their format cannot carry (ExportSummary counts them).
bool BankFormatCarries(BankFormat format, SignalType type);

// Guesses the format from the first bytes of a file (`head`: up to the first 64 KiB). Rules, in
// order, looking at the first non-blank, non-'#' line (a UTF-8 BOM is skipped):
//   1. starts with '<'                                          -> ncmec
//   2. starts with '[' or '{' and mentions "hashValue" or "signalType" anywhere in head
//                                                               -> stopncii
//   3. starts with '{'                                          -> jsonl
//   4. a CSV header: the comma-separated cells include "signal_type" and "value" -> csv
//   5. `<word> <hex>` where <word> is a known signal type       -> pytx
//   6. `<64 hex>,<digits>,...`                                  -> pdq-hasher
// Errors: kUnsupportedFormat naming what was seen, when no rule matches (e.g. binary bytes).
Result<BankFormat> DetectBankFormat(std::string_view head);

// What a record asks of the bank.
enum class RecordAction {
  // Add the item unless the bank holds one of its signals (then: duplicate, nothing changes).
  // Formats that carry only hashes (pytx, pdq-hasher) use it, so re-importing a bare list
  // never wipes the classification another source gave an item.
  kAdd,
  // Add the item, or replace the classification, provenance, note and disable_until of the
  // item already holding one of its signals (formats carrying whole records: csv, jsonl,
  // stopncii, ncmec).
  kUpsert,
  kRemove,  // remove every item holding one of the item's signals
};

// One record read from a file: either an item with an action, or a quarantined bad record.
struct ParsedRecord {
  int64_t line = 0;  // 1-based line where the record starts
  bool quarantined = false;
  std::string reason;  // why it was quarantined (empty otherwise)
  RecordAction action = RecordAction::kUpsert;
  Item item;  // item.bank is empty; the importer sets it. Signals are canonical.
  // The record's own modification time (StopNCII lastModtimestamp, NCMEC timestamp), Unix ms;
  // 0 when the format has none. The importer lets a later record win (ImportOptions).
  int64_t modified_ms = 0;
};

// Reads records one at a time from a stream, never loading more than one record (bounded by
// kMaxRecordBytes) into memory.
class RecordReader {
 public:
  virtual ~RecordReader() = default;
  // Reads the next record into *out (overwriting it). Returns true if one was read, false at
  // the end of the input. Bad records come back with out->quarantined set, never as errors.
  // Errors: kIoError if the stream itself fails (a read error, not bad content);
  // kCorruptData if the file's structure makes every record unreadable (a CSV header without
  // the signal_type and value columns).
  virtual Result<bool> Next(ParsedRecord* out) = 0;
};

// A record (line, CSV row, JSON object, XML entry) over this many bytes is quarantined and
// skipped without being buffered.
inline constexpr size_t kMaxRecordBytes = 1 << 20;

// A reader of `format` over `in` (not owned; must outlive the reader).
std::unique_ptr<RecordReader> NewRecordReader(BankFormat format, std::istream& in);

// Writes items in one format. Begin once, Write per item, Finish once.
class RecordWriter {
 public:
  virtual ~RecordWriter() = default;
  // Writes the header / opening bracket, if the format has one.
  virtual Status Begin() = 0;
  // Writes one item. Returns false (and writes nothing) if the format cannot hold this item
  // (e.g. pdq-hasher and an item without a PDQ signal). Items whose signals only partly fit
  // (pytx: one line per signal; pdq-hasher: the PDQ signal only) write what fits.
  // Errors: kIoError when the stream fails.
  virtual Result<bool> Write(const Item& item) = 0;
  // Writes the trailer and flushes. Errors: kIoError.
  virtual Status Finish() = 0;
};

// A writer of `format` to `out` (not owned; must outlive the writer).
std::unique_ptr<RecordWriter> NewRecordWriter(BankFormat format, std::ostream& out);

// The CSV columns Warden writes, in this order.
inline constexpr const char* kCsvColumns[] = {
    "signal_type",   "value",       "quality",    "algorithm",      "algorithm_version",
    "extra_signals", "uk_category", "age_band",   "self_generated", "ai_or_manipulated",
    "sex",           "site_type",   "commercial", "scheme_label",   "source_list",
    "external_id",   "member_id",   "note",       "disable_until"};

// ---- Import ----

struct QuarantinedRecord {
  int64_t line = 0;    // 1-based line where the record starts
  std::string reason;  // e.g. "pdq hash must be 64 hex digits, got 32"

  friend bool operator==(const QuarantinedRecord&, const QuarantinedRecord&) = default;
};

struct ImportOptions {
  // nullopt: detect from content (DetectBankFormat).
  std::optional<BankFormat> format;
  // Records per ApplyBatch transaction (>= 1). A crash loses at most the batch in flight.
  // 50,000 because every SQLite commit rewrites each index page the batch touched, and
  // random hashes touch pages all over the index: 1M hashes took 20.0 s in batches of
  // 10,000 and 10.7 s in batches of 50,000 (bench/import_bench). A batch holds ~20 MB.
  int batch_size = 50'000;
  // Who the history records as the actor; empty = "import:<source_name>".
  std::string actor;
  // Name of the file being imported, for the actor, the history summary and provenance
  // (items with an empty source_list get this). Empty: "stdin" for ImportStream, the file's
  // name (without directories) for ImportFile.
  std::string source_name;
  // Called after every committed batch with the number of records read so far.
  std::function<void(int64_t records_done)> progress;
  // Keep at most this many quarantined records in the summary (the count is always exact);
  // the quarantine file, if set, gets all of them.
  size_t max_quarantine_kept = 10'000;
  // If non-empty, every quarantined record is written here as JSON Lines
  // ({"line":N,"reason":"..."}), e.g. "<name>.quarantine.jsonl". The file is created only if
  // there is something to write.
  std::string quarantine_path;
};

// Later-record-wins: records carrying modified_ms (StopNCII, NCMEC) are applied only if their
// time is later than (or equal to, for ties later in the file) every earlier record for the
// same signal in this import; older ones are counted as superseded. So the final state of each
// hash is that of its latest record whatever the order in the file. The importer keeps one
// (signal, time) pair per distinct hash of such formats in memory for this.
struct ImportSummary {
  BankFormat format = BankFormat::kPytx;
  int64_t records = 0;  // records read (including quarantined ones)
  int64_t added = 0;
  int64_t updated = 0;
  int64_t removed = 0;     // items removed by Withdrawn / Deleted / deletedImage records
  int64_t duplicate = 0;   // records that changed nothing (already held)
  int64_t not_found = 0;   // removals of hashes the bank does not hold
  int64_t superseded = 0;  // records an equal-or-later record for the same hash replaced
  int64_t quarantined = 0;
  int64_t batches = 0;                        // ApplyBatch calls that committed
  std::vector<QuarantinedRecord> quarantine;  // the first max_quarantine_kept of them
};

// Imports `in` into the existing bank `bank` of `store`, streaming, in batches of
// options.batch_size records, each one ApplyBatch (all or nothing, with an import history
// summary). Bad records are quarantined and the import goes on. On an error, the batches
// committed before it stay committed (the summary is lost; the history has one entry per batch).
// Errors: kNotFound if the bank does not exist; kInvalidArgument for bad options;
// kUnsupportedFormat if the format is not given and cannot be detected; kIoError if the
// stream or the quarantine file fails; any ApplyBatch error.
Result<ImportSummary> ImportStream(BankStore& store, std::string_view bank, std::istream& in,
                                   const ImportOptions& options);

// ImportStream over the file at `path`; source_name defaults to the file's name.
// Errors: as ImportStream, plus kNotFound / kIoError if the file cannot be opened.
Result<ImportSummary> ImportFile(BankStore& store, std::string_view bank, const std::string& path,
                                 ImportOptions options);

// ---- Export ----

struct ExportSummary {
  int64_t written = 0;  // items written (wholly or in part)
  int64_t skipped = 0;  // items the format cannot hold (e.g. no PDQ signal for pdq-hasher)
  // Signals the format cannot carry (BankFormatCarries), by type, counted over every item
  // (written or skipped), e.g. {kLocal: 12} for an export of 12 local signals to pytx.
  std::map<SignalType, int64_t> left_out;
};

// Writes every item of `bank`, in ascending id order, read in pages through ListItems.
// Errors: kNotFound if the bank does not exist; kIoError when `out` fails; store errors.
Result<ExportSummary> ExportBank(BankStore& store, std::string_view bank, BankFormat format,
                                 std::ostream& out);

}  // namespace warden

#endif  // WARDEN_BANK_FORMATS_H_
