// RecordFilter: compiling EventBridge patterns into a small tree, and matching records against it.
//
// Matching rules (EventBridge / aws event-ruler, as Lambda applies them to Kinesis records):
// - A pattern object ANDs its fields; a field's array of conditions is OR'ed; "$or": [{..}, {..}]
//   ORs whole sub-patterns. The patterns of the filter list are OR'ed.
// - Conditions look at leaf values (strings, numbers, booleans, null). When the event holds an
//   array there, the field matches when any leaf in it (arrays nest) matches. An object where
//   the pattern expects a leaf counts as absent; so do an empty array and a missing field.
// - A nested pattern object meeting an array of objects matches when one element matches the
//   whole sub-pattern (event-ruler's array-consistent matching). `exists: false` inside it is
//   judged per element too.
// - Strings compare byte for byte; prefix/suffix/equals-ignore-case/wildcard match only strings;
//   `numeric` and number literals match only JSON numbers, compared as numbers (300 = 300.0).
// - `anything-but` needs the field present: it matches any leaf not excluded; values of another
//   type than the excluded ones (a number against excluded strings, null, booleans) pass.
// - `exists: true` passes when the field has a leaf value (null counts); `exists: false` when not.
// - data: parsed as JSON on demand. If the bytes are not JSON, a field on `data` fails, so the
//   pattern (or $or branch) holding it does not match — Lambda drops such records.

#include "runtime/filter.h"

#include "runtime/filter_tree.h"

namespace kbridge::runtime {
namespace filter_detail {
namespace {

// Arrays nested deeper than this in an event are not looked into (keeps recursion bounded on
// hostile data); matching treats what lies below as absent.
constexpr int kMaxArrayDepth = 64;

// The record being matched, with its data parsed at most once, on first need.
class MatchContext {
 public:
  explicit MatchContext(const Record& record) : record_(record) {}

  const Record& record() const { return record_; }

  // The data as JSON, or nullptr when the bytes are not JSON.
  const Json* data() {
    if (!parsed_) {
      parsed_ = true;
      data_ = Json::parse(record_.data.begin(), record_.data.end(), nullptr,
                          /*allow_exceptions=*/false);
    }
    return data_.is_discarded() ? nullptr : &data_;
  }

 private:
  const Record& record_;
  bool parsed_ = false;
  Json data_;
};

bool matchNode(const Node& node, const Json* object, MatchContext& ctx);

// Calls `visit` with each leaf at `value` (the value itself, or the leaves of an array, nested
// arrays included) until it returns false. Objects are not leaves.
template <class Visit>
bool forEachLeaf(const Json& value, int depth, Visit& visit) {
  if (value.is_object()) return true;
  if (!value.is_array()) return visit(Scalar::of(value));
  if (depth >= kMaxArrayDepth) return true;
  for (const auto& element : value) {
    if (!forEachLeaf(element, depth + 1, visit)) return false;
  }
  return true;
}

bool matchLeaf(const Leaf& leaf, const Json* value) {
  bool present = false;
  bool matched = false;
  auto visit = [&](const Scalar& v) {
    present = true;
    matched = leaf.anyMatches(v);
    return !matched;
  };
  if (value) forEachLeaf(*value, 0, visit);
  if (matched) return true;
  return present ? leaf.ifPresent : leaf.ifAbsent;
}

bool matchNested(const Node& node, const Json* value, MatchContext& ctx, int depth) {
  if (value && value->is_array() && !value->empty()) {
    if (depth >= kMaxArrayDepth) return matchNode(node, nullptr, ctx);
    for (const auto& element : *value) {
      if (matchNested(node, &element, ctx, depth + 1)) return true;
    }
    return false;
  }
  return matchNode(node, value, ctx);
}

Scalar recordValue(RecordKey key, const Record& record) {
  switch (key) {
    case RecordKey::kPartitionKey:
      return Scalar::string(record.partitionKey);
    case RecordKey::kSequenceNumber:
      return Scalar::string(record.sequenceNumber);
    case RecordKey::kArrivalTimestamp: {
      Scalar v;
      v.type = Scalar::Type::kNumber;
      v.number = Number::of(static_cast<double>(record.arrivalMs) / 1000.0);
      return v;
    }
    case RecordKey::kSchemaVersion:
      return Scalar::string("1.0");
    case RecordKey::kNone:
    case RecordKey::kData:
      break;
  }
  return Scalar{};
}

bool matchField(const Field& field, const Json* object, MatchContext& ctx) {
  switch (field.recordKey) {
    case RecordKey::kNone: {
      const Json* value = nullptr;
      if (object && object->is_object()) {
        auto it = object->find(field.key);
        if (it != object->end()) value = &*it;
      }
      return field.nested ? matchNested(field.node, value, ctx, 0) : matchLeaf(field.leaf, value);
    }
    case RecordKey::kData: {
      const Json* data = ctx.data();
      return data != nullptr && matchNested(field.node, data, ctx, 0);
    }
    default: {
      Scalar v = recordValue(field.recordKey, ctx.record());
      return field.leaf.anyMatches(v) || field.leaf.ifPresent;
    }
  }
}

bool matchNode(const Node& node, const Json* object, MatchContext& ctx) {
  for (const auto& field : node.fields) {
    if (!matchField(field, object, ctx)) return false;
  }
  for (const auto& group : node.anyOf) {
    bool any = false;
    for (const auto& branch : group) {
      if (matchNode(branch, object, ctx)) {
        any = true;
        break;
      }
    }
    if (!any) return false;
  }
  return true;
}

}  // namespace
}  // namespace filter_detail

bool RecordFilter::matches(const Record& record) const noexcept {
  try {
    filter_detail::MatchContext ctx(record);
    for (const auto& pattern : compiled_->patterns) {
      if (filter_detail::matchNode(pattern, nullptr, ctx)) return true;
    }
    return false;
  } catch (...) {
    // Only allocation failure can get here. Deliver rather than silently drop the record.
    return true;
  }
}

bool RecordFilter::needsData() const {
  return compiled_->needsData;
}

std::size_t RecordFilter::patternCount() const {
  return compiled_->patterns.size();
}

}  // namespace kbridge::runtime
