"""Region design: the p-median solver and its inputs (pure; numpy and scipy, no Django).

`problem` holds the solver's interface (`Problem`, `Solution`, `SolveOptions`), `pmedian` the
solver (`pmedian_solve`), `interchange` its local search, `bound` the Lagrangian lower bound and
`exact` the reduced model closed with HiGHS; `orlib` reads the OR-Library p-median instances.
"""
