"""Completes the generated OpenAPI document so that it says what the server does
(drf-spectacular POSTPROCESSING_HOOKS):

- every field of a response object is `required` (our serializers always render all);
- every status an operation can answer is declared with the error envelope (400, 401,
  403, 404, 406, 409, 412, 413, 414, 415, 429, 500 as they apply), with Retry-After on 429
  and WWW-Authenticate on 401;
- the error `code` is an enum of every code the API can send;
- `ETag` on every claim response, `Location` on every 201, `If-Match` on every claim
  change that honours it;
- the page parameters of every list, with their bounds;
- a nullable object reference is `type: object, nullable: true, allOf: [$ref]`, which is
  how OpenAPI 3.0.3 spells it (nullable without type has no effect);
- OpenAPI links from a created claim to what can be done with it next, for clients and
  for schemathesis' stateful tests.
"""

from __future__ import annotations

from rest_framework import fields

from claims.errors import MESSAGES

from .errors import DRF_CODES, STATUS_TEXT

ERROR = {"$ref": "#/components/schemas/Error"}
WRITE_METHODS = {"post", "put", "patch", "delete"}
# The state-changing operations on one claim besides the actions of the registry (claims.actions).
IF_MATCH_OPERATIONS = {"claims_partial_update", "claims_destroy", "evidence_upload", "evidence_remove"}
HEADERS = {
    "ETag": {"description": "The claim's version; send it back in If-Match to change it only if nobody else did."},
    "Location": {"description": "The URL of what was created."},
    "Retry-After": {"description": "Seconds to wait before trying again.", "schema": {"type": "integer"}},
    "WWW-Authenticate": {"description": "The authentication scheme to use: Token."},
}
IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "schema": {"type": "string"},
    "description": (
        "An ETag from an earlier claim response. The change is made only if the claim still has that version; "
        "otherwise 412 precondition_failed and nothing changes. '*' matches any version."
    ),
}
PAGE_PARAMETERS = [
    {"name": "page", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1},
     "description": "Page number, from 1. Past the last page: 404 page_not_found."},
    {"name": "page_size", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1, "maximum": 100},
     "description": "Results per page (default 25)."},
]  # fmt: skip


def error_codes() -> list[str]:
    """Every `code` the error envelope can carry: the domain's, DRF's refusals, and the
    validation codes of the DRF fields the input serializers use."""
    codes = set(MESSAGES) | set(DRF_CODES.values()) | {"error", "invalid"}
    pending = [fields.Field]
    while pending:
        cls = pending.pop()
        codes |= set(getattr(cls, "default_error_messages", {}))
        pending += cls.__subclasses__()
    return sorted(codes - {"null", "blank"})  # reported as "required" (claims/api/errors.py)


def _header(name: str) -> dict:
    header = dict(HEADERS[name])
    header.setdefault("schema", {"type": "string"})
    return header


def _error_response(code: int) -> dict:
    response = {"description": str(STATUS_TEXT[code]), "content": {"application/json": {"schema": ERROR}}}
    if code == 429:
        response["headers"] = {"Retry-After": _header("Retry-After")}
    if code == 401:
        response["headers"] = {"WWW-Authenticate": _header("WWW-Authenticate")}
    return response


def _statuses(path: str, method: str, op: dict) -> list[int]:
    codes = [400, 403, 404, 406, 414, 429, 500]
    if op.get("operationId") != "auth_token":
        codes.append(401)
    if method in WRITE_METHODS:
        codes += [409, 413]
        if "requestBody" in op:
            codes.append(415)
    if op.get("operationId") in if_match_operations():
        codes.append(412)
    return sorted(set(codes))


def _fix_nullable(node) -> None:
    if isinstance(node, dict):
        if node.get("nullable") and "allOf" in node and "type" not in node:
            node["type"] = "object"
        for value in node.values():
            _fix_nullable(value)
    elif isinstance(node, list):
        for value in node:
            _fix_nullable(value)


def _link(operation_id: str, **parameters) -> dict:
    return {"operationId": operation_id, "parameters": parameters}


CLAIM_ID = "$response.body#/id"
LINKS = {
    ("claims_create", "201"): {
        "GetClaim": _link("claims_retrieve", id=CLAIM_ID),
        "EditClaim": _link("claims_partial_update", id=CLAIM_ID),
        "UploadEvidence": _link("evidence_upload", id=CLAIM_ID),
        "ListEvidence": _link("evidence_list", id=CLAIM_ID),
        "SubmitClaim": _link("claims_submit", id=CLAIM_ID),
        "AddComment": _link("comments_create", id=CLAIM_ID),
        "History": _link("history_list", id=CLAIM_ID),
        "DeleteClaim": _link("claims_destroy", id=CLAIM_ID),
    },
    ("evidence_upload", "201"): {
        "DownloadEvidence": _link("evidence_download", id="$request.path.id", evidence_id="$response.body#/id"),
        "SubmitClaim": _link("claims_submit", id="$request.path.id"),
    },
    ("claims_submit", "200"): {
        "StartReview": _link("claims_start_review", id=CLAIM_ID),
        "Withdraw": _link("claims_withdraw", id=CLAIM_ID),
    },
    ("claims_start_review", "200"): {
        "Approve": _link("claims_approve", id=CLAIM_ID),
        "Reject": _link("claims_reject", id=CLAIM_ID),
        "RequestInfo": _link("claims_request_info", id=CLAIM_ID),
        "Competing": _link("claims_competing", id=CLAIM_ID),
    },
    ("claims_request_info", "200"): {"Respond": _link("claims_respond", id=CLAIM_ID)},
    ("claims_reject", "200"): {"Dispute": _link("claims_dispute", id=CLAIM_ID)},
    ("comments_create", "201"): {
        "GetComment": _link("comments_retrieve", id="$request.path.id", comment_id="$response.body#/id")
    },
}


def if_match_operations() -> set[str]:
    from claims.actions import endpoints

    return IF_MATCH_OPERATIONS | {f"claims_{a.name}" for a in endpoints()}


def postprocess(result, generator, request, public):
    from claims.actions import REGISTRY

    schemas = result["components"]["schemas"]
    schemas["AvailableActionsEnum"] = {"type": "string", "enum": [*REGISTRY, "comment"]}
    schemas["ClaimDetail"]["properties"]["available_actions"]["items"] = {"$ref": "#/components/schemas/AvailableActionsEnum"}
    if_match = if_match_operations()
    code = schemas["ErrorItem"]["properties"]["code"]
    schemas["ErrorCodeEnum"] = {"type": "string", "enum": error_codes(), "description": code.get("description", "")}
    schemas["ErrorItem"]["properties"]["code"] = {"$ref": "#/components/schemas/ErrorCodeEnum"}
    for name in ("Error", "ErrorItem"):
        schemas[name]["required"] = sorted(schemas[name]["properties"])
    _fix_nullable(schemas)
    for name, component in schemas.items():
        # Responses always carry every field of their serializer: say so.
        if not name.endswith("Request") and component.get("type") == "object" and "properties" in component:
            component["required"] = sorted(component["properties"])
    for path, item in result["paths"].items():
        for method, op in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = op["responses"]
            for code in _statuses(path, method, op):
                responses.setdefault(str(code), _error_response(code))
            for status, response in responses.items():
                schema = (response.get("content", {}).get("application/json") or {}).get("schema", {})
                headers = response.setdefault("headers", {})
                if schema.get("$ref") == "#/components/schemas/ClaimDetail":
                    headers["ETag"] = _header("ETag")
                if status == "201":
                    headers["Location"] = _header("Location")
                if (op.get("operationId"), status) in LINKS:
                    response["links"] = LINKS[(op["operationId"], status)]
                if not headers:
                    del response["headers"]
            ok = (responses.get("200", {}).get("content", {}).get("application/json") or {}).get("schema", {})
            if ok.get("$ref", "").startswith("#/components/schemas/Paginated"):
                kept = [p for p in op.get("parameters", []) if p["name"] not in ("page", "page_size")]
                op["parameters"] = kept + [dict(p) for p in PAGE_PARAMETERS]
            if op.get("operationId") in if_match:
                op["parameters"] = [*op.get("parameters", []), dict(IF_MATCH)]
    return result
