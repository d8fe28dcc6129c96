#!/bin/sh
# systemd-analyze security on the installed system unit. Prints the exposure
# score and the settings that still count against it; fails only if the
# command itself fails, never because of the score.
#
# Arguments: BUILD_ROOT= SYSTEM_UNIT=

. "$(dirname "$0")/lib.sh"

command -v systemd-analyze >/dev/null || skip "systemd-analyze not installed"
: "${SYSTEM_UNIT:?}"

do_install

if ! systemd-analyze security --offline=yes --root="$DEST" --no-pager "$SYSTEM_UNIT" \
                >"$WORK/security.out" 2>&1; then
        cat "$WORK/security.out" >&2
        fail "systemd-analyze security failed"
fi
echo "settings that still add exposure:"
grep '^✗' "$WORK/security.out" || echo "  (none)"
score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' "$WORK/security.out")
[ -n "$score" ] || { cat "$WORK/security.out" >&2; fail "no exposure score in the output"; }
echo "exposure score of $(basename "$SYSTEM_UNIT"): $score"
