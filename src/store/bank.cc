#include "warden/bank.h"

#include <fmt/core.h>

#include <cmath>
#include <utility>

#include "warden/local_features.h"
#include "warden/pdq.h"

namespace warden {
namespace {

char ToLowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (ToLowerAscii(a[i]) != ToLowerAscii(b[i])) return false;
  }
  return true;
}

// User input echoed in an error: at most 40 bytes, control and non-ASCII bytes as \xNN so a
// hostile value cannot corrupt a terminal or a log line.
std::string Shown(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 40)) {
    auto u = static_cast<unsigned char>(c);
    out += (u >= 0x20 && u < 0x7f) ? std::string(1, c) : fmt::format("\\x{:02x}", u);
  }
  if (s.size() > 40) out += "...";
  return out;
}

// One generic table-driven parser for every enum: the canonical names are the table, so
// Name and Parse can never disagree.
template <typename E, size_t N>
Result<E> ParseEnum(std::string_view what, std::string_view name, const E (&values)[N],
                    const char* (*name_of)(E)) {
  for (E v : values) {
    if (EqualsIgnoreCase(name, name_of(v))) return v;
  }
  std::string accepted;
  for (size_t i = 0; i < N; ++i) {
    if (i > 0) accepted += ", ";
    accepted += name_of(values[i]);
  }
  return Status::InvalidArgument(
      fmt::format("unknown {} \"{}\" (expected one of: {})", what, Shown(name), accepted));
}

bool IsCanonicalHex(std::string_view hex, size_t length) {
  if (hex.size() != length) return false;
  for (char c : hex) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Status CheckLength(std::string_view field, std::string_view value, size_t limit) {
  if (value.size() > limit) {
    return Status::InvalidArgument(
        fmt::format("{} is {} bytes, over the limit of {}", field, value.size(), limit));
  }
  return Status::Ok();
}

}  // namespace

const char* BankKindName(BankKind kind) {
  switch (kind) {
    case BankKind::kPositive:
      return "positive";
    case BankKind::kNegative:
      return "negative";
  }
  return "positive";
}

Result<BankKind> ParseBankKind(std::string_view name) {
  static constexpr BankKind kAll[] = {BankKind::kPositive, BankKind::kNegative};
  return ParseEnum("bank kind", name, kAll, &BankKindName);
}

const char* BankSourceName(BankSource source) {
  switch (source) {
    case BankSource::kOwnAssessment:
      return "own_assessment";
    case BankSource::kImportedExchange:
      return "imported_exchange";
    case BankSource::kVictimSubmissions:
      return "victim_submissions";
  }
  return "own_assessment";
}

Result<BankSource> ParseBankSource(std::string_view name) {
  static constexpr BankSource kAll[] = {BankSource::kOwnAssessment, BankSource::kImportedExchange,
                                        BankSource::kVictimSubmissions};
  return ParseEnum("bank source", name, kAll, &BankSourceName);
}

const char* UkCategoryName(UkCategory category) {
  switch (category) {
    case UkCategory::kNone:
      return "none";
    case UkCategory::kA:
      return "A";
    case UkCategory::kB:
      return "B";
    case UkCategory::kC:
      return "C";
  }
  return "none";
}

Result<UkCategory> ParseUkCategory(std::string_view name) {
  static constexpr UkCategory kAll[] = {UkCategory::kNone, UkCategory::kA, UkCategory::kB,
                                        UkCategory::kC};
  return ParseEnum("UK category", name, kAll, &UkCategoryName);
}

const char* AgeBandName(AgeBand band) {
  switch (band) {
    case AgeBand::kUnknown:
      return "unknown";
    case AgeBand::k0To2:
      return "0-2";
    case AgeBand::k3To6:
      return "3-6";
    case AgeBand::k7To10:
      return "7-10";
    case AgeBand::k11To13:
      return "11-13";
    case AgeBand::k14To15:
      return "14-15";
    case AgeBand::k16To17:
      return "16-17";
  }
  return "unknown";
}

Result<AgeBand> ParseAgeBand(std::string_view name) {
  static constexpr AgeBand kAll[] = {AgeBand::kUnknown, AgeBand::k0To2,   AgeBand::k3To6,
                                     AgeBand::k7To10,   AgeBand::k11To13, AgeBand::k14To15,
                                     AgeBand::k16To17};
  return ParseEnum("age band", name, kAll, &AgeBandName);
}

const char* ChildSexName(ChildSex sex) {
  switch (sex) {
    case ChildSex::kUnknown:
      return "unknown";
    case ChildSex::kGirls:
      return "girls";
    case ChildSex::kBoys:
      return "boys";
    case ChildSex::kBoth:
      return "both";
    case ChildSex::kUnidentifiable:
      return "unidentifiable";
  }
  return "unknown";
}

Result<ChildSex> ParseChildSex(std::string_view name) {
  static constexpr ChildSex kAll[] = {ChildSex::kUnknown, ChildSex::kGirls, ChildSex::kBoys,
                                      ChildSex::kBoth, ChildSex::kUnidentifiable};
  return ParseEnum("sex", name, kAll, &ChildSexName);
}

const char* HistoryActionName(HistoryAction action) {
  switch (action) {
    case HistoryAction::kBankCreated:
      return "bank_created";
    case HistoryAction::kBankUpdated:
      return "bank_updated";
    case HistoryAction::kBankDeleted:
      return "bank_deleted";
    case HistoryAction::kItemAdded:
      return "item_added";
    case HistoryAction::kItemUpdated:
      return "item_updated";
    case HistoryAction::kItemDeleted:
      return "item_deleted";
    case HistoryAction::kImport:
      return "import";
  }
  return "item_added";
}

Result<HistoryAction> ParseHistoryAction(std::string_view name) {
  static constexpr HistoryAction kAll[] = {HistoryAction::kBankCreated, HistoryAction::kBankUpdated,
                                           HistoryAction::kBankDeleted, HistoryAction::kItemAdded,
                                           HistoryAction::kItemUpdated, HistoryAction::kItemDeleted,
                                           HistoryAction::kImport};
  return ParseEnum("history action", name, kAll, &HistoryActionName);
}

Status ValidateBankName(std::string_view name) {
  if (name.empty()) return Status::InvalidArgument("bank name is empty");
  if (name.size() > kMaxBankNameLength) {
    return Status::InvalidArgument(fmt::format("bank name \"{}\" is {} characters, over {}",
                                               Shown(name), name.size(), kMaxBankNameLength));
  }
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) {
      return Status::InvalidArgument(
          fmt::format("bank name \"{}\" has {} at position {}; names use only A-Z, 0-9 and _",
                      Shown(name), Shown(name.substr(i, 1)), i));
    }
  }
  return Status::Ok();
}

Status ValidateBank(const Bank& bank) {
  WARDEN_RETURN_IF_ERROR(ValidateBankName(bank.name));
  WARDEN_RETURN_IF_ERROR(
      CheckLength("bank description", bank.description, kMaxBankDescriptionLength));
  // Written as a negated range test so that NaN fails too.
  if (!(bank.matching_ratio >= 0.0 && bank.matching_ratio <= 1.0)) {
    return Status::InvalidArgument(fmt::format("bank {}: matching ratio {} is outside 0.0..1.0",
                                               bank.name, bank.matching_ratio));
  }
  return Status::Ok();
}

BankSignal DefaultAlgorithmFor(const Signal& signal) {
  BankSignal out{signal, SignalTypeName(signal.type), 1};
  if (signal.type == SignalType::kPdq) {
    out.algorithm = std::string(kPdqAlgorithm);
    out.algorithm_version = kPdqAlgorithmVersion;
  } else if (signal.type == SignalType::kLocal) {
    out.algorithm = std::string(kLocalAlgorithm);
    out.algorithm_version = kLocalAlgorithmVersion;
  }
  return out;
}

const BankSignal* Item::FindSignal(SignalType type) const {
  for (const BankSignal& s : signals) {
    if (s.signal.type == type) return &s;
  }
  return nullptr;
}

Item MakeItem(std::string bank, Signal signal) {
  Item item;
  item.bank = std::move(bank);
  item.signals.push_back(BankSignal{std::move(signal), "", 0});
  return item;
}

void NormalizeItem(Item* item) {
  for (BankSignal& s : item->signals) {
    BankSignal d = DefaultAlgorithmFor(s.signal);
    if (s.algorithm.empty()) s.algorithm = d.algorithm;
    if (s.algorithm_version == 0) s.algorithm_version = d.algorithm_version;
  }
}

Status ValidateItem(const Item& item) {
  WARDEN_RETURN_IF_ERROR(ValidateBankName(item.bank));
  if (item.signals.empty()) return Status::InvalidArgument("item has no signals");
  if (item.signals.size() > kMaxSignalsPerItem) {
    return Status::InvalidArgument(fmt::format("item has {} signals, over the limit of {}",
                                               item.signals.size(), kMaxSignalsPerItem));
  }
  for (size_t i = 0; i < item.signals.size(); ++i) {
    const BankSignal& s = item.signals[i];
    // A hand-built Signal may hold upper-case or short hex: catch it here, not after it is
    // stored. Checked inline because this runs for every item of a million-item import.
    if (s.signal.type == SignalType::kLocal) {
      // Variable length, and the value must decode: Signal::Make checks both (a few
      // microseconds for a 4 KB stored form).
      Result<Signal> made = Signal::Make(s.signal.type, s.signal.value, s.signal.quality);
      if (!made.ok()) return made.status();
      if (made->value != s.signal.value) {
        return Status::InvalidArgument(
            fmt::format("local value \"{}\" is not lower-case hex", Shown(s.signal.value)));
      }
    } else if (!IsCanonicalHex(s.signal.value,
                               static_cast<size_t>(SignalHexLength(s.signal.type)))) {
      // Signal::Make names the exact problem (length or character).
      Result<Signal> made = Signal::Make(s.signal.type, s.signal.value, s.signal.quality);
      if (!made.ok()) return made.status();
      return Status::InvalidArgument(fmt::format("{} value \"{}\" is not canonical lower-case hex",
                                                 SignalTypeName(s.signal.type),
                                                 Shown(s.signal.value)));
    }
    if (s.signal.quality < -1 || s.signal.quality > 100) {
      return Status::InvalidArgument(
          fmt::format("{} quality must be 0..100 (or -1 for unknown), "
                      "got {}",
                      SignalTypeName(s.signal.type), s.signal.quality));
    }
    // At most kMaxSignalsPerItem signals: a quadratic scan beats building a set.
    for (size_t j = 0; j < i; ++j) {
      if (item.signals[j].signal.type == s.signal.type &&
          item.signals[j].signal.value == s.signal.value) {
        return Status::InvalidArgument(fmt::format("item holds {} twice", s.signal.ToTagged()));
      }
    }
    WARDEN_RETURN_IF_ERROR(CheckLength("signal algorithm", s.algorithm, kMaxShortFieldLength));
    if (s.algorithm_version < 0) {
      return Status::InvalidArgument(
          fmt::format("signal algorithm version {} is negative", s.algorithm_version));
    }
  }
  const Classification& c = item.classification;
  if (c.self_generated && c.ai_or_manipulated) {
    return Status::InvalidArgument(
        "classification is both self-generated and AI/manipulated; AI-generated or manipulated "
        "imagery is recorded as not self-generated");
  }
  WARDEN_RETURN_IF_ERROR(CheckLength("site type", c.site_type, kMaxShortFieldLength));
  WARDEN_RETURN_IF_ERROR(CheckLength("scheme label", c.scheme_label, kMaxShortFieldLength));
  WARDEN_RETURN_IF_ERROR(
      CheckLength("source list", item.provenance.source_list, kMaxShortFieldLength));
  WARDEN_RETURN_IF_ERROR(
      CheckLength("external id", item.provenance.external_id, kMaxShortFieldLength));
  WARDEN_RETURN_IF_ERROR(CheckLength("member id", item.provenance.member_id, kMaxShortFieldLength));
  WARDEN_RETURN_IF_ERROR(CheckLength("note", item.note, kMaxNoteLength));
  if (item.disable_until_ms < 0) {
    return Status::InvalidArgument(
        fmt::format("disable_until {} is negative", item.disable_until_ms));
  }
  return Status::Ok();
}

}  // namespace warden
