"""Where the preview serves the site: HOST:PORT from the command line, the path from site_url."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit


def parse_address(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise SystemExit(f"--dev-addr: expected HOST:PORT such as 127.0.0.1:8000, got {address!r}")
    return host, int(port)


def serve_address(config_file: Path, host: str, port: int) -> tuple[str, str]:
    """(the URL the preview serves the site at, its path), as `mkdocs serve` makes them: the
    path of the site's `site_url` on this host and port."""
    from techpath.generators.build import read_config
    from techpath.generators.yamlconfig import env_value

    site_url = env_value(read_config(config_file).get("site_url"))
    path = urlsplit(site_url if isinstance(site_url, str) else "/").path.strip("/")
    mount = f"/{path}/" if path else "/"
    return f"http://{host}:{port}{mount}", mount
