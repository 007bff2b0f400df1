from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Partner integrations"

    def ready(self) -> None:
        # Registers this app's refusal codes with the shared error catalogue.
        from . import (
            errors,  # noqa: F401
            webhooks,
        )

        # Webhooks follow claim history (claims.events).
        webhooks.subscribe()
