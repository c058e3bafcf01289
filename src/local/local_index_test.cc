#include "src/local/local_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <memory>
#include <numbers>
#include <random>
#include <thread>
#include <vector>

namespace warden {
namespace {

LocalKeypoint RandomKeypoint(std::mt19937_64& rng, int width, int height) {
  std::uniform_real_distribution<float> ux(0, static_cast<float>(width) - 1);
  std::uniform_real_distribution<float> uy(0, static_cast<float>(height) - 1);
  std::uniform_real_distribution<float> ua(-std::numbers::pi_v<float>, std::numbers::pi_v<float>);
  LocalKeypoint kp;
  kp.x = ux(rng);
  kp.y = uy(rng);
  kp.scale = std::pow(1.2f, static_cast<float>(rng() % 8));
  kp.angle = ua(rng);
  for (auto& b : kp.descriptor) b = static_cast<uint8_t>(rng());
  return kp;
}

LocalFeatures RandomImage(std::mt19937_64& rng, int keypoints = kLocalStoredKeypoints) {
  LocalFeatures f;
  f.width = 800;
  f.height = 600;
  for (int i = 0; i < keypoints; ++i) f.keypoints.push_back(RandomKeypoint(rng, f.width, f.height));
  return f;
}

void FlipBits(std::mt19937_64& rng, LocalKeypoint& kp, int flips) {
  std::vector<int> bits(256);
  for (int i = 0; i < 256; ++i) bits[i] = i;
  std::shuffle(bits.begin(), bits.end(), rng);
  for (int i = 0; i < flips; ++i)
    kp.descriptor[bits[i] / 8] ^= static_cast<uint8_t>(1 << (bits[i] % 8));
}

// A query derived from `source`: `kept` of its keypoints with `flips` descriptor bits flipped,
// then random keypoints up to `total`.
LocalFeatures DerivedQuery(std::mt19937_64& rng, const LocalFeatures& source, int kept, int flips,
                           int total) {
  LocalFeatures q;
  q.width = source.width;
  q.height = source.height;
  for (int i = 0; i < kept; ++i) {
    LocalKeypoint kp = source.keypoints[i * 2];  // every other one: a subset, not a prefix
    FlipBits(rng, kp, flips);
    q.keypoints.push_back(kp);
  }
  while (static_cast<int>(q.keypoints.size()) < total) {
    q.keypoints.push_back(RandomKeypoint(rng, q.width, q.height));
  }
  return q;
}

int Hamming(const LocalKeypoint& a, const LocalKeypoint& b) {
  int d = 0;
  for (int i = 0; i < kLocalDescriptorBytes; ++i)
    d += std::popcount(static_cast<uint8_t>(a.descriptor[i] ^ b.descriptor[i]));
  return d;
}

// The exact votes a brute-force scan gives: per query descriptor, one vote per image holding a
// descriptor within `radius`.
std::map<uint64_t, int> BruteForceVotes(const std::map<uint64_t, LocalFeatures>& images,
                                        const LocalFeatures& query, int radius) {
  std::map<uint64_t, int> votes;
  for (const LocalKeypoint& q : query.keypoints) {
    for (const auto& [id, f] : images) {
      for (const LocalKeypoint& r : f.keypoints) {
        if (Hamming(q, r) <= radius) {
          ++votes[id];
          break;
        }
      }
    }
  }
  return votes;
}

TEST(LocalIndexTest, AddRemoveReplaceContains) {
  std::mt19937_64 rng(1);
  auto index = NewLocalIndex();
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(index->size(), 0u);
  const size_t empty_bytes = index->memory_bytes();
  EXPECT_LT(empty_bytes, size_t{1} << 20);  // buckets are allocated on first use
  LocalFeatures a = RandomImage(rng);
  LocalFeatures b = RandomImage(rng);
  ASSERT_TRUE(index->Add(10, a).ok());
  ASSERT_TRUE(index->Add(20, b).ok());
  EXPECT_EQ(index->size(), 2u);
  EXPECT_GT(index->memory_bytes(), empty_bytes);
  EXPECT_TRUE(index->Contains(10));
  EXPECT_TRUE(index->Contains(20));
  EXPECT_FALSE(index->Contains(30));

  auto top = index->Candidates(a, 5);
  ASSERT_FALSE(top.empty());
  EXPECT_EQ(top[0].id, 10u);
  EXPECT_EQ(top[0].votes, kLocalStoredKeypoints);

  // Replace 10's features with b's: a no longer finds 10; b finds both, tie broken by id.
  ASSERT_TRUE(index->Add(10, b).ok());
  EXPECT_EQ(index->size(), 2u);
  for (const LocalCandidate& c : index->Candidates(a, 5)) EXPECT_NE(c.id, 10u);
  top = index->Candidates(b, 5);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].id, 10u);
  EXPECT_EQ(top[1].id, 20u);
  EXPECT_EQ(top[0].votes, top[1].votes);

  EXPECT_TRUE(index->Remove(10));
  EXPECT_FALSE(index->Remove(10));
  EXPECT_FALSE(index->Contains(10));
  EXPECT_EQ(index->size(), 1u);
  top = index->Candidates(b, 5);
  ASSERT_EQ(top.size(), 1u);
  EXPECT_EQ(top[0].id, 20u);
  EXPECT_TRUE(index->Candidates(b, 0).empty());
}

TEST(LocalIndexTest, RejectsBadFeaturesAndKeepsTheOldOnes) {
  std::mt19937_64 rng(2);
  auto index = NewLocalIndex();
  LocalFeatures ok = RandomImage(rng);
  ASSERT_TRUE(index->Add(1, ok).ok());

  LocalFeatures too_many = RandomImage(rng, kLocalStoredKeypoints + 1);
  Status s = index->Add(1, too_many);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("101 keypoints"), std::string::npos) << s.message();

  LocalFeatures no_size = RandomImage(rng);
  no_size.width = 0;
  EXPECT_EQ(index->Add(1, no_size).code(), StatusCode::kInvalidArgument);

  LocalFeatures nan = RandomImage(rng);
  nan.keypoints[3].x = std::nanf("");
  EXPECT_EQ(index->Add(1, nan).code(), StatusCode::kInvalidArgument);

  // The failed Adds left id 1 as it was.
  auto top = index->Candidates(ok, 1);
  ASSERT_EQ(top.size(), 1u);
  EXPECT_EQ(top[0].id, 1u);
  EXPECT_EQ(top[0].votes, kLocalStoredKeypoints);

  // An image with no keypoints is registered but never a candidate.
  LocalFeatures empty;
  empty.width = 10;
  empty.height = 10;
  ASSERT_TRUE(index->Add(2, empty).ok());
  EXPECT_TRUE(index->Contains(2));
  EXPECT_EQ(index->Candidates(ok, 10).size(), 1u);
}

// With radius 15 and 16 disjoint 16-bit keys, any pair within the radius shares at least one
// key exactly (pigeonhole), so the index's votes must equal a brute-force scan's.
TEST(LocalIndexTest, VotesEqualBruteForceWhenThePigeonholeHolds) {
  std::mt19937_64 rng(3);
  LocalIndexOptions options;
  options.tables = 16;
  options.key_bits = 16;
  options.radius = 15;
  auto index = NewLocalIndex(options);
  std::map<uint64_t, LocalFeatures> images;
  for (uint64_t id = 0; id < 200; ++id) {
    images[id * 7 + 1] = RandomImage(rng);
    ASSERT_TRUE(index->Add(id * 7 + 1, images[id * 7 + 1]).ok());
  }
  for (uint64_t source : {8u, 141u, 1394u}) {
    // Flips of 15 (at the radius) and 16 (just over: must not vote).
    LocalFeatures q = DerivedQuery(rng, images.at(source), 30, 15, 40);
    LocalFeatures over = DerivedQuery(rng, images.at(source), 10, 16, 10);
    q.keypoints.insert(q.keypoints.end(), over.keypoints.begin(), over.keypoints.end());
    std::map<uint64_t, int> expected = BruteForceVotes(images, q, options.radius);
    std::map<uint64_t, int> got;
    for (const LocalCandidate& c : index->Candidates(q, 1000)) got[c.id] = c.votes;
    EXPECT_EQ(got, expected);
    EXPECT_EQ(got[source], 30);
  }
}

TEST(LocalIndexTest, OnlyTheQuerysFirstKeypointsVote) {
  std::mt19937_64 rng(5);
  auto index = NewLocalIndex();
  const LocalFeatures a = RandomImage(rng);
  const LocalFeatures b = RandomImage(rng);
  ASSERT_TRUE(index->Add(1, a).ok());
  ASSERT_TRUE(index->Add(2, b).ok());
  // a's keypoints in the voting head (the last 40 of it), b's just past it.
  LocalFeatures q = RandomImage(rng, kLocalIndexVoteKeypoints - 40);
  q.keypoints.insert(q.keypoints.end(), a.keypoints.begin(), a.keypoints.begin() + 40);
  ASSERT_EQ(q.keypoints.size(), static_cast<size_t>(kLocalIndexVoteKeypoints));
  q.keypoints.insert(q.keypoints.end(), b.keypoints.begin(), b.keypoints.end());
  const std::vector<LocalCandidate> top = index->Candidates(q, 10);
  ASSERT_FALSE(top.empty());
  EXPECT_EQ(top[0].id, 1u);
  EXPECT_EQ(top[0].votes, 40);
  for (const LocalCandidate& c : top) EXPECT_NE(c.id, 2u) << c.votes << " votes past the head";
}

TEST(LocalIndexTest, AnEnlargedViewVotesWithItsOwnFirstKeypoints) {
  std::mt19937_64 rng(6);
  auto index = NewLocalIndex();
  const LocalFeatures a = RandomImage(rng);
  const LocalFeatures b = RandomImage(rng);
  const LocalFeatures c = RandomImage(rng);
  ASSERT_TRUE(index->Add(1, a).ok());
  ASSERT_TRUE(index->Add(2, b).ok());
  ASSERT_TRUE(index->Add(3, c).ok());
  // A plain view of 100 keypoints (30 of a's), then an enlarged view whose head holds 50 of
  // b's and whose keypoints past its own voting head are c's.
  LocalFeatures q = RandomImage(rng, 70);
  q.keypoints.insert(q.keypoints.end(), a.keypoints.begin(), a.keypoints.begin() + 30);
  q.enlarged_begin = q.keypoints.size();
  const LocalFeatures filler = RandomImage(rng, kLocalIndexVoteKeypoints - 50);
  q.keypoints.insert(q.keypoints.end(), filler.keypoints.begin(), filler.keypoints.end());
  q.keypoints.insert(q.keypoints.end(), b.keypoints.begin(), b.keypoints.begin() + 50);
  q.keypoints.insert(q.keypoints.end(), c.keypoints.begin(), c.keypoints.end());
  std::map<uint64_t, int> votes;
  for (const LocalCandidate& cand : index->Candidates(q, 10)) votes[cand.id] = cand.votes;
  EXPECT_EQ(votes[2], 50);
  EXPECT_EQ(votes[1], 30);
  EXPECT_EQ(votes.count(3), 0u) << votes[3] << " votes past the enlarged view's head";
  // As one view, only the first kLocalIndexVoteKeypoints vote: the plain 100 (a's 30 among
  // them) and 600 of the filler; b's keypoints come after.
  q.enlarged_begin = 0;
  votes.clear();
  for (const LocalCandidate& cand : index->Candidates(q, 10)) votes[cand.id] = cand.votes;
  EXPECT_EQ(votes[1], 30);
  EXPECT_EQ(votes.count(2), 0u);
}

TEST(LocalIndexTest, TheOverlayRemovedPictureVotesToo) {
  std::mt19937_64 rng(7);
  auto index = NewLocalIndex();
  const LocalFeatures a = RandomImage(rng);
  const LocalFeatures b = RandomImage(rng);
  ASSERT_TRUE(index->Add(1, a).ok());
  ASSERT_TRUE(index->Add(2, b).ok());
  // The lettered picture shows 20 of a's keypoints; filled in, 45 of b's.
  LocalFeatures q = RandomImage(rng, 200);
  q.keypoints.insert(q.keypoints.end(), a.keypoints.begin(), a.keypoints.begin() + 20);
  LocalFeatures cleaned = RandomImage(rng, 200);
  cleaned.keypoints.insert(cleaned.keypoints.end(), b.keypoints.begin(), b.keypoints.begin() + 45);
  q.without_overlay = std::make_shared<const LocalFeatures>(cleaned);
  std::map<uint64_t, int> votes;
  for (const LocalCandidate& cand : index->Candidates(q, 10)) votes[cand.id] = cand.votes;
  EXPECT_EQ(votes[2], 45);
  EXPECT_EQ(votes[1], 20);
  q.without_overlay = nullptr;
  votes.clear();
  for (const LocalCandidate& cand : index->Candidates(q, 10)) votes[cand.id] = cand.votes;
  EXPECT_EQ(votes.count(2), 0u);
}

TEST(LocalIndexTest, VotesAreWeightedByHowFewImagesADescriptorFinds) {
  std::mt19937_64 rng(6);
  auto index = NewLocalIndex();
  const LocalFeatures common = RandomImage(rng, 15);  // in images 2..11
  const LocalFeatures a = RandomImage(rng);           // image 1 only
  ASSERT_TRUE(index->Add(1, a).ok());
  for (uint64_t id = 2; id <= 11; ++id) {
    LocalFeatures f = RandomImage(rng, kLocalStoredKeypoints - 15);
    f.keypoints.insert(f.keypoints.end(), common.keypoints.begin(), common.keypoints.end());
    ASSERT_TRUE(index->Add(id, f).ok());
  }
  LocalFeatures q = common;
  q.keypoints.insert(q.keypoints.end(), a.keypoints.begin(), a.keypoints.begin() + 10);
  const std::vector<LocalCandidate> top = index->Candidates(q, 3);
  ASSERT_EQ(top.size(), 3u);
  // 10 votes of weight 1 beat 15 votes shared by 10 images (weight 1.5 each image).
  EXPECT_EQ(top[0].id, 1u);
  EXPECT_EQ(top[0].votes, 10);
  EXPECT_DOUBLE_EQ(top[0].weight, 10.0);
  EXPECT_EQ(top[1].id, 2u);  // ties by id
  EXPECT_EQ(top[1].votes, 15);
  EXPECT_NEAR(top[1].weight, 1.5, 1e-5);
  EXPECT_EQ(top[2].id, 3u);
}

TEST(LocalIndexTest, FindsTheSourceAmongThousands) {
  std::mt19937_64 rng(4);
  for (const LocalIndexOptions& options :
       {LocalIndexOptions{}, LocalIndexOptions{.tables = 12, .key_bits = 16, .radius = 48}}) {
    auto index = NewLocalIndex(options);
    std::vector<LocalFeatures> images;
    for (uint64_t id = 0; id < 2000; ++id) {
      images.push_back(RandomImage(rng));
      ASSERT_TRUE(index->Add(id, images.back()).ok());
    }
    for (uint64_t source : {0u, 1234u, 1999u}) {
      // 40 of its keypoints with 20 of 256 bits flipped among 460 unrelated ones.
      LocalFeatures q = DerivedQuery(rng, images[source], 40, 20, 500);
      auto top = index->Candidates(q, 10);
      ASSERT_FALSE(top.empty());
      EXPECT_EQ(top[0].id, source) << "tables " << options.tables;
      // Each kept pair is found with probability 1 - (1 - (1 - 20/256)^key_bits)^tables:
      // 0.73 at 6 x 20 bits (29 of 40 expected, sd 2.8), 0.98 at 12 x 16 (39, sd 1).
      EXPECT_GE(top[0].votes, options.tables == 6 ? 20 : 35);
      EXPECT_LE(top[0].votes, 40);
      if (top.size() > 1) {
        EXPECT_LE(top[1].votes, 3);
      }
      // Removed: never returned again.
      ASSERT_TRUE(index->Remove(source));
      for (const LocalCandidate& c : index->Candidates(q, 1000)) EXPECT_NE(c.id, source);
    }
  }
}

TEST(LocalIndexTest, ReusesSlotsOfRemovedImages) {
  std::mt19937_64 rng(5);
  // 8-bit keys: every bucket chunk is touched by the first images, so memory_bytes below
  // measures the slots, not chunks allocated on first use.
  auto index = NewLocalIndex(LocalIndexOptions{.tables = 8, .key_bits = 8, .radius = 32});
  std::vector<LocalFeatures> images;
  for (uint64_t id = 0; id < 100; ++id) {
    images.push_back(RandomImage(rng));
    ASSERT_TRUE(index->Add(id, images.back()).ok());
  }
  const size_t bytes = index->memory_bytes();
  for (uint64_t id = 0; id < 100; id += 2) ASSERT_TRUE(index->Remove(id));
  for (uint64_t id = 1000; id < 1050; ++id) {
    images.push_back(RandomImage(rng));
    ASSERT_TRUE(index->Add(id, images.back()).ok());
  }
  EXPECT_EQ(index->size(), 100u);
  // The 50 new images took the 50 freed slots: memory is what it was with 100 images (posting
  // lists differ a little, far less than the 50 * 4.4 KB of descriptors and geometry that new
  // slots would have added).
  EXPECT_LT(index->memory_bytes(), bytes + 50 * 32 * kLocalStoredKeypoints / 2);
  for (uint64_t i = 0; i < images.size(); ++i) {
    const uint64_t id = i < 100 ? i : 1000 + (i - 100);
    auto top = index->Candidates(images[i], 1);
    if (i < 100 && i % 2 == 0) {
      EXPECT_TRUE(top.empty() || top[0].id != id);
      continue;
    }
    ASSERT_EQ(top.size(), 1u);
    EXPECT_EQ(top[0].id, id);
  }
}

TEST(LocalIndexTest, ReadersSeeAConsistentIndexWhileAWriterAdds) {
  std::mt19937_64 rng(6);
  auto index = NewLocalIndex();
  LocalFeatures fixed = RandomImage(rng);
  ASSERT_TRUE(index->Add(42, fixed).ok());
  std::vector<LocalFeatures> more;
  for (int i = 0; i < 300; ++i) more.push_back(RandomImage(rng, 50));
  std::atomic<bool> done{false};
  std::atomic<int> wrong{0};
  std::atomic<int> searches{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      while (!done.load()) {
        auto top = index->Candidates(fixed, 3);
        if (top.empty() || top[0].id != 42 || top[0].votes != kLocalStoredKeypoints) {
          ++wrong;
        }
        ++searches;
      }
    });
  }
  for (int i = 0; i < 300; ++i) {
    // EXPECT, not ASSERT: returning early would leave the readers unjoined.
    EXPECT_TRUE(index->Add(1000 + i, more[i]).ok());
    if (i % 3 == 0) {
      EXPECT_TRUE(index->Remove(1000 + i));
    }
  }
  done = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GT(searches.load(), 0);
  EXPECT_EQ(index->size(), 201u);
}

// A registered image seen through an exact similarity transform (rotation 8 degrees, scale 0.8,
// a shift), 60 of its keypoints kept with 12 flipped bits, plus unrelated keypoints: Search must
// return exactly the candidates that VerifyLocalMatch itself matches, the source first.
TEST(LocalIndexTest, SearchReturnsTheVerifiedCandidates) {
  std::mt19937_64 rng(7);
  auto index = NewLocalIndex();
  std::vector<LocalFeatures> images;
  for (uint64_t id = 0; id < 500; ++id) {
    images.push_back(RandomImage(rng));
    ASSERT_TRUE(index->Add(id, images.back()).ok());
  }
  const LocalFeatures& source = images[77];
  const double angle = 8 * std::numbers::pi / 180, s = 0.8;
  const double a11 = s * std::cos(angle), a12 = -s * std::sin(angle);
  const double a21 = s * std::sin(angle), a22 = s * std::cos(angle);
  const double tx = 90, ty = 20;
  LocalFeatures q;
  q.width = 820;
  q.height = 640;
  for (int i = 0; i < 60; ++i) {
    LocalKeypoint kp = source.keypoints[i];
    kp.x = static_cast<float>(a11 * source.keypoints[i].x + a12 * source.keypoints[i].y + tx);
    kp.y = static_cast<float>(a21 * source.keypoints[i].x + a22 * source.keypoints[i].y + ty);
    kp.scale *= static_cast<float>(s);
    kp.angle = static_cast<float>(std::remainder(kp.angle + angle, 2 * std::numbers::pi));
    FlipBits(rng, kp, 12);
    q.keypoints.push_back(kp);
  }
  while (q.keypoints.size() < 400) q.keypoints.push_back(RandomKeypoint(rng, q.width, q.height));

  LocalSearchOptions options;
  options.max_candidates = 8;
  auto candidates = index->Candidates(q, options.max_candidates);
  ASSERT_FALSE(candidates.empty());
  EXPECT_EQ(candidates[0].id, 77u);
  std::vector<uint64_t> expected;
  for (const LocalCandidate& c : candidates) {
    if (VerifyLocalMatch(q, images[c.id], options.verify).matched) expected.push_back(c.id);
  }
  auto found = index->Search(q, options);
  std::vector<uint64_t> got;
  for (const LocalIndexMatch& m : found) got.push_back(m.id);
  std::sort(expected.begin(), expected.end());
  std::vector<uint64_t> got_sorted = got;
  std::sort(got_sorted.begin(), got_sorted.end());
  EXPECT_EQ(got_sorted, expected);
  for (size_t i = 1; i < found.size(); ++i) {
    EXPECT_GE(found[i - 1].match.score, found[i].match.score);
  }
  if (!VerifyLocalMatch(q, source, options.verify).matched) {
    GTEST_SKIP() << "VerifyLocalMatch does not match an exact similarity transform (the "
                    "placeholder verifier); Search agreed with it on every candidate";
  }
  ASSERT_FALSE(found.empty());
  EXPECT_EQ(found[0].id, 77u);
  EXPECT_TRUE(found[0].match.matched);
  EXPECT_GE(found[0].match.inliers, 30);
}

}  // namespace
}  // namespace warden
