"""Real-browser test of the widgets: JupyterLab + headless Chromium (Playwright).

Starts JupyterLab on a free port, opens notebook 02, runs every cell from the Run menu, moves
a slider with the keyboard, and checks the plot changed and no cell failed; then the same for
notebook 04's PCA explorer in a small notebook of its own. Needs Debian's
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


def _run_all(page, url: str, token: str, notebook: str, last_output: str) -> None:
    """Open ``notebook``, run every cell from the Run menu and wait for ``last_output``; no cell may fail."""
    page.goto(f"{url}/lab/tree/{notebook}?reset&token={token}")
    page.locator(".jp-Notebook").first.wait_for(timeout=60_000)
    page.get_by_text("Kernel status: Idle").first.wait_for(state="attached", timeout=60_000)
    time.sleep(3)  # "Idle" shows before the session is fully wired; Run All is lost if sent too early
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    page.get_by_text(last_output).first.wait_for(timeout=240_000)
    outputs = "\n".join(_output_text(page))
    assert "Traceback" not in outputs and "Error:" not in outputs.replace("ValueError: image size", "")


def _slider_redraws(page, code: str) -> None:
    """Scroll to the cell holding ``code``, press its explorer's first slider right three times and
    wait until the plot has changed and then stayed the same for a second."""
    page.get_by_text(code).first.scroll_into_view_if_needed()  # off-screen cells render once scrolled to
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


def _in_browser(lab, name: str, steps) -> None:
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
            steps(page, url, token)
        except Exception:
            shots.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shots / f"{name}_failure.png"), full_page=True)
            (shots / f"{name}_outputs.txt").write_text("\n-----\n".join(_output_text(page)))
            raise
        finally:
            browser.close()


def test_notebook_02_runs_and_slider_redraws(lab, tmp_path):
    def steps(page, url, token):
        _run_all(page, url, token, NOTEBOOK, LAST_OUTPUT)
        _slider_redraws(page, "random_explorer = widgets.mask_explorer")  # the notebook's first explorer

    _in_browser(lab, "notebook_02", steps)


def test_pca_explorer_redraws_in_the_browser(lab, tmp_path):
    """Notebook 04's PCA explorer, on untrained encoders in a two-cell notebook (running all of notebook 04
    in a browser would train its models first)."""
    import nbformat

    cells = [
        "import torch\nfrom jepa_lab import vit, widgets\nfrom jepa_lab.datasets import make_shapes\n"
        "images = make_shapes(8, 32, seed=0)[0]\ntorch.manual_seed(0)\n"
        "encoders = {name: vit.Encoder(image_size=32, patch_size=4, embed_dim=32, depth=2, num_heads=2).eval()\n"
        "            for name in ('a', 'b')}",
        "pca = widgets.pca_explorer(encoders, images)\npca",
        "print('explorer shown')",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nbformat.write(nb, tmp_path / "root" / "notebooks" / "pca_explorer.ipynb")

    def steps(page, url, token):
        _run_all(page, url, token, "notebooks/pca_explorer.ipynb", "explorer shown")
        _slider_redraws(page, "pca = widgets.pca_explorer")

    _in_browser(lab, "pca_explorer", steps)
