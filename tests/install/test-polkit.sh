#!/bin/sh
# The installed polkit actions and rules, loaded by a real polkitd on a
# private system bus, decide as documented:
#   - defaults: anyone may look (getattr, read, search-*) and monitor,
#     everything else, manage included, needs an administrator (pkcheck
#     reports a challenge);
#   - the service user, a member of group libvirt, is allowed every action
#     of the installed policy (manage first of all), and libvirt's
#     org.libvirt.unix.manage;
#   - the installed virtbusd, run as the service user on that bus, asks this
#     polkitd: nobody may read a domain's properties but not suspend it,
#     a member of group libvirt may;
#   - the example rule of authorization.md (alice's VMs) does what the text
#     says, with user nobody standing in for alice: to polkit, and through
#     the installed virtbusd (she sees and starts her VMs only).
# polkitd runs in a private mount namespace where its action and rule
# directories are replaced by temporary ones; the machine's are not touched.
#
# The service user is created if missing, as in the bus policy test.
#
# Arguments: BUILD_ROOT= POLKIT_ACTIONS_DIR= POLKIT_RULES_DIR= DOC_FILE=
#            SERVICE_USER= DBUS_POLICY_DIR= LIBEXECDIR=

. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root (mount namespace, runs processes as other users)"
polkitd=""
for p in /usr/lib/polkit-1/polkitd /usr/libexec/polkitd /usr/lib/polkit/polkitd; do
        [ -x "$p" ] && polkitd=$p && break
done
[ -n "$polkitd" ] || skip "polkitd not installed"
for tool in pkcheck dbus-daemon dbus-send gdbus unshare setpriv; do
        command -v $tool >/dev/null || skip "$tool not installed"
done
polkit_bus_conf=/usr/share/dbus-1/system.d/org.freedesktop.PolicyKit1.conf
[ -f $polkit_bus_conf ] || skip "no $polkit_bus_conf"
: "${POLKIT_ACTIONS_DIR:?}" "${POLKIT_RULES_DIR:?}" "${DOC_FILE:?}" "${SERVICE_USER:?}"
: "${DBUS_POLICY_DIR:?}" "${LIBEXECDIR:?}"

ensure_service_user
id nobody >/dev/null 2>&1 || skip "no user nobody"
do_install

# What polkitd will see: our actions (plus libvirt's own for
# org.libvirt.unix.manage, when installed), our rules, and an /etc rules
# directory of the test's own.
mkdir "$WORK/actions" "$WORK/rules" "$WORK/etc-rules" "$WORK/bus"
cp "$DEST$POLKIT_ACTIONS_DIR/org.libvirt.dbus.policy" "$WORK/actions/"
libvirt_unix=/usr/share/polkit-1/actions/org.libvirt.unix.policy
[ -f $libvirt_unix ] && cp $libvirt_unix "$WORK/actions/"
cp "$DEST$POLKIT_RULES_DIR/50-org.libvirt.dbus.rules" "$WORK/rules/"
chmod -R a+rX "$WORK"

start_private_bus "<include>$polkit_bus_conf</include>
  <includedir>$DEST$DBUS_POLICY_DIR</includedir>"

POLKITD_PID=""
start_polkitd() {
        # shellcheck disable=SC2016 # expanded by the inner shell
        unshare -m sh -c '
                mount --bind "$1/actions" /usr/share/polkit-1/actions &&
                mount --bind "$1/rules" /usr/share/polkit-1/rules.d &&
                mount --bind "$1/etc-rules" /etc/polkit-1/rules.d &&
                exec "$2" --no-debug' sh "$WORK" "$polkitd" >>"$WORK/polkitd.log" 2>&1 &
        POLKITD_PID=$!
        CLEANUP_PIDS="$CLEANUP_PIDS $POLKITD_PID"
        i=0
        until dbus-send --system --print-reply --dest=org.freedesktop.DBus / \
                        org.freedesktop.DBus.NameHasOwner string:org.freedesktop.PolicyKit1 \
                        2>/dev/null | grep -q 'boolean true'; do
                i=$((i + 1))
                [ $i -le 100 ] || { cat "$WORK/polkitd.log" >&2; fail "polkitd did not start"; }
                sleep 0.1
        done
}
stop_polkitd() {
        kill "$POLKITD_PID"
        wait "$POLKITD_PID" 2>/dev/null || true
}

# Subjects: a process of each user, for pkcheck --process.
SUBJECT_PID=""
start_subject() {
        setpriv --reuid="$(id -u "$1")" --regid="$(id -g "$1")" --init-groups -- \
                sleep 300 </dev/null >/dev/null 2>&1 &
        SUBJECT_PID=$!
        CLEANUP_PIDS="$CLEANUP_PIDS $SUBJECT_PID"
}
start_subject nobody
nobody_pid=$SUBJECT_PID
start_subject "$SERVICE_USER"
service_pid=$SUBJECT_PID

# expect RESULT USER PID ACTION [--detail KEY VALUE]...
# RESULT: yes (pkcheck 0), no (1) or challenge (2: needs authentication).
errors=0
expect() {
        want=$1 user=$2 pid=$3 action=$4
        shift 4
        rc=0
        pkcheck --action-id "$action" --process "$pid" "$@" >/dev/null 2>&1 || rc=$?
        case $rc in
        0) got=yes ;;
        1) got=no ;;
        2) got=challenge ;;
        *) got="error($rc)" ;;
        esac
        if [ "$got" = "$want" ]; then
                echo "ok: $user $action $* -> $got"
        else
                echo "WRONG: $user $action $* -> $got, expected $want" >&2
                errors=$((errors + 1))
        fi
}

actions=$(sed -n 's/.*<action id="\([^"]*\)".*/\1/p' "$WORK/actions/org.libvirt.dbus.policy" |
        grep '^org\.libvirt\.dbus\.')
[ -n "$actions" ] || fail "no actions in the installed policy"

start_polkitd
echo "--- shipped policy and rules"
echo "$actions" | grep -qx org.libvirt.dbus.manage || fail "the policy has no org.libvirt.dbus.manage"
echo "$actions" | grep -qx org.libvirt.dbus.monitor || fail "the policy has no org.libvirt.dbus.monitor"
for action in $actions; do
        case "${action#org.libvirt.dbus.}" in
        monitor | *.getattr | *.read | *.search-*) expect yes nobody "$nobody_pid" "$action" ;;
        *) expect challenge nobody "$nobody_pid" "$action" ;;
        esac
        expect yes "$SERVICE_USER" "$service_pid" "$action" --detail domain_name any
done
if [ -f "$WORK/actions/org.libvirt.unix.policy" ]; then
        expect yes "$SERVICE_USER" "$service_pid" org.libvirt.unix.manage
fi

echo "--- the installed virtbusd asks this polkitd"
setpriv --reuid="$(id -u "$SERVICE_USER")" --regid="$(id -g "$SERVICE_USER")" --init-groups -- \
        "$DEST$LIBEXECDIR/virtbusd" --system --connect Test=test:///default \
        </dev/null >"$WORK/virtbusd.log" 2>&1 &
virtbusd_pid=$!
CLEANUP_PIDS="$CLEANUP_PIDS $virtbusd_pid"
i=0
until dbus-send --system --print-reply --dest=org.freedesktop.DBus / \
                org.freedesktop.DBus.NameHasOwner string:org.libvirt \
                2>/dev/null | grep -q 'boolean true'; do
        i=$((i + 1))
        [ $i -le 100 ] || { cat "$WORK/virtbusd.log" >&2; fail "virtbusd did not take org.libvirt"; }
        sleep 0.1
done

# call USER METHOD-AND-ARGS...: gdbus call on the test domain as USER.
domain=""
call() {
        user=$1
        shift
        setpriv --reuid="$(id -u "$user")" --regid="$(id -g "$user")" --init-groups -- \
                gdbus call --system --dest org.libvirt --object-path "${domain:-/org/libvirt/Test}" "$@" 2>&1
}
i=0
until domain=$(call root --method org.libvirt.Connect.ListDomains 0 |
                grep -o "/org/libvirt/Test/domain/_[0-9a-f_]*" | head -n1) && [ -n "$domain" ]; do
        i=$((i + 1))
        [ $i -le 100 ] || { cat "$WORK/virtbusd.log" >&2; fail "virtbusd lists no test domain"; }
        sleep 0.1
done
state() {
        call root --method org.freedesktop.DBus.Properties.Get org.libvirt.Domain State
}
# expect_call yes|ERROR-NAME USER METHOD-AND-ARGS...
expect_call() {
        want=$1 user=$2
        shift 2
        if out=$(call "$user" "$@"); then
                got=yes
        else
                got=$(echo "$out" | sed -n 's/.*GDBus\.Error:\([A-Za-z0-9_.]*\).*/\1/p' | head -n1)
        fi
        if [ "$got" = "$want" ]; then
                echo "ok: $user $* -> $got"
        else
                echo "WRONG: $user $* -> ${got:-?} ($out), expected $want" >&2
                errors=$((errors + 1))
        fi
}
expect_call yes nobody --method org.freedesktop.DBus.Properties.Get org.libvirt.Domain Name
expect_call org.freedesktop.DBus.Error.InteractiveAuthorizationRequired \
        nobody --method org.libvirt.Domain.Suspend
[ "$(state)" = "(<1>,)" ] || fail "the domain changed state after a refused call: $(state)"
expect_call yes "$SERVICE_USER" --method org.libvirt.Domain.Suspend
[ "$(state)" = "(<3>,)" ] || fail "the domain is not paused after Suspend: $(state)"
expect_call yes "$SERVICE_USER" --method org.libvirt.Domain.Resume
[ "$(state)" = "(<1>,)" ] || fail "the domain is not running after Resume: $(state)"

echo "--- with the example rule of authorization.md (alice played by nobody)"
# The block that starts with the rule's file name, as the document shows it.
awk '/^```js/ { getline; if ($0 ~ /40-alice.rules/) f = 1 } /^```/ { f = 0 } f' "$DEST$DOC_FILE" |
        sed 's/subject.user != "alice"/subject.user != "nobody"/' >"$WORK/etc-rules/40-alice.rules"
grep -q 'subject.user != "nobody"' "$WORK/etc-rules/40-alice.rules" ||
        fail "the example rule was not found in $DOC_FILE"
chmod a+r "$WORK/etc-rules/40-alice.rules"
# A new polkitd surely has the rule (and virtbusd forgets every verdict).
stop_polkitd
start_polkitd
d=org.libvirt.dbus.domain
for perm in getattr read start stop hibernate; do
        expect yes nobody "$nobody_pid" $d.$perm --detail domain_name alice-web
        expect no nobody "$nobody_pid" $d.$perm --detail domain_name bob-db
done
for perm in write save delete init-control snapshot read-secure; do
        expect no nobody "$nobody_pid" $d.$perm --detail domain_name alice-web
done
# Not in her list, so refused: she is asked about each VM.
expect no nobody "$nobody_pid" org.libvirt.dbus.manage
expect no nobody "$nobody_pid" org.libvirt.dbus.monitor
expect yes nobody "$nobody_pid" org.libvirt.dbus.connect.search-domains
expect no nobody "$nobody_pid" org.libvirt.dbus.connect.write
# Other users are not affected by the rule.
expect yes "$SERVICE_USER" "$service_pid" $d.start --detail domain_name bob-db
expect yes "$SERVICE_USER" "$service_pid" org.libvirt.dbus.manage

# Through virtbusd: her VM alice-web and someone else's VM bob-db.
test_domain=$domain
domain=""
for name in alice-web bob-db; do
        call root --method org.libvirt.Connect.DomainDefineXML \
                "<domain type='test'><name>$name</name><memory>8192</memory><os><type>hvm</type></os></domain>" \
                >/dev/null || fail "cannot define $name"
done
alice_web=$(call root --method org.libvirt.Connect.DomainLookupByName alice-web | grep -o "/org/libvirt/Test/domain/_[0-9a-f_]*")
bob_db=$(call root --method org.libvirt.Connect.DomainLookupByName bob-db | grep -o "/org/libvirt/Test/domain/_[0-9a-f_]*")
[ -n "$alice_web" ] && [ -n "$bob_db" ] || fail "the domains defined are not found"
listed=$(call nobody --method org.libvirt.Connect.ListDomains 0)
case "$listed" in
*"$alice_web"*) ;;
*) fail "nobody-as-alice does not see alice-web: $listed" ;;
esac
case "$listed" in
*"$bob_db"* | *"$test_domain"*) fail "nobody-as-alice sees VMs that are not hers: $listed" ;;
esac
domain=$alice_web
expect_call yes nobody --method org.libvirt.Domain.Create 0
[ "$(state)" = "(<1>,)" ] || fail "alice-web is not running after her Create: $(state)"
expect_call org.freedesktop.DBus.Error.AccessDenied nobody --method org.libvirt.Domain.Suspend
[ "$(state)" = "(<1>,)" ] || fail "alice-web changed state after a refused Suspend: $(state)"
expect_call yes nobody --method org.libvirt.Domain.Destroy 0
[ "$(state)" = "(<5>,)" ] || fail "alice-web is not shut off after her Destroy: $(state)"
domain=$bob_db
expect_call org.freedesktop.DBus.Error.UnknownObject nobody --method org.libvirt.Domain.Create 0
[ "$(state)" = "(<5>,)" ] || fail "bob-db changed state after a refused call: $(state)"
kill "$virtbusd_pid"
wait "$virtbusd_pid" 2>/dev/null || true
stop_polkitd

if [ $errors != 0 ]; then
        cat "$WORK/polkitd.log" >&2
        fail "$errors polkit decision(s) differ from the documentation"
fi
echo "polkit: all decisions as documented"
