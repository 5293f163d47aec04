"""What a lacquer is and how it is dried, in units people use.

Materials and their parameters, refining, recipes and their schema, drying
schedules, and the translation of all of it into the kernels' arrays. Imports
the kernels, never the simulation or the applications.
"""
