from django.core.management.base import BaseCommand, CommandError

from cpor import readiness


class Command(BaseCommand):
    help = "Runs /readyz's checks (all, or those named) and fails naming any that failed (for container health checks)."

    def add_arguments(self, parser):
        parser.add_argument("checks", nargs="*", help=f"Checks to run, of {', '.join(readiness.CHECKS)} (default: all).")

    def handle(self, *args, **options):
        unknown = set(options["checks"]) - set(readiness.CHECKS)
        if unknown:
            raise CommandError(f"unknown checks: {', '.join(sorted(unknown))}")
        results = readiness.run(options["checks"] or None)
        for name, verdict in results.items():
            self.stdout.write(f"{name}: {verdict}")
        failed = readiness.failed(results)
        if failed:
            raise CommandError(f"not ready: {', '.join(failed)}")
