#include "api/data_routes.h"

#include <spdlog/spdlog.h>

#include <charconv>

namespace kbridge::api {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

http::Response unreadable(const std::string& why) {
  spdlog::warn("api: the table cannot be read: {}", why);
  return errorResponse(500, "The table cannot be read.");
}

}  // namespace

std::string encodeCursor(const std::string& lastId) {
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  for (unsigned char c : lastId) {
    bits = (bits << 8) | c;
    count += 8;
    while (count >= 6) {
      count -= 6;
      out.push_back(kAlphabet[(bits >> count) & 0x3F]);
    }
  }
  if (count > 0) out.push_back(kAlphabet[(bits << (6 - count)) & 0x3F]);
  return out;
}

std::optional<std::string> decodeCursor(const std::string& cursor) {
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  for (char c : cursor) {
    const auto at = kAlphabet.find(c);
    if (at == std::string_view::npos) return std::nullopt;
    bits = (bits << 6) | static_cast<std::uint32_t>(at);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<char>((bits >> count) & 0xFF));
    }
  }
  // Leftover bits must be the zero padding encodeCursor writes.
  if (count >= 6 || (bits & ((1u << count) - 1)) != 0 || out.empty()) return std::nullopt;
  return out;
}

void addDataRoutes(ApiRouter& router, std::shared_ptr<TableReader> reader, Executor& executor,
                   const Clock& clock, DataRouteOptions options) {
  router.add(
      "GET", "/api/data/{id}",
      [reader, &executor, &clock](ApiRequest request, http::Respond respond) {
        executor.post([reader, &clock, id = request.params["id"], respond = std::move(respond)] {
          auto item = reader->get(id, clock.nowMillis());
          if (!item) return respond(unreadable(item.error()));
          if (!*item) return respond(errorResponse(404, "Item not found"));
          http::Response r;
          r.headers.emplace_back("Content-Type", "application/json");
          r.body = std::move(**item);
          respond(std::move(r));
        });
      });
  router.add("GET", "/api/data",
             [reader, &executor, &clock, options](ApiRequest request, http::Respond respond) {
               std::size_t limit = options.defaultLimit;
               if (auto it = request.query.find("limit"); it != request.query.end()) {
                 const auto& text = it->second;
                 std::size_t n = 0;
                 const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
                 if (ec != std::errc() || end != text.data() + text.size() || n < 1 ||
                     n > options.maxLimit) {
                   return respond(errorResponse(400, "limit must be an integer between 1 and " +
                                                         std::to_string(options.maxLimit) + "."));
                 }
                 limit = n;
               }
               std::optional<std::string> after;
               if (auto it = request.query.find("cursor");
                   it != request.query.end() && !it->second.empty()) {
                 after = decodeCursor(it->second);
                 if (!after) return respond(errorResponse(400, "Invalid cursor."));
               }
               executor.post(
                   [reader, &clock, limit, after = std::move(after), respond = std::move(respond)] {
                     auto page = reader->list(after, limit, clock.nowMillis());
                     if (!page) return respond(unreadable(page.error()));
                     // The stored items are JSON already: spliced in, not parsed again.
                     std::string body = "{\"items\":[";
                     for (std::size_t i = 0; i < page->items.size(); ++i) {
                       if (i) body += ',';
                       body += page->items[i];
                     }
                     body += "],\"count\":" + std::to_string(page->items.size());
                     if (page->more)
                       body += ",\"nextCursor\":\"" + encodeCursor(page->lastId) + "\"";
                     body += '}';
                     http::Response r;
                     r.headers.emplace_back("Content-Type", "application/json");
                     r.body = std::move(body);
                     respond(std::move(r));
                   });
             });
}

}  // namespace kbridge::api
