#include "src/http/multipart.h"

#include <utility>

#include "src/base/ascii.h"

namespace warden::http {
namespace {

// A part's header block over this size is refused: part headers are a few short lines.
constexpr size_t kMaxPartHeaderBytes = 8 << 10;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

using Params = std::vector<std::pair<std::string, std::string>>;

// Splits a header value "type; a=b; c=\"d;e\"" into its leading value (lower-cased, trimmed)
// and its parameters (names lower-cased; quoted strings unquoted, RFC 9110 section 5.6.4).
// Returns false on an unterminated quoted string.
bool SplitParams(std::string_view value, std::string* first, Params* params) {
  size_t i = value.find(';');
  *first = AsciiLowered(Trim(value.substr(0, i)));
  while (i != std::string_view::npos && i < value.size()) {
    ++i;  // past ';'
    while (i < value.size() && (value[i] == ' ' || value[i] == '\t')) ++i;
    const size_t name_start = i;
    while (i < value.size() && value[i] != '=' && value[i] != ';') ++i;
    std::string name = AsciiLowered(Trim(value.substr(name_start, i - name_start)));
    std::string param_value;
    if (i < value.size() && value[i] == '=') {
      ++i;
      while (i < value.size() && (value[i] == ' ' || value[i] == '\t')) ++i;
      if (i < value.size() && value[i] == '"') {
        ++i;
        bool closed = false;
        while (i < value.size()) {
          const char c = value[i++];
          if (c == '\\' && i < value.size()) {
            param_value += value[i++];
          } else if (c == '"') {
            closed = true;
            break;
          } else {
            param_value += c;
          }
        }
        if (!closed) return false;
        while (i < value.size() && value[i] != ';') ++i;
      } else {
        const size_t start = i;
        while (i < value.size() && value[i] != ';') ++i;
        param_value = std::string(Trim(value.substr(start, i - start)));
      }
    }
    if (!name.empty()) params->emplace_back(std::move(name), std::move(param_value));
    if (i >= value.size()) break;
  }
  return true;
}

const std::string* FindParam(const Params& params, std::string_view name) {
  for (const auto& [n, v] : params) {
    if (n == name) return &v;
  }
  return nullptr;
}

// RFC 2046 section 5.1.1: bchars, 1..70 of them, not ending in a space.
bool ValidBoundary(std::string_view b) {
  if (b.empty() || b.size() > 70 || b.back() == ' ') return false;
  for (char c : b) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    std::string_view("'()+_,-./:=? ").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

Status Bad(std::string message) {
  return Status::InvalidArgument("multipart: " + std::move(message));
}

}  // namespace

std::optional<std::string> MultipartBoundary(std::string_view content_type) {
  std::string type;
  Params params;
  if (!SplitParams(content_type, &type, &params)) return std::nullopt;
  if (type != "multipart/form-data") return std::nullopt;
  const std::string* boundary = FindParam(params, "boundary");
  if (boundary == nullptr || !ValidBoundary(*boundary)) return std::nullopt;
  return *boundary;
}

Result<std::vector<FormPart>> ParseMultipart(std::string_view body, std::string_view boundary,
                                             int max_parts) {
  if (!ValidBoundary(boundary)) return Bad("bad boundary '" + std::string(boundary) + "'");
  const std::string delimiter = "--" + std::string(boundary);
  // Every delimiter after the first starts a line: it is searched for with its line break.
  const std::string next_delimiter = "\n" + delimiter;

  size_t pos;
  if (body.substr(0, delimiter.size()) == delimiter) {
    pos = 0;
  } else {
    // Anything before the first delimiter line is a preamble to ignore (RFC 2046 5.1.1).
    pos = body.find(next_delimiter);
    if (pos == std::string_view::npos) return Bad("no opening boundary");
    pos += 1;
  }

  std::vector<FormPart> parts;
  for (;;) {
    size_t p = pos + delimiter.size();
    if (body.substr(p, 2) == "--") return parts;  // close delimiter; the epilogue is ignored
    while (p < body.size() && (body[p] == ' ' || body[p] == '\t')) ++p;  // transport padding
    if (body.substr(p, 2) == "\r\n") {
      p += 2;
    } else if (body.substr(p, 1) == "\n") {
      p += 1;
    } else if (p >= body.size()) {
      return Bad("no closing boundary");
    } else {
      return Bad("boundary line of part " + std::to_string(parts.size() + 1) +
                 " is followed by other text");
    }
    if (static_cast<int>(parts.size()) >= max_parts) {
      return Bad("more than " + std::to_string(max_parts) + " parts");
    }
    const int number = static_cast<int>(parts.size()) + 1;

    FormPart part;
    bool has_disposition = false;
    const size_t headers_start = p;
    for (;;) {
      const size_t nl = body.find('\n', p);
      if (nl == std::string_view::npos) return Bad("no closing boundary");
      std::string_view line = body.substr(p, nl - p);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      p = nl + 1;
      if (p - headers_start > kMaxPartHeaderBytes) {
        return Bad("headers of part " + std::to_string(number) + " are over " +
                   std::to_string(kMaxPartHeaderBytes) + " bytes");
      }
      if (line.empty()) break;
      const size_t colon = line.find(':');
      if (colon == std::string_view::npos) {
        return Bad("part " + std::to_string(number) + " has a header line without a colon");
      }
      const std::string name = AsciiLowered(Trim(line.substr(0, colon)));
      const std::string_view value = Trim(line.substr(colon + 1));
      if (name == "content-disposition") {
        std::string disposition;
        Params params;
        if (!SplitParams(value, &disposition, &params)) {
          return Bad("part " + std::to_string(number) +
                     " has an unterminated quoted string in Content-Disposition");
        }
        if (disposition != "form-data") {
          return Bad("part " + std::to_string(number) + " has Content-Disposition '" + disposition +
                     "', not form-data");
        }
        if (const std::string* n = FindParam(params, "name")) {
          part.name = *n;
          has_disposition = !n->empty();
        }
        if (const std::string* f = FindParam(params, "filename")) part.filename = *f;
      } else if (name == "content-type") {
        part.content_type = std::string(value);
      }
    }
    if (!has_disposition) {
      return Bad("part " + std::to_string(number) + " has no Content-Disposition name");
    }
    // From p - 1: an empty part whose delimiter follows the blank line at once (some clients
    // send no line break for empty data) is still found.
    const size_t next = body.find(next_delimiter, p - 1);
    if (next == std::string_view::npos) return Bad("no closing boundary");
    // The line break before a delimiter belongs to the delimiter, not to the data.
    size_t data_end = next < p ? p : next;
    if (data_end > p && body[data_end - 1] == '\r') --data_end;
    part.data = body.substr(p, data_end - p);
    parts.push_back(std::move(part));
    pos = next + 1;
  }
}

}  // namespace warden::http
