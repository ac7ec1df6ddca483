"""A design written into a bundle's files: regions.yaml and routing.yaml edited in place.

The edits go through the round-trip editor's document (`rollout.domain.yamledit`), so every
comment and layout of what stays is kept: a region that keeps its code gets new `zones` and
`facilities` (zones written as ranges where they are consecutive ids, `ranges.zone_ranges`),
a region the proposal no longer has is removed, new regions are appended after the last one.
Routing: every region-specific and zone-specific rule is replaced by one `nearest_in_region`
rule per proposed region (the national `region: "*"` rules stay); with `keep_routing` only the
rules of regions that no longer exist are removed. A file the editor cannot edit in place (a
flow-style list of regions, a region without a zones list) is a `YamlEditError` that says where.
Single-file bundles are edited the same way, inside their `regions` and `routing` sections.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from rollout.domain.design.regions import RegionDesign
from rollout.domain.network import NetworkIndex
from rollout.domain.ranges import zone_ranges
from rollout.domain.schema import Network
from rollout.domain.yamledit import YamlEditError, _Doc, _flow, _scalar

NEAREST_IN_REGION = "nearest_in_region"


def proposal_files(*, files: Mapping[str, bytes], network: Network, design: RegionDesign,
                   keep_routing: bool = False) -> dict[str, bytes]:
    """The bundle's files with the design's regions (and routing) written in."""
    out = dict(files)
    regions_file = _file_of(files, "regions.yaml")
    out[regions_file] = _rewrite_regions(out[regions_file].decode("utf-8"), regions_file,
                                         network, design).encode("utf-8")
    routing_file = _file_of(files, "routing.yaml")
    out[routing_file] = _rewrite_routing(out[routing_file].decode("utf-8"), routing_file,
                                         design, keep_routing).encode("utf-8")
    return out


def _file_of(files: Mapping[str, bytes], name: str) -> str:
    if name in files:
        return name
    if len(files) == 1:
        return next(iter(files))  # a single-file bundle
    raise YamlEditError(f"the bundle has no {name}", file=name)


def _rewrite_regions(text: str, file: str, network: Network, design: RegionDesign) -> str:
    doc = _Doc(text, file)
    seq = doc.region_list()
    index = NetworkIndex(network).zones
    proposed = {region.code: region for region in design.regions}
    removed: list[int] = []
    seen: set[str] = set()
    for position, entry in enumerate(seq):
        code = str(entry.get("code")) if isinstance(entry, CommentedMap) else None
        if code is None or code not in proposed:
            removed.append(position)
            continue
        seen.add(code)
        region = proposed[code]
        for key in ("zones", "facilities"):
            if key not in entry:
                raise doc.error_at(f"region {code} has no {key} list to rewrite",
                                   doc.position_of(entry))
        zones = zone_ranges(zones=region.zones, index=index)
        if [str(z) for z in entry["zones"]] != zones:
            doc.replace_seq(entry, "zones", zones, quote_all=True)
        if [str(f) for f in entry["facilities"]] != list(region.facilities):
            doc.replace_seq(entry, "facilities", list(region.facilities), quote_all=False)
    added = [region for region in design.regions if region.code not in seen]
    _splice_list(doc, seq, removed, [
        [f"code: {_scalar(r.code)}", f"name: {_scalar(r.name)}",
         f"zones: {_flow(zone_ranges(zones=r.zones, index=index), quote_all=True)}",
         f"facilities: {_flow(list(r.facilities), quote_all=False)}"] for r in added])
    for region in added:
        seq.append({"code": region.code, "name": region.name,
                    "zones": zone_ranges(zones=region.zones, index=index),
                    "facilities": list(region.facilities)})
    for position in reversed(removed):
        del seq[position]
    return doc.result([]).text


def _rewrite_routing(text: str, file: str, design: RegionDesign, keep_routing: bool) -> str:
    doc = _Doc(text, file)
    seq = doc.route_list()
    codes = [region.code for region in design.regions]
    removed = []
    for position, entry in enumerate(seq):
        region = entry.get("region") if isinstance(entry, CommentedMap) else None
        if keep_routing:
            gone = region is not None and region != "*" and region not in codes
        else:
            gone = region != "*"
        if gone:
            removed.append(position)
    added = [] if keep_routing else codes
    _splice_list(doc, seq, removed, [[f"region: {_scalar(code)}", f"fcs: {NEAREST_IN_REGION}"]
                                     for code in added])
    for code in added:
        seq.append({"region": code, "fcs": NEAREST_IN_REGION})
    for position in reversed(removed):
        del seq[position]
    return doc.result([]).text


def _splice_list(doc: _Doc, seq: CommentedSeq, removed: Sequence[int],
                 added: Sequence[list[str]]) -> None:
    """Splice out the items at `removed` (their lines, comments inside them too) and append
    `added` (each item's `key: value` lines) after the last item, in one block."""
    if not len(seq) or seq.fa.flow_style():
        raise doc.error_at("can only rewrite a non-empty block list (one '- ' item a line)",
                           doc.list_position)
    for position in removed:
        first, end = doc.item_lines(seq, position)
        doc.splices.append((doc._line_end(first - 1), doc._line_end(end), ""))
    if added:
        _, end = doc.item_lines(seq, len(seq) - 1)
        dash = seq.lc.item(len(seq) - 1)[1] - 2
        block = "".join(
            "\n" + " " * dash + ("- " if i == 0 else "  ") + line
            for lines in added for i, line in enumerate(lines))
        at = doc._line_end(end)
        doc.splices.append((at, at, block))
