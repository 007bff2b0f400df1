"""Issue 21, point 4 in the browser: a Global admin invites a colleague from the team page,
the invitation email's link creates the account (the invitee sets the password and is signed
in), the role works, then the admin deactivates them and their session ends at once."""

import re

import pytest
from django.core import mail

from claims import demo
from claims.models import User
from tests.browser.test_partner_sign_in import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-long-passphrase-42"


def test_invite_email_accept_sign_in_role_works_deactivate_session_ends(live_server, chromium, page, screenshot):
    base = live_server.url
    demo.seed_directory()
    blocked = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)

    # 1. The Global admin opens the team page from the header's account menu and invites a Billing admin.
    sign_in(page, base, "fabrikam-global")
    page.locator("header details.account summary").click()
    page.get_by_role("link", name="Team", exact=True).click()
    page.get_by_role("heading", name="Team").wait_for()
    page.get_by_label("Email address").fill("nestor.wilke@fabrikam.example")
    page.get_by_label("Role", exact=True).select_option("billing_admin")
    page.get_by_role("button", name="Send invitation").click()
    page.get_by_text("Invitation sent to nestor.wilke@fabrikam.example.").wait_for()
    assert page.locator("#invitations").get_by_text("nestor.wilke@fabrikam.example").is_visible()
    screenshot(page, "team-page")

    # 2. The invitation email (delivered through the outbox) carries the link.
    message = next(m for m in mail.outbox if m.to == ["nestor.wilke@fabrikam.example"])
    assert "invited" in message.subject.lower()
    link = re.search(r"https?://\S+/team/join/\S+/", message.body).group(0)
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    email_page = chromium.new_page()
    email_page.set_content(message.alternatives[0][0])
    screenshot(email_page, "team-invitation-email")
    email_page.close()

    # 3. The invitee, in their own browser, sets a password and is signed in with the role.
    invitee_context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    invitee = invitee_context.new_page()
    invitee.set_default_timeout(15_000)
    invitee.goto(base + path)
    invitee.get_by_label("Username").fill("nestor")
    invitee.get_by_label("Password", exact=True).fill(PASSWORD)
    invitee.get_by_label("Password (again)").fill(PASSWORD)
    invitee.get_by_role("button", name="Create my account").click()
    invitee.get_by_text("Welcome! Your account is ready.").wait_for()
    invitee.get_by_role("link", name="Claims", exact=True).click()
    invitee.get_by_role("heading", name="Customer associations").wait_for()  # the claims role works
    assert User.objects.get(username="nestor").role == "billing_admin"

    # The link works once: opened again, it says so.
    again = chromium.new_page()
    again.goto(base + path)
    assert again.get_by_text("This invitation has already been used.").is_visible()
    again.close()

    # 4. The admin deactivates them; the invitee's next request is signed out.
    page.reload()
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Deactivate nestor").click()
    page.get_by_text("Deactivated.", exact=True).wait_for()
    assert page.locator("#access-log").get_by_text("Deactivated").count() >= 1
    invitee.goto(f"{base}/claims/")
    assert "/accounts/login/" in invitee.url
    invitee.get_by_role("button", name="Sign in", exact=True).wait_for()
    invitee_context.close()
    assert blocked == []
