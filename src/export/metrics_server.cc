#include "export/metrics_server.h"

#include <httplib.h>

#include <atomic>
#include <charconv>
#include <mutex>
#include <thread>

#include "export/prometheus_writer.h"

namespace irqshape::exporter {

Result<std::pair<std::string, int>> parse_listen_address(const std::string& text) {
  std::string host;
  std::string port_text = text;
  if (const auto colon = text.rfind(':'); colon != std::string::npos) {
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  }
  int port = -1;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port < 0 || port > 65535)
    return make_error("listen address \"{}\": expected [HOST]:PORT with PORT 0..65535", text);
  if (host.empty()) host = "127.0.0.1";
  return std::pair{host, port};
}

struct MetricsServer::Impl {
  httplib::Server server;
  std::thread thread;
  std::mutex mutex;
  std::string body;  // guarded by mutex
  std::atomic<std::uint64_t> scrapes{0};
  int port = 0;
};

MetricsServer::MetricsServer() : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  // Two workers are plenty for a scraper or two, and keep the thread count small on
  // shared machines (httplib's default is one per core, at least eight).
  s.server.new_task_queue = [] { return new httplib::ThreadPool(2); };
  s.server.Get("/metrics", [&s](const httplib::Request&, httplib::Response& res) {
    std::string body;
    {
      std::lock_guard lock(s.mutex);
      body = s.body;
    }
    ++s.scrapes;
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
  s.thread = std::thread([&s] { s.server.listen_after_bind(); });
  return s.port;
}

void MetricsServer::publish(std::string exposition) {
  std::lock_guard lock(impl_->mutex);
  impl_->body = std::move(exposition);
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
