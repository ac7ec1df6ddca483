"""A bundle's files -> its sections -> the typed `Bundle`, with findings for everything wrong.

A bundle is a directory of `network.yaml`, `regions.yaml`, `routing.yaml` (and optionally
`demand.yaml`), or one YAML file whose top-level keys are those section names (DESIGN section 2).
Each section remembers where it lives (file and path prefix), so a finding that points into the
`regions` section can be turned into `regions.yaml:12:7` or `bundle.yaml:40:9` alike.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

from pydantic import BaseModel, ValidationError

from rollout.domain.errors import ErrorKind, RolloutError
from rollout.domain.findings import Finding, Path, Ref, finding
from rollout.domain.gcpause import gc_paused
from rollout.domain.loader import DEFAULT_MAX_BYTES, YamlDocument, load_yaml
from rollout.domain.schema import (
    OPTIONAL_SECTIONS,
    REQUIRED_SECTIONS,
    SECTION_MODELS,
    Demand,
    Network,
    Regions,
    Routing,
)

SECTIONS = (*REQUIRED_SECTIONS, *OPTIONAL_SECTIONS)
SECTION_FILES = {name: f"{name}.yaml" for name in SECTIONS}
#: In a single-file bundle these sections may also be written as the bare list they hold.
_LIST_FORMS = {"regions": "regions", "routing": "routes"}


class BundleReadError(RolloutError):
    """The path names no bundle at all (missing, unreadable, or no YAML in it)."""

    kind = ErrorKind.UNUSABLE


@dataclass(frozen=True)
class SectionSource:
    """Where a section's data lives: a file, a path prefix inside it, and whether the section
    was written in list form (then the section's first path part is the prefix itself)."""

    file: str
    prefix: Path = ()
    list_form: bool = False

    def file_path(self, section_path: Path) -> Path:
        if self.list_form:
            return self.prefix + section_path[1:]
        return self.prefix + section_path


@dataclass
class Bundle:
    """The typed bundle. Everything downstream (checks, simulation, diff) reads this."""

    network: Network
    regions: Regions
    routing: Routing
    demand: Demand | None = None


@dataclass
class ParsedBundle:
    """The result of reading and schema-checking a bundle's files."""

    files: dict[str, bytes]
    documents: dict[str, YamlDocument] = field(default_factory=dict)
    sources: dict[str, SectionSource] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    bundle: Bundle | None = None

    def resolve(self, ref: Ref) -> tuple[str, int, int]:
        """file, line and column of a `Ref` (used by `findings.resolve_findings`)."""
        source = self.sources.get(ref.section)
        if source is None:
            name = next(iter(self.files), "")
            return name, 1, 1
        document = self.documents[source.file]
        line, column = document.position(source.file_path(ref.path), key=ref.key)
        return source.file, line, column


def bundle_file_names(names: Iterable[str]) -> list[str]:
    """Which files of a folder make its bundle: its section files (network.yaml, ...), in
    section order; the folder's other files are not part of it. (On disk and in Git alike.)"""
    present = set(names)
    return [SECTION_FILES[name] for name in SECTIONS if SECTION_FILES[name] in present]


def read_bundle_path(path: str | FsPath) -> dict[str, bytes]:
    """The raw files of a bundle on disk, by name. Raises `BundleReadError` for unusable paths."""
    target = FsPath(path)
    try:
        if target.is_dir():
            files = {name: (target / name).read_bytes()
                     for name in bundle_file_names(p.name for p in target.iterdir()
                                                   if p.is_file())}
            if not files:
                raise BundleReadError(
                    f"{target}: no network.yaml, regions.yaml or routing.yaml in this directory"
                )
            return files
        if target.is_file():
            return {target.name: target.read_bytes()}
    except OSError as exc:
        raise BundleReadError(f"{target}: {exc.strerror or exc}") from exc
    raise BundleReadError(f"{target}: no such file or directory")


def is_directory_form(files: Mapping[str, bytes]) -> bool:
    return any(name in SECTION_FILES.values() for name in files) and len(files) >= 1 and all(
        name in SECTION_FILES.values() for name in files
    )


def parse_bundle(
    files: Mapping[str, bytes],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    timings: dict[str, float] | None = None,
) -> ParsedBundle:
    """Load every file and validate every section against the schema."""
    # Parsing and validating builds hundreds of thousands of small objects that all stay alive:
    # the cyclic garbage collector would scan them again and again for nothing (~25% of the time).
    with gc_paused():
        return _parse_bundle(files, max_bytes=max_bytes, timings=timings)


def parse_section(section: str, raw: bytes) -> BaseModel | None:
    """One section file (directory form) typed on its own, or None when it does not load or
    pass the schema (`parse_bundle` says why). Sections of stored versions are parsed this way
    so that versions sharing a file (most share network.yaml) share its parse."""
    with gc_paused():
        document = load_yaml(SECTION_FILES[section], raw)
        if not document.ok:
            return None
        try:
            return SECTION_MODELS[section].model_validate(
                document.data if document.data is not None else {})
        except ValidationError:
            return None


def _parse_bundle(
    files: Mapping[str, bytes], *, max_bytes: int, timings: dict[str, float] | None
) -> ParsedBundle:
    parsed = ParsedBundle(files=dict(files))
    started = time.perf_counter()
    for name, raw in files.items():
        document = load_yaml(name, raw, max_bytes=max_bytes)
        parsed.documents[name] = document
        parsed.findings.extend(document.errors)
    if timings is not None:
        timings["parse"] = time.perf_counter() - started
    if any(not doc.ok for doc in parsed.documents.values()):
        return parsed
    started = time.perf_counter()

    section_data = _sections(parsed)
    models: dict[str, BaseModel] = {}
    for section, data in section_data.items():
        model = _validate_section(parsed, section, data)
        if model is not None:
            models[section] = model
    if not parsed.findings and all(name in models for name in REQUIRED_SECTIONS):
        parsed.bundle = Bundle(
            network=models["network"],  # type: ignore[arg-type]  # keyed by SECTION_MODELS
            regions=models["regions"],  # type: ignore[arg-type]
            routing=models["routing"],  # type: ignore[arg-type]
            demand=models.get("demand"),  # type: ignore[arg-type]
        )
    if timings is not None:
        timings["schema"] = time.perf_counter() - started
    return parsed


def _sections(parsed: ParsedBundle) -> dict[str, Any]:
    """Find each section's data and remember its source; report missing or unknown parts."""
    data: dict[str, Any] = {}
    if is_directory_form(parsed.files):
        for section in SECTIONS:
            name = SECTION_FILES[section]
            if name in parsed.documents:
                parsed.sources[section] = SectionSource(file=name)
                data[section] = parsed.documents[name].data
            elif section in REQUIRED_SECTIONS:
                parsed.findings.append(
                    Finding(code="E101", message=f"missing file {name}", file=name, line=1,
                            column=1,
                            hint="a bundle directory holds network.yaml, regions.yaml and "
                                 "routing.yaml (and optionally demand.yaml)")
                )
        return data

    if len(parsed.files) != 1:
        names = ", ".join(sorted(parsed.files))
        parsed.findings.append(
            Finding(code="E101", message=f"unexpected bundle files: {names}",
                    file=next(iter(sorted(parsed.files))), line=1, column=1,
                    hint="send network.yaml, regions.yaml, routing.yaml (and demand.yaml), "
                         "or a single file with those sections as top-level keys")
        )
        return data
    name, document = next(iter(parsed.documents.items()))
    root = document.data
    if not isinstance(root, dict):
        parsed.findings.append(
            Finding(code="E101", message="the top level must be a mapping of bundle sections",
                    file=name, line=1, column=1)
        )
        return data
    for key in root:
        if key not in SECTIONS:
            line, column = document.position((key,), key=True)
            parsed.findings.append(
                Finding(code="E101", message=f"unknown top-level key '{key}'", file=name,
                        line=line, column=column,
                        hint="allowed: " + ", ".join(SECTIONS))
            )
    for section in SECTIONS:
        if section in root:
            value = root[section]
            if section in _LIST_FORMS and isinstance(value, list):
                parsed.sources[section] = SectionSource(file=name, prefix=(section,),
                                                        list_form=True)
                data[section] = {_LIST_FORMS[section]: value}
            else:
                parsed.sources[section] = SectionSource(file=name, prefix=(section,))
                data[section] = value
        elif section in REQUIRED_SECTIONS:
            parsed.findings.append(
                Finding(code="E101", message=f"missing top-level key '{section}'", file=name,
                        line=1, column=1,
                        hint="a single-file bundle has the keys network, regions, routing "
                             "(and optionally demand)")
            )
    return data


def _validate_section(parsed: ParsedBundle, section: str, data: Any) -> BaseModel | None:
    model_class = SECTION_MODELS[section]
    if data is None:
        data = {}
    try:
        return model_class.model_validate(data)
    except ValidationError as exc:
        parsed.findings.extend(schema_findings(section, data, exc))
        return None


def schema_findings(section: str, data: Any, exc: ValidationError) -> list[Finding]:
    """Pydantic's errors as E101 findings, one per offending node, in plain words."""
    by_path: dict[tuple[Path, bool], Finding] = {}
    for error in exc.errors(include_url=False):
        path = _data_path(data, error["loc"])
        kind = error["type"]
        key = kind == "extra_forbidden"
        if (path, key) in by_path:
            continue
        by_path[(path, key)] = _schema_finding(section, path, kind, error, data)
    return list(by_path.values())


def _schema_finding(
    section: str, path: Path, kind: str, error: Any, data: Any
) -> Finding:
    where = _describe(section, path)
    value = error.get("input")
    hint: str | None = None
    if kind == "extra_forbidden":
        field_name = path[-1] if path else "?"
        allowed = _allowed_fields(section, path[:-1], data)
        message = f"unknown field '{field_name}' in {_describe(section, path[:-1])}"
        hint = ("allowed: " + ", ".join(allowed)) if allowed else None
        return finding("E101", message, Ref(section, path, key=True), hint)
    if kind == "missing":
        missing = error["loc"][-1]
        message = f"missing field '{missing}' in {where}"
        return finding("E101", message, Ref(section, path))
    if path and path[-1] == "id" and isinstance(value, int | float) and "zones" in path:
        message = f"{where}: zone id {value!r} is a number, not a string"
        hint = "quote numeric zone ids, e.g. id: \"070\" (an unquoted 070 reads as 70)"
        return finding("E101", message, Ref(section, path), hint)
    if kind in ("string_type", "int_type", "float_type", "list_type", "model_type", "dict_type",
                "bool_type", "model_attributes_type"):
        expected = {
            "string_type": "a string", "int_type": "a whole number", "float_type": "a number",
            "list_type": "a list", "model_type": "a mapping", "dict_type": "a mapping",
            "bool_type": "true or false", "model_attributes_type": "a mapping",
        }[kind]
        if kind == "int_type" and error["loc"] and error["loc"][-1] == "int":
            expected = "a number"  # a Number field: int | float, pydantic reports the int arm
        if isinstance(value, str) and kind in ("int_type", "float_type") and _is_number(value):
            hint = "numbers are written without quotes"
        if isinstance(value, int | str) and kind == "string_type" and isinstance(value, int):
            hint = "quote ids that look like numbers"
        return finding("E101", f"{where}: expected {expected}, got {_show(value)}",
                       Ref(section, path), hint)
    if kind == "literal_error":
        expected_values = error.get("ctx", {}).get("expected", "")
        return finding("E101", f"{where}: {_show(value)} is not one of {expected_values}",
                       Ref(section, path))
    if kind == "string_pattern_mismatch":
        return finding("E101", f"{where}: {_show(value)} has characters an id may not have",
                       Ref(section, path),
                       hint=_pattern_hint(path))
    message = error["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, "):]
    return finding("E101", f"{where}: {message}", Ref(section, path), hint)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _pattern_hint(path: Path) -> str:
    if "code" in path:
        return "region codes use A-Z, 0-9 and '_'"
    return "facility ids use letters, digits, '-', '_' and '.'"


def _data_path(data: Any, loc: tuple[int | str, ...]) -> Path:
    """Pydantic's `loc` minus union-member tags: keep only parts that exist in the data
    (plus a final missing/unknown key), so positions point at real YAML nodes."""
    path: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            path.append(part)
            node = node[part]
        elif isinstance(node, dict) and part == "from_" and "from" in node:
            path.append("from")
            node = node["from"]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            path.append(part)
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and part not in node:
            # A missing field is reported at its parent; an unknown one is in the data.
            continue
        # anything else is a union tag such as 'int' or "literal['nearest']": skip it
    return tuple(path)


def _describe(section: str, path: Path) -> str:
    if not path:
        return SECTION_FILES.get(section, section)
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _allowed_fields(section: str, parent: Path, data: Any) -> list[str]:
    model: Any = SECTION_MODELS[section]
    for part in parent:
        if isinstance(part, int):
            continue
        field_info = model.model_fields.get(part)
        if field_info is None:
            return []
        model = _inner_model(field_info.annotation)
        if model is None:
            return []
    return [info.alias or name for name, info in model.model_fields.items()]


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in getattr(annotation, "__args__", ()):
        inner = _inner_model(argument)
        if inner is not None:
            return inner
    return None


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f"'{value}'" if len(value) <= 40 else f"'{value[:37]}...'"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (null)"
    return repr(value)
