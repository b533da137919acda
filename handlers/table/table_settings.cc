#include "handlers/table/table_settings.h"

#include "config/reader.h"

namespace kbridge::handlers::table {

std::optional<TableSettings> parseTableSettings(const nlohmann::json& settings,
                                                const std::string& path,
                                                std::vector<std::string>& errors) {
  const std::size_t before = errors.size();
  TableSettings s;
  {
    config::ObjectReader r(settings, path, errors);
    r.string("path", s.path, [](const std::string& p) -> std::string {
      if (p.empty()) return "must not be empty";
      if (p.back() == '/') return "must name a file, not a directory";
      if (p.find('\0') != std::string::npos) return "must not contain NUL";
      return "";
    });
    if (r.valid() && s.path.empty() && !r.raw("path")) {
      r.error(r.at("path"), "is required: the table's SQLite file");
    }
    auto fieldName = [](const std::string& f) -> std::string {
      return f.empty() ? "must not be empty" : "";
    };
    r.string("id_field", s.idField, fieldName);
    r.string("ttl_attribute", s.ttlAttribute, fieldName);
    r.integer("ttl_s", s.ttlSeconds, 0, 10LL * 365 * 24 * 3600);
    std::int64_t sweepS = s.sweepIntervalMs / 1000;
    r.integer("sweep_interval_s", sweepS, 1, 86400);
    s.sweepIntervalMs = sweepS * 1000;
    static const char* kReserved[] = {"id",      "data",     "partitionKey", "sequenceNumber",
                                      "shardId", "timestamp"};
    for (const char* name : kReserved) {
      if (s.ttlAttribute == name) {
        r.error(r.at("ttl_attribute"),
                std::string("must not be \"") + name + "\": the item already has that attribute");
      }
    }
  }  // the reader reports unknown keys when it goes out of scope
  if (errors.size() != before) return std::nullopt;
  return s;
}

}  // namespace kbridge::handlers::table
