#!/bin/sh
# systemd-analyze verify on the installed units, with the installed daemon
# and man page present: it must exit 0 and print nothing.
#
# Arguments: BUILD_ROOT= SYSTEM_UNIT= USER_UNIT= LIBEXECDIR= MANDIR=
#            MAN_PAGE= (empty when the man page is not built)

. "$(dirname "$0")/lib.sh"

command -v systemd-analyze >/dev/null || skip "systemd-analyze not installed"
: "${SYSTEM_UNIT:?}" "${USER_UNIT:?}" "${LIBEXECDIR:?}" "${MANDIR:?}"

do_install

# Documentation=man:virtbusd(8) is checked against the installed page, when
# there is one.
MANPATH="$DEST$MANDIR"
export MANPATH
man_check=--man=yes
if [ -z "${MAN_PAGE:-}" ]; then
        echo "man page not built: Documentation= not checked"
        man_check=--man=no
fi

# The system unit is verified inside the DESTDIR (--root), so ExecStart= finds
# the installed daemon. systemd-analyze also loads the units it depends on
# (sysinit.target, ...) from that root: give it the machine's.
host_units=/usr/lib/systemd/system
[ -d $host_units ] || host_units=/lib/systemd/system
mkdir -p "$DEST/usr/lib/systemd"
cp -a $host_units "$DEST/usr/lib/systemd/"

run_verify() {
        what=$1
        shift
        if ! systemd-analyze "$@" >"$WORK/verify.out" 2>&1; then
                cat "$WORK/verify.out" >&2
                fail "systemd-analyze verify failed for $what"
        fi
        if [ -s "$WORK/verify.out" ]; then
                cat "$WORK/verify.out" >&2
                fail "systemd-analyze verify warned about $what"
        fi
        echo "ok: $what"
}

run_verify "$SYSTEM_UNIT" verify $man_check --root="$DEST" "$SYSTEM_UNIT"

# systemd 252 cannot combine --user with --root: verify a copy of the user
# unit whose ExecStart= points into the DESTDIR instead. (The install layout
# test checks the real ExecStart= path.)
mkdir "$WORK/user-unit" "$WORK/runtime"
chmod 700 "$WORK/runtime"
unit=$(basename "$USER_UNIT")
sed "s|^ExecStart=$LIBEXECDIR/|ExecStart=$DEST$LIBEXECDIR/|" "$DEST$USER_UNIT" >"$WORK/user-unit/$unit"
grep -q "^ExecStart=$DEST$LIBEXECDIR/virtbusd" "$WORK/user-unit/$unit" ||
        fail "unexpected ExecStart= in $USER_UNIT"
XDG_RUNTIME_DIR="$WORK/runtime" run_verify "$USER_UNIT" --user verify $man_check "$WORK/user-unit/$unit"

echo "systemd-analyze verify: all units clean"
