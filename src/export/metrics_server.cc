#include "export/metrics_server.h"

#include <httplib.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <mutex>
#include <thread>

#include "export/prometheus_writer.h"

namespace irqshape::exporter {

Result<std::pair<std::string, int>> parse_listen_address(const std::string& text) {
  std::string host;
  std::string port_text = text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos || close == 1 || text.compare(close + 1, 1, ":") != 0)
      return make_error("listen address \"{}\": expected [ADDR]:PORT, brackets around an IPv6 address (as in [::1]:9100)",
                        text);
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else if (const auto colon = text.rfind(':'); colon != std::string::npos) {
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    // "::1" is not host ":" port 1: an IPv6 address is only told from its port in brackets.
    if (host.find(':') != std::string::npos)
      return make_error("listen address \"{}\": an IPv6 address goes in brackets: [ADDR]:PORT (as in [::1]:9100)", text);
  }
  int port = -1;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  // from_chars takes a sign: "-0" would be port 0 (any free port).
  if (port_text.empty() || port_text.front() == '-' || ec != std::errc() ||
      end != port_text.data() + port_text.size() || port < 0 || port > 65535)
    return make_error("listen address \"{}\": expected [HOST]:PORT with PORT 0..65535", text);
  if (host.empty()) host = "127.0.0.1";
  return std::pair{host, port};
}

namespace {
// A scrape has no body; httplib buffers a request's body whole, so without a bound a
// client could make the server hold gigabytes (chunked bodies escape it: see the header).
constexpr std::size_t kMaxRequestBody = 1024;
}  // namespace

struct MetricsServer::Impl {
  httplib::Server server;
  std::thread thread;
  std::mutex mutex;
  std::string body;         // guarded by mutex
  bool published = false;   // guarded by mutex
  std::atomic<std::uint64_t> scrapes{0};
  std::atomic<bool> listen_ended{false};  // the listen thread has returned
  int port = 0;
};

MetricsServer::MetricsServer() : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  // A connection holds a worker while it is open, so a client that connects and sends
  // nothing (or a scraper's idle keep-alive connection) must not hold one for long, or a
  // few of them stop every scrape and stop() itself (httplib's defaults: 5 s to read, 5 s
  // keep-alive, 5 requests per connection). Eight workers, each let go after 1 s.
  s.server.new_task_queue = [] { return new httplib::ThreadPool(kWorkers); };
  s.server.set_read_timeout(1, 0);
  s.server.set_write_timeout(1, 0);
  s.server.set_keep_alive_timeout(1);
  // Beyond it a body with a Content-Length is answered 413 and read past, not kept.
  s.server.set_payload_max_length(kMaxRequestBody);
  s.server.Get("/metrics", [&s](const httplib::Request&, httplib::Response& res) {
    std::string body;
    bool published;
    {
      std::lock_guard lock(s.mutex);
      body = s.body;
      published = s.published;
    }
    ++s.scrapes;
    if (!published) {
      // An empty 200 would be a successful scrape of no series (every series stale, `up`
      // 1); until the first period's text there is nothing to serve yet.
      res.status = 503;
      res.set_header("Retry-After", "1");
      res.set_content("no telemetry period has been published yet\n", "text/plain");
      return;
    }
    res.set_content(body, std::string(PrometheusWriter::kContentType).c_str());
  });
  s.server.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("irqshape ISD telemetry: see /metrics\n", "text/plain");
  });
}

MetricsServer::~MetricsServer() { stop(); }

Result<int> MetricsServer::start(const std::string& host, int port) {
  Impl& s = *impl_;
  if (s.thread.joinable()) return make_error("metrics server: already running on port {}", s.port);
  if (port == 0) {
    s.port = s.server.bind_to_any_port(host);
    if (s.port <= 0) return make_error("metrics server: cannot bind {}:<any port>", host);
  } else {
    if (!s.server.bind_to_port(host, port)) return make_error("metrics server: cannot bind {}:{}", host, port);
    s.port = port;
  }
  s.listen_ended = false;
  s.thread = std::thread([&s] {
    s.server.listen_after_bind();
    s.listen_ended = true;
  });
  // httplib's stop() does nothing until the listen thread has set is_running(): a stop()
  // right after start() would leave the accept loop running and its join() would never
  // return. So start() returns once the server runs, or reports a listener that ended.
  while (!s.server.is_running() && !s.listen_ended) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (s.listen_ended) {
    s.thread.join();
    return make_error("metrics server: the listener on {}:{} ended at once", host, s.port);
  }
  return s.port;
}

void MetricsServer::publish(std::string exposition) {
  std::lock_guard lock(impl_->mutex);
  impl_->body = std::move(exposition);
  impl_->published = true;
}

void MetricsServer::stop() {
  Impl& s = *impl_;
  if (!s.thread.joinable()) return;
  s.server.stop();
  s.thread.join();
}

int MetricsServer::port() const { return impl_->port; }
std::uint64_t MetricsServer::scrapes() const { return impl_->scrapes.load(); }

}  // namespace irqshape::exporter
