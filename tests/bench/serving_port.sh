# shellcheck shell=sh
# Sourced by the benchmark scripts that start a server (POSIX sh).
#
# serving_port LOG PID [TRIES]: the gRPC port from the server's
# {"event":"serving",...,"grpc_port":"N"} line in LOG (its stderr), polled
# every 0.1 s up to TRIES times (default 300, i.e. 30 s: a loaded 2-core CI
# machine can take seconds to start it). Prints nothing if PID exits first
# or time runs out.
serving_port() {
  local log=$1 pid=$2 tries=${3:-300} port=""
  for _ in $(seq 1 "$tries"); do
    port=$(sed -n 's/.*"event":"serving".*"grpc_port":"\([0-9]*\)".*/\1/p' "$log" | head -n 1)
    [ -n "$port" ] && break
    kill -0 "$pid" 2> /dev/null || break
    sleep 0.1
  done
  printf '%s' "$port"
}
