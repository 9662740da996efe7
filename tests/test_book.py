"""The executed course book (tools/build_book.py), built for two quick notebooks in ``fast`` mode and read in
headless Chromium: every page loads without touching the network, has no error output, shows its figures,
and every link of the table of contents lands on an existing anchor. Needs Debian's ``chromium``; skipped
without it, except under CI (``CI`` set)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from helpers import CHROMIUM, CHROMIUM_ARGS, need

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import build_book  # noqa: E402


def test_sections_read_the_exporters_anchors():
    page = '<h2 id="1.-An-image">1. An image<a class="anchor-link" href="#1.-An-image">¶</a></h2><h4 id="x">x</h4>'
    assert build_book.sections(page) == [(2, "1.-An-image", "1. An image")]


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    out = tmp_path_factory.mktemp("book")
    assert build_book.main(["--mode", "fast", "--out", str(out), "01", "02"]) == 0
    return out


def test_book_is_built_offline(book):
    meta = json.loads((book / "book.json").read_text())
    assert meta["mode"] == "fast" and [p["file"][:2] for p in meta["pages"]] == ["01", "02"]
    for page in book.glob("*.html"):
        text = page.read_text()
        assert 'src="http' not in text and "<link" not in text, f"{page.name} fetches from the network"
    second = (book / "01_tokenise_images_and_video.html").read_text()
    assert 'href="02_mask_the_tokens.html"' in second  # the "Next" link points at the next page, not the .ipynb


def test_book_in_a_browser(book):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need(False, "playwright is not installed (pip install -e '.[dev]')", 'book test')
    need(Path(CHROMIUM).exists(), f"Chromium not found at {CHROMIUM} (apt-get install chromium)", 'book test')
    remote, failures = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("request", lambda r: remote.append(r.url) if not r.url.startswith(("file:", "data:")) else None)
        page.on("pageerror", lambda e: failures.append(str(e)))
        try:
            page.goto((book / "index.html").as_uri())
            links = page.eval_on_selector_all("ol.book-toc a", "els => els.map(e => e.getAttribute('href'))")
            pages = [h for h in links if "#" not in h]
            anchors = [h for h in links if "#" in h]
            assert len(pages) == 2 and len(anchors) >= 8, links
            for href in pages:
                page.goto((book / href).as_uri())
                page.wait_for_load_state("load")
                assert page.locator(".jp-Cell").count() > 10, f"{href}: no cells"
                errors = page.locator('[data-mime-type="application/vnd.jupyter.stderr"]').all_inner_texts()
                assert not [e for e in errors if "Traceback" in e or "Error" in e], f"{href}: {errors}"
                assert "Traceback" not in page.inner_text("body")
                sizes = page.eval_on_selector_all(".jp-OutputArea-output img",
                                                  "els => els.map(e => [e.complete, e.naturalWidth])")
                assert len(sizes) >= 4 and all(done and width > 0 for done, width in sizes), f"{href}: {sizes}"
                assert page.locator("img.book-widget-snapshot").count() >= 1, f"{href}: widget snapshot missing"
                assert page.locator("nav.book-nav a[href='index.html']").count() == 2
            for href in anchors:
                target = href.split("#", 1)[1]
                page.goto((book / href.split("#")[0]).as_uri() + "#" + target)
                found = page.evaluate("id => document.getElementById(decodeURIComponent(id)) !== null", target)
                assert found, f"table of contents link {href} has no anchor"
        except Exception:
            page.screenshot(path=str(book / "failure.png"), full_page=False)
            raise
        finally:
            browser.close()
    assert not remote, f"the book fetched from the network: {remote[:5]}"
    assert not failures, f"script errors: {failures}"
