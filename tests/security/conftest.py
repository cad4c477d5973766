"""The worlds of the forms, certificates and compassionate-access suites, for the review's tests that cross them."""

from tests.aac.conftest import aac_world, as_actor  # noqa: F401
from tests.certificates.conftest import as_admin, pki_world  # noqa: F401
from tests.forms.conftest import world  # noqa: F401
