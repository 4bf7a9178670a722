"""Screenshots of the console's main pages, for docs/console.md.

    python browser/screenshots.py            # or: bash browser/run.sh --screenshots

Starts a seeded `orgusers serve` (the browser suite's fixture data; binary from $ORGUSERS_BIN,
default target/release/orgusers), signs in with Debian's Chromium (/usr/bin/chromium) and
writes full-page PNGs of each page at 1280 and 390 CSS pixels wide to docs/console/
(NAME-1280.png, NAME-390.png). Pages that do not exist yet (404) are left out and named on
the way. Run it from the project's browser venv (run.sh makes it: target/browser-venv).
"""

import pathlib
import sys

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from conftest import CHROMIUM, ROOT, SEARCH_PROJECT, sign_in, start_server  # noqa: E402

OUT = ROOT / "docs" / "console"
WIDTHS = [1280, 390]
# name, path; "sign-in" is taken signed out.
PAGES = [
    ("sign-in", "/console/sign-in"),
    ("people", "/console/people"),
    ("person", "/console/people/user-alan-turing"),
    ("invites", "/console/invites"),
    ("projects", "/console/projects"),
    ("project-members", f"/console/projects/{SEARCH_PROJECT}/members"),
    ("roles", "/console/roles"),
    ("groups", "/console/groups"),
    ("audit-log", "/console/audit-log"),
    ("admin-keys", "/console/admin-keys"),
    ("emulator", "/console/emulator"),
]


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    tmp, server = start_server()
    written, missing = [], []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            for width in WIDTHS:
                context = browser.new_context(base_url=server.url, viewport={"width": width, "height": 800},
                                              device_scale_factor=1)
                page = context.new_page()
                page.goto("/console/sign-in")
                shot(page, "sign-in", width, written)
                sign_in(page)
                page.wait_for_url("**/console/people")
                if width == WIDTHS[0]:
                    # Some history for the audit log, made in the console as a person would.
                    page.goto("/console/people/user-ken-thompson")
                    page.get_by_label("Role", exact=True).select_option("owner")
                    page.get_by_role("button", name="Change role").click()
                    page.get_by_role("main").get_by_role("status").first.wait_for()
                for name, path in PAGES[1:]:
                    answer = page.goto(path)
                    if answer.status == 404:
                        if width == WIDTHS[0]:
                            missing.append(path)
                        continue
                    shot(page, name, width, written)
                context.close()
            browser.close()
    finally:
        server.stop()
        tmp.cleanup()
    for path in written:
        print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size // 1024} KiB)")
    for path in missing:
        print(f"left out {path}: the page does not exist yet (404)")


def shot(page, name, width, written):
    path = OUT / f"{name}-{width}.png"
    page.screenshot(path=str(path), full_page=True, animations="disabled", caret="hide")
    written.append(path)


if __name__ == "__main__":
    main()
