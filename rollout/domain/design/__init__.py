"""Region design: the p-median solver and its inputs (pure; numpy and scipy, no Django).

`problem` holds the solver's interface (`Problem`, `Solution`, `SolveOptions`), `pmedian` the
solver (`pmedian_solve`), `interchange` its local search, `bound` the Lagrangian lower bound and
`exact` the reduced model closed with HiGHS; `orlib` reads the OR-Library p-median instances.
Region design (`manage.py design_regions`): `regions` proposes K regions for a bundle, with
`adjacency` (Delaunay zone neighbours), `repair` (contiguity, capacity, balance, moves), `sites`
(which region each facility joins), `codes` (region codes, moved zones) and `files` (the
proposal written into the bundle's YAML through the round-trip editor).
"""
