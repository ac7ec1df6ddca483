"""rollout/checks.py: broken configuration reported at start-up by Django's system checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rollout.checks import check_settings


def ids(messages: list[Any]) -> list[str]:
    return [m.id for m in messages]


def test_check_settings__usable_queries_file__nothing_to_say(settings: Any,
                                                             tmp_path: Path) -> None:
    path = tmp_path / "q.yaml"
    path.write_text("kpis:\n  fill_pct: 'avg(fill{region=\"$region\"})'\n")
    settings.RRM_PROMETHEUS_QUERIES, settings.RRM_PROMETHEUS_URL = str(path), "http://p:9090"

    assert check_settings(None) == []


def test_check_settings__queries_file_with_mistakes__each_at_file_line_column(
        settings: Any, tmp_path: Path) -> None:
    # Given a file with an unknown KPI (line 2) and a query without $region (line 3)
    path = tmp_path / "q.yaml"
    path.write_text("kpis:\n  happiness: 'avg(h{region=\"$region\"})'\n"
                    "  fill_pct: 'avg(fill)'\n")
    settings.RRM_PROMETHEUS_QUERIES, settings.RRM_PROMETHEUS_URL = str(path), "http://p:9090"

    # When the system checks run
    messages = check_settings(None)

    # Then each mistake is an error at its place
    assert ids(messages) == ["rollout.E003", "rollout.E003"]
    assert f"{path}:2:3: error E101 unknown KPI 'happiness'" in messages[0].msg
    assert f"{path}:3:13: error E101 fill_pct: the query 'avg(fill)' does not name $region" \
        in messages[1].msg


def test_check_settings__queries_file_not_yaml__syntax_error_with_position(
        settings: Any, tmp_path: Path) -> None:
    path = tmp_path / "q.yaml"
    path.write_text("kpis:\n  fill_pct: [unclosed\n")
    settings.RRM_PROMETHEUS_QUERIES, settings.RRM_PROMETHEUS_URL = str(path), "http://p:9090"

    messages = check_settings(None)

    assert ids(messages) == ["rollout.E003"]
    assert f"{path}:" in messages[0].msg and "E100" in messages[0].msg


def test_check_settings__queries_file_missing__error_says_so(settings: Any,
                                                             tmp_path: Path) -> None:
    settings.RRM_PROMETHEUS_QUERIES = str(tmp_path / "nowhere.yaml")
    settings.RRM_PROMETHEUS_URL = "http://p:9090"

    messages = check_settings(None)

    assert ids(messages) == ["rollout.E003"]
    assert "cannot read the queries file: No such file or directory" in messages[0].msg


def test_check_settings__queries_without_prometheus_url__warning(settings: Any,
                                                                 tmp_path: Path) -> None:
    path = tmp_path / "q.yaml"
    path.write_text("kpis: {}\n")
    settings.RRM_PROMETHEUS_QUERIES, settings.RRM_PROMETHEUS_URL = str(path), ""

    assert ids(check_settings(None)) == ["rollout.W003"]
