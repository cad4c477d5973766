"""A local RFC 3161 time-stamping authority whose key stays in the token, as a pyHanko ``TimeStamper``.

pyHanko asks it for the signature time-stamp (PAdES B-T) and for the document time-stamp that makes a
seal B-LTA; no HTTP is involved, the token signs the TSTInfo's signed attributes directly.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as a_x509
from pyhanko.sign.general import as_signing_certificate_v2, simple_cms_attribute
from pyhanko.sign.timestamps.api import TimeStamper

from .keystore import KeyStore

TSA_POLICY = "1.2.250.1.999.1.5.1"  # the portal's time-stamping policy, under its private arc


@dataclass(frozen=True)
class TsaMaterial:
    key_label: str
    certificate_der: bytes
    chain_der: tuple[bytes, ...]  # issuing CA and root, embedded in each token


class HsmTimeStamper(TimeStamper):
    """Grants every request: the portal time-stamps only its own seals."""

    def __init__(self, hsm: KeyStore, material: TsaMaterial):
        super().__init__(include_nonce=True)
        self.hsm = hsm
        self.material = material
        self.certificate = a_x509.Certificate.load(material.certificate_der)
        self.chain = [a_x509.Certificate.load(c) for c in material.chain_der]

    def request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        imprint = req["message_imprint"]
        md_algorithm = imprint["hash_algorithm"]["algorithm"].native
        now = datetime.now(UTC).replace(microsecond=0)
        info = {
            "version": "v1",
            "policy": TSA_POLICY,
            "message_imprint": imprint,
            "serial_number": int.from_bytes(secrets.token_bytes(16), "big"),
            "gen_time": now,
            "accuracy": {"seconds": 1},
            "tsa": a_x509.GeneralName(name="directory_name", value=self.certificate.subject),
        }
        if req["nonce"].native is not None:
            info["nonce"] = req["nonce"]
        tst_info = tsp.TSTInfo(info).dump()
        digest = algos.DigestAlgorithm({"algorithm": md_algorithm})
        signed_attrs = cms.CMSAttributes([
            simple_cms_attribute("content_type", "tst_info"),
            simple_cms_attribute("signing_time", cms.Time({"utc_time": core.UTCTime(now)})),
            simple_cms_attribute("signing_certificate_v2", as_signing_certificate_v2(self.certificate)),
            simple_cms_attribute("message_digest", hashlib.new(md_algorithm, tst_info).digest()),
        ])
        signature = self.hsm.sign(self.material.key_label, signed_attrs.dump(), md_algorithm)
        signer_info = cms.SignerInfo({
            "version": "v1",
            "sid": cms.SignerIdentifier({"issuer_and_serial_number": cms.IssuerAndSerialNumber({
                "issuer": self.certificate.issuer, "serial_number": self.certificate.serial_number})}),
            "digest_algorithm": digest,
            "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": f"{md_algorithm}_ecdsa"}),
            "signed_attrs": signed_attrs,
            "signature": signature,
        })
        signed_data = cms.SignedData({
            "version": "v3",
            "digest_algorithms": [digest],
            "encap_content_info": {"content_type": "tst_info", "content": cms.ParsableOctetString(tst_info)},
            "certificates": [self.certificate, *self.chain],
            "signer_infos": [signer_info],
        })
        token = cms.ContentInfo({"content_type": "signed_data", "content": signed_data})
        return tsp.TimeStampResp({"status": {"status": "granted"}, "time_stamp_token": token})

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        return self.request_tsa_response(req)
