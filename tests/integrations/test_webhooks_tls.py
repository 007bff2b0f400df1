"""HTTPS delivery: the receiver's certificate is verified for the URL's host (SNI), and an
untrusted certificate is a failed attempt, never a request sent."""

import shutil
import ssl
import subprocess

import pytest
from pytest_httpserver import HTTPServer

from integrations import webhooks
from integrations.models import WebhookDelivery
from integrations.services import endpoint_create

from .conftest import verify

pytestmark = [pytest.mark.usefixtures("loopback")]


@pytest.fixture
def tls_receiver(tmp_path):
    if not shutil.which("openssl"):  # Debian's openssl: part of every image this runs on
        pytest.fail("needs the openssl command to make a certificate: apt-get install openssl")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = HTTPServer(host="127.0.0.1", port=0, ssl_context=context)
    server.start()
    server.expect_request("/hook").respond_with_data("ok")
    yield server, cert
    server.clear()
    if server.is_running():
        server.stop()


def test_a_trusted_certificate_receives_signed_events(tls_receiver, fabrikam, build, settings):
    server, cert = tls_receiver
    settings.CPOR_WEBHOOK_CA_BUNDLE = str(cert)
    endpoint, secret = endpoint_create(actor=fabrikam, url=f"https://127.0.0.1:{server.port}/hook", events=["claim.submitted"])
    build.submitted()
    webhooks.retry_due()
    assert WebhookDelivery.objects.get(endpoint=endpoint).status == "delivered"
    assert verify(secret, server.log[0][0])["type"] == "claim.submitted"


def test_an_untrusted_certificate_fails_the_attempt(tls_receiver, fabrikam, build):
    server, _cert = tls_receiver
    endpoint, _secret = endpoint_create(actor=fabrikam, url=f"https://127.0.0.1:{server.port}/hook", events=["claim.submitted"])
    build.submitted()
    webhooks.retry_due()
    attempt = WebhookDelivery.objects.get(endpoint=endpoint).attempt_log.get()
    assert (
        attempt.status_code is None and attempt.error_code == "connection_error" and "CERTIFICATE_VERIFY_FAILED" in attempt.error
    )
    assert server.log == []
