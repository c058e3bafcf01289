#include "src/eval/runner.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include <opencv2/imgproc.hpp>

#include "src/eval/corpus.h"
#include "src/eval/cv_image.h"
#include "src/eval/local_signals.h"
#include "src/eval/regeneration.h"
#include "warden/file_bytes.h"
#include "warden/image.h"

namespace warden::eval {
namespace {

using Clock = std::chrono::steady_clock;

uint64_t HashString(uint64_t seed, const std::string& s) {
  uint64_t h = seed;
  for (unsigned char c : s) h = MixSeed(h, c);
  return h;
}

// Runs work(i) for i in [0, count) on `jobs` threads (the calling thread is one of them).
void ParallelFor(size_t count, int jobs, const std::function<void(size_t, int)>& work) {
  std::atomic<size_t> next{0};
  auto loop = [&](int worker) {
    for (size_t i; (i = next.fetch_add(1)) < count;) work(i, worker);
  };
  std::vector<std::thread> threads;
  for (int w = 1; w < jobs; ++w) threads.emplace_back(loop, w);
  loop(0);
  for (std::thread& t : threads) t.join();
}

// A single stderr line rewritten in place: done/total, rate and time left.
class Progress {
 public:
  Progress(std::FILE* err, size_t total, bool enabled)
      : err_(err), total_(total), enabled_(enabled && err != nullptr), start_(Clock::now()) {}
  void Add(size_t n) {
    const size_t done = done_.fetch_add(n) + n;
    if (!enabled_) return;
    std::lock_guard<std::mutex> lock(mu_);
    const auto now = Clock::now();
    if (done < total_ && now - last_ < std::chrono::milliseconds(250)) return;
    last_ = now;
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const double left = done == 0 ? 0 : elapsed * static_cast<double>(total_ - done) / done;
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(kWidth * done / std::max<size_t>(1, total_));
    std::fprintf(err_, "\r[%s%s] %zu/%zu queries, %dm%02ds elapsed, ~%dm%02ds left ",
                 std::string(filled, '#').c_str(), std::string(kWidth - filled, '.').c_str(), done,
                 total_, static_cast<int>(elapsed) / 60, static_cast<int>(elapsed) % 60,
                 static_cast<int>(left) / 60, static_cast<int>(left) % 60);
    std::fflush(err_);
  }
  void Finish() {
    if (enabled_) std::fputc('\n', err_);
  }

 private:
  std::FILE* err_;
  size_t total_;
  bool enabled_;
  Clock::time_point start_, last_;
  std::atomic<size_t> done_{0};
  std::mutex mu_;
};

// What a worker accumulates before merging: [signal][transform].
using Accumulator = std::vector<std::vector<TransformOutcome>>;

bool NeedsFace(const std::vector<const TransformSpec*>& transforms) {
  for (const TransformSpec* t : transforms) {
    if (t->family == "regeneration" || t->family == "chains") return true;
  }
  return false;
}

std::string Stem(const std::string& path) {
  std::string s = std::filesystem::path(path).stem().string();
  for (char& c : s) {
    if (c == '/' || c == ' ') c = '_';
  }
  return s;
}

}  // namespace

Result<EvalResults> RunEval(const EvalOptions& options, std::FILE* err) {
  const auto t0 = Clock::now();
  EvalResults results;
  results.command_line = options.command_line;
  results.seed = options.seed;
  {
    const std::time_t now = std::time(nullptr);
    char buf[64];
    std::tm tm{};
    gmtime_r(&now, &tm);
    std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M UTC", &tm);
    results.started_utc = buf;
  }
  if (options.jobs < 1) return Status::InvalidArgument("--jobs must be at least 1");

  WARDEN_ASSIGN_OR_RETURN(Corpus corpus, LoadCorpus(options.corpus_dir));
  const std::vector<size_t> refs = ReferenceIndices(corpus);
  if (refs.empty()) {
    return Status::InvalidArgument(options.corpus_dir +
                                   "/manifest.tsv: no rows with photo=1 and distinct=1");
  }
  std::vector<PairGroup> groups;
  if (!options.pairs_path.empty()) {
    WARDEN_ASSIGN_OR_RETURN(groups, LoadPairGroups(options.pairs_path, corpus));
  }

  std::vector<std::unique_ptr<Signal>> signals;
  for (const std::string& name : options.signals.empty() ? SignalNames() : options.signals) {
    WARDEN_ASSIGN_OR_RETURN(std::unique_ptr<Signal> s, MakeSignal(name));
    signals.push_back(std::move(s));
  }
  WARDEN_ASSIGN_OR_RETURN(results.transforms, SelectTransforms(options.transforms));
  const auto& transforms = results.transforms;
  const size_t n_sig = signals.size(), n_tr = transforms.size();

  // Every file that needs a descriptor: the references and the pair file's members.
  std::vector<size_t> described = refs;
  for (const PairGroup& g : groups)
    described.insert(described.end(), g.members.begin(), g.members.end());
  std::sort(described.begin(), described.end());
  described.erase(std::unique(described.begin(), described.end()), described.end());
  std::vector<int> slot_of(corpus.entries.size(), -1);
  for (size_t i = 0; i < described.size(); ++i) slot_of[described[i]] = static_cast<int>(i);
  // descriptors[signal][slot]
  std::vector<std::vector<std::optional<Descriptor>>> descriptors(
      n_sig, std::vector<std::optional<Descriptor>>(described.size()));
  const bool any_pixels =
      std::any_of(signals.begin(), signals.end(), [](const auto& s) { return s->needs_pixels(); });
  std::mutex notes_mu;
  auto note = [&](const std::string& text) {
    std::lock_guard<std::mutex> lock(notes_mu);
    if (results.notes.size() < 50) results.notes.push_back(text);
    if (err != nullptr) std::fprintf(err, "warden eval: %s\n", text.c_str());
  };
  if (err != nullptr && options.progress) {
    std::fprintf(err, "warden eval: describing %zu corpus files\n", described.size());
  }
  ParallelFor(described.size(), options.jobs, [&](size_t i, int) {
    const std::string& rel = corpus.entries[described[i]].path;
    auto bytes = ReadFileBytes(corpus.root + "/" + rel);
    if (!bytes.ok()) {
      note(rel + ": " + bytes.status().ToString());
      return;
    }
    std::optional<Image> image;
    if (any_pixels) {
      auto decoded = DecodeImage(*bytes);
      if (decoded.ok()) image = std::move(decoded).value();
    }
    ExtractionMemo memo;
    for (size_t s = 0; s < n_sig; ++s) {
      SignalInput input{*bytes, image ? &*image : nullptr, &memo};
      if (signals[s]->needs_pixels() && !image) continue;
      auto d = signals[s]->Extract(input);
      if (d.ok()) descriptors[s][i] = std::move(d).value();
    }
  });
  std::vector<uint64_t> ref_failures(n_sig, 0);
  // Each signal scores a query against all references at once (eval_signal.h).
  std::vector<std::unique_ptr<ReferenceScorer>> scorers;
  for (size_t s = 0; s < n_sig; ++s) {
    std::vector<const Descriptor*> ref_descriptors;
    for (size_t r : refs) {
      const std::optional<Descriptor>& d = descriptors[s][slot_of[r]];
      ref_failures[s] += d ? 0 : 1;
      ref_descriptors.push_back(d ? &*d : nullptr);
    }
    scorers.push_back(signals[s]->MakeScorer(std::move(ref_descriptors)));
  }

  // Reference pairs that are not unrelated: related-content and derived groups, and the
  // manifest's near-duplicate groups. Indexed by reference position.
  std::vector<int> ref_pos(corpus.entries.size(), -1);
  for (size_t r = 0; r < refs.size(); ++r) ref_pos[refs[r]] = static_cast<int>(r);
  std::vector<std::set<int>> excluded(refs.size());
  auto exclude = [&](size_t a, size_t b) {
    if (a == b || ref_pos[a] < 0 || ref_pos[b] < 0) return;
    excluded[ref_pos[a]].insert(ref_pos[b]);
    excluded[ref_pos[b]].insert(ref_pos[a]);
  };
  for (const PairGroup& g : groups) {
    if (g.relation == "distinct-photos") continue;
    for (size_t a : g.members)
      for (size_t b : g.members) exclude(a, b);
  }
  {
    std::map<std::string, std::vector<size_t>> dup;
    for (size_t r : refs) {
      if (!corpus.entries[r].dup_group.empty()) dup[corpus.entries[r].dup_group].push_back(r);
    }
    for (const auto& [name, members] : dup) {
      for (size_t a : members)
        for (size_t b : members) exclude(a, b);
    }
  }
  for (const auto& e : excluded) results.excluded_pairs += e.size();
  results.excluded_pairs /= 2;

  const std::vector<size_t> sources =
      SelectQuerySources(corpus, refs, options.queries, options.seed);
  results.references = refs.size();
  results.sources = sources.size();
  for (size_t r : sources) results.people_sources += corpus.entries[refs[r]].people ? 1 : 0;
  results.queries = sources.size() * n_tr;

  // Donors for texture regeneration and collages: a seeded pool of other photos, scaled down.
  std::vector<cv::Mat> donors;
  std::vector<size_t> donor_refs;  // the reference each donor came from
  {
    std::vector<std::pair<uint64_t, size_t>> order;
    for (size_t r = 0; r < refs.size(); ++r) {
      order.emplace_back(HashString(options.seed ^ 0xd0d0, corpus.entries[refs[r]].path), r);
    }
    std::sort(order.begin(), order.end());
    for (size_t k = 0; k < order.size() && donors.size() < 16; ++k) {
      auto bytes = ReadFileBytes(corpus.root + "/" + corpus.entries[refs[order[k].second]].path);
      if (!bytes.ok()) continue;
      auto bgr = DecodeToBgr(*bytes);
      if (!bgr.ok()) continue;
      cv::Mat m = std::move(bgr).value();
      const double s = std::min(1.0, 800.0 / std::max(m.cols, m.rows));
      if (s < 1) cv::resize(m, m, cv::Size(), s, s, cv::INTER_AREA);
      donors.push_back(m);
      donor_refs.push_back(order[k].second);
    }
  }
  results.face_detector = !FaceCascadePath().empty();
  const bool want_face = NeedsFace(transforms);

  const std::string query_dir = options.out_dir + "/queries";
  if (options.save_queries) {
    std::error_code ec;
    std::filesystem::create_directories(query_dir, ec);
    if (ec) return Status::IoError(query_dir + ": " + ec.message());
  }

  // Per-worker accumulators, merged at the end: no locking on the hot path.
  auto make_acc = [&] {
    Accumulator acc(n_sig, std::vector<TransformOutcome>(n_tr));
    for (auto& row : acc)
      for (size_t t = 0; t < n_tr; ++t) row[t].transform = transforms[t];
    return acc;
  };
  std::vector<Accumulator> accs;
  for (int w = 0; w < options.jobs; ++w) accs.push_back(make_acc());
  std::atomic<size_t> faces{0};
  std::atomic<size_t> donor_pairs{0};
  Progress progress(err, sources.size() * n_tr, options.progress);

  ParallelFor(sources.size(), options.jobs, [&](size_t q, int worker) {
    Accumulator& acc = accs[worker];
    const size_t src_ref = sources[q];
    const std::string& rel = corpus.entries[refs[src_ref]].path;
    auto fail_all = [&](const std::string& why) {
      note(rel + ": " + why);
      for (size_t s = 0; s < n_sig; ++s) {
        for (size_t t = 0; t < n_tr; ++t) {
          acc[s][t].queries++;
          acc[s][t].failures++;
          acc[s][t].positives.Add(kNeverMatches);
        }
      }
      progress.Add(n_tr);
    };
    auto bytes = ReadFileBytes(corpus.root + "/" + rel);
    if (!bytes.ok()) return fail_all(bytes.status().ToString());
    auto decoded = DecodeToBgr(*bytes);
    if (!decoded.ok()) return fail_all(decoded.status().ToString());
    const cv::Mat source = std::move(decoded).value();
    bytes = std::vector<uint8_t>();  // free early: big files

    TransformContext ctx;
    if (want_face) {
      try {
        ctx.face = FindLargestFace(source);
      } catch (const cv::Exception& e) {
        note(rel + ": face detection: " + e.what());
      }
      if (ctx.face) faces++;
    }
    const uint64_t source_seed = HashString(options.seed, rel);
    std::vector<double> scores;  // one query's scores against every reference
    for (size_t t = 0; t < n_tr; ++t) {
      const TransformSpec& spec = *transforms[t];
      ctx.seed = HashString(source_seed, spec.name);
      ctx.donor = nullptr;
      size_t donor_ref = refs.size();  // none
      if (!donors.empty()) {
        size_t k = MixSeed(ctx.seed, 99) % donors.size();
        if (donor_refs[k] == src_ref) k = (k + 1) % donors.size();  // never the source itself
        if (donor_refs[k] != src_ref) {
          ctx.donor = &donors[k];
          donor_ref = donor_refs[k];
        }
      }
      auto query = ApplyTransform(spec, source, ctx);
      if (!query.ok()) {
        note(rel + ": " + query.status().ToString());
        for (size_t s = 0; s < n_sig; ++s) {
          acc[s][t].queries++;
          acc[s][t].failures++;
          acc[s][t].positives.Add(kNeverMatches);
        }
        progress.Add(1);
        continue;
      }
      // A collage or a texture fill shows the donor's pixels: matching the donor is not a
      // false positive, so that pair is no negative.
      if (!query->used_donor) donor_ref = refs.size();
      if (donor_ref < refs.size()) donor_pairs++;
      if (options.save_queries) {
        const std::string dir = query_dir + "/" + spec.name;
        std::error_code ec;
        std::filesystem::create_directories(dir, ec);
        const std::string base = dir + "/" + Stem(rel);
        std::ofstream(base + "." + query->format, std::ios::binary)
            .write(reinterpret_cast<const char*>(query->bytes.data()),
                   static_cast<std::streamsize>(query->bytes.size()));
        if (!query->mask.empty()) {
          auto mask_png = Encode(query->mask, "png", 0);
          if (mask_png.ok()) {
            std::ofstream(base + ".mask.png", std::ios::binary)
                .write(reinterpret_cast<const char*>(mask_png->data()),
                       static_cast<std::streamsize>(mask_png->size()));
          }
        }
      }
      std::optional<Image> query_image;
      if (any_pixels) {
        auto img = DecodeImage(query->bytes);
        if (img.ok()) query_image = std::move(img).value();
      }
      ExtractionMemo memo;
      for (size_t s = 0; s < n_sig; ++s) {
        TransformOutcome& out = acc[s][t];
        const Signal& signal = *signals[s];
        out.queries++;
        Result<Descriptor> d = Status::Internal("not extracted");
        if (!signal.needs_pixels() || query_image) {
          d = signal.Extract(
              SignalInput{query->bytes, query_image ? &*query_image : nullptr, &memo});
        }
        if (!d.ok()) {
          out.failures++;
          out.positives.Add(kNeverMatches);
          continue;
        }
        const std::optional<StandardPoint> sp = signal.standard_point();
        const bool query_ok = !sp || sp->min_quality < 0 || d->quality >= sp->min_quality;
        if (!query_ok) out.low_quality++;
        const std::set<int>& skip = excluded[src_ref];
        bool have_positive = false;
        scores.assign(refs.size(), 0.0);
        scorers[s]->ScoreAll(*d, scores);
        for (size_t r = 0; r < refs.size(); ++r) {
          const std::optional<Descriptor>& ref = descriptors[s][slot_of[refs[r]]];
          if (!ref) continue;
          const double score = scores[r];
          const int64_t key = ScoreKey(signal, score);
          const bool standard_match =
              sp && query_ok && (sp->min_quality < 0 || ref->quality >= sp->min_quality) &&
              (signal.direction() == ScoreDirection::kDistance ? score <= sp->max_distance
                                                               : score >= sp->max_distance);
          if (r == src_ref) {
            out.positives.Add(key);
            have_positive = true;
            if (standard_match) out.standard_hits++;
          } else if (r != donor_ref && skip.count(static_cast<int>(r)) == 0) {
            out.negatives.Add(key);
            if (standard_match) out.standard_false++;
          }
        }
        if (!have_positive) out.positives.Add(kNeverMatches);  // the source failed to extract
      }
      progress.Add(1);
    }
  });
  progress.Finish();
  results.faces_found = faces.load();
  results.donor_pairs = donor_pairs.load();

  // Merge the workers and calibrate ONE threshold per signal over every transform.
  for (size_t s = 0; s < n_sig; ++s) {
    SignalOutcome so;
    so.name = std::string(signals[s]->name());
    so.description = std::string(signals[s]->description());
    so.standard = signals[s]->standard_point();
    so.resolution = signals[s]->resolution();
    so.similarity = signals[s]->direction() == ScoreDirection::kSimilarity;
    so.reference_failures = ref_failures[s];
    so.transforms = accs[0][s];
    for (int w = 1; w < options.jobs; ++w) {
      for (size_t t = 0; t < n_tr; ++t) {
        TransformOutcome& dst = so.transforms[t];
        const TransformOutcome& src = accs[w][s][t];
        dst.queries += src.queries;
        dst.failures += src.failures;
        dst.positives.Merge(src.positives);
        dst.negatives.Merge(src.negatives);
        dst.standard_hits += src.standard_hits;
        dst.standard_false += src.standard_false;
        dst.low_quality += src.low_quality;
      }
    }
    ScoreHistogram all_negatives;
    for (const TransformOutcome& t : so.transforms) all_negatives.Merge(t.negatives);
    so.fpr4 = CalibrateAtFpr(all_negatives, 1e-4);
    so.fpr3 = CalibrateAtFpr(all_negatives, 1e-3);

    // The pair file's pairs, each unordered pair once, the earlier file as the query.
    const Signal& signal = *signals[s];
    const std::optional<StandardPoint> sp = signal.standard_point();
    for (const PairGroup& g : groups) {
      for (size_t i = 0; i < g.members.size(); ++i) {
        for (size_t j = i + 1; j < g.members.size(); ++j) {
          const CorpusEntry& ea = corpus.entries[g.members[i]];
          const CorpusEntry& eb = corpus.entries[g.members[j]];
          // Two crops the manifest groups as near-duplicates are related-content, not
          // distinct photos (corpus-pairs.tsv says so for john_shimkus).
          if (g.relation == "distinct-photos" && !ea.dup_group.empty() &&
              ea.dup_group == eb.dup_group) {
            continue;
          }
          PairOutcome p{g.name, g.relation, ea.path, eb.path};
          const auto& da = descriptors[s][slot_of[g.members[i]]];
          const auto& db = descriptors[s][slot_of[g.members[j]]];
          if (da && db) {
            const double score = signal.Score(*da, *db);
            p.key = ScoreKey(signal, score);
            p.at_fpr4 = p.key <= so.fpr4.threshold;
            p.at_fpr3 = p.key <= so.fpr3.threshold;
            p.at_standard =
                sp &&
                (sp->min_quality < 0 ||
                 (da->quality >= sp->min_quality && db->quality >= sp->min_quality)) &&
                (signal.direction() == ScoreDirection::kDistance ? score <= sp->max_distance
                                                                 : score >= sp->max_distance);
          }
          so.pairs.push_back(std::move(p));
        }
      }
    }
    results.signals.push_back(std::move(so));
  }
  // pdq_local ORs PDQ at a fixed distance that is meant to be pdq's own calibrated threshold
  // (local_signals.h): say so when this run calibrated pdq elsewhere.
  for (const SignalOutcome& so : results.signals) {
    if (so.name == "pdq" && so.fpr4.threshold != kPdqLocalPdqDistance) {
      results.notes.push_back(
          "pdq's FPR 1e-4 threshold is <= " + std::to_string(so.fpr4.threshold) +
          ", but pdq_local uses PDQ <= " + std::to_string(kPdqLocalPdqDistance) +
          " (kPdqLocalPdqDistance in src/eval/local_signals.h)");
    }
  }
  results.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return results;
}

}  // namespace warden::eval
