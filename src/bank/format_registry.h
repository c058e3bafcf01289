// The per-format reader and writer factories behind NewRecordReader / NewRecordWriter
// (warden/bank_formats.h). One pair per format file in src/bank/.
//
// Thread safety: the factories are reentrant; the objects they return are single-threaded.
#ifndef WARDEN_SRC_BANK_FORMAT_REGISTRY_H_
#define WARDEN_SRC_BANK_FORMAT_REGISTRY_H_

#include <istream>
#include <memory>
#include <ostream>

#include "warden/bank_formats.h"

namespace warden {

std::unique_ptr<RecordReader> NewPytxReader(std::istream& in);
std::unique_ptr<RecordWriter> NewPytxWriter(std::ostream& out);
std::unique_ptr<RecordReader> NewPdqHasherReader(std::istream& in);
std::unique_ptr<RecordWriter> NewPdqHasherWriter(std::ostream& out);
std::unique_ptr<RecordReader> NewCsvReader(std::istream& in);
std::unique_ptr<RecordWriter> NewCsvWriter(std::ostream& out);
std::unique_ptr<RecordReader> NewJsonlReader(std::istream& in);
std::unique_ptr<RecordWriter> NewJsonlWriter(std::ostream& out);
std::unique_ptr<RecordReader> NewStopNciiReader(std::istream& in);
std::unique_ptr<RecordWriter> NewStopNciiWriter(std::ostream& out);
std::unique_ptr<RecordReader> NewNcmecXmlReader(std::istream& in);
std::unique_ptr<RecordWriter> NewNcmecXmlWriter(std::ostream& out);

// Shared by the writers: kIoError if `out` has failed, naming the format.
Status StreamStatus(const std::ostream& out, const char* format);

// Marks *record quarantined at `line` with `reason` (clearing any item it held).
void Quarantine(ParsedRecord* record, int64_t line, std::string reason);

}  // namespace warden

#endif  // WARDEN_SRC_BANK_FORMAT_REGISTRY_H_
