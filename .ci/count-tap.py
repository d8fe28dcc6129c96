#!/usr/bin/env python3
"""Counts the results of meson test runs from meson-logs/testlog.json of each
build dir given (or from each .json log named). A TAP program (one that printed a plan) counts each of its
'ok' / 'not ok' lines (SKIP directives as skipped); if it failed without a
'not ok' line (a crash, a timeout) that is one more failure. Any other test
counts once, by its result. A missing log is a failure, so nothing can pass
by not running."""
import json
import re
import sys

passed = failed = skipped = 0
for build in sys.argv[1:]:
    path = build if build.endswith(".json") else f"{build}/meson-logs/testlog.json"
    try:
        lines = open(path).read().splitlines()
    except OSError:
        failed += 1
        continue
    for line in lines:
        t = json.loads(line)
        out = t.get("stdout") or ""
        result = t.get("result")
        if not re.search(r"^1\.\.\d+", out, re.M):
            if result == "OK":
                passed += 1
            elif result == "SKIP":
                skipped += 1
            else:
                failed += 1
            continue
        bad = 0
        for l in out.splitlines():
            m = re.match(r"^(not ok|ok)\b(.*)$", l)
            if not m:
                continue
            if re.search(r"#\s*SKIP", m.group(2), re.I):
                skipped += 1
            elif m.group(1) == "ok":
                passed += 1
            else:
                bad += 1
        if result not in ("OK", "SKIP") and bad == 0:
            bad = 1
        failed += bad
print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
