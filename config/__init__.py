"""Settings from the environment and the plan's rules as data."""

from config.rules import Rules, load_rules
from config.settings import Settings, load_settings

__all__ = ["Rules", "Settings", "load_rules", "load_settings"]
