"""What a stranger's pull request may put on the site, checked in one place.

- `policy`: the allowlist for author HTML (rendered Markdown prose and notebook markdown cells).
- `urls`: which URL schemes a link or image may use (entity and whitespace tricks decoded first).
- `css`: declarations and style sheets that cannot reach outside their box or fetch anything.
- `outputs`: rich HTML from code, scoped to its own output container.
- `svg`: figures cleaned of scripts and active links before they are written to the site.
- `paths`: slugs, download names and declared inputs confined to the site and the repository.
- `csp`: the Content-Security-Policy every page carries, with hashes of its inline scripts.

Lint, the renderer and the MkDocs plugin all import from here, so there is one policy.
"""
