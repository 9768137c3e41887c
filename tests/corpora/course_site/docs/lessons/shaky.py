"""A stand-in for a library that is changing under its users: it warns from inside itself."""

import warnings


def mean_height(table):
    warnings.warn("mean_height() counts every row; pass species= to choose", FutureWarning, stacklevel=1)
    warnings.warn("the table argument will be keyword-only", DeprecationWarning, stacklevel=1)
    return float(table["height_cm"].mean())


def old_style(value):
    warnings.warn("old_style() is deprecated; use new_style()", DeprecationWarning, stacklevel=2)
    return value * 2
