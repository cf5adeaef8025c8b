// A small HTTP server for Prometheus to scrape: GET /metrics answers the last exposition
// text published. The producer (a telemetry loop) calls publish() every period; the
// server thread only copies the text under a lock, so a scrape never sees half a period.
// Until the first publish(), /metrics answers 503 (with Retry-After), not an empty 200.
//
// Teardown: stop() ends the listener, joins its thread and the worker threads; the
// destructor calls it. publish() may be called from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "base/result.h"

namespace irqshape::exporter {

// "9100", ":9100", "127.0.0.1:9100", "[::1]:9100" -> (host, port). An empty host means
// 127.0.0.1: metrics are served on the loopback interface unless a host is given. An IPv6
// address needs its brackets ("::1" is an error, not host ":" port 1).
Result<std::pair<std::string, int>> parse_listen_address(const std::string& text);

class MetricsServer {
 public:
  MetricsServer();
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Worker threads: each open connection holds one (see the constructor's timeouts).
  static constexpr std::size_t kWorkers = 8;

  // Binds host:port (port 0: any free port) and starts serving. Returns the bound port
  // once the listener accepts connections, so stop() may follow at once.
  Result<int> start(const std::string& host, int port);
  void publish(std::string exposition);
  void stop();
  [[nodiscard]] int port() const;
  [[nodiscard]] std::uint64_t scrapes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace irqshape::exporter
