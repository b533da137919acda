#include "kinesis/codec.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <exception>
#include <limits>
#include <vector>

#include "common/utf8.h"

namespace kbridge::kinesis {

namespace {

// Deeper nesting than this is refused before nlohmann sees the body: no Kinesis shape nests
// beyond a handful of levels. nlohmann's CBOR reader is recursive, so unbounded CBOR nesting would
// overflow the stack; its JSON parser is not, but a deep tree in a member nobody reads would still
// pass as valid input, where CBOR's is refused.
constexpr std::size_t kMaxNestingDepth = 64;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

// Whether JSON text nests arrays and objects deeper than kMaxNestingDepth (brackets inside
// strings do not count; malformed text is left for the parser to reject).
bool jsonNestsTooDeeply(std::string_view body) {
  std::size_t depth = 0;
  bool inString = false;
  for (std::size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (inString) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        inString = false;
      }
      continue;
    }
    if (c == '"') {
      inString = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxNestingDepth) return true;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

// The CBOR encoding of the double nearest to -1 - n, the value of a negative integer item whose
// argument n does not fit int64_t.
std::string negativeAsDouble(std::uint64_t n) {
  const double value = -1.0 - static_cast<double>(n);
  std::uint64_t bits = 0;
  std::memcpy(&bits, &value, sizeof bits);
  std::string out(1, static_cast<char>(0xfb));
  for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((bits >> shift) & 0xff);
  return out;
}

// Walks the CBOR item structure without recursion and refuses (returns false) what nlohmann
// would mishandle: (1) nesting deeper than kMaxNestingDepth, which its recursive reader would
// turn into a stack overflow; (2) text strings that are not valid UTF-8, and (3) chunks of an
// indefinite-length string that are not definite-length strings of its type (RFC 8949 3.2.3),
// both of which it would accept.
// It also rewrites two kinds of item, putting the body into `*rewritten` when it does:
// (4) tag headers are removed: nlohmann rejects tags 0-5 outright, yet the Java SDK sends every
// timestamp as tag 1 (epoch time) + number; (5) negative integers below INT64_MIN become the
// double they stand for: nlohmann computes -1 - n in int64_t and wraps (-2^64 would read as 0).
// Malformed input is left for nlohmann to reject: it cannot get deeper than the prefix checked
// here.
bool scanCbor(std::string_view body, std::string* rewritten, bool* changed) {
  struct Frame {
    std::uint64_t remaining;  // items still expected; ignored when indefinite
    bool indefinite;
    unsigned stringMajor;  // 2 or 3 for an indefinite-length string, else 0
  };
  std::vector<Frame> stack;
  std::size_t pos = 0;
  std::size_t copiedUpTo = 0;  // body[0, copiedUpTo) is already in *rewritten
  *changed = false;
  auto replace = [&](std::size_t itemStart, std::string_view replacement) {
    if (!*changed) {
      *changed = true;
      rewritten->clear();
    }
    rewritten->append(body.substr(copiedUpTo, itemStart - copiedUpTo));
    rewritten->append(replacement);
    copiedUpTo = pos;
  };
  auto finish = [&] {
    if (*changed) rewritten->append(body.substr(copiedUpTo));
    return true;
  };
  const auto* p = reinterpret_cast<const unsigned char*>(body.data());
  while (pos < body.size()) {
    const std::size_t itemStart = pos;
    const unsigned major = p[pos] >> 5;
    const unsigned info = p[pos] & 0x1f;
    ++pos;
    std::uint64_t arg = 0;
    bool indefinite = false;
    if (info < 24) {
      arg = info;
    } else if (info <= 27) {
      const std::size_t n = std::size_t{1} << (info - 24);
      if (body.size() - pos < n) return finish();
      for (std::size_t i = 0; i < n; ++i) arg = (arg << 8) | p[pos + i];
      pos += n;
    } else if (info == 31) {
      indefinite = true;
    } else {
      return finish();  // reserved additional information: malformed
    }
    if (!stack.empty() && stack.back().stringMajor != 0 && !(major == 7 && indefinite) &&
        (major != stack.back().stringMajor || indefinite)) {
      return false;
    }

    bool itemDone = false;
    switch (major) {
      case 0:
        itemDone = true;
        break;
      case 1:
        if (arg > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
          replace(itemStart, negativeAsDouble(arg));
        }
        itemDone = true;
        break;
      case 2:
      case 3:
        if (indefinite) {
          stack.push_back({0, true, major});
        } else {
          if (body.size() - pos < arg) return finish();
          // The chunks of an indefinite text string are text strings, each valid on its own.
          if (major == 3 && !utf8::isValid(body.substr(pos, static_cast<std::size_t>(arg)))) {
            return false;
          }
          pos += static_cast<std::size_t>(arg);
          itemDone = true;
        }
        break;
      case 4:
      case 5:
        if (indefinite) {
          stack.push_back({0, true, 0});
        } else if (arg == 0) {
          itemDone = true;
        } else {
          const std::uint64_t items =
              major == 5 ? (arg > UINT64_MAX / 2 ? UINT64_MAX : arg * 2) : arg;
          stack.push_back({items, false, 0});
        }
        break;
      case 6:
        // A tag only annotates the next item: drop its header and keep the item.
        replace(itemStart, {});
        continue;
      case 7:
        if (indefinite) {  // "break": ends the innermost indefinite container
          if (stack.empty() || !stack.back().indefinite) return finish();
          stack.pop_back();
        }
        itemDone = true;
        break;
    }
    if (stack.size() > kMaxNestingDepth) return false;
    if (!itemDone) continue;
    // One item finished: count it against the enclosing definite containers.
    while (!stack.empty() && !stack.back().indefinite) {
      if (--stack.back().remaining > 0) break;
      stack.pop_back();
    }
    if (stack.empty()) break;  // top-level item complete; trailing bytes are nlohmann's to reject
  }
  return finish();
}

constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int, 256> makeBase64Table() {
  std::array<int, 256> t{};
  for (auto& v : t) v = -1;
  for (std::size_t i = 0; i < kBase64Alphabet.size(); ++i)
    t[static_cast<unsigned char>(kBase64Alphabet[i])] = static_cast<int>(i);
  return t;
}
constexpr std::array<int, 256> kBase64Table = makeBase64Table();

std::size_t utf8SequenceLength(unsigned char lead) {
  if (lead >= 0xf0) return 4;
  if (lead >= 0xe0) return 3;
  if (lead >= 0xc0) return 2;
  return 1;
}

}  // namespace

std::size_t utf16Length(std::string_view utf8) {
  // 4-byte sequences are surrogate pairs; continuation bytes add nothing.
  std::size_t n = 0;
  for (unsigned char c : utf8) {
    if ((c & 0xc0) == 0x80) continue;
    n += c >= 0xf0 ? 2 : 1;
  }
  return n;
}

std::optional<WireFormat> wireFormatFor(std::string_view contentType) {
  const auto semi = contentType.find(';');
  const std::string_view mime = trim(contentType.substr(0, semi));
  if (equalsIgnoreCase(mime, "application/x-amz-json-1.1")) return WireFormat::kJson;
  if (equalsIgnoreCase(mime, kCborContentType)) return WireFormat::kCbor;
  return std::nullopt;
}

std::string_view contentTypeOf(WireFormat format) {
  return format == WireFormat::kCbor ? kCborContentType : kJsonContentType;
}

ApiResult<Json> decodeBody(std::string_view body, WireFormat format) {
  // AWS answers bodies it cannot read with a bare SerializationException.
  auto unreadable = [] { return apiError(ErrorType::kSerialization, ""); };
  if (body.empty()) return unreadable();
  Json tree;
  try {
    if (format == WireFormat::kCbor) {
      std::string rewritten;
      bool changed = false;
      if (!scanCbor(body, &rewritten, &changed)) return unreadable();
      const std::string_view input = changed ? std::string_view(rewritten) : body;
      tree = Json::from_cbor(input.begin(), input.end(), /*strict=*/true,
                             /*allow_exceptions=*/false, Json::cbor_tag_handler_t::ignore);
    } else {
      if (jsonNestsTooDeeply(body)) return unreadable();
      tree = Json::parse(body.begin(), body.end(), /*cb=*/nullptr, /*allow_exceptions=*/false);
    }
  } catch (const std::exception&) {
    return unreadable();
  }
  if (tree.is_discarded() || !tree.is_object()) return unreadable();
  return tree;
}

std::string encodeBody(const Json& tree, WireFormat format) {
  try {
    if (format == WireFormat::kCbor) {
      std::string out;
      Json::to_cbor(tree, out);
      return out;
    }
    return tree.dump(-1, ' ', false, Json::error_handler_t::replace);
  } catch (const std::exception&) {
    // Only allocation failure is left; an empty body is the least harmful answer.
    return {};
  }
}

Json blobValue(std::string_view bytes, WireFormat format) {
  if (format == WireFormat::kCbor)
    return Json::binary(std::vector<std::uint8_t>(bytes.begin(), bytes.end()));
  return base64Encode(bytes);
}

Json timestampValue(std::int64_t epochMillis, WireFormat format) {
  if (format == WireFormat::kCbor) return epochMillis;
  if (epochMillis % 1000 == 0) return epochMillis / 1000;
  // IEEE division is correctly rounded, so the quotient is the double nearest to the decimal
  // value with three fraction digits, and nlohmann prints the shortest round-trip form of it.
  return static_cast<double>(epochMillis) / 1000.0;
}

std::string base64Encode(std::string_view bytes) {
  std::string out;
  base64EncodeTo(out, bytes);
  return out;
}

void base64EncodeTo(std::string& out, std::string_view bytes) {
  const std::size_t start = out.size();
  out.resize(start + (bytes.size() + 2) / 3 * 4);
  char* o = out.data() + start;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v = (p[i] << 16) | (p[i + 1] << 8) | p[i + 2];
    *o++ = kBase64Alphabet[v >> 18];
    *o++ = kBase64Alphabet[(v >> 12) & 63];
    *o++ = kBase64Alphabet[(v >> 6) & 63];
    *o++ = kBase64Alphabet[v & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    const std::uint32_t v = p[i] << 16;
    *o++ = kBase64Alphabet[v >> 18];
    *o++ = kBase64Alphabet[(v >> 12) & 63];
    *o++ = '=';
    *o = '=';
  } else if (rest == 2) {
    const std::uint32_t v = (p[i] << 16) | (p[i + 1] << 8);
    *o++ = kBase64Alphabet[v >> 18];
    *o++ = kBase64Alphabet[(v >> 12) & 63];
    *o++ = kBase64Alphabet[(v >> 6) & 63];
    *o = '=';
  }
}

bool base64DecodeTo(std::string_view text, std::string& out) {
  const std::size_t n = text.size();
  out.clear();
  if (n % 4 != 0) return false;
  if (n == 0) return true;
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  // Only trailing '=' pad; any other '=' is outside the table (-1) and rejected below.
  const std::size_t pads = p[n - 1] != '=' ? 0 : p[n - 2] != '=' ? 1 : 2;
  out.resize(n / 4 * 3 - pads);
  char* o = out.data();
  const std::size_t whole = pads ? n - 4 : n;
  for (std::size_t i = 0; i < whole; i += 4) {
    const int a = kBase64Table[p[i]], b = kBase64Table[p[i + 1]], c = kBase64Table[p[i + 2]],
              d = kBase64Table[p[i + 3]];
    if ((a | b | c | d) < 0) return false;
    const auto v = static_cast<std::uint32_t>((a << 18) | (b << 12) | (c << 6) | d);
    *o++ = static_cast<char>(v >> 16);
    *o++ = static_cast<char>((v >> 8) & 0xff);
    *o++ = static_cast<char>(v & 0xff);
  }
  if (pads == 0) return true;
  const int a = kBase64Table[p[whole]], b = kBase64Table[p[whole + 1]];
  if ((a | b) < 0) return false;
  if (pads == 2) {
    if ((b & 0xf) != 0) return false;  // bits that make no whole byte must be zero
    *o = static_cast<char>((a << 2) | (b >> 4));
    return true;
  }
  const int c = kBase64Table[p[whole + 2]];
  if (c < 0 || (c & 0x3) != 0) return false;
  const auto v = static_cast<std::uint32_t>((a << 18) | (b << 12) | (c << 6));
  *o++ = static_cast<char>(v >> 16);
  *o = static_cast<char>((v >> 8) & 0xff);
  return true;
}

std::optional<std::string> base64Decode(std::string_view text, std::string* whyNot) {
  std::string out;
  if (base64DecodeTo(text, out)) return out;
  auto reject = [&](std::string reason) -> std::optional<std::string> {
    if (whyNot) *whyNot = std::move(reason);
    return std::nullopt;
  };
  // Why it failed. The checks and their order are Coral's (as kinesalite records them): length
  // first, then the first character outside the alphabet (or an '=' followed by anything but
  // '='), then the canonical form of the tail.
  const std::size_t length = utf16Length(text);
  if (length % 4 != 0)
    return reject("Base64 encoded length is expected a multiple of 4 bytes but found: " +
                  std::to_string(length));
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const bool padBeforeData = c == '=' && i + 1 < text.size() && text[i + 1] != '=';
    if ((c != '=' && kBase64Table[c] < 0) || padBeforeData) {
      const std::size_t n = std::min(utf8SequenceLength(c), text.size() - i);
      return reject("Invalid Base64 character: '" + std::string(text.substr(i, n)) + "'");
    }
  }
  // Left: more than two pads, or a last non-pad character with bits that make no whole byte.
  return reject("Invalid last non-pad Base64 character dectected");
}

}  // namespace kbridge::kinesis
