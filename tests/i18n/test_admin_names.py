"""The admin's app, model and field names are translatable (no English derived from a
class or attribute name)."""

import pytest
from django.apps import apps
from django.utils import translation
from django.utils.functional import Promise

# Not shown to partners or reviewers.
EXEMPT_MODELS = {"IdempotencyKey"}
INTERNAL_FIELDS = {("Claim", "deadline_expired"), ("Claim", "arbitration_notified_at"), ("Claim", "consent_nonce")}


@pytest.mark.parametrize("app", ["claims", "reviews"])
def test_every_model_and_field_has_a_translatable_name(app):
    config = apps.get_app_config(app)
    assert isinstance(config.verbose_name, Promise)
    untranslatable = []
    for model in config.get_models():
        if model.__name__ in EXEMPT_MODELS:
            continue
        if not isinstance(model._meta.verbose_name, Promise) or not isinstance(model._meta.verbose_name_plural, Promise):
            untranslatable.append(model.__name__)
        for field in model._meta.get_fields():
            if field.auto_created or not field.concrete or (model.__name__, field.name) in INTERNAL_FIELDS:
                continue
            if not isinstance(field.verbose_name, Promise):
                untranslatable.append(f"{model.__name__}.{field.name}")
    assert untranslatable == []


def test_the_admin_index_names_apps_and_models_in_the_language(admin_client):
    with translation.override("es"):
        html = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    for name in ("Declaraciones", "Asociaciones de clientes", "Suscripciones", "Productos", "Usuarios", "Inquilinos de clientes"):
        assert name in html, name
