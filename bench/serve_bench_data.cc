#include "bench/serve_bench_data.h"

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>

#include "src/index/random_hashes.h"
#include "warden/bank_store.h"

namespace warden::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr int kBatchSize = 50'000;

std::string Marker(const BuildOptions& o) {
  return fmt::format("serve_bench: n={} seed={} photo={} complete", o.n, o.seed,
                     o.photo_hash.ToHex());
}

Item PdqItem(const PdqHash& hash) {
  Signal s;
  s.type = SignalType::kPdq;
  s.value = hash.ToHex();
  s.quality = 100;
  return MakeItem(kBenchBank, std::move(s));
}

double FileMib(const std::string& path) {
  std::error_code ec;
  double bytes = 0;
  for (const char* suffix : {"", "-wal"}) {
    auto size = std::filesystem::file_size(path + suffix, ec);
    if (!ec) bytes += static_cast<double>(size);
  }
  return bytes / (1024.0 * 1024.0);
}

// Reads back a finished store: every PDQ item (the photo's among them).
Status ReadBack(BankStore& store, const BuildOptions& o, BenchData* data) {
  data->hashes.reserve(static_cast<size_t>(o.n) + 1);
  data->ids.reserve(static_cast<size_t>(o.n) + 1);
  return store.ForEachItem([&](const Item& item) -> Status {
    if (item.bank != kBenchBank) return Status::Ok();
    const BankSignal* s = item.FindSignal(SignalType::kPdq);
    if (s == nullptr) return Status::Ok();
    WARDEN_ASSIGN_OR_RETURN(PdqHash h, PdqHash::FromHex(s->signal.value));
    if (h == o.photo_hash) data->photo_id = item.id;
    data->hashes.push_back(h);
    data->ids.push_back(item.id);
    return Status::Ok();
  });
}

Status Build(BankStore& store, const BuildOptions& o, BenchData* data) {
  Bank bank;
  bank.name = kBenchBank;
  bank.description = "serve_bench: building";
  WARDEN_RETURN_IF_ERROR(store.CreateBank(bank, "serve_bench").status());
  if (o.keep_hashes) {
    data->hashes.reserve(static_cast<size_t>(o.n) + 1);
    data->ids.reserve(static_cast<size_t>(o.n) + 1);
  }
  std::mt19937_64 rng(o.seed);
  int64_t done = 0;
  auto start = SteadyClock::now();
  while (done < o.n) {
    int64_t size = std::min<int64_t>(kBatchSize, o.n - done);
    WriteBatch batch;
    batch.ops.reserve(static_cast<size_t>(size) + 1);
    std::vector<PdqHash> hashes;
    hashes.reserve(static_cast<size_t>(size) + 1);
    for (int64_t i = 0; i < size; ++i) {
      hashes.push_back(RandomPdqHash(rng));
      batch.Add(PdqItem(hashes.back()));
    }
    bool last = done + size == o.n;
    if (last) {
      hashes.push_back(o.photo_hash);
      Item photo = PdqItem(o.photo_hash);
      photo.provenance.source_list = "serve_bench upload photo";
      batch.Add(std::move(photo));
    }
    WARDEN_ASSIGN_OR_RETURN(BatchResult r, store.ApplyBatch(batch, "serve_bench"));
    for (size_t k = 0; k < r.ops.size(); ++k) {
      if (r.ops[k].outcome != WriteOutcome::kAdded) {
        return Status::Internal(fmt::format("hash {} of the bench list was not added ({})",
                                            done + static_cast<int64_t>(k),
                                            WriteOutcomeName(r.ops[k].outcome)));
      }
      if (o.keep_hashes) {
        data->hashes.push_back(hashes[k]);
        data->ids.push_back(r.ops[k].item_id);
      }
    }
    if (last) data->photo_id = r.ops.back().item_id;
    done += size;
    if (o.verbose && (done % 1'000'000 == 0 || last)) {
      double s = std::chrono::duration<double>(SteadyClock::now() - start).count();
      fmt::print("  store: {} / {} hashes, {:.1f} s\n", done, o.n, s);
      std::fflush(stdout);
    }
  }
  // Only a finished build carries the marker, so an interrupted one is never reused.
  WARDEN_ASSIGN_OR_RETURN(Bank stored, store.GetBank(kBenchBank));
  stored.description = Marker(o);
  return store.UpdateBank(stored, "serve_bench").status();
}

Status InvalidAnswer(std::string_view what, std::string_view json) {
  std::string shown(json.substr(0, 200));
  return Status::InvalidArgument(fmt::format("answer {}: {}", what, shown));
}

Result<std::vector<Match>> MatchesOfBank(const nlohmann::json& doc, std::string_view bank,
                                         std::string_view json) {
  if (!doc.is_object()) return InvalidAnswer("is not a JSON object", json);
  std::vector<Match> out;
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    if (it.key() != bank) return InvalidAnswer("names a bank the store does not hold", json);
    if (!it.value().is_array()) return InvalidAnswer("bank value is not an array", json);
    for (const auto& m : it.value()) {
      if (!m.is_object() || !m.contains("bank_content_id") || !m.contains("distance")) {
        return InvalidAnswer("match lacks bank_content_id or distance", json);
      }
      const auto& id = m["bank_content_id"];
      const auto& dist = m["distance"];
      if (!id.is_number_integer()) return InvalidAnswer("bank_content_id is not an integer", json);
      Match match;
      match.id = id.get<int64_t>();
      // HMA sends the distance as a string ("5").
      if (dist.is_string()) {
        const std::string& d = dist.get_ref<const std::string&>();
        if (d.empty() || d.size() > 3 || !std::all_of(d.begin(), d.end(), ::isdigit)) {
          return InvalidAnswer("distance is not a number", json);
        }
        match.distance = std::stoi(d);
      } else if (dist.is_number_integer()) {
        match.distance = dist.get<int>();
      } else {
        return InvalidAnswer("distance is neither a string nor an integer", json);
      }
      out.push_back(match);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

// Appends to out[q] every hash of [begin, end) within the threshold of queries[q]. Cloned for
// the POPCNT instruction (chosen at run time): without it std::popcount is a dozen ALU steps,
// and the 1M x 10k reference check would take minutes.
__attribute__((target_clones("popcnt", "default"))) static void ScanBlock(
    const PdqHash* hashes, const int64_t* ids, size_t begin, size_t end, const PdqHash* queries,
    size_t query_count, std::vector<Match>* out) {
  for (size_t q = 0; q < query_count; ++q) {
    const PdqHash& query = queries[q];
    for (size_t i = begin; i < end; ++i) {
      int d = HammingDistance(query, hashes[i]);
      if (d <= kPdqMatchThreshold) out[q].push_back({ids[i], d});
    }
  }
}

std::vector<Match> BenchData::BruteForce(const PdqHash& query) const {
  WARDEN_CHECK(!hashes.empty());
  std::vector<Match> out;
  ScanBlock(hashes.data(), ids.data(), 0, hashes.size(), &query, 1, &out);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::vector<Match>> BenchData::BruteForceMany(
    const std::vector<PdqHash>& queries) const {
  WARDEN_CHECK(!hashes.empty());
  constexpr size_t kBlock = 4096;  // 128 KiB of hashes: stays in L2 across the queries
  std::vector<std::vector<Match>> out(queries.size());
  for (size_t start = 0; start < hashes.size(); start += kBlock) {
    size_t end = std::min(hashes.size(), start + kBlock);
    ScanBlock(hashes.data(), ids.data(), start, end, queries.data(), queries.size(), out.data());
  }
  for (auto& m : out) std::sort(m.begin(), m.end());
  return out;
}

Result<BenchData> BuildOrReuse(const BuildOptions& o) {
  BenchData data;
  data.photo_hash = o.photo_hash;
  auto start = SteadyClock::now();
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(o.path).parent_path(), ec);
  bool exists = std::filesystem::exists(o.path);
  if (exists) {
    bool reuse = false;
    {
      Result<std::unique_ptr<BankStore>> store = OpenSqliteStore(o.path);
      if (store.ok()) {
        Result<Bank> bank = (*store)->GetBank(kBenchBank);
        reuse = bank.ok() && bank->description == Marker(o);
        if (reuse && o.keep_hashes) {
          Status s = ReadBack(**store, o, &data);
          if (!s.ok()) return s.WithContext(o.path);
          if (static_cast<int64_t>(data.hashes.size()) != o.n + 1 || data.photo_id == 0) {
            return Status::CorruptData(
                fmt::format("{}: holds {} PDQ items, expected {} + the photo; delete it to rebuild",
                            o.path, data.hashes.size(), o.n));
          }
        }
      }
    }
    if (reuse) {
      data.reused = true;
      data.build_s = std::chrono::duration<double>(SteadyClock::now() - start).count();
      data.file_mib = FileMib(o.path);
      return data;
    }
    if (o.verbose) fmt::print("  store: {} is not a finished bench store; rebuilding\n", o.path);
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(o.path + suffix, ec);
  }
  {
    Result<std::unique_ptr<BankStore>> store = OpenSqliteStore(o.path);
    if (!store.ok()) return store.status();
    Status s = Build(**store, o, &data);
    if (!s.ok()) return s.WithContext(o.path);
  }
  data.build_s = std::chrono::duration<double>(SteadyClock::now() - start).count();
  data.file_mib = FileMib(o.path);
  return data;
}

PdqHash NthRandomHash(uint64_t seed, int64_t i) {
  std::mt19937_64 rng(seed);
  PdqHash h;
  for (int64_t k = 0; k <= i; ++k) h = RandomPdqHash(rng);
  return h;
}

std::vector<Query> MakeQueries(const BenchData& data, int count, uint64_t seed) {
  WARDEN_CHECK(!data.hashes.empty());
  std::mt19937_64 rng(seed ^ 0x9e3779b97f4a7c15ULL);
  std::vector<Query> out;
  out.reserve(static_cast<size_t>(count));
  for (int k = 0; k < count; ++k) {
    Query q;
    q.near_duplicate = k % 2 == 0;
    if (q.near_duplicate) {
      // Random hashes only: the photo's item is not a lookup target.
      size_t i = static_cast<size_t>(rng() % (data.hashes.size() - 1));
      int flips = 1 + static_cast<int>(rng() % kPdqMatchThreshold);
      q.hash = FlipRandomBits(data.hashes[i], flips, rng);
    } else {
      q.hash = RandomPdqHash(rng);
    }
    out.push_back(q);
  }
  return out;
}

Result<std::vector<Match>> ParseHmaMatches(std::string_view json, std::string_view bank) {
  nlohmann::json doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return InvalidAnswer("is not JSON", json);
  return MatchesOfBank(doc, bank, json);
}

Result<std::vector<Match>> ParseHmaUploadMatches(std::string_view json, std::string_view bank) {
  nlohmann::json doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return InvalidAnswer("is not JSON", json);
  if (!doc.is_object() || !doc.contains("pdq")) return InvalidAnswer("has no \"pdq\" key", json);
  return MatchesOfBank(doc["pdq"], bank, json);
}

Result<PdqHash> ManifestHash(const std::string& testdata_dir, std::string_view file) {
  std::string path = testdata_dir + "/pdq/MANIFEST.tsv";
  std::ifstream in(path);
  if (!in) return Status::NotFound("cannot read " + path);
  std::string line;
  while (std::getline(in, line)) {
    // file, pipeline, pdq, ...
    size_t t1 = line.find('\t');
    size_t t2 = t1 == std::string::npos ? t1 : line.find('\t', t1 + 1);
    size_t t3 = t2 == std::string::npos ? t2 : line.find('\t', t2 + 1);
    if (t3 == std::string::npos) continue;
    if (std::string_view(line).substr(0, t1) != file) continue;
    if (line.substr(t1 + 1, t2 - t1 - 1) != "fullres") continue;
    return PdqHash::FromHex(line.substr(t2 + 1, t3 - t2 - 1));
  }
  return Status::NotFound(fmt::format("{}: no fullres row for {}", path, file));
}

}  // namespace warden::bench
