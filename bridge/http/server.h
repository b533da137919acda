#pragma once
// HTTP/1.1 listeners on Boost.Beast. One IoRuntime (an io_context and its threads) serves every
// listener of the process; a Listener accepts connections on one address and passes each complete
// request to its Handler. A connection handles one request at a time (pipelined requests wait),
// keeps alive as the client asks, and is closed on protocol errors. Bodies over the limit get 413.
//
// Lifecycle: construct IoRuntime, construct Listeners (binds; throws on failure), IoRuntime::run(),
// then IoRuntime::stop() joins all threads.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "http/http.h"

namespace kbridge::http {

class IoRuntime {
 public:
  explicit IoRuntime(int threads);
  ~IoRuntime();
  void run();   // starts the threads; returns at once
  void stop();  // stops the io_context and joins the threads; idempotent
  // Posts `fn` to run on an I/O thread.
  void post(std::function<void()> fn);
  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

struct ListenerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::size_t maxBodyBytes = 12 * 1024 * 1024;
  std::size_t maxHeaderBytes = 16 * 1024;
};

class Listener {
 public:
  Listener(IoRuntime& runtime, const ListenerOptions& options, Handler& handler);
  ~Listener();
  std::uint16_t port() const;  // the bound port (useful with port 0)
  void close();

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace kbridge::http
