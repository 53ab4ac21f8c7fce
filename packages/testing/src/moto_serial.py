"""moto's server — the same application and request handler as `moto_server` — applying one request at a time.

moto evaluates a conditional write (DynamoDB PutItem with a ConditionExpression, S3 PutObject with
If-None-Match) and then stores it, in two steps without a lock, and its server runs every request in a
thread of its own. Two concurrent lock writes can therefore both pass their condition: seen in the locking
suite as two `tofu apply` runs both acquiring the same DynamoDB lock (PutItem answered 200 twice within a
millisecond), so "exactly one wins" failed with two winners; the "no winner" failure of issue 15 fits the
same race (both take the lock, then neither can release it cleanly). AWS applies each conditional write atomically; holding one lock around the application restores
that. Sockets are still served by threads, so a slow client never blocks the accept loop.

Usage: python moto_serial.py -H 127.0.0.1 -p PORT   (started by packages/testing/src/moto.ts)
"""

import argparse
import os
import signal
import sys
import threading

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple


class LoggingRequestHandler(MotoRequestHandler):
    """moto's handler, saying so in the log when a connection breaks around a request: werkzeug ignores it
    silently, and a reply that never reaches its client is how an engine comes to retry a lock write that
    was already applied (a self-held lock). The test harness prints these lines with a failure."""

    def connection_dropped(self, error, environ=None):  # type: ignore[no-untyped-def]
        target = (environ or {}).get("HTTP_X_AMZ_TARGET", "")
        method = (environ or {}).get("REQUEST_METHOD", "?")
        path = (environ or {}).get("PATH_INFO", "?")
        self.log("error", "ConnectionDropped: %s %s %s: %r", method, path, target, error)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    args = parser.parse_args()
    os.environ.setdefault("MOTO_PORT", str(args.port))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    app = DomainDispatcherApplication(create_backend_app)
    app.debug = True  # as moto_server does
    lock = threading.Lock()

    def one_at_a_time(environ, start_response):  # type: ignore[no-untyped-def]
        with lock:
            # The whole response is produced under the lock; werkzeug sends it after.
            return list(app(environ, start_response))

    run_simple(args.host, args.port, one_at_a_time, threaded=True, request_handler=LoggingRequestHandler)


if __name__ == "__main__":
    main()
