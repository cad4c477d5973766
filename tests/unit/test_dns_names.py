"""Issue 27 (7): every name typed (a declared domain, a name to prove, a certificate's or an ACME order's name) goes
through one check: public suffixes (the Public Suffix List) and invalid IDNA are refused in French; a name typed in
Unicode is kept as its A-label."""

import pytest

from app.domain.acme import Problem, parse_identifiers
from app.domain.certificates import CertificateRequestError, parse_domains, validate_dns_name


@pytest.mark.parametrize("name", ["gouv.fr", "fr", "co.uk", "xn--zz.esl-sante.example", "ab--c.example",
                                  "xn--a.example", "hôpital\u200d.fr"])
def test_refused(name):
    with pytest.raises(CertificateRequestError, match="suffixe public|Nom DNS invalide"):
        validate_dns_name(name)


def test_public_suffix_is_named_in_french():
    with pytest.raises(CertificateRequestError, match="«\u00a0gouv.fr\u00a0» est un suffixe public"):
        parse_domains("chu-nantes.fr gouv.fr")


def test_accepted_and_kept_as_a_labels():
    assert parse_domains("Hôpital.fr, dpi.chu-nantes.fr x.co.uk") == ["xn--hpital-ixa.fr", "dpi.chu-nantes.fr",
                                                                      "x.co.uk"]
    assert validate_dns_name("xn--hpital-bva.fr") == "xn--hpital-bva.fr"


def test_acme_identifiers_go_through_the_same_check():
    with pytest.raises(Problem) as refused:
        parse_identifiers([{"type": "dns", "value": "xn--zz.esl-sante.example"}, {"type": "dns", "value": "gouv.fr"}])
    assert refused.value.kind == "rejectedIdentifier" and len(refused.value.subproblems) == 2
