from django.core.management.base import BaseCommand

from claims import deadlines, outbox


class Command(BaseCommand):
    help = "Runs the periodic jobs once, now: the deadline sweep, then an outbox drain."

    def add_arguments(self, parser):
        # Kept for scripts written against earlier versions: every due email is sent now anyway.
        parser.add_argument("--all-pending", action="store_true", help="Accepted for compatibility; no effect.")

    def handle(self, *args, **options):
        handled = deadlines.run_sweep()
        sent = outbox.drain_all()
        self.stdout.write(f"Deadline sweep: {handled} claim(s) handled. Outbox: {sent} notification(s) sent.")
