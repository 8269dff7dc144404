"""Serving the app with gevent: many idle Socket.IO connections on few threads."""

from __future__ import annotations

import logging
import signal

from gevent.pywsgi import WSGIHandler, WSGIServer

from ardoise.config import Config
from web import create_app
from web.sockets import start_sweeper


class Handler(WSGIHandler):
    """After a WebSocket ends, close its TCP connection instead of reading it as HTTP again."""

    def run_application(self) -> None:
        try:
            super().run_application()
        finally:
            if self.environ.get("HTTP_UPGRADE", "").lower() == "websocket":
                self.close_connection = True


def run_server(config: Config, host: str, port: int, *, sweeper: bool = True) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    app = create_app(config, async_mode="gevent")
    if sweeper:
        start_sweeper(app)
    server = WSGIServer((host, port), app, handler_class=Handler, log=None,
                        error_log=logging.getLogger("wsgi"))
    signal.signal(signal.SIGTERM, lambda *_: server.stop(timeout=5))
    logging.getLogger("ardoise").info("serving on http://%s:%s/", host, port)
    server.serve_forever()
