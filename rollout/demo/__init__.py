"""The demo network of `manage.py demo`, built from real US geography (issue 4).

Pure data building, like the domain core: no Django here. `demo_bundles()` returns the three
versions of the story in DESIGN section 1 (national, Northeast and Mid-Atlantic regionalised,
all eight regionalised) as bundle files.
"""

from rollout.demo.bundles import DemoVersion, demo_bundles

__all__ = ["DemoVersion", "demo_bundles"]
