#include "ops/listener_metrics.h"

#include <gtest/gtest.h>

#include "ops/metric_values.h"

namespace kbridge::ops {
namespace {

using testing::metricValue;

TEST(ListenerMetrics, CopiesEachListenersCountsAtScrape) {
  MetricsRegistry registry;
  http::ListenerStats kinesis{}, admin{};
  std::size_t open = 0;
  {
    ListenerMetrics metrics(registry);
    metrics.watch("kinesis", {[&] { return kinesis; }, [&] { return open; }});
    metrics.watch("admin", {[&] { return admin; }, [] { return std::size_t{1}; }});

    kinesis.accepted = 5;
    kinesis.refused = 2;
    kinesis.idleTimeouts = 1;
    kinesis.headerTimeouts = 3;
    open = 4;
    registry.render();
    EXPECT_EQ(
        metricValue(registry, "kbridge_http_connections_accepted_total", {{"listener", "kinesis"}}),
        5);
    EXPECT_EQ(
        metricValue(registry, "kbridge_http_connections_refused_total", {{"listener", "kinesis"}}),
        2);
    EXPECT_EQ(metricValue(registry, "kbridge_http_connection_timeouts_total",
                          {{"listener", "kinesis"}, {"kind", "header"}}),
              3);
    EXPECT_EQ(metricValue(registry, "kbridge_http_connection_timeouts_total",
                          {{"listener", "kinesis"}, {"kind", "idle"}}),
              1);
    EXPECT_EQ(metricValue(registry, "kbridge_http_connection_timeouts_total",
                          {{"listener", "kinesis"}, {"kind", "body"}}),
              0);
    EXPECT_EQ(metricValue(registry, "kbridge_http_connections_open", {{"listener", "kinesis"}}), 4);
    EXPECT_EQ(metricValue(registry, "kbridge_http_connections_open", {{"listener", "admin"}}), 1);

    // Counters follow the listener's growing counts without adding twice.
    kinesis.accepted = 7;
    kinesis.writeTimeouts = 1;
    open = 0;
    registry.render();
    registry.render();
    EXPECT_EQ(
        metricValue(registry, "kbridge_http_connections_accepted_total", {{"listener", "kinesis"}}),
        7);
    EXPECT_EQ(metricValue(registry, "kbridge_http_connection_timeouts_total",
                          {{"listener", "kinesis"}, {"kind", "write"}}),
              1);
    EXPECT_EQ(metricValue(registry, "kbridge_http_connections_open", {{"listener", "kinesis"}}), 0);
    EXPECT_EQ(
        metricValue(registry, "kbridge_http_connections_accepted_total", {{"listener", "admin"}}),
        0);
  }
  // Gone with its hook: a scrape after it is destroyed calls nothing of it.
  kinesis.accepted = 100;
  registry.render();
  EXPECT_EQ(
      metricValue(registry, "kbridge_http_connections_accepted_total", {{"listener", "kinesis"}}),
      7);
}

}  // namespace
}  // namespace kbridge::ops
