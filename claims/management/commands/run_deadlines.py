from django.core.management.base import BaseCommand

from claims import deadlines, notifications


class Command(BaseCommand):
    help = "Runs every periodic job once, now: the deadline sweep, then the outbox re-send."

    def add_arguments(self, parser):
        parser.add_argument(
            "--all-pending",
            action="store_true",
            help="Also send notifications younger than the re-send grace period.",
        )

    def handle(self, *args, **options):
        handled = deadlines.run_sweep()
        sent = notifications.resend_pending(grace_seconds=0 if options["all_pending"] else None)
        self.stdout.write(f"Deadline sweep: {handled} claim(s) handled. Outbox: {sent} notification(s) sent.")
