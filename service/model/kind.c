/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <libvirt/libvirt.h>

#include "domain.h"
#include "job.h"
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
        /* virtbusd's: the job running on it. */
        { "Job", "o", FACT_LOCAL },
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

/* Model/job.h names the indices. */
static const FactDesc job_facts[] = {
        { "Cancelable", "b", 0 },
        { "DataProcessed", "t", 0 },
        { "DataRemaining", "t", 0 },
        { "DataTotal", "t", 0 },
        { "ExpectedEndTime", "t", 0 },
        { "Object", "o", FACT_CONST },
        { "Operation", "s", FACT_CONST },
        { "Progress", "d", 0 },
        { "ProgressValid", "b", 0 },
        { "Rate", "t", 0 },
        { "StartedByUID", "x", FACT_CONST },
        { "StartTime", "t", FACT_CONST },
        { "PolkitObject", "s", FACT_HIDDEN | FACT_CONST },
        { "Details", "a{ss}", FACT_HIDDEN | FACT_CONST },
};

/* ---- polkit details, as libvirt's polkit access driver passes them ----- */

#define KEY(k) { k, FROM_KEY, NULL }
#define FACT(k, f) { k, FROM_FACT, f }
#define XML_NAME(k) { k, FROM_XML_NAME, NULL }
#define XML_UUID(k) { k, FROM_XML_UUID, NULL }
#define XML_MAC(k) { k, FROM_XML_MAC, NULL }

static const char *fact_str(const Obj *o, const char *name) {
        int i = kind_fact_index(o->kind, name);

        return i >= 0 && o->facts[i].type == 's' ? o->facts[i].s : NULL;
}

/* A secret's usage detail is named after its usage type. */
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

/* A job is judged as the object it acts on: it carries that object's
 * polkit object and details from when it started. */
static void job_details(const Obj *o, Details *d) {
        const Value *v = &o->facts[JOB_DETAILS];

        for (size_t i = 0; v->type == 'a' && i < v->items.n; i++) {
                const Value *e = &v->items.v[i];
                details_set(d, details_static_key(value_get_str(&e->items.v[0])), value_get_str(&e->items.v[1]));
        }
}

static const char *job_polkit_object(const Obj *o) {
        return value_get_str(&o->facts[JOB_POLKIT_OBJECT]);
}

void obj_details(const Obj *o, Details *d) {
        for (unsigned i = 0; i < KIND_MAX_DETAILS && o->kind->details[i].key; i++) {
                const DetailDesc *dd = &o->kind->details[i];
                details_set(d, dd->key, dd->source == FROM_KEY ? o->key : fact_str(o, dd->fact));
        }
        if (o->kind->id == KIND_JOB)
                job_details(o, d);
        if (o->kind->id == KIND_SECRET) {
                int t = kind_fact_index(o->kind, "UsageType");
                const char *key = t >= 0 && o->facts[t].type == 'i' ? secret_usage_key(o->facts[t].i) : NULL;
                if (key)
                        details_set(d, key, fact_str(o, "UsageID"));
        }
}

void kind_xml_details(const Kind *k, const char *name, const char *uuid, const char *mac, Details *d) {
        for (unsigned i = 0; i < KIND_MAX_DETAILS && k->xml_details[i].key; i++) {
                const DetailDesc *dd = &k->xml_details[i];
                if (dd->source == FROM_XML_UUID) {
                        /* libvirt reads "ABCD..." and "abcd-..." as the same
                         * UUID: polkit must see the one way it is written. */
                        _cleanup_free_ char *canon = uuid_canonical(uuid);
                        details_set(d, dd->key, canon ? canon : uuid);
                } else
                        details_set(d, dd->key, dd->source == FROM_XML_NAME ? name : mac);
        }
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
                .event_facts = (1u << DOM_STATE) | (1u << DOM_PERSISTENT) | (1u << DOM_NAME) |
                               (1u << DOM_ACTIVE) | (1u << DOM_ID),
                .details = { FACT("domain_name", "Name"), KEY("domain_uuid") },
                .xml_details = { XML_NAME("domain_name"), XML_UUID("domain_uuid") },
                .lifecycle_signal = "DomainEvent", .lifecycle_detail = true,
                .apply_lifecycle = domain_apply_lifecycle, .event_creates = domain_event_creates,
        },
        [KIND_NETWORK] = {
                .id = KIND_NETWORK, .name = "network", .interface = "org.libvirt.Network", .segment = "network",
                .uuid_keys = true, FACTS(network_facts), .name_fact = NET_NAME,
                .event_facts = (1u << NET_ACTIVE) | (1u << NET_PERSISTENT),
                .details = { FACT("network_name", "Name"), KEY("network_uuid") },
                .xml_details = { XML_NAME("network_name"), XML_UUID("network_uuid") },
                /* libvirt-dbus's NetworkEvent has no detail. */
                .lifecycle_signal = "NetworkEvent", .lifecycle_detail = false,
                .apply_lifecycle = network_apply_lifecycle, .event_creates = network_event_creates,
        },
        [KIND_STORAGE_POOL] = {
                .id = KIND_STORAGE_POOL, .name = "storage-pool", .interface = "org.libvirt.StoragePool",
                .segment = "storagepool", .uuid_keys = true, FACTS(pool_facts), .name_fact = POOL_NAME,
                .event_facts = (1u << POOL_ACTIVE) | (1u << POOL_PERSISTENT),
                .details = { FACT("pool_name", "Name"), KEY("pool_uuid") },
                .xml_details = { XML_NAME("pool_name"), XML_UUID("pool_uuid") },
                .lifecycle_signal = "StoragePoolEvent", .lifecycle_detail = true,
                .apply_lifecycle = pool_apply_lifecycle, .event_creates = pool_event_creates,
        },
        /* Volumes have no events: their pool's events and the calls that
         * change them keep them current. */
        [KIND_STORAGE_VOL] = {
                .id = KIND_STORAGE_VOL, .name = "storage-vol", .interface = "org.libvirt.StorageVol",
                .segment = "storagevol", FACTS(vol_facts), .name_fact = VOL_NAME,
                .details = { FACT("pool_name", "PoolName"), FACT("pool_uuid", "PoolUUID"), FACT("vol_name", "Name"),
                             KEY("vol_key") },
                .xml_details = { XML_NAME("vol_name") },
        },
        [KIND_SECRET] = {
                .id = KIND_SECRET, .name = "secret", .interface = "org.libvirt.Secret", .segment = "secret",
                .uuid_keys = true, FACTS(secret_facts), .name_fact = -1,
                .details = { KEY("secret_uuid") },
                .xml_details = { XML_UUID("secret_uuid") },
                .lifecycle_signal = "SecretEvent", .lifecycle_detail = true,
                .apply_lifecycle = secret_apply_lifecycle, .event_creates = secret_event_creates,
        },
        [KIND_NODE_DEVICE] = {
                .id = KIND_NODE_DEVICE, .name = "node-device", .interface = "org.libvirt.NodeDevice",
                .segment = "nodedev", FACTS(nodedev_facts), .name_fact = DEV_NAME,
                .details = { KEY("node_device_name") },
                .xml_details = { XML_NAME("node_device_name") },
                .lifecycle_signal = "NodeDeviceEvent", .lifecycle_detail = true,
                .apply_lifecycle = nodedev_apply_lifecycle, .event_creates = nodedev_event_creates,
        },
        /* Host interfaces and network filters have no events in libvirt. */
        [KIND_INTERFACE] = {
                .id = KIND_INTERFACE, .name = "interface", .interface = "org.libvirt.Interface",
                .segment = "interface", FACTS(iface_facts), .name_fact = IFACE_NAME,
                .details = { FACT("interface_name", "Name"), FACT("interface_macaddr", "MAC") },
                .xml_details = { XML_NAME("interface_name"), XML_MAC("interface_macaddr") },
        },
        [KIND_NWFILTER] = {
                .id = KIND_NWFILTER, .name = "nwfilter", .interface = "org.libvirt.NWFilter",
                .segment = "nwfilter", .uuid_keys = true, FACTS(nwfilter_facts), .name_fact = NWFILTER_NAME,
                .details = { FACT("nwfilter_name", "Name"), KEY("nwfilter_uuid") },
                .xml_details = { XML_NAME("nwfilter_name"), XML_UUID("nwfilter_uuid") },
        },
        /* virtbusd's own: keyed by a number the connection counts up. Seen
         * and judged as the object it acts on. */
        [KIND_JOB] = {
                .id = KIND_JOB, .name = "job", .interface = "org.libvirt.Job", .segment = "job",
                FACTS(job_facts), .name_fact = -1, .polkit_object = job_polkit_object,
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

const char *obj_polkit_object(const Obj *o) {
        return o->kind->polkit_object ? o->kind->polkit_object(o) : o->kind->name;
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
