#!/bin/sh
# The installed system bus policy (org.libvirt.conf) on a private bus that
# is configured like the system bus (default deny) and includes the
# INSTALLED system.d directory:
#   - root and the service user may own org.libvirt, nobody may not;
#   - anyone may call the owner of org.libvirt and get the reply, while the
#     same call to a connection that does not own org.libvirt is refused
#     (so the permission comes from our policy, not from a lax bus).
#
# Arguments: BUILD_ROOT= DBUS_POLICY_DIR= SERVICE_USER= BUSPROBE=

. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root (creates the service user, runs clients as other users)"
command -v dbus-daemon >/dev/null || skip "dbus-daemon not installed"
command -v setpriv >/dev/null || skip "setpriv not installed"
: "${DBUS_POLICY_DIR:?}" "${SERVICE_USER:?}" "${BUSPROBE:?}"

do_install
policy_dir="$DEST$DBUS_POLICY_DIR"
[ -f "$policy_dir/org.libvirt.conf" ] || fail "org.libvirt.conf not installed in $DBUS_POLICY_DIR"

ensure_service_user
id nobody >/dev/null 2>&1 || skip "no user nobody"

# The clients run as other users: give them a copy they can execute.
cp "$BUSPROBE" "$WORK/busprobe"
chmod 755 "$WORK/busprobe"


start_private_bus "<includedir>$policy_dir</includedir>"
echo "private system bus at $DBUS_SYSTEM_BUS_ADDRESS"

as_user() {
        user=$1
        shift
        setpriv --reuid="$(id -u "$user")" --regid="$(id -g "$user")" --init-groups -- "$@"
}

# expect_ok USER DESCRIPTION COMMAND...
expect_ok() {
        user=$1 what=$2
        shift 2
        if out=$(as_user "$user" "$WORK/busprobe" "$@"); then
                echo "ok: $user $what"
        else
                fail "$user $what: refused ($out)"
        fi
}

# expect_denied USER DESCRIPTION COMMAND...
expect_denied() {
        user=$1 what=$2
        shift 2
        if out=$(as_user "$user" "$WORK/busprobe" "$@"); then
                fail "$user $what: allowed, should be refused"
        fi
        [ "$out" = org.freedesktop.DBus.Error.AccessDenied ] ||
                fail "$user $what: failed with '$out', expected AccessDenied"
        echo "ok: $user may not $what"
}

expect_ok root "may own org.libvirt" own org.libvirt
expect_ok "$SERVICE_USER" "may own org.libvirt" own org.libvirt
expect_denied nobody "own org.libvirt" own org.libvirt

# Keep org.libvirt owned by the service user, and a second connection of the
# same user that owns nothing, then call both as nobody.
as_user "$SERVICE_USER" "$WORK/busprobe" hold org.libvirt >"$WORK/hold1.out" &
CLEANUP_PIDS="$CLEANUP_PIDS $!"
as_user "$SERVICE_USER" "$WORK/busprobe" hold >"$WORK/hold2.out" &
CLEANUP_PIDS="$CLEANUP_PIDS $!"
i=0
until [ -s "$WORK/hold1.out" ] && [ -s "$WORK/hold2.out" ]; do
        i=$((i + 1))
        [ $i -le 100 ] || fail "the holding clients did not come up"
        sleep 0.1
done
other=$(head -n1 "$WORK/hold2.out")

expect_ok nobody "may call org.libvirt and get the reply" ping org.libvirt
expect_denied nobody "call a connection that does not own org.libvirt ($other)" ping "$other"

# That a call which the bus lets through is then decided by polkit, the
# installed virtbusd asking a real polkitd, is checked by install-polkit.

echo "bus policy: all checks passed"
