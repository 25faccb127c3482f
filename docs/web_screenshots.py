"""Draw the README's pictures of the web archive: docs/web-home.png, docs/web-story.png,
docs/web-search.png and docs/web-coverage.png. Two outlets of the local fixture news site
(tests/fixture_site.py) publish three months of coverage, with a peak around a summit; `rasad
crawl` stores it in a scratch store, `rasad serve`'s app serves it on 127.0.0.1 and headless
Chromium (Debian's, driven by Playwright) takes the screenshots.

    .venv/bin/python docs/web_screenshots.py      # needs chromium on PATH and playwright
"""

from __future__ import annotations

import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from fixture_site import (  # noqa: E402
    NewsSite,
    SiteArticle,
    default_ant_corpus,
    fresh_stories,
    load_ant_articles,
    mentions_russia_and_north_korea,
)
from test_crawl_e2e import rasad  # noqa: E402
from test_web_browser import chromium, serving  # noqa: E402

from monitor.config.loader import load_config  # noqa: E402

START = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)

# (day after START, headline, the event itself): the events the two outlets write up
EVENTS = [
    (
        3,
        "موسكو وبيونغ يانغ تبحثان توسيع التبادل التجاري",
        "وصل وفد تجاري روسي يضم ممثلي شركات الأسمدة والحبوب إلى بيونغ يانغ لبحث عقود توريد جديدة",
    ),
    (
        11,
        "لافروف: العلاقات مع كوريا الشمالية تتطور بثبات",
        "قال سيرغي لافروف في مؤتمر صحفي في موسكو إن الحوار السياسي مع كوريا الشمالية"
        " بلغ مستوى غير مسبوق",
    ),
    (
        20,
        "جسر تومين البري بين روسيا وكوريا الشمالية يدخل مرحلة التنفيذ",
        "بدأت أعمال تشييد الجسر البري فوق نهر تومين الحدودي بطول كيلومتر واحد تقريبا",
    ),
    (
        29,
        "شويغو يلتقي كيم جونغ أون في بيونغ يانغ",
        "استقبل الزعيم الكوري الشمالي أمين مجلس الأمن الروسي سيرغي شويغو في قصر كومسوسان",
    ),
    (
        41,
        "الكرملين يعلن زيارة مرتقبة لبوتين إلى كوريا الشمالية",
        "أعلن المتحدث باسم الكرملين دميتري بيسكوف أن الرئيس الروسي سيزور كوريا الشمالية خلال أيام",
    ),
    (
        48,
        "بوتين يصل إلى بيونغ يانغ في أول زيارة منذ 24 عاما",
        "حطت طائرة الرئيس فلاديمير بوتين في مطار سونان فجرا وكان كيم جونغ أون في استقباله",
    ),
    (
        49,
        "بوتين وكيم يوقعان معاهدة الشراكة الاستراتيجية الشاملة",
        "نصت المعاهدة الموقعة في بيونغ يانغ على تقديم المساعدة المتبادلة في حال تعرض"
        " أي من البلدين لعدوان",
    ),
    (
        50,
        "واشنطن وسيول تنتقدان معاهدة موسكو وبيونغ يانغ",
        "استدعت الخارجية الكورية الجنوبية السفير الروسي احتجاجا على بنود الدفاع المشترك",
    ),
    (
        63,
        "عمال كوريون شماليون في مواقع بناء روسية رغم العقوبات",
        "كشف تحقيق صحفي عن آلاف العمال الكوريين الشماليين في ورش البناء بأقصى الشرق الروسي",
    ),
    (
        77,
        "تنسيق عسكري متزايد بين موسكو وبيونغ يانغ",
        "التقى وزير الدفاع الكوري الشمالي نظيره الروسي لبحث التدريبات المشتركة وتبادل الخبرات",
    ),
    (
        86,
        "قطار الركاب بين موسكو وبيونغ يانغ يعود إلى العمل",
        "انطلق أول قطار ركاب مباشر من محطة ياروسلافسكي في موسكو إلى بيونغ يانغ منذ سنوات",
    ),
]
# how many write-ups each event gets from each outlet: the summit is the peak
WRITE_UPS = {48: 7, 49: 8, 50: 4, 41: 3, 29: 2}
ANGLES = [
    "وقال مسؤولون روس إن الخطوة تعكس مستوى جديدا من الثقة بين البلدين",
    "وأشارت وكالة الأنباء المركزية الكورية إلى أن الجانبين اتفقا على مواصلة المشاورات",
    "ويرى محللون في موسكو أن روسيا تبحث عن شركاء في مواجهة العقوبات الغربية",
    "وذكرت وسائل إعلام رسمية أن الزعيم كيم جونغ أون أشاد بالصداقة مع روسيا",
    "وتتابع العواصم الغربية بقلق تنامي التعاون بين موسكو وبيونغ يانغ",
    "وأكد الكرملين أن التعاون لا يستهدف أي دولة ثالثة",
    "وتحدثت مصادر دبلوماسية عن ملفات الطاقة والنقل والزراعة على جدول الأعمال",
    "ولفت خبراء إلى أن الحدود البرية القصيرة بين البلدين تكتسب أهمية متزايدة",
]


def coverage_articles(outlet: int) -> list[SiteArticle]:
    """One outlet's write-ups of `EVENTS`: different wordings, some of them near-copies."""
    found = []
    for day, title, what in EVENTS:
        for n in range(
            WRITE_UPS.get(day, 1) if outlet == 0 else max(WRITE_UPS.get(day, 1) // 2, 1)
        ):
            angle = ANGLES[(n + outlet * 3) % len(ANGLES)]
            other = ANGLES[(n * 3 + outlet + 1) % len(ANGLES)]
            found.append(
                SiteArticle(
                    slug=f"e{day}-{outlet}-{n}",
                    title=title if n == 0 else f"{title}: {angle.split()[1]} {angle.split()[2]}",
                    paragraphs=(
                        f"{what}، في خطوة جديدة بين روسيا وكوريا الشمالية.",
                        f"{angle}، بحسب ما نقلته وسائل الإعلام ({n + 1}).",
                        f"{other}.",
                    ),
                    published=START + timedelta(days=day, hours=n * 2 + outlet),
                )
            )
    return found


#: With ../shared/data: its real Arabic pages (the ANT corpus) of these months, real dates.
REAL_PERIOD = (datetime(2018, 2, 1, tzinfo=UTC), datetime(2018, 10, 31, tzinfo=UTC))


def real_articles() -> tuple[list[SiteArticle], list[SiteArticle]] | None:
    """The ANT corpus's pages mentioning both countries in `REAL_PERIOD`, split between
    the two outlets; None without ../shared/data."""
    if default_ant_corpus() is None:
        return None
    pages = load_ant_articles(5000, filter=mentions_russia_and_north_korea)
    chosen = [a for a in pages if REAL_PERIOD[0] <= a.published <= REAL_PERIOD[1]]
    return chosen[0::2], chosen[1::2]


def config_text(scratch: Path, sites: dict[str, NewsSite]) -> Path:
    text = f'[store]\nurl = "sqlite:///{scratch}/rasad.db"\n[crawl]\ndownload_delay = 0\n'
    for name, site in sites.items():
        feeds = ", ".join(f'"{site.url(path)}"' for path in site.feeds)
        text += f'[[sources]]\nname = "{name}"\ntitle = "{site.site_name}"\nfeeds = [{feeds}]\n'
    path = scratch / "rasad.toml"
    path.write_text(text, encoding="utf-8")
    return path


def main() -> None:
    scratch = Path(tempfile.mkdtemp(prefix="rasad-web-"))
    first, second = NewsSite(site_name="الأولى"), NewsSite(site_name="وكالة الأنباء المتحدة")
    real = real_articles()
    mine, theirs = real or (coverage_articles(0), coverage_articles(1))
    own = [*fresh_stories(), *mine]
    first.add_feed("/feed/", own, form="rss2")
    first.add_articles(own)
    second.add_feed("/rss.xml", theirs, form="rss2")
    second.add_articles(theirs)
    with first, second:
        config = config_text(scratch, {"first": first, "wire": second})
        done = rasad("crawl", "--config", str(config), timeout=600)
        assert done.returncode == 0, done.stderr
    with serving(load_config(str(config))) as base, chromium() as browser:
        page = browser.new_page(viewport={"width": 1000, "height": 1100}, locale="ar")
        page.goto(base + "/index.json?limit=50")
        stories = page.evaluate("JSON.parse(document.body.innerText)")
        biggest = max(stories, key=lambda s: len(s["also_reported_by"]))
        shots = {
            "web-home": "/",
            "web-story": "/story/" + quote(biggest["story"], safe=""),
            "web-search": "/search?q=" + quote("لافروف OR بوتين" if real else "معاهدة بوتين"),
            "web-coverage": "/coverage?split=source&"
            + (
                "since=2018-02-01&until=2018-10-31" if real else "since=2024-05-01&until=2024-07-31"
            ),
        }
        for name, path in shots.items():
            page.goto(base + path)
            target = REPO / "docs" / f"{name}.png"
            page.screenshot(path=str(target))  # the first screen of each
            print(f"wrote {target}")


if __name__ == "__main__":
    main()
