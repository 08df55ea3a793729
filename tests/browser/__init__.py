"""Browser tests: real Chromium (Debian's /usr/bin/chromium) driving a live uvicorn server.

Fixtures are in ``conftest.py``; the checks every page must pass (layout at 320 px,
text size, tap targets, axe-core) and small actions (sign in/out) are in ``helpers.py``.
"""
