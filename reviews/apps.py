from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = _("Reviews")

    def ready(self) -> None:
        # The reviewer's actions join the registry of claim actions (claims.actions).
        from . import actions  # noqa: F401
