"""The token: keys are created non-extractable and sensitive, sign in the token, and cannot be read out."""

import json
import os
import subprocess
import sys
import uuid

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.serialization import load_der_public_key
from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass
from pkcs11 import exceptions as p11

from app.signing.hsm import Hsm, HsmUnavailable


@pytest.mark.parametrize("algorithm", ["rsa3072", "ec-p256", "ec-p384"])
def test_sign_in_token_and_verify_outside(hsm, algorithm):
    label = f"test-{algorithm}-{uuid.uuid4().hex[:6]}"
    public = load_der_public_key(hsm.generate_keypair(label, algorithm))
    data = b"decision AAC-2026-000001"
    signature = hsm.sign(label, data)
    if algorithm.startswith("rsa"):
        public.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        assert public.key_size == 3072
    else:
        public.verify(signature, data, ec.ECDSA(hashes.SHA256()))
    with pytest.raises(Exception):  # noqa: B017 - any verification failure
        public.verify(signature, data + b"!", *(
            (padding.PKCS1v15(), hashes.SHA256()) if algorithm.startswith("rsa") else (ec.ECDSA(hashes.SHA256()),)
        ))
    listed = {k.label: k for k in hsm.list_keys()}
    assert listed[label].extractable is False and listed[label].sensitive is True


def test_private_key_cannot_be_read_out(hsm):
    label = f"test-secret-{uuid.uuid4().hex[:6]}"
    hsm.generate_keypair(label, "rsa3072")
    with hsm.session() as session:
        private = session.get_key(object_class=ObjectClass.PRIVATE_KEY, label=label)
        assert private[Attribute.EXTRACTABLE] is False
        assert private[Attribute.SENSITIVE] is True
        assert private[Attribute.NEVER_EXTRACTABLE] is True
        for secret_part in (Attribute.PRIVATE_EXPONENT, Attribute.PRIME_1, Attribute.PRIME_2):
            with pytest.raises(p11.AttributeSensitive):
                private[secret_part]
        # Neither can it leave wrapped under a key the attacker controls.
        wrapping = session.generate_key(KeyType.AES, 256, label="attacker-wrap", store=False)
        with pytest.raises((p11.KeyUnextractable, p11.MechanismInvalid, p11.KeyNotWrappable)):
            wrapping.wrap_key(private, mechanism=Mechanism.AES_KEY_WRAP_PAD)
        # And the protection cannot be lifted afterwards.
        with pytest.raises((p11.AttributeReadOnly, p11.TemplateInconsistent, p11.ArgumentsBad)):
            private[Attribute.EXTRACTABLE] = True


def test_duplicate_label_is_refused(hsm):
    label = f"test-dup-{uuid.uuid4().hex[:6]}"
    hsm.generate_keypair(label, "ec-p256")
    with pytest.raises(Exception, match="existe déjà"):
        hsm.generate_keypair(label, "ec-p256")


def test_wrong_pin_is_reported_clearly(hsm_env):
    # Login state is per process (PKCS#11), so the wrong PIN is tried from a fresh process.
    code = (
        "import json, sys; from app.signing.hsm import Hsm; "
        f"print(json.dumps(Hsm({Hsm_module()!r}, {hsm_env['HSM_TOKEN_LABEL']!r}, '00000000').status()))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=dict(os.environ, SOFTHSM2_CONF=hsm_env["SOFTHSM2_CONF"]))
    status = json.loads(out.stdout)
    assert status["ok"] is False
    assert "PIN refusé" in status["error"] and "HSM_PIN" in status["error"]


def test_a_refused_pin_is_never_tried_again(tmp_path):
    """Each try counts towards the token's lock-out: after one refusal, report without logging in again."""
    from app.signing import softhsm

    conf = tmp_path / "softhsm2.conf"
    softhsm.init_token(conf, tmp_path / "tokens", "jeton-pin", tmp_path / "pins.json")
    code = (
        "import json; from app.signing.hsm import Hsm; "
        f"h = Hsm({Hsm_module()!r}, 'jeton-pin', '00000000'); tries = []; login = h._login; "
        "h._login = lambda token: (tries.append(1), login(token))[1]; "
        "print(json.dumps([h.status()['error'], h.status()['error'], len(tries)]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=dict(os.environ, SOFTHSM2_CONF=str(conf)))
    first, second, tries = json.loads(out.stdout)
    assert tries == 1
    assert "PIN refusé" in first and "aucun nouvel essai" in second


def test_token_pins_never_go_on_a_command_line(tmp_path, monkeypatch):
    from app.signing import softhsm

    commands = []
    real_popen, real_run = subprocess.Popen, subprocess.run
    monkeypatch.setattr(subprocess, "Popen", lambda args, **kw: (commands.append(args), real_popen(args, **kw))[1])
    monkeypatch.setattr(subprocess, "run", lambda args, **kw: (commands.append(args), real_run(args, **kw))[1])
    assert softhsm.init_token(tmp_path / "c.conf", tmp_path / "tokens", "jeton-ps", tmp_path / "pins.json")
    pins = json.loads((tmp_path / "pins.json").read_text())
    assert commands and oct((tmp_path / "pins.json").stat().st_mode)[-3:] == "600"
    for args in commands:
        assert pins["user_pin"] not in " ".join(args) and pins["so_pin"] not in " ".join(args)
    assert softhsm.token_exists(tmp_path / "c.conf", "jeton-ps")


def test_missing_module_and_token_are_reported_clearly(hsm_env):
    missing = Hsm("/nonexistent/libsofthsm2.so", hsm_env["HSM_TOKEN_LABEL"], hsm_env["HSM_PIN"])
    with pytest.raises(HsmUnavailable, match="apt-get install softhsm2"):
        with missing.session():
            pass
    no_token = Hsm(Hsm_module(), "no-such-token", hsm_env["HSM_PIN"])
    assert "flask hsm init" in no_token.status()["error"]


def Hsm_module():
    from app.config import default_pkcs11_module

    return default_pkcs11_module()
