// The listener keys of `kinesis` and `admin`: `tls` and the connection limits (README "Security"),
// with their defaults, and every bad value reported with its path.

#include <gtest/gtest.h>

#include "config/config.h"

namespace kbridge::config {
namespace {

TEST(ListenerConfigTest, PlainWithDefaultLimits) {
  ConfigErrors errors;
  auto c = parseConfig("{}", {}, errors);
  ASSERT_TRUE(c);
  for (const auto* listener : {&c->kinesis.connections, &c->admin.connections}) {
    EXPECT_EQ(listener->maxConnections, 1024);
    EXPECT_EQ(listener->idleTimeoutS, 60);
    EXPECT_EQ(listener->headerTimeoutS, 10);
    EXPECT_EQ(listener->bodyTimeoutS, 30);
    EXPECT_EQ(listener->minBodyBytesPerS, 64 * 1024);
    EXPECT_EQ(listener->maxPipelined, 4);
    EXPECT_EQ(listener->maxHeaderBytes, 16u * 1024);
  }
  EXPECT_FALSE(c->kinesis.tls);
  EXPECT_FALSE(c->admin.tls);
}

TEST(ListenerConfigTest, ReadsTlsAndLimitsOfBothListeners) {
  ConfigErrors errors;
  auto c = parseConfig(
      R"({"kinesis":{"tls":{"cert_file":"/etc/kb/cert.pem","key_file":"/etc/kb/key.pem"},
                     "max_connections":5,"idle_timeout_s":2,"header_timeout_s":1,
                     "body_timeout_s":3,"min_body_bytes_per_s":0,"max_pipelined":1,
                     "max_header_bytes":2048},
          "admin":{"tls":{"cert_file":"a.pem","key_file":"b.pem"},"max_connections":7}})",
      {}, errors);
  ASSERT_TRUE(c) << (errors.errors.empty() ? "" : errors.errors[0]);
  ASSERT_TRUE(c->kinesis.tls);
  EXPECT_EQ(c->kinesis.tls->certFile, "/etc/kb/cert.pem");
  EXPECT_EQ(c->kinesis.tls->keyFile, "/etc/kb/key.pem");
  const auto& k = c->kinesis.connections;
  EXPECT_EQ(k.maxConnections, 5);
  EXPECT_EQ(k.idleTimeoutS, 2);
  EXPECT_EQ(k.headerTimeoutS, 1);
  EXPECT_EQ(k.bodyTimeoutS, 3);
  EXPECT_EQ(k.minBodyBytesPerS, 0);
  EXPECT_EQ(k.maxPipelined, 1);
  EXPECT_EQ(k.maxHeaderBytes, 2048u);
  ASSERT_TRUE(c->admin.tls);
  EXPECT_EQ(c->admin.tls->certFile, "a.pem");
  EXPECT_EQ(c->admin.connections.maxConnections, 7);
  EXPECT_EQ(c->admin.connections.idleTimeoutS, 60);
}

TEST(ListenerConfigTest, TlsNeedsBothFilesNamed) {
  ConfigErrors errors;
  auto c = parseConfig(R"({"kinesis":{"tls":{"cert_file":"c.pem"}},
                           "admin":{"tls":{"cert_file":"","key_file":5,"ca_file":"x"}}})",
                       {}, errors);
  EXPECT_FALSE(c);
  EXPECT_EQ(errors.errors, (std::vector<std::string>{
                               "$.kinesis.tls.key_file: is required (the PEM private key file)",
                               "$.admin.tls.cert_file: must not be empty",
                               "$.admin.tls.key_file: must be a string",
                               "$.admin.tls.ca_file: unknown key",
                           }));
}

TEST(ListenerConfigTest, ReportsBadLimitsWithTheirPaths) {
  ConfigErrors errors;
  auto c = parseConfig(R"({"kinesis":{"tls":"on","max_connections":0,"idle_timeout_s":0,
                           "header_timeout_s":1.5,"body_timeout_s":-1,"min_body_bytes_per_s":-1,
                           "max_pipelined":0,"max_header_bytes":100},
                           "admin":{"max_pipelined":129}})",
                       {}, errors);
  EXPECT_FALSE(c);
  EXPECT_EQ(errors.errors, (std::vector<std::string>{
                               "$.kinesis.tls: must be an object",
                               "$.kinesis.max_connections: must be between 1 and 1000000",
                               "$.kinesis.idle_timeout_s: must be between 1 and 86400",
                               "$.kinesis.header_timeout_s: must be an integer",
                               "$.kinesis.body_timeout_s: must be between 1 and 3600",
                               "$.kinesis.min_body_bytes_per_s: must be between 0 and 1073741824",
                               "$.kinesis.max_pipelined: must be between 1 and 128",
                               "$.kinesis.max_header_bytes: must be between 1024 and 1048576",
                               "$.admin.max_pipelined: must be between 1 and 128",
                           }));
}

}  // namespace
}  // namespace kbridge::config
