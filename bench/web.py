"""What the web benchmarks (B2-B5) share: the tokens, sessions and ids they read from the main
data set, their request headers, and a request's latency on its own."""

from __future__ import annotations

from .config import Config, log, timezone_now


def with_second_factor(users) -> None:
    """Reviewers and Global admins must have a second factor (CPOR_MFA_REQUIRED_FOR): without one
    every page answers a redirect to its set-up, and the page lines would time redirects."""
    from allauth.mfa.models import Authenticator

    for user in users:
        Authenticator.objects.get_or_create(
            user=user, type=Authenticator.Type.TOTP, defaults={"data": {"secret": "JBSWY3DPEHPK3PXP"}}
        )


def signed_in_session(user) -> str:
    """A stored session signed in as `user`, as a sign-in through the pages leaves it."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    s = SessionStore()
    s[SESSION_KEY] = str(user.pk)
    # A backend the settings list: a session naming another one is anonymous (every page a
    # redirect to the sign-in, which the page lines would time instead of the pages).
    s[BACKEND_SESSION_KEY] = "allauth.account.auth_backends.AuthenticationBackend"
    s[HASH_SESSION_KEY] = user.get_session_auth_hash()
    s.create()
    return s.session_key


def fixtures(cfg: Config) -> dict:
    """Tokens, sessions and ids the web benchmarks use, read from the main data set."""
    from rest_framework.authtoken.models import Token

    from claims.consent import make_token
    from claims.models import Claim, User

    partner = User.objects.get(username="bench-partner-001")
    reviewer = User.objects.get(username="bench-reviewer-01")

    with_second_factor([partner, reviewer])
    session = signed_in_session

    mine = Claim.objects.filter(company_id=partner.company_id)
    consent = list(
        Claim.objects.filter(state="approved", deadline_kind="consent_window", deadline_expired=False)
        .exclude(deadline_at__lte=timezone_now())
        .order_by("pk")[:20]
    )
    return {
        "partner_token": Token.objects.get_or_create(user=partner)[0].key,
        "reviewer_token": Token.objects.get_or_create(user=reviewer)[0].key,
        "partner_session": session(partner),
        "reviewer_session": session(reviewer),
        "claim_id": mine.filter(state="partner_action_required").order_by("pk").values_list("pk", flat=True).first(),
        "editing_id": mine.filter(state="editing").order_by("pk").values_list("pk", flat=True).first(),
        "review_id": Claim.objects.filter(state="under_review", assigned_reviewer__isnull=False)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first(),
        "consent_tokens": [make_token(c) for c in consent],
        "tenant_prefix": mine.filter(pk__gte=mine.order_by("pk").values_list("pk", flat=True).first() + 500)
        .order_by("pk")
        .first()
        .customer_domain.split(".")[0][:-1],
        "customer_name": "Adatum Labs",
    }


def api_headers(token: str):
    return {"Authorization": f"Token {token}", "Accept": "application/json"}


def cookie_headers(session: str):
    return {"Cookie": f"sessionid={session}"}


def latency_alone(port: int, requests, times: int) -> dict[str, float]:
    """Each request's median latency sent one at a time: its own cost, without queueing
    behind other requests (or other processes of a busy machine)."""
    from . import load

    out: dict[str, float] = {}
    for label, request in requests:
        out[label] = load.closed(port, [(label, request)], clients=1, seconds=60, max_requests=times).p50
    return out


PER_PAGE = 20  # requests of each page in a paced run, at least


def paced_pages(cfg: Config, port: int, requests, v, budget_ms: float) -> None:
    """The page lines (B3, B8): warm up, time each page alone, then 10 users each asking for a
    page about once a second; the product is the slowest page's p95 against the budget."""
    import statistics

    from . import load

    load.closed(port, requests, clients=4, seconds=1)  # warm
    alone = latency_alone(port, requests, 2 if cfg.small else 5)
    pooled: dict[str, list[float]] = {}
    for run in range(cfg.runs):
        # Long enough for 20 requests of each page a run: a p95 of fewer is only their maximum
        # (B3's 17 pages had 9 each in 15 s, and one slow request decided the run).
        r = load.paced(
            port,
            requests,
            users=10,
            rate=10.0,
            seconds=max(cfg.seconds * 1.5, len(requests) * (2 if cfg.small else PER_PAGE) / 10),
        )
        for label, values in r.by_label.items():
            pooled.setdefault(label, []).extend(values)
        worst = max(r.p(0.95, label) for label in r.by_label)
        log(
            f"  {v.name.split()[0]} run {run + 1}: {r.count} requests, p95 {r.p95 * 1000:.0f} ms, worst page p95 {worst * 1000:.0f} ms"
        )
        v.product.append(worst * 1000)
        v.floor.append(budget_ms)
        if r.errors:
            v.errors.extend(r.errors)
            v.note = f"errors: {r.errors[:3]}"
    for label, _ in requests:
        values = sorted(pooled.get(label, []))
        if values:
            p95 = values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]
            v.detail.append(
                f"{label}: p95 {p95 * 1000:.0f} ms, median {statistics.median(values) * 1000:.0f} ms, n={len(values)}; "
                f"alone {alone[label] * 1000:.0f} ms"
            )
    v.note = v.note or f"floor column: the {budget_ms:.0f} ms budget; product: the slowest page's p95"
