#include "ops/metrics.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "app/admin_handler.h"
#include "ops/metric_values.h"

namespace kbridge::ops {
namespace {

TEST(MetricsRegistry, RendersTheTextFormat) {
  MetricsRegistry registry;
  registry.counter("kbridge_test_things_total", "Things.").Add({{"kind", "a"}}).Increment(3);
  registry.gauge("kbridge_test_level", "Level.").Add({}).Set(1.5);
  registry.histogram("kbridge_test_duration_seconds", "Duration.")
      .Add({}, latencySecondsBuckets())
      .Observe(0.002);
  const std::string text = registry.render();
  EXPECT_NE(text.find("# HELP kbridge_test_things_total Things.\n"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE kbridge_test_things_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("kbridge_test_things_total{kind=\"a\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("kbridge_test_level 1.5\n"), std::string::npos);
  EXPECT_NE(text.find("kbridge_test_duration_seconds_bucket{le=\"0.0025\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("kbridge_test_duration_seconds_count 1\n"), std::string::npos);
}

TEST(MetricsRegistry, SameNameReturnsTheSameFamily) {
  MetricsRegistry registry;
  auto& a = registry.counter("kbridge_test_total", "Help.");
  auto& b = registry.counter("kbridge_test_total", "Help.");
  EXPECT_EQ(&a, &b);
  a.Add({{"x", "1"}}).Increment();
  b.Add({{"x", "1"}}).Increment();
  EXPECT_EQ(testing::metricValue(registry, "kbridge_test_total", {{"x", "1"}}), 2.0);
}

TEST(MetricsRegistry, ScrapeHooksRunBeforeEachRenderUntilRemoved) {
  MetricsRegistry registry;
  auto& gauge = registry.gauge("kbridge_test_depth", "Depth.").Add({});
  int depth = 7;
  const int id = registry.addScrapeHook([&] { gauge.Set(depth); });
  EXPECT_NE(registry.render().find("kbridge_test_depth 7\n"), std::string::npos);
  depth = 9;
  EXPECT_NE(registry.render().find("kbridge_test_depth 9\n"), std::string::npos);
  registry.removeScrapeHook(id);
  depth = 11;
  EXPECT_NE(registry.render().find("kbridge_test_depth 9\n"), std::string::npos);
}

TEST(MetricsRegistry, RendersExtraCollectablesWhileTheyLive) {
  MetricsRegistry registry;
  auto extra = std::make_shared<prometheus::Registry>();
  prometheus::BuildGauge()
      .Name("kbridge_test_extra")
      .Help("Extra.")
      .Register(*extra)
      .Add({})
      .Set(4);
  registry.addCollectable(extra);
  EXPECT_NE(registry.render().find("kbridge_test_extra 4\n"), std::string::npos);
  extra.reset();
  EXPECT_EQ(registry.render().find("kbridge_test_extra"), std::string::npos);
}

TEST(AdminHandlerMetrics, ServesTheRegistryAtGetMetrics) {
  MetricsRegistry registry;
  registry.counter("kbridge_test_total", "Help.").Add({}).Increment();
  std::atomic<bool> ready{true};
  app::AdminHandler admin(ready, [] { return std::string("{}"); });
  auto get = [&admin](const std::string& target) {
    http::Request request;
    request.method = "GET";
    request.target = target;
    http::Response response;
    admin.handle(std::move(request), [&response](http::Response r) { response = std::move(r); });
    return response;
  };
  EXPECT_EQ(get("/metrics").status, 404) << "no registry yet";
  admin.setMetrics([&registry] { return registry.render(); });
  auto r = get("/metrics");
  EXPECT_EQ(r.status, 200);
  ASSERT_FALSE(r.headers.empty());
  EXPECT_EQ(r.headers.front().second, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(r.body.find("kbridge_test_total 1\n"), std::string::npos);
}

}  // namespace
}  // namespace kbridge::ops
