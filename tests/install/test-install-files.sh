#!/bin/sh
# Install into a DESTDIR, then check that every file that must be
# installed is in its place, and that the configured files were filled in.
#
# Arguments: BUILD_ROOT= LIBEXECDIR= SERVICE_USER= and one expect=PATH per
# installed file (absolute, without the DESTDIR).

. "$(dirname "$0")/lib.sh"

: "${LIBEXECDIR:?}" "${SERVICE_USER:?}"

do_install

echo "installed files:"
(cd "$DEST" && find . \( -type f -o -type l \) | sed 's|^\.||' | sort | sed 's|^|  |')

missing=0
for path in $EXPECTED; do
        if [ -f "$DEST$path" ] && [ -s "$DEST$path" ]; then
                echo "ok: $path"
        else
                echo "MISSING or empty: $path" >&2
                missing=$((missing + 1))
        fi
done
[ $missing = 0 ] || fail "$missing expected file(s) missing"

[ -x "$DEST$LIBEXECDIR/virtbusd" ] || fail "$LIBEXECDIR/virtbusd is not executable"

# Configured files: no placeholder left, the daemon path and the service user
# filled in.
for path in $EXPECTED; do
        case "$path" in
        *.service | *.conf | *.rules | *.policy)
                if grep -n '@[A-Za-z_]*@' "$DEST$path"; then
                        fail "unsubstituted placeholder in $path"
                fi
                ;;
        esac
done
for path in $EXPECTED; do
        case "$path" in
        */virtbusd.service | */virtbusd-session.service)
                grep -q "^ExecStart=$LIBEXECDIR/virtbusd --s" "$DEST$path" ||
                        fail "$path does not start $LIBEXECDIR/virtbusd"
                ;;
        */system-services/org.libvirt.service)
                grep -q "^Exec=$LIBEXECDIR/virtbusd --system\$" "$DEST$path" ||
                        fail "$path does not run $LIBEXECDIR/virtbusd --system"
                grep -q "^User=$SERVICE_USER\$" "$DEST$path" || fail "$path: wrong User="
                grep -q "^SystemdService=virtbusd.service\$" "$DEST$path" ||
                        fail "$path: wrong SystemdService="
                ;;
        */services/org.libvirt.service)
                grep -q "^Exec=$LIBEXECDIR/virtbusd --session\$" "$DEST$path" ||
                        fail "$path does not run $LIBEXECDIR/virtbusd --session"
                ;;
        */system.d/org.libvirt.conf)
                grep -q "<policy user=\"$SERVICE_USER\">" "$DEST$path" ||
                        fail "$path does not name the service user"
                ;;
        */actions/org.libvirt.dbus.policy)
                # Each action names the service user as its owner, or polkit
                # refuses to let virtbusd check it for its callers.
                n_actions=$(grep -c '<action id=' "$DEST$path")
                n_owner=$(grep -c "<annotate key=\"org.freedesktop.policykit.owner\">unix-user:$SERVICE_USER</annotate>" "$DEST$path")
                if [ "$n_actions" = 0 ] || [ "$n_actions" != "$n_owner" ]; then
                        fail "$path: $n_owner of $n_actions actions name $SERVICE_USER as owner"
                fi
                ;;
        */sysusers.d/virtbus.conf)
                grep -q "^u $SERVICE_USER " "$DEST$path" || fail "$path does not create $SERVICE_USER"
                grep -q "^m $SERVICE_USER libvirt\$" "$DEST$path" ||
                        fail "$path does not put $SERVICE_USER in group libvirt"
                ;;
        esac
done
grep -q "^User=$SERVICE_USER\$" "$DEST$SYSTEM_UNIT" || fail "virtbusd.service: wrong User="

# Well-formed XML; the polkit policy also against polkit's DTD when present.
if command -v xmllint >/dev/null; then
        for path in $EXPECTED; do
                case "$path" in
                *.xml | *.policy | */system.d/*.conf)
                        xmllint --noout --nonet "$DEST$path" || fail "$path is not well-formed XML"
                        ;;
                esac
                case "$path" in
                *.policy)
                        dtd=/usr/share/polkit-1/policyconfig-1.dtd
                        if [ -f $dtd ]; then
                                xmllint --noout --nonet --dtdvalid $dtd "$DEST$path" ||
                                        fail "$path does not follow polkit's DTD"
                        fi
                        ;;
                esac
        done
else
        echo "xmllint not installed: XML not checked"
fi

echo "install layout: all checks passed"
