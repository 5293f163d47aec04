"""Optimisation of laccol recipes and drying practice against cashew lacquer:
search, month by month in Phu Tho's climate, for what makes sơn ta dry as
fast as sơn điều, and at what cost per square metre and coat
(:mod:`lacquersim.optimise.cost` prices a practice: electricity, cabinet,
oven and material, from cited default prices).
"""
