#include "src/cli/match_command.h"

#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "src/bank/item_json.h"
#include "src/cli/bank_command.h"
#include "src/cli/hash_command.h"
#include "src/cli/store_access.h"
#include "warden/file_bytes.h"
#include "warden/hasher.h"
#include "warden/matcher.h"
#include "warden/pdq_index.h"

namespace warden {
namespace {

struct Input {
  std::string label;  // the path, or the --hash argument as given
  std::vector<MatchQuery> queries;
};

// "pdq:HEX", "md5:HEX", "local:HEX", ... or 64 bare hex digits (PDQ).
Result<Signal> ParseHashArgument(const std::string& arg) {
  Result<Signal> signal = arg.find(':') == std::string::npos ? Signal::Make(SignalType::kPdq, arg)
                                                             : Signal::ParseTagged(arg);
  if (!signal.ok()) {
    return Status::InvalidArgument(fmt::format("--hash {}: {}", arg, signal.status().message()));
  }
  return signal;
}

// Whole pixels containing the box: "X0,Y0-X1,Y1".
struct Region {
  int64_t x0, y0, x1, y1;
};
Region RegionOf(const LocalBox& box) {
  return {static_cast<int64_t>(std::floor(box.x0)), static_cast<int64_t>(std::floor(box.y0)),
          static_cast<int64_t>(std::ceil(box.x1)), static_cast<int64_t>(std::ceil(box.y1))};
}

nlohmann::json MatchJson(const Match& m) {
  Item item;  // for the one JSON shape of classification and provenance (item_json.h)
  item.classification = m.classification;
  item.provenance = m.provenance;
  nlohmann::json whole = ItemToJson(item);
  const bool local = m.signal_type == SignalType::kLocal;
  nlohmann::json j = {{"bank", m.bank},
                      {"bank_kind", BankKindName(m.bank_kind)},
                      {"item_id", m.item_id},
                      {"signal_type", SignalTypeName(m.signal_type)},
                      {"signal", local ? nlohmann::json(nullptr) : nlohmann::json(m.signal_value)},
                      {"distance", local ? nlohmann::json(nullptr) : nlohmann::json(m.distance)},
                      {"classification", whole["classification"]},
                      {"provenance", whole["provenance"]}};
  if (m.signal_type == SignalType::kPdq) j["dihedral"] = DihedralName(m.dihedral);
  if (m.local) {
    const Region r = RegionOf(m.local->region);
    j["score"] = std::round(m.local->score * 1000) / 1000;
    j["inliers"] = m.local->inliers;
    j["coverage"] = std::round(m.local->coverage * 1000) / 1000;
    j["region"] = {{"x0", r.x0}, {"y0", r.y0}, {"x1", r.x1}, {"y1", r.y1}};
  }
  if (m.suppressed_by_item > 0) {
    j["suppressed_by"] = {{"bank", m.suppressed_by_bank}, {"item_id", m.suppressed_by_item}};
  }
  return j;
}

// " category B, age 7-10, source ncmec, external id X": only the fields that are set.
std::string Details(const Match& m) {
  std::string s;
  auto add = [&s](const std::string& part) { s += (s.empty() ? " (" : ", ") + part; };
  const Classification& c = m.classification;
  if (c.uk_category != UkCategory::kNone)
    add(fmt::format("category {}", UkCategoryName(c.uk_category)));
  if (c.youngest_age != AgeBand::kUnknown) add(fmt::format("age {}", AgeBandName(c.youngest_age)));
  if (c.self_generated) add("self-generated");
  if (c.ai_or_manipulated) add("ai or manipulated");
  if (!c.scheme_label.empty()) add("label " + c.scheme_label);
  if (!m.provenance.source_list.empty()) add("source " + m.provenance.source_list);
  if (!m.provenance.external_id.empty()) add("external id " + m.provenance.external_id);
  if (!m.provenance.member_id.empty()) add("member " + m.provenance.member_id);
  return s.empty() ? s : s + ")";
}

std::string MatchText(const Match& m) {
  std::string local;
  if (m.local) {
    const Region r = RegionOf(m.local->region);
    local = fmt::format("local score {:.1f} region {},{}-{},{}", m.local->score, r.x0, r.y0, r.x1,
                        r.y1);
  }
  if (m.signal_type == SignalType::kLocal) {
    return fmt::format("{} item {} {}{}", m.bank, m.item_id, local, Details(m));
  }
  std::string variant;
  if (m.signal_type == SignalType::kPdq && m.dihedral != Dihedral::kOriginal) {
    variant = fmt::format(" [{}]", DihedralName(m.dihedral));
  }
  if (!local.empty()) local = " " + local;
  return fmt::format("{} item {} {} distance {}{}{}{}", m.bank, m.item_id,
                     SignalTypeName(m.signal_type), m.distance, variant, local, Details(m));
}

void PrintResult(const MatchCommandOptions& o, const std::string& label, const LookupResult& r,
                 std::FILE* out) {
  if (o.format == "json") {
    nlohmann::json j = {{"input", label}, {"matched", r.matched()}};
    for (const char* key : {"matches", "negative", "suppressed"}) j[key] = nlohmann::json::array();
    for (const Match& m : r.matches) j["matches"].push_back(MatchJson(m));
    for (const Match& m : r.negative) j["negative"].push_back(MatchJson(m));
    for (const Match& m : r.suppressed) j["suppressed"].push_back(MatchJson(m));
    j["notes"] = r.notes;
    fmt::print(out, "{}\n", DumpJson(j));
    return;
  }
  for (const Match& m : r.matches) fmt::print(out, "{}: match {}\n", label, MatchText(m));
  for (const Match& m : r.suppressed) {
    fmt::print(out, "{}: suppressed by {} item {}: {}\n", label, m.suppressed_by_bank,
               m.suppressed_by_item, MatchText(m));
  }
  for (const Match& m : r.negative) fmt::print(out, "{}: negative {}\n", label, MatchText(m));
  for (const std::string& note : r.notes) fmt::print(out, "{}: note: {}\n", label, note);
  if (!r.matched()) fmt::print(out, "{}: no match\n", label);
}

}  // namespace

CLI::App* AddMatchCommand(CLI::App* app, MatchCommandOptions* o) {
  CLI::App* match = app->add_subcommand(
      "match",
      "Look image files and hashes up in the banks (PDQ within --threshold, digests "
      "exactly, local features by geometric verification).");
  match->add_option("PATH", o->paths, "Image files to hash (fullres pipeline) and look up");
  match->add_option("--hash", o->hashes,
                    "A hash to look up: pdq:HEX, md5:HEX, sha1:HEX, sha256:HEX, local:HEX or 64 "
                    "hex (PDQ); repeatable");
  match->add_option("--banks", o->banks, "Only these positive banks (negative banks always apply)")
      ->delimiter(',');
  match->add_option("--threshold", o->threshold, "PDQ distance, inclusive, 0..256")
      ->check(CLI::Range(0, kPdqMaxDistance))
      ->capture_default_str();
  match->add_flag("--dihedral", o->dihedral, "Also match the 8 rotations/mirrors of each query");
  match->add_option("--local", o->local,
                    "Extract each image's local features and look them up: on, off, or auto "
                    "(when the banks hold local signals)")
      ->check(CLI::IsMember({"auto", "on", "off"}))
      ->capture_default_str();
  match->add_option("--local-min-score", o->local_min_score,
                    "Local features match at this verifier score or more")
      ->check(CLI::Range(0.0, 1e6))
      ->capture_default_str();
  match->add_flag("--raw", o->raw,
                  "Ignore disabled items and banks, ratios and negative banks (HMA raw_lookup)");
  match->add_option("--format", o->format, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  match->add_option("--db", o->db, "The SQLite store (default ./warden.db)")
      ->envname("WARDEN_DB")
      ->capture_default_str();
  match->footer(
      "Exit status: 0 when every input was looked up, whether or not it matched (\"no match\" "
      "is printed);\n1 when an input could not be hashed or the store failed; 2 for usage "
      "errors.");
  return match;
}

int RunMatchCommand(const MatchCommandOptions& o, std::FILE* out, std::FILE* err) {
  const int usage = ExitCodeFor(StatusCode::kInvalidArgument);
  if (o.paths.empty() && o.hashes.empty()) {
    fmt::print(err, "warden: match: nothing to look up (give image PATHs or --hash TYPE:HEX)\n");
    return usage;
  }
  // Every --hash is checked before any work, so a typo costs nothing.
  std::vector<Input> hash_inputs;
  for (const std::string& arg : o.hashes) {
    Result<Signal> signal = ParseHashArgument(arg);
    if (!signal.ok()) {
      fmt::print(err, "warden: {}\n", signal.status().message());
      return usage;
    }
    hash_inputs.push_back({arg, {MatchQuery{*signal, std::nullopt}}});
  }
  LookupOptions options;
  options.threshold = o.threshold;
  options.banks = o.banks;
  options.dihedral = o.dihedral;
  options.raw = o.raw;
  options.local_min_score = o.local_min_score;
  for (const std::string& bank : options.banks) {
    Status name = ValidateBankName(bank);
    if (!name.ok()) {
      fmt::print(err, "warden: --banks: {}\n", name.message());
      return usage;
    }
  }

  Result<std::unique_ptr<BankStore>> store = OpenStoreForCli(o.db, false);
  if (!store.ok()) {
    fmt::print(err, "warden: {}\n", store.status().message());
    return ExitCodeFor(store.status().code());
  }
  Result<std::unique_ptr<Matcher>> matcher = NewMatcher(store->get());
  if (!matcher.ok()) {
    fmt::print(err, "warden: {}: {}\n", o.db, matcher.status().message());
    return ExitCodeFor(matcher.status().code());
  }

  int status = 0;
  auto answer = [&](const Input& input) -> bool {
    Result<LookupResult> r = (*matcher)->Lookup(input.queries, options);
    if (!r.ok()) {
      fmt::print(err, "warden: {}\n", r.status().message());
      status = ExitCodeFor(r.status().code());
      return false;  // the same error would repeat for every input
    }
    PrintResult(o, input.label, *r, out);
    return true;
  };
  HashOptions hash_options;
  hash_options.pipeline = Pipeline::kFullres;
  hash_options.dihedral = o.dihedral;
  const bool local =
      o.local == "on" || (o.local == "auto" && (*matcher)->Stats().local_signals > 0);
  LocalExtractOptions local_options;
  local_options.max_keypoints = kLocalQueryKeypoints;
  local_options.enlarged_view = true;
  local_options.overlay_view = true;
  for (const std::string& path : o.paths) {
    Result<std::vector<uint8_t>> bytes = ReadFileBytes(path);
    Result<HashRecord> record =
        bytes.ok() ? HashImageBytes(*bytes, hash_options) : Result<HashRecord>(bytes.status());
    if (!record.ok()) {
      fmt::print(err, "warden: {}: {}\n", path, FailureReason(record.status()));
      status = 1;
      continue;
    }
    Input input{path, {}};
    for (const Signal& signal : record->Signals()) {
      MatchQuery query{signal, std::nullopt};
      if (signal.type == SignalType::kPdq && record->pdq.has_dihedral) {
        query.dihedral = record->pdq.dihedral;
      }
      input.queries.push_back(std::move(query));
    }
    if (local) {
      Result<LocalFeatures> features = ExtractLocalFeaturesFromBytes(*bytes, local_options);
      if (!features.ok()) {
        fmt::print(err, "warden: {}: local features: {}\n", path, FailureReason(features.status()));
        status = 1;
        continue;
      }
      input.queries.push_back(
          LocalMatchQuery(std::make_shared<const LocalFeatures>(std::move(*features))));
    }
    if (!answer(input)) return status;
  }
  for (const Input& input : hash_inputs) {
    if (!answer(input)) return status;
  }
  return status;
}

}  // namespace warden
