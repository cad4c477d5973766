"""Issue 27 (6): the CAA rules of RFC 8659 for a CA whose identity is « portail.example »."""

from app.domain.caa import CaaRecord, refusal

US = frozenset({"portail.example"})


def test_no_record_or_only_iodef_allows():
    assert refusal([], US) is None
    assert refusal([CaaRecord(0, "iodef", "mailto:dsi@chu.example")], US) is None


def test_issue_names_who_may_issue():
    other = CaaRecord(0, "issue", "letsencrypt.org")
    assert refusal([other], US) == other
    assert refusal([other, CaaRecord(0, "issue", "Portail.example; accounturi=x")], US) is None
    assert refusal([CaaRecord(0, "issue", ";")], US) is not None  # nobody may issue
    assert refusal([CaaRecord(0, "issuewild", "letsencrypt.org")], US) is None  # wildcards only


def test_a_critical_unknown_tag_forbids_and_a_non_critical_one_is_ignored():
    assert refusal([CaaRecord(128, "futuretag", "x"), CaaRecord(0, "issue", "portail.example")], US) is not None
    assert refusal([CaaRecord(0, "futuretag", "x")], US) is None
