"""`techpath diff BASE HEAD`: what a change moved between two executions of the site.

snapshot.py writes and reads result snapshots (portable: relative paths, figures embedded),
compare.py finds the changes, figures.py measures changed figures, report.py writes the
Markdown summary and the HTML report.
"""
