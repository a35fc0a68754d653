#include "tests/cli/cli_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

extern char** environ;

namespace jwtauth::testutil {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::vector<std::string> Environment(
    const std::map<std::string, std::optional<std::string>>& env) {
  std::vector<std::string> out;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    const std::string name = entry.substr(0, entry.find('='));
    if (env.count(name) == 0) out.push_back(entry);
  }
  for (const auto& [name, value] : env) {
    if (value.has_value()) out.push_back(absl::StrCat(name, "=", *value));
  }
  return out;
}

// Spawns with stdin/stdout/stderr from/to the given files; returns the pid
// or -1.
int Spawn(const std::string& binary, const std::vector<std::string>& args,
          const std::string& in, const std::string& out, const std::string& err,
          const std::map<std::string, std::optional<std::string>>& env) {
  std::vector<std::string> argv_s = {binary};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_s = Environment(env);
  std::vector<char*> envp;
  for (std::string& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, in.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = 0;
  const int rc =
      posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    ADD_FAILURE() << "posix_spawn " << binary << ": " << rc;
    return -1;
  }
  return pid;
}

int ExitCode(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

}  // namespace

ProcessResult RunProcess(
    const std::string& binary, const std::vector<std::string>& args,
    const std::string& dir, const std::string& stdin_text,
    const std::map<std::string, std::optional<std::string>>& env) {
  const std::string in = dir + "/stdin.txt";
  const std::string out = dir + "/stdout.txt";
  const std::string err = dir + "/stderr.txt";
  std::ofstream(in, std::ios::binary | std::ios::trunc) << stdin_text;
  ProcessResult r;
  const int pid = Spawn(binary, args, in, out, err, env);
  if (pid < 0) return r;
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) {
    ADD_FAILURE() << "waitpid failed";
    return r;
  }
  r.exit_code = ExitCode(status);
  r.out = ReadAll(out);
  r.err = ReadAll(err);
  return r;
}

ProcessResult RunCli(const std::vector<std::string>& args,
                     const std::string& dir, const std::string& stdin_text) {
  return RunProcess(JWTAUTH_CLI_PATH, args, dir, stdin_text,
                    {{"JWTAUTH_SERVER", std::nullopt}});
}

std::unique_ptr<ServerProcess> ServerProcess::Start(
    const std::vector<std::string>& args, const std::string& dir) {
  const std::string err = dir + "/server_stderr.txt";
  const int pid = Spawn(JWTAUTH_SERVER_PATH, args, "/dev/null",
                        dir + "/server_stdout.txt", err,
                        {{"JWTAUTH_CONFIG", std::nullopt},
                         {"JWTAUTH_SERVER_LISTEN", "127.0.0.1:0"},
                         {"JWTAUTH_SERVER_ADMIN_LISTEN", "127.0.0.1:0"}});
  if (pid < 0) return nullptr;
  std::unique_ptr<ServerProcess> p(new ServerProcess(pid, err));
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (absl::Now() < deadline) {
    for (absl::string_view line : absl::StrSplit(ReadAll(err), '\n')) {
      nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_object() && j.value("event", "") == "serving") {
        p->target_ = absl::StrCat("127.0.0.1:", j.value("grpc_port", ""));
        return p;
      }
    }
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      p->pid_ = -1;
      ADD_FAILURE() << "jwtauth-server exited (" << ExitCode(status) << "):\n"
                    << ReadAll(err);
      return nullptr;
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  ADD_FAILURE() << "jwtauth-server not serving within 60s:\n" << ReadAll(err);
  return nullptr;
}

ServerProcess::~ServerProcess() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  int status = 0;
  while (::waitpid(pid_, &status, WNOHANG) == 0) {
    if (absl::Now() >= deadline) {
      ADD_FAILURE() << "jwtauth-server ignored SIGTERM";
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      return;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
}

std::string ServerProcess::Stderr() const { return ReadAll(err_path_); }

}  // namespace jwtauth::testutil
