"""Issue 9, items 14, 15, 18: clients nobody here wrote can trust the schema.

- the schema lints clean (openapi-spec-validator, and drf-spectacular's own warnings);
- openapi-python-client generates an importable client, and that client drives a claim
  from creation to approval without any hand patch;
- openapi-typescript generates types that a usage file compiles against with
  `tsc --noEmit --strict` (the Node tools are pinned in .ci/node, installed by .ci/run).
"""

import importlib
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator
from openapi_spec_validator import validate

from claims.demo import demo_pdf
from tests.conftest import STRICT, SUB_SALES

ROOT = Path(__file__).resolve().parents[2]
NODE_BIN = ROOT / ".ci" / "node" / "node_modules" / ".bin"
CONTRACT = Path(__file__).with_name("contract")


def schema() -> dict:
    return json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True), default=str))


def test_the_schema_lints_clean(tmp_path, db):
    document = schema()
    validate(document)  # raises on any error
    assert document["openapi"] == "3.1.0"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    token = document["paths"]["/api/v1/auth/token/"]["post"]
    assert list(token["requestBody"]["content"]) == ["application/json"]
    assert "Token" in document["components"]["securitySchemes"]["tokenAuth"]["description"]
    create = document["components"]["schemas"]["ClaimCreateRequest"]
    assert create["required"] == ["name"]


@pytest.fixture
def python_client(tmp_path, db):
    (tmp_path / "schema.json").write_text(json.dumps(schema()))
    # The tool's documented option for a binary download it has no type for (the XLSX import template).
    (tmp_path / "config.json").write_text(
        json.dumps(
            {
                "content_type_overrides": {
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "application/octet-stream"
                }
            }
        )
    )
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(
        [str(Path(sys.executable).with_name("openapi-python-client")), "generate", "--path", "schema.json",
         "--output-path", "cpor_client", "--meta", "none", "--config", "config.json"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout + result.stderr, result.stdout + result.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module("cpor_client")
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == "cpor_client" or m.startswith("cpor_client.")]:
            del sys.modules[name]


@pytest.mark.django_db(transaction=True)
def test_the_generated_python_client_drives_a_claim_to_approval(python_client, live_server, directory):
    c = python_client
    api = importlib.import_module("cpor_client.api.v1")
    models = importlib.import_module("cpor_client.models")
    from cpor_client import types  # noqa: F401  (generated)

    def login(username: str):
        anonymous = c.Client(base_url=live_server.url)
        token = importlib.import_module("cpor_client.api.v1.auth_token").sync(
            client=anonymous, body=models.TokenRequestRequest(username=username, password="demo-password")
        )
        assert isinstance(token, models.Token), token
        return c.AuthenticatedClient(base_url=live_server.url, token=token.token, prefix="Token")

    def module(name):
        return importlib.import_module(f"{api.__name__}.{name}")

    partner, reviewer = login("fabrikam-global"), login("reviewer-ana")
    body = models.ClaimCreateRequest.from_dict({
        "name": "Contoso Sales rollout", "customer_tenant_id": "7c4b0e6a-1d2f-4a3b-9c8d-0e1f2a3b4c5d",
        "customer_domain": "contoso.com", "solution_area": "business_applications", "activity": "usage",
        "mpn_id": "4567890", "products": [{"product": "d365_sales", "subscription_id": SUB_SALES}],
        "customer_contact": {"name": "Megan Bowen", "email": "megan.bowen@contoso.com", "phone": ""},
        "partner_contact": {"name": "Alex Wilber", "email": "alex.wilber@fabrikam.example", "phone": ""},
    })  # fmt: skip
    created = module("claims_create").sync_detailed(client=partner, body=body)
    assert created.status_code == 201, created.content
    claim = created.parsed
    assert isinstance(claim, models.ClaimDetail) and claim.deadline is None and claim.status == models.ClaimStatusEnum.EDITING
    assert created.headers["Location"].endswith(f"/api/v1/claims/{claim.id}/") and created.headers["ETag"]

    refused = module("claims_submit").sync_detailed(client=partner, id=claim.id)
    assert refused.status_code == 400 and isinstance(refused.parsed, models.Error)
    assert refused.parsed.errors[0].code == models.ErrorCodeEnum.EVIDENCE_REQUIRED

    upload = models.EvidenceUploadRequest(
        file=types.File(payload=io.BytesIO(demo_pdf("poe.pdf")), file_name="poe.pdf", mime_type="application/pdf")
    )
    evidence = module("evidence_upload").sync_detailed(client=partner, id=claim.id, body=upload)
    assert evidence.status_code == 201 and isinstance(evidence.parsed, models.Evidence), evidence.content

    current = module("claims_retrieve").sync_detailed(client=partner, id=claim.id)
    submitted = module("claims_submit").sync_detailed(client=partner, id=claim.id, if_match=current.headers["ETag"])
    assert submitted.status_code == 200, submitted.content
    assert submitted.parsed.deadline.kind == models.DeadlineKindEnum.REVIEW_PICKUP
    stale = module("claims_withdraw").sync_detailed(
        client=partner, id=claim.id, if_match=current.headers["ETag"],
        body=models.WithdrawRequest(reason=models.WithdrawReasonEnum.WRONG_MPN),
    )  # fmt: skip
    assert stale.status_code == 412 and stale.parsed.errors[0].code == models.ErrorCodeEnum.PRECONDITION_FAILED

    started = module("claims_start_review").sync(client=reviewer, id=claim.id)
    assert started.status == models.ClaimStatusEnum.UNDER_REVIEW
    assert models.AvailableActionsEnum.APPROVE in started.available_actions
    approved = module("claims_approve").sync_detailed(
        client=reviewer, id=claim.id, body=models.ApproveRequest(message="Signed PoE.")
    )
    assert approved.status_code == 200, approved.content
    assert approved.parsed.status == models.ClaimStatusEnum.APPROVED
    assert approved.parsed.deadline.kind == models.DeadlineKindEnum.CONSENT_WINDOW

    page = module("claims_list").sync(client=partner, status=models.ClaimsListStatus.APPROVED)
    assert [row.id for row in page.results] == [claim.id] and page.count == 1
    history = module("history_list").sync(client=partner, id=claim.id)
    assert history.count >= 4 and history.results[0].action


def test_the_typescript_types_compile_with_strict(tmp_path, db):
    if not (NODE_BIN / "tsc").exists():
        # CI must prove it (bash .ci/run installs the tools); elsewhere it says what it needs.
        (pytest.fail if STRICT else pytest.skip)(f"needs the pinned Node tools: npm ci --prefix {NODE_BIN.parents[1]}")
    (tmp_path / "schema.json").write_text(json.dumps(schema()))
    generated = subprocess.run(
        [str(NODE_BIN / "openapi-typescript"), "schema.json", "-o", "types.d.ts"], cwd=tmp_path, capture_output=True, text=True
    )
    assert generated.returncode == 0, generated.stdout + generated.stderr
    shutil.copy(CONTRACT / "usage.ts", tmp_path / "usage.ts")
    compiled = subprocess.run(
        [str(NODE_BIN / "tsc"), "--noEmit", "--strict", "--noUncheckedIndexedAccess", "--target", "es2020",
         "--module", "es2020", "--moduleResolution", "bundler", "usage.ts"],
        cwd=tmp_path, capture_output=True, text=True,
    )  # fmt: skip
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
