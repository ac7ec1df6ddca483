"""The Git mirror written by a real worker: a change of the live state committed in this process
reaches the branch through the broker (`rollout.git_mirror_sync`, sent on commit), one commit
per change, also when the task is delivered twice."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from celery import current_app

from rollout.models import Activation
from rollout.services.activations import region_rollback
from tests.integration.helpers import (
    CeleryWorker,
    broker_purge,
    wait_for,
    worker_database_url,
)
from tests.integration.scenario import baseline_live, east_coast_versions, people

pytestmark = pytest.mark.django_db(transaction=True)

WAIT_SECONDS = 60.0


def branch_sequence(repo: Path) -> int:
    shown = subprocess.run(["git", "-C", str(repo), "show", "live:live.json"],
                           capture_output=True, text=True, check=False)
    return json.loads(shown.stdout)["sequence"] if shown.returncode == 0 else 0


def commits(repo: Path) -> list[str]:
    return subprocess.run(["git", "-C", str(repo), "log", "--format=%s", "--reverse", "live"],
                          capture_output=True, text=True, check=True).stdout.splitlines()


@pytest.fixture
def mirror_worker(transactional_db: None, tmp_path: Path,
                  settings: Any) -> Iterator[tuple[CeleryWorker, Path]]:
    """A worker (no beat: only the sends of this test reach it) with the mirror on, and this
    process sending to it."""
    repo = tmp_path / "mirror"
    settings.RRM_GIT_MIRROR = str(repo)
    broker_url = os.environ["CELERY_BROKER_URL"]
    broker_purge(broker_url)
    (tmp_path / "var").mkdir()
    worker = CeleryWorker(env={"DATABASE_URL": worker_database_url(),
                               "CELERY_BROKER_URL": broker_url, "RRM_GIT_MIRROR": str(repo),
                               "RRM_VAR_DIR": str(tmp_path / "var")},
                          log_dir=tmp_path, beat=False)
    worker.start()
    try:
        yield worker, repo
    finally:
        worker.stop()


def test_region_rollbacks__worker_writes_one_commit_each_even_when_sent_twice(
        mirror_worker: tuple[CeleryWorker, Path]) -> None:
    worker, repo = mirror_worker
    who = people()
    original, rerouted = east_coast_versions()
    baseline_live(original)

    # When two region rollbacks commit (each sends the task on commit) and the task is sent
    # once more, as a duplicated or retried message would be
    region_rollback(region="SE", version=rerouted, reason="first", actor=who.operator)
    region_rollback(region="MA", version=rerouted, reason="second", actor=who.operator)
    current_app.send_task("rollout.git_mirror_sync")
    newest = Activation.objects.order_by("-id").values_list("id", flat=True).first()

    # Then the branch reaches the newest activation, with one commit per change
    wait_for(lambda: branch_sequence(repo) == newest or None, timeout=WAIT_SECONDS,
             what="the mirror to reach the newest activation", worker=worker)
    titles = commits(repo)
    assert titles[-2:] == [f"Region rollback: SE to {rerouted.id}",
                           f"Region rollback: MA to {rerouted.id}"]
    assert len(titles) == len(set(titles))
    subprocess.run(["git", "-C", str(repo), "fsck", "--strict"], check=True,
                   capture_output=True)
