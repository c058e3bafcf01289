#include "src/eval/corpus.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include "src/eval/transform_steps.h"

namespace warden::eval {
namespace {

std::vector<std::string> SplitTabs(const std::string& line) {
  std::vector<std::string> fields;
  size_t start = 0;
  while (true) {
    const size_t tab = line.find('\t', start);
    fields.push_back(
        line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
    if (tab == std::string::npos) break;
    start = tab + 1;
  }
  return fields;
}

Result<std::ifstream> OpenText(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound(path + ": cannot open");
  return in;
}

void StripCr(std::string& line) {
  if (!line.empty() && line.back() == '\r') line.pop_back();
}

}  // namespace

Result<Corpus> LoadCorpus(const std::string& root) {
  const std::string path = root + "/manifest.tsv";
  WARDEN_ASSIGN_OR_RETURN(std::ifstream in, OpenText(path));
  std::string line;
  if (!std::getline(in, line)) return Status::CorruptData(path + ": empty manifest");
  StripCr(line);
  const std::vector<std::string> header = SplitTabs(line);
  std::map<std::string, size_t> column;
  for (size_t i = 0; i < header.size(); ++i) column[header[i]] = i;
  for (const char* required : {"path", "photo", "distinct"}) {
    if (column.count(required) == 0) {
      return Status::CorruptData(path + ": header has no \"" + required + "\" column");
    }
  }
  auto get = [&column](const std::vector<std::string>& f, const char* name) -> std::string {
    const auto it = column.find(name);
    return it == column.end() || it->second >= f.size() ? std::string() : f[it->second];
  };
  Corpus corpus;
  corpus.root = root;
  int line_no = 1;
  while (std::getline(in, line)) {
    ++line_no;
    StripCr(line);
    if (line.empty()) continue;
    const std::vector<std::string> f = SplitTabs(line);
    if (f.size() != header.size()) {
      return Status::CorruptData(path + ":" + std::to_string(line_no) + ": " +
                                 std::to_string(f.size()) + " fields, the header has " +
                                 std::to_string(header.size()));
    }
    CorpusEntry e;
    e.path = get(f, "path");
    e.photo = get(f, "photo") == "1";
    e.distinct = get(f, "distinct") == "1";
    e.people = get(f, "people") == "1";
    e.dup_group = get(f, "dup_group");
    if (e.path.empty()) {
      return Status::CorruptData(path + ":" + std::to_string(line_no) + ": empty path");
    }
    corpus.entries.push_back(std::move(e));
  }
  return corpus;
}

std::vector<size_t> ReferenceIndices(const Corpus& corpus) {
  std::vector<size_t> refs;
  for (size_t i = 0; i < corpus.entries.size(); ++i) {
    if (corpus.entries[i].photo && corpus.entries[i].distinct) refs.push_back(i);
  }
  return refs;
}

bool GlobMatch(std::string_view pattern, std::string_view text) {
  // Iterative wildcard match with backtracking to the last '*'.
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

Result<std::vector<PairGroup>> LoadPairGroups(const std::string& path, const Corpus& corpus) {
  WARDEN_ASSIGN_OR_RETURN(std::ifstream in, OpenText(path));
  std::vector<PairGroup> groups;
  std::string line;
  int line_no = 0;
  bool header_seen = false;
  while (std::getline(in, line)) {
    ++line_no;
    StripCr(line);
    if (line.empty() || line[0] == '#') continue;
    const std::vector<std::string> f = SplitTabs(line);
    if (!header_seen) {  // "group relation members note"
      header_seen = true;
      if (!f.empty() && f[0] == "group") continue;
    }
    if (f.size() < 3) {
      return Status::CorruptData(path + ":" + std::to_string(line_no) +
                                 ": expected group, relation, members and note");
    }
    PairGroup g;
    g.name = f[0];
    g.relation = f[1];
    g.note = f.size() > 3 ? f[3] : "";
    if (g.relation != "distinct-photos" && g.relation != "related-content" &&
        g.relation != "derived") {
      return Status::CorruptData(path + ":" + std::to_string(line_no) + ": unknown relation \"" +
                                 g.relation + "\"");
    }
    std::stringstream members(f[2]);
    std::vector<std::string> patterns;
    for (std::string m; members >> m;) patterns.push_back(m);
    for (size_t i = 0; i < corpus.entries.size(); ++i) {
      for (const std::string& pattern : patterns) {
        if (GlobMatch(pattern, corpus.entries[i].path)) {
          g.members.push_back(i);
          break;
        }
      }
    }
    groups.push_back(std::move(g));
  }
  return groups;
}

std::vector<size_t> SelectQuerySources(const Corpus& corpus, const std::vector<size_t>& references,
                                       size_t count, uint64_t seed) {
  // Order each part by a seeded hash of the path: stable under manifest reordering, and
  // independent of how many are asked for (a smaller run is a prefix of a larger one).
  std::vector<std::pair<uint64_t, size_t>> people, others;
  for (size_t r = 0; r < references.size(); ++r) {
    const std::string& path = corpus.entries[references[r]].path;
    uint64_t h = seed;
    for (unsigned char c : path) h = MixSeed(h, c);
    (corpus.entries[references[r]].people ? people : others).emplace_back(h, r);
  }
  std::sort(people.begin(), people.end());
  std::sort(others.begin(), others.end());
  std::vector<size_t> chosen;
  for (const auto* part : {&people, &others}) {
    for (const auto& [h, r] : *part) {
      if (chosen.size() >= count) return chosen;
      chosen.push_back(r);
    }
  }
  return chosen;
}

}  // namespace warden::eval
