#include "src/eval/report.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "src/eval/bar_chart.h"

namespace warden::eval {
namespace {

// Thorn's published PDQ recall at 99.99% precision, all categories (perception,
// docs/examples/benchmarking.rst, 3854 exemplars per transform).
struct ThornFigure {
  const char* transform;
  double pdq_recall_pct;
};
constexpr ThornFigure kThorn[] = {
    {"thorn_watermark", 99.014}, {"thorn_blur2", 99.948},    {"thorn_vignette", 100.0},
    {"thorn_gamma2", 100.0},     {"thorn_jpeg95", 99.896},   {"thorn_pad0.2", 1.349},
    {"thorn_crop0.05", 9.03},    {"thorn_noise0.2", 99.222}, {"thorn_rotate4", 54.489},
    {"thorn_resize0.5", 99.844},
};

std::string Pct(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f", v * 100);
  return buf;
}

std::string Num(double v, const char* fmt = "%.4g") {
  char buf[32];
  std::snprintf(buf, sizeof(buf), fmt, v);
  return buf;
}

// A threshold key in the signal's units: "none" (nothing matches), "any" (everything does).
std::string Threshold(const SignalOutcome& s, int64_t key) {
  if (key == kMatchNothing) return "none";
  if (key >= kNeverMatches - 1) return "any";
  const double score = static_cast<double>(key) * s.resolution;
  return (s.similarity ? ">= " + Num(-score) : "<= " + Num(score));
}

// A metric key as the signal's own score (similarity keys are negated, metrics.h).
double KeyToScore(const SignalOutcome& s, int64_t key) {
  return static_cast<double>(key) * s.resolution * (s.similarity ? -1 : 1);
}

Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (!out) return Status::IoError(path + ": cannot write");
  return Status::Ok();
}

// Transform indices of a signal, best first: recall at FPR 1e-4, then at 99.99% precision.
std::vector<size_t> BestFirst(const SignalOutcome& s, const std::vector<RowFigures>& rows) {
  std::vector<size_t> order(s.transforms.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (rows[a].recall_fpr4 != rows[b].recall_fpr4)
      return rows[a].recall_fpr4 > rows[b].recall_fpr4;
    return rows[a].p9999.recall > rows[b].p9999.recall;
  });
  return order;
}

const SignalOutcome* FindSignal(const EvalResults& r, const std::string& name) {
  for (const SignalOutcome& s : r.signals) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

}  // namespace

RowFigures ComputeRow(const SignalOutcome& signal, const TransformOutcome& t) {
  RowFigures f;
  f.recall_fpr4 = RecallAt(t.positives, signal.fpr4.threshold);
  f.recall_fpr3 = RecallAt(t.positives, signal.fpr3.threshold);
  f.p9999 = RecallAtPrecision(t.positives, t.negatives, t.queries, 0.9999);
  f.p90 = RecallAtPrecision(t.positives, t.negatives, t.queries, 0.90);
  f.micro_ap = MicroAveragePrecision(t.positives, t.negatives, t.queries);
  if (t.queries > 0) f.standard_recall = static_cast<double>(t.standard_hits) / t.queries;
  if (t.negatives.total() > 0) {
    f.standard_fpr = static_cast<double>(t.standard_false) / t.negatives.total();
  }
  return f;
}

TransformOutcome PoolTransforms(const SignalOutcome& signal) {
  TransformOutcome all;
  for (const TransformOutcome& t : signal.transforms) {
    all.queries += t.queries;
    all.failures += t.failures;
    all.positives.Merge(t.positives);
    all.negatives.Merge(t.negatives);
    all.standard_hits += t.standard_hits;
    all.standard_false += t.standard_false;
    all.low_quality += t.low_quality;
  }
  return all;
}

Status WriteReports(const EvalResults& r, const std::string& out_dir) {
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) return Status::IoError(out_dir + ": " + ec.message());

  // Figures per signal and transform, computed once.
  std::vector<std::vector<RowFigures>> rows(r.signals.size());
  std::vector<RowFigures> all_rows;
  std::vector<TransformOutcome> pooled;
  for (size_t s = 0; s < r.signals.size(); ++s) {
    for (const TransformOutcome& t : r.signals[s].transforms)
      rows[s].push_back(ComputeRow(r.signals[s], t));
    pooled.push_back(PoolTransforms(r.signals[s]));
    all_rows.push_back(ComputeRow(r.signals[s], pooled.back()));
  }

  // results.csv
  std::ostringstream csv;
  csv << "signal,transform,family,queries,failures,low_quality,negatives,threshold_fpr1e-4,"
         "recall_fpr1e-4,threshold_fpr1e-3,recall_fpr1e-3,threshold_p99.99,recall_p99.99,"
         "micro_ap,threshold_p90,recall_p90,standard_recall,standard_false_matches,standard_fpr\n";
  auto csv_row = [&](const SignalOutcome& s, const std::string& name, const std::string& family,
                     const TransformOutcome& t, const RowFigures& f) {
    csv << s.name << ',' << name << ',' << family << ',' << t.queries << ',' << t.failures << ','
        << t.low_quality << ',' << t.negatives.total() << ",\"" << Threshold(s, s.fpr4.threshold)
        << "\"," << Num(f.recall_fpr4, "%.5f") << ",\"" << Threshold(s, s.fpr3.threshold) << "\","
        << Num(f.recall_fpr3, "%.5f") << ",\"" << Threshold(s, f.p9999.threshold) << "\","
        << Num(f.p9999.recall, "%.5f") << ',' << Num(f.micro_ap, "%.5f") << ",\""
        << Threshold(s, f.p90.threshold) << "\"," << Num(f.p90.recall, "%.5f") << ',';
    if (s.standard) {
      csv << Num(f.standard_recall, "%.5f") << ',' << t.standard_false << ','
          << Num(f.standard_fpr, "%.3g");
    } else {
      csv << ",,";
    }
    csv << '\n';
  };
  for (size_t s = 0; s < r.signals.size(); ++s) {
    for (size_t t = 0; t < r.signals[s].transforms.size(); ++t) {
      const TransformSpec* spec = r.signals[s].transforms[t].transform;
      csv_row(r.signals[s], spec->name, spec->family, r.signals[s].transforms[t], rows[s][t]);
    }
    csv_row(r.signals[s], "all", "all", pooled[s], all_rows[s]);
  }
  WARDEN_RETURN_IF_ERROR(WriteFile(out_dir + "/results.csv", csv.str()));

  // pairs.csv
  std::ostringstream pcsv;
  pcsv
      << "signal,group,relation,query,reference,score,match_fpr1e-4,match_fpr1e-3,match_standard\n";
  for (const SignalOutcome& s : r.signals) {
    for (const PairOutcome& p : s.pairs) {
      pcsv << s.name << ',' << p.group << ',' << p.relation << ',' << p.a << ',' << p.b << ','
           << (p.key == kNeverMatches
                   ? std::string("failed")
                   : Num(KeyToScore(s, p.key)))
           << ',' << p.at_fpr4 << ',' << p.at_fpr3 << ',' << p.at_standard << '\n';
    }
  }
  WARDEN_RETURN_IF_ERROR(WriteFile(out_dir + "/pairs.csv", pcsv.str()));

  // Family recall at the FPR 1e-4 threshold: pooled over the family's queries.
  std::vector<std::string> families;
  for (const TransformSpec* t : r.transforms) {
    if (std::find(families.begin(), families.end(), t->family) == families.end())
      families.push_back(t->family);
  }
  BarChart chart;
  chart.title = "warden eval: recall per transform family at FPR 1e-4 (one threshold per signal)";
  chart.y_label = "recall (%)";
  chart.groups = families;
  for (const SignalOutcome& s : r.signals) chart.series.push_back(s.name);
  for (const std::string& fam : families) {
    std::vector<double> row;
    for (const SignalOutcome& s : r.signals) {
      uint64_t hit = 0, total = 0;
      for (const TransformOutcome& t : s.transforms) {
        if (t.transform->family != fam) continue;
        hit += t.positives.CountAtMost(s.fpr4.threshold);
        total += t.queries;
      }
      row.push_back(total == 0 ? 0 : static_cast<double>(hit) / total);
    }
    chart.values.push_back(row);
  }
  WARDEN_ASSIGN_OR_RETURN(std::vector<uint8_t> png, RenderBarChartPng(chart));
  WARDEN_RETURN_IF_ERROR(WriteFile(out_dir + "/recall.png", std::string(png.begin(), png.end())));

  // summary.md
  std::ostringstream md;
  md << "# warden eval: which copies each signal catches\n\n";
  md << "Run " << r.started_utc << ", " << Num(r.seconds / 60, "%.1f") << " min, seed " << r.seed
     << ".\n\n```\n"
     << r.command_line << "\n```\n\n";
  md << "- References: " << r.references << " corpus photos (photo=1, distinct=1).\n";
  md << "- Query sources: " << r.sources << " references (" << r.people_sources
     << " photos of people, all of them first), " << r.transforms.size()
     << " transforms: " << r.queries << " queries per signal.\n";
  if (!r.signals.empty()) {
    md << "- Negatives: each query against every reference except its source: "
       << pooled[0].negatives.total() << " pairs per signal; " << r.excluded_pairs
       << " reference pairs named related-content or derived, or in one near-duplicate group, "
          "are left out, and so are "
       << r.donor_pairs
       << " (query, reference) pairs where the query shows that reference's pixels (a collage "
          "or texture-filled regeneration with it as the donor).\n";
  }
  md << "- Faces: " << (r.face_detector ? "Haar cascade (opencv-data)" : "no cascade installed")
     << " found a face in " << r.faces_found << " of " << r.sources
     << " sources; regeneration used the lower-centre region for the others.\n";
  md << "- A query reaches the signal as file bytes: the transform's last JPEG/WebP, else a "
        "lossless PNG.\n\n";

  md << "## Operating points\n\nOne threshold per signal, calibrated over the negatives of all "
        "transforms together (the point a deployment would run at).\n\n";
  md << "| signal | FPR 1e-4: threshold | achieved FPR | recall | FPR 1e-3: threshold | "
        "achieved FPR | recall | micro-AP | recall at 90% precision | standard point | recall | "
        "false matches (FPR) |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (size_t s = 0; s < r.signals.size(); ++s) {
    const SignalOutcome& so = r.signals[s];
    const RowFigures& f = all_rows[s];
    md << "| " << so.name << " | " << Threshold(so, so.fpr4.threshold) << " | "
       << Num(so.fpr4.fpr, "%.2g") << " | " << Pct(f.recall_fpr4) << " | "
       << Threshold(so, so.fpr3.threshold) << " | " << Num(so.fpr3.fpr, "%.2g") << " | "
       << Pct(f.recall_fpr3) << " | " << Num(f.micro_ap, "%.3f") << " | " << Pct(f.p90.recall)
       << " | " << (so.standard ? so.standard->label : "-") << " | "
       << (so.standard ? Pct(f.standard_recall) : "-") << " | "
       << (so.standard
               ? std::to_string(pooled[s].standard_false) + " (" + Num(f.standard_fpr, "%.2g") + ")"
               : "-")
       << " |\n";
  }
  md << "\nRecall in percent. Signals:\n\n";
  for (const SignalOutcome& so : r.signals)
    md << "- `" << so.name << "`: " << so.description << "\n";
  md << "\n## Recall per family at FPR 1e-4 (recall.png)\n\n| family |";
  for (const SignalOutcome& so : r.signals) md << ' ' << so.name << " |";
  md << "\n|---|";
  for (size_t s = 0; s < r.signals.size(); ++s) md << "---|";
  md << '\n';
  for (size_t g = 0; g < families.size(); ++g) {
    md << "| " << families[g] << " |";
    for (double v : chart.values[g]) md << ' ' << Pct(v) << " |";
    md << '\n';
  }

  // Thorn comparison and regeneration rows for the PDQ signals.
  for (const char* name : {"pdq", "pdq_dihedral"}) {
    const SignalOutcome* so = FindSignal(r, name);
    if (so == nullptr) continue;
    const size_t s = static_cast<size_t>(so - r.signals.data());
    bool any = false;
    std::ostringstream t;
    t << "\n## `" << name
      << "` beside Thorn's published PDQ figures\n\nThorn: perception's "
         "benchmark, PDQ recall at 99.99% precision per transform, all categories (3854 "
         "exemplars each). Warden: the same ten transforms and parameters on this corpus.\n\n"
         "| transform | Thorn PDQ | Warden, 99.99% precision (threshold) | Warden, FPR 1e-4 | "
         "Warden, standard point |\n|---|---|---|---|---|\n";
    for (const ThornFigure& th : kThorn) {
      for (size_t i = 0; i < so->transforms.size(); ++i) {
        if (so->transforms[i].transform->name != th.transform) continue;
        any = true;
        const RowFigures& f = rows[s][i];
        t << "| " << th.transform << " | " << Num(th.pdq_recall_pct, "%.1f") << " | "
          << Pct(f.p9999.recall) << " (" << Threshold(*so, f.p9999.threshold) << ") | "
          << Pct(f.recall_fpr4) << " | " << Pct(f.standard_recall) << " |\n";
      }
    }
    if (any) md << t.str();
    bool any_regen = false;
    std::ostringstream g;
    g << "\n## `" << name
      << "`: regeneration and chains\n\n| transform | recall FPR 1e-4 | "
         "recall FPR 1e-3 | recall 99.99% precision | standard point | description |\n"
         "|---|---|---|---|---|---|\n";
    for (size_t i = 0; i < so->transforms.size(); ++i) {
      const TransformSpec* spec = so->transforms[i].transform;
      if (spec->family != "regeneration" && spec->family != "chains") continue;
      any_regen = true;
      const RowFigures& f = rows[s][i];
      g << "| " << spec->name << " | " << Pct(f.recall_fpr4) << " | " << Pct(f.recall_fpr3) << " | "
        << Pct(f.p9999.recall) << " | " << Pct(f.standard_recall) << " | " << spec->description
        << " |\n";
    }
    if (any_regen) md << g.str();
  }

  for (size_t s = 0; s < r.signals.size(); ++s) {
    const SignalOutcome& so = r.signals[s];
    md << "\n## `" << so.name << "` per transform, best first\n\n"
       << "| transform | family | FPR 1e-4 | FPR 1e-3 | 99.99% precision (threshold) | "
          "micro-AP | 90% precision | standard point | standard false matches | failed |\n"
          "|---|---|---|---|---|---|---|---|---|---|\n";
    for (size_t i : BestFirst(so, rows[s])) {
      const TransformOutcome& t = so.transforms[i];
      const RowFigures& f = rows[s][i];
      md << "| " << t.transform->name << " | " << t.transform->family << " | " << Pct(f.recall_fpr4)
         << " | " << Pct(f.recall_fpr3) << " | " << Pct(f.p9999.recall) << " ("
         << Threshold(so, f.p9999.threshold) << ") | " << Num(f.micro_ap, "%.3f") << " | "
         << Pct(f.p90.recall) << " | " << (so.standard ? Pct(f.standard_recall) : "-") << " | "
         << (so.standard ? std::to_string(t.standard_false) : "-") << " | " << t.failures << " |\n";
    }
  }

  // Pairs inside the corpus.
  md << "\n## Pairs inside the corpus\n\n";
  bool any_pairs = false;
  for (const SignalOutcome& so : r.signals) any_pairs = any_pairs || !so.pairs.empty();
  if (!any_pairs) {
    md << "No pair file was given (--pairs).\n";
  } else {
    md << "| signal | relation | pairs | match at FPR 1e-4 | at FPR 1e-3 | at standard point |\n"
          "|---|---|---|---|---|---|\n";
    for (const SignalOutcome& so : r.signals) {
      std::map<std::string, std::array<uint64_t, 4>> by;
      for (const PairOutcome& p : so.pairs) {
        auto& c = by[p.relation];
        c[0]++;
        c[1] += p.at_fpr4;
        c[2] += p.at_fpr3;
        c[3] += p.at_standard;
      }
      for (const auto& [rel, c] : by) {
        auto rate = [&](uint64_t n) {
          return std::to_string(n) + " (" + Pct(c[0] ? static_cast<double>(n) / c[0] : 0) + "%)";
        };
        md << "| " << so.name << " | " << rel << " | " << c[0] << " | " << rate(c[1]) << " | "
           << rate(c[2]) << " | " << (so.standard ? rate(c[3]) : "-") << " |\n";
      }
    }
    md << "\n`distinct-photos` must never match; every false match, by name:\n\n";
    bool any_false = false;
    for (const SignalOutcome& so : r.signals) {
      for (const PairOutcome& p : so.pairs) {
        if (p.relation != "distinct-photos" || !(p.at_fpr4 || p.at_fpr3 || p.at_standard)) continue;
        any_false = true;
        md << "- " << so.name << ": `" << p.a << "` ~ `" << p.b << "` score "
           << Num(KeyToScore(so, p.key)) << " (matches at"
           << (p.at_fpr4 ? " FPR 1e-4" : "") << (p.at_fpr3 ? " FPR 1e-3" : "")
           << (p.at_standard ? " standard point" : "") << ")\n";
      }
    }
    if (!any_false) md << "- none, for any signal at any of the three operating points.\n";
    md << "\n`derived` pairs must match; `related-content` pairs may (a rate, not an error). "
          "Each pair's score is in pairs.csv.\n";
  }

  md << "\n## Definitions\n\n"
        "- Recall at FPR f: the largest threshold t whose false-positive rate over every "
        "(query, unrelated reference) pair of all transforms is <= f; a query is caught when its "
        "score against its source is <= t.\n"
        "- Recall at 99.99% precision (Thorn's perception): per transform, the highest recall over "
        "thresholds where TP / (TP + FP) >= 0.9999 on that transform's pairs.\n"
        "- Micro-AP and recall at 90% precision (DISC21): per transform, all pairs ranked by "
        "score; AP = sum over distinct scores of (recall step) x precision, tied pairs entering "
        "together; recall denominator = queries.\n"
        "- Standard point: PDQ distance <= 31 with both qualities >= 50.\n"
        "- A failed query (transform or extraction error) counts as a miss.\n";
  if (!r.notes.empty()) {
    md << "\n## Notes from the run\n\n";
    for (const std::string& n : r.notes) md << "- " << n << '\n';
  }
  return WriteFile(out_dir + "/summary.md", md.str());
}

}  // namespace warden::eval
