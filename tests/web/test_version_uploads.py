"""Uploads never read more than the limits, whatever the files or a zip's headers claim."""

from __future__ import annotations

import io
import struct
import tracemalloc
import zipfile
from typing import Any

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile

from rollout.web.version_forms import bundle_from_uploads

LIMIT = 10_000


@pytest.fixture(autouse=True)
def _small_limit(settings: Any) -> None:
    settings.RRM_MAX_FILE_BYTES = LIMIT


def _zip_bomb(inflated: int, claimed: int) -> bytes:
    """One deflated network.yaml of `inflated` zero bytes whose headers claim `claimed`."""
    buffer = io.BytesIO()
    info = zipfile.ZipInfo("network.yaml")
    info.compress_type = zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(buffer, "w") as archive, archive.open(info, "w") as member:
        chunk = b"\0" * (1 << 20)
        for _ in range(inflated >> 20):
            member.write(chunk)
    data = bytearray(buffer.getvalue())
    struct.pack_into("<I", data, 22, claimed)  # local file header: uncompressed size
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, claimed)  # central directory: the same
    return bytes(data)


@pytest.mark.parametrize("claimed", [100, LIMIT, 50 << 20])
def test_upload__zip_bomb_with_forged_sizes__refused_without_inflating_it(claimed: int) -> None:
    # Given a 40 KB zip that inflates to 40 MB, its headers lying about the size
    bomb = SimpleUploadedFile("bundle.zip", _zip_bomb(40 << 20, claimed))
    # When it is unpacked
    tracemalloc.start()
    try:
        with pytest.raises(forms.ValidationError):
            bundle_from_uploads([bomb])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Then it is refused, having inflated no more than about the limit
    assert peak < 2 << 20, peak


def test_upload__plain_file_over_the_limit__refused_after_reading_just_past_it() -> None:
    big = SimpleUploadedFile("network.yaml", b"#" * (LIMIT * 3))
    with pytest.raises(forms.ValidationError, match="larger than the size limit"):
        bundle_from_uploads([big])


def test_upload__more_files_than_a_bundle_has__refused_before_reading() -> None:
    many = [SimpleUploadedFile(f"f{i}.yaml", b"a: 1\n") for i in range(20)]
    with pytest.raises(forms.ValidationError, match="at most"):
        bundle_from_uploads(many)
