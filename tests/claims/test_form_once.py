"""A browser form submitted twice (a double click) stores once."""

from claims.models import ClaimComment


def token_of(html: str) -> str:
    return html.split('name="form_token" value="', 1)[1].split('"', 1)[0]


def test_the_same_form_posted_twice_stores_one_comment_and_replays_the_redirect(client, build, fabrikam):
    claim = build.submitted()
    client.force_login(fabrikam)
    token = token_of(client.get(f"/claims/{claim.pk}/").content.decode())
    first = client.post(f"/claims/{claim.pk}/comments/", {"body": "Hello", "form_token": token})
    second = client.post(f"/claims/{claim.pk}/comments/", {"body": "Hello", "form_token": token})
    assert first.status_code == second.status_code == 302 and first["Location"] == second["Location"]
    assert ClaimComment.objects.filter(claim=claim, body="Hello").count() == 1
    assert claim.events.filter(action="commented").count() == 1


def test_each_render_gives_a_new_token_so_a_second_comment_is_stored(client, build, fabrikam):
    claim = build.submitted()
    client.force_login(fabrikam)
    for body in ("one", "two"):
        token = token_of(client.get(f"/claims/{claim.pk}/").content.decode())
        client.post(f"/claims/{claim.pk}/comments/", {"body": body, "form_token": token})
    assert ClaimComment.objects.filter(claim=claim, kind="comment").count() == 2


def test_a_refused_form_is_not_replayed(client, build, fabrikam):
    claim = build.submitted()
    client.force_login(fabrikam)
    token = token_of(client.get(f"/claims/{claim.pk}/").content.decode())
    assert client.post(f"/claims/{claim.pk}/comments/", {"body": "", "form_token": token}).status_code == 400
    assert client.post(f"/claims/{claim.pk}/comments/", {"body": "now", "form_token": token}).status_code == 302
    assert ClaimComment.objects.filter(claim=claim, body="now").count() == 1


def test_an_exception_of_a_view_under_the_guard_reaches_the_middlewares_and_rolls_its_work_back(client, build, fabrikam):
    """The guard used to call the view from process_view, so an exception meant for a
    middleware's process_exception (allauth's ImmediateHttpResponse, the store's 503) became
    a 500 whenever the form carried a token. Now Django calls the view: allauth answers, and
    the work done before the exception rolls back with the token, so a retry runs again."""
    from unittest import mock

    from allauth.core.exceptions import ImmediateHttpResponse
    from django.http import HttpResponseRedirect

    from claims import views

    claim = build.submitted()
    client.force_login(fabrikam)
    token = token_of(client.get(f"/claims/{claim.pk}/").content.decode())
    real = views.services.comment_add

    def comment_then_interrupt(*args, **kwargs):
        real(*args, **kwargs)
        raise ImmediateHttpResponse(HttpResponseRedirect("/elsewhere/"))

    with mock.patch.object(views.services, "comment_add", comment_then_interrupt):
        answered = client.post(f"/claims/{claim.pk}/comments/", {"body": "Interrupted", "form_token": token})
    assert answered.status_code == 302 and answered["Location"] == "/elsewhere/"
    assert not ClaimComment.objects.filter(claim=claim, body="Interrupted").exists()
    # The token rolled back too: the same form sent again is stored once.
    again = client.post(f"/claims/{claim.pk}/comments/", {"body": "Interrupted", "form_token": token})
    assert again.status_code == 302 and ClaimComment.objects.filter(claim=claim, body="Interrupted").count() == 1
