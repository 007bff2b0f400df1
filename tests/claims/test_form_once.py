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
