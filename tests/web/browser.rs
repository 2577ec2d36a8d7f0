//! The browser test (headless Chromium over WebDriver) — see `browser.py`.
