import pytest

from config.settings import DEV_SECRET_KEY, Settings, SettingsError, load_settings


def production(**overrides) -> Settings:
    values = dict(
        env="production",
        secret_key="k" * 48,
        database_url="postgresql://db/doithoai",
        redis_url="redis://cache:6379/0",
        mail_server="smtp.example.vn",
        public_base_url="https://doithoai.example.vn",
    )
    values.update(overrides)
    return Settings(**values)


def test_complete_production_settings_pass():
    assert production().validate().env == "production"


@pytest.mark.parametrize(
    ("override", "says"),
    [
        ({"secret_key": DEV_SECRET_KEY}, "SECRET_KEY"),
        ({"database_url": ""}, "SQLite"),
        ({"mail_server": ""}, "SMTP sink"),
        ({"redis_url": ""}, "REDIS_URL"),
    ],
)
def test_production_refuses_development_defaults(override, says):
    with pytest.raises(RuntimeError, match=says):
        production(**override).validate()


def test_app_refuses_to_start(tmp_path):
    from webforms.app import create_app

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(production(secret_key=DEV_SECRET_KEY, instance_dir=tmp_path))


def test_environment_is_read():
    s = load_settings({"DATABASE_URL": "postgres://u@h/d", "MAIL_USE_TLS": "true", "RATELIMIT_ENABLED": "false",
                       "PUBLIC_BASE_URL": "https://x.vn/", "SECRET_KEY": "s" * 40})
    assert s.sqlalchemy_url == "postgresql+psycopg://u@h/d"
    assert s.mail_use_tls is True
    assert s.ratelimit_enabled is False
    assert s.public_base_url == "https://x.vn"


def test_development_defaults_need_nothing_installed():
    s = load_settings({"DOITHOAI_ENV": "development"})
    assert s.is_sqlite
    assert s.uses_mail_sink
    assert s.redis_url == ""
    assert s.problems() == []


@pytest.mark.parametrize("word", ["ture", "Y", "enabled", "2"])
def test_a_boolean_that_is_not_a_boolean_is_refused(word):
    with pytest.raises(SettingsError, match=f"MAIL_USE_TLS: expected true or false \\(found '{word}'\\)"):
        load_settings({"DOITHOAI_ENV": "development", "MAIL_USE_TLS": word})


@pytest.mark.parametrize(("word", "expected"), [("true", True), ("On", True), ("1", True), ("no", False),
                                                ("FALSE", False), ("", False)])
def test_booleans_in_every_accepted_spelling(word, expected):
    assert load_settings({"DOITHOAI_ENV": "development", "MAIL_USE_SSL": word}).mail_use_ssl is expected


def test_tls_and_ssl_together_are_refused():
    with pytest.raises(SettingsError, match="MAIL_USE_TLS and MAIL_USE_SSL are both on"):
        load_settings({"DOITHOAI_ENV": "development", "MAIL_USE_TLS": "true", "MAIL_USE_SSL": "yes"})
    with pytest.raises(SettingsError, match="both on"):
        production(mail_use_tls=True, mail_use_ssl=True).validate()


def test_every_bad_variable_is_named_at_once():
    with pytest.raises(SettingsError) as caught:
        load_settings({"DOITHOAI_ENV": "prod", "MAIL_PORT": "25x", "OUTBOX_RETRY_INTERVALS": "60,5m",
                       "RATELIMIT_ENABLED": "maybe", "SECRET_KEY": "s" * 40})
    message = str(caught.value)
    assert message.startswith("environment: ")
    for says in ("DOITHOAI_ENV: expected one of development, testing, production (found 'prod')",
                 "MAIL_PORT: expected a whole number (found '25x')",
                 "OUTBOX_RETRY_INTERVALS: expected whole seconds", "RATELIMIT_ENABLED: expected true or false"):
        assert says in message


def test_the_default_sender_is_the_agency_of_the_rules(tmp_path):
    from webforms.app import create_app

    assert load_settings({"DOITHOAI_ENV": "development"}).mail_default_sender == ""
    app = create_app(Settings(env="testing", instance_dir=tmp_path))
    sender = app.extensions["doithoai"].settings.mail_default_sender
    assert sender == f"{app.extensions['doithoai'].rules.plan.agency.short_name} <doithoai@localhost>"
    assert app.config["MAIL_DEFAULT_SENDER"] == sender
