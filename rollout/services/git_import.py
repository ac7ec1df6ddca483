"""Bundles read from Git: a repository, a ref and a folder (or file) in it become a version that
records where it came from (`Version.git_*`).

The repository is fetched (one commit, no history) into a bare cache repository under
RRM_VAR_DIR, so any URL git accepts works, and a local path too; the files are read from that
commit with the same rule as a bundle on disk (`bundle.bundle_file_names`). Importing the same
commit twice gives the same version: versions are content-addressed.

Bounds: a fetch or read takes at most `git_repo.NETWORK_TIMEOUT_S`; no file over
RRM_MAX_FILE_BYTES is read at all; only the file, git, http(s) and ssh transports are allowed
(never `ext::`); and but for the machine's administrator (the command line), imports only
come from the repositories RRM_GIT_IMPORT_ALLOWED names, since the server does the fetching.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser

from rollout.domain.bundle import bundle_file_names
from rollout.domain.errors import ErrorKind, RolloutError
from rollout.models import Version
from rollout.services.git_repo import NETWORK_TIMEOUT_S, GitFailed, GitRepo
from rollout.services.roles import Role, role_require_or_process
from rollout.services.versions import LATEST, GitSource, VersionCreateResult, version_create

#: transports git may use for an import (`ext::` would run a command)
PROTOCOLS = "file:git:http:https:ssh"
#: a ref as git accepts one (a branch, a tag, a commit), without options or odd characters
_REF = re.compile(r"^(?!-)[A-Za-z0-9._/@{}^~-]{1,255}$")


class GitImportRefused(RolloutError):
    """A repository, ref or path that cannot be imported (400; commands: unusable, 2)."""

    kind = ErrorKind.UNUSABLE


class GitImportForbidden(RolloutError):
    """A repository this user may not have the server fetch (403)."""

    kind = ErrorKind.FORBIDDEN


def version_import_git(*, repository: str, ref: str, path: str = "", message: str,
                       author: AbstractBaseUser | None = None,
                       parent: Version | object | None = LATEST,
                       by_administrator: bool = False) -> VersionCreateResult:
    """Store the bundle at `path` in `repository` at `ref` as a version (or find the one with
    the same content), recording the repository, the ref and the commit.

    The repository must be one RRM_GIT_IMPORT_ALLOWED names unless `by_administrator` (the
    command line, run by whoever administers the machine) says otherwise."""
    # Before the fetch, so a caller who may not store a version has nothing fetched (the
    # same rule version_create applies when it stores).
    role_require_or_process(actor=author, roles=(Role.EDITOR,))
    if not by_administrator:
        _check_allowed(repository)
    files, source = git_bundle_read(repository=repository, ref=ref, path=path)
    return version_create(files=files, message=message, author=author, source=source,
                          parent=parent)  # type: ignore[arg-type]  # Version | LATEST | None


def git_bundle_read(*, repository: str, ref: str,
                    path: str = "") -> tuple[dict[str, bytes], GitSource]:
    """The raw files of the bundle at `path` (a folder of section files, or one file) in
    `repository` at `ref`, and the commit they came from."""
    repository, path = repository.strip(), path.strip().strip("/")
    if not repository or repository.startswith("-"):
        raise GitImportRefused("give the repository as a URL or a path")
    if not _REF.match(ref):
        raise GitImportRefused(f"{ref!r} is not a ref (a branch, a tag or a commit)")
    if ".." in path.split("/"):
        raise GitImportRefused(f"{path!r}: a path inside the repository, without '..'")
    cache = _cache_of(repository)
    with _fetched(cache, repository, ref) as commit:
        files = _read(cache, commit, path, repository=repository, ref=ref)
    return files, GitSource(repository=repository, ref=ref, commit=commit, path=path)


def _check_allowed(repository: str) -> None:
    allowed = [prefix for prefix in settings.RRM_GIT_IMPORT_ALLOWED if prefix]
    if not any(repository.startswith(prefix) for prefix in allowed):
        raise GitImportForbidden(
            f"importing from {repository!r} is not allowed here (RRM_GIT_IMPORT_ALLOWED "
            + (f"allows {', '.join(allowed)})" if allowed else "allows no repository)"))


def _cache_of(repository: str) -> GitRepo:
    name = hashlib.sha256(repository.encode()).hexdigest()[:24]
    cache = GitRepo(Path(settings.VAR_DIR) / "git-imports" / name)
    if not (cache.path / "HEAD").exists():
        cache.path.mkdir(parents=True, exist_ok=True)
        cache.run("init", "--quiet", "--bare")
    return cache


@contextmanager
def _fetched(cache: GitRepo, repository: str, ref: str) -> Iterator[str]:
    """The commit `ref` names in `repository` now, fetched into the cache (one commit deep)
    under a ref of its own while it is read (so concurrent imports never meet)."""
    local = f"refs/rrm-import/{uuid.uuid4().hex}"
    try:
        cache.run("fetch", "--quiet", "--no-tags", "--depth", "1", "--", repository,
                  f"+{ref}:{local}", env={"GIT_ALLOW_PROTOCOL": PROTOCOLS},
                  timeout=NETWORK_TIMEOUT_S)
    except GitFailed as exc:
        raise GitImportRefused(f"cannot fetch {ref!r} from {repository!r}: {exc}") from exc
    try:
        commit = cache.head(local)
        if commit is None:
            raise GitImportRefused(f"{ref!r} names no commit in {repository!r}")
        yield commit
    finally:
        with suppress(GitFailed):
            cache.run("update-ref", "-d", local)


def _read(cache: GitRepo, commit: str, path: str, *, repository: str,
          ref: str) -> dict[str, bytes]:
    where = f"{repository} at {ref} ({commit[:12]})"
    entries = _listing(cache, commit, path or ".")
    if path and entries.get(path, ("",))[0] == "blob":  # a single-file bundle
        chosen = {Path(path).name: entries[path]}
    else:
        if path and entries.get(path, ("",))[0] == "tree":
            entries = {Path(name).name: entry
                       for name, entry in _listing(cache, commit, f"{path}/").items()}
        elif path:
            raise GitImportRefused(f"{path!r}: no such file or folder in {where}")
        names = bundle_file_names(name for name, (kind, _, _) in entries.items()
                                  if kind == "blob")
        if not names:
            raise GitImportRefused(f"{path or '/'} in {where}: no network.yaml, regions.yaml "
                                   "or routing.yaml there")
        chosen = {name: entries[name] for name in names}
    files = {}
    for name, (_, sha, size) in chosen.items():
        if int(size) > settings.RRM_MAX_FILE_BYTES:
            raise GitImportRefused(f"{name} in {where} is {int(size):,} bytes, over the limit "
                                   f"of {settings.RRM_MAX_FILE_BYTES:,} (RRM_MAX_FILE_BYTES)")
        files[name] = _blob(cache, sha)
    return files


def _listing(cache: GitRepo, commit: str, path: str) -> dict[str, tuple[str, str, str]]:
    """`git ls-tree -l` of `path` in `commit`: path -> (type, object id, size)."""
    entries = {}
    for line in cache.run("ls-tree", "-l", "--full-tree", commit, "--", path).splitlines():
        meta, _, name = line.partition("\t")
        kind, sha, size = meta.split()[1:4]
        entries[name] = (kind, sha, size)
    return entries


def _blob(cache: GitRepo, sha: str) -> bytes:
    raw = cache.read_object(sha)
    if raw is None:
        raise GitImportRefused(f"cannot read blob {sha}")
    return raw
