"""The built book as a reader sees it: every page of the table of contents in headless Chromium.

The book is built into a temporary folder with notebook execution switched off, so the pages
show the outputs saved in the notebooks (``pytest --nbval book/`` checks that those outputs are
what the code gives today). The site is served on 127.0.0.1 and each page is checked for:

* math typeset by MathJax (every Sphinx math element holds an ``mjx-container``), no MathJax
  error, and no raw TeX delimiters left in the text;
* every image loaded;
* no traceback in an output cell, no uncaught JavaScript error;
* no request to any host but the local server (MathJax and everything else come with the site).

Needs Debian's Chromium at /usr/bin/chromium (or $CHROMIUM) and the playwright Python package;
never ``playwright install``. Without them the tests are skipped, except in CI (``CI`` set), where
they fail.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
IN_CI = bool(os.environ.get("CI"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
RAW_TEX = ("$$", "\\[", "\\]", "\\(", "\\)", "\\begin{")
TRACEBACK = re.compile(r"Traceback \(most recent call last\)")
# Known and harmless: sphinx-thebe 0.3 adds its inline config script twice under Sphinx 7 (it
# registers it after the builder is initialized), so the second `const` declaration throws.
# Thebe is not enabled in this book; nothing else on the page depends on that script.
BENIGN_JS_ERRORS = re.compile(r"Identifier 'THEBE_JS_URL' has already been declared")


def toc_docnames(toc_file: Path = ROOT / "_toc.yml") -> list[str]:
    """Every document named in the table of contents (root, chapters, sections), in order."""
    found: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            for key in ("root", "file"):
                if key in node:
                    found.append(re.sub(r"\.(md|ipynb|rst)$", "", str(node[key])))
            for value in node.values():
                if isinstance(value, (dict, list)):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(yaml.safe_load(toc_file.read_text(encoding="utf-8")))
    return list(dict.fromkeys(found))


PAGES = toc_docnames()


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob", "about") or parts.hostname in LOCAL_HOSTS


def assert_local(docname: str, requests: list[str]) -> None:
    remote = sorted({url for url in requests if not is_local(url)})
    assert not remote, f"{docname}: requests left 127.0.0.1: {remote}"


def require_browser() -> None:
    missing = []
    if not CHROMIUM.is_file():
        missing.append(f"{CHROMIUM} (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright Python package (pip install -e '.[test]')")
    if missing:
        message = "browser test needs " + " and ".join(missing)
        if IN_CI:
            pytest.fail(message + "; CI is set, so this is a failure, not a skip", pytrace=False)
        pytest.skip(message)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The book built from the saved notebook outputs, served on a free port of 127.0.0.1."""
    require_browser()
    out = tmp_path_factory.mktemp("book")
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    config.setdefault("execute", {})["execute_notebooks"] = "off"
    config_file = out / "_config.yml"
    config_file.write_text(yaml.safe_dump(config), encoding="utf-8")
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    command = [str(jupyter_book) if jupyter_book.exists() else "jupyter-book", "build", str(ROOT),
               "--config", str(config_file), "--path-output", str(out),
               "-W", "-n", "--keep-going", "--all"]
    build = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if build.returncode != 0:
        pytest.fail(f"book build failed ({build.returncode}):\n{build.stdout[-6000:]}\n"
                    f"{build.stderr[-6000:]}", pytrace=False)
    html = out / "_build" / "html"
    handler = functools.partial(_QuietHandler, directory=str(html))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", html
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser(site):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


SEEN = {"pages": 0, "math": 0, "figures": 0}


@pytest.mark.parametrize("docname", PAGES)
def test_page(site, browser, docname):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    base_url, html = site
    assert (html / f"{docname}.html").is_file(), f"{docname}.html was not built"

    context = browser.new_context(service_workers="block")
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    # Anything non-local is recorded above and then refused, so a stray CDN link fails the
    # test quickly instead of waiting for a network that is not there.
    context.route("**/*", lambda route: route.continue_() if is_local(route.request.url)
                  else route.abort())
    page = context.new_page()
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    try:
        page.goto(base_url + docname + ".html", wait_until="load", timeout=90_000)

        assert_local(docname, requests)

        n_math = page.locator("main .math").count()
        if n_math:
            try:
                page.wait_for_function(
                    "() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                    timeout=60_000)
            except PlaywrightTimeout:
                scripts = page.eval_on_selector_all("script[src]", "ss => ss.map(s => s.src)")
                pytest.fail(f"{docname}: {n_math} math elements but MathJax did not start "
                            f"(scripts: {scripts})", pytrace=False)
            page.evaluate("() => MathJax.startup.promise")
            untypeset = page.eval_on_selector_all(
                "main .math", "els => els.filter(e => !e.querySelector('mjx-container'))"
                              ".map(e => e.textContent.slice(0, 80))")
            assert not untypeset, f"{docname}: math not typeset by MathJax: {untypeset}"
            assert page.locator("mjx-merror").count() == 0, f"{docname}: MathJax errors"
        n_typeset = page.locator("mjx-container").count()
        assert n_typeset >= n_math

        prose = page.evaluate("""() => {
            const root = (document.querySelector('main') || document.body).cloneNode(true);
            root.querySelectorAll('pre, code, script, style, textarea, mjx-container')
                .forEach(e => e.remove());
            return root.textContent;
        }""")
        raw = [t for t in RAW_TEX if t in prose]
        assert not raw, f"{docname}: raw TeX delimiters {raw} left in the page text"

        broken = page.evaluate("""async () => {
            const imgs = Array.from(document.images);
            imgs.forEach(i => { i.loading = 'eager'; });
            await Promise.all(imgs.map(i => i.complete ? null
                : new Promise(r => { i.onload = r; i.onerror = r; })));
            return imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src);
        }""")
        assert not broken, f"{docname}: images that did not load: {broken}"
        figures = page.locator("main .cell_output img").count()

        outputs = page.eval_on_selector_all(
            ".cell_output, .output", "els => els.map(e => [e.className, e.textContent])")
        tracebacks = [text[:300] for cls, text in outputs
                      if "traceback" in cls.split() or TRACEBACK.search(text)]
        assert not tracebacks, f"{docname}: traceback in an output cell: {tracebacks}"

        page.wait_for_load_state("networkidle", timeout=60_000)
        errors = [e for e in page_errors if not BENIGN_JS_ERRORS.search(e)]
        assert not errors, f"{docname}: JavaScript errors: {errors}"
    finally:
        context.close()

    assert_local(docname, requests)  # again: fonts and late scripts come after `load`
    assert requests, f"{docname}: no request recorded (is the request log working?)"

    SEEN["pages"] += 1
    SEEN["math"] += n_typeset
    SEEN["figures"] += figures


def test_checks_saw_math_and_figures():
    """Guards the checks above against passing vacuously (say, if math stopped being marked)."""
    if SEEN["pages"] < len(PAGES):
        pytest.skip("not every page was checked in this run")
    assert SEEN["math"] > 0, "no typeset math on any page of the book"
    assert SEEN["figures"] > 0, "no figure in any output cell of the book"
