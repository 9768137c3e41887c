"""A matplotlib backend for page processes: Agg drawing, and a `plt.show()` that hands the open
figures to the page's session (so they appear at that point of the output) instead of trying
to open a window. Selected with MPLBACKEND=module://techpath.execute.mpl_backend.
"""

from __future__ import annotations

from matplotlib.backend_bases import FigureManagerBase
from matplotlib.backends.backend_agg import FigureCanvasAgg

from techpath.execute import hooks


class FigureManager(FigureManagerBase):
    pass


class FigureCanvas(FigureCanvasAgg):
    manager_class = FigureManager


def show(*args: object, **kwargs: object) -> None:
    if hooks.show_figures is not None:
        hooks.show_figures()


if hooks.matplotlib_ready is not None:  # a page imported pyplot itself: the site's settings now
    hooks.matplotlib_ready()
