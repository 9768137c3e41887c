"""Adapters to the site generators (MkDocs, ProperDocs, Zensical): what serves one generator's
machinery rather than the pipeline. Material's compiled templates kept between builds
(templates.py) and the memo of pymdownx.highlight's Pygments calls (highlight_memo.py), both
installed by the MkDocs plugin. The staging path's adapters (stage/build.py, stage/serve.py,
stage/yamlconfig.py) are to join them when the Stager is split into its rooms."""
