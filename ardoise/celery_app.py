"""The Celery application object; configured per process from a :class:`Config`."""

from __future__ import annotations

import os

from celery import Celery

from ardoise.config import Config

celery = Celery("ardoise", include=["ardoise.worker.tasks"])


def configure_celery(config: Config) -> Celery:
    """Point Celery at Redis, or run every task in-process when no broker is configured."""
    visibility = int(os.environ.get("ARDOISE_CELERY_VISIBILITY_TIMEOUT", "3600"))
    celery.conf.update(
        broker_url=config.redis_url or "memory://localhost/",
        result_backend=None,
        task_always_eager=config.redis_url is None,
        # A failing task must not fail the request that queued it (a submit stays submitted).
        task_eager_propagates=False,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue="default",
        task_routes={"ardoise.run_code": {"queue": "sandbox"},
                     "ardoise.grade_submission": {"queue": "sandbox"},
                     "ardoise.grade_attempt_code": {"queue": "sandbox"}},
        # Sweep for a dead worker's unacknowledged jobs every interval (not every tenth).
        broker_transport_options={"visibility_timeout": visibility,
                                  "unacked_restore_interval": max(1, min(10, visibility // 10)),
                                  "unacked_restore_throttle": 1},
        broker_connection_retry_on_startup=True,
        task_ignore_result=True,
    )
    return celery
