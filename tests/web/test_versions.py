"""Versions pages: the role gates, the listing with findings linked to lines, the diff, upload and
editing a file in the browser (through version_create; refusals shown, nothing stored)."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from rollout.models import Version
from rollout.selectors.versions import version_files
from tests.factories import east_coast_files
from tests.rollout_factories import People, moved_282_version, original_version
from tests.web.helpers import (
    assert_forbidden,
    assert_login_redirect,
    assert_page_ok,
    client_as,
    role_clients,
)

pytestmark = pytest.mark.django_db


READERS = ("viewer", "editor", "approver", "operator")
#: an unknown station: E110 on network.yaml's zone 282 (its `station:` line)
BAD_STATION = ("station: DS-CLT4, demand: 5000}", "station: DS-NOPE, demand: 5000}")


def uploads(files: dict[str, bytes]) -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile(name, raw, content_type="application/yaml")
            for name, raw in files.items()]


def read_pages(version: Version, other: Version) -> dict[str, str]:
    return {
        "list": reverse("web:version_list"),
        "detail": reverse("web:version_detail", args=[version.id]),
        "raw": reverse("web:version_file_raw", args=[version.id, "regions.yaml"]),
        "diff": reverse("web:version_diff", args=[version.id, other.id]),
    }


def write_pages(version: Version) -> dict[str, str]:
    return {
        "upload": reverse("web:version_upload"),
        "edit": reverse("web:version_file_edit", args=[version.id, "regions.yaml"]),
    }


# --- role gates -----------------------------------------------------------------------------


def test_read_pages__every_role__shown(who: People) -> None:
    # Given two versions and a client per role
    old, new = original_version(), moved_282_version()
    clients = role_clients(who)
    # When each role opens each page Then it is shown (the raw file as text)
    for role in READERS:
        for page, url in read_pages(old, new).items():
            response = clients[role].get(url)
            if page == "raw":
                assert response.status_code == 200
                assert response["Content-Type"].startswith("text/plain")
            else:
                assert_page_ok(response)


def test_read_pages__no_role_or_anonymous__forbidden_or_login(who: People) -> None:
    old, new = original_version(), moved_282_version()
    clients = role_clients(who)
    for url in read_pages(old, new).values():
        assert_forbidden(clients["nobody"].get(url))
        assert_login_redirect(clients["anonymous"].get(url))


def test_write_pages__editor_only(who: People) -> None:
    # Given a version When each role opens the upload and edit pages
    version = original_version()
    clients = role_clients(who)
    for url in write_pages(version).values():
        # Then the editor sees the form, the others get 403, anonymous goes to the login page
        assert_page_ok(clients["editor"].get(url))
        for role in ("viewer", "approver", "operator", "nobody"):
            assert_forbidden(clients[role].get(url))
            assert_forbidden(clients[role].post(url, {"message": "x"}))
        assert_login_redirect(clients["anonymous"].get(url))


def test_version_detail__unknown_id__404_page(who: People) -> None:
    client = client_as(who.viewer)
    for url in (reverse("web:version_detail", args=["ffffffff"]),
                reverse("web:version_diff", args=["ffffffff", "eeeeeeee"]),
                reverse("web:version_file_raw", args=["ffffffff", "network.yaml"])):
        response = client.get(url)
        assert response.status_code == 404
        assert "no version" in response.content.decode()


def test_version_file_raw__unknown_file__404(who: People) -> None:
    version = original_version()
    response = client_as(who.viewer).get(
        reverse("web:version_file_raw", args=[version.id, "nope.yaml"]))
    assert response.status_code == 404


# --- list, detail, diff ---------------------------------------------------------------------


def test_version_list__versions__ids_parents_and_badges(who: People) -> None:
    # Given two versions, the second a child of the first
    old, new = original_version(), moved_282_version()
    # When the list is shown
    html = assert_page_ok(client_as(who.viewer).get(reverse("web:version_list")))
    # Then both link to their pages, the parent is linked, and the validity is a badge
    assert reverse("web:version_detail", args=[new.id]) in html
    assert reverse("web:version_detail", args=[old.id]) in html
    assert "move 282 to MA" in html
    assert html.count('class="badge valid"') == 2


def test_version_list__compare_picker__redirects_to_the_diff(who: People) -> None:
    old, new = original_version(), moved_282_version()
    response = client_as(who.viewer).get(reverse("web:version_list"),
                                          {"a": old.id[:6], "b": new.id})
    assert response.status_code == 302
    assert response["Location"] == reverse("web:version_diff", args=[old.id[:6], new.id])


def test_version_detail__every_file__highlighted_with_line_anchors(who: People) -> None:
    version = original_version()
    html = assert_page_ok(client_as(who.editor).get(
        reverse("web:version_detail", args=[version.id])))
    for name in version_files(version=version):
        assert f'id="{name}-L1"' in html
        assert reverse("web:version_file_edit", args=[version.id, name]) in html
    assert 'class="c1"' in html  # pygments marked the comments
    assert "/rollouts/new/?version=" + version.id in html  # valid and an editor: plan it


def test_version_detail__viewer__no_edit_or_plan_links(who: People) -> None:
    version = original_version()
    html = assert_page_ok(client_as(who.viewer).get(
        reverse("web:version_detail", args=[version.id])))
    assert "/edit/" not in html
    assert "/rollouts/new/" not in html
    assert "/simulate/?version=" + version.id in html


def test_version_diff__zone_moved__summary_map_and_signed_lines(who: People) -> None:
    # Given the example and a child moving zone 282 from SE to MA
    old, new = original_version(), moved_282_version()
    # When the diff is shown
    html = assert_page_ok(client_as(who.viewer).get(
        reverse("web:version_diff", args=[old.id, new.id])))
    # Then the semantic summary names the move, the map has the zone with its old region, and
    # the changed lines carry - and + signs in their own cells
    assert "Zones moved between regions" in html
    assert "SE → MA: 1 zone 282" in html
    assert 'data-zone="282"' in html
    assert "zone 282: MA (was SE)" in html
    assert '<td class="s del">-</td>' in html
    assert '<td class="s add">+</td>' in html
    assert "unchanged line" in html


# --- upload ---------------------------------------------------------------------------------


def test_version_upload__invalid_bundle__stored_and_finding_links_to_its_line(who: People
                                                                            ) -> None:
    # Given a bundle whose zone 282 names an unknown station
    files = east_coast_files(network=BAD_STATION)
    client = client_as(who.editor)
    # When the editor uploads it
    response = client.post(reverse("web:version_upload"),
                           {"bundle_files": uploads(files), "message": "bad station"}, follow=True)
    # Then it is stored as an invalid version, and its page says so
    version = Version.objects.get(message="bad station")
    assert not version.valid
    assert response.redirect_chain[-1][0] == reverse("web:version_detail", args=[version.id])
    html = assert_page_ok(response)
    assert "invalid" in html and "E110" in html
    # And the finding's link points at the listing's element for that line
    link = re.search(r'<a href="#(network\.yaml-L(\d+))">network\.yaml:\2:\d+</a>', html)
    assert link is not None, "the finding links to its line"
    assert f'id="{link.group(1)}"' in html
    line = int(link.group(2))
    assert "DS-NOPE" in files["network.yaml"].decode().splitlines()[line - 1]


def test_version_upload__zip_of_a_directory__stored(who: People) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, raw in east_coast_files().items():
            archive.writestr(f"east-coast/{name}", raw)
    response = client_as(who.editor).post(reverse("web:version_upload"), {
        "bundle_files": SimpleUploadedFile("bundle.zip", buffer.getvalue()), "message": "zipped"})
    assert response.status_code == 302
    assert Version.objects.get(message="zipped").valid


def test_version_upload__same_content_twice__already_exists(who: People) -> None:
    version = original_version()
    response = client_as(who.editor).post(reverse("web:version_upload"), {
        "bundle_files": uploads(east_coast_files()), "message": "again"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("web:version_detail", args=[version.id])
    assert "already exists" in response.content.decode()
    assert Version.objects.count() == 1


@pytest.mark.parametrize(("files", "expected"), [
    ({"network.yaml": b"\xff\xfe bad", "regions.yaml": b"regions: []",
      "routing.yaml": b"routes: []"}, "network.yaml is not UTF-8"),
    ({"network.yaml": b"facilities: []", "regions.yaml": b"regions: []"},
     "missing routing.yaml"),
    ({"bundle.zip": b"PK not a zip"}, "not a readable .zip"),
    ({"notes.txt": b"hello"}, "unusable file name"),
    ({}, "This field is required"),
])
def test_version_upload__bad_upload__clear_error_nothing_stored(
        who: People, files: dict[str, bytes], expected: str) -> None:
    # Given a bad upload When the editor posts it
    response = client_as(who.editor).post(reverse("web:version_upload"),
                                          {"bundle_files": uploads(files), "message": "bad"})
    # Then the form comes back with the reason, and nothing is stored
    html = assert_page_ok(response)
    assert expected in html
    assert "Not stored" in html
    assert Version.objects.count() == 0


def test_version_upload__no_csrf_token__refused(who: People) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(who.editor)
    response = client.post(reverse("web:version_upload"),
                           {"bundle_files": uploads(east_coast_files()), "message": "no token"})
    assert response.status_code == 403
    assert Version.objects.count() == 0


# --- edit -----------------------------------------------------------------------------------


def test_version_file_edit__text__new_child_version_with_other_files_unchanged(who: People
                                                                               ) -> None:
    # Given the example
    version = original_version()
    client = client_as(who.editor)
    url = reverse("web:version_file_edit", args=[version.id, "routing.yaml"])
    original = version_files(version=version)["routing.yaml"]
    assert original.splitlines()[0] in assert_page_ok(client.get(url))
    # When the editor changes one line (sent with CRLF, as browsers do)
    edited = original.replace("fcs: [FC-EWR4, FC-BOS7]", "fcs: [FC-BOS7, FC-EWR4]")
    response = client.post(url, {"action": "text", "content": edited.replace("\n", "\r\n"),
                                 "message": "Boston first"}, follow=True)
    # Then a child version holds the edited file and the others byte for byte
    child = Version.objects.get(message="Boston first")
    assert child.parent_id == version.id
    child_files, parent_files = version_files(version=child), version_files(version=version)
    assert child_files["routing.yaml"] == edited
    assert {n: t for n, t in child_files.items() if n != "routing.yaml"} == \
        {n: t for n, t in parent_files.items() if n != "routing.yaml"}
    assert response.redirect_chain[-1][0] == reverse("web:version_detail", args=[child.id])


def test_version_file_edit__broken_yaml__stored_invalid_with_e100(who: People) -> None:
    version = original_version()
    url = reverse("web:version_file_edit", args=[version.id, "routing.yaml"])
    response = client_as(who.editor).post(url, {"action": "text", "content": "routes: [\n",
                                                "message": "oops"}, follow=True)
    html = assert_page_ok(response)
    assert "E100" in html
    assert not Version.objects.get(message="oops").valid


def test_version_file_edit__move_zones__comments_kept_and_zone_moved(who: People) -> None:
    # Given the example When zone 282 is moved to MA with the quick edit
    version = original_version()
    url = reverse("web:version_file_edit", args=[version.id, "regions.yaml"])
    response = client_as(who.editor).post(url, {
        "action": "move_zones", "move-zones": "282", "move-region": "MA",
        "move-message": "282 to MA"}, follow=True)
    # Then the new version has the zone in MA, SE's range split, the comments intact
    child = Version.objects.get(message="282 to MA")
    text = version_files(version=child)["regions.yaml"]
    assert 'zones: ["150-219", "282"]' in text
    assert 'zones: ["270-281", "283-319"]' in text
    assert "# inclusive ranges of same-width ZIP3 ids" in text
    assert "SE: zones [270-319] -&gt; [270-281, 283-319]" in assert_page_ok(response)


def test_version_file_edit__move_to_unknown_region__form_error_nothing_stored(who: People
                                                                             ) -> None:
    version = original_version()
    url = reverse("web:version_file_edit", args=[version.id, "regions.yaml"])
    html = assert_page_ok(client_as(who.editor).post(url, {
        "action": "move_zones", "move-zones": "282", "move-region": "XX",
        "move-message": "nope"}))
    assert "Select a valid choice" in html
    assert Version.objects.count() == 1


def test_version_file_edit__route_fcs__rule_changed(who: People) -> None:
    version = original_version()
    url = reverse("web:version_file_edit", args=[version.id, "routing.yaml"])
    client_as(who.editor).post(url, {
        "action": "route_fcs", "route-region": "MA", "route-fcs": "FC-BWI2, FC-EWR4",
        "route-message": "MA candidates"})
    child = Version.objects.get(message="MA candidates")
    assert "    fcs: [FC-BWI2, FC-EWR4]" in version_files(version=child)["routing.yaml"]


def test_version_file_edit__no_change__nothing_stored(who: People) -> None:
    version = original_version()
    url = reverse("web:version_file_edit", args=[version.id, "routing.yaml"])
    response = client_as(who.editor).post(url, {
        "action": "text", "content": version_files(version=version)["routing.yaml"],
        "message": "same"}, follow=True)
    assert "Nothing to change" in response.content.decode()
    assert Version.objects.count() == 1


def test_listing_note__finding_at_a_column__caret_under_that_column_after_the_same_gutter(
) -> None:
    # Given a 12-line file with a finding at line 10, column 7
    from rollout.web.highlight import LineNote, listing

    text = "".join(f"key{n}: value{n}\n" for n in range(1, 13))
    note = LineNote(severity="error", code="E110", message="bad", column=7)
    # When it is listed
    html = str(listing(version_id="v-caret", name="a.yaml", text=text, notes={10: (note,)}))
    # Then the note repeats the line's gutter (same class, number width) and pads column - 1
    # characters, so the caret is exactly under column 7 whatever the gutter's padding
    line = re.search(r'<a class="ln" href="#a\.yaml-L10">(10)</a> ', html)
    note_html = re.search(r'<span class="note error" role="note"><span class="ln" '
                          r'aria-hidden="true">( *)</span> <span class="pad">( *)</span>'
                          r'<span class="caret">\^</span> error E110: bad</span>', html)
    assert line and note_html
    assert len(note_html.group(1)) == len(line.group(1)) == 2
    assert len(note_html.group(2)) == 6


def test_listing__leading_blank_lines_and_unicode_separators__keep_line_numbers() -> None:
    # Given a file starting with blank lines and holding a U+2028 inside a comment
    from rollout.web.highlight import LineNote, line_id, listing

    text = "\n\n# note\u2028still the comment\nregions:\n  - code: NE\n"
    note = LineNote(code="E999", message="here", severity="error", column=5)
    # When it is listed with a finding on line 5
    html = listing(version_id="t1", name="regions.yaml", text=text, notes={5: (note,)})
    # Then line 5's element holds "code: NE" and carries the finding
    found = re.search(rf'<span id="{line_id("regions.yaml", 5)}" class="([^"]*)"[^>]*>(.*?)</span>'
                      r'(?=<span)', html.html)
    assert found and "finding-line" in found.group(1)
    assert "code" in found.group(2) and "NE" in found.group(2)
    assert html.lines == 5


def test_compare__ref_with_a_slash__is_a_form_error_not_a_500(who: People) -> None:
    response = client_as(who.viewer).get("/versions/", {"a": "a/b", "b": "c"})
    assert response.status_code == 200
    assert "A version id" in response.content.decode()
