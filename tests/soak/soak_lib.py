"""Processes and probes for the fault soak (tests/soak/fault_soak.py).

Everything runs on 127.0.0.1: the real jwtauth-server binary, a JWKS HTTP
server with scripted faults (in this process, one thread), load_generator
processes, and /proc probes of the server (RSS, open file descriptors).
Every wait has a deadline.
"""

import http.server
import json
import os
import random
import re
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request

MIB = 1024 * 1024


class Failure(Exception):
    """A hard assertion of a scenario failed."""


def check(cond, message):
    if not cond:
        raise Failure(message)


def wait_until(pred, timeout, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return pred()


class JwksServer:
    """A JWKS endpoint whose answer is scripted by `mode`:

    ok       200 with the current document
    500      HTTP 500
    hang     holds the request (the fetch times out), then closes
    big      200 with a 10 MiB body
    garbage  200 with random bytes
    down     not listening at all (connection refused); up() restores it
    """

    def __init__(self, document):
        self.document = document
        self.mode = "ok"
        self.requests = 0
        self.port = 0
        self._lock = threading.Lock()
        self._server = None
        self.up()

    def _handler(self):
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                with outer._lock:
                    outer.requests += 1
                    mode, doc = outer.mode, outer.document
                try:
                    if mode == "500":
                        self.send_error(500)
                        return
                    if mode == "hang":
                        deadline = time.monotonic() + 5
                        while outer.mode == "hang" and time.monotonic() < deadline:
                            time.sleep(0.05)
                        return
                    if mode == "big":
                        body = b" " * (10 * MIB)
                    elif mode == "garbage":
                        body = bytes(random.getrandbits(8) for _ in range(4096))
                    else:
                        body = json.dumps(doc).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the fetcher gave up (size cap, timeout)

            def log_message(self, fmt, *args):
                pass

        return Handler

    def up(self):
        http.server.ThreadingHTTPServer.allow_reuse_address = True
        self._server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", self.port), self._handler())
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def down(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def set_mode(self, mode):
        if mode == "down":
            self.down()
        elif self._server is None:
            self.up()
        self.mode = mode

    def url(self):
        return "http://127.0.0.1:%d/jwks.json" % self.port


class Server:
    """The jwtauth-server binary with --config; stderr (JSON logs) to a file."""

    def __init__(self, binary, config_path, workdir):
        self.log_path = os.path.join(workdir, "server.log")
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([binary, "--config", config_path],
                                     stdout=self._log, stderr=self._log)
        serving = self.wait_event("serving", 60)
        check(serving is not None, "server did not start:\n" + self.log())
        self.grpc_port = int(serving["grpc_port"])
        self.admin_port = int(serving["admin_port"])
        self.target = "127.0.0.1:%d" % self.grpc_port

    def log(self):
        with open(self.log_path, "r", errors="replace") as f:
            return f.read()

    def events(self, name):
        out = []
        for line in self.log().splitlines():
            try:
                e = json.loads(line)
            except ValueError:
                continue
            if e.get("event") == name:
                out.append(e)
        return out

    def wait_event(self, name, timeout, count=1):
        found = []

        def seen():
            found[:] = self.events(name)
            return len(found) >= count or self.proc.poll() is not None

        wait_until(seen, timeout)
        return found[count - 1] if len(found) >= count else None

    def admin(self, path):
        url = "http://127.0.0.1:%d%s" % (self.admin_port, path)
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def metric(self, name, labels=""):
        """Sum of the samples of `name` whose label text contains `labels`."""
        _, text = self.admin("/metrics")
        total = 0.0
        for line in text.splitlines():
            m = re.match(r"^(\w+)(\{[^}]*\})? (\S+)$", line)
            if m and m.group(1) == name and labels in (m.group(2) or ""):
                total += float(m.group(3))
        return total

    def rss(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0

    def fds(self):
        return len(os.listdir("/proc/%d/fd" % self.proc.pid))

    def threads(self):
        return len(os.listdir("/proc/%d/task" % self.proc.pid))

    def stop(self, timeout=30):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return self.proc.returncode


class LoadGen:
    """One load_generator process; result() parses its key=value line."""

    def __init__(self, binary, target, args):
        self.cmd = [binary, "--target", target, "--warmup", "0"] + args
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)

    def kill(self):
        self.proc.kill()
        self.proc.communicate()

    def result(self, timeout=120):
        out, err = self.proc.communicate(timeout=timeout)
        line = out.strip().splitlines()[-1] if out.strip() else ""
        fields = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
        check("requests" in fields,
              "load_generator printed no result (exit %d): %s %s"
              % (self.proc.returncode, out, err))
        return {k: (float(v) if re.match(r"^-?[0-9.]+$", v) else v)
                for k, v in fields.items()}


def fmt_load(name, r):
    return ("%s: calls=%d failures=%d rps=%.0f p99_us=%.0f"
            % (name, r["requests"], r["errors"], r["rps"], r["p99_us"]))
