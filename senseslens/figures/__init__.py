"""Figure functions: a ``pandas.DataFrame`` in, a matplotlib ``Axes`` out.

Every function has the signature ``plot_x(df, ax=None, **kw) -> Axes``, checks the columns
it needs (raising :class:`FigureInputError`, a ``ValueError``, that lists the missing
ones), never modifies ``df``, and imports nothing of senseslens beyond ``_style``.
"""

from senseslens.figures._style import FigureInputError
from senseslens.figures.cells import plot_cells
from senseslens.figures.dumbbell import plot_probe_vs_behavior
from senseslens.figures.knockout import plot_knockout_curves
from senseslens.figures.lens import plot_lens_curves
from senseslens.figures.patching import plot_patching_heatmap
from senseslens.figures.pgla import plot_pgla_delta
from senseslens.figures.steering import plot_steering_closure

__all__ = [
    "FigureInputError",
    "plot_cells",
    "plot_knockout_curves",
    "plot_lens_curves",
    "plot_patching_heatmap",
    "plot_pgla_delta",
    "plot_probe_vs_behavior",
    "plot_steering_closure",
]
