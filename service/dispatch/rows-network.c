/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.libvirt.Network: one object per virtual network. The permissions are
 * libvirt's own (src/remote/remote_protocol.x, @acl). */
#include "call.h"
#include "lifecycle.h"
#include "ops.h"

static const Row set_autostart = METHOD("Autostart", ARGS("b", autostart), NO_RESULT,
                                         .perms = { PERM("network", "write") }, .flags = ROW_CHANGE,
                                         .run = op_network_set_autostart);

#define READ_PROPERTY(name, index, sig) PROPERTY(name, index, sig, .perms = { PERM("network", "read") })

static const Row network_rows[] = {
        READ_PROPERTY("Active", NET_ACTIVE, "b"),
        PROPERTY("Autostart", NET_AUTOSTART, "b", .perms = { PERM("network", "read") }, .setter = &set_autostart),
        /* Known from the lookup: seeing the network is enough. */
        PROPERTY("Name", NET_NAME, "s"),
        READ_PROPERTY("Persistent", NET_PERSISTENT, "b"),
        PROPERTY("UUID", NET_UUID, "s"),

        METHOD("Create", NO_ARGS, NO_RESULT, .perms = { PERM("network", "start") }, .flags = ROW_CHANGE,
               NET_VOID(virNetworkCreate)),
        METHOD("Destroy", NO_ARGS, NO_RESULT, .perms = { PERM("network", "stop") }, .flags = ROW_CHANGE,
               NET_VOID(virNetworkDestroy)),
        METHOD("GetDHCPLeases", ARGS("s", mac, "u", flags), RESULT("a(sxisssuss)", leases),
               .perms = { PERM("network", "read") }, .run = op_network_get_dhcp_leases),
        METHOD("GetXMLDesc", ARGS("u", flags), RESULT("s", xml), .perms = { PERM("network", "read") },
               NET_STRING(virNetworkGetXMLDesc)),
        METHOD("Undefine", NO_ARGS, NO_RESULT, .perms = { PERM("network", "delete") }, .flags = ROW_CHANGE,
               NET_VOID(virNetworkUndefine)),
        METHOD("Update", ARGS("u", command, "u", section, "i", parentIndex, "s", xml, "u", flags), NO_RESULT,
               .perms = { PERM("network", "write"),
                          PERM_UNLESS_FLAGS("network", "save",
                                            VIR_NETWORK_UPDATE_AFFECT_CONFIG | VIR_NETWORK_UPDATE_AFFECT_LIVE),
                          PERM_IF_FLAGS("network", "save", VIR_NETWORK_UPDATE_AFFECT_CONFIG) },
               .checks = { XML_ARG(3, "Network XML") }, .flags = ROW_CHANGE, .run = op_network_update),
};

INTERFACE(network_interface, "org.libvirt.Network", KIND_NETWORK, ROWS(network_rows));
