"""lacquersim — simulate how Asian lacquer and cashew lacquer films dry.

Quick start::

    import lacquersim as ls
    recipe = ls.load_recipe("vietnam-raw")
    ls.refine(recipe)          # the refined state the film starts from
    res = ls.simulate(recipe)
    res.stages
    ls.parameters("vietnam")   # every model parameter, its unit and source
    ls.simulate(recipe, parameters={"k_L": 0.5, "vietnam.Ea_d": "180 kJ/mol"})

The layers, imported one way: :mod:`lacquersim.kernels` (numba) →
:mod:`lacquersim.model` (materials, parameters, refining, recipes,
schedules) → :mod:`lacquersim.sim` (prepared film, solvers, stages,
results) → applications (:mod:`lacquersim.sweep`, :mod:`lacquersim.cli`).
The simulation pieces (numba kernels, scipy) load on first use, so that
reading recipes and ``lacquersim --help`` stay fast.
"""

from lacquersim.errors import LacquersimError, RecipeError, SolverError
from lacquersim.i18n import get_language, set_language
from lacquersim.model.schedule import Schedule, Step
from lacquersim.model.recipe import Recipe
from lacquersim.model.recipe_files import bundled_recipes, load_recipe

__all__ = [
    "LacquersimError", "RecipeError", "SolverError",
    "Schedule", "Step", "Recipe", "load_recipe", "bundled_recipes",
    "parameters", "ParameterSet", "get_material",
    "refine", "initial_state", "effective_material", "prepare", "PreparedFilm",
    "simulate", "simulate_many", "stage_band", "sweep", "STAGES",
    "set_language", "get_language",
]
__version__ = "0.1.0"

_LAZY = {"simulate": "sim.simulation", "simulate_many": "sim.batch", "stage_band": "sim.band", "sweep": "sweep",
         "prepare": "sim.prepared", "PreparedFilm": "sim.prepared",
         "refine": "model.refining", "initial_state": "model.refining",
         "effective_material": "model.refining", "STAGES": "model.stages",
         "parameters": "model.parameters", "ParameterSet": "model.parameters",
         "get_material": "model.materials"}


def __getattr__(name):
    if name in _LAZY:
        import importlib
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'lacquersim' has no attribute {name!r}")
