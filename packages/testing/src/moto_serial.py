"""moto's server — the same application and request handler as `moto_server` — applying one request at a time.

moto evaluates a conditional write (DynamoDB PutItem with a ConditionExpression, S3 PutObject with
If-None-Match) and then stores it, in two steps without a lock, and its server runs every request in a
thread of its own. Two concurrent lock writes can therefore both pass their condition: seen in the locking
suite as two `tofu apply` runs both acquiring the same DynamoDB lock (PutItem answered 200 twice within a
millisecond), so "exactly one wins" failed with two winners; the "no winner" failure of issue 15 fits the
same race (both take the lock, then neither can release it cleanly). AWS applies each conditional write atomically; holding one lock around the application restores
that. Sockets are still served by threads, so a slow client never blocks the accept loop.

Usage: python moto_serial.py -H 127.0.0.1 -p PORT [--exit-with-stdin]   (started by packages/testing/src/moto.ts)
"""

import argparse
import gc
import os
import signal
import socket
import sys
import threading
import time

import moto.backends as backends
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server


class LoggingRequestHandler(MotoRequestHandler):
    """moto's handler, saying more in the log: a connection that breaks around a request (werkzeug ignores
    it silently), and with each request line the client's port and the AWS operation (X-Amz-Target). A
    reply that never reaches its client is how an engine comes to retry a lock write that was already
    applied (a self-held lock); these lines let a failed test show where a reply went."""

    def connection_dropped(self, error, environ=None):  # type: ignore[no-untyped-def]
        target = (environ or {}).get("HTTP_X_AMZ_TARGET", "")
        method = (environ or {}).get("REQUEST_METHOD", "?")
        path = (environ or {}).get("PATH_INFO", "?")
        self.log("error", "ConnectionDropped: %s %s %s from port %s: %r", method, path, target, self.client_address[1], error)

    def log_request(self, code="-", size="-"):  # type: ignore[no-untyped-def]
        target = self.headers.get("X-Amz-Target", "") if getattr(self, "headers", None) else ""
        self.log("info", '"%s" %s %s port=%s%s', getattr(self, "requestline", "?"), code, size, self.client_address[1], f" target={target}" if target else "")


def close_noting_unread(server):  # type: ignore[no-untyped-def]
    """The server's per-connection close, noting bytes the client sent that nobody read: closing a socket
    with unread input makes the kernel send a reset instead of a clean end, and the client can then lose
    a reply it had not read yet."""
    original = server.shutdown_request

    def shutdown_request(request):  # type: ignore[no-untyped-def]
        try:
            unread = request.recv(65536, socket.MSG_PEEK | socket.MSG_DONTWAIT)
            if unread:
                port = request.getpeername()[1]
                print(f"{time.strftime('%H:%M:%S')} UnreadAtClose: {len(unread)} bytes from port {port}: {unread[:120]!r}", file=sys.stderr, flush=True)
        except (BlockingIOError, OSError):
            pass
        original(request)

    server.shutdown_request = shutdown_request


def exit_at_end_of_stdin() -> None:
    """The launcher holds the other end of stdin: end of file means it is gone, however it ended."""
    while sys.stdin.buffer.read(65536):
        pass
    os._exit(0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    parser.add_argument("--exit-with-stdin", action="store_true", help="exit when stdin closes (the launching process ended)")
    args = parser.parse_args()
    if args.exit_with_stdin:
        threading.Thread(target=exit_at_end_of_stdin, daemon=True).start()
    os.environ.setdefault("MOTO_PORT", str(args.port))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    app = DomainDispatcherApplication(create_backend_app)
    app.debug = True  # as moto_server does
    lock = threading.Lock()

    def one_at_a_time(environ, start_response):  # type: ignore[no-untyped-def]
        with lock:
            # The whole response is produced under the lock; werkzeug sends it after.
            return list(app(environ, start_response))

    # moto's imports leave a large, long-lived object graph; every full collection of Python's cyclic GC
    # walked all of it (a fifth of the server's CPU in the integration suites). Moved out of the collector's
    # generations, with fewer young-generation collections: requests allocate short-lived objects in bursts.
    # moto asks, for every request, whether the host names one of its modules by listing its package folder
    # and stat-ing each entry (a sixth of its request CPU here); the folder does not change while it runs.
    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules

    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)

    server = make_server(args.host, args.port, one_at_a_time, threaded=True, request_handler=LoggingRequestHandler)
    close_noting_unread(server)
    # The launcher waits for this line in this process's own log: an answer on the port alone could come
    # from another server that took the port between its probe and this bind.
    print(f"moto_serial {os.getpid()} listening on {args.host}:{args.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
