"""Prometheus metrics (GET /metrics, docs/operations.md "Monitoring").

Two kinds:

- request metrics, counted by RequestMetricsMiddleware in the serving process: one histogram
  of latency per view (the URL pattern's name, never the raw path, so a scanner's made-up
  addresses add no series), method and status; its `_count` is the request count. With
  several gunicorn workers, set PROMETHEUS_MULTIPROC_DIR (prometheus-client's own variable)
  to a folder emptied at each start: every worker then writes there and any worker's answer
  sums them all.
- domain gauges, computed when scraped (DomainCollector): a fixed handful of queries, each
  served by a partial index (due claims, pending or failed outbox rows, uploads pending
  their malware scan), so a scrape costs
  the same however many claims and emails the database holds.

Cross-app on purpose (claims and integrations): cpor sits above the apps.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator

from django.conf import settings
from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client import REGISTRY, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from claims import clocks, deadlines, heartbeats, outbox
from claims.choices import ScanStatus
from claims.models import ClaimEvidence
from claims.notifications import DELIVERY_QUEUE
from integrations import webhooks
from integrations.models import ClaimImport

log = logging.getLogger(__name__)

REQUEST_SECONDS = Histogram(
    "cpor_http_request_duration_seconds",
    "Time from the first middleware receiving a request to its response, by view (URL pattern name), "
    "method and status. _count is the number of requests.",
    ["view", "method", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def _view_name(request) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unresolved"  # refused or redirected before URL resolution, or no such URL
    return match.view_name  # the pattern's name, or the view's dotted path when it has none


class RequestMetricsMiddleware:
    """First in MIDDLEWARE: the time counted includes every other middleware's."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        REQUEST_SECONDS.labels(_view_name(request), request.method, str(response.status_code)).observe(
            time.perf_counter() - started
        )
        return response


def celery_queues() -> list[str]:
    """Every queue a task is sent to: the default one and the delivery queue."""
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values() if "queue" in route}
    return sorted({settings.CELERY_TASK_DEFAULT_QUEUE, DELIVERY_QUEUE, *routed})


def queue_lengths() -> dict[str, int]:
    """Messages waiting in each queue, asked of the broker through kombu's passive declare:
    the Redis lists' lengths (every priority's list), or the filesystem broker's message files."""
    from kombu.exceptions import ChannelError

    from .celery import app

    lengths = {}
    with app.connection_for_read() as conn:
        conn.ensure_connection(max_retries=1)
        channel = conn.default_channel
        for queue in celery_queues():
            try:
                lengths[queue] = channel.queue_declare(queue=queue, passive=True).message_count
            except ChannelError:  # never declared (nothing ever sent to it): nothing waits
                lengths[queue] = 0
    return lengths


class DomainCollector(Collector):
    """The domain's gauges, read from the database (and the broker) at scrape time."""

    def collect(self) -> Iterator[Metric]:
        now = timezone.now()

        due = GaugeMetricFamily(
            "cpor_claims_due",
            "Claims whose deadline has passed and which the deadline sweep has not handled yet, by clock.",
            labels=["clock"],
        )
        counts = dict.fromkeys(clocks.CLOCKS, 0)
        # The sweep's own definition of due (claims.deadlines.due_claims), on its partial index.
        for row in deadlines.due_claims(now).order_by().values("deadline_kind").annotate(n=Count("pk")):
            counts[row["deadline_kind"]] = row["n"]
        for kind, n in sorted(counts.items()):
            due.add_metric([kind], n)
        yield due

        sweep = heartbeats.read(heartbeats.SWEEP).get(heartbeats.SWEEP)
        yield GaugeMetricFamily(
            "cpor_sweep_last_success_timestamp_seconds",
            "Unix time at which the deadline sweep last finished without an error (0: never).",
            value=sweep.ended_at.timestamp() if sweep else 0,
        )
        if sweep is not None and sweep.duration_seconds is not None:
            yield GaugeMetricFamily(
                "cpor_sweep_duration_seconds",
                "How long the last successful deadline sweep took.",
                value=sweep.duration_seconds,
            )

        pending = outbox.EMAILS.pending().aggregate(n=Count("pk"), oldest=Min("created_at"))
        yield GaugeMetricFamily("cpor_outbox_pending", "Emails written but not sent yet (including retries).", value=pending["n"])
        yield GaugeMetricFamily(
            "cpor_outbox_oldest_pending_age_seconds",
            "Age of the oldest email not sent yet (0 when none waits).",
            value=max((now - pending["oldest"]).total_seconds(), 0) if pending["oldest"] else 0,
        )
        yield GaugeMetricFamily(
            "cpor_outbox_failed",
            "Emails given up after their retry window, waiting for staff to retry.",
            value=outbox.failed_count(),
        )
        yield GaugeMetricFamily(
            "cpor_webhook_deliveries_pending",
            "Webhook deliveries not delivered yet (including retries).",
            value=webhooks.DELIVERIES.pending().count(),
        )
        yield GaugeMetricFamily(
            "cpor_webhook_deliveries_failed",
            "Webhook deliveries given up after their retry schedule, waiting for a redelivery.",
            value=webhooks.DELIVERIES.failed().order_by().count(),
        )
        # Both read through the partial indexes on pending uploads (evidence_pending_scan, import_pending_scan).
        files = ClaimEvidence.objects.pending_scan().aggregate(n=Count("pk"), oldest=Min("uploaded_at"))
        imports = ClaimImport.objects.filter(scan_status=ScanStatus.PENDING).aggregate(n=Count("pk"), oldest=Min("created_at"))
        oldest = min((t for t in (files["oldest"], imports["oldest"]) if t is not None), default=None)
        yield GaugeMetricFamily(
            "cpor_uploads_pending_scan",
            "Uploaded files (PoE files and import files) waiting for their malware scan; never served meanwhile.",
            value=files["n"] + imports["n"],
        )
        yield GaugeMetricFamily(
            "cpor_uploads_oldest_pending_scan_age_seconds",
            "Age of the oldest upload still waiting for its malware scan (0 when none waits).",
            value=max((now - oldest).total_seconds(), 0) if oldest else 0,
        )

        try:
            lengths = queue_lengths()
        except Exception:  # noqa: BLE001 - a broker that does not answer must not fail the whole scrape
            log.warning("Metrics: the Celery broker did not answer; cpor_celery_queue_length left out.", exc_info=True)
            return
        queues = GaugeMetricFamily(
            "cpor_celery_queue_length", "Celery messages waiting in the broker, by queue.", labels=["queue"]
        )
        for queue, n in lengths.items():
            queues.add_metric([queue], n)
        yield queues


def exposition() -> bytes:
    """The scrape's body: request metrics (all workers' when PROMETHEUS_MULTIPROC_DIR is set,
    else this process's with its process metrics), then the domain gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        requests = CollectorRegistry()
        MultiProcessCollector(requests)
    else:
        requests = REGISTRY
    domain = CollectorRegistry(auto_describe=False)
    domain.register(DomainCollector())
    return generate_latest(requests) + generate_latest(domain)
