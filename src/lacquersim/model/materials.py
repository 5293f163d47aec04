"""Materials library: sap composition by origin and kinetic parameters.

The numbers live in ``data/materials.yaml`` (with their provenance), not in
code. :func:`get_material` returns a :class:`Material` whose ``params`` are in
the units of the YAML keys (person units); :mod:`lacquersim.simulation`
converts them to SI for the kernels.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

import yaml

from lacquersim.errors import RecipeError

__all__ = ["MATERIAL_NAMES", "OIL_NAMES", "Material", "get_material", "refining_constants",
           "oil_data", "thinner_data"]

MATERIAL_NAMES: tuple[str, ...] = ("japan", "china", "vietnam", "myanmar", "cashew",
                                   "vietnam-rainy", "vietnam-dry")

#: Oils that ``additives.oil`` accepts (keys of ``additives.oils`` in the data file).
OIL_NAMES: tuple[str, ...] = ("linseed", "tung", "perilla", "epoxidised-soybean")


@dataclass(frozen=True)
class Material:
    """A lacquer material: composition, parameters (YAML units) and provenance."""

    name: str
    description: str
    params: Mapping[str, object]

    def __getitem__(self, key: str):
        return self.params[key]

    @property
    def enzymatic(self) -> bool:
        """True for sap lacquers that dry by laccase (not cashew)."""
        return float(self.params["k_L_per_h"]) > 0 and float(self.params["enzyme_activity"]) > 0

    @property
    def provenance(self) -> str:
        return str(self.params.get("provenance", ""))


@lru_cache(maxsize=1)
def _library() -> dict:
    text = (Path(__file__).parents[1] / "data" / "materials.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


@lru_cache(maxsize=1)
def calibrated() -> dict:
    """Fitted parameter sets by material (``data/calibrated.yaml``, written by
    experiments/calibrate.py), each with its provenance, residuals and
    covariance; empty if none has been written."""
    path = Path(__file__).parents[1] / "data" / "calibrated.yaml"
    if not path.exists():
        return {}
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def get_material(name: str, use_calibrated: bool = True) -> Material:
    """The material ``name`` (one of :data:`MATERIAL_NAMES`).

    ``use_calibrated=False`` gives the starting values of materials.yaml
    without the fitted set of data/calibrated.yaml (the calibration starts
    from them, so that it never starts from a fit that saw held-out rows).
    """
    if name not in _library()["materials"]:
        raise RecipeError(f"unknown material {name!r}; choose one of {', '.join(MATERIAL_NAMES)}",
                          field="material")
    return _layered(name, bool(use_calibrated))


# A Material is immutable (frozen, read-only params), so one object per name
# can be shared. Layering the YAML anew cost ~10 µs, three times in every
# simulation. Cleared with calibrated() by calibration.calibrated_cache_clear.
@lru_cache(maxsize=None)
def _layered(name: str, use_calibrated: bool) -> Material:
    lib = _library()
    params = dict(lib["defaults"])
    chain, seen = [], set()
    entry = name
    while entry is not None:  # `base:` chain, most general first
        if entry in seen or entry not in lib["materials"]:  # pragma: no cover - data error
            raise RuntimeError(f"materials.yaml: bad 'base' chain at {entry!r}")
        seen.add(entry)
        chain.append((entry, lib["materials"][entry]))
        entry = lib["materials"][entry].get("base")
    fits = calibrated() if use_calibrated else {}
    for entry, layer in reversed(chain):
        params.update(layer)
        if entry in fits:  # a fitted set overrides the starting values it replaces
            params.update(fits[entry]["parameters"])
            params["provenance"] = f"{params.get('provenance', '')}; {fits[entry]['provenance']}"
    params.pop("base", None)
    return Material(name=name, description=str(params.get("description", "")),
                    params=MappingProxyType(params))


def refining_constants() -> Mapping[str, object]:
    """Constants of the refining process model (``refining`` in the data file)."""
    return MappingProxyType(dict(_library()["refining"]))


def oil_data(name: str) -> Mapping[str, object]:
    """Data of a blending oil (``additives.oils.<name>`` in the data file)."""
    oils = _library()["additives"]["oils"]
    if name not in oils:
        raise RecipeError(f"unknown oil {name!r}; choose one of {', '.join(OIL_NAMES)}",
                          field="additives.oil")
    return MappingProxyType(dict(oils[name]))


def thinner_data() -> Mapping[str, object]:
    """Data of the thinner (``additives.thinner`` in the data file)."""
    return MappingProxyType(dict(_library()["additives"]["thinner"]))
