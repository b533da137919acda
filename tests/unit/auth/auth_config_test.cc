// The `auth` section of the config: modes, principals, secrets from the environment, and every
// error with its JSON path.

#include <gtest/gtest.h>

#include <algorithm>

#include "config/config.h"

namespace kbridge::config {
namespace {

std::shared_ptr<const Config> parse(const std::string& text,
                                    const std::map<std::string, std::string>& env,
                                    ConfigErrors& errors) {
  return parseConfig(text, env, errors);
}

TEST(AuthConfig, DefaultsToNoneWithTheKinesisRegion) {
  ConfigErrors errors;
  auto c = parse(R"({"kinesis": {"region": "eu-west-1"}})", {}, errors);
  ASSERT_TRUE(c) << errors.errors.front();
  EXPECT_EQ(c->auth.mode, AuthMode::kNone);
  EXPECT_EQ(c->auth.region, "eu-west-1");
  EXPECT_TRUE(c->auth.principals.empty());
}

TEST(AuthConfig, SigV4PrincipalsWithSecretsFromTheEnvironment) {
  ConfigErrors errors;
  auto c = parse(R"({"auth": {"mode": "sigv4", "region": "us-west-2", "principals": [
      {"access_key_id": "AKIDORDERS", "secret_env": "ORDERS_SECRET", "name": "orders-writer",
       "actions": ["kinesis:PutRecord*"], "streams": ["orders-*"], "api_token_env": "ORDERS_TOKEN"},
      {"access_key_id": "AKIDADMIN", "secret_env": "ADMIN_SECRET", "actions": ["*"],
       "streams": ["*"]}]}})",
                 {{"ORDERS_SECRET", "s1"}, {"ADMIN_SECRET", "s2"}, {"ORDERS_TOKEN", "t1"}}, errors);
  ASSERT_TRUE(c) << errors.errors.front();
  EXPECT_EQ(c->auth.mode, AuthMode::kSigV4);
  EXPECT_EQ(c->auth.region, "us-west-2");
  ASSERT_EQ(c->auth.principals.size(), 2u);
  const auto& orders = c->auth.principals[0];
  EXPECT_EQ(orders.name, "orders-writer");
  EXPECT_EQ(orders.accessKeyId, "AKIDORDERS");
  EXPECT_EQ(orders.secret, "s1");
  EXPECT_EQ(orders.apiToken, "t1");
  EXPECT_EQ(orders.actions, std::vector<std::string>{"kinesis:PutRecord*"});
  EXPECT_EQ(orders.streams, std::vector<std::string>{"orders-*"});
  EXPECT_EQ(c->auth.principals[1].name, "AKIDADMIN");
  EXPECT_EQ(c->auth.principals[1].secret, "s2");
}

TEST(AuthConfig, EveryErrorWithItsPath) {
  ConfigErrors errors;
  auto c = parse(R"({"auth": {"mode": "iam", "principals": [
      {"access_key_id": "AK/ID", "secret_env": "UNSET", "actions": ["s3:*"], "streams": []},
      {"access_key_id": "AKID", "secret_env": "SET", "actions": "kinesis:*", "streams": ["a b"],
       "extra": 1},
      {"access_key_id": "AKID", "secret_env": "SET", "actions": ["*"], "streams": ["*"]},
      {"secret_env": "EMPTY"}]}})",
                 {{"SET", "x"}, {"EMPTY", ""}}, errors);
  EXPECT_FALSE(c);
  const std::vector<std::string> expected = {
      "$.auth.mode: must be \"none\" or \"sigv4\"",
      "$.auth.principals[0].access_key_id: may contain only ASCII letters, digits and _",
      "$.auth.principals[0].secret_env: environment variable UNSET is not set or empty",
      "$.auth.principals[0].actions[0]: must be \"*\" or start with \"kinesis:\"",
      "$.auth.principals[0].streams: must be a non-empty array of strings",
      "$.auth.principals[1].actions: must be a non-empty array of strings",
      "$.auth.principals[1].streams[0]: may contain only ASCII letters, digits and *?._-",
      "$.auth.principals[1].extra: unknown key",
      "$.auth.principals[2].access_key_id: \"AKID\" is used twice",
      "$.auth.principals[3].access_key_id: is required",
      "$.auth.principals[3].secret_env: environment variable EMPTY is not set or empty",
      "$.auth.principals[3].actions: is required (a non-empty array of strings)",
      "$.auth.principals[3].streams: is required (a non-empty array of strings)",
  };
  for (const auto& e : expected) {
    EXPECT_NE(std::find(errors.errors.begin(), errors.errors.end(), e), errors.errors.end())
        << "missing: " << e;
  }
  EXPECT_EQ(errors.errors.size(), expected.size()) << ::testing::PrintToString(errors.errors);
}

TEST(AuthConfig, SigV4NeedsPrincipals) {
  ConfigErrors errors;
  EXPECT_FALSE(parse(R"({"auth": {"mode": "sigv4"}})", {}, errors));
  ASSERT_EQ(errors.errors.size(), 1u);
  EXPECT_EQ(errors.errors[0], "$.auth.principals: is required with mode \"sigv4\"");
}

}  // namespace
}  // namespace kbridge::config
