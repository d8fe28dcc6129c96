#!/usr/bin/env python3
"""Counts the TAP results of meson test runs: every 'ok', 'not ok' and SKIP
line of every test program, from meson-logs/testlog.json of each build dir.
A test program that crashed or timed out before printing its plan counts as
one failure, so nothing can pass by not running."""
import json
import re
import sys

passed = failed = skipped = 0
for build in sys.argv[1:]:
    try:
        lines = open(f"{build}/meson-logs/testlog.json").read().splitlines()
    except OSError:
        failed += 1
        continue
    for line in lines:
        t = json.loads(line)
        out = t.get("stdout") or ""
        if t.get("protocol", "tap") != "tap" and "1.." not in out:
            # Plain exit-code tests (scripts).
            res = t.get("result")
            if res == "OK":
                passed += 1
            elif res == "SKIP":
                skipped += 1
            else:
                failed += 1
            continue
        seen = 0
        for l in out.splitlines():
            m = re.match(r"^(not ok|ok)\b(.*)$", l)
            if not m:
                continue
            seen += 1
            if re.search(r"#\s*SKIP", m.group(2), re.I):
                skipped += 1
            elif m.group(1) == "ok":
                passed += 1
            else:
                failed += 1
        if seen == 0 or t.get("result") not in ("OK", "SKIP", "EXPECTEDFAIL"):
            if t.get("result") not in ("OK", "SKIP"):
                failed += 1
print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
