"""Debian's headless Chromium, driven through chromedriver (WebDriver), with every host but
127.0.0.1 out of reach: names of other hosts do not resolve, and any other address goes to a proxy
that does not exist. What a page loaded, how soon it painted and how much it weighed come from the
browser's own performance timeline."""

from __future__ import annotations

import base64
import shutil
import socket
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).resolve().parents[2] / "reports" / "screenshots"
TIMEOUT = 60.0  # a page condition on a loaded machine


def dead_port() -> int:
    """A port of 127.0.0.1 where nothing listens: the proxy every other host is sent to."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Browser:
    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="chromium-profile-")
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-dev-shm-usage", "--window-size=1280,900", f"--user-data-dir={self.profile}",
                     # the network to other hosts, blocked: no name resolves but 127.0.0.1's, and every
                     # connection not to the loopback goes through a proxy that refuses it
                     "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                     f"--proxy-server=http://127.0.0.1:{dead_port()}"):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        self.driver.set_page_load_timeout(TIMEOUT)

    def quit(self) -> None:
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)

    def open(self, url: str) -> None:
        """`url` in a fresh page; what an earlier page logged is dropped."""
        self.driver.get("about:blank")
        self.driver.get_log("browser")
        self.driver.get(url)

    def wait(self, predicate, what: str, timeout: float = TIMEOUT):
        """Wait until `predicate(driver)` is truthy; a failure says what was awaited and shows the page."""
        try:
            return WebDriverWait(self.driver, timeout, poll_frequency=0.25).until(predicate)
        except Exception as exc:
            body = self.driver.find_element("tag name", "body").text[:3000]
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}; the page shows:\n{body}") from exc

    def text(self, element_id: str) -> str:
        return self.driver.execute_script("const e = document.getElementById(arguments[0]); "
                                          "return e ? e.textContent : null;", element_id)

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        size = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
        shot = self.driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True,
                                                                      "clip": clip})
        path.write_bytes(base64.b64decode(shot["data"]))  # the whole page, not only its first screen
        return path

    def requested_urls(self) -> list[str]:
        """Every URL the page asked for (document, scripts, styles, fetches), from its timeline."""
        return self.driver.execute_script(
            "return [location.href, ...performance.getEntriesByType('resource').map((e) => e.name)];")

    def load_figures(self) -> dict:
        """First paint (ms after navigation started) and the bytes of the document and its resources."""
        self.wait(lambda d: d.execute_script("return performance.getEntriesByType('paint').length > 0"),
                  "the first paint recorded")
        return self.driver.execute_script("""
            const paint = performance.getEntriesByType('paint');
            const first = paint.find((e) => e.name === 'first-contentful-paint') || paint[0];
            const nav = performance.getEntriesByType('navigation')[0];
            const resources = performance.getEntriesByType('resource');
            return {first_paint_ms: first ? first.startTime : null,
                    bytes: nav.transferSize + resources.reduce((sum, e) => sum + e.transferSize, 0),
                    decoded_bytes: nav.decodedBodySize + resources.reduce((sum, e) => sum + e.decodedBodySize, 0),
                    // the page itself: document, scripts, styles (not the data it fetches)
                    asset_bytes: nav.decodedBodySize + resources.filter((e) => e.initiatorType !== 'fetch')
                      .reduce((sum, e) => sum + e.decodedBodySize, 0),
                    requests: 1 + resources.length};""")

    def console_errors(self) -> list[str]:
        return [entry["message"] for entry in self.driver.get_log("browser") if entry["level"] == "SEVERE"]


def only_local(urls: list[str], origin: str) -> list[str]:
    """The URLs that are not on `origin` (what must be empty)."""
    want = urlsplit(origin)
    return [u for u in urls if (urlsplit(u).scheme, urlsplit(u).netloc) != (want.scheme, want.netloc)
            and not u.startswith("data:")]


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.25)
