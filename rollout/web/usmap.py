"""The US map drawn as server-side SVG: state outlines from the vendored `us-atlas` TopoJSON,
zones and facilities placed with the projection that file was made with.

`us-atlas`'s `states-albers-10m.json` is pre-projected with d3's `geoAlbersUsa` at scale 1300,
translated to the middle of a 975 x 610 plane. `project()` reproduces that projection (the
lower-48 conic equal-area plus the Alaska and Hawaii insets), so a zone's latitude and
longitude land on the outline drawn from the file. No tiles, no script: the map works offline.
An inset's state is drawn only when the map has a zone or facility there (no empty Alaska).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

WIDTH = 975
HEIGHT = 610
_ATLAS = (Path(__file__).resolve().parent.parent
          / "static/rollout/vendor/us-atlas/states-albers-10m.json")

#: Colours for region codes: distinguishable, dark enough for white text, and never the only
#: signal (the legend and every tooltip name the region code).
PALETTE = (
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2",
    "#bcbd22", "#7f7f7f", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd",
)
NOT_LIVE = "#c8ccd2"
GAP = "#000000"


class _ConicEqualArea:
    """d3-geo's conicEqualArea with rotate, center, scale and translate (degrees in)."""

    def __init__(self, *, rotate: float, center: tuple[float, float],
                 parallels: tuple[float, float], scale: float,
                 translate: tuple[float, float]) -> None:
        sy0 = math.sin(math.radians(parallels[0]))
        self.n = (sy0 + math.sin(math.radians(parallels[1]))) / 2
        self.c = 1 + sy0 * (2 * self.n - sy0)
        self.r0 = math.sqrt(self.c) / self.n
        self.rotate = rotate
        self.k = scale
        self.tx, self.ty = translate
        self.cx, self.cy = self._raw(math.radians(center[0]), math.radians(center[1]))

    def _raw(self, lam: float, phi: float) -> tuple[float, float]:
        r = math.sqrt(max(self.c - 2 * self.n * math.sin(phi), 0.0)) / self.n
        x = lam * self.n
        return r * math.sin(x), self.r0 - r * math.cos(x)

    def __call__(self, lon: float, lat: float) -> tuple[float, float]:
        lam = math.radians(((lon + self.rotate + 180) % 360) - 180)
        x, y = self._raw(lam, math.radians(lat))
        return self.tx + self.k * (x - self.cx), self.ty - self.k * (y - self.cy)


_K = 1300.0
_X, _Y = WIDTH / 2, HEIGHT / 2
_LOWER48 = _ConicEqualArea(rotate=96, center=(-0.6, 38.7), parallels=(29.5, 45.5),
                           scale=_K, translate=(_X, _Y))
_ALASKA = _ConicEqualArea(rotate=154, center=(-2, 58.5), parallels=(55, 65), scale=_K * 0.35,
                          translate=(_X - 0.307 * _K, _Y + 0.201 * _K))
_HAWAII = _ConicEqualArea(rotate=157, center=(-3, 19.9), parallels=(8, 18), scale=_K,
                          translate=(_X - 0.205 * _K, _Y + 0.212 * _K))


#: the states drawn in insets: shown only on a map with a zone or facility there
INSET_STATES = ("Alaska", "Hawaii")


def inset_of(lon: float, lat: float) -> str | None:
    """"Alaska" or "Hawaii" for a place the map draws in that inset, else None."""
    if lat > 50 and lon < -129:
        return "Alaska"
    if lat < 23 and -179 < lon < -154:
        return "Hawaii"
    return None


def project(lon: float, lat: float) -> tuple[float, float] | None:
    """(x, y) on the 975 x 610 map, or None for a place outside the US insets."""
    inset = inset_of(lon, lat)
    if inset == "Alaska":
        return _ALASKA(lon, lat)
    if inset == "Hawaii":
        return _HAWAII(lon, lat)
    x, y = _LOWER48(lon, lat)
    # d3 clips the lower-48 projection to this extent; outside it the point is not in the US.
    if _X - 0.455 * _K <= x <= _X + 0.455 * _K and _Y - 0.238 * _K <= y <= _Y + 0.232 * _K:
        return x, y
    return None


@cache
def _atlas() -> tuple[list[list[tuple[float, float]]], dict[str, object]]:
    data = json.loads(_ATLAS.read_text(encoding="utf-8"))
    (sx, sy), (tx, ty) = data["transform"]["scale"], data["transform"]["translate"]
    arcs: list[list[tuple[float, float]]] = []
    for arc in data["arcs"]:
        x = y = 0
        points: list[tuple[float, float]] = []
        for dx, dy in arc:  # delta-encoded, quantized
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs, data["objects"]


def _ring(arcs: list[list[tuple[float, float]]], indexes: Sequence[int]) -> str:
    points: list[tuple[float, float]] = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else list(reversed(arcs[~index]))
        points.extend(arc[1:] if points else arc)  # consecutive arcs share their end point
    head, *rest = points
    return f"M{head[0]:.1f},{head[1]:.1f}" + "".join(f"L{x:.1f},{y:.1f}" for x, y in rest) + "Z"


@cache
def state_outlines() -> tuple[tuple[str, str], ...]:
    """(state name, SVG path data) for every state, computed once per process."""
    arcs, objects = _atlas()
    states = objects["states"]
    assert isinstance(states, dict)
    outlines: list[tuple[str, str]] = []
    for geometry in states["geometries"]:
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        path = "".join(_ring(arcs, ring) for polygon in polygons for ring in polygon)
        outlines.append((geometry["properties"]["name"], path))
    return tuple(outlines)


def region_colours(codes: Iterable[str], universe: Iterable[str] = ()) -> dict[str, str]:
    """A colour for each of `codes`, by its place among all the region codes in `universe`
    (pass every code the site knows: rollout.selectors.regions.known_region_codes()), so a region
    has the same colour on every page whichever other regions a page happens to show."""
    wanted = set(codes)
    order = {code: i for i, code in enumerate(sorted(wanted | set(universe)))}
    return {code: PALETTE[order[code] % len(PALETTE)] for code in sorted(wanted)}


@dataclass(frozen=True)
class MapDot:
    id: str
    x: float
    y: float
    region: str | None
    colour: str
    kind: str = "zone"  # zone | fc | sc | ds
    moved_from: str | None = None


@dataclass
class NetworkMap:
    """What `rollout/includes/map.html` draws."""

    zones: list[MapDot] = field(default_factory=list)
    facilities: list[MapDot] = field(default_factory=list)
    legend: list[tuple[str, str, int]] = field(default_factory=list)  # code, colour, zone count
    title: str = "Network map"
    width: int = WIDTH
    height: int = HEIGHT

    #: zoom to the drawn dots (a region's own zones) instead of the whole country
    fit: bool = False
    #: the insets (INSET_STATES) that hold a drawn dot: the others are left out, not drawn empty
    insets: set[str] = field(default_factory=set)

    @property
    def states(self) -> tuple[tuple[str, str], ...]:
        return tuple((name, path) for name, path in state_outlines()
                     if name not in INSET_STATES or name in self.insets)

    @property
    def view_box(self) -> str:
        dots = self.zones + self.facilities
        if not self.fit or not dots:
            return f"0 0 {self.width} {self.height}"
        xs, ys = [d.x for d in dots], [d.y for d in dots]
        # A margin of a fifth of the extent (at least 40 units) keeps neighbours in view, and a
        # minimum size keeps a one-zone region from being blown up to the whole frame.
        pad = max(40.0, 0.2 * max(max(xs) - min(xs), max(ys) - min(ys)))
        left, top = min(xs) - pad, min(ys) - pad
        width = max(max(xs) - min(xs) + 2 * pad, 200.0)
        height = max(max(ys) - min(ys) + 2 * pad, 125.0)
        return f"{left:.0f} {top:.0f} {width:.0f} {height:.0f}"


def network_map(*, zones: Iterable[tuple[str, float, float, str | None]],
                facilities: Iterable[tuple[str, str, float, float, str | None]] = (),
                colours: dict[str, str] | None = None, title: str = "Network map",
                gaps: Iterable[str] = (), fit: bool = False) -> NetworkMap:
    """Place zones (id, lat, lon, region or None) and facilities (id, type, lat, lon, region)
    on the map, coloured by region; zones in `gaps` are drawn black and listed as "gap".
    With `fit` the map zooms to the dots drawn."""
    zone_rows = list(zones)
    facility_rows = list(facilities)
    codes = {r for *_, r in zone_rows if r} | {r for *_, r in facility_rows if r}
    colours = colours or region_colours(codes)
    gap_set = set(gaps)
    counts: dict[str, int] = {}
    result = NetworkMap(title=title, fit=fit)
    for zone_id, lat, lon, region in zone_rows:
        point = project(lon, lat)
        if point is None:
            continue
        if inset := inset_of(lon, lat):
            result.insets.add(inset)
        if zone_id in gap_set:
            colour, label = GAP, "gap"
        elif region:
            colour, label = colours.get(region, NOT_LIVE), region
        else:
            colour, label = NOT_LIVE, "not live"
        counts[label] = counts.get(label, 0) + 1
        result.zones.append(MapDot(zone_id, round(point[0], 1), round(point[1], 1),
                                   region if region else None, colour))
    for facility_id, kind, lat, lon, region in facility_rows:
        point = project(lon, lat)
        if point is None:
            continue
        if inset := inset_of(lon, lat):
            result.insets.add(inset)
        colour = colours.get(region, NOT_LIVE) if region else NOT_LIVE
        result.facilities.append(MapDot(facility_id, round(point[0], 1), round(point[1], 1),
                                        region, colour, kind=kind))
    result.legend = [(code, colours[code], counts.get(code, 0)) for code in sorted(colours)]
    for label, colour in (("not live", NOT_LIVE), ("gap", GAP)):
        if counts.get(label):
            result.legend.append((label, colour, counts[label]))
    return result
