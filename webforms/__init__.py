"""doithoai's web application."""


def create_app(settings=None):
    from webforms.app import create_app as factory

    return factory(settings)


__all__ = ["create_app"]
