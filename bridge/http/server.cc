#include "http/server.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

namespace kbridge::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

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

// One TCP connection: read a request, hand it to the handler, write the response when the handler
// answers (from any thread: the answer is posted back to the connection's strand), repeat.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const ListenerOptions& options, Handler& handler)
      : stream_(std::move(socket)), options_(options), handler_(handler) {}

  void start() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read(); });
  }

 private:
  void read() {
    parser_.emplace();
    parser_->body_limit(options_.maxBodyBytes);
    parser_->header_limit(static_cast<std::uint32_t>(options_.maxHeaderBytes));
    stream_.expires_after(std::chrono::seconds(120));
    bhttp::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->onRead(ec); });
  }

  void onRead(beast::error_code ec) {
    if (ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
        ec == beast::error::timeout || ec == asio::error::connection_reset) {
      return shutdown();
    }
    if (ec == bhttp::error::body_limit) {
      return writeError(413, "Request body exceeds the limit of " +
                                 std::to_string(options_.maxBodyBytes) + " bytes.");
    }
    if (ec == bhttp::error::header_limit) {
      return writeError(431, "Request header fields are too large.");
    }
    if (ec) return writeError(400, "Malformed HTTP request.");

    auto message = parser_->release();
    keepAlive_ = message.keep_alive();
    Request request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    for (const auto& field : message) {
      request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    request.body = std::move(message.body());
    beast::error_code ignored;
    auto remote = stream_.socket().remote_endpoint(ignored);
    if (!ignored) request.remoteAddress = remote.address().to_string();
    stream_.expires_never();

    auto self = shared_from_this();
    auto executor = stream_.get_executor();
    handler_.handle(std::move(request), [self, executor](Response response) {
      asio::dispatch(executor, [self, response = std::move(response)]() mutable {
        self->write(std::move(response));
      });
    });
  }

  void writeError(int status, const std::string& message) {
    keepAlive_ = false;
    Response r;
    r.status = status;
    r.headers.emplace_back("Content-Type", "application/x-amz-json-1.1");
    r.body = std::string(R"({"__type":"SerializationException","message":")") + message + "\"}";
    write(std::move(r));
  }

  void write(Response response) {
    auto out = std::make_shared<bhttp::response<bhttp::string_body>>();
    out->result(static_cast<unsigned>(response.status));
    out->version(11);
    for (auto& [k, v] : response.headers) out->set(k, v);
    out->body() = std::move(response.body);
    out->keep_alive(keepAlive_);
    out->prepare_payload();
    stream_.expires_after(std::chrono::seconds(60));
    bhttp::async_write(stream_, *out,
                       [self = shared_from_this(), out](beast::error_code ec, std::size_t) {
                         if (ec || !self->keepAlive_) return self->shutdown();
                         self->read();
                       });
  }

  void shutdown() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  const ListenerOptions options_;
  Handler& handler_;
  bool keepAlive_ = true;
};

}  // namespace

struct Listener::Impl : std::enable_shared_from_this<Listener::Impl> {
  Impl(asio::io_context& context, const ListenerOptions& o, Handler& h)
      : io(context), options(o), handler(h), acceptor(asio::make_strand(context)) {}

  void accept() {
    acceptor.async_accept(asio::make_strand(io), [self = shared_from_this()](beast::error_code ec,
                                                                             tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !self->acceptor.is_open()) {
        return;
      }
      if (!ec) {
        beast::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        std::make_shared<Session>(std::move(socket), self->options, self->handler)->start();
      }
      self->accept();
    });
  }

  asio::io_context& io;
  ListenerOptions options;
  Handler& handler;
  tcp::acceptor acceptor;
};

Listener::Listener(IoRuntime& runtime, const ListenerOptions& options, Handler& handler)
    : impl_(std::make_shared<Impl>(runtime.impl().io, options, handler)) {
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

void Listener::close() {
  asio::post(impl_->acceptor.get_executor(), [impl = impl_] {
    beast::error_code ec;
    impl->acceptor.close(ec);
  });
}

}  // namespace kbridge::http
