#!/bin/sh
# The installed sysusers.d file, applied by systemd-sysusers to an empty
# /etc inside the DESTDIR, creates the service user and puts it in group
# libvirt. The machine's own user database is not touched.
#
# Arguments: BUILD_ROOT= SYSUSERS_FILE= SERVICE_USER=

. "$(dirname "$0")/lib.sh"

command -v systemd-sysusers >/dev/null || skip "systemd-sysusers not installed"
: "${SYSUSERS_FILE:?}" "${SERVICE_USER:?}"

do_install
mkdir -p "$DEST/etc"
# With --root, systemd-sysusers takes the file's real path.
if ! systemd-sysusers --root="$DEST" "$DEST$SYSUSERS_FILE" >"$WORK/sysusers.out" 2>&1; then
        cat "$WORK/sysusers.out" >&2
        fail "systemd-sysusers failed"
fi
cat "$WORK/sysusers.out"

line=$(grep "^$SERVICE_USER:" "$DEST/etc/passwd") || fail "no $SERVICE_USER in passwd"
echo "passwd: $line"
shell=${line##*:}
case "$shell" in
*/nologin | */false) ;;
*) fail "$SERVICE_USER has a login shell: $shell" ;;
esac
grep -q "^$SERVICE_USER:" "$DEST/etc/group" || fail "no group $SERVICE_USER"
libvirt=$(grep '^libvirt:' "$DEST/etc/group") || fail "no group libvirt"
echo "group: $libvirt"
case ",${libvirt##*:}," in
*",$SERVICE_USER,"*) ;;
*) fail "$SERVICE_USER is not a member of group libvirt" ;;
esac
echo "sysusers: all checks passed"
