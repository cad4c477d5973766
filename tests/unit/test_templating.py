"""The table helpers give what url_for, strftime and the badge markup would, at a fraction of the cost."""

from datetime import UTC, date, datetime

from flask import url_for

from app.domain.casefiles import STATES
from app.web.templating import badge, code_badge, fr_date


def test_id_url_is_url_for_for_integer_ids_on_any_mount_point(app):
    id_url = app.jinja_env.globals["id_url"]
    for root in ("", "/portail"):
        with app.test_request_context("/", base_url=f"http://localhost{root}/"):
            for filing_id in (1, 42, 987654):
                assert id_url("filings.show", filing_id=filing_id) == url_for("filings.show", filing_id=filing_id)
                assert id_url("filings.show", filing_id=filing_id).startswith(f"{root}/")
            assert (id_url("card_orders.structure_act", order_id=7, verb="opposer")
                    == url_for("card_orders.structure_act", order_id=7, verb="opposer"))  # a text argument: url_for


def test_fr_date_reads_dates_datetimes_and_typed_iso_dates():
    assert fr_date(date(1985, 7, 14)) == "14/07/1985"
    assert fr_date(datetime(2026, 1, 2, 23, 59, tzinfo=UTC)) == "02/01/2026"
    assert fr_date("1985-07-14") == "14/07/1985"
    assert fr_date("14 juillet") == "14 juillet"
    assert fr_date(None) == ""


def test_code_badge_is_the_label_in_its_colour():
    assert code_badge(STATES, "a_corriger") == badge("À corriger", "warning")
    assert str(badge("<b>", "info")) == '<p class="fr-badge fr-badge--sm fr-badge--info">&lt;b&gt;</p>'
