"""The coding lab's part of the OpenAPI document: its schemas and its paths."""

from __future__ import annotations

from typing import Any

TIME = {"type": "string", "format": "date-time", "description": "ISO 8601 in UTC, with Z"}
NULLABLE_TIME = {**TIME, "type": ["string", "null"]}
VERDICT = {"enum": ["passed", "failed", "time_limit", "memory_limit", "output_limit",
                    "runtime_error", "compile_error", "not_run"]}
STATUS = {"enum": ["queued", "running", "graded", "error"]}
NUMBER_OR_NULL = {"type": ["number", "null"]}

LAB_ERROR = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string", "description": "stable machine code",
                  "enum": ["submit_too_soon", "attempt_limit_reached", "assignment_closed",
                           "assignment_not_open", "submission_too_large", "no_visible_tests",
                           "assignment_not_found", "submission_not_found",
                           "exercise_not_found", "lab_run_timeout", "forbidden",
                           "unauthenticated", "csrf", "bad_request", "not_found",
                           "conflict"]},
        "message": {"type": "string", "description": "translated for the caller"},
        "seconds": {"type": "integer", "description": "submit_too_soon: seconds to wait "
                                                      "(also in Retry-After)"},
        "limit": {"type": "integer", "description": "attempt_limit_reached: the limit"},
        "max_kb": {"type": "integer", "description": "submission_too_large: the largest size"},
    },
}
TEST_RESULT = {
    "type": "object",
    "required": ["name", "verdict", "hidden", "weight"],
    "description": "A hidden test has only name, verdict, hidden and weight for its "
                   "student; a teacher gets every test whole (and wall_ms)",
    "properties": {
        "name": {"type": "string"}, "verdict": VERDICT, "hidden": {"type": "boolean"},
        "weight": {"type": "number"}, "stdout": {"type": "string"},
        "stderr": {"type": "string"}, "expected": {"type": "string"},
        "hint": {"type": "string"}, "assertion": {"type": "string"},
    },
}
EXPLANATION = {
    "type": "object",
    "required": ["code", "title", "meaning", "cause", "hint", "raw"],
    "description": "An error explained (docs/coding-lab-errors.md), in the caller's language",
    "properties": {
        "code": {"type": "string"}, "file": {"type": ["string", "null"]},
        "line": {"type": ["integer", "null"]}, "column": {"type": ["integer", "null"]},
        "params": {"type": "object", "additionalProperties": {"type": "string"}},
        "raw": {"type": "string"}, "title": {"type": "string"},
        "meaning": {"type": "string"}, "cause": {"type": "string"},
        "hint": {"type": "string"},
    },
}
SUMMARY_PROPERTIES: dict[str, Any] = {
    "id": {"type": "string"}, "number": {"type": "integer"}, "status": STATUS,
    "score": NUMBER_OR_NULL, "max_score": NUMBER_OR_NULL,
    "days_late": {"type": "integer"}, "submitted_at": TIME,
}
SUBMISSION_SUMMARY = {
    "type": "object",
    "required": ["id", "number", "status", "submitted_at"],
    "properties": SUMMARY_PROPERTIES,
}
ASSIGNMENT = {
    "type": "object",
    "required": ["id", "title", "language", "statement", "starter_code", "public_tests",
                 "rules", "draft", "submissions", "role"],
    "properties": {
        "id": {"type": "string"}, "title": {"type": "string"},
        "exercise_id": {"type": "string"}, "language": {"type": "string"},
        "kind": {"enum": ["code", "notebook"],
                 "description": "notebook: hand in an .ipynb (POST …/notebook), not code"},
        "entry_file": {"type": "string", "description": "main.py, main.c, Main.java…"},
        "statement": {"type": "object", "description": "fr / en: sanitised HTML",
                      "additionalProperties": {"type": "string"}},
        "starter_code": {"type": "string"},
        "public_tests": {"type": "array", "items": {
            "type": "object", "required": ["name", "hidden", "weight"],
            "description": "hidden tests: name, hidden and weight only",
            "properties": {"name": {"type": "string"}, "hidden": {"type": "boolean"},
                           "weight": {"type": "number"}, "stdin": {"type": "string"},
                           "expected": {"type": "string"},
                           "kind": {"enum": ["io", "function"]}}}},
        "points": {"type": "number"},
        "limits": {"type": "object", "properties": {"cpu_seconds": {"type": "number"},
                                                    "memory_mb": {"type": "integer"}}},
        "role": {"enum": ["student", "teacher"]},
        "draft": {"type": ["object", "null"], "properties": {
            "code": {"type": "string"}, "saved_at": TIME}},
        "rules": {"type": "object", "properties": {
            "opens_at": TIME, "due_at": {**TIME, "description": "the student's own (extension)"},
            "closes_at": NULLABLE_TIME, "extended": {"type": "boolean"},
            "late_penalty_percent": {"type": "number"},
            "attempt_limit": {"type": ["integer", "null"]},
            "min_delay_seconds": {"type": "integer"}}},
        "submissions": {"type": "array",
                        "items": {"$ref": "#/components/schemas/LabSubmissionSummary"}},
    },
}
SUBMISSION = {
    "type": "object",
    "required": ["id", "number", "status", "score", "max_score", "days_late", "tests",
                 "compile_output", "explanations"],
    "properties": {
        **SUMMARY_PROPERTIES,
        "assignment_id": {"type": "string"}, "raw_score": NUMBER_OR_NULL,
        "graded_at": NULLABLE_TIME,
        "tests": {"type": "array", "items": {"$ref": "#/components/schemas/LabTestResult"}},
        "compile_output": {"type": "string"},
        "explanations": {"type": "array",
                         "items": {"$ref": "#/components/schemas/LabExplanation"}},
        "student_id": {"type": "string", "description": "teachers only"},
        "code": {"type": "object", "description": "teachers only: file name → code"},
    },
}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _errors(*codes: int) -> dict[str, Any]:
    return {str(c): _json(_ref("LabError"), "Error") for c in codes}


def _path_id(name: str) -> list[dict[str, Any]]:
    return [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}]


def _code_body(extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": {
        "type": "object", "required": ["code"],
        "properties": {"code": {"type": "string", "maxLength": 65536}, **(extra or {})}}}}}


def lab_schemas() -> dict[str, Any]:
    return {"LabError": LAB_ERROR, "LabTestResult": TEST_RESULT,
            "LabExplanation": EXPLANATION, "LabSubmissionSummary": SUBMISSION_SUMMARY,
            "LabAssignment": ASSIGNMENT, "LabSubmission": SUBMISSION}


def lab_paths() -> dict[str, Any]:
    run_result = {"oneOf": [
        {"type": "object", "required": ["status", "stdout", "stderr"],
         "description": "with stdin: the program run once on it",
         "properties": {"status": {"type": "string"}, "stdout": {"type": "string"},
                        "stderr": {"type": "string"}, "compile_output": {"type": "string"},
                        "explanations": {"type": "array", "items": _ref("LabExplanation")}}},
        {"type": "object", "required": ["tests", "compile_output"],
         "description": "without stdin: the visible tests",
         "properties": {"tests": {"type": "array", "items": _ref("LabTestResult")},
                        "compile_output": {"type": "string"},
                        "explanations": {"type": "array", "items": _ref("LabExplanation")}}},
    ]}
    return {
        "/assignments/{assignment_id}": {"get": {
            "summary": "A coding assignment: statement, starter code, visible tests, rules; "
                       "for its student also their draft and submissions (students of the "
                       "class and its teachers)",
            "parameters": _path_id("assignment_id"),
            "responses": {"200": _json(_ref("LabAssignment")), **_errors(401, 403, 404)}}},
        "/assignments/{assignment_id}/draft": {"put": {
            "summary": "Autosave the student's draft",
            "parameters": _path_id("assignment_id"), "requestBody": _code_body(),
            "responses": {"200": _json({"type": "object", "properties": {"saved_at": TIME}}),
                          **_errors(400, 401, 403, 404, 422)}}},
        "/assignments/{assignment_id}/run": {"post": {
            "summary": "Run the student's code on their own stdin, or against the visible "
                       "tests; nothing is recorded (students of the class)",
            "parameters": _path_id("assignment_id"),
            "requestBody": _code_body({"stdin": {"type": "string", "maxLength": 65536}}),
            "responses": {"200": _json(run_result), **_errors(400, 401, 403, 404, 422, 503)}}},
        "/assignments/{assignment_id}/submissions": {"post": {
            "summary": "Submit: recorded as queued and graded by a worker; the status "
                       "follows on Socket.IO /lab (submission:status). 409: a rule of the "
                       "assignment refuses it now; nothing is recorded",
            "parameters": _path_id("assignment_id"), "requestBody": _code_body(),
            "responses": {"202": _json({"type": "object", "required": ["id", "number", "status"],
                                        "properties": {"id": {"type": "string"},
                                                       "number": {"type": "integer"},
                                                       "status": {"const": "queued"}}},
                                       "Queued"),
                          **_errors(400, 401, 403, 404, 409, 422)}}},
        "/assignments/{assignment_id}/notebook": {"post": {
            "summary": "Hand in a notebook (kind notebook): the .ipynb as the multipart "
                       "field notebook, checked (a file that is not a notebook, or holds none "
                       "of the assignment's graded cells, is refused: 422), recorded as "
                       "queued and graded by a worker like a code submission",
            "parameters": _path_id("assignment_id"),
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "required": ["notebook"],
                "properties": {"notebook": {"type": "string", "format": "binary"}}}}}},
            "responses": {"202": _json({"type": "object", "required": ["id", "number", "status"],
                                        "properties": {"id": {"type": "string"},
                                                       "number": {"type": "integer"},
                                                       "status": {"const": "queued"}}},
                                       "Queued"),
                          **_errors(400, 401, 403, 404, 409, 422)}}},
        "/submissions/{submission_id}": {"get": {
            "summary": "A submission: its student sees hidden tests by verdict only; a "
                       "teacher of the class sees every test whole",
            "parameters": _path_id("submission_id"),
            "responses": {"200": _json(_ref("LabSubmission")), **_errors(401, 403, 404)}}},
    }
