"""Make ``docs/explorer.png``, the README's picture: the tour's Explorer in JupyterLab.

Starts JupyterLab and Debian's headless Chromium with the browser-test harness, runs the
tour, and saves a screenshot of its Explorer (figure, controls and readout) as a student
sees it. Run: .venv/bin/python docs/make_screenshot.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "browser"))
import jupyter_harness as harness  # noqa: E402


def main() -> None:
    chromium = harness.find_chromium()
    if chromium is None:
        raise SystemExit("Chromium not found: install Debian's chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="lossviz-screenshot-") as tmp:
        tmp = Path(tmp)
        harness.prepare_notebooks(REPO / "notebooks", tmp / "notebooks")
        server = harness.start_jupyterlab(tmp / "notebooks", tmp / "home")
        try:
            with sync_playwright() as playwright:
                browser = harness.launch_chromium(playwright, chromium)
                try:
                    _, page = harness.new_local_page(browser)
                    harness.open_notebook(page, server, "01_tour.ipynb")
                    assert harness.restart_and_run_all(page)
                    harness.assert_no_errors(page)
                    harness.find_canvas(page)
                    explorer = page.locator(".lossviz-explorer").first
                    explorer.scroll_into_view_if_needed()
                    page.wait_for_timeout(1500)  # the readout and the last frame
                    explorer.screenshot(path=str(REPO / "docs" / "explorer.png"))
                finally:
                    browser.close()
        finally:
            server.stop()
    print(f"wrote {REPO / 'docs' / 'explorer.png'}")


if __name__ == "__main__":
    main()
