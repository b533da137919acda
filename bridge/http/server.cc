#include "http/server.h"

#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <limits>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <vector>

namespace kbridge::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

std::string_view Request::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && beast::iequals(k, name)) return v;
  }
  return {};
}

struct IoRuntime::Impl {
  explicit Impl(int n)
      : threadCount(n > 0 ? n : std::max(1u, std::thread::hardware_concurrency())) {}
  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::thread> threads;
  int threadCount;
};

IoRuntime::IoRuntime(int threads) : impl_(std::make_unique<Impl>(threads)) {}
IoRuntime::~IoRuntime() {
  stop();
}

void IoRuntime::run() {
  impl_->work.emplace(impl_->io.get_executor());
  for (int i = 0; i < impl_->threadCount; ++i) {
    impl_->threads.emplace_back([this] { impl_->io.run(); });
  }
}

void IoRuntime::stop() {
  impl_->work.reset();
  impl_->io.stop();
  for (auto& t : impl_->threads) {
    if (t.joinable()) t.join();
  }
  impl_->threads.clear();
}

void IoRuntime::post(std::function<void()> fn) {
  asio::post(impl_->io, std::move(fn));
}

namespace {

constexpr std::size_t kFirstReadBytes = 4096;        // a new request's first read (most fit in it)
constexpr std::size_t kReadBytes = 64 * 1024;        // later reads of a large head or body
constexpr std::size_t kIdleBufferBytes = 16 * 1024;  // an idle connection keeps no more
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(100);
constexpr unsigned char kTlsHandshakeRecord = 0x16;

// What a listener's sessions share; sessions hold it, so it outlives the Listener object when
// connections are still open.
struct ListenerState {
  ListenerState(const ListenerOptions& o, Handler& h) : options(o), handler(h) {}
  const ListenerOptions options;
  Handler& handler;
  const bool tlsEnabled = options.tls.has_value();
  std::atomic<std::size_t> connections{0};
  std::atomic<std::int64_t> lastWarningMs{-1'000'000};
  std::atomic<std::uint64_t> rejected{0};
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> idleTimeouts{0};
  std::atomic<std::uint64_t> headerTimeouts{0};
  std::atomic<std::uint64_t> bodyTimeouts{0};
  std::atomic<std::uint64_t> writeTimeouts{0};

  // The TLS context new connections get; reloadTls() replaces it, and a connection keeps the one
  // it started with.
  std::shared_ptr<ssl::context> currentTls() {
    std::lock_guard lock(tlsMutex);
    return tls;
  }
  void setTls(std::shared_ptr<ssl::context> context) {
    std::lock_guard lock(tlsMutex);
    tls = std::move(context);
  }

  // At most one warning per 10 s per listener, so a flood cannot flood the log.
  bool warnNow() {
    const auto now =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch())
            .count();
    auto last = lastWarningMs.load();
    return now - last >= 10'000 && lastWarningMs.compare_exchange_strong(last, now);
  }

  std::mutex tlsMutex;  // guards tls
  std::shared_ptr<ssl::context> tls;
};

std::string errorBody(const std::string& message) {
  return std::string(R"({"__type":"SerializationException","message":")") + message + "\"}";
}

// Answer to a plain-HTTP request on an HTTPS listener (as nginx does, rather than a bare reset).
const std::string& plainOnTlsResponse() {
  static const std::string response = [] {
    const std::string body = errorBody("This port speaks HTTPS only; use https://.");
    return "HTTP/1.1 400 Bad Request\r\nContent-Type: application/x-amz-json-1.1\r\n"
           "Content-Length: " +
           std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  }();
  return response;
}

// One connection. Reading and writing run side by side: requests are parsed as they arrive (up
// to maxPipelined ahead of their answers), handed to the handler, and answered in order. A
// deadline timer enforces the idle, header, body and write timeouts; when it fires the connection
// is closed. `Stream` is tcp::socket or ssl::stream<tcp::socket>: the plain path pays nothing for
// TLS. All members are touched only on the connection's strand.
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = !std::is_same_v<Stream, tcp::socket>;

 public:
  // The caller has counted this connection in state->connections; the destructor uncounts it.
  Session(tcp::socket socket, std::shared_ptr<ListenerState> state)
      : state_(std::move(state)),
        options_(state_->options),
        tlsContext_(kTls ? state_->currentTls() : nullptr),
        stream_(makeStream(std::move(socket), tlsContext_.get())),
        timer_(stream_.get_executor()) {}
  ~Session() { state_->connections.fetch_sub(1); }

  void start() {
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] { self->begin(); });
  }

 private:
  enum class Phase { kNone, kIdle, kHead, kBody, kLinger };

  struct Slot {
    std::uint64_t id;
    bool keepAlive;
    std::optional<Response> response;
  };

  static Stream makeStream(tcp::socket socket, ssl::context* tls) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *tls);
    } else {
      (void)tls;
      return socket;
    }
  }

  tcp::socket& lowest() { return beast::get_lowest_layer(stream_); }

  void begin() {
    // The first request's head, TLS handshake included, is due headerTimeout after the accept.
    phase_ = Phase::kHead;
    readDeadline_ = Clock::now() + options_.headerTimeout;
    beast::error_code ignored;
    const auto remote = lowest().remote_endpoint(ignored);
    if (!ignored) remoteAddress_ = remote.address().to_string();
    // Synchronous sends (writeNext) must never block an I/O thread.
    if constexpr (!kTls) lowest().non_blocking(true, ignored);
    parser_.emplace();
    configureParser();
    if constexpr (kTls) {
      sniffTls();
    } else {
      readSome(kFirstReadBytes);
    }
  }

  // Reads the client's first bytes off the socket: a TLS ClientHello starts with a handshake
  // record; anything else is most likely plain HTTP and gets a plain 400.
  void sniffTls() {
    rearm();
    reading_ = true;
    lowest().async_read_some(
        buffer_.prepare(kFirstReadBytes),
        [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
          self->reading_ = false;
          self->buffer_.commit(n);
          if (self->closed_) return;
          if (ec) return self->hardClose();
          const auto* first = static_cast<const unsigned char*>(self->buffer_.data().data());
          if (*first != kTlsHandshakeRecord) return self->answerPlainOnTls();
          self->handshake();
        });
  }

  void handshake() {
    if constexpr (kTls) {
      stream_.async_handshake(
          ssl::stream_base::server, buffer_.data(),
          [self = this->shared_from_this()](beast::error_code ec, std::size_t used) {
            if (self->closed_) return;
            if (ec) {
              spdlog::debug("TLS handshake failed: {}", ec.message());
              return self->hardClose();
            }
            self->buffer_.consume(used);
            self->parse();
          });
    }
  }

  void answerPlainOnTls() {
    buffer_.consume(buffer_.size());
    writeDeadline_ = Clock::now() + options_.writeTimeout;
    rearm();
    asio::async_write(lowest(), asio::buffer(plainOnTlsResponse()),
                      [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                        self->writeDeadline_ = Clock::time_point::max();
                        if (self->closed_) return;
                        if (ec) return self->hardClose();
                        self->gracefulClose();
                      });
  }

  void configureParser() {
    parser_->body_limit(options_.maxBodyBytes);
    parser_->header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(options_.maxHeaderBytes, std::numeric_limits<std::uint32_t>::max())));
  }

  // Parses what is buffered; reads more when the parser needs more.
  void parse() {
    while (buffer_.size() > 0) {
      beast::error_code ec;
      const bool hadHead = parser_->is_header_done();
      const std::size_t used = parser_->put(buffer_.data(), ec);
      buffer_.consume(used);
      if (ec && ec != bhttp::error::need_more) return onParseError(ec);
      if (parser_->is_done()) return onRequest();
      if (!hadHead && parser_->is_header_done()) startBody();
      if (ec || used == 0) break;  // need more bytes
    }
    readSome(kReadBytes);
  }

  void startBody() {
    phase_ = Phase::kBody;
    auto allowance = options_.bodyTimeout;
    if (options_.minBodyBytesPerSecond > 0) {
      const std::uint64_t length = parser_->content_length().value_or(options_.maxBodyBytes);
      const std::uint64_t rate = options_.minBodyBytesPerSecond;
      allowance += std::chrono::milliseconds(length / rate * 1000 + length % rate * 1000 / rate);
    }
    readDeadline_ = Clock::now() + allowance;
  }

  void readSome(std::size_t bytes) {
    rearm();
    reading_ = true;
    stream_.async_read_some(buffer_.prepare(bytes),
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->reading_ = false;
                              self->buffer_.commit(n);
                              if (self->closed_) return;
                              if (ec) return self->onReadError(ec);
                              if (self->phase_ == Phase::kIdle) {
                                self->phase_ = Phase::kHead;
                                self->readDeadline_ = Clock::now() + self->options_.headerTimeout;
                              }
                              self->parse();
                            });
  }

  void onReadError(beast::error_code ec) {
    // End of stream (also mid-request: nothing to answer), a reset, or a TLS error: no more
    // requests; answers still owed are written first.
    if (ec != asio::error::eof && ec != asio::error::connection_reset &&
        ec != ssl::error::stream_truncated) {
      spdlog::debug("connection read failed: {}", ec.message());
    }
    readClosed_ = true;
    phase_ = Phase::kNone;
    readDeadline_ = Clock::time_point::max();
    if (slots_.empty()) return hardClose();
    rearm();
  }

  void onParseError(beast::error_code ec) {
    if (ec == bhttp::error::body_limit) {
      return queueError(413, "Request body exceeds the limit of " +
                                 std::to_string(options_.maxBodyBytes) + " bytes.");
    }
    if (ec == bhttp::error::header_limit) {
      return queueError(431, "Request header fields are too large.");
    }
    queueError(400, "Malformed HTTP request.");
  }

  // Answers `status` after the answers still owed, then closes the connection.
  void queueError(int status, const std::string& message) {
    readClosed_ = true;
    phase_ = Phase::kNone;
    readDeadline_ = Clock::time_point::max();
    parser_.reset();
    Response r;
    r.status = status;
    r.headers.emplace_back("Content-Type", "application/x-amz-json-1.1");
    r.body = errorBody(message);
    slots_.push_back(Slot{nextId_++, false, std::move(r)});
    writeNext();
  }

  void onRequest() {
    auto message = parser_->release();
    parser_.reset();
    phase_ = Phase::kNone;
    readDeadline_ = Clock::time_point::max();
    const bool keepAlive = message.keep_alive();
    if (!keepAlive) readClosed_ = true;
    Request request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    for (const auto& field : message) {
      request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    request.body = std::move(message.body());
    request.remoteAddress = remoteAddress_;

    const std::uint64_t id = nextId_++;
    slots_.push_back(Slot{id, keepAlive, std::nullopt});
    auto self = this->shared_from_this();
    auto executor = stream_.get_executor();
    state_->handler.handle(std::move(request), [self, executor, id](Response response) {
      asio::dispatch(executor, [self, id, response = std::move(response)]() mutable {
        self->onResponse(id, std::move(response));
      });
    });
    readMore();
  }

  // Starts reading the next request unless the pipeline is full or the client is done.
  void readMore() {
    if (closed_ || reading_ || readClosed_ || phase_ != Phase::kNone ||
        slots_.size() >= options_.maxPipelined) {
      return;
    }
    parser_.emplace();
    configureParser();
    if (buffer_.size() > 0) {  // pipelined bytes are here already
      phase_ = Phase::kHead;
      readDeadline_ = Clock::now() + options_.headerTimeout;
      // Not inline: an answer written at once (writeNext) gets here from inside the handler's
      // respond(), and each pipelined request would otherwise nest one level deeper.
      asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
        if (!self->closed_) self->parse();
      });
      return;
    }
    phase_ = Phase::kIdle;
    // The idle timeout runs only while nothing is owed to the client.
    readDeadline_ = slots_.empty() && !writing_ ? Clock::now() + options_.idleTimeout
                                                : Clock::time_point::max();
    if (buffer_.capacity() > kIdleBufferBytes) buffer_.shrink_to_fit();
    readSome(kFirstReadBytes);
  }

  void onResponse(std::uint64_t id, Response response) {
    if (closed_ || slots_.empty() || id < slots_.front().id) return;
    auto& slot = slots_[id - slots_.front().id];
    slot.response = std::move(response);
    writeNext();
  }

  void writeNext() {
    if (writing_ || closed_ || slots_.empty() || !slots_.front().response) return;
    Slot& slot = slots_.front();
    out_.emplace();
    out_->result(static_cast<unsigned>(slot.response->status));
    out_->version(11);
    for (auto& [k, v] : slot.response->headers) out_->set(k, v);
    out_->body() = std::move(slot.response->body);
    out_->keep_alive(slot.keepAlive);
    out_->prepare_payload();
    writing_ = true;
    writeDeadline_ = Clock::now() + options_.writeTimeout;
    serializer_.emplace(*out_);
    if constexpr (!kTls) {
      // Most answers fit the socket's send buffer: one non-blocking send writes them here. An
      // async_write that completes at once would hand its completion to the scheduler, which wakes
      // another I/O thread just to run onWritten (a context switch per answer).
      beast::error_code ec;
      bhttp::write(lowest(), *serializer_, ec);
      if (ec != asio::error::would_block && ec != asio::error::try_again) return onWritten(ec);
    }
    rearm();
    bhttp::async_write(stream_, *serializer_,
                       [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                         self->onWritten(ec);
                       });
  }

  void onWritten(beast::error_code ec) {
    writing_ = false;
    writeDeadline_ = Clock::time_point::max();
    serializer_.reset();
    out_.reset();
    if (closed_) return;
    if (ec) return hardClose();
    const bool keepAlive = slots_.front().keepAlive;
    slots_.pop_front();
    if (!keepAlive || (readClosed_ && slots_.empty())) return gracefulClose();
    if (phase_ == Phase::kIdle && slots_.empty()) {
      readDeadline_ = Clock::now() + options_.idleTimeout;
    }
    rearm();
    writeNext();
    readMore();
  }

  // After the last answer: stop sending and discard what the client still sends for a moment,
  // so the kernel does not reset the connection before the client has read the answer.
  void gracefulClose() {
    if (closed_) return;
    if (reading_) return hardClose();
    beast::error_code ec;
    lowest().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return hardClose();
    phase_ = Phase::kLinger;
    readDeadline_ = Clock::now() + std::min<Clock::duration>(kLingerTime, options_.headerTimeout);
    writeDeadline_ = Clock::time_point::max();
    rearm();
    drain();
  }

  void drain() {
    buffer_.clear();
    reading_ = true;
    lowest().async_read_some(buffer_.prepare(kFirstReadBytes),
                             [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                               self->reading_ = false;
                               if (self->closed_) return;
                               if (ec) return self->hardClose();
                               self->drain();
                             });
  }

  void hardClose() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ec;
    timer_.cancel();
    lowest().shutdown(tcp::socket::shutdown_both, ec);
    lowest().close(ec);
  }

  // Keeps one timer wait pending that fires no later than the earliest deadline. A deadline later
  // than the pending wait leaves it as it is: it fires early and onTimer() arms it again. Re-arming
  // cancels the pending wait, which costs a handler run (and can wake another I/O thread); on
  // every keep-alive request, whose deadlines only move later, that happened twice.
  void rearm() {
    const auto next = std::min(readDeadline_, writeDeadline_);
    if (closed_ || next >= armed_) return;
    armed_ = next;
    timer_.expires_at(next);
    timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (!ec) self->onTimer();
    });
  }

  void onTimer() {
    if (closed_) return;
    armed_ = Clock::time_point::max();
    const auto now = Clock::now();
    if (readDeadline_ <= now || writeDeadline_ <= now) {
      static constexpr const char* kPhaseNames[] = {"answer", "idle", "header", "body", "linger"};
      spdlog::debug("closing connection: {} timeout",
                    writeDeadline_ <= now ? "write" : kPhaseNames[static_cast<int>(phase_)]);
      countTimeout(writeDeadline_ <= now);
      return hardClose();
    }
    rearm();
  }

  void countTimeout(bool write) {
    ListenerState& s = *state_;
    if (write) {
      ++s.writeTimeouts;
      return;
    }
    switch (phase_) {
      case Phase::kIdle:
        ++s.idleTimeouts;
        break;
      case Phase::kHead:
        ++s.headerTimeouts;
        break;
      case Phase::kBody:
        ++s.bodyTimeouts;
        break;
      case Phase::kNone:
      case Phase::kLinger:  // the answer was sent: closing after it is no failure
        break;
    }
  }

  const std::shared_ptr<ListenerState> state_;
  const ListenerOptions& options_;
  const std::shared_ptr<ssl::context> tlsContext_;  // TLS: the context stream_ was made with
  Stream stream_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::optional<bhttp::response<bhttp::string_body>> out_;
  std::optional<bhttp::response_serializer<bhttp::string_body>> serializer_;  // writes out_
  std::string remoteAddress_;
  std::deque<Slot> slots_;  // requests handed to the handler, oldest first, until written
  std::uint64_t nextId_ = 0;
  Phase phase_ = Phase::kNone;
  Clock::time_point readDeadline_ = Clock::time_point::max();
  Clock::time_point writeDeadline_ = Clock::time_point::max();
  Clock::time_point armed_ = Clock::time_point::max();
  bool reading_ = false;
  bool writing_ = false;
  bool readClosed_ = false;  // no more requests will be read
  bool closed_ = false;
};

std::string readableFile(const std::string& path, const char* what) {
  if (path.empty()) throw std::runtime_error(std::string("TLS ") + what + " file is not set");
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    throw std::runtime_error(std::string("TLS ") + what + " file " + path +
                             " cannot be read: " + std::strerror(errno));
  }
  std::fclose(f);
  return path;
}

// Chooses http/1.1 when the client offers it by ALPN; clients offering only h2 get no ALPN answer.
int selectAlpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
               unsigned int inlen, void*) {
  static constexpr unsigned char kHttp11[] = {'h', 't', 't', 'p', '/', '1', '.', '1'};
  for (unsigned int i = 0; i < inlen;) {
    const unsigned int n = in[i];
    if (i + 1 + n > inlen) break;
    if (n == sizeof(kHttp11) && std::memcmp(in + i + 1, kHttp11, n) == 0) {
      *out = in + i + 1;
      *outlen = static_cast<unsigned char>(n);
      return SSL_TLSEXT_ERR_OK;
    }
    i += 1 + n;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

// TLS 1.2 and 1.3 only; on 1.2 only forward-secret AEAD suites; no renegotiation, no compression.
void configureTls(ssl::context& context, const TlsOptions& tls) {
  context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                      ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                      ssl::context::single_dh_use | ssl::context::no_compression);
  SSL_CTX* native = context.native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION);
  if (SSL_CTX_set_cipher_list(native, "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL") != 1) {
    throw std::runtime_error("TLS: no usable cipher suites");
  }
  SSL_CTX_set_alpn_select_cb(native, selectAlpn, nullptr);
  // The key first: loading a certificate that does not match drops it, and the check below says so.
  const std::string certFile = readableFile(tls.certFile, "certificate");
  beast::error_code ec;
  context.use_private_key_file(readableFile(tls.keyFile, "key"), ssl::context::pem, ec);
  if (ec) {
    throw std::runtime_error("TLS key file " + tls.keyFile +
                             " is not a PEM private key: " + ec.message());
  }
  context.use_certificate_chain_file(certFile, ec);
  if (ec) {
    throw std::runtime_error("TLS certificate file " + tls.certFile +
                             " is not a PEM certificate chain: " + ec.message());
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    throw std::runtime_error("TLS key file " + tls.keyFile + " does not match the certificate " +
                             tls.certFile);
  }
}

std::shared_ptr<ssl::context> makeTlsContext(const TlsOptions& tls) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  configureTls(*context, tls);
  return context;
}

}  // namespace

struct Listener::Impl : std::enable_shared_from_this<Listener::Impl> {
  Impl(asio::io_context& context, std::shared_ptr<ListenerState> s)
      : io(context),
        state(std::move(s)),
        acceptor(asio::make_strand(context)),
        retry(acceptor.get_executor()) {}

  void accept() {
    acceptor.async_accept(asio::make_strand(io),
                          [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
                            if (ec == asio::error::operation_aborted || !self->acceptor.is_open())
                              return;
                            if (ec) {
                              // Out of file descriptors, for example: wait a little instead of
                              // spinning.
                              if (self->state->warnNow())
                                spdlog::warn("accept failed: {}", ec.message());
                              self->retry.expires_after(kAcceptRetryDelay);
                              self->retry.async_wait([self](beast::error_code waitEc) {
                                if (!waitEc) self->accept();
                              });
                              return;
                            }
                            self->admit(std::move(socket));
                            self->accept();
                          });
  }

  void admit(tcp::socket socket) {
    ListenerState& s = *state;
    if (s.connections.fetch_add(1) >= s.options.maxConnections) {
      s.connections.fetch_sub(1);
      const auto rejected = ++s.rejected;
      if (s.warnNow()) {
        spdlog::warn("{} connections open on port {} (the limit): closing new ones ({} so far)",
                     s.options.maxConnections, acceptor.local_endpoint().port(), rejected);
      }
      beast::error_code ignored;
      socket.close(ignored);
      return;
    }
    ++s.accepted;
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    if (s.tlsEnabled) {
      std::make_shared<Session<ssl::stream<tcp::socket>>>(std::move(socket), state)->start();
    } else {
      std::make_shared<Session<tcp::socket>>(std::move(socket), state)->start();
    }
  }

  asio::io_context& io;
  std::shared_ptr<ListenerState> state;
  tcp::acceptor acceptor;
  asio::steady_timer retry;
};

Listener::Listener(IoRuntime& runtime, const ListenerOptions& options, Handler& handler) {
  if (options.maxPipelined == 0) throw std::invalid_argument("maxPipelined must be at least 1");
  auto state = std::make_shared<ListenerState>(options, handler);
  if (options.tls) state->setTls(makeTlsContext(*options.tls));
  impl_ = std::make_shared<Impl>(runtime.impl().io, std::move(state));
  beast::error_code ec;
  auto address = asio::ip::make_address(options.host, ec);
  if (ec) throw std::runtime_error("invalid listen address '" + options.host + "'");
  tcp::endpoint endpoint(address, options.port);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
  impl_->acceptor.bind(endpoint, ec);
  if (ec) {
    throw std::runtime_error("cannot listen on " + options.host + ":" +
                             std::to_string(options.port) + ": " + ec.message());
  }
  impl_->acceptor.listen(asio::socket_base::max_listen_connections);
  impl_->accept();
}

Listener::~Listener() {
  close();
}

std::uint16_t Listener::port() const {
  return impl_->acceptor.local_endpoint().port();
}

bool Listener::tls() const {
  return impl_->state->tlsEnabled;
}

void Listener::reloadTls() {
  const ListenerState& s = *impl_->state;
  if (!s.tlsEnabled) return;
  impl_->state->setTls(makeTlsContext(*s.options.tls));
}

std::size_t Listener::openConnections() const {
  return impl_->state->connections.load();
}

ListenerStats Listener::stats() const {
  const ListenerState& s = *impl_->state;
  return {s.accepted.load(),       s.rejected.load(),     s.idleTimeouts.load(),
          s.headerTimeouts.load(), s.bodyTimeouts.load(), s.writeTimeouts.load()};
}

void Listener::close() {
  asio::post(impl_->acceptor.get_executor(), [impl = impl_] {
    beast::error_code ec;
    impl->acceptor.close(ec);
    impl->retry.cancel();
  });
}

}  // namespace kbridge::http
