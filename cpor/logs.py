"""Logs: one line per event, as readable text (the default, `make run`) or as JSON lines
(CPOR_LOG_FORMAT=json) for a log pipeline, through structlog and django-structlog.

Every line, ours and the libraries' (django, axes, cpor.security, celery, the delivery engine),
goes through the root logger's one handler and its structlog formatter, which adds the
context bound for the request or task that wrote it: `request_id` (cpor.requestid), and
in a request `user_id` and `ip` (the client address by the one rule of cpor.security); in a
Celery task `task_id` and `parent_task_id`. One grep of a request id finds the request's
line (`request_finished`), the tasks it queued and ran, and the worker's lines about the
emails and webhook deliveries it caused (each outbox row stores its request id).
"""

from __future__ import annotations

import logging
import sys

import structlog
from celery.signals import task_postrun
from django.dispatch import receiver
from django_structlog import signals as request_signals
from django_structlog.celery import signals as task_signals

from . import requestid

FORMATS = ("console", "json")

# Added to every line, whether structlog or the standard library's logging wrote it.
_SHARED = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def _renderers(fmt: str) -> list:
    if fmt == "json":
        return [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
    return [structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())]


def formatter(fmt: str) -> logging.Formatter:
    """The root handler's formatter: structlog's events and the standard library's records
    alike, with the bound context, rendered as text or as one JSON object per line."""
    return structlog.stdlib.ProcessorFormatter(
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *_renderers(fmt)],
        foreign_pre_chain=_SHARED,
    )


def logging_config(fmt: str, level: str) -> dict:
    """Django's LOGGING for this format; configures structlog to hand its events to it."""
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_SHARED,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"structlog": {"()": "cpor.logs.formatter", "fmt": fmt}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structlog"}},
        "root": {"handlers": ["console"], "level": level},
        # Failed and locked-out sign-ins (django-axes, cpor.security) are always recorded; the
        # PDF writer's font subsetter logs every glyph at INFO; django-structlog's request
        # lines are at INFO (request_finished; request_started is DEBUG).
        "loggers": {
            "axes": {"level": "INFO"},
            "cpor.security": {"level": "INFO"},
            "fontTools": {"level": "WARNING"},
            "django_structlog": {"level": "INFO"},
        },
    }


class RequestIdMiddleware:
    """Keeps an incoming X-Request-ID only if it is a sane token (cpor.requestid.SANE), else
    makes one; django-structlog's RequestMiddleware (right after) binds it for every log line of
    the request, and every response, page or API, answers with it in X-Request-ID."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        rid = requestid.sane(request.META.get(requestid.META_KEY)) or requestid.new()
        request.META[requestid.META_KEY] = rid
        response = self.get_response(request)
        response[requestid.HEADER] = rid
        return response


@receiver(request_signals.bind_extra_request_metadata)
def _bind_client_address(request, logger, log_kwargs, **kwargs) -> None:
    """The client's address by the project's one rule (CPOR_TRUSTED_PROXIES), not ipware's."""
    from .security import client_ip

    structlog.contextvars.bind_contextvars(ip=client_ip(request))


@receiver(task_signals.bind_extra_task_metadata)
def _own_id_for_work_no_request_caused(sender, task=None, logger=None, **kwargs) -> None:
    """A task published with no request id (beat's runs: the sweep, the drains, the retries)
    gets its own, so one run's lines, the tasks it queues and the rows it writes share it."""
    if not structlog.contextvars.get_contextvars().get("request_id"):
        structlog.contextvars.bind_contextvars(request_id=requestid.new())


@task_postrun.connect
def _forget_the_task_s_context(sender=None, task=None, **kwargs) -> None:
    """A worker's lines between two tasks ("Task … received") carry no finished task's ids.
    A task run eagerly (in the request that called it) keeps the request's context."""
    if task is not None and not getattr(task.request, "is_eager", False):
        structlog.contextvars.clear_contextvars()
