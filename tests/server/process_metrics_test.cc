#include "server/process_metrics.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmath>
#include <ctime>
#include <map>
#include <string>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace jwtauth::server {
namespace {

std::map<std::string, prometheus::MetricFamily> CollectByName() {
  std::map<std::string, prometheus::MetricFamily> out;
  for (prometheus::MetricFamily& f : ProcessMetrics().Collect()) {
    EXPECT_EQ(f.metric.size(), 1u) << f.name;
    out[f.name] = std::move(f);
  }
  return out;
}

double Value(const std::map<std::string, prometheus::MetricFamily>& families,
             const std::string& name) {
  auto it = families.find(name);
  if (it == families.end() || it->second.metric.empty()) {
    ADD_FAILURE() << "missing " << name;
    return NAN;
  }
  const prometheus::ClientMetric& m = it->second.metric[0];
  return it->second.type == prometheus::MetricType::Counter ? m.counter.value
                                                            : m.gauge.value;
}

TEST(ProcessMetricsTest, ParsesProcStatCountingFromTheLastParenthesis) {
  // The command name may hold spaces and ") ": fields count from the last.
  const std::string line =
      "4242 (we ird) x) S 1 4242 4242 0 -1 4194560 500 0 0 0 "
      "250 75 0 0 20 0 3 0 123456 104857600 2560 18446744073709551615 1 1 "
      "0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
  std::optional<ProcStat> s = ParseProcStat(line);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->utime_ticks, 250u);
  EXPECT_EQ(s->stime_ticks, 75u);
  EXPECT_EQ(s->start_ticks, 123456u);
  EXPECT_EQ(s->virtual_bytes, 104857600u);
  EXPECT_EQ(s->resident_pages, 2560u);
  EXPECT_FALSE(ParseProcStat("4242 (short) S 1 2 3").has_value());
  EXPECT_FALSE(ParseProcStat("no parenthesis at all").has_value());
}

TEST(ProcessMetricsTest, ParsesBootTime) {
  EXPECT_EQ(ParseBootTime("cpu  1 2 3\nintr 5\nbtime 1700000000\nprocs 9\n"),
            1700000000u);
  EXPECT_FALSE(ParseBootTime("cpu 1 2 3\n").has_value());
}

TEST(ProcessMetricsTest, ReportsThisProcess) {
  auto before = CollectByName();
  ASSERT_EQ(before.size(), 6u);
  EXPECT_EQ(before["process_cpu_seconds_total"].type,
            prometheus::MetricType::Counter);
  EXPECT_GT(Value(before, "process_resident_memory_bytes"), 0);
  EXPECT_GE(Value(before, "process_virtual_memory_bytes"),
            Value(before, "process_resident_memory_bytes"));
  rlimit limit{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
  EXPECT_EQ(Value(before, "process_max_fds"),
            static_cast<double>(limit.rlim_cur));
  // Started before now, and not before this test binary could have started.
  const double now = absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch());
  EXPECT_LE(Value(before, "process_start_time_seconds"), now + 1);
  EXPECT_GT(Value(before, "process_start_time_seconds"), now - 3600);

  // One more descriptor, and some CPU time spent, show on the next read.
  const int fd = open("/dev/null", O_RDONLY);
  ASSERT_GE(fd, 0);
  const std::clock_t start = std::clock();
  volatile double sink = 0;
  while (std::clock() - start < CLOCKS_PER_SEC / 5) sink = sink + 1;
  auto after = CollectByName();
  close(fd);
  EXPECT_EQ(Value(after, "process_open_fds"),
            Value(before, "process_open_fds") + 1);
  EXPECT_GE(Value(after, "process_cpu_seconds_total") -
                Value(before, "process_cpu_seconds_total"),
            0.1);
}

}  // namespace
}  // namespace jwtauth::server
