#include "src/bank/xml_tokenizer.h"

#include <fmt/core.h>

#include "src/bank/record_fields.h"

namespace warden {
namespace {

bool IsBlank(int c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool IsNameChar(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.' || c == ':' || c >= 0x80;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace

void XmlTokenizer::Next(XmlToken* token) {
  while (true) {
    token->kind = XmlToken::kEof;
    token->name.clear();
    token->attributes.clear();
    token->self_closing = false;
    token->text.clear();
    token->line = src_.line();
    int c = src_.Peek();
    if (c == ByteSource::kEof) return;
    if (c != '<') {
      ReadText(token);
      return;
    }
    src_.Get();
    c = src_.Peek();
    if (c == '?') {
      if (!SkipPast("?>")) Fail(token, "processing instruction is not closed");
      if (token->kind == XmlToken::kError) return;
      continue;
    }
    if (c == '!') {
      src_.Get();
      if (src_.Peek() == '-') {
        src_.Get();
        if (src_.Get() != '-') {
          Fail(token, "malformed comment (expected <!--)");
          return;
        }
        if (!SkipPast("-->")) {
          Fail(token, "comment is not closed");
          return;
        }
        continue;
      }
      if (src_.Peek() == '[') {
        for (const char* p = "[CDATA["; *p; ++p) {
          if (src_.Get() != *p) {
            Fail(token, "malformed CDATA section (expected <![CDATA[)");
            return;
          }
        }
        // Copy to "]]>", keeping the text bounded.
        token->kind = XmlToken::kText;
        while (true) {
          int d = src_.Get();
          if (d == ByteSource::kEof) {
            Fail(token, "CDATA section is not closed");
            return;
          }
          token->text.push_back(static_cast<char>(d));
          if (token->text.size() >= 3 &&
              token->text.compare(token->text.size() - 3, 3, "]]>") == 0) {
            token->text.resize(token->text.size() - 3);
            return;
          }
          if (token->text.size() > kMaxTextBytes) {
            Fail(token, fmt::format("CDATA section is over {} bytes", kMaxTextBytes));
            return;
          }
        }
      }
      SkipDoctype();
      continue;
    }
    ReadMarkup(token);
    return;
  }
}

void XmlTokenizer::ReadText(XmlToken* token) {
  token->kind = XmlToken::kText;
  std::string reason;
  while (true) {
    int c = src_.Peek();
    if (c == ByteSource::kEof || c == '<') return;
    src_.Get();
    if (c == '&') {
      if (!ReadEntity(&token->text, &reason)) {
        Fail(token, reason);
        return;
      }
    } else {
      token->text.push_back(static_cast<char>(c));
    }
    if (token->text.size() > kMaxTextBytes) {
      Fail(token, fmt::format("text is over {} bytes", kMaxTextBytes));
      return;
    }
  }
}

void XmlTokenizer::ReadMarkup(XmlToken* token) {
  // The '<' is consumed.
  if (src_.Peek() == '/') {
    src_.Get();
    if (!ReadName(&token->name)) {
      Fail(token, "end tag has no valid name");
      return;
    }
    SkipBlanks();
    if (src_.Get() != '>') {
      Fail(token, fmt::format("end tag </{}> is not closed with '>'", token->name));
      return;
    }
    token->kind = XmlToken::kEndTag;
    return;
  }
  if (!ReadName(&token->name)) {
    Fail(token, "'<' is not followed by a valid tag name");
    return;
  }
  std::string reason;
  while (true) {
    SkipBlanks();
    int c = src_.Peek();
    if (c == '>') {
      src_.Get();
      token->kind = XmlToken::kStartTag;
      return;
    }
    if (c == '/') {
      src_.Get();
      if (src_.Get() != '>') {
        Fail(token, fmt::format("'/' in tag <{}> is not followed by '>'", token->name));
        return;
      }
      token->kind = XmlToken::kStartTag;
      token->self_closing = true;
      return;
    }
    std::string attr, value;
    if (!ReadName(&attr)) {
      Fail(token,
           fmt::format("tag <{}> is malformed (expected an attribute, '>' or '/>')", token->name));
      return;
    }
    SkipBlanks();
    if (src_.Get() != '=') {
      Fail(token, fmt::format("attribute {} of <{}> has no '='", attr, token->name));
      return;
    }
    SkipBlanks();
    if (!ReadAttributeValue(&value, &reason)) {
      Fail(token, fmt::format("attribute {} of <{}>: {}", attr, token->name, reason));
      return;
    }
    if (token->attributes.size() >= kMaxAttributes) {
      Fail(token, fmt::format("tag <{}> has over {} attributes", token->name, kMaxAttributes));
      return;
    }
    token->attributes.emplace_back(std::move(attr), std::move(value));
  }
}

bool XmlTokenizer::ReadName(std::string* name) {
  name->clear();
  while (IsNameChar(src_.Peek())) {
    if (name->size() >= kMaxNameBytes) return false;
    name->push_back(static_cast<char>(src_.Get()));
  }
  if (name->empty()) return false;
  size_t colon = name->rfind(':');
  if (colon != std::string::npos) *name = name->substr(colon + 1);
  return !name->empty();
}

bool XmlTokenizer::ReadAttributeValue(std::string* value, std::string* reason) {
  int quote = src_.Get();
  if (quote != '"' && quote != '\'') {
    *reason = "value is not quoted";
    return false;
  }
  while (true) {
    int c = src_.Get();
    if (c == quote) return true;
    if (c == ByteSource::kEof || c == '<') {
      *reason = "value is not closed";
      return false;
    }
    if (c == '&') {
      if (!ReadEntity(value, reason)) return false;
    } else {
      value->push_back(static_cast<char>(c));
    }
    if (value->size() > 65536) {
      *reason = "value is over 65536 bytes";
      return false;
    }
  }
}

bool XmlTokenizer::ReadEntity(std::string* out, std::string* reason) {
  std::string name;
  while (true) {
    int c = src_.Peek();
    if (c == ';') {
      src_.Get();
      break;
    }
    if (c == ByteSource::kEof || c == '<' || IsBlank(c) || name.size() > 10) {
      *reason = fmt::format("entity &{} is not closed with ';'", ShownForReason(name));
      return false;
    }
    name.push_back(static_cast<char>(src_.Get()));
  }
  if (name == "lt")
    *out += '<';
  else if (name == "gt")
    *out += '>';
  else if (name == "amp")
    *out += '&';
  else if (name == "quot")
    *out += '"';
  else if (name == "apos")
    *out += '\'';
  else if (name.size() >= 2 && name[0] == '#') {
    bool hex = name[1] == 'x' || name[1] == 'X';
    uint32_t cp = 0;
    size_t start = hex ? 2 : 1;
    if (start >= name.size()) {
      *reason = fmt::format("character reference &{}; is empty", ShownForReason(name));
      return false;
    }
    for (size_t i = start; i < name.size(); ++i) {
      char c = name[i];
      int d = (c >= '0' && c <= '9')          ? c - '0'
              : (hex && c >= 'a' && c <= 'f') ? c - 'a' + 10
              : (hex && c >= 'A' && c <= 'F') ? c - 'A' + 10
                                              : -1;
      if (d < 0 || cp > 0x10FFFF) {
        *reason = fmt::format("bad character reference &{};", ShownForReason(name));
        return false;
      }
      cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(d);
    }
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      *reason =
          fmt::format("character reference &{}; is not a valid character", ShownForReason(name));
      return false;
    }
    AppendUtf8(cp, out);
  } else {
    *reason = fmt::format("unknown entity &{}; (only the XML predefined ones are accepted)",
                          ShownForReason(name));
    return false;
  }
  return true;
}

bool XmlTokenizer::SkipPast(const char* terminator) {
  // Compare the last n bytes read with the terminator: simple and right for overlapping
  // prefixes such as "--->".
  const std::string_view want(terminator);
  std::string window;
  while (true) {
    int c = src_.Get();
    if (c == ByteSource::kEof) return false;
    window.push_back(static_cast<char>(c));
    if (window.size() > want.size()) window.erase(0, 1);
    if (window == want) return true;
  }
}

void XmlTokenizer::SkipDoctype() {
  // <!DOCTYPE ... [ internal subset ] >: skip to the '>' outside brackets and quotes. The
  // subset is never interpreted, so no entity it declares is ever expanded.
  int depth = 0;
  int quote = 0;
  while (true) {
    int c = src_.Get();
    if (c == ByteSource::kEof) return;
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '[') {
      ++depth;
    } else if (c == ']') {
      if (depth > 0) --depth;
    } else if (c == '>' && depth == 0) {
      return;
    }
  }
}

void XmlTokenizer::SkipBlanks() {
  while (IsBlank(src_.Peek())) src_.Get();
}

void XmlTokenizer::Fail(XmlToken* token, std::string reason) {
  token->kind = XmlToken::kError;
  token->name.clear();
  token->attributes.clear();
  token->text = std::move(reason);
  // Resynchronise at the next '<' so that the next entry can still be read.
  while (src_.Peek() != ByteSource::kEof && src_.Peek() != '<') src_.Get();
}

}  // namespace warden
