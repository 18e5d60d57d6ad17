"""Runs moto's DynamoDB-compatible server on one thread.

moto's own `moto_server` serves requests on many threads, but its DynamoDB models take no
locks: two conditional writes racing on one item can both pass their check, and a
transaction can fail with a 500 while copying a table another thread is changing. Real
DynamoDB makes each item write and each transaction atomic; serving one request at a time
gives the tests that guarantee, so a race the tests find is ours, not the emulator's.

Usage: python moto_server.py HOST PORT
"""

import sys

from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(host, port, app, threaded=False, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
