/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.libvirt.DomainSnapshot: snapshots are not kept in a table; each call
 * looks the snapshot up by name on the worker, which libvirt allows with
 * domain read (an implicit permission of every member). */
#include "call.h"
#include "ops.h"

static const Row snapshot_rows[] = {
        METHOD("Delete", ARGS("u", flags), NO_RESULT, .perms = { PERM("domain", "snapshot") }, .flags = ROW_CHANGE,
               SNAP_FLAGS(virDomainSnapshotDelete)),
        METHOD("GetParent", ARGS("u", flags), RESULT("o", domainSnapshot), .run = op_snapshot_get_parent),
        METHOD("GetXMLDesc", ARGS("u", flags), RESULT("s", xml),
               .perms = { PERM_IF_FLAGS("domain", "read-secure", VIR_DOMAIN_SNAPSHOT_XML_SECURE) },
               SNAP_STRING(virDomainSnapshotGetXMLDesc)),
        METHOD("IsCurrent", ARGS("u", flags), RESULT("b", domainSnapshot), SNAP_INT(virDomainSnapshotIsCurrent)),
        METHOD("ListChildren", ARGS("u", flags), RESULT("ao", domainSnapshots), .run = op_snapshot_list_children),
        METHOD("Revert", ARGS("u", flags), NO_RESULT, .perms = { PERM("domain", "snapshot") },
               .flags = ROW_CHANGE | ROW_JOB, .job = "snapshot-revert", .job_probe = op_snapshot_revert_probe,
               SNAP_FLAGS(virDomainRevertToSnapshot)),
};

INTERFACE(snapshot_interface, "org.libvirt.DomainSnapshot", KIND_DOMAIN, .sub = true,
          .implicit = { PERM("domain", "read") }, ROWS(snapshot_rows));
