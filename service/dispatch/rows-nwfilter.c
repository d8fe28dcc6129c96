/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.libvirt.NWFilter: one object per network filter. The permissions are
 * libvirt's own (src/remote/remote_protocol.x, @acl). libvirt has no
 * events for filters: see rows-interface.c. */
#include "call.h"
#include "lifecycle.h"
#include "ops.h"

static const Row nwfilter_rows[] = {
        PROPERTY("Name", NWFILTER_NAME, "s"),
        PROPERTY("UUID", NWFILTER_UUID, "s"),

        METHOD("GetXMLDesc", ARGS("u", flags), RESULT("s", xml), .perms = { PERM("nwfilter", "read") },
               NWFILTER_STRING(virNWFilterGetXMLDesc)),
        METHOD("Undefine", NO_ARGS, NO_RESULT, .perms = { PERM("nwfilter", "delete") }, .flags = ROW_CHANGE,
               NWFILTER_VOID(virNWFilterUndefine)),
};

INTERFACE(nwfilter_interface, "org.libvirt.NWFilter", KIND_NWFILTER, ROWS(nwfilter_rows));
