"""The Celery app and its whole beat schedule: one reviewed place, in UTC."""

import os

from celery import Celery, bootsteps, signals
from celery.signals import beat_init, celeryd_after_setup, setup_logging, worker_init, worker_process_init
from django_structlog.celery.receivers import CeleryReceiver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cpor.settings")

app = Celery("cpor")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class TaskLogStep(bootsteps.Step):
    """Each task binds the request id (and task ids) its message carries, or its own for work
    no request caused (a beat run, cpor/logs.py), and logs its start, end and failure:
    django-structlog's worker receivers. Its own DjangoStructLogInitStep would connect the
    publishing receivers a second time (django_structlog's ready() did, as in every process),
    and log each queued task twice."""

    def __init__(self, parent, **kwargs) -> None:
        super().__init__(parent, **kwargs)
        self.receiver = receiver = CeleryReceiver()  # held here: signals keep weak references
        signals.task_prerun.connect(receiver.receiver_task_prerun)
        signals.task_retry.connect(receiver.receiver_task_retry)
        signals.task_success.connect(receiver.receiver_task_success)
        signals.task_failure.connect(receiver.receiver_task_failure)
        signals.task_revoked.connect(receiver.receiver_task_revoked)
        signals.task_unknown.connect(receiver.receiver_task_unknown)
        signals.task_rejected.connect(receiver.receiver_task_rejected)


app.steps["worker"].add(TaskLogStep)


@setup_logging.connect
def _log_like_the_web(**kwargs) -> None:
    """Workers and beat log through Django's LOGGING (cpor/logs.py: CPOR_LOG_FORMAT, each line
    with its request id) instead of Celery's own format; the level is DJANGO_LOG_LEVEL."""
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
    logging.captureWarnings(True)  # Python warnings become log lines too


@celeryd_after_setup.connect
def _no_banner_in_json_logs(sender, instance, **kwargs) -> None:
    """JSON lines only: the worker's start-up banner (text art on stdout) is left out, as
    --quiet would; its "ready" line is logged."""
    from django.conf import settings

    if settings.CPOR_LOG_FORMAT == "json":
        instance.quiet = True


@app.on_after_finalize.connect
def _beat_schedule(sender: Celery, **kwargs) -> None:
    from django.conf import settings

    sender.conf.beat_schedule = {
        # Finds due claims through the index on the stored deadline and acts on them.
        "deadline-sweep": {
            "task": "claims.tasks.run_deadline_sweep",
            "schedule": float(settings.CPOR_SWEEP_INTERVAL_SECONDS),
            # A sweep that could not start before the next one is due is dropped, not piled up.
            "options": {"expires": float(settings.CPOR_SWEEP_INTERVAL_SECONDS)},
        },
        # Drains the email outbox: retries that came due, and emails whose own
        # drain message was lost (broker down at commit, worker killed).
        "outbox-drain": {
            "task": "claims.tasks.drain_outbox",
            "schedule": float(settings.CPOR_OUTBOX_DRAIN_INTERVAL_SECONDS),
            "options": {"queue": "deliveries", "expires": float(settings.CPOR_OUTBOX_DRAIN_INTERVAL_SECONDS)},
        },
        # Re-queues webhook deliveries that are due: retries, and attempts a dead worker left.
        "webhook-retry": {
            "task": "integrations.tasks.retry_webhooks",
            "schedule": float(settings.CPOR_WEBHOOK_RETRY_INTERVAL_SECONDS),
        },
        # Re-queues PoE pre-checks whose message was lost (broker down at upload, worker killed).
        "precheck-pending": {
            "task": "claims.tasks.precheck_pending",
            "schedule": 300.0,
            "options": {"expires": 300.0},
        },
        # Proves beat and the deadlines' worker alive (/readyz, CPOR_BEAT_HEARTBEAT_MAX_AGE_SECONDS).
        "beat-heartbeat": {
            "task": "claims.tasks.beat_heartbeat",
            "schedule": float(settings.CPOR_BEAT_HEARTBEAT_INTERVAL_SECONDS),
            "options": {"expires": float(settings.CPOR_BEAT_HEARTBEAT_INTERVAL_SECONDS)},
        },
        # Re-queues the malware scan of every upload still pending (clamd was down, a message
        # lost): PoE files and import files (claims.scanning).
        "scan-sweep": {
            "task": "claims.tasks.sweep_pending_scans",
            "schedule": float(settings.CPOR_SCAN_SWEEP_INTERVAL_SECONDS),
            "options": {"expires": float(settings.CPOR_SCAN_SWEEP_INTERVAL_SECONDS)},
        },
        "import-scan-sweep": {
            "task": "integrations.tasks.sweep_pending_import_scans",
            "schedule": float(settings.CPOR_SCAN_SWEEP_INTERVAL_SECONDS),
            "options": {"expires": float(settings.CPOR_SCAN_SWEEP_INTERVAL_SECONDS)},
        },
        # Forgets API Idempotency-Keys older than a day.
        "idempotency-prune": {
            "task": "claims.tasks.prune_idempotency_keys",
            "schedule": 3600.0,
        },
    }


@worker_init.connect
@beat_init.connect
def _refuse_to_start_without_a_secret(**kwargs) -> None:
    from django.core.exceptions import ImproperlyConfigured

    from .startup import require_secret_key

    try:
        require_secret_key()
    except ImproperlyConfigured as exc:
        # Celery logs and ignores exceptions from signal handlers; SystemExit stops the process.
        raise SystemExit(str(exc)) from exc


@worker_init.connect
@worker_process_init.connect
def _prepare(**kwargs) -> None:
    """URLconf and holiday calendar loaded, startup objects out of the collector's way (cpor.startup)."""
    from .startup import prepare_serving_process

    prepare_serving_process()
