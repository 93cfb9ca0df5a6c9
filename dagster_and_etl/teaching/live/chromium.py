"""Debian's Chromium, as the browser tests and the UI screenshots launch it through Playwright.

Playwright cannot download its own browsers here, so both use the system's (`apt-get install
chromium`; `.ci/run` installs it). The flags keep a headless run quiet and self-contained: no
sandbox (CI runs as root), no GPU, and no background traffic (updates, sync, QUIC).
"""

from __future__ import annotations

from pathlib import Path

EXECUTABLE = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
