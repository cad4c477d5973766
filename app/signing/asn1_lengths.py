"""asn1crypto 1.5.1 mistakes a definite length whose last octet is 0x80 for an indefinite one.

Its ``dump()`` tests ``header[-1:] == b"\\x80"`` to spot a BER indefinite length and then re-encodes the whole
value from its parsed children. A long-form definite length such as ``82 14 80`` (5,248 bytes) ends in 0x80 too,
so a structure of that size is rebuilt on every dump, children included, and a time-stamp token or CMS holding
it is rebuilt each time pyHanko wraps it: a seal took 2–6 s instead of 0.2 s whenever one of its nested lengths
(which move with the ECDSA signatures' 70–72 bytes and the serials' leading zero) ended in 0x80. Upstream:
wbond/asn1crypto#249 (open), no release carries a fix. The correction below only lets a definite length through;
an indefinite one is re-encoded as before.
"""

from __future__ import annotations

import functools

from asn1crypto import core

_CLASSES_WITH_THE_TEST = (core.Asn1Value, core.Choice, core.Primitive, core.Sequence, core.SequenceOf)


def definite(header: bytes) -> bool:
    """True when every length in ``header`` (explicit tags' wrappers, then the value's own) is definite."""
    try:
        i = 0
        while i < len(header):
            if header[i] & 0x1F == 0x1F:  # high tag number: continuation octets follow
                i += 1
                while header[i] & 0x80:
                    i += 1
            i += 1
            length = header[i]
            if length == 0x80:
                return False
            i += 1 + (length & 0x7F if length & 0x80 else 0)
        return i == len(header)
    except IndexError:
        return False


def _dump_without_false_alarm(dump):
    @functools.wraps(dump)
    def wrapper(self, force=False):
        header = self._header
        if header is not None and header[-1:] == b"\x80" and definite(header):
            self._header = None  # the header is rebuilt from the contents kept; the children are not re-encoded
        return dump(self, force)

    wrapper.corrected_length_test = True
    return wrapper


def install() -> None:
    """Correct the test once per process (idempotent)."""
    for cls in _CLASSES_WITH_THE_TEST:
        dump = cls.__dict__["dump"]
        if not getattr(dump, "corrected_length_test", False):
            cls.dump = _dump_without_false_alarm(dump)
