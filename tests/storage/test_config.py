"""CPOR_STORAGE and its connection settings: a bad or incomplete value stops the process at
start, naming the variable (as every setting does)."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from cpor.storage_config import default_storage


def test_the_default_is_the_filesystem():
    assert default_storage({})["BACKEND"] == "cpor.storage.FileSystemStorage"


@pytest.mark.parametrize(
    "env, named",
    [
        ({"CPOR_STORAGE": "ftp"}, "CPOR_STORAGE"),
        ({"CPOR_STORAGE": "s3"}, "CPOR_S3_BUCKET"),
        ({"CPOR_STORAGE": "azure", "CPOR_AZURE_CONTAINER": "files"}, "CPOR_AZURE_CONNECTION_STRING"),
        ({"CPOR_STORAGE": "azure", "CPOR_AZURE_ACCOUNT_NAME": "acct"}, "CPOR_AZURE_CONTAINER"),
        ({"CPOR_STORAGE": "s3", "CPOR_S3_BUCKET": "b", "CPOR_STORAGE_TIMEOUT_SECONDS": "0"}, "CPOR_STORAGE_TIMEOUT_SECONDS"),
    ],
)
def test_a_bad_or_missing_setting_is_refused_by_name(env, named):
    with pytest.raises(ImproperlyConfigured, match=named):
        default_storage(env)


def test_s3_settings_reach_the_backend():
    config = default_storage(
        {
            "CPOR_STORAGE": "s3",
            "CPOR_S3_BUCKET": "files",
            "CPOR_S3_ENDPOINT_URL": "http://objects:9000",
            "CPOR_S3_REGION": "eu-west-1",
        }
    )
    options = config["OPTIONS"]
    assert (config["BACKEND"], options["bucket_name"], options["endpoint_url"], options["region_name"]) == (
        "cpor.storage.S3Storage", "files", "http://objects:9000", "eu-west-1",
    )  # fmt: skip
    assert options["access_key"] is None  # boto3's own credential chain
