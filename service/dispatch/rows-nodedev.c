/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.libvirt.NodeDevice: one object per host device libvirt knows. The
 * permissions are libvirt's own (src/remote/remote_protocol.x, @acl). */
#include "call.h"
#include "lifecycle.h"
#include "ops.h"

static const Row nodedev_rows[] = {
        PROPERTY("Name", DEV_NAME, "s"),
        PROPERTY("Parent", DEV_PARENT, "s", .perms = { PERM("node-device", "read") }),

        METHOD("Destroy", NO_ARGS, NO_RESULT, .perms = { PERM("node-device", "stop") }, .flags = ROW_CHANGE,
               DEV_VOID(virNodeDeviceDestroy)),
        METHOD("Detach", ARGS("s", driverName, "u", flags), NO_RESULT, .perms = { PERM("node-device", "detach") },
               .flags = ROW_CHANGE, .run = op_nodedev_detach),
        METHOD("GetXMLDesc", ARGS("u", flags), RESULT("s", xml), .perms = { PERM("node-device", "read") },
               DEV_STRING(virNodeDeviceGetXMLDesc)),
        METHOD("ListCaps", NO_ARGS, RESULT("as", names), .perms = { PERM("node-device", "read") },
               .run = op_nodedev_list_caps),
        METHOD("ReAttach", NO_ARGS, NO_RESULT, .perms = { PERM("node-device", "detach") }, .flags = ROW_CHANGE,
               DEV_VOID(virNodeDeviceReAttach)),
        METHOD("Reset", NO_ARGS, NO_RESULT, .perms = { PERM("node-device", "detach") }, .flags = ROW_CHANGE,
               DEV_VOID(virNodeDeviceReset)),
};

INTERFACE(node_device_interface, "org.libvirt.NodeDevice", KIND_NODE_DEVICE, ROWS(nodedev_rows));
