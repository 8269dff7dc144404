"""Mapping errors to answers: JSON for the API, a translated page for people."""

from __future__ import annotations

from flask import Flask, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ardoise.errors import DomainError
from web.messages import message_for

HTTP_CODES = {
    400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
    405: "bad_request", 409: "conflict", 413: "bad_request", 422: "invalid",
    429: "rate_limited", 500: "server_error",
}


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def error_response(code: str, status: int, params: dict[str, object] | None = None
                   ) -> ResponseReturnValue:
    message = message_for(code, params)
    if wants_json():
        return jsonify({"error": code, "message": message}), status
    if status == 401:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if status == 429 and request.endpoint == "auth.login":
        return render_template("login.html", username=request.form.get("username", ""),
                               error=message), 429
    return render_template("error.html", message=message, status=status), status


def _domain(error: DomainError) -> ResponseReturnValue:
    return error_response(error.code, error.status, error.params)


def _csrf(_error: CSRFError) -> ResponseReturnValue:
    return error_response("csrf", 400)


def _http(error: HTTPException) -> ResponseReturnValue:
    status = error.code or 500
    return error_response(HTTP_CODES.get(status, "bad_request"), status)


def init_app(app: Flask) -> None:
    app.register_error_handler(DomainError, _domain)
    app.register_error_handler(CSRFError, _csrf)
    app.register_error_handler(HTTPException, _http)
