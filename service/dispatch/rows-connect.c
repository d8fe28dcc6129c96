/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.libvirt.Connect: one object per libvirt connection. */
#include "call.h"
#include "conn.h"
#include "domain.h"
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

static int list_domains_from_table(Call *c, sd_bus_error *error) {
        uint32_t flags = value_get_u32(&c->in[0]);
        ObjTable *t = c->space->tables[KIND_DOMAIN];
        Value *v;
        size_t n = 0;

        if (flags & ~TABLE_LIST_FLAGS)
                return 1;
        v = value_init_array(&c->work.out[0], "o", obj_table_size(t));
        OBJ_TABLE_FOREACH(o, t, b)
                if (list_match(o->facts, flags) && access_may_see(c->seen, c->space, o))
                        v[n++] = value_path(o->path);
        c->work.out[0].items.n = n;
        return 0;
}

/* Results libvirt listed, trimmed to what the caller may see: out[0] the
 * answer, out[1] the key of each entry. */
static int keep_visible(Call *c, KindId kind) {
        Value *list = &c->work.out[0], *keys = &c->work.out[1];
        size_t n = 0;

        for (size_t i = 0; i < list->items.n; i++) {
                Obj *o = space_get(c->space, kind, value_get_str(&keys->items.v[i]));
                if (o && access_may_see(c->seen, c->space, o)) {
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

static int finish_domain_list(Call *c, sd_bus_error *error) {
        return keep_visible(c, KIND_DOMAIN);
}

/* The table knows every domain's name, UUID and id: a lookup of a known
 * domain needs no libvirt round trip. Only misses go to libvirt, for its
 * own error. */
static int lookup_from_table(Call *c, const Row *row) {
        const char *s = c->in[0].type == 's' ? c->in[0].s : NULL;
        ObjTable *t = c->space->tables[KIND_DOMAIN];
        Obj *found = NULL;
        Work *w = &c->work;

        if (streq(row->member, "DomainLookupByUUID"))
                found = space_get(c->space, KIND_DOMAIN, s);
        else
                OBJ_TABLE_FOREACH(o, t, b)
                        if (!found && (streq(row->member, "DomainLookupByID")
                                               ? o->facts[DOM_ACTIVE].b && o->facts[DOM_ID].u == (uint32_t) c->in[0].i
                                               : streq(value_get_str(&o->facts[DOM_NAME]), s)))
                                found = o;
        if (!found || !found->handle)
                return 1;
        virt_kind(KIND_DOMAIN)->ref(found->handle);
        w->found = found->handle;
        w->found_kind = KIND_DOMAIN;
        w->found_key = xstrdup(found->key);
        facts_copy(found->kind, w->found_facts, found->facts);
        w->out[0] = value_path(found->path);
        return 0;
}

static int lookup_by_id(Call *c, sd_bus_error *error) {
        return lookup_from_table(c, c->row);
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
#define LOOKUP(name, sig, arg, runner, text)                                                    \
        METHOD(name, ARGS(sig, arg), RESULT("o", domain), .loop = lookup_by_id, .run = runner,                \
               .publish = PUBLISH_LOOKUP, .finds = KIND_DOMAIN, .not_found = text)

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
               .loop = list_domains_from_table, .run = op_connect_list_domains, .finish = finish_domain_list),
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

        SIGNAL("DomainEvent", ARGS("o", domain, "i", event, "i", detail)),
};

INTERFACE(connect_interface, "org.libvirt.Connect", KIND_CONNECT, ROWS(connect_rows));
