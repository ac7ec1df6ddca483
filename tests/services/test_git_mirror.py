"""The live state mirrored to Git (rollout/services/git_mirror.py), checked with `git` itself:
one commit per change of the live state, in order, none for a refused action, idempotent,
catching up after Git was unwritable, pushing to a bare repository, and a rebuild equal to the
live mirror."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from rollout.models import GitMirrorState
from rollout.services.activations import ActivationRefused, region_rollback
from rollout.services.git_mirror import (
    MirrorConfig,
    git_mirror_rebuild,
    git_mirror_status,
    git_mirror_sync,
)
from rollout.services.git_repo import GitFailed, Identity, Signing
from rollout.services.rollbacks import rollout_rollback
from tests.factories import version_factory
from tests.rollout_factories import (
    Clock,
    People,
    drive,
    make_live,
    original_version,
    rerouted_version,
    retired_282_version,
    rollout_factory,
)

pytestmark = pytest.mark.django_db

BOT = Identity(name="Rollout bot", email="bot@example.test")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                          check=True).stdout.strip()


def subjects(repo: Path, branch: str = "live") -> list[str]:
    return git(repo, "log", "--format=%s", "--reverse", branch).splitlines()


def live_json(repo: Path, ref: str = "live") -> dict[str, Any]:
    return json.loads(git(repo, "show", f"{ref}:live.json"))


@pytest.fixture
def mirror(tmp_path: Path, settings: Any) -> MirrorConfig:
    settings.RRM_GIT_MIRROR = str(tmp_path / "mirror")
    settings.RRM_GIT_MIRROR_AUTHOR = f"{BOT.name} <{BOT.email}>"
    config = MirrorConfig.from_settings()
    assert config is not None
    return config


def a_two_phase_rollout_and_a_rollback(who: People) -> tuple[int, str]:
    """The original live (one set-up activation), then a rollout of the rerouted version in two
    phases, driven to completion, then SE put back on the original by a region rollback."""
    original = original_version()
    make_live(original)
    rerouted = rerouted_version()
    rollout = rollout_factory(rerouted, ["NE"], ["MA", "SE"], who=who, state="running",
                              bake_minutes=0)
    drive(rollout.id, Clock())
    region_rollback(region="SE", version=original, reason="SE misroutes", actor=who.operator)
    return rollout.id, rerouted.id


def test_sync__activations_and_a_rollback__one_commit_each_in_order(
        who: People, mirror: MirrorConfig) -> None:
    # Given a set-up, a two-phase rollout and a region rollback
    rollout_id, rerouted = a_two_phase_rollout_and_a_rollback(who)

    # When the mirror syncs
    result = git_mirror_sync(config=mirror)

    # Then one commit per change, oldest first, saying what changed and why
    assert result is not None and len(result.written) == 4
    assert subjects(mirror.path) == [
        f"Activation: NE, MA, SE on {original_version().id}",
        f"Rollout {rollout_id}, phase 1: NE on {rerouted}",
        f"Rollout {rollout_id}, phase 2: MA, SE on {rerouted}",
        f"Region rollback: SE to {original_version().id}",
    ]
    body = git(mirror.path, "log", "-1", "--format=%B", "live")
    assert "Reason: SE misroutes" in body and "Activated-by: otto" in body
    phase = git(mirror.path, "log", "-1", "--skip=1", "--format=%B", "live")
    assert f"Rollout: {rollout_id}" in phase and "Approved-by: abe" in phase
    assert "Activated-by: otto" in phase  # the engine's phase: whoever started the rollout
    # live.json is the composite state with the sequence; the live versions' files are there
    document = live_json(mirror.path)
    assert document["sequence"] == result.sequence
    assert document["regions"]["SE"]["version"] == original_version().id
    assert document["regions"]["NE"]["version"] == rerouted
    files = git(mirror.path, "ls-tree", "-r", "--name-only", "live").splitlines()
    assert f"versions/{rerouted}/routing.yaml" in files
    assert f"versions/{original_version().id}/network.yaml" in files
    assert git(mirror.path, "log", "-1", "--format=%an <%ae>", "live") == \
        "Rollout bot <bot@example.test>"
    git(mirror.path, "fsck", "--strict")


def test_sync__twice_or_duplicated__no_second_commit(who: People,
                                                     mirror: MirrorConfig) -> None:
    # Given a mirror in sync
    make_live(original_version())
    first = git_mirror_sync(config=mirror)
    assert first is not None and first.written

    # When the task runs again (a retry, a duplicate message, the beat's catch-up)
    again = git_mirror_sync(config=mirror)

    # Then nothing more is written
    assert again is not None and again.written == []
    assert len(subjects(mirror.path)) == 1


def test_sync__refused_rollback__no_commit(who: People, mirror: MirrorConfig) -> None:
    # Given the original live and the mirror in sync
    make_live(original_version())
    git_mirror_sync(config=mirror)

    # When a region rollback is refused (the retired-282 version would leave a gap)
    with pytest.raises(ActivationRefused):
        region_rollback(region="SE", version=retired_282_version(), reason="try",
                        actor=who.operator)

    # Then the mirror writes nothing
    result = git_mirror_sync(config=mirror)
    assert result is not None and result.written == []
    assert len(subjects(mirror.path)) == 1


def test_sync__repository_unwritable__activations_go_on_and_the_mirror_catches_up(
        who: People, mirror: MirrorConfig, tmp_path: Path) -> None:
    # Given a mirror path that Git cannot use (a file stands where the repository should be)
    make_live(original_version())
    mirror.path.write_text("not a repository")
    with pytest.raises(GitFailed):
        git_mirror_sync(config=mirror)
    # ... while the live state goes on changing
    region_rollback(region="SE", version=None, reason="SE closed", actor=who.operator)
    status = git_mirror_status()
    assert status is not None and status["lag"] == 2 and status["error"]

    # When the repository is writable again and the mirror syncs
    mirror.path.unlink()
    result = git_mirror_sync(config=mirror)

    # Then both changes are written, in order, and the lag is gone
    assert result is not None and len(result.written) == 2
    assert subjects(mirror.path)[-1] == "Region rollback: SE to out of service"
    status = git_mirror_status()
    assert status is not None and status["lag"] == 0 and status["error"] == ""


def test_sync__remote__pushed_and_a_lost_race_rebased(who: People, tmp_path: Path,
                                                      settings: Any) -> None:
    # Given a bare remote and two mirrors of the same database pushing to it
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "--quiet", "--bare", str(remote)], check=True)
    settings.RRM_GIT_MIRROR_REMOTE = str(remote)
    settings.RRM_GIT_MIRROR = str(tmp_path / "a")
    first = MirrorConfig.from_settings()
    second = MirrorConfig(path=tmp_path / "b", branch="live", author=BOT, remote=str(remote))
    assert first is not None
    make_live(original_version())
    git_mirror_sync(config=first)

    # When the live state changes and the second mirror (which never synced) pushes first
    region_rollback(region="SE", version=None, reason="SE closed", actor=who.operator)
    assert git_mirror_sync(config=second) is not None
    result = git_mirror_sync(config=first)

    # Then the remote has each live state once, in order, and the first mirror took its
    # history rather than pushing a second copy
    assert result is not None and result.pushed
    assert len(subjects(remote)) == 2
    assert live_json(remote)["regions"]["SE"]["version"] is None
    assert git(first.path, "rev-parse", "live") == git(remote, "rev-parse", "live")
    git(remote, "fsck", "--strict")


def test_rebuild__from_the_activations__the_same_commits_as_the_live_mirror(
        who: People, mirror: MirrorConfig, tmp_path: Path) -> None:
    # Given a live mirror that followed a rollout and a rollback
    a_two_phase_rollout_and_a_rollback(who)
    rollout = rollout_factory(version_factory("third", routing=("fcs: [FC-EWR4, FC-BOS7]",
                                                                "fcs: [FC-BOS7, FC-EWR4]")),
                              ["NE"], who=who, state="running", bake_minutes=0)
    drive(rollout.id, Clock())
    rollout_rollback(rollout_id=rollout.id, reason="back out", actor=who.operator)
    git_mirror_sync(config=mirror)
    assert subjects(mirror.path)[-1] == f"Roll back rollout {rollout.id}: NE"

    # When another repository is rebuilt from the activations
    lost = MirrorConfig(path=tmp_path / "rebuilt", branch="live", author=mirror.author)
    result = git_mirror_rebuild(config=lost)

    # Then it holds the very same commits (same trees, messages, dates: the same ids)
    assert result is not None
    assert git(lost.path, "rev-parse", "live") == git(mirror.path, "rev-parse", "live")
    assert GitMirrorState.objects.get(id=1).sequence == result.sequence


def test_sync__mirror_off__nothing(settings: Any) -> None:
    settings.RRM_GIT_MIRROR = ""
    assert git_mirror_sync() is None
    assert git_mirror_status() is None


def test_dashboard__mirror_behind__says_how_far_and_why(who: People, mirror: MirrorConfig,
                                                         settings: Any) -> None:
    from tests.web.helpers import assert_page_ok, client_as

    # Given a mirror that could not be written while the live state changed
    make_live(original_version())
    mirror.path.write_text("not a repository")
    with pytest.raises(GitFailed):
        git_mirror_sync(config=mirror)

    # When an operator opens the dashboard, and once the mirror caught up
    behind = assert_page_ok(client_as(who.viewer).get("/"))
    mirror.path.unlink()
    git_mirror_sync(config=mirror)
    caught_up = assert_page_ok(client_as(who.viewer).get("/"))

    # Then the lag and the error are shown, then nothing
    assert 'id="git-mirror-lag"' in behind and "1 change behind" in behind
    assert "not a Git repository" in behind
    assert 'id="git-mirror-lag"' not in caught_up


def test_healthz__mirror_behind__lag_without_the_error_text(who: People,
                                                            mirror: MirrorConfig) -> None:
    from django.test import Client

    make_live(original_version())
    body = Client().get("/healthz").json()

    assert body["status"] == "ok"
    assert body["git_mirror"] == {"lag": 1, "sequence": 0, "live_sequence": body[
        "git_mirror"]["live_sequence"], "failing": False}


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="needs ssh-keygen (openssh-client)")
def test_sync__ssh_signing_key__commits_signed_and_verifiable(who: People, tmp_path: Path,
                                                             mirror: MirrorConfig) -> None:
    # Given an SSH key for the mirror's bot
    key = tmp_path / "bot_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "bot", "-f",
                    str(key)], check=True)
    signed = MirrorConfig(path=mirror.path, branch="live", author=BOT,
                          signing=Signing(format="ssh", key=str(key)))
    make_live(original_version())

    # When the mirror writes a commit
    git_mirror_sync(config=signed)

    # Then it is signed, and git verifies it against the bot's public key
    assert "gpgsig" in git(mirror.path, "cat-file", "commit", "live")
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(f"{BOT.email} {(tmp_path / 'bot_key.pub').read_text()}")
    verified = subprocess.run(["git", "-C", str(mirror.path), "-c",
                               f"gpg.ssh.allowedSignersFile={allowed}", "verify-commit", "live"],
                              capture_output=True, text=True, check=False)
    assert verified.returncode == 0, verified.stderr


def test_git_mirror_command__sync_then_rebuild__json_and_exit_statuses(
        who: People, mirror: MirrorConfig, settings: Any) -> None:
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    make_live(original_version())
    out = StringIO()
    call_command("git_mirror", "--format", "json", stdout=out)
    assert json.loads(out.getvalue())["written"] and len(subjects(mirror.path)) == 1

    rebuilt = StringIO()
    call_command("git_mirror", "--rebuild", stdout=rebuilt)
    assert "1 commit(s) written" in rebuilt.getvalue() and len(subjects(mirror.path)) == 1

    settings.RRM_GIT_MIRROR = ""
    with pytest.raises(CommandError) as off:
        call_command("git_mirror")
    assert off.value.returncode == 2
