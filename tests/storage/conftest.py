"""A store for each backend, as real servers (tests/stores.py): the app's default storage is
pointed at a fresh bucket, container or folder for each test."""

from __future__ import annotations

import pytest

from tests import stores

BACKENDS = [
    "filesystem",
    pytest.param("s3", marks=pytest.mark.s3),
    pytest.param("azure", marks=pytest.mark.azurite),
]


@pytest.fixture(scope="session")
def moto(tmp_path_factory):
    server = stores.start_moto(tmp_path_factory.mktemp("moto"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def azurite(tmp_path_factory):
    server = stores.start_azurite(tmp_path_factory.mktemp("azurite"))
    yield server
    server.stop()


def make_store(kind: str, request, tmp_path) -> stores.Store:
    if kind == "s3":
        return stores.s3_store(request.getfixturevalue("moto"))
    if kind == "azure":
        return stores.azure_store(request.getfixturevalue("azurite"))
    return stores.filesystem_store(tmp_path / "media")


def use(store: stores.Store, settings) -> stores.Store:
    settings.STORAGES = {**settings.STORAGES, "default": store.config}
    if store.media_root is not None:
        settings.MEDIA_ROOT = store.media_root
    return store


@pytest.fixture(params=BACKENDS)
def store(request, settings, tmp_path) -> stores.Store:
    """The app's stored files in a fresh place of each backend."""
    return use(make_store(request.param, request, tmp_path), settings)


@pytest.fixture(params=[pytest.param("s3", marks=pytest.mark.s3), pytest.param("azure", marks=pytest.mark.azurite)])
def own_store(request, settings, tmp_path):
    """A store whose server this test alone uses, so it may stop it (the store is down)."""
    server = stores.start_moto(tmp_path) if request.param == "s3" else stores.start_azurite(tmp_path, on_disk=True)
    store = stores.s3_store(server) if request.param == "s3" else stores.azure_store(server)
    yield use(store, settings)
    server.stop()
