import pytest

from config.settings import DEV_SECRET_KEY, Settings, load_settings


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
                       "PUBLIC_BASE_URL": "https://x.vn/"})
    assert s.sqlalchemy_url == "postgresql+psycopg://u@h/d"
    assert s.mail_use_tls is True
    assert s.ratelimit_enabled is False
    assert s.public_base_url == "https://x.vn"


def test_development_defaults_need_nothing_installed():
    s = load_settings({})
    assert s.is_sqlite
    assert s.uses_mail_sink
    assert s.redis_url == ""
    assert s.problems() == []
