/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <libvirt/libvirt.h>

#include "domain.h"
#include "job.h"
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

void obj_details(const Obj *o, Details *d) {
        for (unsigned i = 0; i < KIND_MAX_DETAILS && o->kind->details[i].key; i++) {
                const DetailDesc *dd = &o->kind->details[i];
                details_set(d, dd->key, dd->source == FROM_KEY ? o->key : fact_str(o, dd->fact));
        }
        if (o->kind->id == KIND_SECRET) {
                int t = kind_fact_index(o->kind, "UsageType");
                const char *key = t >= 0 && o->facts[t].type == 'i' ? secret_usage_key(o->facts[t].i) : NULL;
                if (key)
                        details_set(d, key, fact_str(o, "UsageID"));
        }
        if (o->kind->more_details)
                o->kind->more_details(o, d);
}

void kind_xml_details(const Kind *k, const char *name, const char *uuid, const char *mac, Details *d) {
        for (unsigned i = 0; i < KIND_MAX_DETAILS && k->xml_details[i].key; i++) {
                const DetailDesc *dd = &k->xml_details[i];
                details_set(d, dd->key, dd->source == FROM_XML_NAME ? name : dd->source == FROM_XML_UUID ? uuid : mac);
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

/* ---- the registry ------------------------------------------------------- */

#define FACTS(f) f, ELEMENTSOF(f)

static const Kind kinds[KIND_MAX] = {
        [KIND_CONNECT] = { KIND_CONNECT, "connect", "org.libvirt.Connect", NULL, false,
                           FACTS(connect_facts), -1, 0 },
        [KIND_DOMAIN] = { KIND_DOMAIN, "domain", "org.libvirt.Domain", "domain", true,
                          FACTS(domain_facts), DOM_NAME,
                          (1u << DOM_STATE) | (1u << DOM_PERSISTENT) | (1u << DOM_NAME),
                          { FACT("domain_name", "Name"), KEY("domain_uuid") },
                          { XML_NAME("domain_name"), XML_UUID("domain_uuid") } },
        [KIND_NETWORK] = { KIND_NETWORK, "network", "org.libvirt.Network", "network", true,
                           FACTS(network_facts), 2, 0,
                           { FACT("network_name", "Name"), KEY("network_uuid") },
                           { XML_NAME("network_name"), XML_UUID("network_uuid") } },
        [KIND_STORAGE_POOL] = { KIND_STORAGE_POOL, "storage-pool", "org.libvirt.StoragePool", "storagepool",
                                true, FACTS(pool_facts), 2, 0,
                                { FACT("pool_name", "Name"), KEY("pool_uuid") },
                                { XML_NAME("pool_name"), XML_UUID("pool_uuid") } },
        [KIND_STORAGE_VOL] = { KIND_STORAGE_VOL, "storage-vol", "org.libvirt.StorageVol", "storagevol", false,
                               FACTS(vol_facts), 0, 0,
                               { FACT("pool_name", "PoolName"), FACT("pool_uuid", "PoolUUID"),
                                 FACT("vol_name", "Name"), KEY("vol_key") },
                               { XML_NAME("vol_name") } },
        [KIND_SECRET] = { KIND_SECRET, "secret", "org.libvirt.Secret", "secret", true,
                          FACTS(secret_facts), -1, 0,
                          { KEY("secret_uuid") },
                          { XML_UUID("secret_uuid") } },
        [KIND_NODE_DEVICE] = { KIND_NODE_DEVICE, "node-device", "org.libvirt.NodeDevice", "nodedev", false,
                               FACTS(nodedev_facts), 0, 0,
                               { KEY("node_device_name") },
                               { XML_NAME("node_device_name") } },
        [KIND_INTERFACE] = { KIND_INTERFACE, "interface", "org.libvirt.Interface", "interface", false,
                             FACTS(iface_facts), 2, 0,
                             { FACT("interface_name", "Name"), FACT("interface_macaddr", "MAC") },
                             { XML_NAME("interface_name"), XML_MAC("interface_macaddr") } },
        [KIND_NWFILTER] = { KIND_NWFILTER, "nwfilter", "org.libvirt.NWFilter", "nwfilter", true,
                            FACTS(nwfilter_facts), 0, 0,
                            { FACT("nwfilter_name", "Name"), KEY("nwfilter_uuid") },
                            { XML_NAME("nwfilter_name"), XML_UUID("nwfilter_uuid") } },
        /* Keyed by a number the connection counts up. */
        [KIND_JOB] = { KIND_JOB, "job", "org.libvirt.Job", "job", false, FACTS(job_facts), -1, 0, { { NULL } },
                       { { NULL } }, job_details, job_polkit_object },
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
