"""Our site as each generator builds it, for a browser test module whose tests run once per
generator: import these two fixtures into the module (they take the `generator` parameter from
tests/conftest.py and override `built_site` and `site_server` there)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Servers, our_built_site
from tests.sites import SiteBuilds


@pytest.fixture
def built_site(site_builds: SiteBuilds, generator: str) -> Path:
    return our_built_site(site_builds, generator)


@pytest.fixture
def site_server(built_site: Path, servers: Servers) -> str:
    return servers.url(built_site)
