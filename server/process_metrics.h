#ifndef JWTAUTH_SERVER_PROCESS_METRICS_H_
#define JWTAUTH_SERVER_PROCESS_METRICS_H_

// ProcessMetrics: the standard Prometheus process families, read from /proc
// at scrape time (as the Go and Python clients do), for dashboards that
// already know them:
//   process_cpu_seconds_total       counter  user + system CPU time
//   process_resident_memory_bytes   gauge    RSS
//   process_virtual_memory_bytes    gauge    virtual size
//   process_open_fds                gauge    entries of /proc/self/fd
//   process_max_fds                 gauge    RLIMIT_NOFILE soft limit
//   process_start_time_seconds      gauge    Unix time the process started
// A family whose source cannot be read (no /proc) is left out.
// Thread-safe (no state). Not copyable or movable.

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/strings/string_view.h"
#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"

namespace jwtauth::server {

// The fields of /proc/<pid>/stat this needs, in the kernel's units.
struct ProcStat {
  uint64_t utime_ticks = 0;
  uint64_t stime_ticks = 0;
  uint64_t start_ticks = 0;  // since boot
  uint64_t virtual_bytes = 0;
  uint64_t resident_pages = 0;
};

// Parses one /proc/<pid>/stat line. The command name may hold spaces and
// parentheses: fields are counted from its last ')'. nullopt if malformed.
std::optional<ProcStat> ParseProcStat(absl::string_view line);

// The "btime" (boot time, Unix seconds) of a /proc/stat text, or nullopt.
std::optional<uint64_t> ParseBootTime(absl::string_view proc_stat);

class ProcessMetrics final : public prometheus::Collectable {
 public:
  ProcessMetrics() = default;
  ProcessMetrics(const ProcessMetrics&) = delete;
  ProcessMetrics& operator=(const ProcessMetrics&) = delete;

  std::vector<prometheus::MetricFamily> Collect() const override;
};

}  // namespace jwtauth::server

#endif  // JWTAUTH_SERVER_PROCESS_METRICS_H_
