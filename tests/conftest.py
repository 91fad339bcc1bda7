"""Load the osbox pytest plugin when osbox runs from a source tree (an
installed osbox registers it through its ``pytest11`` entry point)."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.has_plugin("osbox"):
        from osbox import pytest_plugin

        config.pluginmanager.register(pytest_plugin, "osbox")
        pytest_plugin.pytest_configure(config)
