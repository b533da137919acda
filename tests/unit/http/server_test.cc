#include "http/server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace kbridge::http {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// --- a handler that answers at once, or holds its answers until the test releases them ----------

class TestHandler final : public Handler {
 public:
  void handle(Request request, Respond respond) override {
    std::lock_guard lock(mutex_);
    requests_.push_back(request);
    if (hold_) {
      pending_.push_back(std::move(respond));
      return;
    }
    Response r;
    r.body = request.target == "/big" ? std::string(kBigBody, 'B')
                                      : request.method + " " + request.target + " " + request.body;
    respond(std::move(r));
  }
  static constexpr std::size_t kBigBody = 32 * 1024 * 1024;

  void hold(bool on) {
    std::lock_guard lock(mutex_);
    hold_ = on;
  }
  std::size_t requestCount() {
    std::lock_guard lock(mutex_);
    return requests_.size();
  }
  Request request(std::size_t index) {
    std::lock_guard lock(mutex_);
    return requests_.at(index);
  }
  std::size_t pendingCount() {
    std::lock_guard lock(mutex_);
    return pending_.size();
  }
  // Answers held request `index` (in arrival order) with `body`.
  void answer(std::size_t index, std::string body) {
    Respond respond;
    {
      std::lock_guard lock(mutex_);
      respond = std::move(pending_.at(index));
    }
    Response r;
    r.body = std::move(body);
    respond(std::move(r));
  }
  void dropPending() {
    std::lock_guard lock(mutex_);
    pending_.clear();
  }

 private:
  std::mutex mutex_;
  bool hold_ = false;
  std::vector<Request> requests_;
  std::vector<Respond> pending_;
};

// Polls `condition` for up to 5 s.
bool eventually(const std::function<bool()>& condition) {
  const auto deadline = Clock::now() + 5s;
  while (!condition()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

// --- a blocking client on 127.0.0.1, optionally over TLS ----------------------------------------

struct HttpAnswer {
  int status = 0;
  std::string headers;
  std::string body;
};

class Client {
 public:
  explicit Client(std::uint16_t port, SSL_CTX* tls = nullptr) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connected_ && tls) {
      ssl_ = SSL_new(tls);
      SSL_set_fd(ssl_, fd_);
      handshakeOk_ = SSL_connect(ssl_) == 1;
    }
  }
  ~Client() {
    if (ssl_) SSL_free(ssl_);
    if (fd_ >= 0) ::close(fd_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return connected_; }
  bool handshakeOk() const { return handshakeOk_; }

  bool send(const std::string& data) {
    std::size_t sent = 0;
    while (sent < data.size()) {
      const auto n = ssl_
                         ? SSL_write(ssl_, data.data() + sent, static_cast<int>(data.size() - sent))
                         : ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<std::size_t>(n);
    }
    return true;
  }

  // Reads one response with a Content-Length body; nullopt when the connection ends first or
  // nothing arrives within `timeout`.
  std::optional<HttpAnswer> read(std::chrono::milliseconds timeout = 5000ms) {
    const auto deadline = Clock::now() + timeout;
    std::size_t headEnd;
    while ((headEnd = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill(deadline)) return std::nullopt;
    }
    HttpAnswer answer;
    answer.headers = buffer_.substr(0, headEnd + 2);
    answer.status = std::atoi(buffer_.c_str() + 9);
    std::size_t length = 0;
    if (auto at = answer.headers.find("Content-Length: "); at != std::string::npos) {
      length = std::strtoul(answer.headers.c_str() + at + 16, nullptr, 10);
    }
    while (buffer_.size() < headEnd + 4 + length) {
      if (!fill(deadline)) return std::nullopt;
    }
    answer.body = buffer_.substr(headEnd + 4, length);
    buffer_.erase(0, headEnd + 4 + length);
    return answer;
  }

  // Reads and counts bytes until the server ends the connection; nullopt when it does not
  // within `timeout`.
  std::optional<std::size_t> drain(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    std::size_t total = buffer_.size();
    for (;;) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      pollfd p{fd_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
        return std::nullopt;
      }
      char chunk[64 * 1024];
      const auto n = ::recv(fd_, chunk, sizeof(chunk), 0);
      if (n <= 0) return total;
      total += static_cast<std::size_t>(n);
    }
  }

  // True when the server ends the connection (EOF or reset) within `timeout`.
  bool closedWithin(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
      char byte[4096];
      const auto n = ssl_ ? SSL_read(ssl_, byte, sizeof(byte)) : ::recv(fd_, byte, sizeof(byte), 0);
      if (n <= 0) return true;
    }
  }

 private:
  bool fill(Clock::time_point deadline) {
    char chunk[16 * 1024];
    if (!ssl_ || SSL_pending(ssl_) == 0) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      pollfd p{fd_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    }
    const auto n =
        ssl_ ? SSL_read(ssl_, chunk, sizeof(chunk)) : ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  SSL* ssl_ = nullptr;
  bool connected_ = false;
  bool handshakeOk_ = false;
  std::string buffer_;
};

std::string post(const std::string& body, const std::string& target = "/",
                 const std::string& extra = "") {
  return "POST " + target + " HTTP/1.1\r\nHost: x\r\n" + extra +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// --- a server under test -------------------------------------------------------------------------

class Server {
 public:
  explicit Server(ListenerOptions options) : io_(2), listener_(io_, options, handler_) {
    io_.run();
  }
  ~Server() {
    listener_.close();
    io_.stop();
    handler_.dropPending();
  }
  std::uint16_t port() const { return listener_.port(); }
  TestHandler& handler() { return handler_; }
  Listener& listener() { return listener_; }

 private:
  TestHandler handler_;
  IoRuntime io_;
  Listener listener_;
};

ListenerOptions small() {
  ListenerOptions o;
  o.maxBodyBytes = 1024;
  o.maxHeaderBytes = 1024;
  o.idleTimeout = 5s;
  o.headerTimeout = 5s;
  o.bodyTimeout = 5s;
  o.writeTimeout = 5s;
  return o;
}

std::chrono::milliseconds since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

// Pipelines a POST of `bytes` and a small one, waits `before` reading, and checks both echoes.
void expectLargeThenSmallAnswer(Client& client, std::size_t bytes,
                                std::chrono::milliseconds before) {
  const std::string big(bytes, 'q');
  ASSERT_TRUE(client.send(post(big) + post("small")));
  std::this_thread::sleep_for(before);
  auto first = client.read();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->body, "POST / " + big);
  auto second = client.read();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->body, "POST / small");
}

// --- plain HTTP ----------------------------------------------------------------------------------

TEST(HttpServer, AnswersRequestsOnAKeptAliveConnection) {
  Server server(small());
  Client client(server.port());
  ASSERT_TRUE(client.connected());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(client.send(post("body" + std::to_string(i), "/t")));
    auto answer = client.read();
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->status, 200);
    EXPECT_EQ(answer->body, "POST /t body" + std::to_string(i));
  }
  EXPECT_EQ(server.listener().openConnections(), 1u);
  EXPECT_EQ(server.handler().request(0).remoteAddress, "127.0.0.1");
  EXPECT_EQ(server.handler().request(2).header("content-length"), "5");
}

TEST(HttpServer, ClosesAfterAnsweringConnectionClose) {
  Server server(small());
  Client client(server.port());
  ASSERT_TRUE(client.send(post("x", "/", "Connection: close\r\n")));
  auto answer = client.read();
  ASSERT_TRUE(answer);
  EXPECT_NE(answer->headers.find("Connection: close"), std::string::npos);
  EXPECT_TRUE(client.closedWithin(2s));
  EXPECT_TRUE(eventually([&] { return server.listener().openConnections() == 0; }));
}

TEST(HttpServer, OversizeBodyGets413BeforeTheBodyIsReadOrHandled) {
  Server server(small());
  Client client(server.port());
  // Only the head is sent: the Content-Length alone decides.
  ASSERT_TRUE(client.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1025\r\n\r\n"));
  auto answer = client.read();
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 413);
  EXPECT_NE(answer->body.find("exceeds the limit of 1024 bytes"), std::string::npos);
  EXPECT_TRUE(client.closedWithin(3s));
  EXPECT_EQ(server.handler().requestCount(), 0u);
}

TEST(HttpServer, OversizeChunkedBodyGets413) {
  Server server(small());
  Client client(server.port());
  const std::string chunk(600, 'a');
  ASSERT_TRUE(
      client.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n" +
                  chunk + "\r\n258\r\n" + chunk + "\r\n0\r\n\r\n"));
  auto answer = client.read();
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 413);
  EXPECT_EQ(server.handler().requestCount(), 0u);
}

TEST(HttpServer, OversizeHeadGets431) {
  Server server(small());
  Client client(server.port());
  ASSERT_TRUE(client.send(post("x", "/", "X-Big: " + std::string(2000, 'b') + "\r\n")));
  auto answer = client.read();
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 431);
  EXPECT_EQ(server.handler().requestCount(), 0u);
}

TEST(HttpServer, MalformedRequestGets400) {
  Server server(small());
  Client client(server.port());
  ASSERT_TRUE(client.send("NOT HTTP AT ALL\r\n\r\n"));
  auto answer = client.read();
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 400);
  EXPECT_NE(answer->body.find("SerializationException"), std::string::npos);
  EXPECT_TRUE(client.closedWithin(3s));
}

// --- pipelining ----------------------------------------------------------------------------------

TEST(HttpServer, PipelinedRequestsAreAnsweredInOrderWhateverOrderTheHandlerAnswers) {
  auto options = small();
  options.maxPipelined = 3;
  Server server(options);
  server.handler().hold(true);
  Client client(server.port());
  ASSERT_TRUE(client.send(post("a") + post("b") + post("c")));
  ASSERT_TRUE(eventually([&] { return server.handler().pendingCount() == 3; }));
  server.handler().answer(2, "third");
  server.handler().answer(1, "second");
  EXPECT_FALSE(client.read(100ms));  // the first is still owed
  server.handler().answer(0, "first");
  for (const char* expected : {"first", "second", "third"}) {
    auto answer = client.read();
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->body, expected);
  }
}

TEST(HttpServer, ReadsNoMoreThanMaxPipelinedRequestsAheadOfTheirAnswers) {
  auto options = small();
  options.maxPipelined = 2;
  Server server(options);
  server.handler().hold(true);
  Client client(server.port());
  ASSERT_TRUE(client.send(post("a") + post("b") + post("c") + post("d")));
  ASSERT_TRUE(eventually([&] { return server.handler().pendingCount() == 2; }));
  std::this_thread::sleep_for(50ms);  // give a (wrong) third read the chance to happen
  EXPECT_EQ(server.handler().requestCount(), 2u);
  server.handler().answer(0, "1");
  ASSERT_TRUE(client.read());
  ASSERT_TRUE(eventually([&] { return server.handler().requestCount() == 3; }));
  server.handler().answer(1, "2");
  server.handler().answer(2, "3");
  ASSERT_TRUE(eventually([&] { return server.handler().requestCount() == 4; }));
  server.handler().answer(3, "4");
  for (const char* expected : {"2", "3", "4"}) {
    auto answer = client.read();
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->body, expected);
  }
}

TEST(HttpServer, WithoutPipeliningOneRequestAtATime) {
  auto options = small();
  options.maxPipelined = 1;
  Server server(options);
  server.handler().hold(true);
  Client client(server.port());
  ASSERT_TRUE(client.send(post("a") + post("b")));
  ASSERT_TRUE(eventually([&] { return server.handler().pendingCount() == 1; }));
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(server.handler().requestCount(), 1u);
  server.handler().answer(0, "1");
  ASSERT_TRUE(eventually([&] { return server.handler().pendingCount() == 2; }));
  server.handler().answer(1, "2");
  EXPECT_EQ(client.read()->body, "1");
  EXPECT_EQ(client.read()->body, "2");
}

TEST(HttpServer, AnErrorAfterPipelinedRequestsComesAfterTheirAnswers) {
  Server server(small());
  server.handler().hold(true);
  Client client(server.port());
  ASSERT_TRUE(client.send(post("a") + "GARBAGE\r\n\r\n"));
  ASSERT_TRUE(eventually([&] { return server.handler().pendingCount() == 1; }));
  server.handler().answer(0, "first");
  auto first = client.read();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->body, "first");
  auto second = client.read();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 400);
  EXPECT_TRUE(client.closedWithin(3s));
}

// --- timeouts ------------------------------------------------------------------------------------

TEST(HttpServer, SlowLorisHeadIsCutOffAfterHeaderTimeout) {
  auto options = small();
  options.headerTimeout = 200ms;
  Server server(options);
  Client client(server.port());
  const auto start = Clock::now();
  // A byte every 40 ms: each one arrives well within any per-read timeout; the head never ends.
  const std::string head = "POST / HTTP/1.1\r\nHost: x\r\nX-Slow: ";
  bool closed = false;
  for (std::size_t i = 0; i < 100 && !closed; ++i) {
    client.send(std::string(1, head[i % head.size()]));
    closed = client.closedWithin(40ms);
  }
  EXPECT_TRUE(closed);
  EXPECT_GE(since(start), 190ms);
  EXPECT_LT(since(start), 1500ms);
  EXPECT_EQ(server.handler().requestCount(), 0u);
  EXPECT_TRUE(eventually([&] { return server.listener().stats().headerTimeouts == 1; }));
  EXPECT_EQ(server.listener().stats().idleTimeouts, 0u);
}

TEST(HttpServer, ConnectionThatSendsNothingIsClosedAfterHeaderTimeout) {
  auto options = small();
  options.headerTimeout = 200ms;
  options.idleTimeout = 10s;
  Server server(options);
  Client client(server.port());
  const auto start = Clock::now();
  EXPECT_TRUE(client.closedWithin(3s));
  EXPECT_GE(since(start), 190ms);
  EXPECT_LT(since(start), 1500ms);
}

TEST(HttpServer, IdleKeptAliveConnectionIsClosedAfterIdleTimeout) {
  auto options = small();
  options.idleTimeout = 200ms;
  options.headerTimeout = 10s;
  Server server(options);
  Client client(server.port());
  ASSERT_TRUE(client.send(post("x")));
  ASSERT_TRUE(client.read());
  const auto start = Clock::now();
  EXPECT_TRUE(client.closedWithin(3s));
  EXPECT_GE(since(start), 190ms);
  EXPECT_LT(since(start), 1500ms);
  EXPECT_TRUE(eventually([&] { return server.listener().openConnections() == 0; }));
  EXPECT_EQ(server.listener().stats().idleTimeouts, 1u);
  EXPECT_EQ(server.listener().stats().headerTimeouts, 0u);
}

TEST(HttpServer, IdleTimeoutDoesNotRunWhileAnAnswerIsOwed) {
  auto options = small();
  options.idleTimeout = 100ms;
  Server server(options);
  server.handler().hold(true);
  Client client(server.port());
  ASSERT_TRUE(client.send(post("x")));
  ASSERT_TRUE(eventually([&] { return server.handler().pendingCount() == 1; }));
  std::this_thread::sleep_for(300ms);  // three idle timeouts while the handler works
  server.handler().answer(0, "late");
  auto answer = client.read();
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->body, "late");
  EXPECT_TRUE(client.closedWithin(3s));  // and then idles out
}

TEST(HttpServer, StalledBodyIsCutOffAfterBodyTimeout) {
  auto options = small();
  options.bodyTimeout = 200ms;
  options.minBodyBytesPerSecond = 0;
  Server server(options);
  Client client(server.port());
  ASSERT_TRUE(client.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789"));
  const auto start = Clock::now();
  EXPECT_TRUE(client.closedWithin(3s));
  EXPECT_GE(since(start), 150ms);
  EXPECT_LT(since(start), 1500ms);
  EXPECT_EQ(server.handler().requestCount(), 0u);
  EXPECT_TRUE(eventually([&] { return server.listener().stats().bodyTimeouts == 1; }));
}

TEST(HttpServer, BodyTimeoutGrowsWithTheBodyAtTheMinimumRate) {
  auto options = small();
  options.bodyTimeout = 100ms;
  options.minBodyBytesPerSecond = 1000;  // 500 bytes: 100 ms + 500 ms
  Server server(options);
  Client client(server.port());
  ASSERT_TRUE(client.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n"));
  std::this_thread::sleep_for(300ms);  // past bodyTimeout alone, within the allowance
  ASSERT_TRUE(client.send(std::string(500, 'z')));
  auto answer = client.read();
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 200);
}

TEST(HttpServer, AnswerLargerThanTheSocketBufferArrivesWholeAndTheConnectionGoesOn) {
  // The first send of an answer is non-blocking: what the socket takes is written at once, the
  // rest by an asynchronous write while the client reads slowly.
  auto options = small();
  options.maxBodyBytes = 1 << 20;
  Server server(options);
  Client client(server.port());
  expectLargeThenSmallAnswer(client, 900 * 1024, 100ms);  // the socket buffers fill meanwhile
}

TEST(HttpServer, ClientThatDoesNotReadItsAnswerIsCutOffAfterWriteTimeout) {
  auto options = small();
  options.writeTimeout = 200ms;
  Server server(options);
  Client client(server.port());
  ASSERT_TRUE(client.send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::this_thread::sleep_for(500ms);  // not reading: the socket buffers fill, the write stalls
  const auto received = client.drain(5s);
  ASSERT_TRUE(received);
  EXPECT_LT(*received, TestHandler::kBigBody);
  EXPECT_TRUE(eventually([&] { return server.listener().openConnections() == 0; }));
  EXPECT_EQ(server.listener().stats().writeTimeouts, 1u);
}

// --- connection limit ----------------------------------------------------------------------------

TEST(HttpServer, ConnectionsOverTheLimitAreClosedAndOthersKeepWorking) {
  auto options = small();
  options.maxConnections = 2;
  Server server(options);
  Client a(server.port());
  std::optional<Client> b(std::in_place, server.port());
  ASSERT_TRUE(a.send(post("a")) && a.read());
  ASSERT_TRUE(b->send(post("b")) && b->read());
  EXPECT_EQ(server.listener().openConnections(), 2u);

  Client over(server.port());
  ASSERT_TRUE(over.connected());  // the kernel accepts; kbridge closes it at once
  EXPECT_TRUE(over.closedWithin(2s));
  EXPECT_EQ(server.handler().requestCount(), 2u);
  EXPECT_TRUE(eventually([&] { return server.listener().stats().refused == 1; }));
  EXPECT_EQ(server.listener().stats().accepted, 2u);

  ASSERT_TRUE(a.send(post("again")));  // the admitted ones are unaffected
  auto answer = a.read();
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->body, "POST / again");

  ASSERT_TRUE(b->send(post("bye", "/", "Connection: close\r\n")) && b->read());
  b.reset();  // ends the server's lingering close at once
  ASSERT_TRUE(eventually([&] { return server.listener().openConnections() == 1; }));
  Client next(server.port());
  ASSERT_TRUE(next.send(post("next")));
  auto late = next.read();
  ASSERT_TRUE(late);
  EXPECT_EQ(late->body, "POST / next");
}

// --- TLS -----------------------------------------------------------------------------------------

// A self-signed P-256 certificate for 127.0.0.1/localhost in a temporary directory.
class TlsFiles {
 public:
  TlsFiles() {
    char dirTemplate[] = "/tmp/kbridge-tls-XXXXXX";
    dir_ = ::mkdtemp(dirTemplate);
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    X509_EXTENSION* san =
        X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
    X509_add_ext(cert, san, -1);
    X509_EXTENSION_free(san);
    X509_sign(cert, key, EVP_sha256());
    std::FILE* c = std::fopen(certFile().c_str(), "w");
    PEM_write_X509(c, cert);
    std::fclose(c);
    std::FILE* k = std::fopen(keyFile().c_str(), "w");
    PEM_write_PrivateKey(k, key, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(k);
    X509_free(cert);
    EVP_PKEY_free(key);
  }
  ~TlsFiles() { std::filesystem::remove_all(dir_); }
  std::string certFile() const { return dir_ + "/cert.pem"; }
  std::string keyFile() const { return dir_ + "/key.pem"; }
  std::string dir() const { return dir_; }

 private:
  std::string dir_;
};

// A client context that trusts exactly `files`' certificate and checks the host name.
struct ClientContext {
  explicit ClientContext(const TlsFiles& files, int maxVersion = 0) {
    ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_load_verify_locations(ctx, files.certFile().c_str(), nullptr);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    X509_VERIFY_PARAM_set1_ip_asc(SSL_CTX_get0_param(ctx), "127.0.0.1");
    if (maxVersion) {
      SSL_CTX_set_min_proto_version(ctx, 0);
      SSL_CTX_set_max_proto_version(ctx, maxVersion);
      SSL_CTX_set_security_level(ctx, 0);
    }
  }
  ~ClientContext() { SSL_CTX_free(ctx); }
  SSL_CTX* ctx;
};

ListenerOptions tlsOptions(const TlsFiles& files) {
  auto o = small();
  o.tls = TlsOptions{files.certFile(), files.keyFile()};
  return o;
}

TEST(HttpServerTls, AnswersHttpsRequestsOnAKeptAliveConnection) {
  TlsFiles files;
  Server server(tlsOptions(files));
  EXPECT_TRUE(server.listener().tls());
  ClientContext context(files);
  Client client(server.port(), context.ctx);
  ASSERT_TRUE(client.handshakeOk());
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(client.send(post("secret" + std::to_string(i))));
    auto answer = client.read();
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->status, 200);
    EXPECT_EQ(answer->body, "POST / secret" + std::to_string(i));
  }
}

TEST(HttpServerTls, PipelinedAndLargeBodiesOverTls) {
  TlsFiles files;
  auto options = tlsOptions(files);
  options.maxBodyBytes = 1 << 20;
  Server server(options);
  ClientContext context(files);
  Client client(server.port(), context.ctx);
  ASSERT_TRUE(client.handshakeOk());
  expectLargeThenSmallAnswer(client, 300 * 1024, 0ms);
}

TEST(HttpServerTls, PlainHttpOnTheTlsPortGetsA400AndTheListenerKeepsServing) {
  TlsFiles files;
  Server server(tlsOptions(files));
  {
    Client plain(server.port());
    ASSERT_TRUE(plain.send(post("x")));
    auto answer = plain.read();
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->status, 400);
    EXPECT_NE(answer->body.find("HTTPS only"), std::string::npos);
    EXPECT_TRUE(plain.closedWithin(3s));
  }
  EXPECT_EQ(server.handler().requestCount(), 0u);
  ClientContext context(files);
  Client client(server.port(), context.ctx);
  ASSERT_TRUE(client.handshakeOk());
  ASSERT_TRUE(client.send(post("ok")));
  EXPECT_EQ(client.read()->status, 200);
}

TEST(HttpServerTls, RefusesTls11) {
  TlsFiles files;
  Server server(tlsOptions(files));
  ClientContext context(files, TLS1_1_VERSION);
  Client client(server.port(), context.ctx);
  EXPECT_FALSE(client.handshakeOk());
  ERR_clear_error();
}

TEST(HttpServerTls, SilentClientIsClosedAfterHeaderTimeout) {
  TlsFiles files;
  auto options = tlsOptions(files);
  options.headerTimeout = 200ms;
  Server server(options);
  Client client(server.port());  // TCP only: never starts the handshake
  const auto start = Clock::now();
  EXPECT_TRUE(client.closedWithin(3s));
  EXPECT_LT(since(start), 1500ms);
}

TEST(HttpServerTls, MissingOrMismatchedFilesFailAtStartWithTheirNames) {
  TlsFiles files, other;
  IoRuntime io(1);
  TestHandler handler;
  auto expectError = [&](TlsOptions tls, const std::string& needle) {
    auto options = small();
    options.tls = tls;
    try {
      Listener listener(io, options, handler);
      ADD_FAILURE() << "no error for " << needle;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expectError({files.dir() + "/nope.pem", files.keyFile()},
              "TLS certificate file " + files.dir() + "/nope.pem cannot be read");
  expectError({files.certFile(), files.dir() + "/nokey.pem"},
              "TLS key file " + files.dir() + "/nokey.pem cannot be read");
  expectError({files.keyFile(), files.keyFile()}, "is not a PEM certificate chain");
  expectError({files.certFile(), other.keyFile()}, "does not match the certificate");
}

TEST(HttpServerTls, ReloadServesRenewedFilesToNewConnectionsAndKeepsOpenOnes) {
  TlsFiles served;   // the paths the listener reads
  TlsFiles renewed;  // another key and certificate, copied over them below
  Server server(tlsOptions(served));
  ClientContext trustsOld(served), trustsNew(renewed);
  Client open(server.port(), trustsOld.ctx);
  ASSERT_TRUE(open.handshakeOk());

  namespace fs = std::filesystem;
  fs::copy_file(renewed.certFile(), served.certFile(), fs::copy_options::overwrite_existing);
  fs::copy_file(renewed.keyFile(), served.keyFile(), fs::copy_options::overwrite_existing);
  {
    Client notYet(server.port(), trustsNew.ctx);  // files changed, not reloaded: the old ones
    EXPECT_FALSE(notYet.handshakeOk());
    ERR_clear_error();
  }
  server.listener().reloadTls();
  {
    Client fresh(server.port(), trustsNew.ctx);
    ASSERT_TRUE(fresh.handshakeOk());
    ASSERT_TRUE(fresh.send(post("new")));
    EXPECT_EQ(fresh.read()->body, "POST / new");
    Client stale(server.port(), trustsOld.ctx);
    EXPECT_FALSE(stale.handshakeOk());
    ERR_clear_error();
  }
  ASSERT_TRUE(open.send(post("still")));  // the connection made before keeps its session
  EXPECT_EQ(open.read()->body, "POST / still");

  // Broken files: the reload fails with their names and the listener keeps what it has.
  {
    std::FILE* f = std::fopen(served.keyFile().c_str(), "w");
    std::fputs("not a key\n", f);
    std::fclose(f);
  }
  try {
    server.listener().reloadTls();
    ADD_FAILURE() << "no error for a broken key file";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(served.keyFile()), std::string::npos) << e.what();
  }
  Client after(server.port(), trustsNew.ctx);
  ASSERT_TRUE(after.handshakeOk());
  ASSERT_TRUE(after.send(post("kept")));
  EXPECT_EQ(after.read()->body, "POST / kept");
}

TEST(HttpServer, ReloadTlsWithoutTlsDoesNothing) {
  Server server(small());
  server.listener().reloadTls();
  Client client(server.port());
  ASSERT_TRUE(client.send(post("plain")));
  EXPECT_EQ(client.read()->body, "POST / plain");
}

}  // namespace
}  // namespace kbridge::http
