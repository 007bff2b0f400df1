"""The documentation holds to the code: the README stays a short front door whose links resolve,
every setting the code reads is in docs/operations.md (and no setting there is made up), and the
curl walk-throughs of the README and docs/api.md work, as written, against a live server with the
demo data, writing nothing into the folder they are started from."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
OPERATIONS = DOCS / "operations.md"
DEMO_BASE = "http://127.0.0.1:8000/api/v1"


def shell_blocks(path: Path) -> list[str]:
    return re.findall(r"^```sh\n(.*?)^```", path.read_text(), flags=re.S | re.M)


def walk_through(path: Path) -> str:
    """The document's curl walk-through: its one shell block that asks for a token."""
    found = [block for block in shell_blocks(path) if "/auth/token/" in block]
    assert len(found) == 1, f"{path.name}: expected one walk-through, found {len(found)}"
    return found[0]


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = re.sub(r"^```.*?^```", "", path.read_text(), flags=re.S | re.M)
    return {slug(h) for h in re.findall(r"^#+ (.+)$", text, flags=re.M)}


def test_the_readme_is_a_short_front_door():
    text = README.read_text()
    assert len(text.splitlines()) <= 200
    for command in ("make run", "make test"):
        assert f"```sh\n{command}\n```" in text
    for doc in ("rules", "architecture", "api", "operations", "benchmarks", "glossary"):
        assert f"(docs/{doc}.md" in text, doc
    # The rules live in the repository, not in a folder beside it.
    for path in (README, *DOCS.glob("*.md")):
        assert "shared/docs" not in path.read_text(), path.name


def test_every_link_of_the_readme_and_the_docs_resolves():
    for path in (README, *sorted(DOCS.glob("*.md"))):
        for target in re.findall(r"\]\(([^)\s]+)\)", path.read_text()):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            file, _, anchor = target.partition("#")
            resolved = (path.parent / file).resolve() if file else path
            assert resolved.exists(), f"{path.name}: {target}"
            if anchor:
                assert anchor in anchors(resolved), f"{path.name}: {target}"


def _read_by_the_code() -> set[str]:
    settings = (ROOT / "cpor" / "settings.py").read_text()
    names = set(re.findall(r"env_(?:str|int|bool|list)\(\s*\"([A-Z0-9_]+)\"", settings))
    names |= set(re.findall(r"\$\{([A-Z0-9_]+)", (ROOT / "docker-compose.yml").read_text()))
    names |= set(re.findall(r"\{\$([A-Z0-9_]+)", (ROOT / "deploy" / "Caddyfile").read_text()))
    return names


def test_every_setting_the_code_reads_is_in_the_configuration_of_operations():
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", OPERATIONS.read_text()))
    read = _read_by_the_code()
    assert len(read) > 60
    assert read - documented == set()


def test_every_setting_operations_names_exists():
    code = "\n".join(
        p.read_text()
        for pattern in ("cpor/*.py", "bench/*.py", "scripts/*", "tests/**/*.py", "Makefile", "docker-compose.yml", "deploy/*")
        for p in ROOT.glob(pattern)
        if p.is_file()
    )
    words = set(re.findall(r"[A-Z][A-Z0-9_]+", code))
    named = set(re.findall(r"`((?:CPOR|DJANGO|BENCH)_[A-Z0-9_]+)`", OPERATIONS.read_text()))
    assert len(named) > 60
    assert named - words == set()


@pytest.fixture
def demo_server(live_server, transactional_db):
    from claims import demo

    demo.seed()
    return live_server


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        (
            README,
            ['"status":"submitted"', '"action":"evidence_added"', '"to_state":"submitted"', '"action":"arbitration_started"'],
        ),
        (
            DOCS / "api.md",
            [
                "Idempotent-Replayed: true",
                '"status":"submitted"',
                '"code":"precondition_failed"',
                '"code":"subscription_is_csp"',
                '"status":"under_review"',
                '"status":"approved"',
                '"action":"approved"',
            ],
        ),
    ],
    ids=["README", "api.md"],
)
def test_the_curl_walk_through_works_as_written(doc, expected, demo_server, tmp_path):
    if not (shutil.which("curl") and shutil.which("python3")):
        pytest.skip("needs curl and python3 (apt-get install curl)")
    script = walk_through(doc)
    assert DEMO_BASE in script
    # Files the walk-through writes go to a new temporary folder, never the one it starts in.
    assert 0 <= script.index('cd "$(mktemp -d)"') < script.index("> poe.pdf")
    here, scratch = tmp_path / "checkout", tmp_path / "tmp"
    here.mkdir()
    scratch.mkdir()
    result = subprocess.run(
        ["bash", "-c", script.replace(DEMO_BASE, f"{demo_server.url}/api/v1")],
        cwd=here,
        env={**os.environ, "TMPDIR": str(scratch)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    for text in expected:
        assert text in result.stdout, f"{doc.name}: {text} not in\n{result.stdout[-3000:]}"
    assert '"errors"' not in result.stdout.replace('{"errors":[{"code":"precondition_failed"', "").replace(
        '{"errors":[{"code":"subscription_is_csp"', ""
    ), result.stdout[-3000:]
    assert list(here.iterdir()) == []
    assert [p.name for p in scratch.glob("*/poe.pdf")] == ["poe.pdf"]
