from django.core import mail
from django.test import override_settings


@override_settings(EMAIL_BACKEND="cpor.dev_mail.EmlFileBackend")
def test_dev_backend_writes_one_file_per_message_in_sending_order(settings, tmp_path):
    settings.EMAIL_FILE_PATH = tmp_path
    for i in range(3):
        mail.send_mail(f"subject {i}", "body", "from@example.com", ["to@example.com"])
    from cpor.dev_mail import _read

    files = sorted(tmp_path.glob("*.eml"))
    assert [_read(p)["subject"] for p in files] == ["subject 0", "subject 1", "subject 2"]
