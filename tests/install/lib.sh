# Shared by the install tests. Sourced, not run.
#
# Each test installs the build tree into a fresh DESTDIR of its own with
# `ninja install` (which runs the `meson install` of the meson that
# configured the build) and checks the result there. Nothing is installed on
# the machine itself.
#
# The meson.build of this directory passes the installed paths as
# NAME=VALUE arguments; they are absolute paths below the prefix, without
# the DESTDIR.

set -eu

fail() {
        echo "FAIL: $*" >&2
        exit 1
}

skip() {
        echo "SKIP: $*"
        exit 77
}

# Parse NAME=VALUE arguments into shell variables (NAME must be an
# identifier); every expect=PATH is added to EXPECTED (paths without spaces).
EXPECTED=""
for arg in "$@"; do
        case "$arg" in
        expect=*)
                EXPECTED="$EXPECTED ${arg#expect=}"
                ;;
        [A-Za-z_]*=*)
                name=${arg%%=*}
                eval "$name=\${arg#*=}"
                ;;
        *)
                fail "unexpected argument: $arg"
                ;;
        esac
done

: "${BUILD_ROOT:?BUILD_ROOT= missing}"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/virtbus-install-test.XXXXXX")
CLEANUP_PIDS=""
cleanup() {
        for pid in $CLEANUP_PIDS; do
                kill "$pid" 2>/dev/null || true
                wait "$pid" 2>/dev/null || true
        done
        rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM
# Processes started as other users need to reach files in here.
chmod 755 "$WORK"

DEST="$WORK/dest"

do_install() {
        if ! DESTDIR="$DEST" "${NINJA:-ninja}" -C "$BUILD_ROOT" install \
                        >"$WORK/install.log" 2>&1; then
                cat "$WORK/install.log" >&2
                fail "installing into a DESTDIR failed"
        fi
}

# Make sure the service user exists as the installed sysusers.d file
# describes it (see the install-sysusers test): a system user without a
# login shell, member of group libvirt. Needs root.
ensure_service_user() {
        if ! getent group libvirt >/dev/null; then
                echo "creating system group libvirt"
                groupadd --system libvirt || fail "groupadd libvirt failed"
        fi
        if ! id "$SERVICE_USER" >/dev/null 2>&1; then
                echo "creating system user $SERVICE_USER"
                useradd --system --no-create-home --home-dir / --shell /usr/sbin/nologin \
                        --groups libvirt "$SERVICE_USER" || fail "useradd $SERVICE_USER failed"
        elif ! id -nG "$SERVICE_USER" | tr ' ' '\n' | grep -qx libvirt; then
                echo "adding $SERVICE_USER to group libvirt"
                usermod --append --groups libvirt "$SERVICE_USER" || fail "usermod failed"
        fi
}

# Starts a private system bus with the system bus's default policy plus the
# configuration lines in $1 (the policy files under test), waits for its
# address and exports it as DBUS_SYSTEM_BUS_ADDRESS; cleanup() stops it.
start_private_bus() {
        mkdir -p "$WORK/bus"
        chmod 755 "$WORK/bus"
        cat >"$WORK/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$WORK/bus/system_bus_socket</listen>
  <auth>EXTERNAL</auth>
  <!-- The default policy of the system bus. -->
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Introspectable"/>
    <deny send_destination="org.freedesktop.DBus"
          send_interface="org.freedesktop.DBus"
          send_member="UpdateActivationEnvironment"/>
  </policy>
  $1
</busconfig>
CONF
        dbus-daemon --config-file="$WORK/bus.conf" --nofork --nopidfile \
                --print-address=1 >"$WORK/bus.address" 2>"$WORK/bus.log" &
        CLEANUP_PIDS="$!"
        i=0
        until [ -s "$WORK/bus.address" ]; do
                i=$((i + 1))
                [ $i -le 100 ] || { cat "$WORK/bus.log" >&2; fail "private bus did not start"; }
                sleep 0.1
        done
        DBUS_SYSTEM_BUS_ADDRESS=$(head -n1 "$WORK/bus.address")
        export DBUS_SYSTEM_BUS_ADDRESS
}
