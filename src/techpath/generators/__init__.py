"""Adapters to the site generators (MkDocs, ProperDocs, Zensical): what serves one generator's
machinery rather than the pipeline. Material's compiled templates kept between builds
(templates.py) and the memo of pymdownx.highlight's Pygments calls (highlight_memo.py), both
installed by the MkDocs plugin; and the staging path's adapters: `techpath stage/build` driving a
generator over the staged tree (build.py), `techpath serve` (serve.py), and mkdocs.yml read and
written as YAML with its tags kept (yamlconfig.py)."""
