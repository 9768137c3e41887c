"""API links from the executed objects: what each name is (asked of live objects), the URL each
library documents it at for the installed version, and the links in highlighted code."""

from __future__ import annotations

import functools
import importlib.metadata
import re
from pathlib import Path

import markdown
import pytest

from techpath.execute.names import code_names
from techpath.render.api_links import api_url, link_names, page_urls


def _minor(dist: str) -> str:
    return ".".join(importlib.metadata.version(dist).split(".")[:2])


def _version(dist: str) -> str:
    return importlib.metadata.version(dist)


# Each library's documented URL scheme for its API pages, for the installed version. Computed once:
# the site test matches thousands of links, and reading four packages' metadata for each one
# took minutes of CPU on a busy machine.


@functools.cache
def schemes() -> dict[str, re.Pattern[str]]:
    return {
        "sklearn": re.compile(
            rf"https://scikit-learn\.org/{re.escape(_minor('scikit-learn'))}/modules/generated/"
            r"(?P<page>sklearn(?:\.\w+)+)\.html(?:#(?P<anchor>sklearn(?:\.\w+)+))?"
        ),
        "numpy": re.compile(
            rf"https://numpy\.org/doc/{re.escape(_minor('numpy'))}/reference/generated/numpy(?:\.\w+)+\.html"
        ),
        "pandas": re.compile(
            rf"https://pandas\.pydata\.org/pandas-docs/version/{re.escape(_version('pandas'))}/reference/api/"
            r"pandas(?:\.\w+)+\.html"
        ),
        "matplotlib": re.compile(
            rf"https://matplotlib\.org/{re.escape(_version('matplotlib'))}/api/(?:"
            r"_as_gen/matplotlib\.(?:pyplot\.\w+|axes\.Axes\.\w+)\.html"
            r"|figure_api\.html#matplotlib\.figure\.Figure(?:\.\w+)?)"
        ),
    }


def matches_a_scheme(url: str) -> bool:
    found = [name for name, pattern in schemes().items() if pattern.fullmatch(url)]
    if found == ["sklearn"]:
        match = schemes()["sklearn"].fullmatch(url)
        # A method is an anchor on its class's page, named page + "." + method.
        return match["anchor"] is None or match["anchor"].rsplit(".", 1)[0] == match["page"]
    return len(found) == 1


SOURCE = """
import numpy as np
import matplotlib.pyplot as plt
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

rng = np.random.default_rng(0)
X = rng.normal(size=(40, 2))
y = X[:, 0] > 0
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
clf = LogisticRegression().fit(X_train, y_train)
clf.score(X_test, y_test)
np.mean(X), np.exp(1.0), np.linalg.norm(X), X.mean()
fig, ax = plt.subplots()
ax.plot([1, 2])
fig.savefig
df = pd.DataFrame(X)
df.head()
len(X)
"""


@pytest.fixture(scope="module")
def names() -> dict[str, dict[str, str]]:
    import matplotlib

    matplotlib.use("Agg")
    namespace: dict[str, object] = {}
    exec(SOURCE, namespace)
    yield code_names(SOURCE, namespace)
    import matplotlib.pyplot as plt

    plt.close("all")


# The two tests of the live objects are slow (the full suite runs them): their fixture imports
# NumPy, Matplotlib, pandas and scikit-learn into the worker and fits a model, 2.5 CPU s.
@pytest.mark.slow
def test_names_are_what_the_live_objects_say(names: dict[str, dict[str, str]]) -> None:
    paths = {name: info["path"] for name, info in names.items()}
    assert paths["LogisticRegression"] == "sklearn.linear_model.LogisticRegression"
    assert names["LogisticRegression"]["kind"] == "class"
    assert paths["clf.score"] == "sklearn.linear_model.LogisticRegression.score"  # inherited method
    assert paths["train_test_split"] == "sklearn.model_selection.train_test_split"
    assert paths["np.mean"] == "numpy.mean" and paths["np.exp"] == "numpy.exp"
    assert paths["np.linalg.norm"] == "numpy.linalg.norm"
    assert paths["rng.normal"] == "numpy.random.Generator.normal"
    assert paths["X.mean"] == "numpy.ndarray.mean"
    assert paths["ax.plot"] == "matplotlib.axes.Axes.plot"
    assert paths["plt.subplots"] == "matplotlib.pyplot.subplots"
    assert paths["pd.DataFrame"] == "pandas.DataFrame" and paths["df.head"] == "pandas.DataFrame.head"
    # Variables, builtins and modules are not API names.
    assert not {"X", "y", "clf", "len", "np", "rng", "df", "X.shape"} & set(names)


@pytest.mark.slow
def test_every_link_matches_the_documented_scheme_for_the_installed_version(
    names: dict[str, dict[str, str]],
) -> None:
    versions = {d: _version(d) for d in ("scikit-learn", "numpy", "pandas", "matplotlib")}
    urls = page_urls([names], versions)
    assert {"LogisticRegression", "np.mean", "ax.plot", "df.head", "fig.savefig"} <= set(urls)
    for name, url in urls.items():
        assert matches_a_scheme(url), (name, url)
    assert urls["clf.score"].endswith(
        "sklearn.linear_model.LogisticRegression.html#sklearn.linear_model.LogisticRegression.score"
    )


def test_pre_releases_and_unknown_layouts_get_no_link() -> None:
    assert api_url("numpy.mean", "function", {"numpy": "2.3.0.dev0"}) is None
    assert api_url("matplotlib.colors.Normalize", "class", {"matplotlib": "3.9.2"}) is None
    assert api_url("scipy.linalg.solve", "function", {"scipy": "1.14.0"}) is None


def test_a_name_meaning_two_things_on_a_page_gets_no_link() -> None:
    versions = {"scikit-learn": "1.5.2"}
    first = {"model.fit": {"path": "sklearn.linear_model.LinearRegression.fit", "kind": "method"}}
    second = {"model.fit": {"path": "sklearn.tree.DecisionTreeRegressor.fit", "kind": "method"}}
    assert page_urls([first, first], versions) != {}
    assert page_urls([first, second], versions) == {}


def test_links_wrap_the_highlighted_name_and_keep_the_code_text() -> None:
    md = markdown.Markdown(extensions=["pymdownx.highlight", "pymdownx.superfences"])
    html = md.convert("```python\nimport numpy as np\nx = np.linalg.norm(np.ones(3))\n```\n")
    urls = {"np.linalg.norm": "https://numpy.org/doc/2.0/reference/generated/numpy.linalg.norm.html"}
    linked = link_names(html, urls)
    assert linked.count('class="techpath-api"') == 1
    anchor = re.search(r'<a class="techpath-api"[^>]*>(.*?)</a>', linked)[1]
    assert re.sub(r"<[^>]+>", "", anchor) == "np.linalg.norm"
    assert re.sub(r"<[^>]+>", "", linked) == re.sub(r"<[^>]+>", "", html)  # copied text unchanged


@pytest.mark.slow
def test_every_api_link_in_the_built_site_matches_its_scheme(built_site: Path) -> None:
    links = []
    for page in built_site.rglob("index.html"):
        links += re.findall(r'<a class="techpath-api" href="([^"]+)"', page.read_text())
    assert len(links) > 100
    libraries = {
        next(name for name in schemes() if schemes()[name].fullmatch(u)) for u in links if matches_a_scheme(u)
    }
    assert libraries == {"sklearn", "numpy", "matplotlib"} or libraries == set(schemes())
    assert [u for u in set(links) if not matches_a_scheme(u.replace("&amp;", "&"))] == []
