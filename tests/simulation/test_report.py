"""The HTML report: self-contained, well formed, and really drawn by a browser."""

from __future__ import annotations

import os
import re
import shutil
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import cast

import pytest
from PIL import Image

from spotwise.simulator import report as report_module
from spotwise.simulator import report_plots
from spotwise.simulator.report import render_report, write_report
from spotwise.simulator.report_plots import ON_DEMAND_COLOUR, SPOT_COLOUR
from spotwise.simulator.results import RunResult, Sample, TimelineEvent, Totals
from spotwise.simulator.runner import Comparison

from . import browser

HEADINGS = (
    "Summary",
    "Cumulative cost",
    "Nodes by capacity type",
    "Nodes by instance type (spotwise)",
    "Pending pods",
    "Interruption timeline",
)
FIGURES = len(HEADINGS) - 1
SVG_NAMESPACES = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
VOID = {"meta", "link", "br", "img", "hr", "input", "wbr", "source", "area", "base", "col"}


def _run(name: str, spot: int, on_demand: int, types: dict[str, int], cost: float) -> RunResult:
    samples = [
        Sample(
            hours=h,
            cost_per_hour=cost / 6,
            spot_nodes=spot + (h == 3),
            on_demand_nodes=on_demand,
            pending_pods=2 if h in (0, 3) else 0,
            running_pods=10,
            nodes_by_type=types,
        )
        for h in range(7)
    ]
    totals = Totals(cost=cost, on_demand_cost=30.0, node_seconds_spot=spot * 6 * 3600.0)
    totals.node_seconds_on_demand = on_demand * 6 * 3600.0
    events: list[TimelineEvent] = []
    if spot:
        events = [
            TimelineEvent(2.0, "rebalance-recommendation", "node-a", "m5.large"),
            TimelineEvent(2.5, "interruption-warning", "node-a", "m5.large"),
            TimelineEvent(2.53, "termination", "node-a", "m5.large"),
        ]
        totals.interruptions = {
            "rebalance-recommendation": 1,
            "interruption-warning": 1,
            "termination": 1,
        }
        totals.pods_evicted, totals.replaced_ready, totals.pods_lost = 4, 3, 1
        totals.below_pdb_seconds = {"default/web": 42.0}
    totals.pending_pod_seconds = 1234.0
    return RunResult(name, totals, samples, events, {"Running": 10}, 6.0)


def comparison() -> Comparison:
    return Comparison(
        scenario="web-<&>-demo",
        seed=7,
        simulated_hours=6.0,
        runs=(
            _run("on-demand", 0, 4, {"m5.xlarge": 4}, 30.0),
            _run("spotwise", 4, 1, {"m5.large": 2, "c5.large": 2, "m6i.large": 1}, 12.0),
        ),
    )


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.html"
    write_report(comparison(), path)
    return path


class _Structure(HTMLParser):
    """Checks that every element is closed, in order, and counts the tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.starts: Counter[str] = Counter()
        self.ids: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.starts[tag] += 1
        self.ids += [v for k, v in attrs if k == "id" and v is not None]
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.starts[tag] += 1
        self.ids += [v for k, v in attrs if k == "id" and v is not None]

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
        else:
            self.stack.pop()


def _parse(text: str) -> _Structure:
    parser = _Structure()
    parser.feed(text)
    parser.close()
    return parser


def test_report_has_header_table_and_every_figure(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert "<title>spotwise simulation: web-&lt;&amp;&gt;-demo</title>" in text
    assert "seed 7, 6 simulated hours" in text
    for heading in HEADINGS:
        assert f"<h2>{heading}</h2>" in text
    assert text.count("<svg") == FIGURES
    assert text.count("<figcaption>") == FIGURES
    assert (
        len(re.findall(r'<svg [^>]*role="img" aria-label="[^"]+"><title>[^<]+</title>', text))
        == FIGURES
    )
    for strategy in ("on-demand", "spotwise"):
        assert f'<th scope="col">{strategy}</th>' in text


def test_summary_table_shows_each_strategys_figures(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    table = text[text.index("<table>") : text.index("</table>")]
    rows = {
        m.group(1): re.findall(r"<td>([^<]*)</td>", m.group(2))
        for m in re.finditer(r'<tr><th scope="row">([^<]+)</th>(.*?)</tr>', table)
    }
    assert rows["cost"] == ["$30.00", "$12.00"]
    assert rows["cost vs the on-demand strategy"] == ["1.00x", "0.40x"]
    assert rows["savings vs the on-demand strategy"] == ["0.0%", "60.0%"]
    assert rows["savings vs its own nodes at on-demand price"] == ["0.0%", "60.0%"]
    assert rows["node-hours spot"] == ["0.0", "24.0"]
    assert rows["node-hours on-demand"] == ["24.0", "6.0"]
    assert rows["spot pools used (type x zone)"] == ["0", "0"]  # the fixture names no pool
    assert rows["spot node-hours in the busiest type"] == ["n/a", "n/a"]
    assert rows["rebalance recommendations"] == ["0", "1"]
    assert rows["interruption warnings"] == ["0", "1"]
    assert rows["instances reclaimed"] == ["0", "1"]
    assert rows["pods evicted"] == ["0", "4"]
    assert rows["pods force-deleted"] == ["0", "0"]
    assert rows["pods lost (killed running)"] == ["0", "1"]
    assert rows["pod-seconds pending"] == ["1,234", "1,234"]
    # Nothing was disrupted in the on-demand run: n/a, not a made-up 100%.
    assert rows["evicted with a ready replacement"] == ["n/a", "75%"]
    assert rows["longest time below a PDB"] == ["0 s", "42 s"]


def test_report_is_self_contained(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", text))
    assert urls <= SVG_NAMESPACES
    for url in urls:
        # Only as the namespace of an <svg> element, never as something to fetch.
        assert text.count(url) == text.count(f'="{url}"') == FIGURES
        assert re.search(rf'xmlns(:xlink)?="{re.escape(url)}"', text)
    assert "//" not in re.sub(r"https?://www\.w3\.org/[0-9]{4}/(svg|xlink)", "", text)
    for fetching in ("<script", "<link", "<img", "<iframe", "@import", "src="):
        assert fetching not in text
    assert set(re.findall(r"url\((.)", text)) <= {"#"}
    assert set(re.findall(r'href="(.)', text)) <= {"#"}


def test_report_is_well_formed_with_unique_ids(page: Path) -> None:
    parsed = _parse(page.read_text(encoding="utf-8"))
    assert parsed.errors == []
    assert parsed.stack == []
    assert parsed.starts["svg"] == FIGURES
    assert parsed.starts["h2"] == len(HEADINGS)
    assert parsed.starts["title"] == 1 + FIGURES
    duplicates = [i for i, n in Counter(parsed.ids).items() if n > 1]
    assert duplicates == []


def test_figures_label_strategies_types_and_event_kinds(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    sections = dict(re.findall(r'<section id="([a-z]+)">(.*?)</section>', text, re.S))
    assert set(sections) == {"summary", "cost", "capacity", "types", "pending", "timeline"}
    for key in ("cost", "capacity", "pending", "timeline"):
        assert ">on-demand<" in sections[key] and ">spotwise<" in sections[key]
    for instance_type in ("m5.large", "c5.large", "m6i.large"):
        assert f">{instance_type}<" in sections["types"]
    for kind in ("rebalance recommendation", "interruption warning", "instance reclaimed"):
        assert f">{kind}<" in sections["timeline"]


def test_report_is_the_same_for_the_same_run(page: Path) -> None:
    assert render_report(comparison()) == page.read_text(encoding="utf-8")


def test_busiest_instance_types_shown_and_the_rest_as_other() -> None:
    types = {f"m5.size{i}": i + 1 for i in range(12)}
    run = _run("spotwise", 78, 0, types, 5.0)
    text = render_report(Comparison("many-types", 1, 6.0, (run,)))
    section = text[text.index('<section id="types">') : text.index('<section id="pending">')]
    assert ">other<" in section
    for i in range(4, 12):
        assert f">m5.size{i}<" in section
    for i in range(4):
        assert f">m5.size{i}<" not in section


def test_capacity_panels_share_a_scale_that_holds_the_busiest_strategy() -> None:
    small, busy = _run("on-demand", 0, 4, {}, 30.0), _run("spotwise", 40, 5, {}, 12.0)
    plot = report_plots.capacity_types([small, busy], 6.0)
    tops = {ax.get_ylim()[1] for ax in plot.figure.axes if ax.get_title(loc="left")}
    assert len(tops) == 1 and tops.pop() >= 46  # 41 spot nodes at hour 3, plus 5 on-demand


def test_runs_without_samples_or_events_still_render() -> None:
    empty = RunResult("spotwise", Totals(), [], [], {}, 0.0)
    text = render_report(Comparison("empty", 0, 1.0, (empty,)))
    assert text.count("<svg") == FIGURES
    assert ">no samples<" in text
    assert ">no interruptions<" in text
    assert _parse(text).errors == []
    no_runs = render_report(Comparison("none", 0, 1.0, ()))
    assert no_runs.count("<svg") == FIGURES


def test_write_replaces_the_file_atomically(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Writing is under test here, not drawing.
    monkeypatch.setattr(report_module, "render_report", lambda comparison: "<!DOCTYPE html>new")
    path = tmp_path / "report.html"
    path.write_text("old", encoding="utf-8")
    write_report(comparison(), path)
    assert path.read_text(encoding="utf-8") == "<!DOCTYPE html>new"
    assert path.stat().st_mode & 0o644 == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]

    def fail(src: str, dst: Path) -> None:
        raise OSError("disk full")

    path.write_text("old", encoding="utf-8")
    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        write_report(comparison(), path)
    assert path.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_missing_chromium_fails_and_names_make_browser(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(browser, "CHROMIUM", "/nonexistent/chromium")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(pytest.fail.Exception, match="make browser"):
        browser.chromium()


def _near(pixel: tuple[int, int, int], colour: str, tolerance: int = 12) -> bool:
    target = (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16))
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, target, strict=True))


def test_chromium_draws_the_report(page: Path, tmp_path: Path) -> None:
    png = tmp_path / "report.png"
    browser.screenshot(page, png, tmp_path / "profile", width=1280, height=2000)
    with Image.open(png) as image:
        assert image.size == (1280, 2000)
        found = image.convert("RGB").getcolors(maxcolors=1 << 24)
    assert found is not None
    counts = [(n, cast(tuple[int, int, int], rgb)) for n, rgb in found]
    total = sum(n for n, _ in counts)
    white = sum(n for n, rgb in counts if min(rgb) >= 250)
    assert (total - white) / total > 0.05, "the screenshot is (nearly) blank"
    assert len(counts) > 50, "too few colours for text, lines and filled areas"
    # The capacity plot's filled areas: proof that the SVG was drawn, not just the text.
    assert sum(n for n, rgb in counts if _near(rgb, SPOT_COLOUR)) > 5000
    assert sum(n for n, rgb in counts if _near(rgb, ON_DEMAND_COLOUR)) > 5000


def test_chromium_dom_holds_every_figure(page: Path, tmp_path: Path) -> None:
    dom = browser.dump_dom(page, tmp_path / "profile")
    assert dom.count("<svg") == FIGURES
    assert len(re.findall(r"<svg[^>]*><title>", dom)) == FIGURES
    for heading in HEADINGS:
        assert f"<h2>{heading}</h2>" in dom
    assert "<td>$12.00</td>" in dom
