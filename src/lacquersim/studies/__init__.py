"""Studies at scale: sample → evaluate → analyse, in the style of SALib.

- :mod:`~lacquersim.studies.definition`: a study (recipe, grid or sample,
  ranges), read from YAML or built in Python, checked before anything runs.
- :mod:`~lacquersim.studies.sampling`: grids, Latin hypercube, Sobol
  (Saltelli) and Morris samples as DataFrames of inputs.
- :mod:`~lacquersim.studies.execution`: one row per case through the batch
  kernel, in-process or on Dask, written to Parquet in chunks and resumable.
- :mod:`~lacquersim.studies.sensitivity`: Sobol and Morris indices (SALib).
- :mod:`~lacquersim.studies.maps`: tack-free and dry-hard time over
  temperature × humidity, with Phu Tho's months drawn on it.
"""

__all__ = ["Study", "load_study", "sample", "evaluate", "read_results", "analyse",
           "plot_sensitivity", "drying_map", "plot_drying_maps", "workshop_months"]

# loaded on first use: `lacquersim --help` imports this package for its commands
# (module names differ from the names they export: a submodule, once
# imported, would otherwise shadow the function of the same name)
_LAZY = {"Study": "definition", "load_study": "definition", "sample": "sampling",
         "evaluate": "execution", "read_results": "store", "analyse": "sensitivity",
         "plot_sensitivity": "sensitivity", "drying_map": "maps",
         "plot_drying_maps": "maps", "workshop_months": "maps"}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'lacquersim.studies' has no attribute {name!r}")
