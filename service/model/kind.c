/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <libvirt/libvirt.h>

#include "domain.h"
#include "lifecycle.h"
#include "kind.h"
#include "util.h"

/* ---- facts ------------------------------------------------------------- */

static const FactDesc connect_facts[] = {
        { "Connected", "b", 0 },
        { "Encrypted", "b", 0 },
        { "Hostname", "s", 0 },
        { "LibVersion", "t", 0 },
        { "Secure", "b", 0 },
        { "Version", "t", 0 },
};

/* In the order libvirt-dbus lists them; model/domain.h names the indices. */
static const FactDesc domain_facts[] = {
        { "Active", "b", 0 },
        { "Autostart", "b", 0 },
        { "Id", "u", 0 },
        { "Name", "s", 0 },
        { "OSType", "s", 0 },
        { "Persistent", "b", 0 },
        { "SchedulerType", "(si)", 0 },
        { "State", "i", 0 },
        { "StateReason", "i", 0 },
        { "Updated", "b", 0 },
        { "UUID", "s", FACT_CONST },
};

static const FactDesc network_facts[] = {
        { "Active", "b", 0 },
        { "Autostart", "b", 0 },
        { "Name", "s", FACT_CONST },
        { "Persistent", "b", 0 },
        { "UUID", "s", FACT_CONST },
};

static const FactDesc pool_facts[] = {
        { "Active", "b", 0 },
        { "Autostart", "b", 0 },
        { "Name", "s", FACT_CONST },
        { "Persistent", "b", 0 },
        { "UUID", "s", FACT_CONST },
};

static const FactDesc vol_facts[] = {
        { "Name", "s", FACT_CONST },
        { "Key", "s", FACT_CONST },
        { "Path", "s", FACT_CONST },
        { "PoolName", "s", FACT_HIDDEN | FACT_CONST },
        { "PoolUUID", "s", FACT_HIDDEN | FACT_CONST },
};

static const FactDesc secret_facts[] = {
        { "UUID", "s", FACT_CONST },
        { "UsageID", "s", FACT_CONST },
        { "UsageType", "i", FACT_CONST },
};

static const FactDesc nodedev_facts[] = {
        { "Name", "s", FACT_CONST },
        { "Parent", "s", FACT_CONST },
};

static const FactDesc iface_facts[] = {
        { "Active", "b", 0 },
        { "MAC", "s", FACT_CONST },
        { "Name", "s", FACT_CONST },
};

static const FactDesc nwfilter_facts[] = {
        { "Name", "s", FACT_CONST },
        { "UUID", "s", FACT_CONST },
};

/* ---- polkit details, as libvirt's polkit access driver passes them ----- */

static const char *fact_str(const Obj *o, const char *name) {
        int i = kind_fact_index(o->kind, name);

        return i >= 0 && o->facts[i].type == 's' ? o->facts[i].s : NULL;
}

static void domain_details(const Obj *o, Details *d) {
        details_set(d, "domain_name", fact_str(o, "Name"));
        details_set(d, "domain_uuid", o->key);
}

static void domain_xml_details(const char *name, const char *uuid, const char *mac, Details *d) {
        details_set(d, "domain_name", name);
        details_set(d, "domain_uuid", uuid);
}

static void network_details(const Obj *o, Details *d) {
        details_set(d, "network_name", fact_str(o, "Name"));
        details_set(d, "network_uuid", o->key);
}

static void network_xml_details(const char *name, const char *uuid, const char *mac, Details *d) {
        details_set(d, "network_name", name);
        details_set(d, "network_uuid", uuid);
}

static void pool_details(const Obj *o, Details *d) {
        details_set(d, "pool_name", fact_str(o, "Name"));
        details_set(d, "pool_uuid", o->key);
}

static void pool_xml_details(const char *name, const char *uuid, const char *mac, Details *d) {
        details_set(d, "pool_name", name);
        details_set(d, "pool_uuid", uuid);
}

static void vol_details(const Obj *o, Details *d) {
        details_set(d, "pool_name", fact_str(o, "PoolName"));
        details_set(d, "pool_uuid", fact_str(o, "PoolUUID"));
        details_set(d, "vol_name", fact_str(o, "Name"));
        details_set(d, "vol_key", o->key);
}

static void vol_xml_details(const char *name, const char *uuid, const char *mac, Details *d) {
        details_set(d, "vol_name", name);
}

static const char *secret_usage_key(int type) {
        switch (type) {
        case VIR_SECRET_USAGE_TYPE_VOLUME: return "secret_usage_volume";
        case VIR_SECRET_USAGE_TYPE_CEPH: return "secret_usage_ceph";
        case VIR_SECRET_USAGE_TYPE_ISCSI: return "secret_usage_target";
        case VIR_SECRET_USAGE_TYPE_TLS: return "secret_usage_name";
        case VIR_SECRET_USAGE_TYPE_VTPM: return "secret_usage_name";
        default: return NULL;
        }
}

static void secret_details(const Obj *o, Details *d) {
        int t = kind_fact_index(o->kind, "UsageType");
        const char *key = t >= 0 && o->facts[t].type == 'i' ? secret_usage_key(o->facts[t].i) : NULL;

        details_set(d, "secret_uuid", o->key);
        if (key)
                details_set(d, key, fact_str(o, "UsageID"));
}

static void secret_xml_details(const char *name, const char *uuid, const char *mac, Details *d) {
        details_set(d, "secret_uuid", uuid);
}

static void nodedev_details(const Obj *o, Details *d) {
        details_set(d, "node_device_name", o->key);
}

static void nodedev_xml_details(const char *name, const char *uuid, const char *mac, Details *d) {
        details_set(d, "node_device_name", name);
}

static void iface_details(const Obj *o, Details *d) {
        details_set(d, "interface_name", fact_str(o, "Name"));
        details_set(d, "interface_macaddr", fact_str(o, "MAC"));
}

static void iface_xml_details(const char *name, const char *uuid, const char *mac, Details *d) {
        details_set(d, "interface_name", name);
        details_set(d, "interface_macaddr", mac);
}

static void nwfilter_details(const Obj *o, Details *d) {
        details_set(d, "nwfilter_name", fact_str(o, "Name"));
        details_set(d, "nwfilter_uuid", o->key);
}

static void nwfilter_xml_details(const char *name, const char *uuid, const char *mac, Details *d) {
        details_set(d, "nwfilter_name", name);
        details_set(d, "nwfilter_uuid", uuid);
}

/* ---- the registry ------------------------------------------------------- */

#define FACTS(f) .facts = f, .nfacts = ELEMENTSOF(f)

static const Kind kinds[KIND_MAX] = {
        [KIND_CONNECT] = {
                .id = KIND_CONNECT, .name = "connect", .interface = "org.libvirt.Connect",
                FACTS(connect_facts), .name_fact = -1,
        },
        [KIND_DOMAIN] = {
                .id = KIND_DOMAIN, .name = "domain", .interface = "org.libvirt.Domain", .segment = "domain",
                .uuid_keys = true, FACTS(domain_facts), .name_fact = DOM_NAME,
                .event_facts = (1u << DOM_STATE) | (1u << DOM_PERSISTENT) | (1u << DOM_NAME),
                .details = domain_details, .xml_details = domain_xml_details,
                .lifecycle_signal = "DomainEvent", .lifecycle_detail = true,
                .apply_lifecycle = domain_apply_lifecycle, .event_creates = domain_event_creates,
        },
        [KIND_NETWORK] = {
                .id = KIND_NETWORK, .name = "network", .interface = "org.libvirt.Network", .segment = "network",
                .uuid_keys = true, FACTS(network_facts), .name_fact = NET_NAME,
                .event_facts = (1u << NET_ACTIVE) | (1u << NET_PERSISTENT),
                .details = network_details, .xml_details = network_xml_details,
                /* libvirt-dbus's NetworkEvent has no detail. */
                .lifecycle_signal = "NetworkEvent", .lifecycle_detail = false,
                .apply_lifecycle = network_apply_lifecycle, .event_creates = network_event_creates,
        },
        [KIND_STORAGE_POOL] = {
                .id = KIND_STORAGE_POOL, .name = "storage-pool", .interface = "org.libvirt.StoragePool",
                .segment = "storagepool", .uuid_keys = true, FACTS(pool_facts), .name_fact = POOL_NAME,
                .event_facts = (1u << POOL_ACTIVE) | (1u << POOL_PERSISTENT),
                .details = pool_details, .xml_details = pool_xml_details,
                .lifecycle_signal = "StoragePoolEvent", .lifecycle_detail = true,
                .apply_lifecycle = pool_apply_lifecycle, .event_creates = pool_event_creates,
        },
        /* Volumes have no events: their pool's events and the calls that
         * change them keep them current. */
        [KIND_STORAGE_VOL] = {
                .id = KIND_STORAGE_VOL, .name = "storage-vol", .interface = "org.libvirt.StorageVol",
                .segment = "storagevol", FACTS(vol_facts), .name_fact = VOL_NAME,
                .details = vol_details, .xml_details = vol_xml_details,
        },
        [KIND_SECRET] = {
                .id = KIND_SECRET, .name = "secret", .interface = "org.libvirt.Secret", .segment = "secret",
                .uuid_keys = true, FACTS(secret_facts), .name_fact = -1,
                .details = secret_details, .xml_details = secret_xml_details,
                .lifecycle_signal = "SecretEvent", .lifecycle_detail = true,
                .apply_lifecycle = secret_apply_lifecycle, .event_creates = secret_event_creates,
        },
        [KIND_NODE_DEVICE] = {
                .id = KIND_NODE_DEVICE, .name = "node-device", .interface = "org.libvirt.NodeDevice",
                .segment = "nodedev", FACTS(nodedev_facts), .name_fact = DEV_NAME,
                .details = nodedev_details, .xml_details = nodedev_xml_details,
                .lifecycle_signal = "NodeDeviceEvent", .lifecycle_detail = true,
                .apply_lifecycle = nodedev_apply_lifecycle, .event_creates = nodedev_event_creates,
        },
        /* Host interfaces and network filters have no events in libvirt. */
        [KIND_INTERFACE] = {
                .id = KIND_INTERFACE, .name = "interface", .interface = "org.libvirt.Interface",
                .segment = "interface", FACTS(iface_facts), .name_fact = IFACE_NAME,
                .details = iface_details, .xml_details = iface_xml_details,
        },
        [KIND_NWFILTER] = {
                .id = KIND_NWFILTER, .name = "nwfilter", .interface = "org.libvirt.NWFilter",
                .segment = "nwfilter", .uuid_keys = true, FACTS(nwfilter_facts), .name_fact = NWFILTER_NAME,
                .details = nwfilter_details, .xml_details = nwfilter_xml_details,
        },
};

const Kind *kind_get(KindId id) {
        return id >= 0 && id < KIND_MAX ? &kinds[id] : NULL;
}

const Kind *kind_by_interface(const char *interface) {
        for (size_t i = 0; i < KIND_MAX; i++)
                if (streq(kinds[i].interface, interface))
                        return &kinds[i];
        return NULL;
}

int kind_fact_index(const Kind *k, const char *name) {
        for (unsigned i = 0; i < k->nfacts; i++)
                if (streq(k->facts[i].name, name))
                        return (int) i;
        return -1;
}

const char *obj_name(const Obj *o) {
        if (o->kind->name_fact < 0 || o->facts[o->kind->name_fact].type != 's')
                return o->key;
        return o->facts[o->kind->name_fact].s;
}

uint64_t facts_diff(const Kind *k, const Value *a, const Value *b) {
        uint64_t m = 0;

        for (unsigned i = 0; i < k->nfacts; i++)
                if (!value_equal(&a[i], &b[i]))
                        m |= UINT64_C(1) << i;
        return m;
}

void facts_copy(const Kind *k, Value *dst, const Value *src) {
        for (unsigned i = 0; i < k->nfacts; i++)
                value_copy(&dst[i], &src[i]);
}

void facts_clear(const Kind *k, Value *facts) {
        value_clear_many(facts, k->nfacts);
}
