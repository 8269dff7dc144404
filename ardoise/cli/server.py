"""Serving the app with gevent: many idle Socket.IO connections on few threads."""

from __future__ import annotations

import gc
import logging
import signal
import time

import socketio
from gevent.pywsgi import WSGIHandler, WSGIServer

from ardoise import batching
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


#: A collection that holds the server longer than this is reported (every greenlet waits).
LONG_GC_MS = 50.0
#: Young-generation threshold: a web node allocates fast, and most of what it allocates
#: (a save's rows, a message's frames) dies within a few greenlet switches. Collecting
#: every 700 allocations (Python's default) promotes such objects to the old generation,
#: whose full collections then hold every connection of the node for hundreds of ms.
GC_THRESHOLDS = (50_000, 20, 10)


class CollectionWatch:
    """Measures the garbage collector's pauses; a background loop logs the long ones (not
    the callback itself: a collection may run anywhere, even inside the logging module)."""

    def __init__(self) -> None:
        self.started = 0.0
        self.long: list[tuple[int, float]] = []

    def callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self.started = time.perf_counter()
        elif (held := (time.perf_counter() - self.started) * 1000) >= LONG_GC_MS:
            self.long.append((info["generation"], held))

    def report(self, logger: logging.Logger) -> None:
        long, self.long = self.long, []
        if long:
            logger.warning("%s garbage collections held the server %s ms or more, the "
                           "longest %.0f ms (generations %s)", len(long), int(LONG_GC_MS),
                           max(ms for _g, ms in long),
                           ",".join(sorted({str(g) for g, _ms in long})))


def tune_collector(server: socketio.Server) -> None:
    """Freeze what start-up made (modules, the app: never garbage), collect the young
    generation less often, and report every minute the collections that still held the
    node long and how many saves and events shared each transaction."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    watch = CollectionWatch()
    gc.callbacks.append(watch.callback)
    logger = logging.getLogger("ardoise.load")

    def loop() -> None:
        while True:
            server.sleep(60)
            watch.report(logger)
            for name, requests, batches in batching.activity():
                logger.info("group commit of %s: %s in %s transactions", name, requests,
                            batches)

    server.start_background_task(loop)


def run_server(config: Config, host: str, port: int, *, sweeper: bool = True) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    app = create_app(config, async_mode="gevent")
    if sweeper:
        start_sweeper(app)
    tune_collector(app.extensions["ardoise.sio"])
    server = WSGIServer((host, port), app, handler_class=Handler, log=None,
                        error_log=logging.getLogger("wsgi"))
    signal.signal(signal.SIGTERM, lambda *_: server.stop(timeout=5))
    logging.getLogger("ardoise").info("serving on http://%s:%s/", host, port)
    server.serve_forever()
