"""Does a served preview equal a clean build? File by file, over HTTP, as a reader gets them.

Only what depends on the moment of the build is normalised: the sitemap's `<lastmod>`, a feed's
build date, the dates (and so the order) of an "updated" feed that has no time source but the
build's clock, the gzip header of `sitemap.xml.gz`, the time stamps inside a download's zip, and
the preview's own reload script.
Used by the served-equals-built tests and by `techpath bench --serve-loop`.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from techpath.preview.server import PREFIX
from techpath.preview.sync import files_under

_BUILD_TIMES = [
    re.compile(rb"<lastmod>[^<]*</lastmod>"),
    re.compile(rb"<pubDate>[^<]*</pubDate>(?=\s*<lastBuildDate\b)"),  # the channel's: the build's
    re.compile(rb"<lastBuildDate>[^<]*</lastBuildDate>"),
]
_RELOAD = re.compile(
    rb'<script src="' + re.escape(PREFIX.encode()) + rb'livereload\.js\?epoch=\d+"></script>'
)
_ITEM = re.compile(rb"<item>.*?</item>", re.S)
_ITEM_DATE = re.compile(rb"<pubDate>[^<]*</pubDate>")


def normalised(name: str, data: bytes) -> bytes:
    """What is compared of a file: its bytes, less what says when the build ran."""
    if name.endswith(".gz"):
        data = gzip.decompress(data)
    if name.endswith(".zip"):  # a download: its members' bytes, not the time they were zipped
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            data = repr(sorted((i.filename, i.CRC, i.file_size) for i in archive.infolist())).encode()
    if name.endswith((".xml", ".xml.gz")):
        for pattern in _BUILD_TIMES:
            data = pattern.sub(b"", data)
    if "updated" in name and name.endswith(".xml"):
        data = _by_items(data)
    if name.endswith(".json") and b"jsonfeed.org/version" in data:
        data = _json_feed(data, sort="updated" in name)
    if name.endswith("techpath-report.json"):  # whether this build executed a page or read it
        data = re.sub(rb'"from_cache": (?:true|false)', b"", data)
    if name.endswith(".html"):
        data = _RELOAD.sub(b"", data)
    return data


def _by_items(feed: bytes) -> bytes:
    """An "updated" feed without a time source (no git) dates each post when the build reached
    it, and orders the posts by those times: its items as a sorted set, without their dates."""
    items = sorted(_ITEM_DATE.sub(b"", item) for item in _ITEM.findall(feed))
    return _ITEM.sub(b"", feed) + b"".join(items)


def _json_feed(feed: bytes, sort: bool) -> bytes:
    """A JSON feed's "date_modified" is the build's clock too (the same plugin)."""
    document = json.loads(feed)
    items = document.get("items") if isinstance(document, dict) else None
    if isinstance(items, list):
        for item in items:
            if isinstance(item, dict):
                item.pop("date_modified", None)
        if sort:
            document["items"] = sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
    return json.dumps(document, sort_keys=True).encode()


def fetch(url: str) -> bytes | None:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.read()
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return None
        raise


def differences(built: Path, served_url: str, served_dir: Path | None = None, limit: int = 20) -> list[str]:
    """Files that differ between a clean build in `built` and the preview at `served_url` (each
    file of the build fetched over HTTP); with `served_dir`, also files the preview holds that
    the build lacks. Empty when they are equal."""
    found: list[str] = []
    names = files_under(built)
    for name in sorted(names):
        url = served_url.rstrip("/") + "/" + name
        got = fetch(url)
        if got is None:
            found.append(f"{name}: not served")
        elif normalised(name, got) != normalised(name, (built / name).read_bytes()):
            found.append(f"{name}: differs")
        if len(found) >= limit:
            return found
    if served_dir is not None:
        found += [f"{name}: served, not built" for name in sorted(set(files_under(served_dir)) - set(names))]
    return found[:limit]
