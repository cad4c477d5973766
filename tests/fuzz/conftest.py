from tests.forms.conftest import world  # noqa: F401 - the forms' world: a hospital, its director and mandataire
