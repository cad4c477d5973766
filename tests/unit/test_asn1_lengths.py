"""The asn1crypto correction: a definite length ending in 0x80 is kept, an indefinite one is still re-encoded."""

from asn1crypto import core

import app.signing  # noqa: F401  (installs the correction)
from app.signing.asn1_lengths import definite


class Integers(core.SequenceOf):
    _child_spec = core.Integer


def _sequence_of_non_minimal_integers(count: int) -> bytes:
    body = b"\x02\x02\x00\x01" * count  # BER-valid, not DER: a re-encoding shortens each to 02 01 01
    assert len(body) < 0x10000
    return b"\x30\x82" + len(body).to_bytes(2, "big") + body


def test_a_definite_length_ending_in_0x80_is_not_re_encoded():
    encoded = _sequence_of_non_minimal_integers(0x180 // 4)  # 384 bytes: length octets 82 01 80
    assert encoded[:4] == b"\x30\x82\x01\x80"
    assert Integers.load(encoded).dump() == encoded


def test_an_indefinite_length_is_still_re_encoded_as_der():
    ber = b"\x30\x80" + b"\x02\x02\x00\x01" * 3 + b"\x00\x00"
    assert Integers.load(ber).dump() == b"\x30\x09" + b"\x02\x01\x01" * 3


def test_the_header_reader():
    assert definite(b"\x30\x82\x14\x80")
    assert definite(b"\xa0\x82\x01\x80\x30\x82\x01\x7c")
    assert definite(b"\x04\x81\x80")
    assert not definite(b"\x30\x80")
    assert not definite(b"\xa0\x80\x30\x82\x01\x00")
    assert not definite(b"\x30\x82\x14")  # truncated: treated as the library did
    assert definite(b"\x9f\x81\x01\x81\x80")  # high tag number form
