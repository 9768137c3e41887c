"""Generator-neutral staging: the engine's results baked into a plain Markdown docs tree.

Every page becomes Markdown that MkDocs, ProperDocs and Zensical render the same way (they all
convert it with Python-Markdown and the same extensions): outputs and figures as HTML and files,
math typeset by KaTeX, math boxes as `<details>` with their ids, notebook posts as Markdown
posts, downloads and the generated pages written as files. The MkDocs plugin calls the same code
page by page (`Stager.page_markdown`), so there is one rendering path.
"""
