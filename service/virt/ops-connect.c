/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Worker functions of org.libvirt.Connect members. */
#include <stddef.h>
#include <stdio.h>

#include "objects.h"
#include "ops.h"
#include "paths.h"
#include "pool.h"
#include "util.h"
#include "xmlcheck.h"

int op_connect_baseline_cpu(Work *w) {
        const Value *xmls = work_arg(w, 0);
        _cleanup_free_ const char **v = xmalloc0(sizeof(char *) * (xmls->items.n + 1));
        char *s;

        for (size_t i = 0; i < xmls->items.n; i++)
                v[i] = value_get_str(&xmls->items.v[i]);
        s = virConnectBaselineCPU(w->vconn, v, (unsigned) xmls->items.n, work_u32(w, 1));
        if (!s)
                return -1;
        w->out[0] = value_take_str(s);
        return 0;
}

int op_connect_compare_cpu(Work *w) {
        int v = virConnectCompareCPU(w->vconn, work_str(w, 0), work_u32(w, 1));

        if (v == VIR_CPU_COMPARE_ERROR)
                return -1;
        w->out[0] = value_i32(v);
        return 0;
}

int op_connect_create_xml(Work *w) {
        return work_found(w, KIND_DOMAIN, virDomainCreateXML(w->vconn, work_str(w, 0), work_u32(w, 1)), 0);
}

/* The descriptors of an "ah" argument, as libvirt wants them. */
static int *fds_of(const Value *v, unsigned *n) {
        int *fds = xmalloc0(sizeof(int) * (v->items.n + 1));

        for (size_t i = 0; i < v->items.n; i++)
                fds[i] = v->items.v[i].fd;
        *n = (unsigned) v->items.n;
        return fds;
}

int op_connect_create_xml_with_files(Work *w) {
        unsigned n;
        _cleanup_free_ int *fds = fds_of(work_arg(w, 1), &n);

        return work_found(w, KIND_DOMAIN,
                          virDomainCreateXMLWithFiles(w->vconn, work_str(w, 0), n, fds, work_u32(w, 2)), 0);
}

int op_connect_define_xml(Work *w) {
        return work_found(w, KIND_DOMAIN, virDomainDefineXML(w->vconn, work_str(w, 0)), 0);
}

int op_connect_lookup_by_id(Work *w) {
        return work_found(w, KIND_DOMAIN, virDomainLookupByID(w->vconn, work_i32(w, 0)), 0);
}

int op_connect_lookup_by_name(Work *w) {
        return work_found(w, KIND_DOMAIN, virDomainLookupByName(w->vconn, work_str(w, 0)), 0);
}

int op_connect_lookup_by_uuid(Work *w) {
        return work_found(w, KIND_DOMAIN, virDomainLookupByUUIDString(w->vconn, work_str(w, 0)), 0);
}

/* The domain a save image holds, for polkit's details: libvirt checks its
 * permissions on that domain (or on the one caller XML puts in its
 * place, which the arguments already named). */
static int image_details(Work *w, const char *path, char **xml_out) {
        _cleanup_free_ char *name = NULL, *uuid = NULL;
        char *xml = virDomainSaveImageGetXMLDesc(w->vconn, path, 0);

        if (!xml)
                return -1;
        if (xml_check_domain(xml, "Save image XML", NULL, &name, &uuid) < 0) {
                free(xml);
                work_fail_msg(w, VIR_ERR_XML_ERROR, "The save image holds no readable domain definition");
                return -1;
        }
        details_set(&w->details, "domain_name", name);
        details_set(&w->details, "domain_uuid", uuid);
        if (xml_out)
                *xml_out = xml;
        else
                free(xml);
        return 0;
}

int op_connect_restore_resolve(Work *w) {
        /* Caller XML, when given, names the domain already. */
        if (*work_str(w, 1))
                return 0;
        return image_details(w, work_str(w, 0), NULL);
}

int op_connect_restore(Work *w) {
        _cleanup_free_ char *name = NULL, *uuid = NULL;
        char *xml;
        virDomainPtr dom;

        test_delay();
        /* Which domain it is, so the reply can wait for its state to be
         * announced like any other change. */
        xml = *work_str(w, 1) ? xstrdup(work_str(w, 1)) : virDomainSaveImageGetXMLDesc(w->vconn, work_str(w, 0), 0);
        if (xml && xml_check_domain(xml, "Save image XML", NULL, &name, &uuid) < 0)
                uuid = NULL;
        free(xml);
        virResetLastError();
        if (virDomainRestoreFlags(w->vconn, work_str(w, 0), work_str_or_null(w, 1), work_u32(w, 2)) < 0)
                return -1;
        if (!uuid || strlen(uuid) != UUID_STRING_LEN || !(dom = virDomainLookupByUUIDString(w->vconn, uuid))) {
                virResetLastError();
                return 0;
        }
        if (work_found(w, KIND_DOMAIN, dom, WORK_MAX_OUT - 1) < 0) {
                /* Restored, then gone at once: the restore itself worked. */
                work_clear_results(w);
                virResetLastError();
        }
        return 0;
}

int op_connect_save_image_resolve(Work *w) {
        char *xml = NULL;

        if (image_details(w, work_str(w, 0), &xml) < 0)
                return -1;
        free(xml);
        return 0;
}

int op_connect_save_image_get_xml(Work *w) {
        char *xml = virDomainSaveImageGetXMLDesc(w->vconn, work_str(w, 0), work_u32(w, 1));

        if (!xml)
                return -1;
        w->out[0] = value_take_str(xml);
        return 0;
}

int op_connect_save_image_define(Work *w) {
        return virDomainSaveImageDefineXML(w->vconn, work_str(w, 0), work_str(w, 1), work_u32(w, 2));
}

int op_connect_all_domain_stats(Work *w) {
        virDomainStatsRecordPtr *records = NULL;
        int n = virConnectGetAllDomainStats(w->vconn, work_u32(w, 0), &records, work_u32(w, 1));
        Value *list, *uuids;

        if (n < 0)
                return -1;
        list = value_init_array(&w->out[0], "(sa{sv})", (size_t) n);
        /* Which domain each record is about: the reply keeps only those
         * the caller may read. */
        uuids = value_init_array(&w->out[1], "s", (size_t) n);
        for (int i = 0; i < n; i++) {
                char uuid[VIR_UUID_STRING_BUFLEN] = "";
                Value *rec = value_init_struct(&list[i], 2);
                rec[0] = value_str(virDomainGetName(records[i]->dom));
                rec[1] = value_take_params(typed_params_copy(records[i]->params, records[i]->nparams),
                                           records[i]->nparams);
                virDomainGetUUIDString(records[i]->dom, uuid);
                uuids[i] = value_str(uuid);
        }
        virDomainStatsRecordListFree(records);
        return 0;
}

int op_connect_get_capabilities(Work *w) {
        char *s = virConnectGetCapabilities(w->vconn);

        if (!s)
                return -1;
        w->out[0] = value_take_str(s);
        return 0;
}

int op_connect_get_cpu_model_names(Work *w) {
        char **models = NULL;
        int n = virConnectGetCPUModelNames(w->vconn, work_str(w, 0), &models, work_u32(w, 1));
        Value *v;

        if (n < 0)
                return -1;
        v = value_init_array(&w->out[0], "s", (size_t) n);
        for (int i = 0; i < n; i++)
                v[i] = value_take_str(models[i]);
        free(models);
        return 0;
}

int op_connect_get_domain_capabilities(Work *w) {
        char *s = virConnectGetDomainCapabilities(w->vconn, work_str_or_null(w, 0), work_str_or_null(w, 1),
                                                  work_str_or_null(w, 2), work_str_or_null(w, 3), work_u32(w, 4));

        if (!s)
                return -1;
        w->out[0] = value_take_str(s);
        return 0;
}

int op_connect_list_domains(Work *w) {
        virDomainPtr *doms = NULL;
        int n = virConnectListAllDomains(w->vconn, &doms, work_u32(w, 0));
        Value *paths, *uuids;

        if (n < 0)
                return -1;
        paths = value_init_array(&w->out[0], "o", (size_t) n);
        uuids = value_init_array(&w->out[1], "s", (size_t) n);
        for (int i = 0; i < n; i++) {
                char uuid[VIR_UUID_STRING_BUFLEN] = "";
                virDomainGetUUIDString(doms[i], uuid);
                paths[i] = value_take_path(path_for_uuid(w->prefix[KIND_DOMAIN], uuid));
                uuids[i] = value_str(uuid);
                virDomainFree(doms[i]);
        }
        free(doms);
        return 0;
}

int op_connect_node_cpu_map(Work *w) {
        unsigned char *map = NULL;
        unsigned int online = 0;
        int n = virNodeGetCPUMap(w->vconn, &map, &online, work_u32(w, 0));
        Value *bits;

        if (n < 0)
                return -1;
        bits = value_init_array(&w->out[0], "b", (size_t) n);
        for (int i = 0; i < n; i++)
                bits[i] = value_bool(map && VIR_CPU_USED(map, i));
        free(map);
        return 0;
}

/* NodeGetCPUStats and NodeGetMemoryStats both answer a{st}, from arrays
 * of a libvirt struct with a field name and a value, which libvirt sizes
 * with a first call given no array. @get makes the call. */
typedef int (*node_stats_get_t)(Work *w, void *stats, int *n);

static int node_stats(Work *w, size_t size, size_t field, size_t value, node_stats_get_t get) {
        _cleanup_free_ uint8_t *stats = NULL;
        int n = 0;
        Value *v;

        if (get(w, NULL, &n) < 0)
                return -1;
        stats = xmalloc0(size * (size_t) (n ? n : 1));
        if (n > 0 && get(w, stats, &n) < 0)
                return -1;
        v = value_init_array(&w->out[0], "{st}", (size_t) n);
        for (int i = 0; i < n; i++) {
                const uint8_t *s = stats + size * (size_t) i;
                Value *e = value_init_struct(&v[i], 2);
                v[i].type = 'e';
                e[0] = value_str((const char *) (s + field));
                e[1] = value_u64(*(const unsigned long long *) (const void *) (s + value));
        }
        return 0;
}

static int get_cpu_stats(Work *w, void *stats, int *n) {
        return virNodeGetCPUStats(w->vconn, work_i32(w, 0), stats, n, work_u32(w, 1));
}

static int get_memory_stats(Work *w, void *stats, int *n) {
        return virNodeGetMemoryStats(w->vconn, work_i32(w, 0), stats, n, work_u32(w, 1));
}

int op_connect_node_cpu_stats(Work *w) {
        return node_stats(w, sizeof(virNodeCPUStats), offsetof(virNodeCPUStats, field),
                          offsetof(virNodeCPUStats, value), get_cpu_stats);
}

int op_connect_node_memory_stats(Work *w) {
        return node_stats(w, sizeof(virNodeMemoryStats), offsetof(virNodeMemoryStats, field),
                          offsetof(virNodeMemoryStats, value), get_memory_stats);
}

int op_connect_node_free_memory(Work *w) {
        unsigned long long v = virNodeGetFreeMemory(w->vconn);
        virErrorPtr e = virGetLastError();

        if (v == 0 && e && e->code != VIR_ERR_OK)
                return -1;
        w->out[0] = value_u64(v);
        return 0;
}

static int get_memory_params(Work *w, virTypedParameterPtr p, int *n) {
        return virNodeGetMemoryParameters(w->vconn, p, n, work_u32(w, 0));
}

int op_connect_node_memory_params(Work *w) {
        return work_params_get(w, 0, get_memory_params);
}

int op_connect_node_security_model(Work *w) {
        virSecurityModel model;
        Value *v;

        if (virNodeGetSecurityModel(w->vconn, &model) < 0)
                return -1;
        v = value_init_struct(&w->out[0], 2);
        v[0] = value_str(model.model);
        v[1] = value_str(model.doi);
        return 0;
}

int op_connect_node_set_memory_params(Work *w) {
        const Value *p = work_arg(w, 0);

        return virNodeSetMemoryParameters(w->vconn, p->params.p, p->params.n, work_u32(w, 1));
}

/* ---- the other kinds of object --------------------------------------------- */

/* Lists libvirt made: out[0] the paths, out[1] the keys, so the reply can
 * keep only what the caller may see. */
static void list_out(Work *w, KindId kind, void **handles, int n) {
        const VirtKind *vk = virt_kind(kind);
        Value *paths = value_init_array(&w->out[0], "o", (size_t) n);
        Value *keys = value_init_array(&w->out[1], "s", (size_t) n);

        for (int i = 0; i < n; i++) {
                _cleanup_free_ char *key = vk->key(handles[i]);
                paths[i] = value_take_path(path_for_key(w->prefix[kind], key ? key : "", kind_get(kind)->uuid_keys));
                keys[i] = value_str(key);
                vk->unref(handles[i]);
        }
        free(handles);
}

#define DEFINE_LIST(fn, kind, type, list_all)                                   \
        int fn(Work *w) {                                                       \
                type *v = NULL;                                                 \
                int n = list_all(w->vconn, &v, work_u32(w, 0));                 \
                if (n < 0)                                                      \
                        return -1;                                              \
                list_out(w, kind, (void **) v, n);                              \
                return 0;                                                       \
        }

DEFINE_LIST(op_connect_list_networks, KIND_NETWORK, virNetworkPtr, virConnectListAllNetworks)
DEFINE_LIST(op_connect_list_pools, KIND_STORAGE_POOL, virStoragePoolPtr, virConnectListAllStoragePools)
DEFINE_LIST(op_connect_list_secrets, KIND_SECRET, virSecretPtr, virConnectListAllSecrets)
DEFINE_LIST(op_connect_list_nodedevs, KIND_NODE_DEVICE, virNodeDevicePtr, virConnectListAllNodeDevices)
DEFINE_LIST(op_connect_list_interfaces, KIND_INTERFACE, virInterfacePtr, virConnectListAllInterfaces)
DEFINE_LIST(op_connect_list_nwfilters, KIND_NWFILTER, virNWFilterPtr, virConnectListAllNWFilters)

int op_pool_list_volumes(Work *w) {
        virStorageVolPtr *v = NULL;
        int n = virStoragePoolListAllVolumes(w->handle, &v, work_u32(w, 0));

        if (n < 0)
                return -1;
        list_out(w, KIND_STORAGE_VOL, (void **) v, n);
        return 0;
}

int op_connect_network_create_xml(Work *w) {
        return work_found(w, KIND_NETWORK, virNetworkCreateXML(w->vconn, work_str(w, 0)), 0);
}

int op_connect_network_define_xml(Work *w) {
        return work_found(w, KIND_NETWORK, virNetworkDefineXML(w->vconn, work_str(w, 0)), 0);
}

int op_connect_network_lookup_by_name(Work *w) {
        return work_found(w, KIND_NETWORK, virNetworkLookupByName(w->vconn, work_str(w, 0)), 0);
}

int op_connect_network_lookup_by_uuid(Work *w) {
        return work_found(w, KIND_NETWORK, virNetworkLookupByUUIDString(w->vconn, work_str(w, 0)), 0);
}

int op_connect_pool_create_xml(Work *w) {
        test_delay();
        return work_found(w, KIND_STORAGE_POOL, virStoragePoolCreateXML(w->vconn, work_str(w, 0), work_u32(w, 1)), 0);
}

int op_connect_pool_define_xml(Work *w) {
        return work_found(w, KIND_STORAGE_POOL, virStoragePoolDefineXML(w->vconn, work_str(w, 0), work_u32(w, 1)), 0);
}

int op_connect_pool_lookup_by_name(Work *w) {
        return work_found(w, KIND_STORAGE_POOL, virStoragePoolLookupByName(w->vconn, work_str(w, 0)), 0);
}

int op_connect_pool_lookup_by_uuid(Work *w) {
        return work_found(w, KIND_STORAGE_POOL, virStoragePoolLookupByUUIDString(w->vconn, work_str(w, 0)), 0);
}

int op_connect_find_pool_sources(Work *w) {
        char *s;

        test_delay();
        s = virConnectFindStoragePoolSources(w->vconn, work_str(w, 0), work_str_or_null(w, 1), work_u32(w, 2));
        if (!s)
                return -1;
        w->out[0] = value_take_str(s);
        return 0;
}

int op_connect_vol_lookup_by_key(Work *w) {
        return work_found(w, KIND_STORAGE_VOL, virStorageVolLookupByKey(w->vconn, work_str(w, 0)), 0);
}

int op_connect_vol_lookup_by_path(Work *w) {
        return work_found(w, KIND_STORAGE_VOL, virStorageVolLookupByPath(w->vconn, work_str(w, 0)), 0);
}

int op_connect_secret_define_xml(Work *w) {
        return work_found(w, KIND_SECRET, virSecretDefineXML(w->vconn, work_str(w, 0), work_u32(w, 1)), 0);
}

int op_connect_secret_lookup_by_uuid(Work *w) {
        return work_found(w, KIND_SECRET, virSecretLookupByUUIDString(w->vconn, work_str(w, 0)), 0);
}

int op_connect_secret_lookup_by_usage(Work *w) {
        return work_found(w, KIND_SECRET, virSecretLookupByUsage(w->vconn, work_i32(w, 0), work_str(w, 1)), 0);
}

int op_connect_nodedev_create_xml(Work *w) {
        return work_found(w, KIND_NODE_DEVICE, virNodeDeviceCreateXML(w->vconn, work_str(w, 0), work_u32(w, 1)), 0);
}

int op_connect_nodedev_lookup_by_name(Work *w) {
        return work_found(w, KIND_NODE_DEVICE, virNodeDeviceLookupByName(w->vconn, work_str(w, 0)), 0);
}

int op_connect_nodedev_lookup_scsi_host(Work *w) {
        return work_found(w, KIND_NODE_DEVICE,
                          virNodeDeviceLookupSCSIHostByWWN(w->vconn, work_str(w, 0), work_str(w, 1), work_u32(w, 2)),
                          0);
}

int op_connect_interface_define_xml(Work *w) {
        return work_found(w, KIND_INTERFACE, virInterfaceDefineXML(w->vconn, work_str(w, 0), work_u32(w, 1)), 0);
}

int op_connect_interface_lookup_by_name(Work *w) {
        return work_found(w, KIND_INTERFACE, virInterfaceLookupByName(w->vconn, work_str(w, 0)), 0);
}

int op_connect_interface_lookup_by_mac(Work *w) {
        return work_found(w, KIND_INTERFACE, virInterfaceLookupByMACString(w->vconn, work_str(w, 0)), 0);
}

int op_connect_nwfilter_define_xml(Work *w) {
        return work_found(w, KIND_NWFILTER, virNWFilterDefineXML(w->vconn, work_str(w, 0)), 0);
}

int op_connect_nwfilter_lookup_by_name(Work *w) {
        return work_found(w, KIND_NWFILTER, virNWFilterLookupByName(w->vconn, work_str(w, 0)), 0);
}

int op_connect_nwfilter_lookup_by_uuid(Work *w) {
        return work_found(w, KIND_NWFILTER, virNWFilterLookupByUUIDString(w->vconn, work_str(w, 0)), 0);
}
