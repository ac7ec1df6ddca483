"""Storing versions: content addressing, immutability, findings, parents, audit."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rollout.models import AuditEvent, Version
from rollout.selectors.versions import version_raw_files
from rollout.services.roles import Role, RoleRequired, role_grant
from rollout.services.versions import VersionRejected, version_create, version_digest
from tests.factories import east_coast_files, user_factory

pytestmark = pytest.mark.django_db


def test_version_create__valid_bundle__stores_files_findings_and_audit() -> None:
    # Given the valid example bundle and an author (an editor)
    author = user_factory()
    role_grant(user=author, role=Role.EDITOR)
    files = east_coast_files()

    # When it is stored
    result = version_create(files=files, message="East Coast, first cut", author=author)

    # Then a valid version exists with its raw files, author and an audit event
    version = result.version
    assert result.created
    assert version.valid and version.error_count == 0
    assert version.id == version_digest(files=files)[:12]
    assert version.author == author
    assert version.layout == Version.Layout.DIRECTORY
    assert {f.name: f.content.encode() for f in version.files.all()} == files
    assert version.stats["zones"] == 11 and version.stats["regions"] == 3
    event = AuditEvent.objects.get(action="version.created")
    assert event.object_id == version.id and event.actor == author


def test_version_create__same_content_twice__returns_existing_version() -> None:
    first = version_create(files=east_coast_files(), message="one")
    second = version_create(files=east_coast_files(), message="two")

    assert not second.created
    assert second.version.id == first.version.id
    assert Version.objects.count() == 1
    assert AuditEvent.objects.filter(action="version.created").count() == 1


def test_version_create__comment_only_change__is_a_new_version() -> None:
    # Comments are content: they are exported byte for byte.
    first = version_create(files=east_coast_files(), message="one").version
    files = east_coast_files(regions=("# Three regions.", "# Three regions, reviewed."))

    second = version_create(files=files, message="comment").version

    assert second.id != first.id
    assert second.parent == first


def test_version_create__invalid_bundle__is_stored_with_its_findings() -> None:
    files = east_coast_files(network=("station: DS-ATL2", "station: DS-NOPE"))

    version = version_create(files=files, message="broken on purpose").version

    assert not version.valid
    assert version.error_count == 1
    [finding] = version.findings
    assert finding["code"] == "E110" and finding["file"] == "network.yaml"
    assert finding["line"] > 1 and finding["column"] > 1


def test_version_create__not_utf8__is_rejected_and_nothing_is_stored() -> None:
    files = east_coast_files()
    files["network.yaml"] = files["network.yaml"] + b"\xff\xfe"

    with pytest.raises(VersionRejected) as caught:
        version_create(files=files, message="binary junk")

    assert caught.value.findings[0].code == "E100"
    assert Version.objects.count() == 0


@pytest.mark.parametrize("name", ["../network.yaml", ".hidden.yaml", "notes.txt", "",
                                  'a"b\r\nX-Evil: 1.yaml', "tab\there.yaml", "what?.yaml"])
def test_version_create__unusable_file_name__is_rejected(name: str) -> None:
    with pytest.raises(VersionRejected):
        version_create(files={name: b"network: {}\n"}, message="bad name")


def test_version_create__empty_message__is_rejected() -> None:
    with pytest.raises(VersionRejected):
        version_create(files=east_coast_files(), message="   ")


def test_version_create__crlf_and_bom__are_kept_byte_for_byte() -> None:
    files = {name: b"\xef\xbb\xbf" + raw.replace(b"\n", b"\r\n")
             for name, raw in east_coast_files().items()}

    version = version_create(files=files, message="windows line endings").version

    assert version.valid
    assert {f.name: f.content.encode() for f in version.files.all()} == files


# Comments, unicode, CRLF/CR line endings, trailing spaces, no final newline: whatever bytes a
# planner's editor wrote must come back out of export exactly.
_comment_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x00"),
    max_size=40,
)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    comments=st.lists(_comment_text, min_size=1, max_size=4),
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
    final_newline=st.booleans(),
)
def test_version_create__any_text__export_gives_the_same_bytes(
    comments: list[str], newline: str, final_newline: bool, django_db_blocker: Any
) -> None:
    # Given a bundle whose files carry arbitrary comments and line endings
    files = {}
    for name, raw in east_coast_files().items():
        lines = [f"# {c}" for c in comments] + raw.decode().splitlines()
        text = newline.join(lines) + (newline if final_newline else "")
        files[name] = text.encode()

    with django_db_blocker.unblock(), transaction.atomic():
        # When it is stored and read back out as export_config does
        version = version_create(files=files, message="round trip").version
        exported = version_raw_files(version=version)
        transaction.set_rollback(True)

    # Then every file is byte for byte what was stored
    assert exported == files


# --- who may store a version, and what message ----------------------------------------------


@pytest.mark.parametrize("role", [None, Role.VIEWER, Role.APPROVER, Role.OPERATOR,
                                  Role.OBSERVER])
def test_version_create__author_without_the_editor_role__refused_nothing_stored(
        role: Role | None) -> None:
    # Given an author who is not an editor
    author = user_factory("not-an-editor")
    if role is not None:
        role_grant(user=author, role=role)

    # When a version is stored in their name
    with pytest.raises(RoleRequired, match="editor"):
        version_create(files=east_coast_files(), message="m", author=author)

    # Then nothing is stored
    assert not Version.objects.exists() and not AuditEvent.objects.exists()


def test_version_create__inactive_editor__refused() -> None:
    author = user_factory("gone", is_active=False)
    role_grant(user=author, role=Role.EDITOR)

    with pytest.raises(RoleRequired):
        version_create(files=east_coast_files(), message="m", author=author)

    assert not Version.objects.exists()


@pytest.mark.parametrize("message", ["fix\x00routing", "\x00", "lone \ud800 surrogate"],
                         ids=["NUL inside", "NUL alone", "lone surrogate"])
def test_version_create__message_that_cannot_be_stored__rejected_nothing_stored(
        message: str) -> None:
    with pytest.raises(VersionRejected, match="message"):
        version_create(files=east_coast_files(), message=message)

    assert not Version.objects.exists() and not AuditEvent.objects.exists()
