/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <libvirt/virterror.h>

#include "domain.h"
#include "util.h"

const char *const domain_prop_names[DOMAIN_PROP_COUNT] = {
        "Active", "Autostart", "Id", "Name", "OSType", "Persistent",
        "SchedulerType", "Updated", "State", "StateReason",
};

void domain_info_clear(DomainInfo *info) {
        free(info->name);
        free(info->os_type);
        free(info->sched_type);
        info->name = info->os_type = info->sched_type = NULL;
}

void domain_info_copy(DomainInfo *dst, const DomainInfo *src) {
        domain_info_clear(dst);
        *dst = *src;
        dst->name = xstrdup(src->name);
        dst->os_type = xstrdup(src->os_type);
        dst->sched_type = xstrdup(src->sched_type);
}

int domain_info_fetch(virDomainPtr dom, DomainInfo *out) {
        int state = 0, reason = 0, v;
        unsigned int id;
        char *s;

        memset(out, 0, sizeof(*out));
        if (virDomainGetUUIDString(dom, out->uuid) < 0)
                return -1;
        out->name = xstrdup(virDomainGetName(dom));
        if (virDomainGetState(dom, &state, &reason, 0) < 0)
                return -1;
        out->state = state;
        out->reason = reason;
        /* The id a virDomainPtr carries can be stale; ask again. */
        id = virDomainGetID(dom);
        out->id = id == (unsigned int) -1 ? DOMAIN_ID_NONE : id;
        v = virDomainIsActive(dom);
        if (v < 0)
                return -1;
        out->active = v;
        if (!out->active)
                out->id = DOMAIN_ID_NONE;
        v = virDomainIsPersistent(dom);
        if (v < 0)
                return -1;
        out->persistent = v;
        if (virDomainGetAutostart(dom, &v) < 0)
                v = 0; /* transient domains have none */
        out->autostart = !!v;
        v = virDomainIsUpdated(dom);
        out->updated = v > 0;
        s = virDomainGetOSType(dom);
        out->os_type = s ? s : xstrdup("");
        s = virDomainGetSchedulerType(dom, &v);
        out->sched_type = s ? s : xstrdup("");
        out->sched_nparams = s ? v : 0;
        /* Optional facts must not leave an error behind for the caller. */
        virResetLastError();
        return 0;
}

unsigned domain_info_diff(const DomainInfo *a, const DomainInfo *b) {
        unsigned m = 0;

        if (a->active != b->active)
                m |= DOMAIN_PROP_ACTIVE;
        if (a->autostart != b->autostart)
                m |= DOMAIN_PROP_AUTOSTART;
        if (a->id != b->id)
                m |= DOMAIN_PROP_ID;
        if (!streq_ptr(a->name, b->name))
                m |= DOMAIN_PROP_NAME;
        if (!streq_ptr(a->os_type, b->os_type))
                m |= DOMAIN_PROP_OSTYPE;
        if (a->persistent != b->persistent)
                m |= DOMAIN_PROP_PERSISTENT;
        if (!streq_ptr(a->sched_type, b->sched_type) || a->sched_nparams != b->sched_nparams)
                m |= DOMAIN_PROP_SCHEDULER;
        if (a->updated != b->updated)
                m |= DOMAIN_PROP_UPDATED;
        if (a->state != b->state)
                m |= DOMAIN_PROP_STATE;
        if (a->reason != b->reason)
                m |= DOMAIN_PROP_REASON;
        return m;
}

void domain_prop_names_for(unsigned mask, const char **names) {
        size_t n = 0;

        for (unsigned i = 0; i < DOMAIN_PROP_COUNT; i++)
                if (mask & (1u << i))
                        names[n++] = domain_prop_names[i];
        names[n] = NULL;
}

/* Lifecycle event details and state reasons are separate enums in libvirt;
 * these tables say which reason libvirt itself records for each detail. */
static int32_t started_reason(int detail) {
        switch (detail) {
        case VIR_DOMAIN_EVENT_STARTED_BOOTED: return VIR_DOMAIN_RUNNING_BOOTED;
        case VIR_DOMAIN_EVENT_STARTED_MIGRATED: return VIR_DOMAIN_RUNNING_MIGRATED;
        case VIR_DOMAIN_EVENT_STARTED_RESTORED: return VIR_DOMAIN_RUNNING_RESTORED;
        case VIR_DOMAIN_EVENT_STARTED_FROM_SNAPSHOT: return VIR_DOMAIN_RUNNING_FROM_SNAPSHOT;
        case VIR_DOMAIN_EVENT_STARTED_WAKEUP: return VIR_DOMAIN_RUNNING_WAKEUP;
        default: return VIR_DOMAIN_RUNNING_UNKNOWN;
        }
}

static int32_t resumed_reason(int detail) {
        switch (detail) {
        case VIR_DOMAIN_EVENT_RESUMED_UNPAUSED: return VIR_DOMAIN_RUNNING_UNPAUSED;
        case VIR_DOMAIN_EVENT_RESUMED_MIGRATED: return VIR_DOMAIN_RUNNING_MIGRATED;
        case VIR_DOMAIN_EVENT_RESUMED_FROM_SNAPSHOT: return VIR_DOMAIN_RUNNING_FROM_SNAPSHOT;
        case VIR_DOMAIN_EVENT_RESUMED_POSTCOPY: return VIR_DOMAIN_RUNNING_POSTCOPY;
        default: return VIR_DOMAIN_RUNNING_UNKNOWN;
        }
}

static int32_t suspended_reason(int detail) {
        switch (detail) {
        case VIR_DOMAIN_EVENT_SUSPENDED_PAUSED: return VIR_DOMAIN_PAUSED_USER;
        case VIR_DOMAIN_EVENT_SUSPENDED_MIGRATED: return VIR_DOMAIN_PAUSED_MIGRATION;
        case VIR_DOMAIN_EVENT_SUSPENDED_IOERROR: return VIR_DOMAIN_PAUSED_IOERROR;
        case VIR_DOMAIN_EVENT_SUSPENDED_WATCHDOG: return VIR_DOMAIN_PAUSED_WATCHDOG;
        case VIR_DOMAIN_EVENT_SUSPENDED_RESTORED: return VIR_DOMAIN_PAUSED_FROM_SNAPSHOT;
        case VIR_DOMAIN_EVENT_SUSPENDED_FROM_SNAPSHOT: return VIR_DOMAIN_PAUSED_FROM_SNAPSHOT;
        case VIR_DOMAIN_EVENT_SUSPENDED_API_ERROR: return VIR_DOMAIN_PAUSED_UNKNOWN;
        case VIR_DOMAIN_EVENT_SUSPENDED_POSTCOPY: return VIR_DOMAIN_PAUSED_POSTCOPY;
        case VIR_DOMAIN_EVENT_SUSPENDED_POSTCOPY_FAILED: return VIR_DOMAIN_PAUSED_POSTCOPY_FAILED;
        default: return VIR_DOMAIN_PAUSED_UNKNOWN;
        }
}

static int32_t stopped_reason(int detail) {
        switch (detail) {
        case VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN: return VIR_DOMAIN_SHUTOFF_SHUTDOWN;
        case VIR_DOMAIN_EVENT_STOPPED_DESTROYED: return VIR_DOMAIN_SHUTOFF_DESTROYED;
        case VIR_DOMAIN_EVENT_STOPPED_CRASHED: return VIR_DOMAIN_SHUTOFF_CRASHED;
        case VIR_DOMAIN_EVENT_STOPPED_MIGRATED: return VIR_DOMAIN_SHUTOFF_MIGRATED;
        case VIR_DOMAIN_EVENT_STOPPED_SAVED: return VIR_DOMAIN_SHUTOFF_SAVED;
        case VIR_DOMAIN_EVENT_STOPPED_FAILED: return VIR_DOMAIN_SHUTOFF_FAILED;
        case VIR_DOMAIN_EVENT_STOPPED_FROM_SNAPSHOT: return VIR_DOMAIN_SHUTOFF_FROM_SNAPSHOT;
        default: return VIR_DOMAIN_SHUTOFF_UNKNOWN;
        }
}

void domain_state_for_event(int event, int detail, int32_t *state, int32_t *reason) {
        switch (event) {
        case VIR_DOMAIN_EVENT_STARTED:
                *state = VIR_DOMAIN_RUNNING;
                *reason = started_reason(detail);
                break;
        case VIR_DOMAIN_EVENT_RESUMED:
                *state = VIR_DOMAIN_RUNNING;
                *reason = resumed_reason(detail);
                break;
        case VIR_DOMAIN_EVENT_SUSPENDED:
                *state = VIR_DOMAIN_PAUSED;
                *reason = suspended_reason(detail);
                break;
        case VIR_DOMAIN_EVENT_STOPPED:
                *state = VIR_DOMAIN_SHUTOFF;
                *reason = stopped_reason(detail);
                break;
        case VIR_DOMAIN_EVENT_PMSUSPENDED:
                *state = VIR_DOMAIN_PMSUSPENDED;
                *reason = VIR_DOMAIN_PMSUSPENDED_UNKNOWN;
                break;
        case VIR_DOMAIN_EVENT_CRASHED:
                *state = VIR_DOMAIN_CRASHED;
                *reason = detail == VIR_DOMAIN_EVENT_CRASHED_PANICKED
                        ? VIR_DOMAIN_CRASHED_PANICKED : VIR_DOMAIN_CRASHED_UNKNOWN;
                break;
        default:
                /* DEFINED, UNDEFINED and SHUTDOWN leave the run state alone. */
                break;
        }
}

bool domain_apply_lifecycle(DomainInfo *info, int event, int detail, uint32_t id) {
        switch (event) {
        case VIR_DOMAIN_EVENT_DEFINED:
                /* Defining a running domain's new config marks it updated. */
                if (info->active && info->persistent && detail == VIR_DOMAIN_EVENT_DEFINED_UPDATED)
                        info->updated = true;
                info->persistent = true;
                return false;
        case VIR_DOMAIN_EVENT_UNDEFINED:
                /* A rename undefines the old name and defines the new one
                 * under the same UUID: the object stays and changes Name. */
                if (detail == VIR_DOMAIN_EVENT_UNDEFINED_RENAMED)
                        return false;
                info->persistent = false;
                info->autostart = false;
                return !info->active;
        case VIR_DOMAIN_EVENT_STOPPED:
                domain_state_for_event(event, detail, &info->state, &info->reason);
                info->active = false;
                info->id = DOMAIN_ID_NONE;
                info->updated = false;
                return !info->persistent;
        case VIR_DOMAIN_EVENT_STARTED:
        case VIR_DOMAIN_EVENT_RESUMED:
        case VIR_DOMAIN_EVENT_SUSPENDED:
        case VIR_DOMAIN_EVENT_PMSUSPENDED:
        case VIR_DOMAIN_EVENT_CRASHED:
                domain_state_for_event(event, detail, &info->state, &info->reason);
                info->active = true;
                if (id != DOMAIN_ID_NONE)
                        info->id = id;
                return false;
        default:
                return false;
        }
}

/* A chained hash table keyed by the UUID string; it grows by doubling so
 * lookups stay O(1) at tens of thousands of domains. */
struct DomainTable {
        DomainNode **buckets;
        size_t nbuckets;
        size_t size;
};

static size_t uuid_hash(const char *s) {
        size_t h = 1469598103934665603ull;

        for (; *s; s++)
                h = (h ^ (unsigned char) *s) * 1099511628211ull;
        return h;
}

DomainTable *domain_table_new(void) {
        DomainTable *t = xmalloc0(sizeof(*t));

        t->nbuckets = 64;
        t->buckets = xmalloc0(t->nbuckets * sizeof(*t->buckets));
        return t;
}

void domain_table_free(DomainTable *t, void (*free_node)(DomainNode *)) {
        if (!t)
                return;
        for (size_t i = 0; i < t->nbuckets; i++)
                for (DomainNode *n = t->buckets[i], *next; n; n = next) {
                        next = n->hnext;
                        free_node(n);
                }
        free(t->buckets);
        free(t);
}

DomainNode *domain_table_get(DomainTable *t, const char *uuid) {
        for (DomainNode *n = t->buckets[uuid_hash(uuid) & (t->nbuckets - 1)]; n; n = n->hnext)
                if (streq(n->info.uuid, uuid))
                        return n;
        return NULL;
}

static void grow(DomainTable *t) {
        size_t nb = t->nbuckets * 2;
        DomainNode **b = xmalloc0(nb * sizeof(*b));

        for (size_t i = 0; i < t->nbuckets; i++)
                for (DomainNode *n = t->buckets[i], *next; n; n = next) {
                        next = n->hnext;
                        size_t h = uuid_hash(n->info.uuid) & (nb - 1);
                        n->hnext = b[h];
                        b[h] = n;
                }
        free(t->buckets);
        t->buckets = b;
        t->nbuckets = nb;
}

void domain_table_put(DomainTable *t, DomainNode *n) {
        size_t h;

        if (t->size + 1 > t->nbuckets)
                grow(t);
        h = uuid_hash(n->info.uuid) & (t->nbuckets - 1);
        n->hnext = t->buckets[h];
        t->buckets[h] = n;
        t->size++;
}

void domain_table_remove(DomainTable *t, DomainNode *n) {
        DomainNode **p = &t->buckets[uuid_hash(n->info.uuid) & (t->nbuckets - 1)];

        for (; *p; p = &(*p)->hnext)
                if (*p == n) {
                        *p = n->hnext;
                        n->hnext = NULL;
                        t->size--;
                        return;
                }
}

size_t domain_table_size(DomainTable *t) {
        return t->size;
}

DomainNode *domain_table_next(DomainTable *t, size_t *bucket, DomainNode *prev) {
        if (prev && prev->hnext)
                return prev->hnext;
        for (size_t i = prev ? *bucket + 1 : *bucket; i < t->nbuckets; i++)
                if (t->buckets[i]) {
                        *bucket = i;
                        return t->buckets[i];
                }
        *bucket = t->nbuckets;
        return NULL;
}
