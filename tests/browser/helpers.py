"""What browser tests share: skip-or-fail, signing in and out, and the checks every page must pass.

Use them from any test in ``tests/browser/`` (fixtures are in ``conftest.py``)::

    from tests.browser.helpers import check_axe, check_layout, sign_in

    pytestmark = pytest.mark.browser

    def test_my_page(make_page, base_url):
        page = make_page(user=MODERATOR)          # signed in, JavaScript on, 360×740
        page.goto(f"{base_url}/my/page")
        check_layout(page)                         # 320 px: no sideways scroll, text ≥ 18 px, targets ≥ 44 px
        check_axe(page)                            # no serious or critical axe-core violation

The numbers are the project's standards (DESIGN.md, issue 2): pages readable by elderly
residents on a small phone, with or without JavaScript.
"""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from consult.demo import DEMO_PASSWORD

IN_CI = os.environ.get("CI") == "true"

#: Debian's Chromium; Playwright's own browser download is not used (it does not work offline).
CHROMIUM = Path(os.environ.get("CONSULT_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync",
]
#: A common small phone; layout checks narrow it further to NARROWEST.
PHONE = {"width": 360, "height": 740}
NARROWEST = 320
MIN_TEXT_PX = 18
MIN_TARGET_PX = 44
ELDER_TARGET_PX = 60
#: axe-core impacts that fail a test; "moderate" and "minor" ones are reported by axe only.
FAILING_IMPACTS = ("serious", "critical")

MODERATOR = "13800000002"  # 李娟, moderator of 恒丰 (consult/communities/demo.py)
RESIDENT = "13800000007"  # 刘秀英, verified resident of 恒丰
PASSWORD = DEMO_PASSWORD

_phones = itertools.count(13600000001)


def require_or_skip(condition: bool, message: str) -> None:
    """Skip the test when ``condition`` is false — unless ``CI=true``, where it fails.

    For anything a developer's machine may lack (Chromium, PostgreSQL): locally the
    suite stays green with a clear reason; in CI a missing dependency can never pass
    silently as a skip.
    """
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{message} (CI=true: a missing dependency fails the run)", pytrace=False)
    pytest.skip(message)


def fresh_phone() -> str:
    """A mobile number nobody in this test session has used (the live database is fresh)."""
    return str(next(_phones))


def path_of(page) -> str:
    return urlsplit(page.url).path


def submit(page, button_selector: str) -> None:
    """Click a submit button and wait for the page it leads to (works with JavaScript off)."""
    with page.expect_navigation():
        page.click(button_selector)


def sign_in(page, base: str, login: str, password: str = PASSWORD) -> None:
    """Sign in through the login form; fail with the page's own message if it refuses."""
    __tracebackhide__ = True
    page.goto(f"{base}/login")
    page.fill("#f-login", login)
    page.fill("#f-password", password)
    submit(page, "main form button[type=submit]")
    if path_of(page) == "/login":
        problem = page.locator(".error-summary")
        text = problem.inner_text() if problem.count() else page.title()
        pytest.fail(f"sign-in as {login} was refused: {text}", pytrace=False)


def sign_out(page, base: str) -> None:
    """Sign out with the button on the account page (this device only)."""
    page.goto(f"{base}/account")
    submit(page, "form[action='/logout'] button")
    assert page.locator("header a[href='/login']").count() == 1, "still signed in"


# -- checks every page must pass ------------------------------------------------------

_MEASURE = """
({minText, minTarget}) => {
  const scroller = document.scrollingElement;
  const width = scroller.clientWidth;
  const name = el => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id;
    if (el.classList.length) s += '.' + [...el.classList].join('.');
    const text = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim();
    return text ? `${s} "${text.slice(0, 30)}"` : s;
  };
  // Shown = rendered and larger than the 1×1 px box of a screen-reader-only helper.
  const shown = el => {
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') return false;
    const r = el.getBoundingClientRect();
    return r.width > 1 && r.height > 1;
  };
  const px = el => parseFloat(getComputedStyle(el).fontSize);
  const out = {scrollWidth: scroller.scrollWidth, clientWidth: width,
               bodyFont: px(document.body), smallText: [], smallTargets: [], overflowing: []};

  // Text: every shown element that holds text itself, and every form control.
  for (const el of document.body.querySelectorAll('*')) {
    if (['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE'].includes(el.tagName)) continue;
    const ownText = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    const control = el.matches('input:not([type=hidden]), select, textarea, button');
    if ((ownText || control) && shown(el) && px(el) < minText) {
      out.smallText.push(`${name(el)}: ${px(el)}px`);
    }
    const r = el.getBoundingClientRect();
    if (r.right > width + 0.5 && shown(el)) out.overflowing.push(`${name(el)}: right edge ${r.right}px`);
  }

  // Tap targets. An off-screen target (the skip link) is measured the way it appears: focused.
  // A checkbox or radio counts by its label when the label is the bigger target.
  const targets = 'a[href], button, input:not([type=hidden]), select, textarea, summary, ' +
                  '[role=button], [tabindex]:not([tabindex="-1"])';
  for (const el of document.body.querySelectorAll(targets)) {
    if (!shown(el)) continue;
    let r = el.getBoundingClientRect();
    if (r.right <= 0 || r.bottom <= 0 || r.left >= width) {
      el.focus(); r = el.getBoundingClientRect(); el.blur();
    }
    if (el.matches('input[type=checkbox], input[type=radio]')) {
      const label = el.closest('label') || (el.id && document.querySelector(`label[for="${el.id}"]`));
      if (label) {
        const l = label.getBoundingClientRect();
        if (l.width * l.height > r.width * r.height) r = l;
      }
    }
    if (Math.round(r.width) < minTarget || Math.round(r.height) < minTarget) {
      out.smallTargets.push(`${name(el)}: ${Math.round(r.width)}×${Math.round(r.height)}px`);
    }
  }
  return out;
}
"""


def check_layout(page, *, width: int = NARROWEST, min_text_px: float = MIN_TEXT_PX,
                 min_target_px: float = MIN_TARGET_PX) -> dict:
    """Assert the current page works on a ``width``-px-wide phone; return the measurements.

    - no horizontal scroll: ``document.scrollingElement.scrollWidth ≤ clientWidth``
      (content may scroll inside its own ``overflow-x: auto`` box, e.g. a wide table);
    - text ≥ ``min_text_px``: the body and every shown element holding text of its own
      (p, li, td, label, span, badge, …) and every form control;
    - tap targets ≥ ``min_target_px`` × ``min_target_px``: every shown link, button,
      input, select, textarea and summary — links in running text included (the
      stylesheet makes them tall enough; there is no exemption).

    Elements that are not shown (``display: none``, closed ``<details>``, 1×1 px
    screen-reader-only helpers) are not measured. The viewport is restored afterwards.
    """
    __tracebackhide__ = True
    before = page.viewport_size
    page.set_viewport_size({"width": width, "height": before["height"] if before else 740})
    try:
        m = page.evaluate(_MEASURE, {"minText": min_text_px, "minTarget": min_target_px})
    finally:
        if before:
            page.set_viewport_size(before)
    problems = []
    if m["scrollWidth"] > m["clientWidth"]:
        problems.append(f"horizontal scroll at {width}px: content is {m['scrollWidth']}px wide; "
                        f"too wide: {m['overflowing'][:8]}")
    if m["bodyFont"] < min_text_px:
        problems.append(f"body font-size {m['bodyFont']}px < {min_text_px}px")
    if m["smallText"]:
        problems.append(f"text smaller than {min_text_px}px: {m['smallText'][:15]}")
    if m["smallTargets"]:
        problems.append(f"tap targets smaller than {min_target_px}px: {m['smallTargets'][:15]}")
    assert not problems, f"layout of {page.url}:\n  " + "\n  ".join(problems)
    return m


_axe = None


def check_axe(page, *, impacts: tuple[str, ...] = FAILING_IMPACTS, context=None) -> list[dict]:
    """Run axe-core (shipped by axe-playwright-python) on the page; fail on ``impacts``.

    Returns every violation found (also the moderate and minor ones that do not fail),
    so a test can assert more. ``context`` narrows the scan (an axe context, e.g. "main").
    """
    __tracebackhide__ = True
    global _axe
    if _axe is None:
        from axe_playwright_python.sync_playwright import Axe

        _axe = Axe()
    violations = _axe.run(page, context=context).response["violations"]
    failing = [v for v in violations if v.get("impact") in impacts]
    report = [
        {"id": v["id"], "impact": v["impact"], "help": v["help"],
         "targets": [node["target"] for node in v["nodes"]][:10], "url": v.get("helpUrl")}
        for v in failing
    ]
    assert not failing, f"axe-core on {page.url}:\n" + json.dumps(report, ensure_ascii=False, indent=1)
    return violations


def font_px(page, selector: str = "body") -> float:
    """The computed font size of the first element matching ``selector``, in px."""
    return page.locator(selector).first.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")
