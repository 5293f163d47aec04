"""Compiled kernels (numba): flat float64 arrays in SI units in and out.

Nothing here knows a recipe, a material or a schedule; the model layer
(:mod:`lacquersim.model`) builds the arrays these functions take. Modules in
this package import only each other, numpy and numba.
"""
