"""The Flask application factory: it only wires the parts together."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask import Flask

from ardoise.celery_app import configure_celery
from ardoise.config import Config, from_env
from ardoise.db import Database
from ardoise.worker import context as task_context
from web import errors, hooks, i18n, navigation, pages, sockets
from web.admin import bp as admin_bp
from web.api import bp as api_bp
from web.api.items import bp as api_items_bp
from web.api.lab import bp as api_lab_bp
from web.auth import bp as auth_bp
from web.lab import bp as lab_bp
from web.marking import bp as marking_bp
from web.media import bp as media_bp
from web.student import bp as student_bp
from web.teacher import bp as teacher_bp
from web.uploads import bp as uploads_bp


def create_app(config: Config | None = None, *, async_mode: str = "threading") -> Flask:
    """Build the web application for ``config`` (read from the environment by default).

    :param async_mode: the Socket.IO server's mode: ``threading`` for tests and
        simple hosting, ``gevent`` for ``ardoise serve``.
    """
    config = config or from_env()
    app = Flask(__name__, instance_path=str(Path(config.data_dir).resolve()))
    app.config.update(
        SECRET_KEY=config.secret_key,
        SESSION_COOKIE_NAME="ardoise_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.session_cookie_secure,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=None,
        RATELIMIT_STORAGE_URI=config.redis_url or "memory://",
        RATELIMIT_KEY_PREFIX="ardoise-limit",
        MAX_CONTENT_LENGTH=8 * 1024 * 1024,
    )
    database = Database(config.effective_database_url)
    app.extensions["ardoise.config"] = config
    app.extensions["ardoise.db"] = database
    task_context.bind(database)
    configure_celery(config)

    i18n.init_app(app)
    hooks.init_app(app, trusted_proxies=config.trusted_proxies)
    errors.init_app(app)
    navigation.init_app(app)
    app.register_blueprint(auth_bp)
    pages.init_app(app)
    app.register_blueprint(student_bp)
    app.register_blueprint(lab_bp)
    app.register_blueprint(teacher_bp)
    app.register_blueprint(marking_bp)
    app.register_blueprint(uploads_bp)
    app.register_blueprint(media_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(api_items_bp)
    app.register_blueprint(api_lab_bp)
    sockets.init_app(app, async_mode=async_mode)
    return app
