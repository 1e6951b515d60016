"""The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json (tests/api/test_openapi.py runs
schemathesis against it). Every date-time the API returns is ISO 8601 with seconds in the plan's time zone
("2026-12-30T08:30:00+07:00")."""

from __future__ import annotations

DATETIME = {"type": "string", "format": "date-time", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$",
            "examples": ["2026-12-30T08:30:00+07:00"]}
NULLABLE_DATETIME = {"oneOf": [DATETIME, {"type": "null"}]}
TEXT = {"type": "string"}
NULLABLE_TEXT = {"type": ["string", "null"]}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str, headers: dict | None = None) -> dict:
    response = {"description": description, "content": {"application/json": {"schema": schema}}}
    if headers:
        response["headers"] = headers
    return response


def _error(description: str) -> dict:
    return _json(_ref("Error"), description)


SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string", "examples": ["hn-api"]},
        "description": "The conference's slug."}

SCHEMAS = {
    "Error": {
        "type": "object", "required": ["error", "message"],
        "properties": {"error": {"type": "string", "description": "A stable code: not_found, invalid_json, …"},
                       "message": {"type": "string", "description": "For people, in Vietnamese."}},
    },
    "ValidationErrors": {
        "type": "object", "required": ["errors"],
        "properties": {"errors": {"type": "object", "description": "Dotted field path -> messages.",
                                  "additionalProperties": {"type": "array", "items": {"type": "string"}}}},
    },
    "ConferenceSummary": {
        "type": "object",
        "required": ["slug", "title", "host_agency", "starts_at", "venue", "format", "status", "announced_at", "url",
                     "answers_url"],
        "properties": {"slug": TEXT, "title": TEXT, "host_agency": TEXT, "starts_at": DATETIME, "venue": TEXT,
                       "format": TEXT, "status": TEXT, "announced_at": NULLABLE_DATETIME,
                       "url": {"type": "string", "format": "uri"}, "answers_url": {"type": "string", "format": "uri"}},
    },
    "Milestone": {
        "type": "object", "required": ["name", "offset", "due", "owner", "label", "description", "skipped"],
        "properties": {"name": TEXT, "offset": {"type": "integer"}, "due": DATETIME, "owner": TEXT, "label": TEXT,
                       "description": TEXT,
                       "skipped": {"type": "array", "items": {
                           "type": "object", "required": ["date", "reason"],
                           "properties": {"date": {"type": "string", "format": "date"}, "reason": TEXT}}}},
    },
    "CodeName": {"type": "object", "required": ["code", "name"], "properties": {"code": TEXT, "name": TEXT}},
    "Conference": {
        "type": "object",
        "required": ["slug", "title", "starts_at", "venue", "status", "intake", "milestones", "counts", "zones",
                     "fields"],
        "properties": {
            "slug": TEXT, "title": TEXT, "starts_at": DATETIME, "venue": TEXT, "status": TEXT,
            "intake": {"type": "object", "required": ["opens_at", "closes_at", "open"],
                       "properties": {"opens_at": NULLABLE_DATETIME, "closes_at": DATETIME,
                                      "open": {"type": "boolean"}}},
            "milestones": {"type": "array", "items": _ref("Milestone")},
            "counts": {"type": "object", "required": ["enterprises", "recommendations"],
                       "properties": {"enterprises": {"type": "integer"}, "recommendations": {"type": "integer"}}},
            "zones": {"type": "array", "items": _ref("CodeName")},
            "fields": {"type": "array", "items": _ref("CodeName")},
        },
    },
    "RegistrationRequest": {
        "type": "object", "required": ["enterprise", "contact", "attendees", "recommendations", "declaration"],
        "properties": {
            "enterprise": {"type": "object", "required": ["tax_code", "name", "zone"],
                           "properties": {"tax_code": {"type": "string", "description": "MST, 10 or 13 digits"},
                                          "name": TEXT, "zone": {"type": "string", "description": "a zone code"},
                                          "address": TEXT, "sector": TEXT}},
            "contact": {"type": "object", "required": ["name", "email", "phone"],
                        "properties": {"name": TEXT, "position": TEXT, "email": {"type": "string", "format": "email"},
                                       "phone": TEXT}},
            "attendees": {"type": "array", "items": {"type": "object", "required": ["name"],
                                                      "properties": {"name": TEXT, "position": TEXT}}},
            "recommendations": {"type": "array", "items": {
                "type": "object", "required": ["title", "content", "field"],
                "properties": {"title": TEXT, "content": TEXT, "agency": TEXT,
                               "field": {"type": "string", "description": "a field code"}}}},
            "declaration": {"type": "boolean"},
        },
    },
    "SubmissionAccepted": {
        "type": "object", "required": ["status", "message"], "additionalProperties": False,
        "properties": {"status": {"const": "accepted"}, "message": TEXT},
    },
    "Registration": {
        "type": "object", "required": ["tracking_code", "conference", "enterprise", "registered_at", "recommendations"],
        "properties": {
            "tracking_code": TEXT, "conference": TEXT, "registered_at": DATETIME,
            "enterprise": {"type": "object", "required": ["tax_code", "name"],
                           "properties": {"tax_code": TEXT, "name": TEXT}},
            "recommendations": {"type": "array", "items": {
                "type": "object",
                "required": ["code", "title", "content", "field", "status", "status_label", "answer"],
                "properties": {"code": TEXT, "title": TEXT, "content": TEXT, "field": TEXT, "status": TEXT,
                               "status_label": TEXT, "answer": NULLABLE_TEXT}}},
        },
    },
    "PublicAnswers": {
        "type": "object", "required": ["conference", "answers", "documents"],
        "properties": {
            "conference": _ref("ConferenceSummary"),
            "answers": {"type": "array", "items": {
                "type": "object",
                "required": ["code", "title", "content", "field", "answer", "answer_mode", "answered_at", "enterprise",
                             "conference"],
                "properties": {"code": TEXT, "title": TEXT, "content": TEXT, "field": TEXT, "answer": TEXT,
                               "answer_mode": NULLABLE_TEXT, "answered_at": NULLABLE_DATETIME,
                               "enterprise": NULLABLE_TEXT, "conference": TEXT}}},
            "documents": {"type": "array", "items": {
                "type": "object", "required": ["id", "kind", "version", "generated_at", "url"],
                "properties": {"id": {"type": "integer"}, "kind": TEXT, "version": {"type": "integer"},
                               "generated_at": NULLABLE_DATETIME, "url": {"type": "string", "format": "uri"}}}},
        },
    },
}

RETRY_AFTER = {"Retry-After": {"schema": {"type": "string"}, "description": "Seconds to wait."}}


def openapi_document(server_url: str = "/api/v1") -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "doithoai API",
            "version": "1",
            "description": "Hội nghị đối thoại doanh nghiệp: the public conferences and answers, and registration "
                           "with recommendations (the same rules as the public form). Errors are JSON. Date-times "
                           "are ISO 8601 with seconds, in the plan's time zone (+07:00).",
        },
        "servers": [{"url": server_url}],
        "paths": {
            "/openapi.json": {"get": {
                "operationId": "openapi", "summary": "This description.",
                "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {
                    "schema": {"type": "object"}}}}}}},
            "/conferences": {"get": {
                "operationId": "listConferences", "summary": "Announced conferences.",
                "responses": {"200": _json({"type": "object", "required": ["conferences"], "properties": {
                    "conferences": {"type": "array", "items": _ref("ConferenceSummary")}}}, "The conferences.")}}},
            "/conferences/{slug}": {"get": {
                "operationId": "getConference", "summary": "A conference, its intake window, milestones and counts.",
                "parameters": [SLUG],
                "responses": {"200": _json(_ref("Conference"), "The conference."),
                              "404": _error("No such conference (or not announced).")}}},
            "/conferences/{slug}/answers": {"get": {
                "operationId": "getPublicAnswers", "summary": "Published answers and documents of a conference.",
                "parameters": [SLUG],
                "responses": {"200": _json(_ref("PublicAnswers"), "Answers and documents."),
                              "404": _error("No such public conference.")}}},
            "/conferences/{slug}/registrations": {"post": {
                "operationId": "createRegistration",
                "summary": "Register an enterprise with its recommendations.",
                "parameters": [SLUG, {"name": "Idempotency-Key", "in": "header", "required": False,
                                      "schema": {"type": "string", "maxLength": 64}}],
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": _ref("RegistrationRequest")}}},
                "responses": {
                    "202": _json(_ref("SubmissionAccepted"),
                                 "Accepted, the same answer whether the tax code was registered or not: the "
                                 "receipt (tracking code, private link) or a request to confirm goes by email."),
                    "400": _error("Not JSON."),
                    "404": _error("No such conference."),
                    "409": _error("Intake is closed."),
                    "413": _error("Body too large."),
                    "415": _error("Content-Type is not application/json."),
                    "422": _json(_ref("ValidationErrors"), "Field errors, as on the form."),
                    "429": _json(_ref("Error"), "Too many submissions.", RETRY_AFTER),
                }}},
            "/registrations/{tracking_code}": {"get": {
                "operationId": "getRegistration", "summary": "One registration, read with its private token.",
                "parameters": [
                    {"name": "tracking_code", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": "token", "in": "query", "required": False, "schema": {"type": "string"}},
                ],
                "responses": {"200": _json(_ref("Registration"), "The registration."),
                              "404": _error("Unknown code or wrong token.")}}},
        },
        "components": {"schemas": SCHEMAS},
    }
