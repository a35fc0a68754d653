#include "tests/testutil/jwks_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "httplib.h"
#include "tests/testutil/wait.h"

namespace jwtauth::testutil {

class JwksHttpServer::Impl {
 public:
  explicit Impl(std::unique_ptr<httplib::Server> server, bool tls)
      : server_(std::move(server)), tls_(tls) {}

  bool Begin() {
    server_->set_keep_alive_timeout(1);
    server_->set_read_timeout(2, 0);
    server_->set_write_timeout(2, 0);
    server_->Get("/.*", [this](const httplib::Request& req,
                               httplib::Response& res) { Handle(req, res); });
    port_ = server_->bind_to_any_port("127.0.0.1");
    if (port_ <= 0) return false;
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    // httplib's stop() is a no-op until the accept loop runs, so a server
    // stopped right after Start() would never exit: wait for the loop (it
    // starts within microseconds; httplib offers no notification).
    return WaitUntil([this] { return server_->is_running(); },
                     absl::Seconds(10));
  }

  void Stop() {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      stopping_ = true;
    }
    server_->stop();
    if (thread_.joinable()) thread_.join();
  }

  // Waits `d` unless the server stops first; false if it stopped.
  bool Hold(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), d);
    return !stopping_;
  }

  void Handle(const httplib::Request& req, httplib::Response& res) {
    HttpReply reply;
    bool found = false;
    {
      absl::MutexLock lock(&mu_);
      counts_[req.path]++;
      total_++;
      requests_.push_back({req.path, req.get_header_value("If-None-Match"),
                           req.get_header_value("If-Modified-Since"),
                           req.get_header_value("User-Agent")});
      auto it = replies_.find(req.path);
      if (it != replies_.end()) {
        reply = it->second;
        found = true;
      }
    }
    if (!found) {
      res.status = 404;
      res.set_content("not found", "text/plain");
      return;
    }
    if (reply.hold > absl::ZeroDuration() && !Hold(reply.hold)) {
      res.status = 503;
      return;
    }
    res.status = reply.status;
    std::string etag;
    for (const auto& [name, value] : reply.headers) {
      res.set_header(name, value);
      if (absl::EqualsIgnoreCase(name, "ETag")) etag = value;
    }
    if (reply.honor_if_none_match && !etag.empty() &&
        req.get_header_value("If-None-Match") == etag) {
      res.status = 304;
      return;
    }
    if (reply.filler_bytes > 0) {
      const size_t total = reply.filler_bytes;
      auto chunk = std::make_shared<std::string>(64 * 1024, 'x');
      if (reply.chunked) {
        res.set_chunked_content_provider(
            reply.content_type,
            [total, chunk](size_t offset, httplib::DataSink& sink) {
              if (offset >= total) {
                sink.done();
                return true;
              }
              size_t n = std::min(chunk->size(), total - offset);
              return sink.write(chunk->data(), n);
            });
      } else {
        res.set_content_provider(
            total, reply.content_type,
            [chunk](size_t, size_t length, httplib::DataSink& sink) {
              return sink.write(chunk->data(), std::min(chunk->size(), length));
            });
      }
      return;
    }
    if (reply.drip_interval > absl::ZeroDuration()) {
      auto body = std::make_shared<std::string>(reply.body);
      absl::Duration interval = reply.drip_interval;
      res.set_chunked_content_provider(
          reply.content_type,
          [this, body, interval](size_t offset, httplib::DataSink& sink) {
            if (offset >= body->size()) {
              sink.done();
              return true;
            }
            if (!Hold(interval)) return false;
            return sink.write(body->data() + offset, 1);
          });
      return;
    }
    res.set_content(reply.body, reply.content_type);
  }

  std::unique_ptr<httplib::Server> server_;
  const bool tls_;
  int port_ = 0;
  std::thread thread_;

  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_map<std::string, HttpReply> replies_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, int> counts_ ABSL_GUARDED_BY(mu_);
  int total_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<RecordedRequest> requests_ ABSL_GUARDED_BY(mu_);
};

JwksHttpServer::JwksHttpServer(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}

JwksHttpServer::~JwksHttpServer() { Stop(); }

std::unique_ptr<JwksHttpServer> JwksHttpServer::Start() {
  auto impl =
      std::make_unique<Impl>(std::make_unique<httplib::Server>(), false);
  if (!impl->Begin()) return nullptr;
  return std::unique_ptr<JwksHttpServer>(new JwksHttpServer(std::move(impl)));
}

std::unique_ptr<JwksHttpServer> JwksHttpServer::StartTls(const TlsFiles& f) {
  auto ssl = std::make_unique<httplib::SSLServer>(f.cert_file.c_str(),
                                                  f.key_file.c_str());
  if (!ssl->is_valid()) return nullptr;
  auto impl = std::make_unique<Impl>(std::move(ssl), true);
  if (!impl->Begin()) return nullptr;
  return std::unique_ptr<JwksHttpServer>(new JwksHttpServer(std::move(impl)));
}

int JwksHttpServer::port() const { return impl_->port_; }

std::string JwksHttpServer::Url(absl::string_view path) const {
  return impl_->tls_ ? absl::StrCat("https://localhost:", impl_->port_, path)
                     : absl::StrCat("http://127.0.0.1:", impl_->port_, path);
}

void JwksHttpServer::SetReply(absl::string_view path, HttpReply reply) {
  absl::MutexLock lock(&impl_->mu_);
  impl_->replies_[std::string(path)] = std::move(reply);
}

int JwksHttpServer::RequestCount(absl::string_view path) const {
  absl::MutexLock lock(&impl_->mu_);
  auto it = impl_->counts_.find(path);
  return it == impl_->counts_.end() ? 0 : it->second;
}

int JwksHttpServer::TotalRequests() const {
  absl::MutexLock lock(&impl_->mu_);
  return impl_->total_;
}

std::vector<RecordedRequest> JwksHttpServer::Requests() const {
  absl::MutexLock lock(&impl_->mu_);
  return impl_->requests_;
}

bool JwksHttpServer::WaitForRequestCount(absl::string_view path, int count,
                                         absl::Duration timeout) const {
  Impl* impl = impl_.get();
  std::string key(path);
  absl::MutexLock lock(&impl->mu_);
  struct Reached {
    Impl* impl;
    const std::string* key;
    int count;
    bool operator()() const ABSL_NO_THREAD_SAFETY_ANALYSIS {
      auto it = impl->counts_.find(*key);
      return it != impl->counts_.end() && it->second >= count;
    }
  } reached{impl, &key, count};
  return impl->mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
}

void JwksHttpServer::Stop() { impl_->Stop(); }

int ClosedLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);  // never listened: connecting is refused
  return port;
}

}  // namespace jwtauth::testutil
