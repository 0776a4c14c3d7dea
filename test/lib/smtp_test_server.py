#!/usr/bin/python3
"""Loopback SMTP server for the tests of e-mail jobs (Debian's python3-aiosmtpd).

Prints its port on the first line of stdout, then keeps every message it
accepts as DIR/<n>.json: {"mail_from", "rcpt_tos", "data"} (data as text).
Recipients whose local part starts with "tempfail" get 451 (try again
later), "reject" 550 (no such user). With --login USER:PASSWORD it offers
AUTH PLAIN/LOGIN (without TLS, loopback only) and requires it.

  smtp_test_server.py --port 0 --record-dir DIR [--login user:password]
"""
import argparse
import asyncio
import json
import os
import signal
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Recorder:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0]
        if local.startswith("tempfail"):
            return "451 4.3.0 mailbox busy, try again later"
        if local.startswith("reject"):
            return "550 5.1.1 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "data": envelope.original_content.decode("utf-8", "replace"),
        }
        path = os.path.join(self.directory, "%d.json" % self.count)
        with open(path + ".tmp", "w", encoding="utf-8") as out:
            json.dump(record, out)
        os.replace(path + ".tmp", path)
        return "250 Message accepted"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--record-dir", required=True)
    parser.add_argument("--login")
    args = parser.parse_args()

    options = {}
    if args.login:
        user, password = args.login.split(":", 1)

        def authenticate(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user \
                and auth_data.password.decode() == password
            return AuthResult(success=ok)

        options = dict(authenticator=authenticate, auth_require_tls=False, auth_required=True)

    # Port 0: find a free one first (the controller needs a number).
    port = args.port
    if port == 0:
        import socket
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
    controller = Controller(Recorder(args.record_dir), hostname="127.0.0.1", port=port,
                            server_hostname="pg-jobs-test", **options)
    controller.start()
    print(port, flush=True)
    stop = asyncio.Event()
    loop = asyncio.new_event_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.run_until_complete(stop.wait())
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
