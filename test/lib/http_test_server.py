#!/usr/bin/env python3
"""A small HTTP/1.1 server for pg_jobs' HTTP tests (Python 3 standard library only).

Threaded (one thread per connection), keep-alive, loopback by default. Start it with

    python3 test/lib/http_test_server.py [--host 127.0.0.1 | ::1] [--port 0] [--port-file FILE] [--verbose]

It prints the port it listens on as the first line of stdout (useful with --port 0), also
writes it to --port-file when given, and runs until SIGTERM or SIGINT.

Endpoints (any method; HEAD answers the headers only). Every endpoint also takes
`?delay=MS`, which waits that long before answering.

    /  and  /ok              200 {"ok": true, "method": ..., "path": ...}
    /job-result              200 job-result JSON: {"success": true, "itemsProcessed": 10,
                             "itemsSucceeded": 10, "itemsFailed": 0, "error": null,
                             "metadata": {...}}; ?processed=&succeeded=&failed= change the counts
    /job-failure             200 {"success": false, ..., "error": "the job failed"}; ?error= sets it
    /status/CODE             status CODE (100-599) with a small JSON body (none for 1xx, 204, 304)
    /delay/MS                200 JSON after MS milliseconds
    /bytes/N                 200 text/plain body of N bytes ("0123456789" repeated)
    /redirect[/CODE]         CODE (default 302) with Location: ?to=URL, default /ok
    /text                    200 text/plain "hello from http_test_server\n"
    /bad-bytes[/CODE]        CODE (default 200) with a text/plain body that is not valid UTF-8
                             (Latin-1 bytes, a lone continuation byte, a cut sequence)
    /redirect-bad-bytes[/CODE]  CODE (default 302) with an absolute Location that is not valid UTF-8
    /drop                    closes the connection without answering
    /record[/ANY]            stores the request (method, path, headers, body); 200 {"recorded": N}
                             (?status=CODE answers CODE instead, after storing it)
    /echo                    200 {"headers": {name: value}}: the request's headers sent back (a service that
                             echoes credentials); ?status=CODE answers CODE instead
    /received                GET: JSON list of the stored requests, oldest first, each
                             {"method", "path", "headers": {name: value}, "body"} (body as text);
                             DELETE: forgets them
    /stats                   GET: {"connections_accepted", "connections_open", "max_connections_open",
                             "requests", "requests_in_progress", "max_requests_in_progress"};
                             DELETE: resets the counters (open ones stay counted)
    anything else            404 {"error": "no such endpoint"}
"""

import argparse
import json
import os
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

IDLE_CONNECTION_SECONDS = 120
# Not UTF-8: Latin-1 "café", bytes that never appear in UTF-8, a sequence
# cut short. No NUL: a body with NUL bytes is binary, not text.
BAD_BYTES = b"caf\xe9 \xff\xfe \xc3( \xe2\x82 end"
MAX_DELAY_MS = 600_000


class State:
    """What the server counts and records, shared by all connection threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.recorded = []
        self.connections_open = 0
        self.requests_in_progress = 0
        self.reset_counters()

    def reset_counters(self):
        """Zeroes the totals; the maxima restart from what is open now."""
        with self.lock:
            self.connections_accepted = 0
            self.max_connections_open = self.connections_open
            self.requests = 0
            self.max_requests_in_progress = self.requests_in_progress

    def connection_opened(self):
        with self.lock:
            self.connections_accepted += 1
            self.connections_open += 1
            self.max_connections_open = max(self.max_connections_open, self.connections_open)

    def connection_closed(self):
        with self.lock:
            self.connections_open -= 1

    def request_started(self):
        with self.lock:
            self.requests += 1
            self.requests_in_progress += 1
            self.max_requests_in_progress = max(self.max_requests_in_progress, self.requests_in_progress)

    def request_finished(self):
        with self.lock:
            self.requests_in_progress -= 1

    def stats(self):
        with self.lock:
            return {
                "connections_accepted": self.connections_accepted,
                "connections_open": self.connections_open,
                "max_connections_open": self.max_connections_open,
                "requests": self.requests,
                "requests_in_progress": self.requests_in_progress,
                "max_requests_in_progress": self.max_requests_in_progress,
            }


STATE = State()


def int_or(text, default, low, high):
    try:
        return min(max(int(text), low), high)
    except (TypeError, ValueError):
        return default


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: every answer carries Content-Length
    server_version = "pg_jobs_http_test_server"
    timeout = IDLE_CONNECTION_SECONDS  # an idle keep-alive connection is closed after this
    # Headers and body go out in separate writes: without this, Nagle's
    # algorithm and the client's delayed ACK add 40 ms to every answer.
    disable_nagle_algorithm = True
    verbose = False

    # --- connection bookkeeping ------------------------------------------------

    def setup(self):
        super().setup()
        STATE.connection_opened()

    def finish(self):
        try:
            super().finish()
        finally:
            STATE.connection_closed()

    def log_message(self, format, *args):  # noqa: A002 (BaseHTTPRequestHandler's signature)
        if self.verbose:
            sys.stderr.write("http_test_server: " + (format % args) + "\n")

    # --- answering ---------------------------------------------------------------

    def send(self, status, body=b"", content_type="application/json", headers=()):
        if isinstance(body, (dict, list)):
            body = (json.dumps(body) + "\n").encode()
        elif isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        no_body = status < 200 or status in (204, 304)
        if not no_body:
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if not no_body and self.command != "HEAD":
            self.wfile.write(body)

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int_or(self.headers.get("Content-Length"), 0, 0, 1 << 30)
        return self.rfile.read(length) if length else b""

    def handle_any(self):
        STATE.request_started()
        try:
            self.route()
        finally:
            STATE.request_finished()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = handle_any

    def route(self):
        url = urlsplit(self.path)
        query = {name: values[-1] for name, values in parse_qs(url.query).items()}
        body = self.read_body()  # always, so the connection stays usable
        parts = [part for part in url.path.split("/") if part]
        name = parts[0] if parts else "ok"
        argument = parts[1] if len(parts) > 1 else None

        delay = int_or(query.get("delay"), 0, 0, MAX_DELAY_MS)
        if name == "delay":
            delay = int_or(argument, 0, 0, MAX_DELAY_MS)
        if delay:
            time.sleep(delay / 1000)

        if name in ("ok", "delay"):
            self.send(200, {"ok": True, "method": self.command, "path": self.path})
        elif name == "job-result":
            processed = int_or(query.get("processed"), 10, 0, 1 << 31)
            succeeded = int_or(query.get("succeeded"), processed, 0, 1 << 31)
            failed = int_or(query.get("failed"), processed - succeeded, 0, 1 << 31)
            self.send(200, {"success": True, "itemsProcessed": processed, "itemsSucceeded": succeeded,
                            "itemsFailed": failed, "error": None,
                            "metadata": {"server": "http_test_server", "method": self.command}})
        elif name == "job-failure":
            self.send(200, {"success": False, "itemsProcessed": 0, "itemsSucceeded": 0, "itemsFailed": 0,
                            "error": query.get("error", "the job failed"), "metadata": {}})
        elif name == "status":
            code = int_or(argument, 0, 0, 999)
            if not 100 <= code <= 599:
                self.send(400, {"error": "use /status/CODE with CODE from 100 to 599"})
            else:
                self.send(code, {"status": code})
        elif name == "bytes":
            size = int_or(argument, 0, 0, 1 << 30)
            pattern = b"0123456789"
            self.send(200, (pattern * (size // len(pattern) + 1))[:size], content_type="text/plain")
        elif name == "redirect":
            code = int_or(argument, 302, 300, 399)
            self.send(code, {"redirect": query.get("to", "/ok")}, headers=[("Location", query.get("to", "/ok"))])
        elif name == "bad-bytes":
            self.send(int_or(argument, 200, 200, 599), BAD_BYTES, content_type="text/plain")
        elif name == "redirect-bad-bytes":
            # Absolute (libcurl percent-encodes a relative one); send_header
            # writes str as Latin-1, so each of these characters is one raw byte.
            location = ("http://" + self.headers.get("Host", "localhost") + "/caf" +
                        BAD_BYTES.decode("latin-1")[3:].replace(" ", "/"))
            self.send(int_or(argument, 302, 300, 399), {"redirect": "bad bytes"}, headers=[("Location", location)])
        elif name == "text":
            self.send(200, "hello from http_test_server\n", content_type="text/plain; charset=utf-8")
        elif name == "drop":
            self.close_connection = True  # nothing sent: the client sees the connection close
        elif name == "record":
            entry = {"method": self.command, "path": self.path, "headers": dict(self.headers.items()),
                     "body": body.decode("utf-8", errors="replace")}
            with STATE.lock:
                STATE.recorded.append(entry)
                count = len(STATE.recorded)
            self.send(int_or(query.get("status"), 200, 200, 599), {"recorded": count})
        elif name == "echo":
            self.send(int_or(query.get("status"), 200, 200, 599), {"headers": dict(self.headers.items())})
        elif name == "received":
            with STATE.lock:
                recorded = list(STATE.recorded)
                if self.command == "DELETE":
                    STATE.recorded.clear()
            self.send(200, recorded)
        elif name == "stats":
            if self.command == "DELETE":
                STATE.reset_counters()
            self.send(200, STATE.stats())
        else:
            self.send(404, {"error": "no such endpoint", "path": url.path})


class Server(ThreadingHTTPServer):
    daemon_threads = True  # a slow answer never holds up shutdown
    request_queue_size = 1024  # listen backlog: many clients connect at once
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # A client that hangs up early (a cut body, a timeout, an abort) is
        # part of the tests, not an error worth a traceback.
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)) and not Handler.verbose:
            return
        super().handle_error(request, client_address)


def main():
    parser = argparse.ArgumentParser(description="HTTP test server for pg_jobs (see the module docstring)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--port-file", help="also write the port to this file")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args()

    Handler.verbose = args.verbose
    if ":" in args.host:
        Server.address_family = socket.AF_INET6  # e.g. --host ::1
    server = Server((args.host, args.port), Handler)
    port = server.server_address[1]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(f"{port}\n")
        os.replace(args.port_file + ".tmp", args.port_file)
    print(port, flush=True)

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
