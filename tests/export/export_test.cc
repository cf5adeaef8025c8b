// The generic writers: Prometheus exposition, Chrome trace-event JSON, JSON lines, and
// the /metrics endpoint.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "export/jsonl_writer.h"
#include "export/metrics_server.h"
#include "export/prometheus_writer.h"
#include "export/trace_event_writer.h"

namespace irqshape::exporter {
namespace {

// Runs `body`; when it has not returned within `limit`, ends the test program as a failure
// (a thread stuck in a hang cannot be joined, so a failed assertion would hang as well).
void within(std::chrono::milliseconds limit, const std::string& what, const std::function<void()>& body) {
  std::mutex mutex;
  std::condition_variable cv;
  bool done = false;
  std::thread watchdog([&] {
    std::unique_lock lock(mutex);
    if (!cv.wait_for(lock, limit, [&] { return done; })) {
      std::fprintf(stderr, "%s: still running after %lld ms\n", what.c_str(), static_cast<long long>(limit.count()));
      std::_Exit(1);
    }
  });
  body();
  {
    std::lock_guard lock(mutex);
    done = true;
  }
  cv.notify_one();
  watchdog.join();
}

// A TCP connection to 127.0.0.1:port whose reads give up after 5 s, or -1.
int connect_loopback(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const timeval timeout{5, 0};
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// The process's peak resident memory (VmHWM), in KiB, or -1.
long peak_rss_kib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

TEST(Prometheus, CountersGaugesAndHistograms) {
  PrometheusWriter w;
  ASSERT_TRUE(w.family("irqshape_isu_interrupts_in_total", MetricType::counter, "Interrupts in.").ok());
  ASSERT_TRUE(w.sample({{"source", "nvme0q1"}}, 123).ok());
  ASSERT_TRUE(w.sample({{"source", "eth0"}}, 1.5e12).ok());
  ASSERT_TRUE(w.family("irqshape_isu_pending_events", MetricType::gauge, "Held now.").ok());
  ASSERT_TRUE(w.sample({}, 0.25).ok());
  ASSERT_TRUE(w.family("irqshape_isu_hold_seconds", MetricType::histogram, "Hold.").ok());
  const double bounds[] = {1e-6, 2e-6};
  const std::uint64_t counts[] = {5, 3, 2};
  ASSERT_TRUE(w.histogram({{"source", "a"}}, bounds, counts, 0.5).ok());
  EXPECT_EQ(w.text(),
            "# HELP irqshape_isu_interrupts_in_total Interrupts in.\n"
            "# TYPE irqshape_isu_interrupts_in_total counter\n"
            "irqshape_isu_interrupts_in_total{source=\"nvme0q1\"} 123\n"
            "irqshape_isu_interrupts_in_total{source=\"eth0\"} 1500000000000\n"
            "# HELP irqshape_isu_pending_events Held now.\n"
            "# TYPE irqshape_isu_pending_events gauge\n"
            "irqshape_isu_pending_events 0.25\n"
            "# HELP irqshape_isu_hold_seconds Hold.\n"
            "# TYPE irqshape_isu_hold_seconds histogram\n"
            "irqshape_isu_hold_seconds_bucket{source=\"a\",le=\"1e-06\"} 5\n"
            "irqshape_isu_hold_seconds_bucket{source=\"a\",le=\"2e-06\"} 8\n"
            "irqshape_isu_hold_seconds_bucket{source=\"a\",le=\"+Inf\"} 10\n"
            "irqshape_isu_hold_seconds_sum{source=\"a\"} 0.5\n"
            "irqshape_isu_hold_seconds_count{source=\"a\"} 10\n");
}

TEST(Prometheus, EscapesAndRefusesWhatTheFormatCannotCarry) {
  PrometheusWriter w;
  ASSERT_TRUE(w.family("m", MetricType::gauge, "line one\nback\\slash").ok());
  ASSERT_TRUE(w.sample({{"source", "a \"quoted\"\nname\\"}}, 1).ok());
  EXPECT_EQ(w.text(), "# HELP m line one\\nback\\\\slash\n# TYPE m gauge\nm{source=\"a \\\"quoted\\\"\\nname\\\\\"} 1\n");
  EXPECT_FALSE(w.family("9lives", MetricType::gauge, "").ok());
  EXPECT_FALSE(w.family("m", MetricType::gauge, "").ok()) << "a family twice";
  ASSERT_TRUE(w.family("n", MetricType::gauge, "").ok());  // the refused family's samples would be refused anyway
  EXPECT_FALSE(w.sample({{"bad-label", "x"}}, 1).ok());
  EXPECT_FALSE(w.sample({{"__reserved", "x"}}, 1).ok());
  EXPECT_EQ(PrometheusWriter::format_value(1.0 / 0.0), "+Inf");
  EXPECT_EQ(PrometheusWriter::format_value(0.0 / 0.0), "NaN");
  PrometheusWriter empty;
  EXPECT_FALSE(empty.sample({}, 1).ok()) << "a sample before any family";
}

// Output Prometheus would drop the whole scrape for is refused, and nothing is written.
TEST(Prometheus, RefusesADuplicateLabelName) {
  PrometheusWriter w;
  ASSERT_TRUE(w.family("m", MetricType::gauge, "").ok());
  const auto s = w.sample({{"a", "1"}, {"b", "2"}, {"a", "3"}}, 1);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("label \"a\" given twice"), std::string::npos) << s.message();
  EXPECT_EQ(w.text(), "# HELP m \n# TYPE m gauge\n");
}

TEST(Prometheus, HistogramBoundsAreFiniteAndStrictlyIncreasing) {
  PrometheusWriter w;
  ASSERT_TRUE(w.family("h", MetricType::histogram, "").ok());
  const std::uint64_t counts[] = {1, 2, 3, 4};
  const double decreasing[] = {1.0, 0.5, 2.0};
  const double repeated[] = {1.0, 2.0, 2.0};
  const double infinite[] = {1.0, 2.0, 1.0 / 0.0};  // a second le="+Inf" bucket
  const double nan[] = {0.0 / 0.0, 1.0, 2.0};
  for (const auto* bounds : {decreasing, repeated, infinite, nan})
    EXPECT_FALSE(w.histogram({}, std::span<const double>(bounds, 3), counts, 1).ok())
        << PrometheusWriter::format_value(bounds[0]) << ", " << PrometheusWriter::format_value(bounds[1]) << ", "
        << PrometheusWriter::format_value(bounds[2]);
  EXPECT_EQ(w.text(), "# HELP h \n# TYPE h histogram\n");
  const double increasing[] = {-1.0, 0.0, 2.0};
  EXPECT_TRUE(w.histogram({}, increasing, counts, 1).ok());
}

TEST(Prometheus, RefusesLeOnASampleOfAHistogramFamily) {
  PrometheusWriter w;
  ASSERT_TRUE(w.family("h", MetricType::histogram, "").ok());
  EXPECT_FALSE(w.sample({{"le", "1"}}, 3, "_bucket").ok());
  EXPECT_FALSE(w.sample({{"source", "a"}, {"le", "x"}}, 3).ok());
  EXPECT_EQ(w.text(), "# HELP h \n# TYPE h histogram\n");
  ASSERT_TRUE(w.family("g", MetricType::gauge, "").ok());
  EXPECT_TRUE(w.sample({{"le", "1"}}, 3).ok()) << "le is an ordinary label outside histograms";
}

// A family that is refused is not written, and neither are its samples: they used to go
// into the family before it.
TEST(Prometheus, SamplesOfARefusedFamilyAreRefused) {
  PrometheusWriter w;
  ASSERT_TRUE(w.family("m", MetricType::gauge, "").ok());
  ASSERT_TRUE(w.sample({}, 1).ok());
  const std::string before = w.text();
  EXPECT_FALSE(w.family("m", MetricType::counter, "again").ok());
  EXPECT_FALSE(w.sample({}, 7).ok());
  EXPECT_FALSE(w.family("9lives", MetricType::histogram, "").ok());
  EXPECT_FALSE(w.sample({}, 7).ok());
  const double bounds[] = {1.0};
  const std::uint64_t counts[] = {1, 2};
  EXPECT_FALSE(w.histogram({}, bounds, counts, 1).ok());
  EXPECT_EQ(w.text(), before);
  ASSERT_TRUE(w.family("n", MetricType::gauge, "").ok());  // the next family is written again
  EXPECT_TRUE(w.sample({}, 2).ok());
  EXPECT_EQ(w.text(), before + "# HELP n \n# TYPE n gauge\nn 2\n");
  PrometheusWriter first;
  EXPECT_FALSE(first.family("0", MetricType::gauge, "").ok());
  EXPECT_FALSE(first.sample({}, 1).ok());
  EXPECT_EQ(first.text(), "");
}

// The exposition is UTF-8: a source name from a trace with invalid bytes would make
// Prometheus reject the whole scrape. Each invalid byte becomes U+FFFD; valid multi-byte
// characters (and an overlong or surrogate form is not one) pass as they are.
TEST(Prometheus, InvalidUtf8BecomesReplacementCharacters) {
  PrometheusWriter w;
  ASSERT_TRUE(w.family("m", MetricType::gauge, "caf\xC3\xA9 \xFF").ok());
  ASSERT_TRUE(w.sample({{"source", "v\xFF\xFE\"\xC0\xAF\xED\xA0\x80\xE2\x82\xAC"}}, 1).ok());
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(w.text(), "# HELP m caf\xC3\xA9 " + r + "\n# TYPE m gauge\nm{source=\"v" + r + r + "\\\"" + r + r + r + r +
                          r + "\xE2\x82\xAC\"} 1\n");
}

TEST(TraceEvents, WritesAJsonDocumentPerfettoOpens) {
  std::ostringstream out;
  {
    TraceEventWriter w(out);
    w.process_name(1, "ISU source nvme0q1");
    w.thread_name(1, 7, "vCPU 0");
    w.counter(1, "interrupts/s", 1'500, 1234.0);
    w.counter(1, "hold (us)", 2'000, {{"p50", 1.0}, {"p99", 9.5}});
    w.instant(1, 7, "irq", 3'000, {{"vector", 0x41}});
    w.complete(1, 7, "handler", 4'000, 2'500, nullptr, "isr");
    EXPECT_EQ(w.events(), 6u);
  }  // the destructor closes the document
  const nlohmann::json doc = nlohmann::json::parse(out.str());
  const auto& ev = doc.at("traceEvents");
  ASSERT_EQ(ev.size(), 6u);
  EXPECT_EQ(ev[0].at("ph"), "M");
  EXPECT_EQ(ev[0].at("args").at("name"), "ISU source nvme0q1");
  EXPECT_EQ(ev[2].at("ph"), "C");
  EXPECT_DOUBLE_EQ(ev[2].at("ts").get<double>(), 1.5);  // microseconds
  EXPECT_EQ(ev[2].at("args").at("value"), 1234.0);
  EXPECT_EQ(ev[3].at("args").at("p99"), 9.5);
  EXPECT_EQ(ev[4].at("s"), "t");
  EXPECT_EQ(ev[5].at("ph"), "X");
  EXPECT_DOUBLE_EQ(ev[5].at("dur").get<double>(), 2.5);
  EXPECT_EQ(doc.at("displayTimeUnit"), "ns");
}

TEST(TraceEvents, BadUtf8InANameDoesNotStopTheExport) {
  std::ostringstream out;
  {
    TraceEventWriter w(out);
    w.process_name(1, std::string("bad \xC3\x28 name"));
  }
  EXPECT_TRUE(nlohmann::json::accept(out.str()));
}

TEST(JsonLines, OneObjectPerLine) {
  std::ostringstream out;
  JsonLinesWriter w(out);
  w.write({{"a", 1}});
  w.write({{"b", "two"}});
  EXPECT_EQ(out.str(), "{\"a\":1}\n{\"b\":\"two\"}\n");
  EXPECT_EQ(w.lines(), 2u);
}

TEST(MetricsServer, ServesTheLastPublishedText) {
  MetricsServer server;
  auto port = server.start("127.0.0.1", 0);
  ASSERT_TRUE(port.ok()) << port.message();
  httplib::Client client("127.0.0.1", *port);
  auto before = client.Get("/metrics");  // nothing published yet: not a successful empty scrape
  ASSERT_TRUE(before) << "no answer from 127.0.0.1:" << *port;
  EXPECT_EQ(before->status, 503);
  EXPECT_EQ(before->get_header_value("Retry-After"), "1");
  server.publish("# TYPE x counter\nx_total 1\n");
  auto res = client.Get("/metrics");
  ASSERT_TRUE(res) << "no answer from 127.0.0.1:" << *port;
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "# TYPE x counter\nx_total 1\n");
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  server.publish("x_total 2\n");
  EXPECT_EQ(client.Get("/metrics")->body, "x_total 2\n");
  EXPECT_EQ(server.scrapes(), 3u);
  EXPECT_FALSE(server.start("127.0.0.1", 0).ok()) << "already running";
  server.stop();
  server.stop();  // idempotent
}

// start() returns once the listener runs: httplib's stop() does nothing before that, so a
// stop() right after start() could leave the accept loop running and never return (a
// telemetry run that fails just after binding its port, on a bad --jsonl path).
TEST(MetricsServer, StopRightAfterStartReturns) {
  for (int i = 0; i < 300; ++i) {
    MetricsServer server;
    auto port = server.start("127.0.0.1", 0);
    ASSERT_TRUE(port.ok()) << port.message();
    within(std::chrono::seconds(10), "stop() right after start(), round " + std::to_string(i), [&] { server.stop(); });
  }
  // And a stopped server starts again and serves.
  MetricsServer server;
  ASSERT_TRUE(server.start("127.0.0.1", 0).ok());
  server.stop();
  auto port = server.start("127.0.0.1", 0);
  ASSERT_TRUE(port.ok()) << port.message();
  server.publish("x_total 1\n");
  httplib::Client client("127.0.0.1", *port);
  client.set_read_timeout(3, 0);
  auto res = client.Get("/metrics");
  ASSERT_TRUE(res) << "no answer after a restart";
  EXPECT_EQ(res->body, "x_total 1\n");
  within(std::chrono::seconds(10), "stop() after a restart", [&] { server.stop(); });
}

// A connection holds a worker while it is open, so clients that connect and send nothing
// (or a scraper's idle keep-alive connections) must be let go soon, or as many of them as
// there are workers stop every scrape and stop() itself (httplib's defaults hold one 5 s).
// With one such connection per worker, a scrape is still answered, and stop() returns
// within 2 s.
TEST(MetricsServer, IdleConnectionsDoNotStopScrapes) {
  MetricsServer server;
  auto port = server.start("127.0.0.1", 0);
  ASSERT_TRUE(port.ok()) << port.message();
  server.publish("x_total 1\n");
  std::vector<int> idle;
  const auto open_idle = [&] {
    for (std::size_t i = 0; i < MetricsServer::kWorkers; ++i) {
      const int fd = connect_loopback(*port);
      ASSERT_GE(fd, 0);
      idle.push_back(fd);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the workers have taken them
  };
  open_idle();
  httplib::Client client("127.0.0.1", *port);
  client.set_read_timeout(3, 0);
  auto res = client.Get("/metrics");
  EXPECT_TRUE(res) << "no answer within 3 s while " << MetricsServer::kWorkers << " idle connections were open";
  if (res) {
    EXPECT_EQ(res->body, "x_total 1\n");
  }
  open_idle();
  const auto before = std::chrono::steady_clock::now();
  within(std::chrono::seconds(30), "stop() with idle connections open", [&] { server.stop(); });
  const auto took = std::chrono::steady_clock::now() - before;
  EXPECT_LT(took, std::chrono::seconds(2))
      << "stop() took " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
  for (int fd : idle) ::close(fd);
}

// A scrape has no body: one beyond a small bound is answered 413 and read past, not
// buffered (a 300 MiB POST raised the server's memory by 300 MB).
TEST(MetricsServer, RefusesALargeRequestBodyWithoutBufferingIt) {
  MetricsServer server;
  auto port = server.start("127.0.0.1", 0);
  ASSERT_TRUE(port.ok()) << port.message();
  server.publish("x_total 1\n");
  const int fd = connect_loopback(*port);
  ASSERT_GE(fd, 0);
  const long peak_before = peak_rss_kib();
  constexpr std::size_t kMiB = 1 << 20;
  constexpr std::size_t kBody = 64 * kMiB;
  const std::string head = "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(kBody) + "\r\n\r\n";
  ASSERT_EQ(::send(fd, head.data(), head.size(), MSG_NOSIGNAL), static_cast<ssize_t>(head.size()));
  const std::string chunk(kMiB, 'A');
  for (std::size_t sent = 0; sent < kBody; sent += chunk.size())
    if (::send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(chunk.size())) break;
  std::string answer;
  char buf[512];
  while (answer.find("\r\n\r\n") == std::string::npos) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    answer.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  EXPECT_EQ(answer.substr(0, 12), "HTTP/1.1 413") << answer;
  const long peak_after = peak_rss_kib();
  ASSERT_GT(peak_before, 0);
  EXPECT_LT(peak_after - peak_before, 16 * 1024) << "peak memory rose by " << (peak_after - peak_before) << " KiB";
  server.stop();
}

TEST(MetricsServer, ListenAddresses) {
  EXPECT_EQ(*parse_listen_address(":9100"), (std::pair<std::string, int>{"127.0.0.1", 9100}));
  EXPECT_EQ(*parse_listen_address("9100"), (std::pair<std::string, int>{"127.0.0.1", 9100}));
  EXPECT_EQ(*parse_listen_address("0.0.0.0:80"), (std::pair<std::string, int>{"0.0.0.0", 80}));
  EXPECT_EQ(*parse_listen_address("[::1]:9100"), (std::pair<std::string, int>{"::1", 9100}));
  EXPECT_FALSE(parse_listen_address(":99999").ok());
  EXPECT_FALSE(parse_listen_address("host:").ok());
  EXPECT_FALSE(parse_listen_address("nine").ok());
  EXPECT_FALSE(parse_listen_address("-0").ok()) << "a signed port";
  EXPECT_FALSE(parse_listen_address("host:-0").ok()) << "a signed port";
  EXPECT_EQ(*parse_listen_address("[fe80::1]:0"), (std::pair<std::string, int>{"fe80::1", 0}));
  EXPECT_EQ(*parse_listen_address("[::]:9100"), (std::pair<std::string, int>{"::", 9100}));
}

// An IPv6 address without brackets cannot be told from its port ("::1" was host ":" and
// port 1): an error naming the form, as are brackets without a port or an address.
TEST(MetricsServer, UnbracketedIpv6IsAnError) {
  for (const char* text : {"::1", "::", "fe80::1:9100", "::1:9100", "[::1]", "[]:80", "[::1]9100", "[::1:9100"}) {
    const auto r = parse_listen_address(text);
    ASSERT_FALSE(r.ok()) << text << " -> " << r->first << " port " << r->second;
    EXPECT_NE(r.message().find("[ADDR]:PORT"), std::string::npos) << r.message();
  }
}

}  // namespace
}  // namespace irqshape::exporter
