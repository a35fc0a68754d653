#!/usr/bin/env python3
"""Faults under load: the real jwtauth-server, driven by load_generator at a
steady open-loop rate (Verify and Check), while its surroundings fail.

  fault_soak.py BUILD_DIR SCENARIO [--seconds S] [--rate R] [--sanitized]

Scenarios (each prints its figures: calls, failures, p99, RSS before/after):
  jwks     the JWKS URL answers 500, hangs, sends 10 MiB, sends garbage,
           disappears, comes back, then rotates (a new kid)
  reload   the config file is replaced by a broken one, then a good one
  sigterm  SIGTERM while calls are in flight
  leak     clients killed mid-call and calls whose deadline expires
  flood    8 KiB garbage tokens next to a steady stream of good ones

Hard assertions (the exit status): zero failed calls for tokens under keys
that stayed good, faults really observed (fetch errors, rejected reload),
rotated keys and the good config taking effect, exit code 0 within the
grace period, fds and RSS back to baseline within a tolerance, garbage never
accepted, RSS bounded under the flood, and the server exiting 0 when each
scenario ends (an ASan/LSan/UBSan report makes it exit non-zero). Latency
and throughput ratios (p99 under faults vs the fault-free run, good-token
rate under the flood) are printed, never asserted: the box is shared and
noisy.

--sanitized (ctest passes it in ASan + UBSan builds, such as the ci
preset's): RSS there is mostly the sanitizer's. Freed memory waits in
ASan's quarantine (256 MiB by default: the leak and flood scenarios reached
400-480 MiB from ~160), so the scenarios cap it at ASAN_SOAK_QUARANTINE_MB
for every process they start (the most recent frees are still poisoned, so
a use after free is still caught) and keep the absolute RSS bounds. The
leak scenario's "no growth over the second half of the rounds" is printed
but not asserted there: the runtime's allocation-stack depot and allocator
metadata keep growing by ~2 MiB per quarter of the rounds under this load
even with no quarantine (1aaca51: 165.9, 168.0, 172.4, 174.2 MiB against
31.5, 31.9, 32.1, 32.2 plain), and a real leak is LSan's to report at the
exit the scenarios check. The plain builds (debug, release; the soak
label) assert it.

--seconds is the length of each load phase (default: $JWTAUTH_SOAK_SECONDS,
else 2); the `soak` ctest label runs the same scenarios with 30.
Loopback only; every process and wait is bounded.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from soak_lib import (MIB, Failure, JwksServer, LoadGen, Server,  # noqa: E402
                      check, fmt_load, wait_until)

SECRET1 = "soak-secret-one-0123456789abcdef0123"
SECRET2 = "soak-secret-two-0123456789abcdef0123"


# ASan's quarantine under --sanitized (see the module docstring).
ASAN_SOAK_QUARANTINE_MB = 8


class Env:
    def __init__(self, build, workdir, seconds, rate, sanitized=False):
        self.build = build
        self.sanitized = sanitized
        self.dir = workdir
        self.seconds = seconds
        self.rate = rate
        self.server_bin = os.path.join(build, "server", "jwtauth-server")
        self.loadgen_bin = os.path.join(build, "tests", "bench", "load_generator")
        self.keys_bin = os.path.join(build, "tests", "bench", "bench_keys")
        self.server = None
        self.jwks = None
        for name, secret in (("hs1.txt", SECRET1), ("hs2.txt", SECRET2)):
            self.write(name, secret)

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, text):
        # Atomic replace, as a config management tool would do it.
        tmp = self.path(name + ".tmp")
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, self.path(name))

    def es_key(self, kid):
        """An ES256 key pair; returns the JWKS entry of its public half."""
        pem, out = self.path(kid + ".pem"), self.path(kid + ".jwks")
        subprocess.run([self.keys_bin, "pem", "--alg", "ES256", "--private",
                        pem, "--public", self.path(kid + ".pub.pem")],
                       check=True)
        subprocess.run([self.keys_bin, "jwks", "--alg", "ES256", "--count",
                        "0", "--add-pem", pem, "--add-kid", kid, "--out", out],
                       check=True)
        with open(out) as f:
            return json.load(f)["keys"][0]

    def config(self, keys=("hs1",), jwks=False, extra_server="", extra=""):
        lines = [
            "server: {listen: \"127.0.0.1:0\", admin_listen: \"127.0.0.1:0\","
            " watch_interval: 200ms, shutdown_grace: 5s%s}" % extra_server,
            "providers:",
            "  - name: soak",
            "    issuers: [https://bench]",
            "    audiences: [api]",
            "    keys:",
        ]
        for kid in keys:
            lines.append("      - {kid: %s, alg: HS256, secret_file: %s.txt}"
                         % (kid, kid))
        if jwks:
            lines += ["    jwks_urls:",
                      "      - {url: \"%s\", timeout: 1s, refresh: "
                      "{default: 1s, min: 1s, max: 1s}}" % self.jwks.url()]
        lines.append("log: {level: info}")
        return "\n".join(lines) + "\n" + extra

    def start_server(self, config_text):
        self.write("config.yaml", config_text)
        self.server = Server(self.server_bin, self.path("config.yaml"), self.dir)
        check(wait_until(lambda: self.server.admin("/readyz")[0] == 200, 30),
              "server never ready:\n" + self.server.log())

    def load(self, method, kid, seconds=None, rate=None, extra=()):
        """Load with tokens under `kid` (hs*: HS256, else ES256): open loop
        at `rate`, or closed loop when `extra` sets --inflight."""
        args = ["--method", method, "--kid", kid, "--seconds",
                str(seconds or self.seconds), "--requests", "100000000",
                "--label", "%s-%s" % (method, kid)]
        if "--inflight" not in extra:
            args += ["--rate", str(rate or self.rate)]
        if "--tokens" not in extra:
            args += ["--tokens", "50"]
        if "--channels" not in extra:
            args += ["--channels", "2"]
        if kid.startswith("hs"):
            args += ["--secret-file", self.path(kid + ".txt")]
        else:
            args += ["--alg", "ES256", "--key-file", self.path(kid + ".pem")]
        return LoadGen(self.loadgen_bin, self.server.target, args + list(extra))

    def both(self, kid, seconds=None):
        """Verify and Check side by side; returns their results."""
        runs = [self.load("verify", kid, seconds), self.load("check", kid, seconds)]
        return [r.result() for r in runs]

    def probe(self):
        return {"rss": self.server.rss(), "fds": self.server.fds(),
                "threads": self.server.threads()}


def report_rss(name, before, after):
    print("%s: RSS before=%.1f MiB after=%.1f MiB; fds before=%d after=%d; "
          "threads before=%d after=%d"
          % (name, before["rss"] / MIB, after["rss"] / MIB, before["fds"],
             after["fds"], before["threads"], after["threads"]))


def ratio_line(name, value, target, what):
    verdict = "within" if value <= target else "OVER"
    print("%s: %s ratio %.2f (target <= %.1f: %s; reported, not asserted)"
          % (name, what, value, target, verdict))


def scenario_jwks(env):
    entry1 = env.es_key("es1")
    entry2 = env.es_key("es2")
    env.jwks = JwksServer({"keys": [entry1]})
    env.start_server(env.config(jwks=True))
    base = env.both("es1")
    for r in base:
        print(fmt_load("fault-free", r))
        check(r["errors"] == 0, "fault-free run failed calls")
    before = env.probe()
    errors_before = env.server.metric("jwtauth_jwks_fetch_total", 'result="error"')
    modes = ["500", "hang", "big", "garbage", "down", "ok"]
    phase = max(env.seconds, 2.5)  # > fetch timeout + refresh interval
    runs = [env.load("verify", "es1", phase * len(modes)),
            env.load("check", "es1", phase * len(modes))]
    for mode in modes:
        env.jwks.set_mode(mode)
        time.sleep(phase)
    faulted = [r.result() for r in runs]
    fetch_errors = env.server.metric("jwtauth_jwks_fetch_total",
                                     'result="error"') - errors_before
    for r, b in zip(faulted, base):
        print(fmt_load("under JWKS faults (500, hang, 10 MiB, garbage, gone)", r))
        check(r["errors"] == 0, "a token under the last good keys failed")
        ratio_line("JWKS faults " + r["method"], r["p99_us"] / max(b["p99_us"], 1),
                   2.0, "p99 vs fault-free")
    print("JWKS fetch errors during the faults: %d (of %d fetches served)"
          % (fetch_errors, env.jwks.requests))
    check(fetch_errors >= 3, "the faults were not observed by the refresher")
    # Rotation: a new kid appears; the refresher must pick it up.
    env.jwks.document = {"keys": [entry1, entry2]}
    start = time.monotonic()
    picked = wait_until(lambda: env.load("verify", "es2", 0.2, 50).result(
        timeout=30)["errors"] == 0, 30, step=0.2)
    print("rotated key es2 picked up after %.1f s" % (time.monotonic() - start))
    check(picked, "rotated key never picked up")
    for r in env.both("es2"):
        print(fmt_load("after rotation (new kid)", r))
        check(r["errors"] == 0, "tokens under the rotated key failed")
    report_rss("jwks", before, env.probe())


def scenario_reload(env):
    env.start_server(env.config(keys=("hs1",)))
    base = env.both("hs1")
    for r in base:
        print(fmt_load("fault-free", r))
    before = env.probe()
    runs = [env.load("verify", "hs1", env.seconds * 3),
            env.load("check", "hs1", env.seconds * 3)]
    time.sleep(env.seconds)
    env.write("config.yaml", env.config(keys=("hs1", "hs2")).replace(
        "audiences: [api]", "audiences: [api"))  # broken YAML
    rejected = env.server.wait_event("config_rejected", 30)
    check(rejected is not None, "broken config not rejected:\n" + env.server.log())
    print("broken config rejected: %s" % rejected.get("error", "")[:120])
    old = env.load("verify", "hs2", 0.5, 50).result()
    check(old["errors"] > 0, "hs2 accepted before the good config")
    env.write("config.yaml", env.config(keys=("hs1", "hs2")))
    check(wait_until(lambda: env.server.metric(
        "jwtauth_config_reloads_total", 'result="ok"') >= 1, 30),
        "good config not loaded:\n" + env.server.log())
    for r in [r.result() for r in runs]:
        print(fmt_load("during broken + good config", r))
        check(r["errors"] == 0, "calls failed during the reloads")
    for r in env.both("hs2"):
        print(fmt_load("new key from the good config", r))
        check(r["errors"] == 0, "the good config did not take effect")
    print("reloads: rejected=%d ok=%d" % (
        env.server.metric("jwtauth_config_reloads_total", 'result="rejected"'),
        env.server.metric("jwtauth_config_reloads_total", 'result="ok"')))
    report_rss("reload", before, env.probe())


def scenario_sigterm(env):
    drain, grace = 4.0, 5.0
    env.start_server(env.config(
        extra_server=", drain_delay: %ds" % drain))
    base = env.both("hs1")
    for r in base:
        print(fmt_load("fault-free", r))
    # Calls run for 2 s; SIGTERM comes 0.5 s in. The drain keeps serving for
    # `drain` s, so every call of the run is made and completes in it.
    runs = [env.load("verify", "hs1", 2), env.load("check", "hs1", 2),
            env.load("verify", "hs1", 2, extra=["--inflight", "32"])]
    time.sleep(0.5)
    at_signal = env.probe()
    start = time.monotonic()
    env.server.proc.send_signal(signal.SIGTERM)
    results = [r.result() for r in runs]
    try:
        code = env.server.proc.wait(drain + grace + 10)
    except subprocess.TimeoutExpired:
        code = None  # reported below
    took = time.monotonic() - start
    for r in results:
        print(fmt_load("across SIGTERM", r))
        check(r["errors"] == 0, "a call in flight at SIGTERM failed")
    print("exit code %s after %.1f s (drain %.0f s + grace %.0f s); RSS at "
          "the signal %.1f MiB, %d fds, %d threads"
          % (code, took, drain, grace, at_signal["rss"] / MIB,
             at_signal["fds"], at_signal["threads"]))
    check(code == 0, "exit code %s:\n%s" % (code, env.server.log()))
    check(took <= drain + grace + 5, "shutdown took longer than the grace")
    check(env.server.events("stopped"), "no stopped event")


def scenario_leak(env):
    # Every load_generator run mints new tokens (a new jti), so the
    # verification cache grows by design until its bound; a small bound
    # keeps that growth out of what is measured here.
    env.start_server(env.config(extra="cache: {max_entries: 100}\n"))
    warm = env.both("hs1")  # thread pools and arenas at their steady size
    for r in warm:
        print(fmt_load("warm-up", r))
    time.sleep(1)
    before = env.probe()
    rounds = max(4, int(env.seconds * 2))
    killed = expired = 0
    rss_by_round = []
    for i in range(rounds):
        # A closed loop of 64 calls on 4 connections, killed mid-call.
        victim = env.load("verify" if i % 2 else "check", "hs1", 30,
                          extra=["--inflight", "64", "--channels", "4"])
        time.sleep(0.4)
        victim.kill()
        killed += 1
        # Deadlines of 1 ms: most calls expire on the way.
        r = env.load("verify", "hs1", 0.5, 2000,
                     extra=["--deadline-ms", "1"]).result()
        expired += int(r["errors"])
        rss_by_round.append(env.server.rss())
    settled = wait_until(lambda: env.server.fds() <= before["fds"] + 2, 15)
    after = env.probe()
    print("leak: %d client processes killed mid-call, %d calls past their "
          "deadline" % (killed, expired))
    report_rss("leak", before, after)
    quarter = [rss_by_round[len(rss_by_round) * q // 4 - 1] for q in (1, 2, 3, 4)]
    print("leak: RSS after each quarter of the rounds: %s MiB" % ", ".join(
        "%.1f" % (v / MIB) for v in quarter))
    check(env.server.proc.poll() is None, "server died")
    check(settled, "fds not back to baseline: %d -> %d"
          % (before["fds"], after["fds"]))
    check(after["rss"] <= before["rss"] * 1.25 + 16 * MIB,
          "RSS grew: %.1f -> %.1f MiB" % (before["rss"] / MIB, after["rss"] / MIB))
    # A leak grows with every round; warm-up growth stops early. Under the
    # sanitizers their own metadata grows too (module docstring): reported.
    if env.sanitized:
        print("leak: second-half growth %.1f MiB (<= 4 asserted in plain "
              "builds only)" % ((quarter[3] - quarter[1]) / MIB))
    else:
        check(quarter[3] - quarter[1] <= 4 * MIB,
              "RSS still growing in the second half of the rounds")
    for r in env.both("hs1"):
        print(fmt_load("after the disconnects", r))
        check(r["errors"] == 0, "calls fail after the disconnects")


def scenario_flood(env):
    env.start_server(env.config())
    base = env.load("verify", "hs1").result()
    print(fmt_load("good tokens alone", base))
    before = env.probe()
    peak = [before["rss"]]
    flood = env.load("verify", "hs1", env.seconds + 1, extra=[
        "--inflight", "16", "--tokens", "200",
        "--invalid-fraction", "1", "--garbage-bytes", "8192"])
    good = env.load("verify", "hs1")
    deadline = time.monotonic() + env.seconds + 1
    while time.monotonic() < deadline:
        peak.append(env.server.rss())
        time.sleep(0.1)
    g, f = good.result(), flood.result()
    after = env.probe()
    print(fmt_load("good tokens under the flood", g))
    print(fmt_load("8 KiB garbage tokens (closed loop, 16 in flight)", f))
    print("flood: RSS before=%.1f MiB peak=%.1f MiB after=%.1f MiB"
          % (before["rss"] / MIB, max(peak) / MIB, after["rss"] / MIB))
    check(g["errors"] == 0, "good tokens failed under the flood")
    check(f["errors"] == 0, "a garbage token was accepted")
    check(f["requests"] > 0, "no garbage was sent")
    check(max(peak) <= before["rss"] + 64 * MIB, "RSS not bounded")
    rate = g["rps"] / max(base["rps"], 1)
    verdict = "met" if rate >= 0.8 else "BELOW"
    print("flood: good-token rate %.2f of fault-free (target >= 0.80: %s; "
          "reported, not asserted)" % (rate, verdict))


SCENARIOS = {"jwks": scenario_jwks, "reload": scenario_reload,
             "sigterm": scenario_sigterm, "leak": scenario_leak,
             "flood": scenario_flood}


def check_exit(server):
    """Stops the server (SIGTERM) and asserts it exits 0: a sanitizer
    report at exit, LSan's leak check included, exits non-zero."""
    if server is None:
        return
    code = server.stop()
    check(code == 0, "server exited with %s at the end; its log ends:\n%s"
          % (code, "\n".join(server.log().splitlines()[-40:])))


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("build")
    p.add_argument("scenario", choices=sorted(SCENARIOS) + ["all"])
    p.add_argument("--seconds", type=float,
                   default=float(os.environ.get("JWTAUTH_SOAK_SECONDS", "2")))
    p.add_argument("--rate", type=float, default=200)
    p.add_argument("--sanitized", action="store_true",
                   help="the build is under ASan + UBSan (see above)")
    a = p.parse_args()
    if a.sanitized:
        # Inherited by the server and the load generators.
        os.environ["ASAN_OPTIONS"] = ":".join(filter(None, [
            os.environ.get("ASAN_OPTIONS", ""),
            "quarantine_size_mb=%d" % ASAN_SOAK_QUARANTINE_MB]))
    names = sorted(SCENARIOS) if a.scenario == "all" else [a.scenario]
    failed = 0
    for name in names:
        workdir = tempfile.mkdtemp(prefix="jwtauth-soak-")
        env = Env(os.path.abspath(a.build), workdir, a.seconds, a.rate,
                  a.sanitized)
        start = time.monotonic()
        print("== %s (%.0f s phases, %.0f calls/s per stream) ==" % (
            name, a.seconds, a.rate), flush=True)
        try:
            SCENARIOS[name](env)
            check_exit(env.server)
            print("PASS %s (%.1f s)" % (name, time.monotonic() - start))
        except Failure as e:
            failed += 1
            print("FAIL %s: %s" % (name, e))
        finally:
            if env.server is not None:
                env.server.stop()
            if env.jwks is not None:
                env.jwks.down()
            shutil.rmtree(workdir, ignore_errors=True)
        sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
