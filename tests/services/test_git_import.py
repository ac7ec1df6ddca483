"""Bundles read from Git (rollout/services/git_import.py), on real repositories made with `git`:
the version records the repository, ref and commit; the same commit twice is the same version;
refs, folders and single files; what is refused."""

from __future__ import annotations

import shutil
import subprocess
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from rollout.models import Version
from rollout.services.git_import import (
    GitImportForbidden,
    GitImportRefused,
    version_import_git,
)
from rollout.services.roles import RoleRequired
from tests.rollout_factories import People

pytestmark = pytest.mark.django_db

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "east-coast"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), "-c", "user.name=T", "-c",
                           "user.email=t@example.test", *args], capture_output=True, text=True,
                          check=True).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path, settings: Any) -> Path:
    """A repository with the east-coast example under config/ (and a README beside it),
    committed on main and tagged v1."""
    settings.VAR_DIR = tmp_path / "var"
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "--quiet", "--initial-branch=main")
    shutil.copytree(EXAMPLE, path / "config")
    (path / "config" / "README.md").write_text("not part of the bundle\n")
    git(path, "add", ".")
    git(path, "commit", "--quiet", "-m", "east coast")
    git(path, "tag", "v1")
    return path


def test_import__folder_at_a_branch__version_records_repository_ref_and_commit(
        repo: Path) -> None:
    result = version_import_git(repository=str(repo), ref="main", path="config",
                                message="from git", by_administrator=True)

    version = result.version
    assert result.created and version.valid
    assert (version.git_repository, version.git_ref, version.git_path) == \
        (str(repo), "main", "config")
    assert version.git_commit == git(repo, "rev-parse", "main")
    assert sorted(version.files.values_list("name", flat=True)) == sorted(
        p.name for p in EXAMPLE.iterdir() if p.suffix == ".yaml")


def test_import__same_commit_twice__same_version(repo: Path) -> None:
    first = version_import_git(repository=str(repo), ref="main", path="config",
                               message="from git", by_administrator=True)
    again = version_import_git(repository=str(repo), ref="v1", path="config/",
                               message="again", by_administrator=True)
    by_sha = version_import_git(repository=str(repo), ref=first.version.git_commit,
                                path="config", message="by commit", by_administrator=True)

    assert not again.created and again.version.id == first.version.id == by_sha.version.id
    assert Version.objects.count() == 1


def test_import__new_commit_changing_routing__new_version_of_that_commit(repo: Path) -> None:
    first = version_import_git(repository=str(repo), ref="main", path="config",
                               message="from git", by_administrator=True)
    routing = repo / "config" / "routing.yaml"
    routing.write_text(routing.read_text().replace("fcs: [FC-EWR4, FC-BOS7]",
                                                   "fcs: [FC-BOS7, FC-EWR4]"))
    git(repo, "commit", "--quiet", "-am", "Newark from Boston first")

    second = version_import_git(repository=str(repo), ref="main", path="config",
                                message="rerouted", by_administrator=True)

    assert second.created and second.version.id != first.version.id
    assert second.version.git_commit == git(repo, "rev-parse", "main")


def test_import__single_file__a_single_file_bundle(repo: Path, tmp_path: Path) -> None:
    single = tmp_path / "single"
    single.mkdir()
    git(single, "init", "--quiet")
    bundle = "\n".join((EXAMPLE / f).read_text() for f in ("network.yaml",))
    (single / "bundle.yaml").write_text(bundle)
    git(single, "add", ".")
    git(single, "commit", "--quiet", "-m", "one file")

    result = version_import_git(repository=str(single), ref="HEAD", path="bundle.yaml",
                                message="one file", by_administrator=True)

    assert list(result.version.files.values_list("name", flat=True)) == ["bundle.yaml"]
    assert result.version.layout == Version.Layout.SINGLE


@pytest.mark.parametrize(("ref", "path", "says"), [
    ("nope", "config", "cannot fetch"),
    ("main", "elsewhere", "no such file or folder"),
    ("main", "", "no network.yaml"),
    ("--upload-pack=touch /tmp/x", "config", "is not a ref"),
    ("main", "../..", "without '..'"),
], ids=["unknown ref", "missing folder", "no bundle at the root", "option as ref", "dot-dot"])
def test_import__unusable_ref_or_path__refused_nothing_stored(
        repo: Path, ref: str, path: str, says: str) -> None:
    with pytest.raises(GitImportRefused, match=says):
        version_import_git(repository=str(repo), ref=ref, path=path, message="x",
                           by_administrator=True)
    assert Version.objects.count() == 0


def test_import__ext_transport__refused(repo: Path, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    with pytest.raises(GitImportRefused):
        version_import_git(repository=f"ext::sh -c touch% {marker}", ref="main",
                           message="x", by_administrator=True)
    assert not marker.exists()


def test_import__by_an_editor__only_from_allowed_repositories(
        repo: Path, who: People, settings: Any) -> None:
    settings.RRM_GIT_IMPORT_ALLOWED = []
    with pytest.raises(GitImportForbidden):
        version_import_git(repository=str(repo), ref="main", path="config", message="x",
                           author=who.editor)

    settings.RRM_GIT_IMPORT_ALLOWED = [str(repo.parent) + "/"]
    result = version_import_git(repository=str(repo), ref="main", path="config",
                                message="allowed", author=who.editor)

    assert result.created and result.version.author == who.editor


def test_import__by_a_viewer__refused_before_anything_is_fetched(
        repo: Path, who: People, settings: Any, tmp_path: Path) -> None:
    settings.RRM_GIT_IMPORT_ALLOWED = [str(repo.parent) + "/"]

    with pytest.raises(RoleRequired):
        version_import_git(repository=str(repo), ref="main", path="config", message="x",
                           author=who.viewer)

    assert not (tmp_path / "var" / "git-imports").exists()  # no clone, no fetch
    assert not Version.objects.exists()


def test_import_config_command__git__prints_the_id_last(repo: Path) -> None:
    out, err = StringIO(), StringIO()

    call_command("import_config", "--git", str(repo), "--ref", "v1", "--path", "config",
                 "--message", "from the pipeline", stdout=out, stderr=err)

    version = Version.objects.get()
    assert out.getvalue().strip().splitlines()[-1] == version.id
    assert version.git_commit in err.getvalue()


def test_import_config_command__path_and_git__unusable(repo: Path) -> None:
    with pytest.raises(CommandError) as refused:
        call_command("import_config", str(EXAMPLE), "--git", str(repo), "--message", "x")
    assert refused.value.returncode == 2


def test_api__post_versions_git__editor_from_an_allowed_repository(
        repo: Path, who: People, settings: Any) -> None:
    from rollout.services.roles import Role
    from rollout.services.tokens import token_create
    from tests.api.helpers import ApiClient

    settings.RRM_GIT_IMPORT_ALLOWED = [str(repo)]
    editor = ApiClient(token_create(user=who.editor, role=Role.EDITOR, name="ci")[1])
    body = {"repository": str(repo), "ref": "v1", "path": "config", "message": "from CI"}

    created = editor.post("/versions/git", body)
    again = editor.post("/versions/git", {**body, "ref": "main"})
    elsewhere = editor.post("/versions/git", {**body, "repository": "/etc"})

    assert created.status_code == 201 and again.status_code == 200
    assert created.json()["git"] == {"repository": str(repo), "ref": "v1", "path": "config",
                                     "commit": git(repo, "rev-parse", "v1^{commit}")}
    assert again.json()["id"] == created.json()["id"]
    assert elsewhere.status_code == 403


def test_upload_page__from_git__stored_and_shown_on_the_version_page(
        repo: Path, who: People, settings: Any) -> None:
    from tests.web.helpers import assert_page_ok, client_as

    settings.RRM_GIT_IMPORT_ALLOWED = [str(repo)]
    client = client_as(who.editor)
    assert "Or import from Git" in assert_page_ok(client.get("/versions/new/"))

    response = client.post("/versions/new/", {
        "source": "git", "git-repository": str(repo), "git-ref": "v1", "git-path": "config",
        "git-message": "from the page"})

    version = Version.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/versions/{version.id}/"
    page = assert_page_ok(client.get(f"/versions/{version.id}/"))
    assert "from Git" in page and version.git_commit[:12] in page


def test_upload_page__from_git_not_allowed__says_so_nothing_stored(
        repo: Path, who: People, settings: Any) -> None:
    from tests.web.helpers import assert_page_ok, client_as

    settings.RRM_GIT_IMPORT_ALLOWED = []
    response = client_as(who.editor).post("/versions/new/", {
        "source": "git", "git-repository": str(repo), "git-ref": "main", "git-path": "config",
        "git-message": "nope"})

    assert "Not imported" in assert_page_ok(response) and "RRM_GIT_IMPORT_ALLOWED" in \
        response.content.decode()
    assert Version.objects.count() == 0


def test_diff_page__two_commits__each_side_names_its_commit(repo: Path, who: People) -> None:
    from tests.web.helpers import assert_page_ok, client_as

    first = version_import_git(repository=str(repo), ref="main", path="config",
                               message="first", by_administrator=True).version
    routing = repo / "config" / "routing.yaml"
    routing.write_text(routing.read_text().replace("fcs: [FC-EWR4, FC-BOS7]",
                                                   "fcs: [FC-BOS7, FC-EWR4]"))
    git(repo, "commit", "--quiet", "-am", "rerouted")
    second = version_import_git(repository=str(repo), ref="main", path="config",
                                message="second", by_administrator=True).version

    page = assert_page_ok(client_as(who.viewer).get(f"/versions/{first.id}/diff/{second.id}/"))

    assert first.git_commit[:12] in page and second.git_commit[:12] in page
