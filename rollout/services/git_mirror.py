"""The live state mirrored to Git: one commit on branch `live` per change of the live state.

Every activation, one-click rollback and region rollback commits one transaction that ends in a
new live state (`live_state_publish`); each such state is a *point*, named by its sequence (the
newest activation id in it). For each point the mirror writes one commit whose tree is
`live.json` (`{"sequence", "regions": {code: {"version", "activation", "activated_at", "by",
...}}}`, the shape of `manage.py active --format json` plus the sequence) and the files of every
live version under `versions/<id>/`, with a message saying what changed and why and trailers
for the people involved.

Written after commit by a Celery task (`rollout.git_mirror_sync`), which writes every point
after the branch's own `live.json` sequence, in order: a retried or duplicated task finds its
points written and writes nothing, and the branch only moves by compare-and-swap. When Git (or
its remote) fails, activations still happen; the next sync (the next change, or the beat's
catch-up) writes what is missing, and `GitMirrorState` keeps the lag and the error for the
health endpoint and the dashboard. `git_mirror_rebuild` writes the whole history again from the
activations: commit dates are the activations' times, so an unsigned rebuild has the very same
commits as the live mirror.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from rollout.models import Activation, GitMirrorState, Version
from rollout.selectors import version_files
from rollout.services.git_repo import GitFailed, GitRepo, Identity, Signing
from rollout.services.live import activation_actors, live_state_at, live_summary
from rollout.services.live_history import LivePoint, live_points

logger = logging.getLogger(__name__)

#: where a fetched remote branch is kept while the mirror catches up with it
REMOTE_REF = "refs/rrm-mirror/remote"
#: attempts at a push that lost a race with another writer of the remote branch
PUSH_ATTEMPTS = 3


@dataclass(frozen=True)
class MirrorConfig:
    path: Path
    branch: str
    author: Identity
    remote: str = ""
    signing: Signing | None = None

    @property
    def ref(self) -> str:
        return f"refs/heads/{self.branch}"

    @classmethod
    def from_settings(cls) -> MirrorConfig | None:
        """The mirror as the settings describe it, or None when RRM_GIT_MIRROR is not set."""
        path = getattr(settings, "RRM_GIT_MIRROR", "")
        if not path:
            return None
        key = getattr(settings, "RRM_GIT_MIRROR_SIGNING_KEY", "")
        return cls(path=Path(path), branch=settings.RRM_GIT_MIRROR_BRANCH,
                   author=Identity.parse(settings.RRM_GIT_MIRROR_AUTHOR),
                   remote=getattr(settings, "RRM_GIT_MIRROR_REMOTE", ""),
                   signing=(Signing(format=settings.RRM_GIT_MIRROR_SIGNING_FORMAT, key=key)
                            if key else None))


@dataclass(frozen=True)
class SyncResult:
    written: list[int]  # sequences committed by this call
    sequence: int  # the branch's sequence afterwards
    pushed: bool


def _live_document(sequence: int) -> dict[str, Any]:
    """live.json of a point: the composite state as `manage.py active --format json` shows it
    at that sequence, plus the sequence."""
    return {"sequence": sequence, **live_summary(state=live_state_at(at_activation=sequence))}


def _point_files(point: LivePoint) -> dict[str, bytes]:
    """The tree of a point's commit: live.json and every live version's files."""
    document = _live_document(point.sequence)
    files = {"live.json": (json.dumps(document, indent=2, sort_keys=True) + "\n").encode()}
    for version_id in sorted({r["version"] for r in document["regions"].values()
                              if r["version"]}):
        version = Version.objects.get(id=version_id)
        for name, text in sorted(version_files(version=version).items()):
            files[f"versions/{version_id}/{name}"] = text.encode()
    return files


def _commit_message(point: LivePoint) -> str:
    """What changed and why, then trailers: Live-sequence, Rollout, Activated-by, Approved-by."""
    first = point.activations[0]
    regions = ", ".join(a.region for a in point.activations)
    target = _version_text(first.version_id)
    rollout = first.rollout
    if first.kind == Activation.Kind.ROLLBACK and rollout is not None:
        title = f"Roll back rollout {rollout.id}: {regions}"
    elif first.kind == Activation.Kind.REGION_ROLLBACK:
        title = f"Region rollback: {regions} to {target}"
    elif rollout is not None and first.phase is not None:
        title = f"Rollout {rollout.id}, phase {first.phase.index + 1}: {regions} on {target}"
    else:
        title = f"Activation: {regions} on {target}"
    body = [f"{a.region}: {_version_text(a.version_id)} (activation {a.id})"
            for a in point.activations]
    if first.reason:
        body += ["", f"Reason: {first.reason}"]
    trailers = [f"Live-sequence: {point.sequence}"]
    if rollout is not None:
        trailers.append(f"Rollout: {rollout.id}")
    person = activation_actors(activations=[first]).get(first.id)
    if person is not None:
        trailers.append(f"Activated-by: {person}")
    if rollout is not None and rollout.approved_by is not None:
        trailers.append(f"Approved-by: {rollout.approved_by.get_username()}")
    return "\n".join([title, "", *body, "", *trailers]) + "\n"


def _version_text(version_id: str | None) -> str:
    return version_id or "out of service"


def _git_date(when: datetime) -> str:
    return f"@{int(when.timestamp())} +0000"


def _sequence_of(repo: GitRepo, commit: str | None) -> int:
    """The live.json sequence of a mirror commit (0 for none)."""
    if commit is None:
        return 0
    raw = repo.read(commit, "live.json")
    return int(json.loads(raw)["sequence"]) if raw else 0


def _write(repo: GitRepo, config: MirrorConfig, points: list[LivePoint],
           parent: str | None) -> str | None:
    """Commit `points` one after another on `parent`; the last commit (None if no points)."""
    head = parent
    for point in points:
        tree = repo.write_tree(_point_files(point))
        head = repo.commit(tree=tree, parent=head, message=_commit_message(point),
                           author=config.author, signing=config.signing,
                           when=_git_date(point.activations[-1].created_at))
    return head


def git_mirror_sync(*, config: MirrorConfig | None = None) -> SyncResult | None:
    """Write every point the branch lacks, in order, then push (when a remote is set). None
    when the mirror is off. Raises GitFailed (after recording it) when Git fails."""
    config = config or MirrorConfig.from_settings()
    if config is None:
        return None
    repo = GitRepo(config.path)
    try:
        repo.ensure()
        written: list[int] = []
        while True:  # until the branch moved by us, or by another writer that did our work
            head = repo.head(config.ref)
            sequence = _sequence_of(repo, head)
            points = live_points(after=sequence)
            if not points:
                break
            new = _write(repo, config, points, head)
            assert new is not None
            if repo.move(config.ref, new, head):
                written = [p.sequence for p in points]
                sequence = points[-1].sequence
                break
        pushed = _push(repo, config) if config.remote else False
    except GitFailed as exc:
        _record(error=str(exc))
        logger.warning("git_mirror.failed error=%s", exc)
        raise
    _record(sequence=sequence, pushed=pushed)
    if written:
        logger.info("git_mirror.written sequences=%s pushed=%s", written, pushed)
    return SyncResult(written=written, sequence=sequence, pushed=pushed)


def _push(repo: GitRepo, config: MirrorConfig) -> bool:
    """Push the branch; when the remote moved meanwhile (another writer), take what it has and
    write our missing points on top of it (fetch, rebase, push), a few times."""
    for _ in range(PUSH_ATTEMPTS):
        try:
            repo.push(config.remote, config.branch)
            return True
        except GitFailed:
            remote_head = repo.fetch(config.remote, config.branch, REMOTE_REF)
            if remote_head is None:
                raise
            local_head = repo.head(config.ref)
            remote_sequence = _sequence_of(repo, remote_head)
            if remote_sequence >= _sequence_of(repo, local_head):
                repo.move(config.ref, remote_head, local_head)  # it has all of ours
                return True
            rebased = _write(repo, config, live_points(after=remote_sequence), remote_head)
            assert rebased is not None
            repo.move(config.ref, rebased, local_head)
    repo.push(config.remote, config.branch)  # the last try: its failure is the error
    return True


def git_mirror_rebuild(*, config: MirrorConfig | None = None) -> SyncResult | None:
    """Write the whole history from the activations onto the branch, replacing what it holds
    (for a mirror set up late or lost), then push (forced: the history was rewritten)."""
    config = config or MirrorConfig.from_settings()
    if config is None:
        return None
    repo = GitRepo(config.path)
    try:
        repo.ensure()
        points = live_points()
        head = _write(repo, config, points, None)
        if head is not None:
            repo.run("update-ref", config.ref, head)
        if config.remote and head is not None:
            repo.run("push", "--quiet", "--force", config.remote,
                     f"{config.ref}:{config.ref}")
    except GitFailed as exc:
        _record(error=str(exc))
        raise
    sequence = points[-1].sequence if points else 0
    _record(sequence=sequence, pushed=bool(config.remote))
    return SyncResult(written=[p.sequence for p in points], sequence=sequence,
                      pushed=bool(config.remote))


def _record(*, sequence: int | None = None, pushed: bool = False, error: str = "") -> None:
    """Keep how far the mirror got, and its last error, for the health endpoint and the UI."""
    now = timezone.now()
    state, _ = GitMirrorState.objects.get_or_create(id=1)
    state.attempted_at = now
    state.error = error[:2000]
    if sequence is not None:
        state.sequence = sequence
        state.synced_at = now
        if pushed:
            state.pushed_sequence = sequence
    state.save()


def git_mirror_status() -> dict[str, Any] | None:
    """{"sequence": mirrored, "live_sequence", "lag": points behind, "error", ...} or None when
    the mirror is off."""
    config = MirrorConfig.from_settings()
    if config is None:
        return None
    state = GitMirrorState.objects.filter(id=1).first()
    mirrored = state.sequence if state else 0
    live = Activation.objects.aggregate(newest=Max("id"))["newest"] or 0
    return {"branch": config.branch, "sequence": mirrored, "live_sequence": live,
            "lag": len(live_points(after=mirrored)) if live > mirrored else 0,
            "pushed_sequence": state.pushed_sequence if state else 0,
            "remote": bool(config.remote), "error": state.error if state else "",
            "synced_at": state.synced_at.isoformat() if state and state.synced_at else None}
