#include "handlers/archive/archive_settings.h"

#include <cctype>
#include <filesystem>
#include <system_error>

#include "config/reader.h"

namespace kbridge::handlers::archive {
namespace {

std::vector<std::string> splitFieldPath(std::string_view text) {
  if (!text.empty() && text.front() == '.') text.remove_prefix(1);
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto dot = text.find('.', start);
    const auto end = dot == std::string_view::npos ? text.size() : dot;
    parts.emplace_back(text.substr(start, end - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return parts;
}

bool validExtension(const std::string& ext) {
  if (ext.empty()) return true;
  if (ext.front() != '.' || ext.size() > 128) return false;
  for (char c : ext) {
    const auto u = static_cast<unsigned char>(c);
    if (!(std::isalnum(u) || c == '.' || c == '!' || c == '-' || c == '_' || c == '*' ||
          c == '\'' || c == '(' || c == ')'))
      return false;
  }
  return true;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::string archiveStateDir(const std::string& destinationPath, const std::string& mapping) {
  return destinationPath + "/.kbridge/" + mapping;
}

std::optional<ArchiveSettings> parseArchiveSettings(const nlohmann::json& settings,
                                                    const std::string& path,
                                                    std::vector<std::string>& errors) {
  const std::size_t before = errors.size();
  ArchiveSettings s;
  std::string prefixText, errorPrefixText, compression = "none", delimiter = "newline";
  std::optional<std::string> extension;
  bool haveErrorPrefix = false;
  {
    config::ObjectReader r(settings, path, errors);
    bool haveDestination = false;
    r.object("destination", [&](config::ObjectReader& d) {
      haveDestination = true;
      d.string("path", s.destinationPath);
      if (s.destinationPath.empty()) d.error(d.at("path"), "required: the archive's directory");
    });
    if (!haveDestination && r.valid()) r.error(r.at("destination"), "required: {\"path\": DIR}");
    r.string("prefix", prefixText);
    if (const auto* v = r.raw("error_output_prefix")) {
      if (v->is_string()) {
        errorPrefixText = v->get<std::string>();
        haveErrorPrefix = true;
      } else {
        r.error(r.at("error_output_prefix"), "must be a string");
      }
    }
    r.object("buffering", [&](config::ObjectReader& b) {
      std::int64_t mib = 5, seconds = 300;
      b.integer("size_mib", mib, 1, 128);
      b.integer("interval_s", seconds, 0, 900);
      s.bufferSizeBytes = static_cast<std::size_t>(mib) * 1024 * 1024;
      s.bufferIntervalMs = seconds * 1000;
    });
    r.string("compression", compression, [](const std::string& v) -> std::string {
      const auto l = lower(v);
      return l == "none" || l == "gzip" || l == "uncompressed" ? ""
                                                               : "must be \"none\" or \"gzip\"";
    });
    r.integer("compression_level", s.compressionLevel, 1, 9);
    r.string("record_delimiter", delimiter, [](const std::string& v) -> std::string {
      return v == "none" || v == "newline" ? "" : "must be \"none\" or \"newline\"";
    });
    if (const auto* v = r.raw("file_extension")) {
      if (!v->is_string()) {
        r.error(r.at("file_extension"), "must be a string");
      } else if (!validExtension(v->get<std::string>())) {
        r.error(r.at("file_extension"),
                "must start with '.' and use only letters, digits and !-_.*'()");
      } else {
        extension = v->get<std::string>();
      }
    }
    if (const auto* v = r.raw("partition_keys")) {
      if (!v->is_object()) {
        r.error(r.at("partition_keys"), "must be an object: key name → JSON field (\".a.b\")");
      } else {
        for (const auto& [name, field] : v->items()) {
          const std::string at = r.at("partition_keys") + "." + name;
          if (!field.is_string() || field.get<std::string>().empty()) {
            r.error(at, "must be a JSON field path such as \".customer_id\"");
            continue;
          }
          auto parts = splitFieldPath(field.get<std::string>());
          bool ok = true;
          for (const auto& p : parts) ok = ok && !p.empty();
          if (!ok) {
            r.error(at, "must be a JSON field path such as \".customer_id\" or \".a.b\"");
            continue;
          }
          s.partitionKeys[name] = std::move(parts);
        }
      }
    }
    r.integer("max_open_objects", s.maxOpenObjects, 1, 10000);
    r.integer("max_open_objects_total", s.maxOpenObjectsTotal, 1, 100000);
  }
  s.compression = lower(compression) == "gzip" ? Compression::kGzip : Compression::kNone;
  s.newlineDelimiter = delimiter == "newline";
  s.fileExtension = extension ? *extension : (s.compression == Compression::kGzip ? ".gz" : "");

  // Firehose's rules. The prefix: timestamp appended unless it has one or is dynamically
  // partitioned; no error-output-type. The error prefix: required when the prefix has
  // expressions; no partition keys; timestamp appended unless it has one.
  std::string why;
  auto prefix = PrefixTemplate::parse(prefixText, why);
  if (!prefix) {
    errors.push_back(path + ".prefix: " + why);
  } else {
    if (prefix->hasErrorOutputType())
      errors.push_back(path +
                       ".prefix: !{firehose:error-output-type} is only for error_output_prefix");
    for (const auto& name : prefix->partitionKeyNames()) {
      if (!s.partitionKeys.count(name))
        errors.push_back(path + ".prefix: !{partitionKeyFromQuery:" + name +
                         "} names no key of partition_keys");
    }
    if (prefix->hasExpressions() && !haveErrorPrefix)
      errors.push_back(
          path + ".error_output_prefix: required when prefix has expressions (Firehose rule)");
    if (!prefix->hasTimestamp() && prefix->partitionKeyNames().empty()) {
      prefix = PrefixTemplate::parse(prefixText + std::string(kDefaultTimestampExpression), why);
    }
    if (prefix) s.prefix = std::move(*prefix);
  }
  if (!s.partitionKeys.empty() && prefix && s.prefix.partitionKeyNames().empty())
    errors.push_back(path + ".partition_keys: unused: prefix has no !{partitionKeyFromQuery:...}");
  if (!haveErrorPrefix) errorPrefixText = "!{firehose:error-output-type}/";
  auto errorPrefix = PrefixTemplate::parse(errorPrefixText, why);
  if (!errorPrefix) {
    errors.push_back(path + ".error_output_prefix: " + why);
  } else {
    if (!errorPrefix->partitionKeyNames().empty())
      errors.push_back(path +
                       ".error_output_prefix: !{partitionKeyFromQuery:...} is not allowed here");
    if (!errorPrefix->hasTimestamp())
      errorPrefix =
          PrefixTemplate::parse(errorPrefixText + std::string(kDefaultTimestampExpression), why);
    if (errorPrefix) s.errorPrefix = std::move(*errorPrefix);
  }
  // A relative directory is kbridge's working directory's (as the table handler's file is),
  // fixed once here so that the state directory and `archive verify` agree with the objects.
  if (!s.destinationPath.empty() && s.destinationPath.front() != '/') {
    std::error_code ec;
    auto absolute = std::filesystem::absolute(s.destinationPath, ec);
    if (ec) {
      errors.push_back(path + ".destination.path: cannot be made absolute: " + ec.message());
    } else {
      s.destinationPath = absolute.lexically_normal().string();
      while (s.destinationPath.size() > 1 && s.destinationPath.back() == '/')
        s.destinationPath.pop_back();
    }
  }
  if (errors.size() != before) return std::nullopt;
  return s;
}

}  // namespace kbridge::handlers::archive
