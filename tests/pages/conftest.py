"""A headless Chromium per test module (Debian's chromium and chromedriver)."""

import pytest

from .browser import Browser


@pytest.fixture(scope="module")
def browser():
    browser = Browser()
    yield browser
    browser.quit()
