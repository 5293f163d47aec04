"""lacquersim — simulate how Asian lacquer and cashew lacquer films dry.

Quick start::

    import lacquersim as ls
    recipe = ls.load_recipe("vietnam-raw")
    ls.refine(recipe)          # the refined state the film starts from
    res = ls.simulate(recipe)
    res.stages

The simulation pieces (numba kernels, scipy) load on first use, so that
reading recipes and ``lacquersim --help`` stay fast.
"""

from lacquersim.errors import LacquersimError, RecipeError, SolverError
from lacquersim.model.schedule import Schedule, Step
from lacquersim.model.recipe import Recipe, load_recipe, bundled_recipes

__all__ = [
    "LacquersimError", "RecipeError", "SolverError",
    "Schedule", "Step", "Recipe", "load_recipe", "bundled_recipes",
    "refine", "initial_state", "effective_material", "simulate", "STAGES",
]
__version__ = "0.1.0"

_LAZY = {"simulate": "sim.simulation", "refine": "model.refining", "initial_state": "model.refining",
         "effective_material": "model.refining", "STAGES": "sim.stages"}


def __getattr__(name):
    if name in _LAZY:
        import importlib
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'lacquersim' has no attribute {name!r}")
