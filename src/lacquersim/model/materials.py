"""Materials: a lacquer's identity and its parameter values, and additives.

A :class:`Material` is one material of the parameter table
(:mod:`lacquersim.model.parameters`) resolved in a parameter set: its
values by name in the table's units, with :meth:`Material.si` for SI.
:func:`with_additives` applies a recipe's additives (metal ions, drier,
blended oil) to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

from lacquersim.model import units
from lacquersim.model.parameters import ParameterSet, as_set, table

__all__ = ["Material", "get_material", "with_additives", "material_names", "oil_names",
           "non_sap_materials"]


def material_names() -> tuple[str, ...]:
    """Materials of the parameter table, in its order."""
    return tuple(table().materials)


def non_sap_materials() -> tuple[str, ...]:
    """Materials that are not sap (no water droplets): refining does not apply."""
    return tuple(m for m in material_names() if get_material(m)["droplet_raw"] <= 0)


def oil_names() -> tuple[str, ...]:
    """Oils that ``additives.oil`` accepts."""
    return table().oils


@dataclass(frozen=True)
class Material:
    """A material with its parameter values.

    Attributes
    ----------
    name, description, catechol : str
    volatile : str
        ``"water"`` (sap lacquers) or ``"solvent"`` (thinner of cashew lacquer).
    values : mapping
        Parameter name -> value in the table's unit (see
        :func:`lacquersim.parameters`).
    parameters : ParameterSet
        The set the values come from (units, oils).
    """

    name: str
    description: str
    catechol: str
    volatile: str
    values: Mapping[str, float]
    parameters: ParameterSet = field(repr=False, compare=False)

    def __post_init__(self):
        if not isinstance(self.values, MappingProxyType):
            object.__setattr__(self, "values", MappingProxyType(dict(self.values)))

    def __reduce__(self):  # mappingproxy does not pickle
        return (Material, (self.name, self.description, self.catechol, self.volatile,
                           dict(self.values), self.parameters))

    def __getitem__(self, name: str) -> float:
        return self.values[name]

    def si(self, name: str) -> float:
        """The value of ``name`` in SI units (s, m, K, J, mol, Pa)."""
        return units.to_si(self.values[name], self.parameters.unit_of(name))

    def value_in(self, name: str, unit: str) -> float:
        """The value of ``name`` in ``unit`` (of the same kind as the table's)."""
        return units.convert(self.values[name], self.parameters.unit_of(name), unit)

    @property
    def enzymatic(self) -> bool:
        """True for sap lacquers that dry by laccase (not cashew)."""
        return self.values["k_L"] > 0 and self.values["enzyme_activity"] > 0

    @property
    def is_water(self) -> bool:
        return self.volatile == "water"

    def replace(self, **changes: float) -> "Material":
        """A copy with some values changed (additives)."""
        values = dict(self.values)
        values.update(changes)
        return Material(self.name, self.description, self.catechol, self.volatile,
                        MappingProxyType(values), self.parameters)


_CACHE: dict = {}


def get_material(name: str, parameters: Any = None) -> Material:
    """The material ``name`` with the values of a parameter set (default the table).

    ``parameters`` is anything :func:`lacquersim.simulate` accepts: a
    mapping of overrides, a set name or file, or a :class:`ParameterSet`.
    """
    pset = as_set(parameters)
    key = (id(pset), name)
    hit = _CACHE.get(key)
    if hit is not None and hit.parameters is pset:
        return hit
    resolved = pset.resolved(name)  # raises for an unknown material
    info = pset.table.materials[name]
    mat = Material(name=name, description=info.description, catechol=info.catechol,
                   volatile=info.volatile,
                   values=MappingProxyType({k: v[0] for k, v in resolved.items()}), parameters=pset)
    if len(_CACHE) > 512:  # sets made per call (overrides) must not pile up
        _CACHE.clear()
    _CACHE[key] = mat
    return mat


def with_additives(mat: Material, metal_ppm: float = 0.0, drier_percent: float = 0.0,
                   oil: str | None = None, oil_percent: float = 0.0) -> Material:
    """The material with additives mixed in.

    * ``metal_ppm`` and ``drier_percent`` add to the material's own values
      (they multiply autoxidation through ``kappa_metal``, ``kappa_drier``);
    * a blended oil replaces part of the lipid: the catechol concentration
      falls with the lipid share, the double bonds are those of lipid plus
      oil, the catechol weight in the network conversion becomes
      ``w_c·L/(L + network_weight·O)`` and the autoxidation rate constant the
      double-bond-weighted mean of lipid and oil.
    """
    if not (metal_ppm or drier_percent or (oil and oil_percent)):
        return mat
    q = mat.values
    changes = {"metal_ppm": q["metal_ppm"] + metal_ppm,
               "drier_percent": q["drier_percent"] + drier_percent}
    if oil and oil_percent > 0:
        od = mat.parameters.oil(oil)
        solids = 100.0 - q["water_percent"]               # non-volatile part of 100 g raw sap
        oil_mass = oil_percent * solids / 100.0           # per non-volatile mass of the raw sap
        share_l = q["lipid_percent"] / (solids + oil_mass)  # lipid share of the new solids
        share_o = oil_mass / (solids + oil_mass)
        M = mat.si("M_lipid")
        db_l = q["double_bonds_per_lipid"]
        db_o = share_o * units.to_si(od["oil_double_bonds"], mat.parameters.unit_of("oil_double_bonds")) \
            * M / max(share_l, 1e-12)
        g = db_o / max(db_l + db_o, 1e-12)
        changes.update({
            "lipid_percent": share_l * solids,
            "double_bonds_per_lipid": db_l + db_o,
            "w_c": q["w_c"] * share_l / (share_l + od["oil_network_weight"] * share_o),
            "k_S": (1.0 - g) * q["k_S"] + g * units.convert(
                od["oil_k_S"], mat.parameters.unit_of("oil_k_S"), mat.parameters.unit_of("k_S")),
        })
    return mat.replace(**changes)
