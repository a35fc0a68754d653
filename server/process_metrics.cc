#include "server/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace jwtauth::server {
namespace {

std::optional<std::string> ReadFile(const char* path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Entries of /proc/self/fd (the descriptor reading it included, as the
// other Prometheus clients count).
std::optional<uint64_t> OpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return std::nullopt;
  uint64_t n = 0;
  while (const dirent* e = readdir(dir)) {
    const absl::string_view name = e->d_name;
    if (name != "." && name != "..") ++n;
  }
  closedir(dir);
  return n;
}

void AddGauge(std::vector<prometheus::MetricFamily>* out, const char* name,
              const char* help, prometheus::MetricType type, double value) {
  prometheus::MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = type;
  prometheus::ClientMetric m;
  if (type == prometheus::MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
  f.metric.push_back(std::move(m));
  out->push_back(std::move(f));
}

}  // namespace

std::optional<ProcStat> ParseProcStat(absl::string_view line) {
  const size_t close = line.rfind(')');
  if (close == absl::string_view::npos) return std::nullopt;
  // Fields 3.. of proc(5): state is [0], utime (14) is [11].
  const std::vector<absl::string_view> f =
      absl::StrSplit(absl::StripAsciiWhitespace(line.substr(close + 1)), ' ',
                     absl::SkipEmpty());
  if (f.size() < 22) return std::nullopt;
  ProcStat s;
  if (!absl::SimpleAtoi(f[11], &s.utime_ticks) ||
      !absl::SimpleAtoi(f[12], &s.stime_ticks) ||
      !absl::SimpleAtoi(f[19], &s.start_ticks) ||
      !absl::SimpleAtoi(f[20], &s.virtual_bytes) ||
      !absl::SimpleAtoi(f[21], &s.resident_pages)) {
    return std::nullopt;
  }
  return s;
}

std::optional<uint64_t> ParseBootTime(absl::string_view proc_stat) {
  for (absl::string_view line : absl::StrSplit(proc_stat, '\n')) {
    if (absl::ConsumePrefix(&line, "btime ")) {
      uint64_t t = 0;
      if (absl::SimpleAtoi(line, &t)) return t;
    }
  }
  return std::nullopt;
}

std::vector<prometheus::MetricFamily> ProcessMetrics::Collect() const {
  using prometheus::MetricType;
  std::vector<prometheus::MetricFamily> out;
  const long ticks = sysconf(_SC_CLK_TCK);
  const long page = sysconf(_SC_PAGESIZE);
  const std::optional<std::string> stat_line = ReadFile("/proc/self/stat");
  const std::optional<ProcStat> stat =
      stat_line.has_value() ? ParseProcStat(*stat_line) : std::nullopt;
  if (stat.has_value() && ticks > 0 && page > 0) {
    AddGauge(&out, "process_cpu_seconds_total",
             "Total user and system CPU time spent in seconds.",
             MetricType::Counter,
             static_cast<double>(stat->utime_ticks + stat->stime_ticks) /
                 static_cast<double>(ticks));
    AddGauge(
        &out, "process_resident_memory_bytes", "Resident memory size in bytes.",
        MetricType::Gauge,
        static_cast<double>(stat->resident_pages) * static_cast<double>(page));
    AddGauge(&out, "process_virtual_memory_bytes",
             "Virtual memory size in bytes.", MetricType::Gauge,
             static_cast<double>(stat->virtual_bytes));
    const std::optional<std::string> proc_stat = ReadFile("/proc/stat");
    if (std::optional<uint64_t> boot =
            proc_stat.has_value() ? ParseBootTime(*proc_stat) : std::nullopt) {
      AddGauge(
          &out, "process_start_time_seconds",
          "Start time of the process since unix epoch in seconds.",
          MetricType::Gauge,
          static_cast<double>(*boot) + static_cast<double>(stat->start_ticks) /
                                           static_cast<double>(ticks));
    }
  }
  if (std::optional<uint64_t> fds = OpenFds()) {
    AddGauge(&out, "process_open_fds", "Number of open file descriptors.",
             MetricType::Gauge, static_cast<double>(*fds));
  }
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    AddGauge(&out, "process_max_fds",
             "Maximum number of open file descriptors.", MetricType::Gauge,
             limit.rlim_cur == RLIM_INFINITY
                 ? std::numeric_limits<double>::infinity()
                 : static_cast<double>(limit.rlim_cur));
  }
  return out;
}

}  // namespace jwtauth::server
