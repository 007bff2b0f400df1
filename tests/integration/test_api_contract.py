"""Schemathesis against the live schema on PostgreSQL, as a partner and as a reviewer, with
every check (`--checks all`: no 5xx, responses as documented, status codes and headers
declared, schema-invalid input refused, schema-valid input accepted unless a declared
domain rule refuses it, unsupported methods answered 405, ...) and the stateful phase
following the schema's OpenAPI links (create -> evidence -> submit -> review -> ...).

CI runs a few examples per operation; `make contract` runs the same test longer
(CPOR_CONTRACT_EXAMPLES, CPOR_CONTRACT_STATEFUL_STEPS)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from rest_framework.authtoken.models import Token

from claims import demo
from claims.models import Claim, ClaimEvidence, User

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
BASE_CONFIG = Path(__file__).with_name("contract") / "schemathesis.toml"
EXAMPLES = int(os.environ.get("CPOR_CONTRACT_EXAMPLES", "2"))
STATEFUL_STEPS = int(os.environ.get("CPOR_CONTRACT_STATEFUL_STEPS", "30"))
# The reviewer's run covers what only reviewers may do; the partner's covers the rest.
REVIEWER_PATHS = r"/(start-review|request-info|approve|reject|competing)/$|/review/(queue|sla|assign|insights)/$"


def run_schemathesis(
    base_url: str, token: str, *, ids: dict, tmp_path: Path, name: str, only: str | None = None, skip: str | None = None
) -> str:
    config = tmp_path / f"{name}.toml"
    # Real identifiers, so the {id} operations reach the code behind them instead of 404.
    parameters = "".join(f'"path.{key}" = {value}\n' for key, value in ids.items())
    config.write_text(
        BASE_CONFIG.read_text() + f"\n[phases.stateful]\nmax-steps = {STATEFUL_STEPS}\n\n[parameters]\n{parameters}"
    )
    command = [
        str(SCHEMATHESIS), "--config-file", str(config), "run", f"{base_url}/api/schema/",
        "-H", f"Authorization: Token {token}", "--checks", "all", "-n", str(EXAMPLES),
        "--seed", "20261122", "--no-color", "--no-shrink",
    ]  # fmt: skip
    if only:
        command += ["--include-path-regex", only]
    if skip:
        command += ["--exclude-path-regex", skip]
    result = subprocess.run(command, capture_output=True, text=True, timeout=1800, cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]
    assert "passed" in result.stdout and "failures" not in result.stdout.split("SUMMARY")[-1].lower(), result.stdout[-3000:]
    return result.stdout


def test_the_api_matches_its_schema_for_partners_and_reviewers(live_server, tmp_path):
    demo.seed()
    partner = User.objects.get(username="fabrikam-global")
    reviewer = User.objects.get(username="reviewer-ana")
    evidence = ClaimEvidence.objects.filter(claim__company=partner.company).first()
    comment_claim = Claim.objects.filter(company=partner.company, comments__isnull=False).first()
    run_schemathesis(
        live_server.url, Token.objects.create(user=partner).key,
        ids={"id": evidence.claim_id, "evidence_id": evidence.pk, "comment_id": comment_claim.comments.first().pk},
        tmp_path=tmp_path, name="partner", skip=REVIEWER_PATHS,
    )  # fmt: skip
    submitted = Claim.objects.filter(state="submitted").first()
    run_schemathesis(
        live_server.url, Token.objects.create(user=reviewer).key,
        ids={"id": submitted.pk, "evidence_id": submitted.evidence.first().pk},
        tmp_path=tmp_path, name="reviewer", only=REVIEWER_PATHS,
    )  # fmt: skip
