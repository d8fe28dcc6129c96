/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.libvirt.Interface: one object per host network interface, named by
 * its MAC address. The permissions are libvirt's own
 * (src/remote/remote_protocol.x, @acl). libvirt has no events for them:
 * what calls through virtbusd change is published at once, the rest is
 * noticed by a periodic listing (docs/architecture.md). */
#include "call.h"
#include "lifecycle.h"
#include "ops.h"

static const Row interface_rows[] = {
        PROPERTY("Active", IFACE_ACTIVE, "b", .perms = { PERM("interface", "read") }),
        PROPERTY("MAC", IFACE_MAC, "s"),
        PROPERTY("Name", IFACE_NAME, "s"),

        METHOD("Create", ARGS("u", flags), NO_RESULT, .perms = { PERM("interface", "start") }, .flags = ROW_CHANGE,
               IFACE_FLAGS(virInterfaceCreate)),
        METHOD("Destroy", ARGS("u", flags), NO_RESULT, .perms = { PERM("interface", "stop") }, .flags = ROW_CHANGE,
               IFACE_FLAGS(virInterfaceDestroy)),
        METHOD("GetXMLDesc", ARGS("u", flags), RESULT("s", xml), .perms = { PERM("interface", "read") },
               IFACE_STRING(virInterfaceGetXMLDesc)),
        METHOD("Undefine", NO_ARGS, NO_RESULT, .perms = { PERM("interface", "delete") }, .flags = ROW_CHANGE,
               IFACE_VOID(virInterfaceUndefine)),
};

INTERFACE(interface_interface, "org.libvirt.Interface", KIND_INTERFACE, ROWS(interface_rows));
