/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "domain.h"
#include "jobs.h"
#include "lifecycle.h"
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

/* ---- networks ---------------------------------------------------------- */

static void network_ref(void *h) {
        virNetworkRef(h);
}

static void network_unref(void *h) {
        virNetworkFree(h);
}

static char *network_key(void *h) {
        char uuid[VIR_UUID_STRING_BUFLEN];

        return virNetworkGetUUIDString(h, uuid) < 0 ? NULL : xstrdup(uuid);
}

static int network_fetch(void *h, Value *f) {
        char uuid[VIR_UUID_STRING_BUFLEN];
        int active, persistent, autostart = 0;

        if (virNetworkGetUUIDString(h, uuid) < 0)
                return -1;
        active = virNetworkIsActive(h);
        persistent = active < 0 ? -1 : virNetworkIsPersistent(h);
        if (persistent < 0)
                return -1;
        if (virNetworkGetAutostart(h, &autostart) < 0)
                autostart = 0; /* transient networks have none */
        f[NET_ACTIVE] = value_bool(active);
        f[NET_AUTOSTART] = value_bool(autostart);
        f[NET_NAME] = value_str(virNetworkGetName(h));
        f[NET_PERSISTENT] = value_bool(persistent);
        f[NET_UUID] = value_str(uuid);
        virResetLastError();
        return 0;
}

static void *network_lookup(virConnectPtr c, const char *key) {
        return virNetworkLookupByUUIDString(c, key);
}

static int network_list(virConnectPtr c, void ***handles) {
        virNetworkPtr *v = NULL;
        int n = virConnectListAllNetworks(c, &v, 0);

        *handles = (void **) v;
        return n;
}

/* ---- storage pools ----------------------------------------------------- */

static void pool_ref(void *h) {
        virStoragePoolRef(h);
}

static void pool_unref(void *h) {
        virStoragePoolFree(h);
}

static char *pool_key(void *h) {
        char uuid[VIR_UUID_STRING_BUFLEN];

        return virStoragePoolGetUUIDString(h, uuid) < 0 ? NULL : xstrdup(uuid);
}

static int pool_fetch(void *h, Value *f) {
        char uuid[VIR_UUID_STRING_BUFLEN];
        int active, persistent, autostart = 0;

        if (virStoragePoolGetUUIDString(h, uuid) < 0)
                return -1;
        active = virStoragePoolIsActive(h);
        persistent = active < 0 ? -1 : virStoragePoolIsPersistent(h);
        if (persistent < 0)
                return -1;
        if (virStoragePoolGetAutostart(h, &autostart) < 0)
                autostart = 0;
        f[POOL_ACTIVE] = value_bool(active);
        f[POOL_AUTOSTART] = value_bool(autostart);
        f[POOL_NAME] = value_str(virStoragePoolGetName(h));
        f[POOL_PERSISTENT] = value_bool(persistent);
        f[POOL_UUID] = value_str(uuid);
        virResetLastError();
        return 0;
}

static void *pool_lookup(virConnectPtr c, const char *key) {
        return virStoragePoolLookupByUUIDString(c, key);
}

static int pool_list(virConnectPtr c, void ***handles) {
        virStoragePoolPtr *v = NULL;
        int n = virConnectListAllStoragePools(c, &v, 0);

        *handles = (void **) v;
        return n;
}

/* ---- storage volumes --------------------------------------------------- */

static void vol_ref(void *h) {
        virStorageVolRef(h);
}

static void vol_unref(void *h) {
        virStorageVolFree(h);
}

static char *vol_key(void *h) {
        const char *key = virStorageVolGetKey(h);

        return key ? xstrdup(key) : NULL;
}

static int vol_fetch(void *h, Value *f) {
        char uuid[VIR_UUID_STRING_BUFLEN];
        virStoragePoolPtr pool;
        char *path;

        /* Its pool, for polkit's details (libvirt's pool_name and
         * pool_uuid) and for keeping the volume current with its pool. */
        pool = virStoragePoolLookupByVolume(h);
        if (!pool)
                return -1;
        if (virStoragePoolGetUUIDString(pool, uuid) < 0) {
                virStoragePoolFree(pool);
                return -1;
        }
        f[VOL_POOL_NAME] = value_str(virStoragePoolGetName(pool));
        f[VOL_POOL_UUID] = value_str(uuid);
        virStoragePoolFree(pool);
        path = virStorageVolGetPath(h);
        if (!path)
                return -1;
        f[VOL_NAME] = value_str(virStorageVolGetName(h));
        f[VOL_KEY] = value_str(virStorageVolGetKey(h));
        f[VOL_PATH] = value_take_str(path);
        return 0;
}

static void *vol_lookup(virConnectPtr c, const char *key) {
        return virStorageVolLookupByKey(c, key);
}

/* Every volume of every active pool: libvirt lists none for an inactive
 * pool, and neither does the table. */
static int vol_list(virConnectPtr c, void ***handles) {
        virStoragePoolPtr *pools = NULL;
        void **all = NULL;
        int npools = virConnectListAllStoragePools(c, &pools, VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE);
        size_t n = 0;

        if (npools < 0)
                return -1;
        for (int i = 0; i < npools; i++) {
                virStorageVolPtr *vols = NULL;
                int nv = virStoragePoolListAllVolumes(pools[i], &vols, 0);
                if (nv < 0) {
                        /* Stopped meanwhile: it has none now. */
                        virResetLastError();
                        nv = 0;
                }
                all = xrealloc(all, sizeof(void *) * (n + (size_t) nv + 1));
                for (int j = 0; j < nv; j++)
                        all[n++] = vols[j];
                free(vols);
                virStoragePoolFree(pools[i]);
        }
        free(pools);
        *handles = all;
        return (int) n;
}

/* ---- secrets ----------------------------------------------------------- */

static void secret_ref(void *h) {
        virSecretRef(h);
}

static void secret_unref(void *h) {
        virSecretFree(h);
}

static char *secret_key(void *h) {
        char uuid[VIR_UUID_STRING_BUFLEN];

        return virSecretGetUUIDString(h, uuid) < 0 ? NULL : xstrdup(uuid);
}

static int secret_fetch(void *h, Value *f) {
        char uuid[VIR_UUID_STRING_BUFLEN];
        virSecretPtr now;
        int type;

        if (virSecretGetUUIDString(h, uuid) < 0)
                return -1;
        /* Everything a handle says is local: asking libvirt again is what
         * tells whether the secret still exists (after Undefine). */
        now = virSecretLookupByUUIDString(virSecretGetConnect(h), uuid);
        if (!now)
                return -1;
        virSecretFree(now);
        type = virSecretGetUsageType(h);
        if (type < 0)
                return -1;
        f[SECRET_UUID] = value_str(uuid);
        f[SECRET_USAGE_ID] = value_str(virSecretGetUsageID(h));
        f[SECRET_USAGE_TYPE] = value_i32(type);
        virResetLastError();
        return 0;
}

static void *secret_lookup(virConnectPtr c, const char *key) {
        return virSecretLookupByUUIDString(c, key);
}

static int secret_list(virConnectPtr c, void ***handles) {
        virSecretPtr *v = NULL;
        int n = virConnectListAllSecrets(c, &v, 0);

        *handles = (void **) v;
        return n;
}

/* ---- node devices ------------------------------------------------------ */

static void nodedev_ref(void *h) {
        virNodeDeviceRef(h);
}

static void nodedev_unref(void *h) {
        virNodeDeviceFree(h);
}

static char *nodedev_key(void *h) {
        const char *name = virNodeDeviceGetName(h);

        return name ? xstrdup(name) : NULL;
}

static int nodedev_fetch(void *h, Value *f) {
        const char *name = virNodeDeviceGetName(h);

        /* The handle's name and parent are local: asking libvirt something
         * tells whether the device still exists (after Destroy). */
        if (!name || virNodeDeviceNumOfCaps(h) < 0)
                return -1;
        f[DEV_NAME] = value_str(name);
        /* The root device has no parent: "". */
        f[DEV_PARENT] = value_str(virNodeDeviceGetParent(h));
        virResetLastError();
        return 0;
}

static void *nodedev_lookup(virConnectPtr c, const char *key) {
        return virNodeDeviceLookupByName(c, key);
}

static int nodedev_list(virConnectPtr c, void ***handles) {
        virNodeDevicePtr *v = NULL;
        int n = virConnectListAllNodeDevices(c, &v, 0);

        *handles = (void **) v;
        return n;
}

/* ---- host interfaces ----------------------------------------------------- */

static void iface_ref(void *h) {
        virInterfaceRef(h);
}

static void iface_unref(void *h) {
        virInterfaceFree(h);
}

static char *iface_key(void *h) {
        const char *mac = virInterfaceGetMACString(h);

        return mac ? xstrdup(mac) : NULL;
}

static int iface_fetch(void *h, Value *f) {
        const char *mac = virInterfaceGetMACString(h);
        int active;

        if (!mac)
                return -1;
        active = virInterfaceIsActive(h);
        if (active < 0)
                return -1;
        f[IFACE_ACTIVE] = value_bool(active);
        f[IFACE_MAC] = value_str(mac);
        f[IFACE_NAME] = value_str(virInterfaceGetName(h));
        return 0;
}

static void *iface_lookup(virConnectPtr c, const char *key) {
        return virInterfaceLookupByMACString(c, key);
}

static int iface_list(virConnectPtr c, void ***handles) {
        virInterfacePtr *v = NULL;
        int n = virConnectListAllInterfaces(c, &v, 0);

        *handles = (void **) v;
        return n;
}

/* ---- network filters ----------------------------------------------------- */

static void nwfilter_ref(void *h) {
        virNWFilterRef(h);
}

static void nwfilter_unref(void *h) {
        virNWFilterFree(h);
}

static char *nwfilter_key(void *h) {
        char uuid[VIR_UUID_STRING_BUFLEN];

        return virNWFilterGetUUIDString(h, uuid) < 0 ? NULL : xstrdup(uuid);
}

static int nwfilter_fetch(void *h, Value *f) {
        char uuid[VIR_UUID_STRING_BUFLEN];
        char *xml;

        if (virNWFilterGetUUIDString(h, uuid) < 0)
                return -1;
        /* The handle's name and UUID are local: asking libvirt for the
         * definition tells whether the filter still exists. */
        xml = virNWFilterGetXMLDesc(h, 0);
        if (!xml)
                return -1;
        free(xml);
        f[NWFILTER_NAME] = value_str(virNWFilterGetName(h));
        f[NWFILTER_UUID] = value_str(uuid);
        return 0;
}

static void *nwfilter_lookup(virConnectPtr c, const char *key) {
        return virNWFilterLookupByUUIDString(c, key);
}

static int nwfilter_list(virConnectPtr c, void ***handles) {
        virNWFilterPtr *v = NULL;
        int n = virConnectListAllNWFilters(c, &v, 0);

        *handles = (void **) v;
        return n;
}

/* ---- the registry ------------------------------------------------------ */

#define VIRT_KIND(p, no) { p##_ref, p##_unref, p##_key, p##_fetch, p##_lookup, p##_list, (no) }

/* ---- jobs: virtbusd's own objects; the handle is what their workers share -- */

static void job_ref(void *h) {
        job_handle_ref(h);
}

static void job_unref(void *h) {
        job_handle_unref(h);
}

static const VirtKind virt_kinds[KIND_MAX] = {
        [KIND_DOMAIN] = VIRT_KIND(domain, VIR_ERR_NO_DOMAIN),
        [KIND_NETWORK] = VIRT_KIND(network, VIR_ERR_NO_NETWORK),
        [KIND_STORAGE_POOL] = VIRT_KIND(pool, VIR_ERR_NO_STORAGE_POOL),
        [KIND_STORAGE_VOL] = VIRT_KIND(vol, VIR_ERR_NO_STORAGE_VOL),
        [KIND_SECRET] = VIRT_KIND(secret, VIR_ERR_NO_SECRET),
        [KIND_NODE_DEVICE] = VIRT_KIND(nodedev, VIR_ERR_NO_NODE_DEVICE),
        [KIND_INTERFACE] = VIRT_KIND(iface, VIR_ERR_NO_INTERFACE),
        [KIND_NWFILTER] = VIRT_KIND(nwfilter, VIR_ERR_NO_NWFILTER),
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
