"""Real-browser test of the widgets: JupyterLab + headless Chromium (Playwright).

Starts JupyterLab on a free port, opens notebook 02, runs every cell from the Run menu, moves
a slider with the keyboard, and checks the plot changed and no cell failed. Needs Debian's
``chromium`` (``.ci/run`` installs it). Skipped on a machine without it, except under CI
(``CI`` set), where a missing browser fails the test.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from helpers import CHROMIUM, CHROMIUM_ARGS, need

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = "notebooks/02_mask_the_tokens.ipynb"
LAST_OUTPUT = "[not done yet] remove_targets"  # printed by the notebook's last cell


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def lab(tmp_path):
    settings = tmp_path / "settings"
    news = settings / "@jupyterlab" / "apputils-extension"
    news.mkdir(parents=True)
    (news / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    # serve a copy: JupyterLab autosaves, and outputs must never land in the repo's notebooks
    shutil.copytree(ROOT / "notebooks", tmp_path / "root" / "notebooks")
    port, token = _free_port(), "jepa-lab-test"
    env = {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(settings),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"), "JEPA_LAB_MODE": "fast"}
    env.pop("MPLBACKEND", None)
    log = open(tmp_path / "lab.log", "w")
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "jupyter-lab"), "--no-browser", "--ip", "127.0.0.1", "--port", str(port),
         f"--ServerApp.token={token}", "--allow-root", f"--ServerApp.root_dir={tmp_path / 'root'}"],
        cwd=tmp_path / "root", env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if time.time() > deadline or server.poll() is not None:
                    tail = (tmp_path / "lab.log").read_text()[-3000:]
                    raise RuntimeError(f"JupyterLab did not start:\n{tail}") from None
                time.sleep(0.5)
        yield url, token
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def _output_text(page) -> str:
    return page.locator(".jp-OutputArea-output").all_inner_texts()


def test_notebook_02_runs_and_slider_redraws(lab, tmp_path):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need(False, "playwright is not installed (pip install -e '.[dev]')", 'browser test')
    need(Path(CHROMIUM).exists(), f"Chromium not found at {CHROMIUM} (apt-get install chromium)", 'browser test')
    url, token = lab
    shots = ROOT / "build" / "browser"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            page.goto(f"{url}/lab/tree/{NOTEBOOK}?reset&token={token}")
            page.locator(".jp-Notebook").first.wait_for(timeout=60_000)
            page.get_by_text("Kernel status: Idle").first.wait_for(state="attached", timeout=60_000)
            time.sleep(3)  # "Idle" shows before the session is fully wired; Run All is lost if sent too early
            page.get_by_role("menuitem", name="Run", exact=True).click()
            page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
            page.get_by_text(LAST_OUTPUT).first.wait_for(timeout=240_000)
            outputs = "\n".join(_output_text(page))
            assert "Traceback" not in outputs and "Error:" not in outputs.replace("ValueError: image size", "")

            # the first explorer of the notebook (off-screen cells render once scrolled to)
            page.get_by_text("random_explorer = widgets.mask_explorer").first.scroll_into_view_if_needed()
            interact = page.locator(".widget-interact").first
            interact.wait_for(state="attached", timeout=60_000)
            interact.scroll_into_view_if_needed()
            image = interact.locator("img").first
            image.wait_for(timeout=60_000)
            before = image.get_attribute("src")
            handle = interact.locator(".widget-slider .noUi-handle").first
            handle.scroll_into_view_if_needed()
            handle.focus()
            for _ in range(3):
                handle.press("ArrowRight")
            # wait until the plot has changed and then stayed the same for a second
            deadline, last, stable_since = time.time() + 60, before, None
            while time.time() < deadline:
                src = interact.locator("img").first.get_attribute("src")
                if src != last:
                    last, stable_since = src, time.time()
                elif src != before and stable_since and time.time() - stable_since > 1.0:
                    break
                time.sleep(0.2)
            assert last != before, "moving the slider did not redraw the plot"
            assert "Traceback" not in "\n".join(_output_text(page))
        except Exception:
            shots.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shots / "failure.png"), full_page=True)
            (shots / "outputs.txt").write_text("\n-----\n".join(_output_text(page)))
            raise
        finally:
            browser.close()
