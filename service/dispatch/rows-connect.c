/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.libvirt.Connect: one object per libvirt connection. */
#include "call.h"
#include "conn.h"
#include "domain.h"
#include "lifecycle.h"
#include "objects.h"
#include "ops.h"
#include "paths.h"
#include "util.h"
#include "xmlcheck.h"

/* ---- domains from the table ------------------------------------------------- */

/* Flags the table can judge; anything else goes to libvirt. */
#define TABLE_LIST_FLAGS (VIR_CONNECT_LIST_DOMAINS_ACTIVE | VIR_CONNECT_LIST_DOMAINS_INACTIVE | \
                          VIR_CONNECT_LIST_DOMAINS_PERSISTENT | VIR_CONNECT_LIST_DOMAINS_TRANSIENT | \
                          VIR_CONNECT_LIST_DOMAINS_RUNNING | VIR_CONNECT_LIST_DOMAINS_PAUSED | \
                          VIR_CONNECT_LIST_DOMAINS_SHUTOFF | VIR_CONNECT_LIST_DOMAINS_OTHER | \
                          VIR_CONNECT_LIST_DOMAINS_AUTOSTART | VIR_CONNECT_LIST_DOMAINS_NO_AUTOSTART)

static bool group_match(uint32_t flags, uint32_t group, uint32_t have) {
        return !(flags & group) || (flags & have);
}

static bool list_match(const Value *f, uint32_t flags) {
        uint32_t state_bit;

        switch (f[DOM_STATE].i) {
        case VIR_DOMAIN_RUNNING: state_bit = VIR_CONNECT_LIST_DOMAINS_RUNNING; break;
        case VIR_DOMAIN_PAUSED: state_bit = VIR_CONNECT_LIST_DOMAINS_PAUSED; break;
        case VIR_DOMAIN_SHUTOFF: state_bit = VIR_CONNECT_LIST_DOMAINS_SHUTOFF; break;
        default: state_bit = VIR_CONNECT_LIST_DOMAINS_OTHER; break;
        }
        return group_match(flags, VIR_CONNECT_LIST_DOMAINS_ACTIVE | VIR_CONNECT_LIST_DOMAINS_INACTIVE,
                           f[DOM_ACTIVE].b ? VIR_CONNECT_LIST_DOMAINS_ACTIVE : VIR_CONNECT_LIST_DOMAINS_INACTIVE) &&
                group_match(flags, VIR_CONNECT_LIST_DOMAINS_PERSISTENT | VIR_CONNECT_LIST_DOMAINS_TRANSIENT,
                            f[DOM_PERSISTENT].b ? VIR_CONNECT_LIST_DOMAINS_PERSISTENT
                                                : VIR_CONNECT_LIST_DOMAINS_TRANSIENT) &&
                group_match(flags, VIR_CONNECT_LIST_DOMAINS_RUNNING | VIR_CONNECT_LIST_DOMAINS_PAUSED |
                                   VIR_CONNECT_LIST_DOMAINS_SHUTOFF | VIR_CONNECT_LIST_DOMAINS_OTHER,
                            state_bit) &&
                group_match(flags, VIR_CONNECT_LIST_DOMAINS_AUTOSTART | VIR_CONNECT_LIST_DOMAINS_NO_AUTOSTART,
                            f[DOM_AUTOSTART].b ? VIR_CONNECT_LIST_DOMAINS_AUTOSTART
                                               : VIR_CONNECT_LIST_DOMAINS_NO_AUTOSTART);
}

/* Results libvirt listed, trimmed to what the caller may see: out[0] the
 * answer, out[1] the key of each entry. */
static int keep_visible(Call *c, KindId kind) {
        Value *list = &c->work.out[0], *keys = &c->work.out[1];
        size_t n = 0;

        for (size_t i = 0; i < list->items.n; i++) {
                Obj *o = space_get(c->space, kind, value_get_str(&keys->items.v[i]));
                /* One the table does not know yet (made behind the daemon's
                 * back a moment ago) is shown only to who sees everything. */
                if (o ? access_may_see(c->seen, c->space, o) : access_sees_all(c->seen)) {
                        if (n != i) {
                                list->items.v[n] = list->items.v[i];
                                memset(&list->items.v[i], 0, sizeof(Value));
                        }
                        n++;
                } else
                        value_clear(&list->items.v[i]);
        }
        list->items.n = n;
        value_clear(keys);
        return 0;
}


/* The table knows every object's key and name (and a domain's id): a
 * lookup of a known object needs no libvirt round trip. Only misses go to
 * libvirt, for its own error. */
static const struct {
        const char *member;
        KindId kind;
        int fact;               /* the fact the argument must equal; LOOKUP_KEY: the key */
} table_lookups[] = {
#define LOOKUP_KEY (-1)
#define LOOKUP_ID (-2)
        { "DomainLookupByID", KIND_DOMAIN, LOOKUP_ID },
        { "DomainLookupByName", KIND_DOMAIN, DOM_NAME },
        { "DomainLookupByUUID", KIND_DOMAIN, LOOKUP_KEY },
        { "NetworkLookupByName", KIND_NETWORK, NET_NAME },
        { "NetworkLookupByUUID", KIND_NETWORK, LOOKUP_KEY },
        { "StoragePoolLookupByName", KIND_STORAGE_POOL, POOL_NAME },
        { "StoragePoolLookupByUUID", KIND_STORAGE_POOL, LOOKUP_KEY },
        { "StorageVolLookupByKey", KIND_STORAGE_VOL, LOOKUP_KEY },
        { "StorageVolLookupByPath", KIND_STORAGE_VOL, VOL_PATH },
        { "SecretLookupByUUID", KIND_SECRET, LOOKUP_KEY },
        { "NodeDeviceLookupByName", KIND_NODE_DEVICE, LOOKUP_KEY },
        { "InterfaceLookupByMAC", KIND_INTERFACE, LOOKUP_KEY },
        { "InterfaceLookupByName", KIND_INTERFACE, IFACE_NAME },
        { "NWFilterLookupByName", KIND_NWFILTER, NWFILTER_NAME },
        { "NWFilterLookupByUUID", KIND_NWFILTER, LOOKUP_KEY },
};

static bool lookup_match(const Obj *o, int fact, const Value *arg) {
        if (fact == LOOKUP_ID)
                return o->facts[DOM_ACTIVE].b && o->facts[DOM_ID].u == (uint32_t) arg->i;
        return arg->type == 's' && streq_ptr(value_get_str(&o->facts[fact]), arg->s);
}

static int lookup_from_table(Call *c, sd_bus_error *error) {
        const Value *arg = &c->in[0];
        Obj *found = NULL;
        Work *w = &c->work;
        size_t i;

        for (i = 0; i < ELEMENTSOF(table_lookups) && !streq(table_lookups[i].member, c->row->member); i++)
                ;
        if (i == ELEMENTSOF(table_lookups))
                return 1;
        if (table_lookups[i].fact == LOOKUP_KEY)
                found = arg->type == 's' ? space_get(c->space, table_lookups[i].kind, arg->s) : NULL;
        else
                OBJ_TABLE_FOREACH(o, c->space->tables[table_lookups[i].kind], b)
                        if (!found && lookup_match(o, table_lookups[i].fact, arg))
                                found = o;
        if (!found || !found->handle)
                return 1;
        virt_kind(found->kind->id)->ref(found->handle);
        w->found = found->handle;
        w->found_kind = found->kind->id;
        w->found_key = xstrdup(found->key);
        facts_copy(found->kind, w->found_facts, found->facts);
        w->out[0] = value_path(found->path);
        return 0;
}

/* ---- lists from the table ----------------------------------------------------- */

/* Networks and pools share libvirt's list flags for these (and their facts'
 * layout); interfaces only have active and inactive. */
#define ACTIVE_PERSISTENT_FLAGS (VIR_CONNECT_LIST_NETWORKS_ACTIVE | VIR_CONNECT_LIST_NETWORKS_INACTIVE | \
                                 VIR_CONNECT_LIST_NETWORKS_PERSISTENT | VIR_CONNECT_LIST_NETWORKS_TRANSIENT | \
                                 VIR_CONNECT_LIST_NETWORKS_AUTOSTART | VIR_CONNECT_LIST_NETWORKS_NO_AUTOSTART)

static bool active_persistent_match(const Value *f, uint32_t flags) {
        return group_match(flags, VIR_CONNECT_LIST_NETWORKS_ACTIVE | VIR_CONNECT_LIST_NETWORKS_INACTIVE,
                           f[NET_ACTIVE].b ? VIR_CONNECT_LIST_NETWORKS_ACTIVE : VIR_CONNECT_LIST_NETWORKS_INACTIVE) &&
                group_match(flags, VIR_CONNECT_LIST_NETWORKS_PERSISTENT | VIR_CONNECT_LIST_NETWORKS_TRANSIENT,
                            f[NET_PERSISTENT].b ? VIR_CONNECT_LIST_NETWORKS_PERSISTENT
                                                : VIR_CONNECT_LIST_NETWORKS_TRANSIENT) &&
                group_match(flags, VIR_CONNECT_LIST_NETWORKS_AUTOSTART | VIR_CONNECT_LIST_NETWORKS_NO_AUTOSTART,
                            f[NET_AUTOSTART].b ? VIR_CONNECT_LIST_NETWORKS_AUTOSTART
                                               : VIR_CONNECT_LIST_NETWORKS_NO_AUTOSTART);
}

static bool kind_list_match(KindId kind, const Value *f, uint32_t flags) {
        switch (kind) {
        case KIND_DOMAIN:
                return list_match(f, flags);
        case KIND_NETWORK:
        case KIND_STORAGE_POOL:
                return active_persistent_match(f, flags);
        case KIND_INTERFACE:
                return group_match(flags, VIR_CONNECT_LIST_INTERFACES_ACTIVE | VIR_CONNECT_LIST_INTERFACES_INACTIVE,
                                   f[IFACE_ACTIVE].b ? VIR_CONNECT_LIST_INTERFACES_ACTIVE
                                                     : VIR_CONNECT_LIST_INTERFACES_INACTIVE);
        default:
                return flags == 0;
        }
}

static uint32_t kind_table_flags(KindId kind) {
        switch (kind) {
        case KIND_DOMAIN:
                return TABLE_LIST_FLAGS;
        case KIND_NETWORK:
        case KIND_STORAGE_POOL:
                return ACTIVE_PERSISTENT_FLAGS;
        case KIND_INTERFACE:
                return VIR_CONNECT_LIST_INTERFACES_ACTIVE | VIR_CONNECT_LIST_INTERFACES_INACTIVE;
        default:
                return 0;
        }
}

static KindId list_kind_of(const Row *row) {
        for (KindId k = KIND_CONNECT + 1; k < KIND_MAX; k++)
                if (streq(kind_get(k)->name, row->filter.object))
                        return k;
        return KIND_CONNECT;
}

/* Kinds whose events this connection lacks may lag behind libvirt: their
 * lists ask libvirt (host interfaces, network filters, drivers without a
 * kind's events). */
static int list_from_table(Call *c, sd_bus_error *error) {
        uint32_t flags = value_get_u32(&c->in[0]);
        KindId kind = list_kind_of(c->row);
        ObjTable *t = c->space->tables[kind];
        Value *v;
        size_t n = 0;

        if ((flags & ~kind_table_flags(kind)) || !conn_kind_has_events(c->conn, kind))
                return 1;
        v = value_init_array(&c->work.out[0], "o", obj_table_size(t));
        OBJ_TABLE_FOREACH(o, t, b)
                if (kind_list_match(kind, o->facts, flags) && access_may_see(c->seen, c->space, o))
                        v[n++] = value_path(o->path);
        c->work.out[0].items.n = n;
        return 0;
}

static int finish_kind_list(Call *c, sd_bus_error *error) {
        return keep_visible(c, list_kind_of(c->row));
}

static int finish_interface_change(Call *c, sd_bus_error *error) {
        /* Host interfaces have no events: a transaction's end may have
         * changed any of them. */
        conn_refresh(c->conn, KIND_INTERFACE);
        return 0;
}

/* ---- arguments ---------------------------------------------------------------- */

static int check_cpu_xmls(Call *c, sd_bus_error *error) {
        const Value *xmls = &c->in[0];

        for (size_t i = 0; i < xmls->items.n; i++) {
                int r = xml_check_wellformed(value_get_str(&xmls->items.v[i]), "CPU XML", error);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int finish_all_domain_stats(Call *c, sd_bus_error *error) {
        return keep_visible(c, KIND_DOMAIN);
}

/* ---- the table ----------------------------------------------------------------- */

#define CONNECT_PROPERTY(name, index, sig) PROPERTY(name, index, sig, .perms = { PERM("connect", "getattr") })
/* libvirt asks only that the caller may see what it finds (getattr). */
#define FINDS(kind, runner, text) \
        .loop = lookup_from_table, .run = runner, .publish = PUBLISH_LOOKUP, .finds = kind, .not_found = text
#define LOOKUP(name, sig, arg, runner, text) \
        METHOD(name, ARGS(sig, arg), RESULT("o", domain), FINDS(KIND_DOMAIN, runner, text))
/* Lists of a kind: the connection's search permission; each object shown
 * needs getattr (libvirt's aclfilter). */
#define LIST(name, out, search, object, runner)                                                   \
        METHOD(name, ARGS("u", flags), RESULT("ao", out), .perms = { PERM("connect", search) },     \
               .filter = PERM(object, "getattr"), .loop = list_from_table, .run = runner,            \
               .finish = finish_kind_list)
/* Defining or creating an object: libvirt's two permissions, the XML
 * names the object for polkit, and the reply names it once the table has
 * it. */
#define MAKES(kind, object, perm1, perm2, what, runner)                                            \
        .perms = { PERM(object, perm1), PERM(object, perm2) },                                     \
        .checks = { OBJECT_XML_ARG(0, kind, what) }, .flags = ROW_CHANGE, .publish = PUBLISH_FOUND, \
        .run = runner

static const Row connect_rows[] = {
        CONNECT_PROPERTY("Connected", CONNECT_CONNECTED, "b"),
        CONNECT_PROPERTY("Encrypted", CONNECT_ENCRYPTED, "b"),
        CONNECT_PROPERTY("Hostname", CONNECT_HOSTNAME, "s"),
        CONNECT_PROPERTY("LibVersion", CONNECT_LIBVERSION, "t"),
        CONNECT_PROPERTY("Secure", CONNECT_SECURE, "b"),
        CONNECT_PROPERTY("Version", CONNECT_VERSION, "t"),

        METHOD("BaselineCPU", ARGS("as", xmlCPUs, "u", flags), RESULT("s", cpu),
               .perms = { PERM("connect", "read") }, .check = check_cpu_xmls, .run = op_connect_baseline_cpu),
        METHOD("CompareCPU", ARGS("s", xmlDesc, "u", flags), RESULT("i", compareResult),
               .perms = { PERM("connect", "read") }, .checks = { XML_ARG(0, "CPU XML") },
               .run = op_connect_compare_cpu),
        METHOD("DomainCreateXML", ARGS("s", xml, "u", flags), RESULT("o", domain),
               .perms = { PERM("domain", "write"), PERM("domain", "start") },
               .checks = { OBJECT_XML_ARG(0, KIND_DOMAIN, "Domain XML") },
               .flags = ROW_CHANGE, .publish = PUBLISH_FOUND, .run = op_connect_create_xml),
        METHOD("DomainCreateXMLWithFiles", ARGS("s", xml, "ah", files, "u", flags), RESULT("o", domain),
               .perms = { PERM("domain", "write"), PERM("domain", "start") },
               .checks = { OBJECT_XML_ARG(0, KIND_DOMAIN, "Domain XML") },
               .flags = ROW_CHANGE, .publish = PUBLISH_FOUND, .run = op_connect_create_xml_with_files),
        METHOD("DomainDefineXML", ARGS("s", xml), RESULT("o", domain),
               .perms = { PERM("domain", "write"), PERM("domain", "save") },
               .checks = { OBJECT_XML_ARG(0, KIND_DOMAIN, "Domain XML") },
               .flags = ROW_CHANGE, .publish = PUBLISH_FOUND, .run = op_connect_define_xml),
        LOOKUP("DomainLookupByID", "i", id, op_connect_lookup_by_id,
               "Domain not found: no domain with matching id %s"),
        LOOKUP("DomainLookupByName", "s", name, op_connect_lookup_by_name,
               "Domain not found: no domain with matching name '%s'"),
        LOOKUP("DomainLookupByUUID", "s", uuid, op_connect_lookup_by_uuid,
               "Domain not found: no domain with matching uuid '%s'"),
        METHOD("DomainRestore", ARGS("s", from, "s", xml, "u", flags), NO_RESULT,
               .perms = { PERM("domain", "start"), PERM("domain", "write") },
               .checks = { HOST_PATH_ARG(0), OBJECT_XML_ARG_OPTIONAL(1, KIND_DOMAIN, "Domain XML") },
               .flags = ROW_CHANGE | ROW_JOB, .job = "restore", .publish = PUBLISH_FOUND,
               .resolve = op_connect_restore_resolve, .run = op_connect_restore),
        METHOD("DomainSaveImageDefineXML", ARGS("s", file, "s", xml, "u", flags), NO_RESULT,
               .perms = { PERM("domain", "write"), PERM("domain", "hibernate") },
               .checks = { HOST_PATH_ARG(0), OBJECT_XML_ARG(1, KIND_DOMAIN, "Domain XML") },
               .run = op_connect_save_image_define),
        METHOD("DomainSaveImageGetXMLDesc", ARGS("s", file, "u", flags), RESULT("s", xml),
               .perms = { PERM("domain", "write") }, .checks = { HOST_PATH_ARG(0) },
               .resolve = op_connect_save_image_resolve, .run = op_connect_save_image_get_xml),
        METHOD("GetAllDomainStats", ARGS("u", stats, "u", flags), RESULT("a(sa{sv})", records),
               .perms = { PERM("connect", "search-domains") }, .filter = PERM("domain", "read"),
               .run = op_connect_all_domain_stats, .finish = finish_all_domain_stats),
        METHOD("GetCapabilities", NO_ARGS, RESULT("s", capabilities),
               .perms = { PERM("connect", "read") }, .run = op_connect_get_capabilities),
        METHOD("GetCPUModelNames", ARGS("s", arch, "u", flags), RESULT("as", models),
               .perms = { PERM("connect", "read") }, .run = op_connect_get_cpu_model_names),
        /* libvirt runs the emulator binary the caller names. */
        METHOD("GetDomainCapabilities",
               ARGS("s", emulatorbin, "s", arch, "s", machine, "s", virttype, "u", flags),
               RESULT("s", domCapabilities), .perms = { PERM("connect", "write") },
               .run = op_connect_get_domain_capabilities),
        METHOD("GetSysinfo", ARGS("u", flags), RESULT("s", sysinfo),
               .perms = { PERM("connect", "read") }, CONN_STRING(virConnectGetSysinfo)),
        METHOD("ListDomains", ARGS("u", flags), RESULT("ao", domains),
               .perms = { PERM("connect", "search-domains") }, .filter = PERM("domain", "getattr"),
               .loop = list_from_table, .run = op_connect_list_domains, .finish = finish_kind_list),
        METHOD("NodeGetCPUMap", ARGS("u", flags), RESULT("ab", res),
               .perms = { PERM("connect", "read") }, .run = op_connect_node_cpu_map),
        METHOD("NodeGetCPUStats", ARGS("i", cpuNum, "u", flags), RESULT("a{st}", cpuStats),
               .perms = { PERM("connect", "read") }, .run = op_connect_node_cpu_stats),
        METHOD("NodeGetFreeMemory", NO_ARGS, RESULT("t", freemem),
               .perms = { PERM("connect", "read") }, .run = op_connect_node_free_memory),
        METHOD("NodeGetMemoryParameters", ARGS("u", flags), RESULT("a{sv}", memoryParameters),
               .perms = { PERM("connect", "read") }, .run = op_connect_node_memory_params),
        METHOD("NodeGetMemoryStats", ARGS("i", cellNum, "u", flags), RESULT("a{st}", stats),
               .perms = { PERM("connect", "read") }, .run = op_connect_node_memory_stats),
        METHOD("NodeGetSecurityModel", NO_ARGS, RESULT("(ss)", secModel),
               .perms = { PERM("connect", "read") }, .run = op_connect_node_security_model),
        METHOD("NodeSetMemoryParameters", ARGS("a{sv}", params, "u", flags), NO_RESULT,
               .perms = { PERM("connect", "write") }, .run = op_connect_node_set_memory_params),

        METHOD("FindStoragePoolSources", ARGS("s", type, "s", srcSpec, "u", flags), RESULT("s", storagePoolSources),
               .perms = { PERM("connect", "detect-storage-pools") }, .flags = ROW_SLOW,
               .run = op_connect_find_pool_sources),
        METHOD("InterfaceChangeBegin", ARGS("u", flags), NO_RESULT,
               .perms = { PERM("connect", "interface-transaction") }, .flags = ROW_SLOW,
               CONN_FLAGS(virInterfaceChangeBegin)),
        METHOD("InterfaceChangeCommit", ARGS("u", flags), NO_RESULT,
               .perms = { PERM("connect", "interface-transaction") }, .flags = ROW_SLOW,
               .finish = finish_interface_change, CONN_FLAGS(virInterfaceChangeCommit)),
        METHOD("InterfaceChangeRollback", ARGS("u", flags), NO_RESULT,
               .perms = { PERM("connect", "interface-transaction") }, .flags = ROW_SLOW,
               .finish = finish_interface_change, CONN_FLAGS(virInterfaceChangeRollback)),
        METHOD("InterfaceDefineXML", ARGS("s", xml, "u", flags), RESULT("o", interface),
               MAKES(KIND_INTERFACE, "interface", "write", "save", "Interface XML", op_connect_interface_define_xml)),
        METHOD("InterfaceLookupByMAC", ARGS("s", mac), RESULT("o", interface),
               FINDS(KIND_INTERFACE, op_connect_interface_lookup_by_mac,
                     "Interface not found: no interface with matching mac '%s'")),
        METHOD("InterfaceLookupByName", ARGS("s", name), RESULT("o", interface),
               FINDS(KIND_INTERFACE, op_connect_interface_lookup_by_name,
                     "Interface not found: no interface with matching name '%s'")),
        LIST("ListInterfaces", interfaces, "search-interfaces", "interface", op_connect_list_interfaces),
        LIST("ListNetworks", networks, "search-networks", "network", op_connect_list_networks),
        LIST("ListNodeDevices", devs, "search-node-devices", "node-device", op_connect_list_nodedevs),
        LIST("ListNWFilters", nwfilters, "search-nwfilters", "nwfilter", op_connect_list_nwfilters),
        LIST("ListSecrets", secrets, "search-secrets", "secret", op_connect_list_secrets),
        LIST("ListStoragePools", storagePools, "search-storage-pools", "storage-pool", op_connect_list_pools),
        METHOD("NetworkCreateXML", ARGS("s", xml), RESULT("o", network),
               MAKES(KIND_NETWORK, "network", "write", "start", "Network XML", op_connect_network_create_xml)),
        METHOD("NetworkDefineXML", ARGS("s", xml), RESULT("o", network),
               MAKES(KIND_NETWORK, "network", "write", "save", "Network XML", op_connect_network_define_xml)),
        METHOD("NetworkLookupByName", ARGS("s", name), RESULT("o", network),
               FINDS(KIND_NETWORK, op_connect_network_lookup_by_name,
                     "Network not found: no network with matching name '%s'")),
        METHOD("NetworkLookupByUUID", ARGS("s", uuid), RESULT("o", network),
               FINDS(KIND_NETWORK, op_connect_network_lookup_by_uuid,
                     "Network not found: no network with matching uuid '%s'")),
        METHOD("NodeDeviceCreateXML", ARGS("s", xml, "u", flags), RESULT("o", dev),
               MAKES(KIND_NODE_DEVICE, "node-device", "write", "start", "Node device XML",
                     op_connect_nodedev_create_xml)),
        METHOD("NodeDeviceLookupByName", ARGS("s", name), RESULT("o", dev),
               FINDS(KIND_NODE_DEVICE, op_connect_nodedev_lookup_by_name,
                     "Node device not found: no node device with matching name '%s'")),
        METHOD("NodeDeviceLookupSCSIHostByWWN", ARGS("s", wwnn, "s", wwpn, "u", flags), RESULT("o", dev),
               FINDS(KIND_NODE_DEVICE, op_connect_nodedev_lookup_scsi_host,
                     "Node device not found: no node device with matching wwnn '%s' and wwpn '%s'")),
        METHOD("NWFilterDefineXML", ARGS("s", xml), RESULT("o", nwfilter),
               MAKES(KIND_NWFILTER, "nwfilter", "write", "save", "Network filter XML",
                     op_connect_nwfilter_define_xml)),
        METHOD("NWFilterLookupByName", ARGS("s", name), RESULT("o", nwfilter),
               FINDS(KIND_NWFILTER, op_connect_nwfilter_lookup_by_name,
                     "Network filter not found: no nwfilter with matching name '%s'")),
        METHOD("NWFilterLookupByUUID", ARGS("s", uuid), RESULT("o", nwfilter),
               FINDS(KIND_NWFILTER, op_connect_nwfilter_lookup_by_uuid,
                     "Network filter not found: no nwfilter with matching uuid '%s'")),
        METHOD("SecretDefineXML", ARGS("s", xml, "u", flags), RESULT("o", secret),
               MAKES(KIND_SECRET, "secret", "write", "save", "Secret XML", op_connect_secret_define_xml)),
        METHOD("SecretLookupByUUID", ARGS("s", uuid), RESULT("o", secret),
               FINDS(KIND_SECRET, op_connect_secret_lookup_by_uuid,
                     "Secret not found: no secret with matching uuid '%s'")),
        METHOD("SecretLookupByUsage", ARGS("i", usageType, "s", usageID), RESULT("o", secret),
               FINDS(KIND_SECRET, op_connect_secret_lookup_by_usage,
                     "Secret not found: no secret with matching usage '%s'"), .not_found_arg = 1),
        METHOD("StoragePoolCreateXML", ARGS("s", xml, "u", flags), RESULT("o", storagePool),
               MAKES(KIND_STORAGE_POOL, "storage-pool", "start", "write", "Storage pool XML",
                     op_connect_pool_create_xml)),
        METHOD("StoragePoolDefineXML", ARGS("s", xml, "u", flags), RESULT("o", storagePool),
               MAKES(KIND_STORAGE_POOL, "storage-pool", "write", "save", "Storage pool XML",
                     op_connect_pool_define_xml)),
        METHOD("StoragePoolLookupByName", ARGS("s", name), RESULT("o", storagePool),
               FINDS(KIND_STORAGE_POOL, op_connect_pool_lookup_by_name,
                     "Storage pool not found: no storage pool with matching name '%s'")),
        METHOD("StoragePoolLookupByUUID", ARGS("s", uuid), RESULT("o", storagePool),
               FINDS(KIND_STORAGE_POOL, op_connect_pool_lookup_by_uuid,
                     "Storage pool not found: no storage pool with matching uuid '%s'")),
        METHOD("StorageVolLookupByKey", ARGS("s", key), RESULT("o", storageVol),
               FINDS(KIND_STORAGE_VOL, op_connect_vol_lookup_by_key,
                     "Storage volume not found: no storage vol with matching key %s")),
        METHOD("StorageVolLookupByPath", ARGS("s", path), RESULT("o", storageVol),
               FINDS(KIND_STORAGE_VOL, op_connect_vol_lookup_by_path,
                     "Storage volume not found: no storage vol with matching path '%s'")),

        SIGNAL("DomainEvent", ARGS("o", domain, "i", event, "i", detail)),
        SIGNAL("NetworkEvent", ARGS("o", network, "i", event)),
        SIGNAL("NodeDeviceEvent", ARGS("o", dev, "i", event, "i", detail)),
        SIGNAL("SecretEvent", ARGS("o", secret, "i", event, "i", detail)),
        SIGNAL("StoragePoolEvent", ARGS("o", storagePool, "i", event, "i", detail)),
};

INTERFACE(connect_interface, "org.libvirt.Connect", KIND_CONNECT, ROWS(connect_rows));
