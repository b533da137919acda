#pragma once
// HTTP/1.1 (optionally over TLS) listeners on Boost.Beast. One IoRuntime (an io_context and its
// threads) serves every listener of the process; a Listener accepts connections on one address and
// passes each complete request to its Handler.
//
// Connections keep alive as the client asks; a client may pipeline up to `maxPipelined` requests,
// which are handed to the handler as they arrive and answered in order (the rest wait unread in
// the socket). Every limit below ends in a clean error (413, 431, 400) or a closed connection,
// never in unbounded memory: per connection at most maxPipelined requests of at most
// maxHeaderBytes + maxBodyBytes are held.
//
// Lifecycle: construct IoRuntime, construct Listeners (binds and loads the TLS files; throws on
// failure), IoRuntime::run(), then IoRuntime::stop() joins all threads. Threading: a connection's
// work runs on its own strand; handlers may answer from any thread.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
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

// PEM files of a TLS listener: the certificate chain (leaf first) and its private key.
struct TlsOptions {
  std::string certFile;
  std::string keyFile;
};

struct ListenerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  // Set: the listener speaks only HTTPS (TLS 1.2 or later); a plain-HTTP request gets a 400 and
  // the connection is closed.
  std::optional<TlsOptions> tls;
  std::size_t maxBodyBytes = 12 * 1024 * 1024;  // larger bodies get 413 (before they are read)
  std::size_t maxHeaderBytes = 16 * 1024;       // larger request heads get 431
  // Connections beyond this are accepted and closed at once (README "Security" says why).
  std::size_t maxConnections = 1024;
  // Requests read ahead of their answers on one connection; at least 1 (no pipelining).
  std::size_t maxPipelined = 4;
  // A kept-alive connection that starts no new request for this long is closed.
  std::chrono::milliseconds idleTimeout{60'000};
  // Time to receive a request's complete head, from its first byte (for a connection's first
  // request: from the accept, TLS handshake included). Slow-loris clients are closed.
  std::chrono::milliseconds headerTimeout{10'000};
  // Time to receive a body after its head: bodyTimeout plus one second per minBodyBytesPerSecond
  // of its Content-Length (of maxBodyBytes when chunked). 0 = the body gets bodyTimeout alone.
  std::chrono::milliseconds bodyTimeout{30'000};
  std::size_t minBodyBytesPerSecond = 64 * 1024;
  // Time to send one response to a client that does not read.
  std::chrono::milliseconds writeTimeout{60'000};
};

// What a listener has done since it started (GET /metrics shows it): connections it admitted,
// connections it closed at once because maxConnections were open, and connections it closed
// because a timeout passed (idle: no new request on a kept-alive connection; header: a slow or
// stalled request head, slow-loris; body: a slow body; write: a client that did not read).
struct ListenerStats {
  std::uint64_t accepted = 0;
  std::uint64_t refused = 0;
  std::uint64_t idleTimeouts = 0;
  std::uint64_t headerTimeouts = 0;
  std::uint64_t bodyTimeouts = 0;
  std::uint64_t writeTimeouts = 0;
};

class Listener {
 public:
  Listener(IoRuntime& runtime, const ListenerOptions& options, Handler& handler);
  ~Listener();
  std::uint16_t port() const;  // the bound port (useful with port 0)
  bool tls() const;            // whether it speaks HTTPS
  // Reads the TLS certificate and key files again (a renewed certificate): new connections get
  // them, open ones keep theirs. Throws std::runtime_error, and changes nothing, when the files
  // are unreadable or do not match. Nothing to do without TLS.
  void reloadTls();
  void close();  // stops accepting; open connections finish what they have
  std::size_t openConnections() const;
  ListenerStats stats() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace kbridge::http
