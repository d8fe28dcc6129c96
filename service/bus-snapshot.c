/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.libvirt.DomainSnapshot: snapshots are not cached; each call looks the
 * snapshot up by name on the worker. */
#include "auth.h"
#include "bus.h"
#include "util.h"

typedef struct SnapshotRef {
        DomainEntry *domain;
} SnapshotRef;

int snapshot_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
                         void **found, sd_bus_error *error) {
        Connection *c = userdata;
        char uuid[UUID_STRING_LEN + 1];
        _cleanup_free_ char *name = NULL;
        DomainEntry *e;

        if (!path_to_snapshot(c->snap_prefix, path, uuid, &name))
                return 0;
        e = conn_domain_get(c, uuid);
        if (!e || !auth_may_see(sd_bus_get_current_message(bus), e))
                return 0;
        *found = e;
        return 1;
}

/* A job on the snapshot named by the call's object path. */
static Job *snapshot_job(sd_bus_message *m, DomainEntry *e, JobClass klass, const char *permission,
                         job_run_t run, job_reply_t reply, sd_bus_error *error) {
        char uuid[UUID_STRING_LEN + 1];
        char *name = NULL;
        Job *j;

        if (!path_to_snapshot(e->conn->snap_prefix, sd_bus_message_get_path(m), uuid, &name)) {
                sd_bus_error_set(error, SD_BUS_ERROR_UNKNOWN_OBJECT, "No such snapshot object");
                return NULL;
        }
        j = domain_job_new(m, e, klass, permission, run, reply);
        j->object = "domain";
        j->s[2] = name;
        return j;
}

static virDomainSnapshotPtr lookup(Job *j) {
        virDomainSnapshotPtr s = virDomainSnapshotLookupByName(j->dom, j->s[2], 0);

        if (!s)
                job_fail(j);
        return s;
}

static void run_delete(Job *j) {
        virDomainSnapshotPtr s = lookup(j);

        if (!s)
                return;
        if (virDomainSnapshotDelete(s, j->u[0]) < 0)
                job_fail(j);
        else
                j->r = 0;
        virDomainSnapshotFree(s);
}

static void run_revert(Job *j) {
        virDomainSnapshotPtr s = lookup(j);

        if (!s)
                return;
        if (virDomainRevertToSnapshot(s, j->u[0]) < 0)
                job_fail(j);
        else {
                j->r = 0;
                job_capture_after(j, j->dom);
        }
        virDomainSnapshotFree(s);
}

static void run_get_parent(Job *j) {
        virDomainSnapshotPtr s = lookup(j), p;

        if (!s)
                return;
        p = virDomainSnapshotGetParent(s, j->u[0]);
        if (!p)
                job_fail(j);
        else {
                j->out_s = xstrdup(virDomainSnapshotGetName(p));
                virDomainSnapshotFree(p);
                j->r = 0;
        }
        virDomainSnapshotFree(s);
}

static int reply_parent(Job *j, sd_bus_message *reply) {
        _cleanup_free_ char *path = path_for_snapshot(j->conn->snap_prefix, j->uuid, j->out_s);

        return sd_bus_message_append(reply, "o", path);
}

static void run_get_xml(Job *j) {
        virDomainSnapshotPtr s = lookup(j);

        if (!s)
                return;
        j->out_s = virDomainSnapshotGetXMLDesc(s, j->u[0]);
        if (!j->out_s)
                job_fail(j);
        else
                j->r = 0;
        virDomainSnapshotFree(s);
}

static void run_is_current(Job *j) {
        virDomainSnapshotPtr s = lookup(j);
        int v;

        if (!s)
                return;
        v = virDomainSnapshotIsCurrent(s, j->u[0]);
        if (v < 0)
                job_fail(j);
        else {
                j->out_x = v;
                j->r = 0;
        }
        virDomainSnapshotFree(s);
}

static void run_list_children(Job *j) {
        virDomainSnapshotPtr s = lookup(j), *children = NULL;

        if (!s)
                return;
        take_snapshot_names(j, children, virDomainSnapshotListAllChildren(s, &children, j->u[0]));
        virDomainSnapshotFree(s);
}

static int snapshot_call(sd_bus_message *m, void *userdata, sd_bus_error *error, JobClass klass,
                         const char *permission, job_run_t run, job_reply_t reply) {
        Job *j = snapshot_job(m, userdata, klass, permission, run, reply, error);

        if (!j)
                return -ENOENT;
        return flags_only_job(m, j, error);
}

static int method_delete(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return snapshot_call(m, userdata, error, JOB_CHANGE, "snapshot", run_delete, NULL);
}

static int method_revert(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return snapshot_call(m, userdata, error, JOB_CHANGE, "snapshot", run_revert, NULL);
}

static int method_get_parent(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return snapshot_call(m, userdata, error, JOB_QUERY, "read", run_get_parent, reply_parent);
}

static int method_get_xml(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Job *j = snapshot_job(m, userdata, JOB_QUERY, "read", run_get_xml, reply_string, error);
        int r;

        if (!j)
                return -ENOENT;
        r = sd_bus_message_read(m, "u", &j->u[0]);
        if (r < 0) {
                job_free(j);
                return r;
        }
        if (j->u[0] & VIR_DOMAIN_SNAPSHOT_XML_SECURE)
                j->permission = "read-secure";
        return job_start(j, error);
}

static int method_is_current(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return snapshot_call(m, userdata, error, JOB_QUERY, "read", run_is_current, reply_bool);
}

static int method_list_children(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return snapshot_call(m, userdata, error, JOB_QUERY, "read", run_list_children, reply_snapshot_paths);
}

const sd_bus_vtable snapshot_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("Delete", SD_BUS_ARGS("u", flags), SD_BUS_NO_RESULT, method_delete,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetParent", SD_BUS_ARGS("u", flags), SD_BUS_RESULT("o", domainSnapshot),
                                method_get_parent, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetXMLDesc", SD_BUS_ARGS("u", flags), SD_BUS_RESULT("s", xml),
                                method_get_xml, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("IsCurrent", SD_BUS_ARGS("u", flags), SD_BUS_RESULT("b", domainSnapshot),
                                method_is_current, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListChildren", SD_BUS_ARGS("u", flags), SD_BUS_RESULT("ao", domainSnapshots),
                                method_list_children, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Revert", SD_BUS_ARGS("u", flags), SD_BUS_NO_RESULT, method_revert,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END
};
