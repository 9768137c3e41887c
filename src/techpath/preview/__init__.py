"""`techpath serve`: an incremental preview. A long-lived process keeps the generator's build
state between saves, serves the changed page first and brings the pages that depend on it up to
date right after (docs/design.md, "The preview loop")."""
