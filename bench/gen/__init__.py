"""Pieces of the synthetic national bundle: sites and zones, lanes, routes, YAML text."""
