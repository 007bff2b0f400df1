from django.apps import AppConfig


class TeamsConfig(AppConfig):
    name = "teams"
    verbose_name = "Teams"

    def ready(self) -> None:
        # Registers this app's refusal codes with the shared error catalogue.
        from . import errors  # noqa: F401
