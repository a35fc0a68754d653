#ifndef JWTAUTH_CLI_COMMANDS_H_
#define JWTAUTH_CLI_COMMANDS_H_

// The `jwtauth` commands. Each takes the whole argv (argv[1] is the command
// name), prints its result to stdout and its errors to stderr, and returns
// the process exit code (cli/args.h: kExitOk, kExitInvalidToken, kExitUsage,
// kExitError).

namespace jwtauth::cli {

// verify TOKEN|- [--server ADDR | --config FILE] [--provider P]
//        [--audience A] [--json]   (verify_command.cc)
int RunVerify(int argc, char** argv);
// issue [--sub S] [--aud A]... [--claim K=V]... [--claims JSON] [--ttl D]
//       [--subject-token T|-] [--caller-token T] [--json]   (issue_command.cc)
int RunIssue(int argc, char** argv);
// keys [--provider P] [--jwks]   (keys_command.cc)
int RunKeys(int argc, char** argv);
// keygen --alg ALG [--kid KID]   (keygen_command.cc)
int RunKeygen(int argc, char** argv);

}  // namespace jwtauth::cli

#endif  // JWTAUTH_CLI_COMMANDS_H_
