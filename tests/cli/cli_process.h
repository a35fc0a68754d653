#ifndef JWTAUTH_TESTS_CLI_CLI_PROCESS_H_
#define JWTAUTH_TESTS_CLI_CLI_PROCESS_H_

// Process helpers for the CLI tests: run the built `jwtauth` (JWTAUTH_CLI_PATH)
// or `jwtauth-server` (JWTAUTH_SERVER_PATH) binary with arguments, stdin
// text and environment, capturing exit code, stdout and stderr (through
// files in a test directory: no pipe deadlock); and a real jwtauth-server
// process on 127.0.0.1 port 0 whose gRPC port is read from its "serving"
// log line.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace jwtauth::testutil {

struct ProcessResult {
  int exit_code = -1;  // -signal when killed
  std::string out;
  std::string err;
};

// Runs `binary args...` to completion in `dir` (which holds the capture
// files). `env` entries are set (value) or removed (nullopt) on top of this
// process's environment.
ProcessResult RunProcess(
    const std::string& binary, const std::vector<std::string>& args,
    const std::string& dir, const std::string& stdin_text = "",
    const std::map<std::string, std::optional<std::string>>& env = {});

ProcessResult RunCli(const std::vector<std::string>& args,
                     const std::string& dir,
                     const std::string& stdin_text = "");

// A running jwtauth-server; SIGTERM and reaped by the destructor.
class ServerProcess final {
 public:
  // Starts `jwtauth-server args...` with JWTAUTH_CONFIG unset and the
  // listen addresses overridden to 127.0.0.1:0; waits for its "serving"
  // log line (info level: a config must not set log.level above info).
  // nullptr (with a test failure) if it does not start.
  static std::unique_ptr<ServerProcess> Start(
      const std::vector<std::string>& args, const std::string& dir);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // "127.0.0.1:<grpc port>".
  const std::string& target() const { return target_; }
  std::string Stderr() const;

 private:
  ServerProcess(int pid, std::string err_path)
      : pid_(pid), err_path_(std::move(err_path)) {}
  int pid_;
  std::string err_path_;
  std::string target_;
};

}  // namespace jwtauth::testutil

#endif  // JWTAUTH_TESTS_CLI_CLI_PROCESS_H_
