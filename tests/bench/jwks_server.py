#!/usr/bin/env python3
"""Serves the files of one directory on 127.0.0.1 for the JWKS benchmarks.

  jwks_server.py DIR        prints {"event":"serving","http_port":"NNNN"}

Every GET reads the file afresh and answers 200 with no caching headers (no
Last-Modified, ETag or Cache-Control), so a refresher configured with a short
interval sees a swapped file on its next fetch, whatever the file's mtime.
Loopback only; stops on SIGTERM.
"""

import http.server
import json
import os
import signal
import sys


def make_handler(root):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's naming)
            name = os.path.basename(self.path.split("?", 1)[0])
            path = os.path.join(root, name)
            try:
                with open(path, "rb") as f:
                    body = f.read()
            except OSError:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, fmt, *args):
            pass  # quiet: one line per fetch would drown the report

    return Handler


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: jwks_server.py DIR")
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), make_handler(os.path.abspath(sys.argv[1])))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(json.dumps({"event": "serving",
                      "http_port": str(server.server_address[1])}),
          file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
