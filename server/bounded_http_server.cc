#include "server/bounded_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/status_macros.h"
#include "httplib.h"

namespace jwtauth::server {
namespace {

// poll() for `events` until `deadline`; false on timeout, error or hang-up
// without data. Retries on EINTR.
bool WaitFor(int fd, short events, absl::Time deadline) {
  for (;;) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return false;
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1,
                         static_cast<int>(std::max<int64_t>(
                             1, absl::ToInt64Milliseconds(left))));
    if (n > 0) return (p.revents & (events | POLLHUP | POLLERR)) != 0;
    if (n == 0) continue;  // re-check the clock (rounding)
    if (errno != EINTR) return false;
  }
}

// The stream for one request on one connection: every read shares a single
// deadline and a byte budget, so a client cannot keep a worker busy by
// sending one byte just before each per-read timeout (slowloris).
class BoundedStream final : public httplib::Stream {
 public:
  BoundedStream(int fd, const HttpServerOptions& options)
      : fd_(fd),
        deadline_(absl::Now() + options.request_timeout),
        budget_(options.max_request_bytes),
        write_timeout_(options.write_timeout) {}

  bool is_readable() const override {
    return pos_ < len_ || (budget_ > 0 && WaitFor(fd_, POLLIN, deadline_));
  }
  bool is_writable() const override {
    return WaitFor(fd_, POLLOUT, absl::Now() + write_timeout_);
  }
  ssize_t read(char* ptr, size_t size) override {
    if (pos_ == len_) {
      if (budget_ == 0 || !WaitFor(fd_, POLLIN, deadline_)) return -1;
      ssize_t n = 0;
      do {
        n = ::recv(fd_, buf_, std::min(sizeof(buf_), budget_), 0);
      } while (n < 0 && errno == EINTR);
      if (n <= 0) return n;
      budget_ -= static_cast<size_t>(n);
      pos_ = 0;
      len_ = static_cast<size_t>(n);
    }
    const size_t n = std::min(size, len_ - pos_);
    std::memcpy(ptr, buf_ + pos_, n);
    pos_ += n;
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const char* ptr, size_t size) override {
    if (!is_writable()) return -1;
    return ::send(fd_, ptr, size, MSG_NOSIGNAL);
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    Address(::getpeername, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    Address(::getsockname, ip, port);
  }
  socket_t socket() const override { return fd_; }

 private:
  template <typename Fn>
  void Address(Fn fn, std::string& ip, int& port) const {
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    if (fn(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return;
    char text[INET6_ADDRSTRLEN] = {};
    if (addr.ss_family == AF_INET) {
      const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
      ::inet_ntop(AF_INET, &a->sin_addr, text, sizeof(text));
      port = ntohs(a->sin_port);
    } else if (addr.ss_family == AF_INET6) {
      const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
      ::inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof(text));
      port = ntohs(a->sin6_port);
    }
    ip = text;
  }

  const int fd_;
  const absl::Time deadline_;
  size_t budget_;
  const absl::Duration write_timeout_;
  char buf_[4096];
  size_t pos_ = 0;
  size_t len_ = 0;
};

}  // namespace

// httplib's own connection loop bounds each read, not the request: it is
// replaced by one BoundedStream request per connection.
class BoundedHttpServer::Server final : public httplib::Server {
 public:
  explicit Server(const HttpServerOptions& options) : options_(options) {}

 private:
  bool process_and_close_socket(socket_t sock) override {
    bool ok = false;
    {
      BoundedStream stream(sock, options_);
      bool closed = false;
      ok = process_request(stream, /*close_connection=*/true, closed, nullptr);
    }
    ::shutdown(sock, SHUT_RDWR);
    ::close(sock);
    return ok;
  }

  const HttpServerOptions options_;
};

absl::StatusOr<std::pair<std::string, int>> SplitHostPort(
    absl::string_view address) {
  size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos || colon == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected host:port, got \"", address, "\""));
  }
  std::string host(address.substr(0, colon));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  int port = 0;
  if (!absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid port in \"", address, "\""));
  }
  return std::make_pair(host, port);
}

BoundedHttpServer::BoundedHttpServer(const HttpServerOptions& options)
    : options_(options), server_(std::make_unique<Server>(options)) {
  const size_t workers = std::max<size_t>(options.workers, 1);
  server_->new_task_queue = [workers] {
    return new httplib::ThreadPool(workers);
  };
  // httplib's default also sets SO_REUSEPORT, which would let a second
  // process silently share the port; keep only SO_REUSEADDR.
  server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  auto not_allowed = [](const httplib::Request&, httplib::Response& res) {
    res.status = 405;
    res.set_content("method not allowed\n", "text/plain");
  };
  server_->Post(".*", not_allowed);
  server_->Put(".*", not_allowed);
  server_->Delete(".*", not_allowed);
  server_->Patch(".*", not_allowed);
}

absl::Status BoundedHttpServer::Start(absl::string_view listen_address,
                                      absl::string_view name) {
  JWTAUTH_ASSIGN_OR_RETURN(auto hp, SplitHostPort(listen_address));
  if (options_.workers == 0 || options_.max_request_bytes == 0 ||
      options_.request_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": bad options"));
  }
  httplib::Server& svr = *server_;
  const auto& [host, port] = hp;
  int bound = 0;
  if (port == 0) {
    bound = svr.bind_to_any_port(host);
  } else {
    bound = svr.bind_to_port(host, port) ? port : -1;
  }
  if (bound <= 0) {
    return absl::UnavailableError(
        absl::StrCat(name, ": cannot bind ", listen_address));
  }
  port_ = bound;
  thread_ = std::thread([&svr] { svr.listen_after_bind(); });
  // Stop() before the listener loop is up would be lost (httplib sets its
  // running flag inside listen_after_bind), so wait for it, bounded.
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (!svr.is_running() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  return absl::OkStatus();
}

void BoundedHttpServer::Stop() {
  if (server_ != nullptr) server_->stop();
  if (thread_.joinable()) thread_.join();
}

BoundedHttpServer::~BoundedHttpServer() { Stop(); }

}  // namespace jwtauth::server
