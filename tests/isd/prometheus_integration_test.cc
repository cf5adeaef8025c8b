// The /metrics endpoint scraped by a real Prometheus server (Debian's `prometheus`):
// the driver's telemetry is published, Prometheus scrapes it every second, and its HTTP
// API must return the value the unit counted. Skips (with the reason) when the binary
// is missing. Every process and file it starts is removed, pass or fail.
#include <gtest/gtest.h>

#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "export/metrics_server.h"
#include "isd/config.h"
#include "isd/telemetry.h"
#include "isd_test_support.h"

extern char** environ;

namespace irqshape::isd {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kPrometheus = "/usr/bin/prometheus";

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

// A child process, stopped (SIGTERM, then SIGKILL after 5 s) when this goes out of scope.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const fs::path& log) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    if (posix_spawn(&pid_, argv[0].c_str(), &actions, nullptr, args.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~Child() { stop(); }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  [[nodiscard]] bool started() const { return pid_ > 0; }
  [[nodiscard]] bool running() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    return true;
  }
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 50; ++i) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(100ms);
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
};

struct TempDir {
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "irqshape-prom-XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) path = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path.empty()) fs::remove_all(path, ec);
  }
  fs::path path;
};

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST(PrometheusIntegration, ARealPrometheusScrapesTheEndpoint) {
  if (::access(kPrometheus, X_OK) != 0) GTEST_SKIP() << kPrometheus << " is not installed (Debian package `prometheus`)";

  // The unit, some load, and its telemetry on /metrics.
  harness::ModelHarness model;
  Driver driver(model.window());
  const SourceMap platform = testing::example_platform();
  auto config = load_config("examples/nic-nvme.toml");
  ASSERT_TRUE(config.ok()) << config.message();
  ASSERT_TRUE(driver.apply(*config, platform).ok());
  harness::SyntheticLoad load({{1, harness::LoadShape::poisson, {{0, 100'000}}}}, 5);
  model.run(load, 20'000'000);
  TelemetryCollector collector(&platform);
  const Period period = collector.sample(driver);
  const std::uint64_t expected = period.sources.at(1).total.in;
  ASSERT_EQ(period.sources.at(1).name, "nvme0q1");
  ASSERT_GT(expected, 1000u);
  exporter::MetricsServer server;
  auto port = server.start("127.0.0.1", 0);
  ASSERT_TRUE(port.ok()) << port.message();
  server.publish(to_prometheus(period));

  // Prometheus, scraping it every second.
  TempDir dir;
  ASSERT_FALSE(dir.path.empty());
  const int api_port = free_port();
  ASSERT_GT(api_port, 0);
  std::ofstream(dir.path / "prometheus.yml") << fmt::format(
      "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
      "scrape_configs:\n  - job_name: irqshape\n    scrape_interval: 1s\n    static_configs:\n"
      "      - targets: ['127.0.0.1:{}']\n",
      *port);
  Child prometheus({kPrometheus, "--config.file=" + (dir.path / "prometheus.yml").string(),
                    "--storage.tsdb.path=" + (dir.path / "data").string(),
                    fmt::format("--web.listen-address=127.0.0.1:{}", api_port), "--log.level=warn"},
                   dir.path / "prometheus.log");
  ASSERT_TRUE(prometheus.started());
  // The first sample is queryable 5.5-6 s after Prometheus starts on an idle machine here;
  // the wait allows for a loaded one (the rest of the suite runs beside this test).
  const auto started = std::chrono::steady_clock::now();
  constexpr auto kWait = 45s;

  // Ask its API until the metric is there (first scrape after about a second).
  httplib::Client api("127.0.0.1", api_port);
  api.set_connection_timeout(1s);
  api.set_read_timeout(2s);
  const std::string query = "irqshape_isu_interrupts_in_total{source=\"nvme0q1\"}";
  std::string value, last_answer;
  while (std::chrono::steady_clock::now() - started < kWait) {
    ASSERT_TRUE(prometheus.running()) << "prometheus exited:\n" << read_file(dir.path / "prometheus.log");
    if (auto res = api.Get("/api/v1/query", httplib::Params{{"query", query}}, httplib::Headers{})) {
      last_answer = res->body;
      const auto j = nlohmann::json::parse(res->body, nullptr, false);
      if (!j.is_discarded() && j.value("status", "") == "success" && !j["data"]["result"].empty()) {
        value = j["data"]["result"][0]["value"][1].get<std::string>();
        break;
      }
    }
    std::this_thread::sleep_for(250ms);
  }
  ASSERT_FALSE(value.empty()) << "no sample of " << query << " within " << kWait.count() << " s; last answer: " << last_answer
                              << "\nprometheus log:\n" << read_file(dir.path / "prometheus.log");
  EXPECT_EQ(value, std::to_string(expected));
  EXPECT_GE(server.scrapes(), 1u);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  fmt::print("prometheus scraped {} = {} (the unit counted {}) {} ms after it started\n", query, value, expected, took.count());
}

}  // namespace
}  // namespace irqshape::isd
