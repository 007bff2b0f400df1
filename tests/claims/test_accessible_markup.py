"""The markup screen readers rely on (issue 23, point 6): help texts and errors tied to their
inputs, radios and checkboxes as labelled groups, error-summary links that land on something
that takes the focus, one alert per refused form, named table headers."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from tests.claims.test_partner_views import form_post
from tests.conftest import Builder, m365_data

pytestmark = pytest.mark.django_db

VOID = {"input", "br", "img", "meta", "link", "hr", "col", "area", "base", "source", "wbr"}
FOCUSABLE = {"input", "select", "textarea", "button", "a"}


class Element:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent, self.children, self.text = tag, dict(attrs), parent, [], ""

    def ancestors(self):
        node = self.parent
        while node is not None:
            yield node
            node = node.parent

    def all_text(self) -> str:
        return self.text + "".join(c.all_text() for c in self.children)


class Tree(HTMLParser):
    def __init__(self, html: str):
        super().__init__()
        self.root = Element("#root", {}, None)
        self.node, self.elements = self.root, []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        el = Element(tag, attrs, self.node)
        self.node.children.append(el)
        self.elements.append(el)
        if tag not in VOID:
            self.node = el

    def handle_endtag(self, tag):
        node = self.node
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:
            self.node = node.parent

    def handle_data(self, data):
        self.node.text += data

    def by_id(self, id_):
        return next((e for e in self.elements if e.attrs.get("id") == id_), None)

    def select(self, tag, **attrs):
        return [e for e in self.elements if e.tag == tag and all(e.attrs.get(k) == v for k, v in attrs.items())]


@pytest.fixture
def partner(client, fabrikam):
    client.force_login(fabrikam)
    return client


BAD_CHOICES = {"activity": "no-such-activity", "products": ["no-such-product"]}
BAD_TENANT = {"customer_tenant_id": "not-a-guid", "customer_contact_email": "nope"}


def refused_form(partner, **overrides) -> Tree:
    response = partner.post("/claims/new/", form_post(**(overrides or BAD_CHOICES)))
    assert response.status_code == 200
    return Tree(response.content.decode())


def test_every_aria_describedby_names_an_element_of_the_page_so_help_texts_are_read(partner):
    for page in (Tree(partner.get("/claims/new/").content.decode()), refused_form(partner), refused_form(partner, **BAD_TENANT)):
        described = [e for e in page.elements if e.attrs.get("aria-describedby")]
        assert described
        for e in described:
            for id_ in e.attrs["aria-describedby"].split():
                assert page.by_id(id_) is not None, f"{e.tag}#{e.attrs.get('id')} points at missing #{id_}"
    tenant = refused_form(partner, **BAD_TENANT).by_id("id_customer_tenant_id")
    assert tenant.attrs["aria-describedby"].split() == ["id_customer_tenant_id_helptext", "id_customer_tenant_id_error"]
    assert tenant.attrs["aria-invalid"] == "true"


@pytest.mark.parametrize("name, group", [("activity", "activities"), ("products", "products")])
def test_activity_radios_and_product_checkboxes_are_labelled_groups_whose_errors_reach_each_input(partner, name, group):
    page = refused_form(partner)
    inputs = page.select("input", name=name)
    assert inputs
    fieldset = page.by_id(group)
    assert fieldset.tag == "fieldset" and fieldset.children[0].tag == "legend" and fieldset.children[0].all_text().strip()
    for i in inputs:
        assert fieldset in i.ancestors()
        assert i.attrs.get("aria-invalid") == "true"
        error = page.by_id(i.attrs["aria-describedby"])
        assert error is not None and error.all_text().strip()


@pytest.mark.parametrize(
    "refusal, anchors", [(BAD_CHOICES, {"#activities", "#products"}), (BAD_TENANT, {"#id_customer_tenant_id"})]
)
def test_each_error_summary_link_lands_on_something_that_takes_the_focus(partner, refusal, anchors):
    page = refused_form(partner, **refusal)
    links = [e for e in page.elements if e.tag == "a" and any("error-summary" in a.attrs.get("class", "") for a in e.ancestors())]
    assert {link.attrs["href"] for link in links} >= anchors
    for link in links:
        target = page.by_id(link.attrs["href"][1:])
        assert target is not None and (target.tag in FOCUSABLE or "tabindex" in target.attrs), link.attrs["href"]


@pytest.mark.parametrize("refusal", [BAD_CHOICES, BAD_TENANT])
def test_a_refused_form_raises_one_alert_the_summary_not_one_per_field(partner, refusal):
    page = refused_form(partner, **refusal)
    alerts = [e for e in page.elements if e.attrs.get("role") == "alert"]
    assert len(alerts) == 1 and "error-summary" in alerts[0].attrs["class"]


def test_group_fields_of_other_forms_are_fieldsets_too(client, fabrikam, ana):
    """A RadioSelect or CheckboxSelectMultiple in templates/claims/_field.html (withdraw reason,
    request-information reasons) is a fieldset named by its legend."""
    claim = Builder(fabrikam, ana).under_review(m365_data())
    client.force_login(ana)
    page = Tree(client.get(f"/review/claims/{claim.pk}/").content.decode())
    boxes = page.select("input", name="reasons")
    assert boxes
    fieldset = next(a for a in boxes[0].ancestors() if a.tag == "fieldset")
    assert fieldset.children[0].tag == "legend"


def test_no_table_header_is_empty(client, fabrikam):
    claim = Builder(fabrikam, None).editing(m365_data())
    client.force_login(fabrikam)
    page = Tree(client.get(f"/claims/{claim.pk}/").content.decode())
    headers = page.select("th")
    assert headers
    for th in headers:
        assert th.all_text().strip() or th.attrs.get("aria-label"), "an empty <th>"
