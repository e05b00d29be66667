"""Sabaq's Tutor plugin: configuration defaults (the rest of the plugin is added here)."""

from __future__ import annotations

from tutor import hooks

hooks.Filters.CONFIG_DEFAULTS.add_items([("SABAQ_VERSION", "0.1.0")])
