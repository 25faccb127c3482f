"""The coverage page: articles and stories per day or week as a server-rendered SVG chart.

The counts are the store's (`Browse.coverage`, one GROUP BY); this module only fills the
empty days, stacks the bars (the largest subtopics or outlets, the rest as "أخرى"), finds
the peaks and lays the chart out. The page is right-to-left, the chart's time axis runs
left to right (as dates are read in Arabic charts too) with Arabic month names.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal, cast
from urllib.parse import urlencode

from monitor.deliver.digest_render import MONTHS, SUBTOPIC_NAMES, arabic_date
from monitor.web.params import BadRequest, Filters
from store import Store
from store.protocols import CoverageCount, StoryFilter

#: The default period: this many days ending at the newest article.
DEFAULT_DAYS = 90
#: Up to this many days a period is drawn per day (auto), longer ones per week.
DAILY_UP_TO = 120
#: Longest period drawn (about ten years of weeks).
MAX_DAYS = 3660
#: How many keys of a split get their own colour; the others are summed as "أخرى".
MAX_KEYS = 6
#: How many peaks are marked.
PEAKS = 3
OTHER = "أخرى"
COLOURS = ("#0b5f8a", "#d9822b", "#3f8f4f", "#a3330c", "#7b4fa0", "#8a7a0b", "#9aa5ad")

# the chart's geometry, in SVG user units (the SVG scales to the page's width)
WIDTH, HEIGHT = 960, 340
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 28, 46
MIN_TICK_GAP = 56  # between two axis labels


@dataclass(frozen=True)
class Segment:
    key: str
    label: str
    count: int
    colour: str
    y: float
    height: float


@dataclass(frozen=True)
class Bar:
    bucket: date
    label: str  # the day or week, in Arabic
    articles: int
    stories: int
    x: float
    width: float
    segments: tuple[Segment, ...]
    peak: bool = False
    link: str = ""  # the home page for this day or week

    @property
    def top(self) -> float:
        return min((s.y for s in self.segments), default=float(HEIGHT - BOTTOM))


@dataclass(frozen=True)
class Chart:
    by: str
    split: str | None
    since: date
    until: date
    bars: tuple[Bar, ...]
    legend: tuple[tuple[str, str], ...]  # (label, colour)
    y_ticks: tuple[tuple[float, int], ...]  # (y, value)
    x_ticks: tuple[tuple[float, str], ...]  # (x, label)
    stories_line: str  # SVG polyline points
    counts: list[CoverageCount] = field(default_factory=list)
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    base: int = HEIGHT - BOTTOM

    @property
    def articles(self) -> int:
        return sum(b.articles for b in self.bars)

    @property
    def peaks(self) -> list[Bar]:
        return sorted((b for b in self.bars if b.peak), key=lambda b: -b.articles)


def day_label(day: date) -> str:
    return arabic_date(day)


def _start(day: date, by: str) -> date:
    return day - timedelta(days=day.weekday()) if by == "week" else day


def period(store: Store, f: Filters) -> tuple[date, date]:
    """The days shown: the filters' period, by default the 90 days ending at the newest
    article (today when there is none)."""
    if f.until is not None:
        until = f.until.astimezone(UTC).date()
    else:
        newest = store.newest(("new", "duplicate"))
        until = (newest or datetime.now(UTC)).astimezone(UTC).date()
    since = f.since.astimezone(UTC).date() if f.since else until - timedelta(DEFAULT_DAYS - 1)
    if (until - since).days > MAX_DAYS:
        raise BadRequest(
            f"الفترة أطول من {MAX_DAYS} يوما", f"the period is longer than {MAX_DAYS} days"
        )
    return since, until


def choose_by(params: Mapping[str, str], since: date, until: date) -> Literal["day", "week"]:
    value = params.get("by", "").strip() or (
        "day" if (until - since).days < DAILY_UP_TO else "week"
    )
    if value not in ("day", "week"):
        raise BadRequest("القيمة by يجب أن تكون day أو week", "by must be one of: day, week")
    return cast(Literal["day", "week"], value)


def choose_split(params: Mapping[str, str]) -> Literal["subtopic", "source"] | None:
    value = params.get("split", "").strip() or None
    if value not in (None, "subtopic", "source"):
        raise BadRequest(
            "القيمة split يجب أن تكون subtopic أو source",
            "split must be one of: subtopic, source",
        )
    return cast(Literal["subtopic", "source"] | None, value)


def _peaks(totals: list[int]) -> set[int]:
    """The indexes of the `PEAKS` highest local maxima (a plateau counts once, at its start)."""
    candidates = [
        i
        for i, n in enumerate(totals)
        if n > 0 and (i == 0 or n > totals[i - 1]) and (i + 1 == len(totals) or n >= totals[i + 1])
    ]
    return set(sorted(candidates, key=lambda i: (-totals[i], i))[:PEAKS])


def _nice_top(value: int) -> int:
    """A round axis maximum (1, 2, 5, 10, 20, 50 ...) at or above `value`."""
    magnitude = 1
    while True:
        for m in (1, 2, 5):
            if m * magnitude >= value:
                return m * magnitude
        magnitude *= 10


def build(
    store: Store,
    f: Filters,
    params: Mapping[str, str],
    names: Mapping[str, str],
) -> Chart:
    """The chart of the coverage matching `f` and `params` (by, split)."""
    since, until = period(store, f)
    by = choose_by(params, since, until)
    split = choose_split(params)
    where = StoryFilter(
        since=datetime.combine(since, time.min, UTC),
        until=datetime.combine(until, time.max, UTC).replace(microsecond=0),
        source=f.source,
        subtopic=f.subtopic,
    )
    counts = store.coverage(where, by=by, split=split)
    overall = counts if split is None else store.coverage(where, by=by)
    step = timedelta(days=7 if by == "week" else 1)
    buckets: list[date] = []
    day = _start(since, by)
    while day <= until:
        buckets.append(day)
        day += step
    per: dict[date, dict[str, int]] = defaultdict(dict)
    key_totals: dict[str, int] = defaultdict(int)
    stories = {date.fromisoformat(c.bucket): c.stories for c in overall}
    for c in counts:
        bucket = date.fromisoformat(c.bucket)
        key = c.key or ""
        per[bucket][key] = per[bucket].get(key, 0) + c.articles
        key_totals[key] += c.articles
    ranked = sorted(key_totals, key=lambda k: (-key_totals[k], k))
    shown = ranked if len(ranked) <= MAX_KEYS + 1 else ranked[:MAX_KEYS]
    rest = [k for k in ranked if k not in shown]

    def label(key: str) -> str:
        if split == "subtopic":
            return SUBTOPIC_NAMES.get(key, key)
        if split == "source":
            return names.get(key, key)
        return "مقالات"

    colour = {k: COLOURS[n % len(COLOURS)] for n, k in enumerate(shown)}
    legend = [(label(k), colour[k]) for k in shown]
    if rest:
        legend.append((OTHER, COLOURS[-1]))
    stacks: list[list[tuple[str, str, int, str]]] = []
    for bucket in buckets:
        values = per.get(bucket, {})
        stack = [(k, label(k), values[k], colour[k]) for k in shown if values.get(k)]
        other = sum(values.get(k, 0) for k in rest)
        if other:
            stack.append(("", OTHER, other, COLOURS[-1]))
        stacks.append(stack)
    totals = [sum(s[2] for s in stack) for stack in stacks]
    top = _nice_top(max([*totals, *stories.values(), 1]))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(buckets), 1)
    base = HEIGHT - BOTTOM
    peaks = _peaks(totals)
    bars: list[Bar] = []
    for n, (bucket, stack) in enumerate(zip(buckets, stacks, strict=True)):
        y = float(base)
        segments = []
        for key, name, count, tint in stack:
            h = count / top * plot_h
            y -= h
            segments.append(Segment(key, name, count, tint, round(y, 2), round(h, 2)))
        end = bucket + step - timedelta(days=1)
        query = {"since": bucket.isoformat(), "until": f"{end.isoformat()}T23:59:59"}
        query.update(f.query())
        query.update(since=bucket.isoformat(), until=f"{end.isoformat()}T23:59:59")
        bars.append(
            Bar(
                bucket=bucket,
                label=day_label(bucket) if by == "day" else f"أسبوع {day_label(bucket)}",
                articles=totals[n],
                stories=stories.get(bucket, 0),
                x=round(LEFT + n * slot + slot * 0.1, 2),
                width=round(max(slot * 0.8, 0.5), 2),
                segments=tuple(segments),
                peak=n in peaks,
                link="/?" + urlencode(query),
            )
        )
    points = " ".join(
        f"{b.x + b.width / 2:.1f},{base - stories.get(b.bucket, 0) / top * plot_h:.1f}"
        for b in bars
    )
    return Chart(
        by=by,
        split=split,
        since=since,
        until=until,
        bars=tuple(bars),
        legend=tuple(legend),
        y_ticks=tuple((round(base - v / top * plot_h, 1), v) for v in _ticks(top)),
        x_ticks=tuple(_x_ticks(bars, by)),
        stories_line=points,
        counts=counts,
    )


def _ticks(top: int) -> list[int]:
    step = max(top // 4, 1)
    return list(range(0, top + 1, step))


def _x_ticks(bars: list[Bar], by: str) -> list[tuple[float, str]]:
    """A label at each month's first bar; with few months, also around the 8th, 15th, 22nd.
    A label too close to the one before is left out."""
    months = {(b.bucket.year, b.bucket.month) for b in bars}
    ticks: list[tuple[float, str]] = []
    last: tuple[int, int] | None = None
    for b in bars:
        centre = round(b.x + b.width / 2, 1)
        month = (b.bucket.year, b.bucket.month)
        if month != last:
            label = f"{b.bucket.day} {MONTHS[b.bucket.month - 1]}"
            last = month
        elif by == "day" and len(months) <= 4 and b.bucket.day in (8, 15, 22):
            label = str(b.bucket.day)
        else:
            continue
        if ticks and centre - ticks[-1][0] < MIN_TICK_GAP:
            ticks.pop()  # the newer label wins: a month's start over the day before
        ticks.append((centre, label))
    return ticks


def record(chart: Chart) -> dict[str, Any]:
    """The chart's counts as JSON."""
    return {
        "by": chart.by,
        "split": chart.split,
        "since": chart.since.isoformat(),
        "until": chart.until.isoformat(),
        "counts": [
            {"bucket": c.bucket, "key": c.key, "articles": c.articles, "stories": c.stories}
            for c in chart.counts
        ],
        "peaks": [
            {"bucket": b.bucket.isoformat(), "articles": b.articles, "stories": b.stories}
            for b in chart.peaks
        ],
    }
