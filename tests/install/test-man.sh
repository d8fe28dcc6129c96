#!/bin/sh
# The installed man page renders without warnings.
#
# Arguments: BUILD_ROOT= MAN_PAGE= (empty when the page is not built)

. "$(dirname "$0")/lib.sh"

[ -n "${MAN_PAGE:-}" ] || skip "man page not built (scdoc missing or -Dman=disabled)"
command -v man >/dev/null || skip "man not installed"

do_install
page="$DEST$MAN_PAGE"
[ -f "$page" ] || fail "$MAN_PAGE not installed"

warnings=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null) || fail "man failed: $warnings"
[ -z "$warnings" ] || fail "man warns about $MAN_PAGE: $warnings"
lines=$(MANWIDTH=80 man -l "$page" 2>/dev/null | wc -l)
[ "$lines" -gt 50 ] || fail "$MAN_PAGE renders to only $lines lines"
echo "ok: $MAN_PAGE renders cleanly ($lines lines)"
