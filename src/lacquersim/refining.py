"""Refining: from a recipe to the film's initial state (MODEL.md section 4).

This version takes the refined state as measured (water %, monomer %) or, if
the recipe gives none, the raw sap of the material. The process model of
nayashi/kurome steps is a separate piece of work; its output will be the
same Series, so everything downstream stays unchanged.

Droplet-size rule (used when the recipe gives water % but no droplet size):
``d0 = droplet_raw_um · (water % / raw water %) ** droplet_exponent``,
about 10 µm for raw sap and about 1 µm at 5 % water after full kurome
(CALIBRATION.md Q3), capped to [0.3, 30] µm.
"""

from __future__ import annotations

import pandas as pd

from .materials import Material, get_material

__all__ = ["initial_state", "water_volume_fraction"]

RHO_WATER = 1000.0  # kg m⁻³


def water_volume_fraction(water_percent: float, material: Material) -> float:
    """Volume fraction of the volatile (water or thinner) from its weight %."""
    w = float(water_percent) / 100.0
    rho_v = float(material.params.get("volatile_density_kg_m3", RHO_WATER))
    rho_s = float(material["density_solids_kg_m3"])
    if w <= 0.0:
        return 0.0
    return (w / rho_v) / (w / rho_v + (1.0 - w) / rho_s)


def initial_state(recipe) -> pd.Series:
    """The refined state a recipe starts its film from.

    Returns a Series with ``water_percent`` (% by weight), ``monomer_percent``
    (% of lipid), ``droplet_um`` (µm, 0 for cashew), ``laccase_percent``
    (% of the raw sap's activity) and ``water_volume_fraction`` (–).
    """
    mat = get_material(recipe.material)
    st = recipe.state
    water = float(mat["water_percent"]) if st is None else float(st.water_percent)
    monomer = float(mat["monomer_percent"]) if st is None else float(st.monomer_percent)
    d_raw = float(mat["droplet_raw_um"])
    if st is not None and st.droplet_um is not None:
        droplet = float(st.droplet_um)
    elif d_raw > 0:
        ratio = max(water, 1e-3) / float(mat["water_percent"])
        droplet = min(max(d_raw * ratio ** float(mat["droplet_exponent"]), 0.3), 30.0)
    else:
        droplet = 0.0
    laccase = 100.0 if (st is None or st.laccase_percent is None) else float(st.laccase_percent)
    if not mat.enzymatic:
        laccase = 0.0
    return pd.Series(
        {
            "water_percent": water,
            "monomer_percent": monomer,
            "droplet_um": droplet,
            "laccase_percent": laccase,
            "water_volume_fraction": water_volume_fraction(water, mat),
        },
        name=recipe.name,
    )
