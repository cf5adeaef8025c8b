// A small HTTP server for Prometheus to scrape: GET /metrics answers the last exposition
// text published. The producer (a telemetry loop) calls publish() every period; the
// server thread only copies the text under a lock, so a scrape never sees half a period.
// Until the first publish(), /metrics answers 503 (with Retry-After), not an empty 200.
//
// Teardown: stop() ends the listener, joins its thread and the worker threads; the
// destructor calls it. publish() may be called from any thread.
//
// Limits. The endpoint is for a trusted network: it listens on 127.0.0.1 unless a host is
// given. cpp-httplib 0.11.4 (Debian 12's, whose implementation is the prebuilt
// libcpp-httplib.so) bounds a request only read by read:
//  - Each open connection holds one of kWorkers workers. One that sends nothing is let go
//    after 1 s (the keep-alive timeout), but the 1 s read timeout restarts with every
//    byte received: a client that trickles bytes (a header byte every half second) holds
//    its worker for as long as it keeps sending. kWorkers such clients block every
//    scrape, and stop() does not return until they stop sending or close: httplib's
//    stop() only closes the listening socket, and a worker leaves a connection only
//    between requests. The library has no deadline for a whole request and no way to end
//    a worker's connection - its timeouts are per read, the socket-options hook applies
//    to the listening socket only, a custom task queue sees opaque jobs - short of
//    replacing its per-connection loop (a private virtual) and socket stream, which would
//    be an HTTP server of our own.
//  - A body with a Content-Length above 1 KiB is answered 413 and read past, not kept.
//    httplib buffers a chunked body, or one without Content-Length, whole (its payload
//    bound does not apply to them), and the request line and each header line up to the
//    newline (its 8 KiB line limits are checked once a line is complete).
// In front of other clients, put a proxy that bounds requests (time and size).
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
