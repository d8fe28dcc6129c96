/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The registry of object kinds. A kind is described once: its D-Bus
 * interface, how its objects are named on the bus, its polkit object and
 * the details libvirt's own polkit driver passes for it, and the facts its
 * objects have (which are its properties). Plain data: no D-Bus and no
 * libvirt calls in the model. */

#include <stdbool.h>
#include <stdint.h>

#include "details.h"
#include "value.h"

typedef enum KindId {
        KIND_CONNECT,           /* the connection itself */
        KIND_DOMAIN,
        KIND_NETWORK,
        KIND_STORAGE_POOL,
        KIND_STORAGE_VOL,
        KIND_SECRET,
        KIND_NODE_DEVICE,
        KIND_INTERFACE,
        KIND_NWFILTER,
        KIND_JOB,               /* a long operation in progress (virtbusd's own kind) */
        KIND_MAX
} KindId;

#define MAX_FACTS 16

enum {
        FACT_CONST = 1u << 0,   /* never changes while the object exists */
        FACT_HIDDEN = 1u << 1,  /* kept for the daemon (details, lists), not a property */
        /* Kept by the daemon, not read from libvirt (a domain's running
         * job): a fresh reading of the object leaves it alone, only
         * space_set_fact() changes it. */
        FACT_LOCAL = 1u << 2,
};

typedef struct FactDesc {
        const char *name;       /* the property name */
        const char *sig;        /* its D-Bus signature */
        unsigned flags;
} FactDesc;

typedef struct Obj Obj;

/* Where a polkit detail of an object comes from. */
typedef enum DetailSource {
        FROM_NONE,
        FROM_KEY,               /* the object's key */
        FROM_FACT,              /* a fact, by name */
        /* From caller XML about an object to be made: */
        FROM_XML_NAME,
        FROM_XML_UUID,
        FROM_XML_MAC,
} DetailSource;

typedef struct DetailDesc {
        const char *key;        /* as libvirt's polkit driver names it: "domain_name" */
        DetailSource source;
        const char *fact;
} DetailDesc;

#define KIND_MAX_DETAILS 4

typedef struct Kind {
        KindId id;
        const char *name;       /* polkit object: org.libvirt.dbus.<name>.<permission> */
        const char *interface;  /* "org.libvirt.Domain" */
        const char *segment;    /* objects live at <connection path>/<segment>/<key> */
        bool uuid_keys;         /* keys are UUIDs, written "_<uuid with _>" */
        const FactDesc *facts;
        unsigned nfacts;
        int name_fact;          /* the fact that names an object, -1 if none */
        /* The facts libvirt's events keep current (one bit per index):
         * a change's reply waits until the table shows the worker's view
         * of these. The others are published from that view at once. */
        uint64_t event_facts;
        /* The details libvirt's polkit driver passes for such an object
         * (domain_name and domain_uuid...), and for one described by
         * caller XML before it is made. */
        DetailDesc details[KIND_MAX_DETAILS];
        DetailDesc xml_details[KIND_MAX_DETAILS];
        /* libvirt's lifecycle events of the kind are relayed as this signal
         * of org.libvirt.Connect (NULL: the kind has no events), with the
         * event's detail when @lifecycle_detail (NetworkEvent has none). */
        const char *lifecycle_signal;
        bool lifecycle_detail;
        /* How such an event changes the facts; true when the object is gone. */
        bool (*apply_lifecycle)(Value *facts, int event, int detail, uint32_t id);
        /* Whether such an event about an unknown object means it exists. */
        bool (*event_creates)(int event);
        /* The polkit object an object is judged as, when it is not @name
         * (a job is judged as the object it acts on). NULL: @name. */
        const char *(*polkit_object)(const Obj *o);
} Kind;

const Kind *kind_get(KindId id);
/* The kind with this D-Bus interface, or NULL. */
const Kind *kind_by_interface(const char *interface);
int kind_fact_index(const Kind *k, const char *name);

/* One object of a kind, as a connection's table holds it. */
struct Obj {
        const Kind *kind;
        char *key;              /* UUID, volume key, device name, MAC... */
        char *path;
        Value facts[MAX_FACTS];
        void *handle;           /* the libvirt object (virDomainPtr...), owned by the libvirt side */
        struct Obj *hnext;
        uint64_t serial;        /* tells this object from a later one with the same key */
        uint64_t changed_at;    /* the space's change count when an event last changed it */
        bool announced;         /* InterfacesAdded has been sent */
};

const char *obj_name(const Obj *o);
/* The polkit object @o is judged as: "domain" in org.libvirt.dbus.domain.getattr. */
const char *obj_polkit_object(const Obj *o);
/* Adds the polkit details of @o. */
void obj_details(const Obj *o, Details *d);
/* Adds the details of an object of @k that caller XML describes. */
void kind_xml_details(const Kind *k, const char *name, const char *uuid, const char *mac, Details *d);
/* Which facts differ between @a and @b, one bit per fact index. */
uint64_t facts_diff(const Kind *k, const Value *a, const Value *b);
void facts_copy(const Kind *k, Value *dst, const Value *src);
void facts_clear(const Kind *k, Value *facts);
