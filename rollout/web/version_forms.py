"""Forms of the versions pages: upload a bundle, edit a file, quick edits, compare two versions.

Forms only turn the request into plain values (file name -> bytes, lists of zones); storing is
`services.versions.version_create`'s job, and its refusals are shown by the views.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import RegexValidator

from rollout.domain.bundle import SECTION_FILES
from rollout.domain.schema import REQUIRED_SECTIONS
from rollout.domain.yamledit import parse_fc_list, parse_zone_list
from rollout.services.versions import MAX_FILES

REQUIRED_FILES = tuple(SECTION_FILES[name] for name in REQUIRED_SECTIONS)
MESSAGE_HELP = "What changed and why (kept with the version and in the audit log)."


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file input taking several files at once (Django's documented recipe)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        single = super().clean
        if isinstance(data, (list, tuple)) and data:
            return [single(item, initial) for item in data]
        cleaned = single(data or None, initial)  # raises "required" for no file at all
        return [cleaned] if cleaned else []


class UploadForm(forms.Form):
    """The files of a bundle (or a .zip of its directory) and a message."""

    bundle_files = MultipleFileField(
        label="Bundle files", required=True,
        help_text="network.yaml, regions.yaml, routing.yaml and optionally demand.yaml; or one "
                  "single-file bundle; or a .zip of a bundle directory.")
    message = forms.CharField(label="Message", max_length=2000, help_text=MESSAGE_HELP,
                              widget=forms.TextInput(attrs={"size": 70}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        uploads: list[UploadedFile] = data.get("bundle_files") or []
        if not uploads:
            return data
        try:
            data["bundle"] = bundle_from_uploads(uploads)
        except forms.ValidationError as exc:
            self.add_error("bundle_files", exc)
        return data


def bundle_from_uploads(uploads: Sequence[UploadedFile]) -> dict[str, bytes]:
    """File name -> bytes; a .zip is unpacked (its YAML files, wherever they are in it).

    Nothing is read past the limits: each file at most RRM_MAX_FILE_BYTES, a whole bundle at
    most MAX_FILES of them, whatever sizes the uploads or a zip's headers claim.
    """
    limit = settings.RRM_MAX_FILE_BYTES
    if len(uploads) > MAX_FILES:
        raise forms.ValidationError(f"{len(uploads)} files were given; a bundle has at most "
                                    f"{MAX_FILES}.")
    budget = _Budget(limit * MAX_FILES)
    files: dict[str, bytes] = {}
    for upload in uploads:
        name = PurePosixPath(upload.name or "").name
        is_zip = name.lower().endswith(".zip")
        cap = limit * MAX_FILES if is_zip else limit
        raw = upload.read(cap + 1)
        if len(raw) > cap:
            raise forms.ValidationError(f"{name} is larger than the size limit "
                                        f"({cap:,} bytes).")
        if is_zip:
            for member, content in _unzip(name, raw, limit, budget).items():
                _add(files, member, content)
        else:
            budget.take(len(raw), name)
            _add(files, name, raw)
    if len(files) > 1:
        missing = [f for f in REQUIRED_FILES if f not in files]
        if missing:
            raise forms.ValidationError(
                f"The bundle is missing {', '.join(missing)} (a bundle directory needs "
                f"{', '.join(REQUIRED_FILES)}; demand.yaml is optional).")
    for name, raw in files.items():
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError(
                f"{name} is not UTF-8 text (byte {exc.start + 1} cannot be decoded); save it "
                f"as UTF-8 and upload it again.") from exc
    return files


class _Budget:
    """Bytes a whole upload may still unpack to."""

    def __init__(self, total: int) -> None:
        self.left = total

    def take(self, size: int, name: str) -> None:
        self.left -= size
        if self.left < 0:
            raise forms.ValidationError(f"The bundle is larger than the size limit at {name}.")


def _add(files: dict[str, bytes], name: str, raw: bytes) -> None:
    if name in files:
        raise forms.ValidationError(f"{name} was given twice.")
    files[name] = raw


def _unzip(name: str, raw: bytes, limit: int, budget: _Budget) -> dict[str, bytes]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile as exc:
        raise forms.ValidationError(f"{name} is not a readable .zip file.") from exc
    out: dict[str, bytes] = {}
    with archive:
        members = [info for info in archive.infolist()
                   if not info.is_dir() and info.filename.lower().endswith((".yaml", ".yml"))
                   and "__MACOSX" not in info.filename
                   and not PurePosixPath(info.filename).name.startswith(".")]
        if not members:
            raise forms.ValidationError(f"{name} holds no .yaml file.")
        if len(members) > MAX_FILES:
            raise forms.ValidationError(f"{name} holds {len(members)} YAML files; a bundle has "
                                        f"at most {MAX_FILES}.")
        for info in members:
            member = PurePosixPath(info.filename).name
            if member in out:
                raise forms.ValidationError(f"{name} holds two files named {member}.")
            too_big = forms.ValidationError(f"{info.filename} in {name} is over the size limit.")
            if info.file_size > limit:
                raise too_big
            try:
                # Streamed and cut at the limit: the size in a zip's header is the archive's
                # own claim, and a forged one must not make us inflate gigabytes (a zip bomb).
                with archive.open(info) as stream:
                    content = stream.read(limit + 1)
            except (zipfile.BadZipFile, OSError, RuntimeError, EOFError) as exc:
                raise forms.ValidationError(f"{info.filename} in {name} cannot be read: "
                                            f"{exc}") from exc
            if len(content) > limit:
                raise too_big
            budget.take(len(content), info.filename)
            out[member] = content
    return out


class EditFileForm(forms.Form):
    """The whole text of one file, as the user edited it."""

    content = forms.CharField(label="Content", strip=False, required=False,
                              widget=forms.Textarea(attrs={"rows": 30, "spellcheck": "false"}))
    message = forms.CharField(label="Message", max_length=2000, help_text=MESSAGE_HELP,
                              widget=forms.TextInput(attrs={"size": 70}))


class MoveZonesForm(forms.Form):
    """regions.yaml quick edit: move zones (ids or ranges) to a region."""

    zones = forms.CharField(label="Zones", max_length=2000,
                            help_text="Zone ids or ranges, separated by commas: 282, 300-305")
    region = forms.ChoiceField(label="To region", choices=())
    message = forms.CharField(label="Message", max_length=2000, help_text=MESSAGE_HELP,
                              widget=forms.TextInput(attrs={"size": 60}))

    def __init__(self, *args: Any, regions: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [(code, code) for code in regions]  # type: ignore[attr-defined]  # a ChoiceField

    def clean_zones(self) -> list[str]:
        try:
            return parse_zone_list(self.cleaned_data["zones"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc


class RouteFcsForm(forms.Form):
    """routing.yaml quick edit: the candidate FCs of a region's route or of some zones."""

    region = forms.ChoiceField(label="Region", required=False, choices=())
    zones = forms.CharField(label="or zones", required=False, max_length=2000,
                            help_text="Instead of a region: zone ids or ranges, 070-079, 282")
    fcs = forms.CharField(label="Candidate FCs", max_length=2000,
                          help_text="FC ids in order (FC-EWR4, FC-BOS7), or nearest, or "
                                    "nearest_in_region")
    message = forms.CharField(label="Message", max_length=2000, help_text=MESSAGE_HELP,
                              widget=forms.TextInput(attrs={"size": 60}))

    def __init__(self, *args: Any, regions: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [("", "—"), ("*", "* (every zone)"),  # type: ignore[attr-defined]  # a ChoiceField
                                         *((code, code) for code in regions)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        zones_text = (data.get("zones") or "").strip()
        if bool(data.get("region")) == bool(zones_text):
            raise forms.ValidationError("Pick a region or give zones (one of the two).")
        if zones_text:
            try:
                data["zone_list"] = parse_zone_list(zones_text)
            except ValueError as exc:
                self.add_error("zones", str(exc))
        if data.get("fcs"):
            try:
                data["fc_list"] = parse_fc_list(data["fcs"])
            except ValueError as exc:
                self.add_error("fcs", str(exc))
        return data


#: a version id or a prefix of one: what a URL path segment can carry
_VERSION_REF = RegexValidator(r"^\s*[0-9A-Za-z_-]+\s*$",
                              "A version id (or its first characters): letters and digits.")


class CompareForm(forms.Form):
    a = forms.CharField(label="From version", max_length=64, validators=[_VERSION_REF])
    b = forms.CharField(label="To version", max_length=64, validators=[_VERSION_REF])


class GitImportForm(forms.Form):
    """A bundle from a commit of a Git repository."""

    repository = forms.CharField(label="Repository", max_length=500,
                                 help_text="a URL or path the server may fetch "
                                           "(RRM_GIT_IMPORT_ALLOWED)",
                                 widget=forms.TextInput(attrs={"size": 60}))
    ref = forms.CharField(label="Ref", max_length=255, initial="HEAD",
                          help_text="a branch, a tag or a commit")
    path = forms.CharField(label="Folder", max_length=500, required=False,
                           help_text="the bundle's folder (or single file) in the repository; "
                                     "empty: its root")
    message = forms.CharField(label="Message", max_length=2000, help_text=MESSAGE_HELP,
                              widget=forms.TextInput(attrs={"size": 70}))
