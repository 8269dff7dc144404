"""Serving the app with gevent: many idle Socket.IO connections on few threads."""

from __future__ import annotations

import logging
import signal

from gevent.pywsgi import WSGIServer

from ardoise.config import Config
from web import create_app
from web.sockets import start_sweeper


def run_server(config: Config, host: str, port: int, *, sweeper: bool = True) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    app = create_app(config, async_mode="gevent")
    if sweeper:
        start_sweeper(app)
    server = WSGIServer((host, port), app, log=None, error_log=logging.getLogger("wsgi"))
    signal.signal(signal.SIGTERM, lambda *_: server.stop(timeout=5))
    logging.getLogger("ardoise").info("serving on http://%s:%s/", host, port)
    server.serve_forever()
