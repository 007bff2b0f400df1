"""The list pages' rows, written in Python (claims.rows, reviews.rows), hold to the markup of
the row templates they replace: the same cells, labels, flags, links and escaping, for every
kind of claim and in another language. The reference templates below are those rows as the
pages rendered them before (templates/claims/_row.html and the row loop of
templates/reviews/queue.html)."""

import re
from datetime import timedelta

import pytest
from django.template import engines
from django.utils import timezone, translation

from claims import links
from claims.models import Claim, CustomerTenant
from claims.rows import dashboard_rows_html
from claims.selectors import claims_for_company
from reviews.rows import queue_rows_html
from reviews.selectors import queue_rows
from tests.conftest import Builder, another_customer, claim_data, m365_data

DASHBOARD_ROW = """{% load i18n claims_tags %}{% for claim in claims %}<tr>
  <td data-label="{% translate 'Claim' %}"><a href="{% url 'claims:detail' claim.pk %}">#{{ claim.pk }} {{ claim.name }}</a></td>
  <td data-label="{% translate 'Customer' %}">{% if claim.tenant %}{{ claim.tenant.name }}{% else %}{{ claim.customer_domain|default:"—" }}{% endif %}</td>
  <td data-label="{% translate 'Solution area / activity' %}">{{ claim.get_solution_area_display|default:"—" }}{% if claim.activity %} / {{ claim.get_activity_display }}{% endif %}</td>
  <td data-label="{% translate 'Products' %}">{% for cp in claim.products.all %}{{ cp.product.name }}{% if not forloop.last %}, {% endif %}{% empty %}—{% endfor %}</td>
  <td data-label="{% translate 'Status' %}"><span class="status status-{{ claim.state }}">{{ claim.get_state_display }}</span>{% if claim.is_overdue %} <span class="flag">{% translate "overdue" %}</span>{% endif %}</td>
  <td data-label="{% translate 'Next deadline' %}">{% next_deadline claim %}</td>
</tr>{% endfor %}"""

QUEUE_ROWS = """{% load i18n claims_tags %}{% translate "Claim" as l_claim %}{% translate "dispute" as l_dispute %}{% translate "competing" as l_competing %}{% translate "Partner" as l_partner %}{% translate "Customer" as l_customer %}{% translate "Products" as l_products %}{% translate "Status" as l_status %}{% translate "overdue" as l_overdue %}{% translate "Assigned to" as l_assigned %}{% translate "Deadline" as l_deadline %}
{% for claim in claims %}<tr>
<td><input type="checkbox" name="claims" value="{{ claim.pk }}" id="pick-{{ claim.pk }}" aria-label="{% blocktranslate with pk=claim.pk %}Select #{{ pk }}{% endblocktranslate %}"></td>
<td data-label="{{ l_claim }}"><a href="{{ claim.review_path }}">#{{ claim.pk }} {{ claim.name }}</a>{% if claim.is_dispute %} <span class="flag">{{ l_dispute }}</span>{% endif %}{% if claim.is_competing %} <span class="flag flag-competing">{{ l_competing }}</span>{% endif %}</td>
<td data-label="{{ l_partner }}">{{ claim.company.name }}</td><td data-label="{{ l_customer }}">{{ claim.tenant.name|default:"—" }}</td>
<td data-label="{{ l_products }}">{% for cp in claim.products.all %}{{ cp.product.name }}{% if not forloop.last %}, {% endif %}{% endfor %}</td>
<td data-label="{{ l_status }}"><span class="status status-{{ claim.state }}">{{ claim.state_label }}</span>{% if claim.is_overdue %} <span class="flag">{{ l_overdue }}</span>{% endif %}</td>
<td data-label="{{ l_assigned }}">{{ claim.assigned_reviewer.get_username|default:"—" }}</td><td data-label="{{ l_deadline }}">{% deadline_words claim %}</td>
</tr>{% endfor %}"""


def normalized(html: str) -> str:
    """Markup without the layout whitespace between tags."""
    return re.sub(r">\s+<", "><", str(html)).strip()


def reference(source: str, claims) -> str:
    return normalized(engines["django"].from_string(source).render({"claims": claims}))


@pytest.fixture
def variety(build, northwind, ana, ben):
    """Claims of every state and shape: no tenant, no activity, no products' subscriptions,
    markup in names, overdue, a dispute, competing claims, assigned or not, every clock."""
    odd = CustomerTenant.objects.create(
        tenant_id="99999999-9999-4999-8999-999999999999", name='<b>"Odd" & Co</b>', subdomain="odd"
    )
    claims = [
        build.editing(claim_data(name="Draft <script>x</script>", activity="", products=[]), poe=False),
        build.submitted(m365_data(name="Teams & more", **another_customer(1))),
        build.under_review(
            m365_data(name="Intune", products=[{"product": "intune"}, {"product": "teams"}], **another_customer(2))
        ),
        build.par(m365_data(name="Answer me", **another_customer(3))),
        build.approved(m365_data(name="Approved one", **another_customer(4))),
        build.rejected(m365_data(name="Rejected one", **another_customer(5))),
        build.submitted(m365_data(name="Odd customer", customer_tenant_id=str(odd.tenant_id), customer_domain="odd")),
        # Competing: Northwind claims a customer and product Fabrikam claims too.
        build.submitted(m365_data(name="Fabrikam Teams", **another_customer(6))),
        Builder(northwind, ben).submitted(m365_data(name="Northwind Teams", mpn_id="5678901", **another_customer(6))),
    ]
    Claim.objects.filter(pk=claims[1].pk).update(is_overdue=True, deadline_at=timezone.now() - timedelta(days=2))
    Claim.objects.filter(pk=claims[2].pk).update(is_dispute=True)
    Claim.objects.filter(pk=claims[0].pk).update(tenant=None, customer_domain="")
    return claims


@pytest.mark.parametrize("language", ["en", "it"])
def test_dashboard_rows_match_the_row_template(variety, fabrikam, language):
    with translation.override(language):
        claims = list(claims_for_company(fabrikam.company_id))
        assert len(claims) == 8
        want = reference(DASHBOARD_ROW, claims)
        got = normalized(dashboard_rows_html(claims))
    assert got == want
    # What the comparison covers (so a reference that renders nothing cannot pass).
    assert got.count("<tr>") == 8 and "Draft &lt;script&gt;x&lt;/script&gt;" in got and "&lt;b&gt;&quot;Odd&quot;" in got
    assert links.path("claims:detail", claims[0].pk) in got and 'class="flag"' in got
    draft = next(c for c in claims if c.name.startswith("Draft"))
    assert f">#{draft.pk} Draft &lt;script&gt;" in got  # the number messages cite


@pytest.mark.parametrize("language", ["en", "it"])
def test_queue_rows_match_the_row_template(variety, ana, language):
    with translation.override(language):
        claims = list(queue_rows(me=ana, show="", area="", q="", sort=""))
        for claim in claims:  # what the queue view set on each row for its template
            claim.review_path = links.path("reviews:review", claim.pk)
            claim.state_label = str(claim.get_state_display())
        assert len(claims) == 5  # submitted, under review and the dispute (Partner Action Required waits apart)
        want = reference(QUEUE_ROWS, claims)
        got = normalized(queue_rows_html(claims))
    assert got == want
    assert got.count("<tr>") == 5 and got.count("flag-competing") == 2 and "&quot;Odd&quot;" in got
    assert 'id="pick-' in got and "reviewer-ana" in got
