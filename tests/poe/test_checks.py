"""The five checks on text (no files): each rule's edges, in the five languages."""

from datetime import date

import pytest

from claims.precheck.checks import Context, run_checks

TODAY = date(2026, 11, 16)


def ctx(products=(("d365_sales", "Dynamics 365 Sales"),)):
    return Context(customer_names=["Contoso"], domains=["contoso.com"], products=list(products), today=TODAY)


def verdicts(text, context=None, page=1):
    return {c["code"]: c for c in run_checks([(page, text)], context or ctx())}


SIGNED_EN = """Customer: Contoso
Fabrikam Consulting deployed D365 Sales for the customer. We migrated 12,000 accounts, configured the security roles
and trained 85 users in four workshops. The rollout finished with two weeks of adoption support.
Customer signature: Megan Bowen
Date: March 12, 2026"""


def test_a_complete_english_document_passes_every_check_with_page_and_excerpt():
    checks = verdicts(SIGNED_EN, page=3)
    assert {code: c["verdict"] for code, c in checks.items()} == dict.fromkeys(
        ["customer", "signature", "date", "service", "products"], "found"
    )
    assert checks["signature"]["page"] == 3 and "Megan Bowen" in checks["signature"]["name"]
    assert "D365 Sales" in checks["products"]["excerpt"]
    assert checks["date"]["date"] == "2026-03-12"
    assert [c["reason"] for c in checks.values()] == [
        "missing_poe",
        "missing_customer_signature",
        "missing_or_old_dates",
        "missing_partner_service",
        "missing_products",
    ]


def test_a_date_older_than_12_months_is_missing_and_says_which():
    check = verdicts(SIGNED_EN.replace("March 12, 2026", "March 12, 2025"))["date"]
    assert check["verdict"] == "missing" and check["old"] is True and check["date"] == "2025-03-12"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Data: 03/04/2026. Os serviços de implantação foram concluídos com o cliente.", "2026-04-03"),  # pt: day first
        ("Date: 03/04/2026. The customer and the team were pleased with the work.", "2026-03-04"),  # en: month first
        ("Data: 12 marzo 2026. Il cliente e il team sono soddisfatti del lavoro svolto.", "2026-03-12"),
        ("Fecha: 3 de diciembre de 2025. El cliente y los equipos de la empresa.", "2025-12-03"),
        ("日期：2026年3月12日。客户对我们的工作非常满意，项目已经顺利完成并交付。", "2026-03-12"),
    ],
)
def test_dates_are_read_in_the_documents_language(text, expected):
    assert verdicts(text)["date"]["date"] == expected


def test_only_the_partners_signature_is_not_the_customers():
    text = SIGNED_EN.replace("Customer signature: Megan Bowen", "Partner signature: Alex Wilber")
    assert verdicts(text)["signature"]["verdict"] == "missing"


def test_a_blank_signature_line_is_unsure():
    text = SIGNED_EN.replace(
        "Customer signature: Megan Bowen\nDate: March 12, 2026", "Customer signature: ________\nDate: ______"
    )
    assert verdicts(text)["signature"]["verdict"] == "unsure"


def test_confirma_is_no_firma():
    text = "Cliente: Contoso. Esta carta confirma la relación con el cliente, 3 de marzo de 2026, Lucía Fernández."
    assert verdicts(text)["signature"]["verdict"] == "missing"


def test_a_chinese_signature_names_the_person():
    text = "客户：Contoso\n客户签名：王伟\n日期：2026年3月12日"
    check = verdicts(text)["signature"]
    assert check["verdict"] == "found" and check["name"] == "王伟"


def test_each_claimed_product_is_looked_for_and_another_product_does_not_count():
    two = ctx([("d365_sales", "Dynamics 365 Sales"), ("d365_customer_service", "Dynamics 365 Customer Service")])
    check = verdicts(SIGNED_EN.replace("D365 Sales", "Dynamics 365 Finance"), two)["products"]
    assert check["verdict"] == "missing"
    assert {p["code"]: p["verdict"] for p in check["products"]} == {"d365_sales": "missing", "d365_customer_service": "missing"}
    check = verdicts(SIGNED_EN.replace("D365 Sales", "D365 Sales and Dynamics 365 Customer Service"), two)["products"]
    assert check["verdict"] == "found"


def test_an_ocr_slip_in_a_product_name_is_still_found():
    assert verdicts(SIGNED_EN.replace("D365 Sales", "Dynamlcs 365 Sa1es"))["products"]["verdict"] == "found"


def test_the_word_teams_alone_is_not_microsoft_teams():
    check = verdicts(SIGNED_EN, ctx([("teams", "Microsoft Teams")]))["products"]
    assert check["verdict"] == "missing"


def test_the_customer_is_found_by_domain_and_another_customer_is_missing():
    assert verdicts("Prepared for it@contoso.com on 3 March 2026")["customer"]["verdict"] == "found"
    assert verdicts(SIGNED_EN.replace("Contoso", "Northwind Traders"))["customer"]["verdict"] == "missing"


def test_a_title_alone_is_no_description_of_the_work():
    assert verdicts("Customer: Contoso\nProducts: Dynamics 365 Sales.")["service"]["verdict"] == "missing"
    assert verdicts("Customer: Contoso\nAdoption letter")["service"]["verdict"] == "unsure"


def test_an_edition_is_not_another_edition():
    check = verdicts(SIGNED_EN.replace("D365 Sales", "Microsoft 365 E5"), ctx([("m365_e3", "Microsoft 365 E3")]))["products"]
    assert check["verdict"] == "missing"
