"""The Technician's Path toolkit: execute the code in Markdown and notebook posts, render it.

Importing this package imports nothing else, so the CLI starts fast.
"""

__version__ = "0.1.0"
