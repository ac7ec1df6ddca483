"""Pages of the operator UI: versions (list, one version with its files and findings, diff,
upload, edit a file in the browser, a raw file).

Views only read through selectors and store through `services.versions.version_create`;
versions are immutable, so the expensive parts (highlighted listings, diffs) are cached by id.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods

from rollout.caches import bounded_cache, deep_size
from rollout.domain.diff import semantic_diff, text_diff
from rollout.domain.diff.changes import show, show_path
from rollout.domain.errors import RolloutError
from rollout.domain.findings import Finding, sort_findings
from rollout.domain.yamledit import EditResult, YamlEditError, move_zones, set_route_fcs
from rollout.models import Version
from rollout.selectors.regions import known_region_codes
from rollout.selectors.versions import (
    VersionNotFound,
    version_bundle,
    version_count,
    version_files,
    version_get,
    version_list,
)
from rollout.services.git_import import version_import_git
from rollout.services.roles import Role, role_held
from rollout.services.versions import VersionCreateResult, VersionRejected, version_create
from rollout.web import usmap
from rollout.web.access import role_required
from rollout.web.highlight import (
    HIGHLIGHT_MAX_BYTES,
    line_id,
    listing,
    notes_by_file,
    side_by_side,
)
from rollout.web.version_forms import (
    CompareForm,
    EditFileForm,
    GitImportForm,
    MoveZonesForm,
    RouteFcsForm,
    UploadForm,
)

PAGE_SIZE = 25
#: Files larger than this are not offered in a textarea (a browser chokes; use an upload).
EDIT_MAX_BYTES = 1024 * 1024
ROUTE_DETAIL_LIMIT = 50


def _not_found(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "rollout/versions/not_found.html", {"message": message}, status=404)


def _version_or_404(request: HttpRequest, ref: str) -> Version | HttpResponse:
    try:
        return version_get(ref=ref)
    except VersionNotFound as exc:
        return _not_found(request, str(exc))


def _file_or_404(request: HttpRequest, ref: str,
                 name: str) -> tuple[Version, dict[str, str]] | HttpResponse:
    """The version and its files, when it has a file `name`; else the 404 page."""
    version = _version_or_404(request, ref)
    if isinstance(version, HttpResponse):
        return version
    files = version_files(version=version)
    if name not in files:
        return _not_found(request, f"version {version.id} has no file {name!r}")
    return version, files


@role_required(Role.VIEWER)
def version_list_view(request: HttpRequest) -> HttpResponse:
    compare = CompareForm(request.GET) if "a" in request.GET or "b" in request.GET else None
    if compare is not None and compare.is_valid():
        return redirect("web:version_diff", a=compare.cleaned_data["a"].strip(),
                        b=compare.cleaned_data["b"].strip())
    total = version_count()
    pages = max(1, -(-total // PAGE_SIZE))
    try:
        page = min(max(1, int(request.GET.get("page", "1"))), pages)
    except ValueError:
        page = 1
    versions = list(version_list(limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE))
    return render(request, "rollout/versions/list.html", {
        "versions": versions, "page": page, "pages": pages, "total": total,
        "compare": compare or CompareForm(), "recent": versions[:PAGE_SIZE],
        "can_upload": role_held(user=request.user, role=Role.EDITOR),  # type: ignore[arg-type]  # logged in
    })


@role_required(Role.VIEWER)
def version_detail(request: HttpRequest, ref: str) -> HttpResponse:
    version = _version_or_404(request, ref)
    if isinstance(version, HttpResponse):
        return version
    files = version_files(version=version)
    notes = notes_by_file(version.findings)
    findings = []
    for item in sort_findings(Finding.from_dict(f) for f in version.findings):
        anchor = line_id(item.file, item.line) if item.file in files and item.line else None
        findings.append({"finding": item, "anchor": anchor})
    listings = [listing(version_id=version.id, name=name, text=text, notes=notes.get(name, {}))
                for name, text in sorted(files.items())]
    is_editor = role_held(user=request.user, role=Role.EDITOR)  # type: ignore[arg-type]  # logged in
    return render(request, "rollout/versions/detail.html", {
        "version": version, "findings": findings, "listings": listings,
        "can_edit": is_editor, "can_plan": is_editor and version.valid,
        "compare": CompareForm(initial={"a": version.parent_id or "", "b": version.id}),
    })


@role_required(Role.VIEWER)
def version_file_raw(request: HttpRequest, ref: str, name: str) -> HttpResponse:
    found = _file_or_404(request, ref, name)
    if isinstance(found, HttpResponse):
        return found
    _, files = found
    response = HttpResponse(files[name], content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(False, name) or "inline"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@role_required(Role.VIEWER)
def version_diff(request: HttpRequest, a: str, b: str) -> HttpResponse:
    old = _version_or_404(request, a)
    if isinstance(old, HttpResponse):
        return old
    new = _version_or_404(request, b)
    if isinstance(new, HttpResponse):
        return new
    return render(request, "rollout/versions/diff.html",
                  {"old": old, "new": new, **_diff_context(old.id, new.id)})


@bounded_cache(size_of=lambda context, *_: deep_size(context))
def _diff_context(old_id: str, new_id: str) -> dict[str, Any]:
    """Everything the diff page shows; two immutable versions always give the same answer."""
    old, new = version_get(ref=old_id), version_get(ref=new_id)
    old_files, new_files = version_files(version=old), version_files(version=new)
    files = [side_by_side(item.name, item.status, item.diff,
                          old_lines=len(old_files.get(item.name, "").splitlines()))
             for item in text_diff(old_files, new_files)]
    old_bundle, new_bundle = version_bundle(version=old), version_bundle(version=new)
    context: dict[str, Any] = {"files": files, "semantic": None, "moved_map": None,
                               "broken": [v.id for v, b in ((old, old_bundle), (new, new_bundle))
                                          if b is None]}
    if old_bundle is None or new_bundle is None:
        return context
    diff = semantic_diff(old_bundle, new_bundle)
    context["semantic"] = diff
    context["summary"] = _summary(diff)
    if diff.zones_moved:
        colours = usmap.region_colours((r.code for r in new_bundle.regions.regions),
                                        universe=known_region_codes())
        moved = {m.id: m for m in diff.zones_moved}
        places = {z.id: (z.lat, z.lon) for z in new_bundle.network.zones}
        places.update({z.id: (z.lat, z.lon) for z in old_bundle.network.zones
                       if z.id not in places})
        the_map = usmap.network_map(
            zones=[(zid, *places[zid], m.new_region) for zid, m in moved.items() if zid in places],
            colours=colours, title=f"Zones moving between regions ({len(moved)})")
        the_map.zones = [dataclasses.replace(dot, moved_from=moved[dot.id].old_region or "none")
                         for dot in the_map.zones]
        the_map.legend = [entry for entry in the_map.legend if entry[2]]
        context["moved_map"] = the_map
    return context


def _summary(diff: Any) -> list[dict[str, Any]]:
    """The semantic diff as titled sections of lines with a +/-/~ sign (as `manage.py diff`)."""
    def region(code: str | None) -> str:
        return code if code is not None else "(no region)"

    sections = [
        ("Zones moved between regions", [
            ("~", f"{region(g.old)} → {region(g.new)}: {g.count} zone{'s' * (g.count != 1)} "
                  f"{g.zones}") for g in diff.zone_move_groups()]),
        ("Zones", [
            *([("+", f"{len(diff.zones_added)} added: " + ", ".join(diff.zones_added[:50]))]
              if diff.zones_added else []),
            *([("-", f"{len(diff.zones_removed)} removed: "
                     + ", ".join(diff.zones_removed[:50]))] if diff.zones_removed else []),
            *(("~", c.as_text()) for c in diff.zones_changed[:ROUTE_DETAIL_LIMIT])]),
        ("Facilities", [
            *(("+", f) for f in diff.facilities_added),
            *(("-", f) for f in diff.facilities_removed),
            *(("~", c.as_text()) for c in diff.facilities_changed),
            *(("~", f"{m.id}: region {region(m.old_region)} → {region(m.new_region)}")
              for m in diff.facilities_moved)]),
        ("Lanes", [
            *(("+", f"{a} → {b}") for a, b in diff.lanes_added),
            *(("-", f"{a} → {b}") for a, b in diff.lanes_removed),
            *(("~", c.as_text()) for c in diff.lanes_changed)]),
        ("Regions", [
            *(("+", code) for code in diff.regions_added),
            *(("-", code) for code in diff.regions_removed),
            *(("~", f"{r.code}: name {show(r.old_name)} → {show(r.new_name)}")
              for r in diff.regions_renamed)]),
        (f"Routes ({len(diff.routes_changed)} zones changed)", [
            ("~", f"first FC {g.old or '(none)'} → {g.new or '(none)'}: {g.count} "
                  f"zone{'s' * (g.count != 1)} {g.zones}") for g in diff.route_groups()]),
        ("Policy", [("~", c.as_text()) for c in diff.settings_changed]),
    ]
    routes = [f"{r.zone}: fcs {show(list(r.old_fcs))} → {show(list(r.new_fcs))}; path "
              f"{show_path(r.old_path)} → {show_path(r.new_path)}"
              for r in diff.routes_changed[:ROUTE_DETAIL_LIMIT]]
    more_routes = max(0, len(diff.routes_changed) - ROUTE_DETAIL_LIMIT)
    return [{"title": title, "lines": lines,
             "details": routes if title.startswith("Routes") else [],
             "more": more_routes if title.startswith("Routes") else 0}
            for title, lines in sections if lines]


def _stored(request: HttpRequest, result: VersionCreateResult) -> HttpResponse:
    version = result.version
    if not result.created:
        messages.info(request, f"This content already exists as version {version.id}: "
                               "nothing new was stored.")
    else:
        verdict = "valid" if version.valid else "invalid (it cannot be rolled out)"
        text = (f"Stored version {version.id}: {verdict}, {version.error_count} "
                f"error{'s' * (version.error_count != 1)}, {version.warning_count} "
                f"warning{'s' * (version.warning_count != 1)}.")
        (messages.success if version.valid else messages.warning)(request, text)
    return redirect("web:version_detail", ref=version.id)


@role_required(Role.EDITOR)
@require_http_methods(["GET", "POST"])
def version_upload(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    refusal: VersionRejected | None = None
    if request.method == "POST" and request.POST.get("source") == "git":
        return _import_git(request, form)
    if request.method == "POST" and form.is_valid():
        try:
            result = version_create(files=form.cleaned_data["bundle"],
                                    message=form.cleaned_data["message"], author=request.user)  # type: ignore[arg-type]  # logged in
        except VersionRejected as exc:
            refusal = exc
            messages.error(request, f"Not stored: {exc}")
        else:
            return _stored(request, result)
    elif request.method == "POST":
        messages.error(request, "Not stored: see the problems below.")
    return render(request, "rollout/versions/upload.html",
                  {"form": form, "git_form": GitImportForm(prefix="git"), "refusal": refusal})


def _import_git(request: HttpRequest, upload: UploadForm) -> HttpResponse:
    """The upload page's "from Git" form: a version from a commit of a repository."""
    form = GitImportForm(request.POST, prefix="git")
    refusal: VersionRejected | None = None
    if form.is_valid():
        try:
            result = version_import_git(
                repository=form.cleaned_data["repository"], ref=form.cleaned_data["ref"],
                path=form.cleaned_data["path"], message=form.cleaned_data["message"],
                author=request.user)  # type: ignore[arg-type]  # logged in
        except VersionRejected as exc:
            refusal = exc
            messages.error(request, f"Not stored: {exc}")
        except RolloutError as exc:  # the repository, ref or folder: the form says which
            messages.error(request, f"Not imported: {exc}")
        else:
            return _stored(request, result)
    else:
        messages.error(request, "Not imported: see the problems below.")
    return render(request, "rollout/versions/upload.html",
                  {"form": UploadForm(), "git_form": form, "refusal": refusal}, status=200)


@role_required(Role.EDITOR)
@require_http_methods(["GET", "POST"])
def version_file_edit(request: HttpRequest, ref: str, name: str) -> HttpResponse:
    found = _file_or_404(request, ref, name)
    if isinstance(found, HttpResponse):
        return found
    version, files = found
    original = files[name]
    bundle = version_bundle(version=version)
    regions = [r.code for r in bundle.regions.regions] if bundle is not None else []
    action = request.POST.get("action", "text") if request.method == "POST" else None
    post = request.POST if request.method == "POST" else None
    forms = {
        "text": EditFileForm(post if action == "text" else None, initial={"content": original}),
        "move_zones": MoveZonesForm(post if action == "move_zones" else None, regions=regions,
                                    prefix="move"),
        "route_fcs": RouteFcsForm(post if action == "route_fcs" else None, regions=regions,
                                  prefix="route"),
    }
    refusal: VersionRejected | YamlEditError | None = None
    form = forms.get(action or "")
    if form is not None and form.is_valid():
        try:
            new_text, changes = _edited_text(action or "", form.cleaned_data, original, name,
                                             regions)
            if new_text == original:
                messages.info(request, "Nothing to change: the file already says that.")
                return redirect("web:version_detail", ref=version.id)
            result = version_create(files={**{n: t.encode() for n, t in files.items()},
                                           name: new_text.encode("utf-8", "surrogatepass")},
                                    message=form.cleaned_data["message"],
                                    author=request.user,  # type: ignore[arg-type]  # logged in
                                    parent=version)
        except (YamlEditError, VersionRejected) as exc:
            refusal = exc
            messages.error(request, f"Not stored: {exc}")
        else:
            for change in changes:
                messages.info(request, f"{name}: {change}")
            return _stored(request, result)
    elif form is not None:
        messages.error(request, "Not stored: see the problems below.")
    return render(request, "rollout/versions/edit.html", {
        "version": version, "name": name, "forms": forms, "refusal": refusal,
        "editable": len(original.encode()) <= EDIT_MAX_BYTES,
        "quick_regions": "regions" in _sections_in(name, original),
        "quick_routing": "routing" in _sections_in(name, original),
        "line_url": (reverse("web:version_detail", args=[version.id]) + "#"
                     + line_id(name, refusal.line)
                     if isinstance(refusal, YamlEditError) and refusal.line else None),
    })


def _sections_in(name: str, text: str) -> set[str]:
    if name in ("regions.yaml", "routing.yaml"):
        return {name.removesuffix(".yaml")}
    head = text[:HIGHLIGHT_MAX_BYTES]
    return {s for s in ("regions", "routing") if f"\n{s}:" in f"\n{head}"}


def _edited_text(action: str, data: dict[str, Any], original: str, name: str,
                 regions: list[str]) -> tuple[str, list[str]]:
    if action == "text":
        text = data["content"]
        if "\r\n" not in original:  # browsers send a textarea's lines with CRLF
            text = text.replace("\r\n", "\n")
        return text, []
    result: EditResult
    if action == "move_zones":
        result = move_zones(original, zones=data["zones"], region=data["region"], file=name)
    else:
        zones = data.get("zone_list")
        result = set_route_fcs(original, fcs=data["fc_list"],
                               region=None if zones else data["region"], zones=zones,
                               known_regions=regions or None, file=name)
    return result.text, result.changes


urlpatterns: list[URLPattern] = [
    path("versions/", version_list_view, name="version_list"),
    path("versions/new/", version_upload, name="version_upload"),
    path("versions/<str:ref>/", version_detail, name="version_detail"),
    path("versions/<str:ref>/edit/<str:name>/", version_file_edit, name="version_file_edit"),
    path("versions/<str:ref>/files/<str:name>", version_file_raw, name="version_file_raw"),
    path("versions/<str:a>/diff/<str:b>/", version_diff, name="version_diff"),
]
