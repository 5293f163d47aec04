"""A prepared film solved: solvers, stage detection, results, multi-coat builds.

Imports the model and the kernels, never the applications (sweep, cli).
"""
