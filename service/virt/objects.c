/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "domain.h"
#include "jobs.h"
#include "objects.h"
#include "util.h"

/* ---- domains ----------------------------------------------------------- */

static void domain_ref(void *h) {
        virDomainRef(h);
}

static void domain_unref(void *h) {
        virDomainFree(h);
}

static char *domain_key(void *h) {
        char uuid[VIR_UUID_STRING_BUFLEN];

        if (virDomainGetUUIDString(h, uuid) < 0)
                return NULL;
        return xstrdup(uuid);
}

static int domain_fetch(void *h, Value *f) {
        virDomainPtr dom = h;
        char uuid[VIR_UUID_STRING_BUFLEN];
        int state = 0, reason = 0, v, nparams = 0;
        unsigned int id;
        char *s;

        if (virDomainGetUUIDString(dom, uuid) < 0)
                return -1;
        f[DOM_UUID] = value_str(uuid);
        f[DOM_NAME] = value_str(virDomainGetName(dom));
        if (virDomainGetState(dom, &state, &reason, 0) < 0)
                return -1;
        f[DOM_STATE] = value_i32(state);
        f[DOM_REASON] = value_i32(reason);
        v = virDomainIsActive(dom);
        if (v < 0)
                return -1;
        f[DOM_ACTIVE] = value_bool(v);
        /* The id a virDomainPtr carries can be stale; ask again. */
        id = virDomainGetID(dom);
        f[DOM_ID] = value_u32(v && id != (unsigned int) -1 ? id : DOMAIN_ID_NONE);
        v = virDomainIsPersistent(dom);
        if (v < 0)
                return -1;
        f[DOM_PERSISTENT] = value_bool(v);
        if (virDomainGetAutostart(dom, &v) < 0)
                v = 0; /* transient domains have none */
        f[DOM_AUTOSTART] = value_bool(v);
        f[DOM_UPDATED] = value_bool(virDomainIsUpdated(dom) > 0);
        f[DOM_OSTYPE] = value_take_str(virDomainGetOSType(dom));
        s = virDomainGetSchedulerType(dom, &nparams);
        Value *sched = value_init_struct(&f[DOM_SCHEDULER], 2);
        sched[0] = value_take_str(s);
        sched[1] = value_i32(s ? nparams : 0);
        /* Optional facts must not leave an error behind for the caller. */
        virResetLastError();
        return 0;
}

static void *domain_lookup(virConnectPtr c, const char *key) {
        return virDomainLookupByUUIDString(c, key);
}

static int domain_list(virConnectPtr c, void ***handles) {
        virDomainPtr *doms = NULL;
        int n = virConnectListAllDomains(c, &doms, 0);

        *handles = (void **) doms;
        return n;
}

/* ---- jobs: virtbusd's own objects; the handle is what their workers share -- */

static void job_ref(void *h) {
        job_handle_ref(h);
}

static void job_unref(void *h) {
        job_handle_unref(h);
}

static const VirtKind virt_kinds[KIND_MAX] = {
        [KIND_DOMAIN] = { domain_ref, domain_unref, domain_key, domain_fetch, domain_lookup, domain_list,
                          VIR_ERR_NO_DOMAIN },
        /* Neither listed nor looked up in libvirt: the daemon makes them. */
        [KIND_JOB] = { job_ref, job_unref, NULL, NULL, NULL, NULL, VIR_ERR_OPERATION_INVALID },
};

const VirtKind *virt_kind(KindId k) {
        return k > KIND_CONNECT && k < KIND_MAX && virt_kinds[k].ref ? &virt_kinds[k] : NULL;
}

bool virt_kind_served(KindId k) {
        return virt_kind(k) != NULL;
}

void virt_free_handle(const Kind *k, void *handle) {
        const VirtKind *vk = virt_kind(k->id);

        if (vk && handle)
                vk->unref(handle);
}

int virt_fetch(KindId k, void *h, Value *facts) {
        const VirtKind *vk = virt_kind(k);

        facts_clear(kind_get(k), facts);
        if (!vk || !h)
                return -1;
        if (vk->fetch(h, facts) < 0) {
                facts_clear(kind_get(k), facts);
                return -1;
        }
        return 0;
}
