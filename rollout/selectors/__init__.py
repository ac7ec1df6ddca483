"""Everything that reads, by subject, for views, the API and commands (STYLE.md rule 2:
selectors read, services write): `versions`, `rollouts`, `activations`, `kpis`, `freezes`,
`audit`, `tokens`, `simulations`, `webhooks`, `regions`.

The version selectors are also named here, where `rollout.selectors` (once one module) was
imported from by modules outside the reads (services, commands, bench); new code imports the
subject module.
"""

from rollout.selectors.versions import (
    VersionNotFound,
    version_bundle,
    version_files,
    version_get,
    version_list,
    version_raw_files,
)

__all__ = [
    "VersionNotFound",
    "version_bundle",
    "version_files",
    "version_get",
    "version_list",
    "version_raw_files",
]
