"""Reading a /metrics answer in tests: its samples by name and labels, and the metric names it
holds (families and samples)."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families


@dataclass(frozen=True)
class Scrape:
    text: str

    def samples(self, name: str) -> dict[frozenset[tuple[str, str]], float]:
        """The samples called `name`, by their labels (a frozenset of pairs)."""
        found: dict[frozenset[tuple[str, str]], float] = {}
        for family in text_string_to_metric_families(self.text):
            for sample in family.samples:
                if sample.name == name:
                    found[frozenset(sample.labels.items())] = sample.value
        return found

    def value(self, name: str, **labels: str) -> float | None:
        return self.samples(name).get(frozenset(labels.items()))

    def by(self, name: str, label: str) -> dict[str, float]:
        """`name`'s samples by the value of one label (the others ignored: must be unique)."""
        return {dict(labels)[label]: value for labels, value in self.samples(name).items()}

    def names(self) -> set[str]:
        """Every family name and every sample name (e.g. x, x_total, x_bucket, x_sum)."""
        names: set[str] = set()
        for family in text_string_to_metric_families(self.text):
            names.add(family.name)
            names.update(sample.name for sample in family.samples)
        for line in self.text.splitlines():  # families without samples still declare a type
            if line.startswith("# TYPE "):
                name, kind = line.split()[2:4]
                names.add(name)
                if kind == "counter":
                    names.add(f"{name}_total" if not name.endswith("_total") else name)
        return names
