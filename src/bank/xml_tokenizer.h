// XmlTokenizer: a small, tolerant, streaming XML tokenizer for the NCMEC hash-sharing format.
// It is not a validating parser and knows no DTDs: <!DOCTYPE>, comments and processing
// instructions are skipped (so no entity expansion attack is possible), only the five
// predefined entities and numeric character references are decoded, namespace prefixes are
// dropped from names. Every token and name is bounded in size; after a malformed construct it
// reports an error token and resynchronises at the next '<'.
//
// Thread safety: single-threaded; one per stream.
#ifndef WARDEN_SRC_BANK_XML_TOKENIZER_H_
#define WARDEN_SRC_BANK_XML_TOKENIZER_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "src/bank/byte_source.h"

namespace warden {

struct XmlToken {
  enum Kind { kStartTag, kEndTag, kText, kError, kEof };
  Kind kind = kEof;
  int64_t line = 0;  // where the token starts
  std::string name;  // tag name without namespace prefix (start / end tags)
  std::vector<std::pair<std::string, std::string>> attributes;  // start tags
  bool self_closing = false;                                    // <name ... />
  std::string text;  // kText: decoded text; kError: the reason
};

class XmlTokenizer {
 public:
  static constexpr size_t kMaxNameBytes = 256;
  static constexpr size_t kMaxAttributes = 32;
  static constexpr size_t kMaxTextBytes = 1 << 20;

  explicit XmlTokenizer(std::istream& in) : src_(in) {}

  // Reads the next token into *token. kEof at the end (then check status()).
  void Next(XmlToken* token);

  Status status() const { return src_.status(); }

 private:
  void ReadText(XmlToken* token);
  void ReadMarkup(XmlToken* token);
  bool ReadName(std::string* name);
  bool ReadAttributeValue(std::string* value, std::string* reason);
  // Decodes an entity after '&'; appends it to *out. False with *reason on a bad one.
  bool ReadEntity(std::string* out, std::string* reason);
  // Skips to just after `terminator` (e.g. "-->"). False at end of input.
  bool SkipPast(const char* terminator);
  void SkipDoctype();
  void SkipBlanks();
  void Fail(XmlToken* token, std::string reason);

  ByteSource src_;
};

}  // namespace warden

#endif  // WARDEN_SRC_BANK_XML_TOKENIZER_H_
