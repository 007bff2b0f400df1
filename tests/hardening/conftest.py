import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def fresh_throttle():
    # The token endpoint allows 10 requests a minute per client; each test starts with a fresh count.
    cache.clear()
    yield
    cache.clear()
