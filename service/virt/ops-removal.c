/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Domain.UndefineWithStorage: a shut-off domain removed together with the
 * storage volumes its disks use, wiped first if the caller asks.
 *
 * The disks come from the domain's XML. Each must be a volume of a storage
 * pool libvirt knows (else nothing can be wiped or deleted through
 * libvirt), and no other domain may use it; otherwise nothing at all is
 * removed. CD-ROMs and floppies are left alone: they hold media, often
 * shared, not the guest's own data. The work runs as one job whose
 * progress counts the bytes wiped (without a wipe, the bytes deleted): the
 * volumes are wiped, then the domain is undefined (a failed wipe leaves it
 * defined, to be tried again), then the volumes are deleted. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "jobs.h"
#include "ops.h"
#include "util.h"
#include "xmlread.h"

/* libvirt's undefine flags that are passed on. */
#define LIBVIRT_UNDEFINE_FLAGS                                                          \
        (VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA |   \
         VIR_DOMAIN_UNDEFINE_NVRAM | VIR_DOMAIN_UNDEFINE_KEEP_NVRAM |                   \
         VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA | VIR_DOMAIN_UNDEFINE_TPM |          \
         VIR_DOMAIN_UNDEFINE_KEEP_TPM)

static const struct {
        const char *name;
        int algorithm;
} wipe_algorithms[] = {
        /* As virsh vol-wipe names them. */
        { "zero", VIR_STORAGE_VOL_WIPE_ALG_ZERO },
        { "nnsa", VIR_STORAGE_VOL_WIPE_ALG_NNSA },
        { "dod", VIR_STORAGE_VOL_WIPE_ALG_DOD },
        { "bsi", VIR_STORAGE_VOL_WIPE_ALG_BSI },
        { "gutmann", VIR_STORAGE_VOL_WIPE_ALG_GUTMANN },
        { "schneier", VIR_STORAGE_VOL_WIPE_ALG_SCHNEIER },
        { "pfitzner7", VIR_STORAGE_VOL_WIPE_ALG_PFITZNER7 },
        { "pfitzner33", VIR_STORAGE_VOL_WIPE_ALG_PFITZNER33 },
        { "random", VIR_STORAGE_VOL_WIPE_ALG_RANDOM },
        { "trim", VIR_STORAGE_VOL_WIPE_ALG_TRIM },
};

int wipe_algorithm_from_name(const char *name) {
        if (!name || !*name)
                return WIPE_NONE;
        for (size_t i = 0; i < ELEMENTSOF(wipe_algorithms); i++)
                if (streq(wipe_algorithms[i].name, name))
                        return wipe_algorithms[i].algorithm;
        return -1;
}

typedef struct Vol {
        virStorageVolPtr vol;
        char *disk;                     /* the disk that uses it ("vda") */
        char *path, *key, *name;
        char *pool_name;
        char pool_uuid[VIR_UUID_STRING_BUFLEN];
        unsigned long long capacity;
} Vol;

typedef struct Vols {
        Vol *v;
        size_t n;
} Vols;

static void vols_clear(Vols *l) {
        for (size_t i = 0; i < l->n; i++) {
                if (l->v[i].vol)
                        virStorageVolFree(l->v[i].vol);
                free(l->v[i].disk);
                free(l->v[i].path);
                free(l->v[i].key);
                free(l->v[i].name);
                free(l->v[i].pool_name);
        }
        free(l->v);
        l->v = NULL;
        l->n = 0;
}

/* The volume a disk source names, or NULL with libvirt's error set. */
static virStorageVolPtr source_volume(virConnectPtr vc, const XmlDisk *d) {
        if (streq(d->type, "volume") && d->pool && d->volume) {
                virStoragePoolPtr pool = virStoragePoolLookupByName(vc, d->pool);
                virStorageVolPtr vol = pool ? virStorageVolLookupByName(pool, d->volume) : NULL;
                if (pool)
                        virStoragePoolFree(pool);
                return vol;
        }
        if ((streq(d->type, "file") || streq(d->type, "block")) && d->path)
                return virStorageVolLookupByPath(vc, d->path);
        return NULL;
}

static bool is_media(const XmlDisk *d) {
        return streq(d->device, "cdrom") || streq(d->device, "floppy");
}

/* The volumes the disks of @dom use. On failure records why in @w. */
static int collect(Work *w, virDomainPtr dom, Vols *out) {
        _cleanup_free_ char *xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE);
        XmlDisk *disks = NULL;
        int n;

        if (!xml)
                return -1;
        n = xml_domain_disks(xml, false, &disks);
        if (n < 0) {
                work_fail_msg(w, VIR_ERR_XML_ERROR, "The domain's XML names no disks that can be read");
                return -1;
        }
        for (int i = 0; i < n; i++) {
                const XmlDisk *d = &disks[i];
                virStorageVolPtr vol;
                virStoragePoolPtr pool;
                virStorageVolInfo info;
                Vol *v;
                bool dup = false;

                if (is_media(d) || (!d->path && !d->volume && !streq(d->type, "network")))
                        continue; /* media, or an empty drive */
                vol = source_volume(w->vconn, d);
                if (!vol) {
                        virResetLastError();
                        work_fail_msg(w, VIR_ERR_NO_STORAGE_VOL,
                                      "Storage volume not found: disk %s (%s) is not a volume of a storage pool; "
                                      "nothing was removed", strna(d->target),
                                      d->path ? d->path : d->volume ? d->volume : d->type);
                        goto fail;
                }
                char *key = xstrdup(virStorageVolGetKey(vol));
                for (size_t k = 0; k < out->n; k++)
                        dup = dup || streq(out->v[k].key, key);
                if (dup) {
                        /* Two disks on one volume: it goes once. */
                        free(key);
                        virStorageVolFree(vol);
                        continue;
                }
                out->v = xrealloc(out->v, sizeof(Vol) * (out->n + 1));
                v = &out->v[out->n++];
                memset(v, 0, sizeof(*v));
                v->vol = vol;
                v->key = key;
                v->disk = xstrdup(d->target ? d->target : "");
                v->name = xstrdup(virStorageVolGetName(vol));
                v->path = virStorageVolGetPath(vol);
                if (!v->path)
                        goto fail_libvirt;
                pool = virStoragePoolLookupByVolume(vol);
                if (!pool)
                        goto fail_libvirt;
                v->pool_name = xstrdup(virStoragePoolGetName(pool));
                virStoragePoolGetUUIDString(pool, v->pool_uuid);
                virStoragePoolFree(pool);
                if (virStorageVolGetInfo(vol, &info) < 0)
                        goto fail_libvirt;
                v->capacity = info.capacity;
        }
        xml_disks_free(disks, (size_t) n);
        return 0;
fail_libvirt:
        work_fail(w);
fail:
        xml_disks_free(disks, (size_t) n);
        vols_clear(out);
        return -1;
}

static void vol_details(const Vol *v, Details *d) {
        /* As libvirt's polkit driver passes them for a storage volume. */
        details_set(d, "pool_name", v->pool_name);
        details_set(d, "pool_uuid", v->pool_uuid);
        details_set(d, "vol_name", v->name);
        details_set(d, "vol_key", v->key);
}

int op_domain_undefine_storage_resolve(Work *w) {
        Vols vols = { 0 };
        bool wipe = wipe_algorithm_from_name(work_str(w, 0)) != WIPE_NONE;

        /* Before authorization nothing about the disks is told: a disk
         * that is no volume is for the call itself to refuse, once the
         * caller has been found allowed. */
        if (collect(w, w->handle, &vols) < 0) {
                work_clear_results(w);
                virResetLastError();
                return 0;
        }
        for (size_t i = 0; i < vols.n; i++) {
                Details d = { 0 };
                vol_details(&vols.v[i], &d);
                work_need_perm(w, "storage-vol", "delete", &d);
                if (wipe)
                        work_need_perm(w, "storage-vol", "format", &d);
                details_clear(&d);
        }
        vols_clear(&vols);
        return 0;
}

bool op_domain_undefine_storage_probe(Work *w) {
        /* A dry run only looks. */
        return !(work_u32(w, 1) & VIRTBUS_UNDEFINE_STORAGE_DRY_RUN);
}

/* Whether every volume found now was authorized before (the domain may
 * have been redefined meanwhile). */
static bool authorized(const Work *w, const Vols *vols) {
        size_t deletes = 0;

        for (unsigned i = 0; i < w->nperms; i++)
                deletes += streq(w->perms[i].perm, "delete");
        if (deletes != vols->n)
                return false;
        for (size_t k = 0; k < vols->n; k++) {
                bool found = false;
                for (unsigned i = 0; i < w->nperms && !found; i++)
                        found = streq(w->perms[i].perm, "delete") &&
                                streq_ptr(details_get(&w->perms[i].details, "vol_key"), vols->v[k].key);
                if (!found)
                        return false;
        }
        return true;
}

static char *canonical(const char *path) {
        char buf[PATH_MAX];

        return xstrdup(path && realpath(path, buf) ? buf : path ? path : "");
}

/* Whether a source of another domain's disk is one of @vols. */
static const Vol *used_volume(Work *w, const Vols *vols, const XmlDisk *d) {
        _cleanup_free_ char *path = d->path ? canonical(d->path) : NULL;
        virStorageVolPtr vol;
        const Vol *hit = NULL;

        for (size_t k = 0; k < vols->n && path; k++) {
                _cleanup_free_ char *mine = canonical(vols->v[k].path);
                if (streq(path, mine))
                        return &vols->v[k];
        }
        if (!d->volume)
                return NULL;
        vol = source_volume(w->vconn, d);
        virResetLastError();
        for (size_t k = 0; vol && k < vols->n && !hit; k++)
                if (streq(virStorageVolGetKey(vol), vols->v[k].key))
                        hit = &vols->v[k];
        if (vol)
                virStorageVolFree(vol);
        return hit;
}

/* Refuses when another domain uses one of @vols, in its definition or, if
 * it runs, in its live disks and their backing chains. */
static int check_unshared(Work *w, virDomainPtr self, const Vols *vols) {
        virDomainPtr *doms = NULL;
        unsigned char me[VIR_UUID_BUFLEN], other[VIR_UUID_BUFLEN];
        int n = virConnectListAllDomains(w->vconn, &doms, 0), r = 0;

        if (n < 0)
                return -1;
        virDomainGetUUID(self, me);
        for (int i = 0; i < n && r == 0; i++) {
                if (virDomainGetUUID(doms[i], other) == 0 && memcmp(me, other, sizeof(me)) == 0)
                        continue;
                for (int pass = 0; pass < 2 && r == 0; pass++) {
                        unsigned flags = pass == 0 ? 0 : VIR_DOMAIN_XML_INACTIVE;
                        _cleanup_free_ char *xml = NULL;
                        XmlDisk *disks = NULL;
                        int nd;
                        if (pass == 1 && !(virDomainIsActive(doms[i]) > 0 && virDomainIsPersistent(doms[i]) > 0))
                                continue;
                        xml = virDomainGetXMLDesc(doms[i], flags);
                        if (!xml) {
                                /* Gone meanwhile: it uses nothing. */
                                virResetLastError();
                                continue;
                        }
                        nd = xml_domain_disks(xml, true, &disks);
                        for (int k = 0; k < nd && r == 0; k++) {
                                const Vol *hit = used_volume(w, vols, &disks[k]);
                                if (hit) {
                                        work_fail_msg(w, VIR_ERR_OPERATION_INVALID,
                                                      "Requested operation is not valid: volume %s (disk %s) is "
                                                      "also used by domain '%s'; nothing was removed",
                                                      hit->path, hit->disk, virDomainGetName(doms[i]));
                                        r = -1;
                                }
                        }
                        xml_disks_free(disks, nd > 0 ? (size_t) nd : 0);
                }
        }
        for (int i = 0; i < n; i++)
                virDomainFree(doms[i]);
        free(doms);
        return r;
}

static void out_paths(Work *w, const Vols *vols) {
        Value *v = value_init_array(&w->out[0], "s", vols->n);

        for (size_t i = 0; i < vols->n; i++)
                v[i] = value_str(vols->v[i].path);
}

int op_domain_undefine_with_storage(Work *w) {
        unsigned flags = work_u32(w, 1);
        int algorithm = wipe_algorithm_from_name(work_str(w, 0));
        bool dry = flags & VIRTBUS_UNDEFINE_STORAGE_DRY_RUN;
        uint64_t total = 0, done = 0;
        Vols vols = { 0 };
        int active, r = -1;

        active = virDomainIsActive(w->handle);
        if (active < 0)
                return -1;
        if (active) {
                work_fail_msg(w, VIR_ERR_OPERATION_INVALID,
                              "Requested operation is not valid: domain is running; only a shut-off domain is "
                              "removed with its storage");
                return -1;
        }
        if (collect(w, w->handle, &vols) < 0)
                return -1;
        if (!authorized(w, &vols)) {
                work_fail_msg(w, VIR_ERR_OPERATION_INVALID,
                              "Requested operation is not valid: the domain's disks changed while the call was "
                              "authorized; nothing was removed");
                goto out;
        }
        if (check_unshared(w, w->handle, &vols) < 0)
                goto out;
        if (dry) {
                out_paths(w, &vols);
                r = 0;
                goto out;
        }

        /* The bytes wiped count, or without a wipe the bytes deleted. */
        for (size_t i = 0; i < vols.n; i++)
                total += vols.v[i].capacity;
        if (w->job)
                job_count(w->job, 0, total);
        for (size_t i = 0; i < vols.n && algorithm != WIPE_NONE; i++) {
                if (virStorageVolWipePattern(vols.v[i].vol, (unsigned) algorithm, 0) < 0)
                        goto out;
                done += vols.v[i].capacity;
                if (w->job)
                        job_count(w->job, done, total);
        }
        if (virDomainUndefineFlags(w->handle, flags & LIBVIRT_UNDEFINE_FLAGS) < 0)
                goto out;
        for (size_t i = 0; i < vols.n; i++) {
                if (virStorageVolDelete(vols.v[i].vol, 0) < 0) {
                        virErrorPtr e = virGetLastError();
                        work_fail_msg(w, e ? e->code : VIR_ERR_INTERNAL_ERROR,
                                      "The domain was removed, but not volume %s: %s", vols.v[i].path,
                                      e && e->message ? e->message : "unknown error");
                        goto out;
                }
                if (algorithm == WIPE_NONE && w->job) {
                        done += vols.v[i].capacity;
                        job_count(w->job, done, total);
                }
        }
        out_paths(w, &vols);
        r = 0;
out:
        vols_clear(&vols);
        return r;
}
