"""Schemathesis against the live schema on PostgreSQL, as a partner and as a reviewer:
no 5xx, and every response matches the published schema."""

import subprocess
import sys
from pathlib import Path

import pytest
from rest_framework.authtoken.models import Token

from claims import demo
from claims.models import Claim, ClaimEvidence, User

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


def run_schemathesis(base_url: str, token: str, *, claim_id: int, evidence_id: int, tmp_path: Path, name: str) -> None:
    config = tmp_path / f"{name}.toml"
    # Real identifiers, so the {id} operations reach the code behind them instead of 404.
    config.write_text(f'[parameters]\n"path.id" = {claim_id}\n"path.evidence_id" = {evidence_id}\n')
    result = subprocess.run(
        [str(SCHEMATHESIS), "--config-file", str(config), "run", f"{base_url}/api/schema/",
         "-H", f"Authorization: Token {token}", "--checks", "not_a_server_error,response_schema_conformance",
         "-n", "8", "--seed", "20261121", "--no-color"],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "passed" in result.stdout


def test_the_api_matches_its_schema_for_partners_and_reviewers(live_server, tmp_path):
    demo.seed()
    partner = User.objects.get(username="fabrikam-global")
    reviewer = User.objects.get(username="reviewer-ana")
    evidence = ClaimEvidence.objects.filter(claim__company=partner.company).first()
    run_schemathesis(
        live_server.url, Token.objects.create(user=partner).key,
        claim_id=evidence.claim_id, evidence_id=evidence.pk, tmp_path=tmp_path, name="partner",
    )  # fmt: skip
    submitted = Claim.objects.filter(state="submitted").first()
    run_schemathesis(
        live_server.url, Token.objects.create(user=reviewer).key,
        claim_id=submitted.pk, evidence_id=submitted.evidence.first().pk, tmp_path=tmp_path, name="reviewer",
    )  # fmt: skip
