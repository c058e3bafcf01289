// The evaluation corpus: the manifest that ../shared/scripts/build-corpus.sh writes, the
// pair file naming groups inside it (../shared/testdata/corpus-pairs.tsv), and the seeded
// choice of query sources.
//
// manifest.tsv: a header row, then one tab-separated row per file. Columns used: path
// (relative to the corpus folder), photo, distinct, people (0/1), dup_group (near-duplicate
// group id, empty when none). Others are ignored; their order does not matter.
// corpus-pairs.tsv: '#' comments, a header "group relation members note", members being
// space-separated paths where '*' stands for any characters.
//
// Thread safety: value types and reentrant functions.
#ifndef WARDEN_SRC_EVAL_CORPUS_H_
#define WARDEN_SRC_EVAL_CORPUS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "warden/status.h"

namespace warden::eval {

struct CorpusEntry {
  std::string path;  // relative to the corpus folder
  bool photo = false;
  bool distinct = false;
  bool people = false;
  std::string dup_group;  // empty when the file is in no near-duplicate group
};

struct Corpus {
  std::string root;  // the corpus folder
  std::vector<CorpusEntry> entries;
};

// Reads ROOT/manifest.tsv. Errors: kNotFound / kIoError for the file, kCorruptData naming the
// line for a row with the wrong number of fields or a missing required column.
Result<Corpus> LoadCorpus(const std::string& root);

// Indices of the references: rows with photo=1 and distinct=1, in manifest order.
std::vector<size_t> ReferenceIndices(const Corpus& corpus);

struct PairGroup {
  std::string name;
  std::string relation;  // "distinct-photos", "related-content" or "derived"
  std::string note;
  std::vector<size_t> members;  // corpus entry indices, in manifest order
};

// Reads a pair file and expands its member patterns against the corpus (a pattern matching
// nothing gives a group with fewer members; the report shows the counts).
// Errors: kNotFound / kIoError, kCorruptData naming the line of a malformed row.
Result<std::vector<PairGroup>> LoadPairGroups(const std::string& path, const Corpus& corpus);

// Whole-string match where '*' matches any run of characters (including '/').
bool GlobMatch(std::string_view pattern, std::string_view text);

// The query sources: `count` references chosen with `seed`, every reference with people=1
// first (in seeded order), then the others in seeded order. Returns reference positions
// (indices into `references`). With count >= references.size() every reference is chosen.
std::vector<size_t> SelectQuerySources(const Corpus& corpus, const std::vector<size_t>& references,
                                       size_t count, uint64_t seed);

}  // namespace warden::eval

#endif  // WARDEN_SRC_EVAL_CORPUS_H_
