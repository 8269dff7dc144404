"""The factory, health, language and security headers."""

from flask import Flask
from flask.testing import FlaskClient

from ardoise.config import Config, from_env
from web import create_app


def test_factory_uses_the_given_config(app: Flask) -> None:
    assert app.config["SECRET_KEY"] == "test-secret"
    assert app.extensions["ardoise.config"].is_sqlite
    assert "ardoise.sio" in app.extensions


def test_config_from_environment(tmp_path) -> None:  # type: ignore[no-untyped-def]
    config = from_env({"ARDOISE_DATABASE_URL": "postgresql://x/y", "ARDOISE_REDIS_URL":
                       "redis://r/0", "ARDOISE_TRUSTED_PROXIES": "2",
                       "ARDOISE_TIMEZONE": "America/Toronto"}, data_dir=tmp_path)
    assert config.effective_database_url == "postgresql://x/y"
    assert config.redis_url == "redis://r/0" and config.trusted_proxies == 2
    assert len(config.secret_key) == 64
    assert from_env({}, data_dir=tmp_path).secret_key == config.secret_key  # kept in the data dir
    embedded = Config(data_dir=tmp_path)
    assert embedded.effective_database_url.startswith("sqlite:///")


def test_healthz(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_french_first_and_language_switch(client: FlaskClient) -> None:
    page = client.get("/login").get_data(as_text=True)
    assert "Connexion à Ardoise" in page and 'lang="fr-CA"' in page
    client.get("/lang/en")
    page = client.get("/login").get_data(as_text=True)
    assert "Log in to Ardoise" in page and 'lang="en"' in page


def test_accept_language_english(client: FlaskClient) -> None:
    page = client.get("/login", headers={"Accept-Language": "en-CA,en;q=0.9"})
    assert "Log in to Ardoise" in page.get_data(as_text=True)


def test_security_headers(client: FlaskClient) -> None:
    response = client.get("/login")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_trusted_proxies_give_the_client_address(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from ardoise import migrate

    url = f"sqlite:///{tmp_path / 'p.db'}"
    migrate.upgrade(url)
    app = create_app(Config(data_dir=tmp_path, database_url=url, secret_key="k",
                            trusted_proxies=1))
    seen = {}

    @app.get("/_addr")
    def addr() -> str:
        from flask import request

        seen["addr"] = request.remote_addr
        return "ok"

    app.test_client().get("/_addr", headers={"X-Forwarded-For": "203.0.113.9"},
                          environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert seen["addr"] == "203.0.113.9"
    app.extensions["ardoise.db"].dispose()
