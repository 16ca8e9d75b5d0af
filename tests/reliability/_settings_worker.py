"""Subprocess worker for the settings-file durability tests (run as ``python -m tests.reliability._settings_worker``).

``updates PATH PREFIX COUNT``: COUNT updates of distinct keys ``PREFIX-<i>`` (created if missing) via SettingsFile.
``loop PATH``: rewrite the secret ``version`` with 0, 1, 2, ... (plus a large padding value) until killed; prints
``started`` once the first write is done.
"""

from __future__ import annotations

import sys

from lp_toolbelt.secrets_store import SettingsFile

PADDING = "p" * 200_000  # a big document keeps each write long enough to be interrupted


def version_doc_value(i: int) -> dict[str, object]:
    """The value written as version ``i`` (the test recognises a complete write by it)."""
    return {"n": i, "padding": PADDING, "check": f"end-{i}"}


def main(argv: list[str]) -> int:
    command, path = argv[0], argv[1]
    settings = SettingsFile(path)
    if command == "updates":
        prefix, count = argv[2], int(argv[3])
        for i in range(count):
            settings.set(f"{prefix}-{i}", {"writer": prefix, "i": i}, create=True)
        return 0
    if command == "loop":
        i = 0
        while True:
            settings.set("version", version_doc_value(i), create=True)
            if i == 0:
                print("started", flush=True)
            i += 1
    raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
