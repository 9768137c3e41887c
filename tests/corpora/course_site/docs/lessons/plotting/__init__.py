"""Plot helpers the lessons import from their own folder (as `from plotting import ...`)."""

import matplotlib.pyplot as plt


def scatter_by_species(table, x, y):
    """One scatter per species on shared axes, the legend outside them on the right."""
    fig, ax = plt.subplots()
    for name, group in table.groupby("species"):
        ax.scatter(group[x], group[y], label=name)
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.legend(title="species", loc="center left", bbox_to_anchor=(1.02, 0.5))
    return ax
