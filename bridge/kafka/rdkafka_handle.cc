#include "kafka/rdkafka_handle.h"

#include <spdlog/spdlog.h>

#include <stdexcept>

namespace kbridge::kafka {
namespace {

void logToSpdlog(const rd_kafka_t* rk, int level, const char* fac, const char* buf) {
  auto lvl = level <= 3   ? spdlog::level::err
             : level == 4 ? spdlog::level::warn
             : level <= 6 ? spdlog::level::info
                          : spdlog::level::debug;
  spdlog::log(lvl, "rdkafka {} {}: {}", rk ? rd_kafka_name(rk) : "-", fac, buf);
}

void set(rd_kafka_conf_t* conf, const std::string& key, const std::string& value) {
  char err[512];
  if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
    throw std::runtime_error("kafka.rdkafka." + key + ": " + err);
  }
}

}  // namespace

RdConfPtr makeRdKafkaConf(const config::KafkaConfig& config, const ConfOverrides& overrides) {
  RdConfPtr conf(rd_kafka_conf_new());
  set(conf.get(), "bootstrap.servers", config.bootstrapServers);
  // librdkafka's producer would otherwise ask brokers to create any topic it looks up.
  set(conf.get(), "allow.auto.create.topics", "false");
  for (const auto& [key, value] : config.rdkafka) set(conf.get(), key, value);
  for (const auto& [key, value] : overrides) set(conf.get(), key, value);
  rd_kafka_conf_set_log_cb(conf.get(), logToSpdlog);
  return conf;
}

RdKafkaPtr makeRdKafkaClient(rd_kafka_type_t type, RdConfPtr conf) {
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf.get(), err, sizeof err);
  if (!rk) throw std::runtime_error(std::string("cannot create Kafka client: ") + err);
  conf.release();  // owned by rk now
  return RdKafkaPtr(rk);
}

}  // namespace kbridge::kafka
