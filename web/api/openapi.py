"""The OpenAPI 3.1 document of /api/v1, item-type payloads included from the registry."""

from __future__ import annotations

from typing import Any

from item_bank.registry import default_registry
from proctoring.reviews import MAX_PROCTOR_NOTE
from web.api.lab_openapi import lab_paths, lab_schemas

TIME = {"type": "string", "format": "date-time", "description": "ISO 8601 in UTC, with Z"}
ERROR = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string", "description": "stable machine code",
                  "enum": ["late", "paused", "locked", "other_device", "forbidden",
                           "not_found", "seq_conflict", "invalid_response", "submitted",
                           "sitting_not_open", "sitting_closed", "bad_access_code",
                           "unauthenticated", "rate_limited", "csrf", "invalid", "conflict",
                           "already_released", "extension_invalid", "server_error",
                           "bad_request", "announcement_invalid", "outside_range",
                           "seb_required", "seb_mismatch", "note_invalid"]},
        "message": {"type": "string", "description": "translated for the caller"},
    },
}
ANSWER = {
    "type": "object",
    "required": ["slot", "seq", "response"],
    "properties": {"slot": {"type": "integer", "minimum": 0},
                   "seq": {"type": "integer", "minimum": 0},
                   "response": {"description": "shape depends on the slot's item type"}},
}
SLOT_RESULT = {
    "type": "object",
    "properties": {"slot": {"type": "integer"}, "points": {"type": ["number", "null"]},
                   "max_points": {"type": ["number", "null"]},
                   "correct": {"type": ["boolean", "null"]},
                   "awaiting_marking": {"type": "boolean",
                                        "description": "a person has yet to mark this answer"},
                   "marked": {"type": "boolean", "description": "marked by a person"},
                   "comment": {"type": ["string", "null"],
                               "description": "the marker's comment to the student"}},
}


def _item_type_schemas() -> dict[str, Any]:
    registry = default_registry()
    schemas: dict[str, Any] = {}
    variants = []
    for name in registry.names():
        item_type = registry.get(name)
        render_name = f"Render_{name}"
        schemas[render_name] = item_type.render_schema
        schemas[f"Response_{name}"] = item_type.response_schema
        variants.append({
            "type": "object",
            "required": ["slot", "item_type", "render", "points"],
            "properties": {
                "slot": {"type": "integer"},
                "item_type": {"const": name},
                "points": {"type": "number"},
                "render": {"$ref": f"#/components/schemas/{render_name}"},
            },
            "description": f"Response shape: #/components/schemas/Response_{name}",
        })
    schemas["Slot"] = {"oneOf": variants}
    return schemas


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _errors(*codes: int) -> dict[str, Any]:
    return {str(c): _json(_ref("Error"), "Error") for c in codes}


ITEM: dict[str, Any] = {
    "type": "object",
    "required": ["id", "type", "title", "version", "status"],
    "properties": {
        "id": {"type": "string"}, "type": {"type": "string"}, "title": {"type": "string"},
        "version": {"type": "integer"},
        "status": {"enum": ["draft", "reviewed", "published", "retired"]},
        "bank_id": {"type": ["string", "null"]}, "subject": {"type": ["string", "null"]},
        "level": {"type": ["string", "null"]}, "competency": {"type": ["string", "null"]},
        "difficulty": {"type": ["integer", "null"], "minimum": 1, "maximum": 5},
        "licence": {"type": ["string", "null"]},
        "tags": {"type": "array", "items": {"type": "string"}},
        "source_id": {"type": ["string", "null"]}, "created_at": TIME,
    },
}


def openapi_document() -> dict[str, Any]:
    schemas: dict[str, Any] = {
        "Error": ERROR,
        "Answer": ANSWER,
        "Sitting": {
            "type": "object",
            "required": ["id", "title", "opens_at", "closes_at"],
            "properties": {
                "id": {"type": "string"}, "title": {"type": "string"},
                "exam_id": {"type": "string"}, "opens_at": TIME, "closes_at": TIME,
                "time_limit_seconds": {"type": ["integer", "null"]},
                "access_code_required": {"type": "boolean"},
                "display_mode": {"enum": ["one", "all"]}, "released": {"type": "boolean"},
                "attempt_id": {"type": ["string", "null"]},
                "attempt_state": {"enum": ["not_started", "in_progress", "submitted"]},
            },
        },
        "Attempt": {
            "type": "object",
            "required": ["id", "state", "deadline", "answers"],
            "properties": {
                "id": {"type": "string"}, "attempt_id": {"type": "string"},
                "sitting_id": {"type": "string"},
                "state": {"enum": ["in_progress", "submitted"]},
                "started_at": TIME, "deadline": TIME, "server_now": TIME,
                "paused": {"type": "boolean"}, "submitted_at": {**TIME, "type": ["string", "null"]},
                "receipt": {"type": ["string", "null"],
                            "description": "the last hash of the answer log, once submitted"},
                "answers": {"type": "array", "items": _ref("Answer")},
                "slots": {"type": "array", "items": _ref("Slot"),
                          "description": "only for the student taking the attempt"},
                "result": {
                    "type": ["object", "null"],
                    "description": "null until the teacher releases the results",
                    "properties": {"score": {"type": ["number", "null"],
                                             "description": "null while answers await "
                                                            "marking"},
                                   "max_score": {"type": "number"},
                                   "awaiting_marking": {"type": "integer",
                                                        "description": "answers still to mark"},
                                   "slots": {"type": "array", "items": SLOT_RESULT}},
                },
            },
        },
        "LogEntry": {
            "type": "object",
            "required": ["seq", "slot", "response", "saved_at", "hash"],
            "properties": {"seq": {"type": "integer"}, "slot": {"type": "integer"},
                           "response": {}, "saved_at": TIME,
                           "hash": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                           "applied": {"type": "boolean",
                                       "description": "false for a stale_seq save"}},
        },
        "AttemptLog": {
            "type": "object",
            "required": ["attempt_id", "genesis", "entries", "last_hash"],
            "properties": {"attempt_id": {"type": "string"}, "genesis": {"type": "string"},
                           "entries": {"type": "array", "items": _ref("LogEntry")},
                           "last_hash": {"type": "string"},
                           "receipt": {"type": ["string", "null"]}},
        },
        "SaveRequest": {
            "type": "object", "required": ["slot", "seq", "response"],
            "properties": {"slot": {"type": "integer"}, "seq": {"type": "integer"},
                           "response": {}, "client_ts": {"type": "string"}},
        },
        "SaveAck": {
            "type": "object", "required": ["ok", "seq", "saved_at", "hash"],
            "properties": {"ok": {"const": True}, "seq": {"type": "integer"},
                           "saved_at": TIME, "hash": {"type": "string"},
                           "stale_seq": {"type": "boolean"}, "duplicate": {"type": "boolean"}},
        },
        "SubmitAck": {"type": "object", "required": ["ok", "receipt"],
                      "properties": {"ok": {"const": True}, "receipt": {"type": "string"}}},
        "Clock": {"type": "object",
                  "properties": {"ok": {"type": "boolean"}, "deadline": TIME,
                                 "server_now": TIME, "paused": {"type": "boolean"},
                                 "remaining_ms": {"type": "integer",
                                                  "description": "only while paused"}}},
        "Progress": {
            "type": "object",
            "properties": {
                "sitting_id": {"type": "string"}, "server_now": TIME,
                "candidates": {"type": "array", "items": {"type": "object", "properties": {
                    "person_id": {"type": "string"}, "username": {"type": "string"},
                    "name": {"type": "string"}, "attempt_id": {"type": ["string", "null"]},
                    "state": {"enum": ["not_started", "in_progress", "paused", "submitted",
                                       "locked", "idle", "disconnected"]},
                    "answered": {"type": "integer"}, "total": {"type": "integer"},
                    "last_saved_at": {"type": ["string", "null"]},
                    "deadline": {"type": ["string", "null"]},
                    "score": {"type": ["number", "null"]},
                    "max_score": {"type": ["number", "null"]},
                    "flags": {"type": "array", "items": {"type": "string"},
                              "description": "integrity rules raised, in order; flagged "
                                             "students come first"}}}},
            },
        },
        **_item_type_schemas(),
    }
    attempt_id = {"name": "attempt_id", "in": "path", "required": True,
                  "schema": {"type": "string"}}
    sitting_id = {"name": "sitting_id", "in": "path", "required": True,
                  "schema": {"type": "string"}}
    paths: dict[str, Any] = {
        "/sittings": {"get": {
            "summary": "The caller's sittings; for a student, those they may take now",
            "responses": {"200": _json({"type": "object", "properties": {
                "sittings": {"type": "array", "items": _ref("Sitting")}}}), **_errors(401)}}},
        "/sittings/{sitting_id}/attempts": {"post": {
            "summary": "Start or resume the caller's attempt",
            "parameters": [sitting_id],
            "requestBody": {"content": {"application/json": {"schema": {
                "type": "object", "properties": {"access_code": {"type": "string"}}}}}},
            "responses": {"200": _json(_ref("Attempt"), "Resumed"),
                          "201": _json(_ref("Attempt"), "Started"),
                          **_errors(401, 403, 404, 409, 422)}}},
        "/sittings/{sitting_id}/release": {"post": {
            "summary": "Release the sitting's results to its students (teacher)",
            "parameters": [sitting_id],
            "responses": {"200": _json({"type": "object", "properties": {
                "id": {"type": "string"}, "released_at": TIME}}), **_errors(401, 403, 404, 409)}}},
        "/sittings/{sitting_id}/progress": {"get": {
            "summary": "Who is in progress and how far (teacher, proctor)",
            "parameters": [sitting_id],
            "responses": {"200": _json(_ref("Progress")), **_errors(401, 403, 404)}}},
        "/sittings/{sitting_id}/extend": {"post": {
            "summary": "Extend every attempt in progress by minutes or by a percentage of the "
                       "time limit (proctor, teacher; audited); each page gets timer:sync",
            "parameters": [sitting_id],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object",
                "properties": {"minutes": {"type": "integer"},
                               "percent": {"type": "number"}}}}}},
            "responses": {"200": _json({"type": "object", "properties": {
                "ok": {"type": "boolean"}, "seconds": {"type": "integer"},
                "attempts": {"type": "integer"}}}), **_errors(401, 403, 404, 422)}}},
        "/sittings/{sitting_id}/announcements": {"post": {
            "summary": "Send a message to every student of the sitting (proctor, teacher)",
            "parameters": [sitting_id],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["text"],
                "properties": {"text": {"type": "string", "maxLength": 500}}}}}},
            "responses": {"200": _json({"type": "object", "properties": {
                "ok": {"type": "boolean"}, "text": {"type": "string"}, "at": TIME}}),
                **_errors(401, 403, 404, 422)}}},
        "/attempts/{attempt_id}": {"get": {
            "summary": "An attempt: state, answers, and the result once released",
            "parameters": [attempt_id],
            "responses": {"200": _json(_ref("Attempt")), **_errors(401, 403, 404)}}},
        "/attempts/{attempt_id}/log": {"get": {
            "summary": "The hash-chained answer log, to recompute the receipt",
            "parameters": [attempt_id],
            "responses": {"200": _json(_ref("AttemptLog")), **_errors(401, 403, 404)}}},
        "/attempts/{attempt_id}/answers": {"post": {
            "summary": "Save one answer (the REST twin of attempt:save)",
            "parameters": [attempt_id],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": _ref("SaveRequest")}}},
            "responses": {"200": _json(_ref("SaveAck")), **_errors(401, 403, 404, 409, 422)}}},
        "/attempts/{attempt_id}/answers/{slot}/file": {"post": {
            "summary": "Hand in a file for a file_upload slot (the attempt's student, before "
                       "its deadline); save the returned reference as the slot's answer",
            "parameters": [attempt_id, {"name": "slot", "in": "path", "required": True,
                                        "schema": {"type": "integer", "minimum": 0}}],
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "required": ["file"],
                "properties": {"file": {"type": "string", "format": "binary"}}}}}},
            "responses": {"201": _json({"type": "object", "required": ["ok", "response"],
                                        "properties": {"ok": {"type": "boolean"},
                                                       "response": _ref("Response_file_upload")}},
                                       "Stored"),
                          **_errors(401, 403, 404, 409, 413, 422)}}},
        "/attempts/{attempt_id}/submit": {"post": {
            "summary": "Submit the attempt; the receipt is the last hash of its log",
            "parameters": [attempt_id],
            "responses": {"200": _json(_ref("SubmitAck")), **_errors(401, 403, 404, 409)}}},
        "/attempts/{attempt_id}/pause": {"post": {
            "summary": "Pause an attempt's clock (proctor, teacher)", "parameters": [attempt_id],
            "responses": {"200": _json(_ref("Clock")), **_errors(401, 403, 404, 409)}}},
        "/attempts/{attempt_id}/unlock": {"post": {
            "summary": "Free an attempt from its device (one-device sittings): the next "
                       "browser that joins holds it (proctor, teacher; audited)",
            "parameters": [attempt_id],
            "responses": {"200": _json(_ref("Clock")), **_errors(401, 403, 404)}}},
        "/attempts/{attempt_id}/announce": {"post": {
            "summary": "A message to one student's page (proctor, teacher; audited)",
            "parameters": [attempt_id],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["text"],
                "properties": {"text": {"type": "string", "maxLength": 500}}}}}},
            "responses": {"200": _json({"type": "object"}), **_errors(401, 403, 404, 422)}}},
        "/attempts/{attempt_id}/end": {"post": {
            "summary": "End an attempt now as if submitted: saved answers kept and graded "
                       "(proctor, teacher; audited); the page gets attempt:closed",
            "parameters": [attempt_id],
            "responses": {"200": _json(_ref("SubmitAck")), **_errors(401, 403, 404)}}},
        "/attempts/{attempt_id}/timeline": {"get": {
            "summary": "The attempt's integrity events and the staff's actions and notes, "
                       "oldest first, as the proctor's console shows them (proctor, teacher)",
            "parameters": [attempt_id],
            "responses": {"200": _json({
                "type": "object", "required": ["attempt_id", "server_now", "max_note",
                                               "entries"],
                "properties": {
                    "attempt_id": {"type": "string"}, "server_now": TIME,
                    "max_note": {"type": "integer", "description": "longest note accepted"},
                    "entries": {"type": "array", "items": {
                        "type": "object",
                        "required": ["at", "type", "source", "severity", "label"],
                        "properties": {
                            "at": TIME, "client_at": {**TIME, "nullable": True},
                            "type": {"type": "string",
                                     "description": "an event type, or a staff action"},
                            "source": {"type": "string"},
                            "severity": {"type": "string"},
                            "label": {"type": "string",
                                      "description": "translated for the caller"},
                            "by": {"type": "string", "nullable": True,
                                   "description": "the staff member, for an action"},
                            "duration_ms": {"type": "integer", "nullable": True,
                                            "description": "time away, on a return"},
                            "detail": {"type": "object",
                                       "description": "only what the event type keeps"},
                        }}}}}),
                **_errors(401, 403, 404)}}},
        "/attempts/{attempt_id}/notes": {"post": {
            "summary": "A proctor's note on the attempt, as on its integrity report "
                       "(proctor, teacher; audited)",
            "parameters": [attempt_id],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["text"],
                "properties": {"text": {"type": "string", "minLength": 1,
                                        "maxLength": MAX_PROCTOR_NOTE}}}}}},
            "responses": {"201": _json({
                "type": "object", "required": ["ok", "text"],
                "properties": {"ok": {"type": "boolean"}, "text": {"type": "string"}}}),
                **_errors(401, 403, 404, 422)}}},
        "/attempts/{attempt_id}/resume": {"post": {
            "summary": "Resume a paused attempt (proctor, teacher)", "parameters": [attempt_id],
            "responses": {"200": _json(_ref("Clock")), **_errors(401, 403, 404)}}},
        "/attempts/{attempt_id}/extend": {"post": {
            "summary": "Extend an attempt by minutes or by a percentage of the time limit "
                       "(proctor, teacher; audited)",
            "parameters": [attempt_id],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object",
                "properties": {"minutes": {"type": "integer"},
                               "percent": {"type": "number"}}}}}},
            "responses": {"200": _json(_ref("Clock")), **_errors(401, 403, 404, 409, 422)}}},
    }
    schemas["Item"] = ITEM
    schemas["ItemWithContent"] = {**ITEM, "required": [*ITEM["required"], "content"],
                                  "properties": {**ITEM["properties"],
                                                 "content": {"type": "object"}}}
    item_filters = [{"name": name, "in": "query", "required": False,
                     "schema": {"type": "integer" if name == "difficulty" else "string"}}
                    for name in ("q", "type", "subject", "level", "competency", "difficulty",
                                 "status", "licence", "bank", "tag")]
    paths["/items"] = {"get": {
        "summary": "Search the items the caller may see (teachers; confidential banks only "
                   "to their members): every word of q, accents and case ignored",
        "parameters": item_filters,
        "responses": {"200": _json({"type": "object", "properties": {
            "items": {"type": "array", "items": _ref("Item")}}}), **_errors(401, 403, 422)}}}
    paths["/items/{item_id}"] = {"get": {
        "summary": "An item and its latest version's content, answer key included (staff who "
                   "may see it; anyone else gets 404)",
        "parameters": [{"name": "item_id", "in": "path", "required": True,
                        "schema": {"type": "string"}}],
        "responses": {"200": _json(_ref("ItemWithContent")), **_errors(401, 404)}}}
    schemas.update(lab_schemas())
    paths.update(lab_paths())
    return {
        "openapi": "3.1.0",
        "info": {"title": "Ardoise API", "version": "1"},
        "servers": [{"url": "/api/v1"}],
        "components": {
            "schemas": schemas,
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"},
                                "session": {"type": "apiKey", "in": "cookie",
                                            "name": "ardoise_session"}},
        },
        "security": [{"token": []}, {"session": []}],
        "paths": paths,
    }
