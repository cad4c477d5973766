"""app/signing, the PSC client core and the domain import without Flask."""

import subprocess
import sys

MODULES = ["app.signing.hsm", "app.signing.ca", "app.signing.csr", "app.signing.pades", "app.signing.softhsm",
           "app.psc.oidc", "app.psc.claims", "app.psc.cps", "app.domain.identifiers", "app.domain.permissions",
           "app.domain.certificates", "app.documents.notice"]


def test_core_packages_do_not_need_flask():
    code = ("import sys; sys.modules['flask'] = None\n"
            + "".join(f"import {m}\n" for m in MODULES)
            + "assert 'flask' not in [m.split('.')[0] for m in sys.modules if sys.modules[m] is not None]")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
