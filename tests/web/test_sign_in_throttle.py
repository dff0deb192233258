"""Sign-in throttle: failures slow down per address and login, never a lockout a stranger can cause.

Issue 16.4 (twenty wrong passwords locked the owner out for an hour) and 23.3 (successful sign-ins
counted towards the limit). Counts live in the database, so every worker (every app) shares them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from portal_helpers import ACCOUNTS, PASSWORD, login
from sqlalchemy import func, select, update

from exchange.models.account import SignInFailure

STRANGER, OWNER, OFFICE = "203.0.113.9", "198.51.100.7", "192.0.2.50"


@pytest.fixture
def make_app(engine):
    from exchange import portal
    from web import create_app

    def make(**config):
        portal.clear_cache()
        return create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "t",
                "ENGINE": engine,
                "DATABASE_URL": "sqlite://",
                "WTF_CSRF_ENABLED": False,
                "RATELIMIT_ENABLED": True,
                **config,
            }
        )

    return make


def _client(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _expire_waits(db):
    """Let the time of every wait pass (the counts stay)."""
    db.execute(update(SignInFailure).values(blocked_until=datetime.now() - timedelta(seconds=1)))
    db.commit()


def test_a_strangers_wrong_passwords_never_keep_the_owner_out(make_app, db):
    app = make_app()
    owner_browser = _client(app, OWNER)
    assert login(owner_browser, "alpha").status_code == 302  # this browser becomes a known device
    owner_browser.post("/deconnexion")
    stranger = _client(app, STRANGER)
    codes = [login(stranger, "alpha", "mauvais-mot-de-passe").status_code for _ in range(20)]
    assert codes == [200] * 6 + [429] * 14  # five free failures, the sixth starts a 30 s wait
    refused = login(stranger, "alpha")  # the stranger's address waits, even with the right password
    assert refused.status_code == 429 and refused.headers["Retry-After"] in ("29", "30")
    wait = refused.headers["Retry-After"]  # the page says the same wait as the header
    assert f"Trop de tentatives : réessayez dans {wait} secondes." in refused.get_data(as_text=True)
    # The owner, from the known browser (even behind the stranger's address) or from elsewhere.
    owner_browser.environ_base["REMOTE_ADDR"] = STRANGER
    assert login(owner_browser, "alpha").status_code == 302
    assert login(_client(app, "198.51.100.20"), "alpha").status_code == 302
    db.rollback()
    assert db.scalar(select(func.count()).select_from(SignInFailure)) == 3  # hashed keys only


def test_the_wait_doubles_up_to_its_cap(make_app, db):
    app = make_app(LOGIN_FREE_FAILURES=2, LOGIN_BACKOFF_SECONDS=60, LOGIN_BACKOFF_MAX_SECONDS=200)
    stranger = _client(app, STRANGER)
    waits = []
    for _ in range(5):
        while login(stranger, "h1", "mauvais-mot-de-passe").status_code == 200:
            pass
        blocked = login(stranger, "h1", "mauvais-mot-de-passe")
        assert blocked.status_code == 429  # not counted: a wait is not a failure
        waits.append(int(blocked.headers["Retry-After"]))
        _expire_waits(db)
    expected = [60, 120, 200, 200, 200]  # less the seconds the test took
    assert all(e - 5 <= w <= e for w, e in zip(waits, expected, strict=True)), waits
    assert login(stranger, "h1").status_code == 302  # the right password, once the wait is over
    assert login(_client(app, STRANGER), "h1", "mauvais-mot-de-passe").status_code == 200  # cleared


def test_the_wait_is_said_in_minutes(make_app):
    app = make_app(LOGIN_FREE_FAILURES=0, LOGIN_BACKOFF_SECONDS=120)
    client = _client(app, STRANGER)
    assert login(client, "h1", "mauvais-mot-de-passe").status_code == 200
    page = login(client, "h1", "mauvais-mot-de-passe").get_data(as_text=True)
    assert "Trop de tentatives : réessayez dans 2 minutes." in page
    assert "<input" in page and 'name="login"' in page  # the sign-in form again, not an error page


def test_successful_sign_ins_never_count(make_app):
    """An agency office behind one address, or the demo's roles tried in turn (issue 23.3)."""
    app = make_app(LOGIN_FREE_FAILURES=1, LOGIN_ADDRESS_FREE_FAILURES=1, LOGIN_ACCOUNT_FREE_FAILURES=1)
    office = _client(app, OFFICE)
    codes = []
    for _ in range(5):
        for name, _role, _link in ACCOUNTS:
            codes.append(login(office, name).status_code)
            office.post("/deconnexion")
    assert codes == [302] * 5 * len(ACCOUNTS)
    assert office.post("/api/v1/tokens", json={"login": "h1", "password": PASSWORD}).status_code == 201


def test_one_address_trying_many_logins_slows_down(make_app):
    app = make_app(LOGIN_ADDRESS_FREE_FAILURES=3)
    sprayer = _client(app, STRANGER)
    codes = [
        login(sprayer, name, "mauvais-mot-de-passe").status_code for name in ("h1", "h2", "h3", "h4", "h5")
    ]
    assert codes == [200, 200, 200, 200, 429]
    assert login(sprayer, "beta").status_code == 429  # any login from that address waits
    assert login(_client(app, OFFICE), "beta").status_code == 302  # other addresses do not


def test_an_account_wide_ceiling_holds_only_for_unknown_browsers(make_app):
    app = make_app(LOGIN_ACCOUNT_FREE_FAILURES=4)
    owner_browser = _client(app, OWNER)
    assert login(owner_browser, "h2").status_code == 302
    owner_browser.post("/deconnexion")
    for number in range(1, 6):  # a stranger from five addresses, one failure each
        assert login(_client(app, f"203.0.113.{number}"), "h2", "mauvais-mot-de-passe").status_code == 200
    assert login(_client(app, "198.51.100.99"), "h2").status_code == 429  # a new browser waits
    assert login(owner_browser, "h2").status_code == 302  # the owner's browser does not


def test_a_forged_device_cookie_is_an_unknown_browser(make_app):
    app = make_app(LOGIN_FREE_FAILURES=0)
    client = _client(app, STRANGER)
    client.set_cookie("appareil_connu", "faux.cookie.signe")
    assert login(client, "h1", "mauvais-mot-de-passe").status_code == 200
    assert login(client, "h1").status_code == 429


def test_the_token_endpoint_shares_the_throttle(make_app):
    app = make_app(LOGIN_FREE_FAILURES=1)
    stranger = _client(app, STRANGER)
    assert login(stranger, "h1", "mauvais-mot-de-passe").status_code == 200
    bad = stranger.post("/api/v1/tokens", json={"login": "h1", "password": "mauvais-mot-de-passe"})
    assert bad.status_code == 401
    refused = stranger.post("/api/v1/tokens", json={"login": "h1", "password": PASSWORD})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    body = refused.get_json()
    assert body["error"] == "Trop de tentatives" and body["message"].startswith(
        "Trop de tentatives : réessayez"
    )
    assert login(stranger, "h1").status_code == 429
    other = _client(app, OFFICE).post("/api/v1/tokens", json={"login": "h1", "password": PASSWORD})
    assert other.status_code == 201


def test_every_worker_sees_the_same_counts(make_app):
    """Two apps on one database stand for two worker processes."""
    first, second = make_app(LOGIN_FREE_FAILURES=1), make_app(LOGIN_FREE_FAILURES=1)
    assert login(_client(first, STRANGER), "h1", "mauvais-mot-de-passe").status_code == 200
    assert login(_client(second, STRANGER), "h1", "mauvais-mot-de-passe").status_code == 200
    assert login(_client(first, STRANGER), "h1").status_code == 429
    assert login(_client(second, STRANGER), "h1").status_code == 429


@pytest.mark.parametrize(("proxies", "expected"), [(0, [200, 200, 429]), (1, [200, 200, 200])])
def test_sign_in_limit_per_client_behind_a_trusted_proxy(make_app, proxies, expected):
    """Behind one trusted proxy, two clients (X-Forwarded-For) each get their own sign-in limit."""
    app = make_app(LOGIN_FREE_FAILURES=1, TRUSTED_PROXIES=proxies)
    client = _client(app, "10.0.0.1")
    codes = [
        client.post(
            "/connexion",
            data={"login": "h1", "password": "faux-mot-de-passe"},
            headers={"X-Forwarded-For": address},
        ).status_code
        for address in ("203.0.113.1", "203.0.113.1", "203.0.113.2")
    ]
    assert codes == expected
