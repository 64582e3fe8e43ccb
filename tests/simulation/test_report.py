"""The HTML report: self-contained, well formed, and really drawn by a browser."""

from __future__ import annotations

import html
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
from spotwise.simulator.interruption_log import InterruptionStory
from spotwise.simulator.report import render_report, write_report
from spotwise.simulator.report_plots import ON_DEMAND_COLOUR, SPOT_COLOUR
from spotwise.simulator.results import RunResult, Sample, TimelineEvent, Totals
from spotwise.simulator.runner import Comparison

from . import browser

PLOTS = (
    "Cumulative cost",
    "Nodes by capacity type",
    "Nodes by instance type (spotwise)",
    "Pending pods",
    "Interruption timeline",
    "What was done for each notice",
)
HEADINGS = ("Headline", "Strategies", "Summary", "Decisions (spotwise)", *PLOTS)
FIGURES = len(PLOTS)
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
        # node-a: a recommendation at 2 h, cordoned a minute later, drained by 2.5 h, then
        # reclaimed with 1 pod still on it.
        stories = (
            InterruptionStory(
                "node-a", "m5.large", "rebalance-recommendation", 2.0, 5, marked=2.0 + 1 / 60,
                action="drain", drain_started=2.05, replacement_ready=True, drained=2.5,
                gone=2.53, reclaimed=True, pods_moved=4, pods_lost=1,
            ),
        )  # fmt: skip
        totals.usage_by_type = {
            ("m5.large", "spot"): [3 * 6 * 3600.0, 9.0],
            ("m5.xlarge", "on-demand"): [6 * 3600.0, 3.0],
        }
        totals.launch_reasons = {"pending": 3, "moved-by-interruption": 1}
    else:
        stories = ()
    totals.pending_pod_seconds = 1234.0
    return RunResult(
        name, totals, samples, events, {"Running": 10}, 6.0, True, stories, f"{name}: words"
    )


def comparison() -> Comparison:
    return Comparison(
        scenario="web-<&>-demo",
        seed=7,
        simulated_hours=6.0,
        runs=(
            _run("on-demand", 0, 4, {"m5.xlarge": 4}, 30.0),
            _run("spotwise", 4, 1, {"m5.large": 2, "c5.large": 2, "m6i.large": 1}, 12.0),
        ),
        description="Load: a <web> shop.",
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


def _rows(text: str, section: str) -> dict[str, list[str]]:
    start = text.index(f'<section id="{section}">')
    table = text[start : text.index("</table>", start)]
    return {
        m.group(1): re.findall(r"<td>([^<]*)</td>", m.group(2))
        for m in re.finditer(r'<tr><th scope="row">([^<]+)</th>(.*?)</tr>', table)
    }


def test_summary_table_shows_each_strategys_figures(page: Path) -> None:
    rows = _rows(page.read_text(encoding="utf-8"), "summary")
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
    assert set(sections) == {
        "headline", "strategies", "summary", "decisions",
        "cost", "capacity", "types", "pending", "timeline", "notices",
    }  # fmt: skip
    for key in ("cost", "capacity", "timeline"):
        assert ">on-demand<" in sections[key] and ">spotwise<" in sections[key]
    # Pending pods: a panel per strategy, titled with its name and its peak.
    assert ">on-demand: at most 2 pending<" in sections["pending"]
    assert ">spotwise: at most 2 pending<" in sections["pending"]
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


@pytest.mark.parametrize("width", [800, 1400])
def test_chromium_draws_the_report(page: Path, tmp_path: Path, width: int) -> None:
    png = tmp_path / "report.png"
    browser.screenshot(page, png, tmp_path / "profile", width=width, height=6000)
    with Image.open(png) as image:
        assert image.size == (width, 6000)
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


@pytest.mark.parametrize("width", [800, 1400])
def test_nothing_overflows_sideways(page: Path, tmp_path: Path, width: int) -> None:
    overflow, elements = browser.sideways_overflow(page, tmp_path / "profile", width=width)
    assert overflow <= 0, f"{overflow} px too wide at {width} px: {elements}"


def test_a_wide_summary_scrolls_in_its_box_not_the_page(tmp_path: Path) -> None:
    # Ten strategies, as `make demo` runs: the summary is wider than 800 px.
    runs = tuple(_run(f"spotwise-variant-{i}", 4, 1, {"m5.large": 4}, 12.0) for i in range(10))
    path = tmp_path / "wide.html"
    write_report(Comparison("wide", 1, 6.0, runs), path)
    overflow, elements = browser.sideways_overflow(path, tmp_path / "profile", width=800)
    assert overflow <= 0, f"{overflow} px too wide: {elements}"


def test_headline_compares_spotwise_with_the_baselines_from_the_runs(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    rows = _rows(text, "headline")
    # billed, savings vs all on-demand, pods lost, moved with replacement Ready, acted on.
    assert rows["spotwise"] == ["$12.00", "60.0%", "1", "75.0%", "1 of 1"]
    assert rows["on-demand"] == ["$30.00", "0.0%", "0", "n/a", "0 of 0"]
    lead = re.search(r'<section id="headline">\n<h2>Headline</h2>\n<p>([^<]+)</p>', text)
    assert lead is not None
    assert lead.group(1) == (
        "spotwise was billed $12.00, 60.0% below the all-on-demand bill of $30.00; 1 pod "
        "lost; 75.0% of the pods moved off interrupted nodes left with their replacement "
        "Ready; nodes with a notice the handler acted on: 1 of 1."
    )


def test_each_strategy_says_what_it_is_and_the_header_describes_the_scenario(
    page: Path,
) -> None:
    text = page.read_text(encoding="utf-8")
    assert "<dt>on-demand</dt><dd>on-demand: words</dd>" in text
    assert "<dt>spotwise</dt><dd>spotwise: words</dd>" in text
    assert (
        "<p>Load: a &lt;web&gt; shop. Pods at peak (running or pending, sampled): 12.</p>" in text
    )


def test_decisions_list_types_with_prices_shares_and_launch_reasons(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    rows = _rows(text, "decisions")
    # 18 spot node-hours for $9 and 6 on-demand for $3: shares of 24 hours and $12.
    assert rows["m5.large"] == ["spot", "18.0", "75.0%", "0.5000", "$9.00", "75.0%"]
    assert rows["m5.xlarge"] == ["on-demand", "6.0", "25.0%", "0.5000", "$3.00", "25.0%"]
    assert (
        "4 launches in the measured run, named by where most of each node's pods came from: "
        "3 for pending pods, 1 for pods moved off interrupted nodes." in html.unescape(text)
    )


def test_each_notice_shows_its_steps_and_pods(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    section = text[text.index('<section id="notices">') :]
    assert ">spotwise · m5.large · 5 pods: 4 moved, 1 lost<" in section
    for step in ("cordoned and tainted to drain", "drained", "instance reclaimed by EC2"):
        assert f">{step}<" in section


def test_strategies_differ_by_dash_and_marker_not_only_colour() -> None:
    # Eleven: every strategy of --compare with commitments.
    runs = [_run(f"s{i}", 1, 0, {}, 1.0) for i in range(11)]
    plot = report_plots.cumulative_cost(runs, 6.0)
    lines = plot.figure.axes[0].get_lines()
    assert len({(line.get_linestyle(), line.get_marker()) for line in lines}) == 11
