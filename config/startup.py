"""The check every process makes before it starts: the environment and every rules file.

Web and the CLI make it in `create_app`; `rq cron workers.cron` and the Procfile's worker pool
(`--worker-class workers.checked.Worker`) make it when they import their module, before they
connect to Redis. A refusal prints one line saying so, then the same lines `doithoai rules check` prints.
"""

from __future__ import annotations

import sys

from config.problems import RulesError
from config.rules import Rules, load_rules
from config.settings import Settings, SettingsError, load_settings

REFUSAL = "doithoai: refusing to start:"


def check_startup(environ: dict[str, str] | None = None) -> tuple[Settings, Rules]:
    settings = load_settings(environ).validate()
    return settings, load_rules(settings.rules_dir)


def refuse_unless_ready(environ: dict[str, str] | None = None) -> None:
    """Exit with status 1 and the reasons on stderr when this process could not run correctly."""
    try:
        check_startup(environ)
    except (RulesError, SettingsError) as exc:
        print(f"{REFUSAL}\n{exc}", file=sys.stderr, flush=True)
        raise SystemExit(1) from None
