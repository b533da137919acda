#pragma once
// Per-principal access policies: which Kinesis actions a principal may call and on which streams,
// in IAM's terms. Actions are matched like IAM action names ("kinesis:Put*", case-insensitive),
// streams by name globs ("orders-*", case-sensitive like ARNs); '*' matches any run of
// characters, '?' exactly one.
//
// Requests that name no stream (ListStreams, DescribeLimits, ListShards by NextToken alone, ...)
// act on IAM's resource "*": like an IAM policy whose Resource lists stream ARNs, a principal is
// allowed them only when its streams include the pattern "*" itself.
//
// Pure functions over immutable values; safe from any thread.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kbridge::auth {

struct Principal {
  std::string name;  // for messages: arn:aws:iam::<account>:user/<name>
  std::string accessKeyId;
  std::vector<std::string> actions;  // "kinesis:PutRecord*", "kinesis:*", "*"
  std::vector<std::string> streams;  // "orders-*", "*"
};

bool globMatch(std::string_view pattern, std::string_view text, bool ignoreCase = false);

// `action` in IAM form, "kinesis:PutRecord".
bool actionAllowed(const Principal& principal, std::string_view action);
// nullopt = the account-level resource "*".
bool streamAllowed(const Principal& principal, const std::optional<std::string>& stream);
// True when every stream (and the account-level resource) is allowed: the decision then does not
// depend on the request's body.
bool allowsEveryStream(const Principal& principal);

// The stream a Kinesis request acts on: StreamName, else the stream of StreamARN, ConsumerARN or
// ResourceARN; nullopt when it names none.
std::optional<std::string> targetStream(const nlohmann::json& input);
// "arn:aws:kinesis:us-east-1:000000000000:stream/orders-eu[/consumer/...]" → "orders-eu".
std::optional<std::string> streamOfArn(std::string_view arn);

}  // namespace kbridge::auth
