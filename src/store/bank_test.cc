#include "warden/bank.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "warden/pdq.h"

namespace warden {
namespace {

using ::testing::HasSubstr;

const char kPdqHex[] = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";

Item ValidItem() {
  Result<Signal> s = Signal::Make(SignalType::kPdq, kPdqHex, 100);
  EXPECT_TRUE(s.ok());
  return MakeItem("BANK", *s);
}

// Name -> Parse round trip for every value, case-insensitive parsing, and an error that lists
// the accepted names.
template <typename E, size_t N>
void ExpectRoundTrip(const E (&all)[N], const char* (*name)(E),
                     Result<E> (*parse)(std::string_view), const char* first_name) {
  for (E v : all) {
    Result<E> back = parse(name(v));
    ASSERT_TRUE(back.ok()) << name(v);
    EXPECT_EQ(*back, v) << name(v);
    std::string upper = name(v);
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_TRUE(parse(upper).ok()) << upper;
  }
  EXPECT_STREQ(name(all[0]), first_name);
  Result<E> bad = parse("bogus\x01");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("bogus\\x01"));
  EXPECT_THAT(bad.status().message(), HasSubstr(first_name));
}

TEST(BankEnumsTest, RoundTrip) {
  constexpr BankKind kinds[] = {BankKind::kPositive, BankKind::kNegative};
  ExpectRoundTrip(kinds, &BankKindName, &ParseBankKind, "positive");
  constexpr BankSource sources[] = {BankSource::kOwnAssessment, BankSource::kImportedExchange,
                                    BankSource::kVictimSubmissions};
  ExpectRoundTrip(sources, &BankSourceName, &ParseBankSource, "own_assessment");
  constexpr UkCategory cats[] = {UkCategory::kNone, UkCategory::kA, UkCategory::kB, UkCategory::kC};
  ExpectRoundTrip(cats, &UkCategoryName, &ParseUkCategory, "none");
  constexpr AgeBand bands[] = {AgeBand::kUnknown, AgeBand::k0To2,   AgeBand::k3To6,
                               AgeBand::k7To10,   AgeBand::k11To13, AgeBand::k14To15,
                               AgeBand::k16To17};
  ExpectRoundTrip(bands, &AgeBandName, &ParseAgeBand, "unknown");
  constexpr ChildSex sexes[] = {ChildSex::kUnknown, ChildSex::kGirls, ChildSex::kBoys,
                                ChildSex::kBoth, ChildSex::kUnidentifiable};
  ExpectRoundTrip(sexes, &ChildSexName, &ParseChildSex, "unknown");
  constexpr HistoryAction actions[] = {HistoryAction::kBankCreated, HistoryAction::kBankUpdated,
                                       HistoryAction::kBankDeleted, HistoryAction::kItemAdded,
                                       HistoryAction::kItemUpdated, HistoryAction::kItemDeleted,
                                       HistoryAction::kImport};
  ExpectRoundTrip(actions, &HistoryActionName, &ParseHistoryAction, "bank_created");

  EXPECT_STREQ(UkCategoryName(UkCategory::kA), "A");
  EXPECT_EQ(*ParseUkCategory("b"), UkCategory::kB);
  EXPECT_STREQ(AgeBandName(AgeBand::k7To10), "7-10");
  EXPECT_EQ(*ParseAgeBand("14-15"), AgeBand::k14To15);
}

TEST(BankNameTest, Validation) {
  EXPECT_TRUE(ValidateBankName("A").ok());
  EXPECT_TRUE(ValidateBankName("NCMEC_2024_Q1").ok());
  EXPECT_TRUE(ValidateBankName(std::string(64, 'Z')).ok());
  EXPECT_THAT(ValidateBankName("").message(), HasSubstr("empty"));
  EXPECT_THAT(ValidateBankName(std::string(65, 'Z')).message(), HasSubstr("65"));
  Status lower = ValidateBankName("ABc");
  EXPECT_EQ(lower.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(lower.message(), HasSubstr("position 2"));
  EXPECT_FALSE(ValidateBankName("A-B").ok());
  EXPECT_FALSE(ValidateBankName("A\nB").ok());
  EXPECT_FALSE(ValidateBankName(std::string_view("A\0B", 3)).ok());
}

TEST(ItemTest, IsEnabledAt) {
  Item item;
  EXPECT_TRUE(item.IsEnabledAt(0));
  item.disable_until_ms = kDisabledForever;
  EXPECT_FALSE(item.IsEnabledAt(0));
  EXPECT_FALSE(item.IsEnabledAt(kDisabledForever - 1));
  item.disable_until_ms = 1000;
  EXPECT_FALSE(item.IsEnabledAt(999));
  EXPECT_TRUE(item.IsEnabledAt(1000));
  EXPECT_TRUE(item.IsEnabledAt(5000));
}

TEST(ItemTest, NormalizeFillsAlgorithm) {
  Item item = ValidItem();
  Result<Signal> md5 = Signal::Make(SignalType::kMd5, std::string(32, 'a'));
  ASSERT_TRUE(md5.ok());
  item.signals.push_back(BankSignal{*md5, "", 0});
  item.signals.push_back(
      BankSignal{*Signal::Make(SignalType::kSha256, std::string(64, 'b')), "sha256-custom", 7});
  NormalizeItem(&item);
  EXPECT_EQ(item.signals[0].algorithm, kPdqAlgorithm);
  EXPECT_EQ(item.signals[0].algorithm_version, kPdqAlgorithmVersion);
  EXPECT_EQ(item.signals[1].algorithm, "md5");
  EXPECT_EQ(item.signals[1].algorithm_version, 1);
  EXPECT_EQ(item.signals[2].algorithm, "sha256-custom");  // explicit values are kept
  EXPECT_EQ(item.signals[2].algorithm_version, 7);
  ASSERT_NE(item.FindSignal(SignalType::kMd5), nullptr);
  EXPECT_EQ(item.FindSignal(SignalType::kMd5)->signal, *md5);
  EXPECT_EQ(item.FindSignal(SignalType::kSha1), nullptr);
}

TEST(ItemTest, Validation) {
  EXPECT_TRUE(ValidateItem(ValidItem()).ok());

  Item bad_bank = ValidItem();
  bad_bank.bank = "bank";
  EXPECT_FALSE(ValidateItem(bad_bank).ok());

  Item both = ValidItem();
  both.classification.self_generated = true;
  both.classification.ai_or_manipulated = true;
  EXPECT_THAT(ValidateItem(both).message(), HasSubstr("not self-generated"));
  both.classification.self_generated = false;
  EXPECT_TRUE(ValidateItem(both).ok());

  Item quality = ValidItem();
  quality.signals[0].signal.quality = 101;
  EXPECT_FALSE(ValidateItem(quality).ok());

  Item bad_hex = ValidItem();
  bad_hex.signals[0].signal.value[10] = 'g';
  EXPECT_FALSE(ValidateItem(bad_hex).ok());

  Item too_many = ValidItem();
  too_many.signals.clear();
  for (int i = 0; i < 17; ++i) {
    std::string hex(32, '0');
    hex[0] = "0123456789abcdef"[i % 16];
    hex[1] = i >= 16 ? '1' : '0';
    too_many.signals.push_back(BankSignal{*Signal::Make(SignalType::kMd5, hex), "", 0});
  }
  EXPECT_THAT(ValidateItem(too_many).message(), HasSubstr("17 signals"));
  too_many.signals.pop_back();
  EXPECT_TRUE(ValidateItem(too_many).ok());

  Item long_field = ValidItem();
  long_field.provenance.external_id = std::string(kMaxShortFieldLength + 1, 'x');
  EXPECT_THAT(ValidateItem(long_field).message(), HasSubstr("external id"));
}

TEST(BankTest, Validation) {
  Bank bank;
  bank.name = "OK";
  EXPECT_TRUE(ValidateBank(bank).ok());
  bank.description = std::string(kMaxBankDescriptionLength + 1, 'd');
  EXPECT_FALSE(ValidateBank(bank).ok());
  bank.description.clear();
  bank.matching_ratio = 1.0001;
  EXPECT_THAT(ValidateBank(bank).message(), HasSubstr("matching ratio"));
}

}  // namespace
}  // namespace warden
