#include "server/library_logs.h"

#include <atomic>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/stubs/logging.h"
#include "grpc/support/log.h"

namespace jwtauth::server {
namespace {

// The handlers are plain function pointers: the route's Logger is global.
std::atomic<Logger*> g_logger{nullptr};
google::protobuf::LogHandler* g_protobuf_before = nullptr;

void Emit(LogLevel level, absl::string_view library, absl::string_view severity,
          const char* file, int line, absl::string_view message) {
  Logger* logger = g_logger.load(std::memory_order_acquire);
  if (logger == nullptr || !logger->Enabled(level)) return;
  logger->Log(level, "library_log",
              {{"library", std::string(library)},
               {"severity", std::string(severity)},
               {"file", file != nullptr ? std::string(file) : std::string()},
               {"line", absl::StrCat(line)},
               {"message", std::string(message)}});
}

void FromProtobuf(google::protobuf::LogLevel level, const char* file, int line,
                  const std::string& message) {
  using google::protobuf::LogLevel;
  absl::string_view severity = "info";
  if (level == LogLevel::LOGLEVEL_WARNING) severity = "warning";
  if (level == LogLevel::LOGLEVEL_ERROR) severity = "error";
  if (level == LogLevel::LOGLEVEL_FATAL) severity = "fatal";
  Emit(level == LogLevel::LOGLEVEL_FATAL ? server::LogLevel::kError
                                         : server::LogLevel::kDebug,
       "protobuf", severity, file, line, message);
}

void FromGrpc(gpr_log_func_args* args) {
  const bool error = args->severity == GPR_LOG_SEVERITY_ERROR;
  Emit(error ? LogLevel::kWarn : LogLevel::kDebug, "grpc",
       gpr_log_severity_string(args->severity), args->file, args->line,
       args->message != nullptr ? args->message : "");
}

}  // namespace

LibraryLogRoute::LibraryLogRoute(Logger* logger) {
  g_logger.store(logger, std::memory_order_release);
  g_protobuf_before = google::protobuf::SetLogHandler(&FromProtobuf);
  gpr_set_log_function(&FromGrpc);
}

LibraryLogRoute::~LibraryLogRoute() {
  google::protobuf::SetLogHandler(g_protobuf_before);
  gpr_set_log_function(nullptr);  // gRPC's own default (stderr)
  g_logger.store(nullptr, std::memory_order_release);
}

}  // namespace jwtauth::server
