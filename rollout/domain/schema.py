"""The bundle's pydantic models (DESIGN section 2, a contract). Unknown fields are errors.

Models are strict: a quoted number is not a number and an unquoted number is not an id, because a
planner who writes `id: 070` meant the string "070" and YAML silently made it 70.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    StrictStr,
    field_validator,
    model_validator,
)

FACILITY_ID = r"^[A-Za-z0-9._-]+$"
REGION_CODE = r"^[A-Z0-9_]+$"
_TOP_PERCENT = re.compile(r"^top\s+(\d+(?:\.\d+)?)\s*%$")
_SKU_RANGE = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$")

Number = StrictInt | StrictFloat
FacilityId = Annotated[StrictStr, Field(pattern=FACILITY_ID)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class StockAll(_Strict):
    kind: Literal["all"] = "all"


class StockTop(_Strict):
    kind: Literal["top"] = "top"
    percent: float


class StockRanges(_Strict):
    kind: Literal["ranges"] = "ranges"
    ranges: tuple[tuple[int, int], ...]


Stock = StockAll | StockTop | StockRanges


def parse_stock(value: Any) -> Stock:
    """`all` | "top P%" | a list of inclusive SKU ranges ("0-999") or single SKUs."""
    if value == "all":
        return StockAll()
    if isinstance(value, str):
        match = _TOP_PERCENT.match(value.strip())
        if match:
            percent = float(match.group(1))
            if not 0 <= percent <= 100:
                raise ValueError(f"'{value}': the percentage must be between 0 and 100")
            return StockTop(percent=percent)
        raise ValueError(f"'{value}' is not all, \"top P%\" or a list of SKU ranges")
    if isinstance(value, list):
        ranges: list[tuple[int, int]] = []
        for item in value:
            text = str(item) if isinstance(item, int) and not isinstance(item, bool) else item
            match = _SKU_RANGE.match(text) if isinstance(text, str) else None
            if not match:
                raise ValueError(f"SKU range {item!r} is not 'FIRST-LAST' or a single SKU")
            low = int(match.group(1))
            high = int(match.group(2)) if match.group(2) is not None else low
            if high < low:
                raise ValueError(f"SKU range '{item}' has its bounds reversed")
            ranges.append((low, high))
        return StockRanges(ranges=tuple(ranges))
    raise ValueError("stock must be all, \"top P%\" or a list of SKU ranges")


class Facility(_Strict):
    id: FacilityId
    type: Literal["fc", "sc", "ds"]
    lat: Number = Field(ge=-90, le=90)
    lon: Number = Field(ge=-180, le=180)
    capacity: StrictInt | None = Field(default=None, ge=0)
    stock: Any = "all"

    @field_validator("stock")
    @classmethod
    def _stock_is_well_formed(cls, value: Any) -> Any:
        parse_stock(value)
        return value

    @property
    def stock_spec(self) -> Stock:
        return parse_stock(self.stock)


class Zone(_Strict):
    id: StrictStr = Field(min_length=1)
    lat: Number = Field(ge=-90, le=90)
    lon: Number = Field(ge=-180, le=180)
    station: FacilityId
    demand: StrictInt | None = Field(default=None, ge=0)


class Lane(_Strict):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)

    from_: FacilityId = Field(alias="from")
    to: FacilityId
    km: Number | None = Field(default=None, gt=0)
    hours: Number | None = Field(default=None, gt=0)
    truck_capacity: StrictInt = Field(default=2000, gt=0)


class Network(_Strict):
    facilities: list[Facility]
    zones: list[Zone]
    lanes: list[Lane] = Field(default_factory=list)


class Region(_Strict):
    code: Annotated[StrictStr, Field(pattern=REGION_CODE)]
    name: StrictStr
    zones: list[StrictStr] = Field(default_factory=list)
    facilities: list[FacilityId] = Field(default_factory=list)


class Policy(_Strict):
    sla_hours: Number | None = Field(default=None, gt=0)


class Regions(_Strict):
    regions: list[Region]
    policy: Policy = Field(default_factory=Policy)


class Route(_Strict):
    region: StrictStr | None = None
    zones: list[StrictStr] | None = None
    fcs: Literal["nearest", "nearest_in_region"] | list[FacilityId]
    via: list[FacilityId] | None = None

    @field_validator("fcs")
    @classmethod
    def _fcs_not_empty(cls, value: Any) -> Any:
        if isinstance(value, list) and not value:
            raise ValueError("a route needs at least one candidate FC")
        return value

    @model_validator(mode="after")
    def _one_selector(self) -> Route:
        if (self.region is None) == (self.zones is None):
            raise ValueError("a route names either `region` or `zones`, exactly one of them")
        return self


class Routing(_Strict):
    routes: list[Route]
    fallback: Literal["nearest", "none"] = "nearest"


class Demand(_Strict):
    catalog: StrictInt = Field(default=100_000, gt=0)
    zipf: Number = Field(default=1.1, ge=0)
    items_per_order: Number = Field(default=1.6, ge=1)
    seed: StrictInt = 7


SECTION_MODELS: dict[str, type[_Strict]] = {
    "network": Network,
    "regions": Regions,
    "routing": Routing,
    "demand": Demand,
}
REQUIRED_SECTIONS = ("network", "regions", "routing")
OPTIONAL_SECTIONS = ("demand",)
