"""A live portal under gunicorn with the PSC sandbox, driven by Debian's Chromium through Playwright."""

import shutil

import pytest

from tests.live import portal_env, seeded_database, start_portal, start_worker, stop


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def with_pki(url: str, app_config: dict) -> str:
    """The forms seal what is deposited: the live portal's database gets the PKI (keys in the session token)."""
    from app.config import default_pkcs11_module
    from app.db import Database
    from app.operations.pki import init_pki
    from app.signing.hsm import Hsm

    database = Database(url)
    with database.writing() as db:
        init_pki(db, Hsm(default_pkcs11_module(), app_config["HSM_TOKEN_LABEL"], app_config["HSM_PIN"]),
                 "http://localhost")
        db.commit()
    database.engine.dispose()
    return url


@pytest.fixture(scope="session")
def e2e_dns():
    """The DNS server the live portal asks for domain control (a real one, on loopback)."""
    from tests.domains.servers import DnsServer

    server = DnsServer()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def live_env(tmp_path_factory, fresh_database, app_config, e2e_portal_port, e2e_dns) -> dict:
    """The live portal's environment: a test runs its commands (``flask jobs run …``) against the same portal."""
    return portal_env(app_config, database_url=with_pki(seeded_database(fresh_database, "e2e"), app_config),
                      instance=tmp_path_factory.mktemp("e2e-instance"),
                      base_url=f"http://127.0.0.1:{e2e_portal_port}", DNS_RESOLVER="127.0.0.1",
                      DOMAIN_CHECK_NETWORKS="127.0.0.0/8", DNS_PORT=str(e2e_dns.port))


@pytest.fixture(scope="session")
def live_portal(live_env, e2e_portal_port):
    proc = start_portal(live_env, e2e_portal_port)
    worker = start_worker(live_env)  # e-mail and domain checks run on the job engine, as with make run
    yield f"http://127.0.0.1:{e2e_portal_port}"
    stop(proc, worker)


@pytest.fixture(scope="module")
def chromium():
    """Module-scoped: Playwright's sync API keeps an event loop running until it stops, which would
    block asyncio.run() in later tests (pyHanko's synchronous API uses it)."""
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    if path is None:
        pytest.fail("Chromium is missing: `make test` installs it (apt-get install chromium).")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        yield browser
        browser.close()


@pytest.fixture(params=["desktop", "phone"])
def page(request, chromium):
    viewport = {"width": 1280, "height": 900} if request.param == "desktop" else {"width": 375, "height": 812}
    context = chromium.new_context(viewport=viewport, locale="fr-FR", is_mobile=request.param == "phone",
                                   has_touch=request.param == "phone")
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
    from tests.e2e.test_forms import watch_csp

    watch_csp(page)
    page.viewport_name = request.param
    yield page
    context.close()


@pytest.fixture(autouse=True)
def no_csp_violation():
    """Issue 31: no page of any browser journey has anything refused by the Content Security Policy."""
    from tests.e2e.test_forms import CSP_ERRORS

    CSP_ERRORS.clear()
    yield
    assert not CSP_ERRORS, CSP_ERRORS
