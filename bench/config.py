"""What every part of the bench shares: the run's configuration, the preparation of its data
sets, the log and the clock."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass

from . import env


def log(msg: str) -> None:
    print(msg, flush=True)


@dataclass(frozen=True)
class Config:
    small: bool
    runs: int
    seconds: float
    main_db: str
    scale_db: str
    outbox: int
    layout: str = "spread"
    mixed_seconds: float = 300.0  # B7's load

    def params(self):
        from .datagen import Params

        if self.small:
            return Params(claims=100_000, due=10_000, big=10_000, companies=20, layout=self.layout)
        return Params(claims=1_000_000, due=100_000, big=10_000, companies=100, layout=self.layout)

    def scale_params(self):
        from .datagen import Params

        p = self.params()
        # Every claim is due here, whatever the layout: one data set serves both.
        return Params(claims=p.due, due=p.due, big=p.big // 10, companies=20)


def prepare_database(name: str, params) -> None:
    """Creates, migrates and fills a data set (in a child process: one database per process)."""
    env.create_database(name)
    code = (
        f"from bench import env; env.configure({name!r}); from django.core.management import call_command; "
        "call_command('migrate', verbosity=0); from bench import datagen; "
        f"datagen.ensure(datagen.Params(**{params.__dict__!r}), log=lambda m: print(m, flush=True))"
    )
    subprocess.run([sys.executable, "-c", code], cwd=env.ROOT, env=env.process_env(name), check=True)


def timezone_now():
    """django.utils.timezone.now(), imported on the first call: the harness sets Django up
    (env.configure) after it starts."""
    from django.utils import timezone

    return timezone.now()
