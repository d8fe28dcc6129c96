/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <systemd/sd-id128.h>

#include "log.h"
#include "marshal.h"
#include "adapters.h"
#include "objects.h"
#include "paths.h"
#include "util.h"
#include "vtable.h"

#define ROOT_PATH "/org/libvirt"

typedef struct Prefix Prefix;

typedef struct Bus {
        sd_bus *bus;
        Manager *manager;
        Dispatcher *d;
        Prefix **prefixes;      /* registered, freed with the bus */
        size_t nprefixes;
} Bus;

/* What a registration under one connection serves: the objects of a kind
 * below a prefix, or the snapshots of its domains. */
struct Prefix {
        Bus *b;
        Connection *conn;
        const Interface *iface;
        const char *path;       /* the prefix node */
        bool snapshots;
};

static Bus the_bus;

/* ---- finding objects ---------------------------------------------------------- */

/* The object a message's path names (for snapshots: their domain, with
 * the snapshot's name in @sub), or NULL. */
static Obj *resolve(Prefix *p, const char *path, char **sub) {
        Space *s = p->conn->space;
        Obj *o;

        if (p->snapshots) {
                char uuid[UUID_STRING_LEN + 1];
                if (!path_to_snapshot(s->snapshot_prefix, path, uuid, sub))
                        return NULL;
                o = space_get(s, KIND_DOMAIN, uuid);
                if (!o) {
                        free(*sub);
                        *sub = NULL;
                }
                return o;
        }
        o = space_by_path(s, path);
        return o && o->kind->id == p->iface->kind ? o : NULL;
}

static int object_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                       sd_bus_error *error) {
        _cleanup_free_ char *sub = NULL;
        Obj *o = resolve(userdata, path, &sub);

        if (!o)
                return 0;
        *found = o;
        return 1;
}

/* ---- messages on objects ------------------------------------------------------ */

static int reply_unknown_object(sd_bus_message *m) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;

        dispatch_unknown_object(&e, sd_bus_message_get_path(m));
        return sd_bus_reply_method_error(m, &e);
}

static bool is_call(sd_bus_message *m, const char *iface, const char *member) {
        return sd_bus_message_is_method_call(m, iface, member) > 0;
}

static int reply_introspection(sd_bus_message *m, const Interface *iface, char *const *children) {
        _cleanup_free_ char *xml = bus_introspect(iface, children);

        return sd_bus_reply_method_return(m, "s", xml);
}

static int reply_peer(sd_bus_message *m) {
        sd_id128_t id;
        char s[SD_ID128_STRING_MAX];
        int r;

        if (is_call(m, "org.freedesktop.DBus.Peer", "Ping"))
                return sd_bus_reply_method_return(m, NULL);
        r = sd_id128_get_machine(&id);
        if (r < 0)
                return sd_bus_reply_method_errno(m, r, NULL);
        return sd_bus_reply_method_return(m, "s", sd_id128_to_string(id, s));
}

static int reply_error(sd_bus_message *m, int r, sd_bus_error *e) {
        if (r < 0 && !sd_bus_error_is_set(e))
                sd_bus_error_set_errno(e, r);
        return sd_bus_reply_method_error(m, e);
}

/* Properties of @iface on @target: Get and GetAll read the tables, Set
 * goes through the property's setter row, all authorized as calls. */
static int route_properties(Bus *b, Connection *conn, const Interface *iface, Obj *target, sd_bus_message *m) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        const char *member = sd_bus_message_get_member(m), *in_iface = NULL, *prop = NULL;
        bool get = streq(member, "Get"), all = streq(member, "GetAll"), set = streq(member, "Set");
        const char *expected = get ? "ss" : all ? "s" : "ssv";
        int r;

        if (!get && !all && !set) {
                sd_bus_error_setf(&e, SD_BUS_ERROR_UNKNOWN_METHOD, "Unknown method %s or interface %s.", member,
                                  "org.freedesktop.DBus.Properties");
                return sd_bus_reply_method_error(m, &e);
        }
        if (!sd_bus_message_has_signature(m, expected)) {
                sd_bus_error_setf(&e, SD_BUS_ERROR_INVALID_ARGS,
                                  "Invalid arguments '%s' to call org.freedesktop.DBus.Properties.%s(), expecting '%s'.",
                                  strna(sd_bus_message_get_signature(m, true)), member, expected);
                return sd_bus_reply_method_error(m, &e);
        }
        r = sd_bus_message_read(m, "s", &in_iface);
        if (r >= 0 && !all)
                r = sd_bus_message_read(m, "s", &prop);
        if (r < 0)
                return reply_error(m, r, &e);
        if (!streq(in_iface, iface->name)) {
                /* The standard interfaces have no properties. */
                if (all && (streq(in_iface, "org.freedesktop.DBus.Peer") ||
                            streq(in_iface, "org.freedesktop.DBus.Introspectable") ||
                            streq(in_iface, "org.freedesktop.DBus.Properties")))
                        return sd_bus_reply_method_return(m, "a{sv}", 0);
                _cleanup_free_ char *q = utf8_truncate(in_iface, 256);
                sd_bus_error_setf(&e, SD_BUS_ERROR_UNKNOWN_INTERFACE, "Unknown interface '%s'.", q);
                return sd_bus_reply_method_error(m, &e);
        }
        if (set)
                r = dispatch_property_set(b->d, conn, iface, target, prop, m, &e);
        else
                r = dispatch_property_get(b->d, conn, iface, target, prop, m, &e);
        return r < 0 ? reply_error(m, r, &e) : 1;
}

/* Everything a visible object answers: its interface's members, its
 * properties, introspection and Peer. */
static int route(Prefix *p, sd_bus_message *m, Obj *target, const char *sub) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        const char *iface = sd_bus_message_get_interface(m), *member = sd_bus_message_get_member(m);
        const Row *row;
        int r;

        if (is_call(m, "org.freedesktop.DBus.Introspectable", "Introspect"))
                return reply_introspection(m, p->iface, NULL);
        if (iface && streq(iface, "org.freedesktop.DBus.Peer"))
                return reply_peer(m);
        if (iface && streq(iface, "org.freedesktop.DBus.Properties"))
                return route_properties(p->b, p->conn, p->iface, target, m);
        row = (!iface || streq(iface, p->iface->name)) ? interface_row(p->iface, ROW_METHOD, member) : NULL;
        if (!row) {
                _cleanup_free_ char *qm = utf8_truncate(member, 256), *qi = utf8_truncate(iface, 256);
                sd_bus_error_setf(&e, SD_BUS_ERROR_UNKNOWN_METHOD, "Unknown method %s or interface %s.", qm,
                                  iface ? qi : "(null)");
                return sd_bus_reply_method_error(m, &e);
        }
        r = dispatch_method(p->b->d, p->conn, p->iface, row, target, sub, m, &e);
        return r < 0 ? reply_error(m, r, &e) : 1;
}

static void on_visible(void *ud, sd_bus_message *m) {
        Prefix *p = ud;
        _cleanup_free_ char *sub = NULL;
        /* Looked up again: it may have gone while polkit answered. */
        Obj *o = resolve(p, sd_bus_message_get_path(m), &sub);

        if (!o) {
                reply_unknown_object(m);
                return;
        }
        route(p, m, o, sub);
}

/* The list of a prefix node's children, for its introspection. */
typedef struct NodeList {
        Prefix *p;
} NodeList;

static int write_node_introspection(void *ud, const void *seen, sd_bus_message *reply) {
        Prefix *p = ud;
        Space *s = p->conn->space;
        ObjTable *t = s->tables[p->iface->kind];
        size_t n = 0, plen = strlen(p->path) + 1;
        char **children = xmalloc0(sizeof(char *) * (obj_table_size(t) + 1));
        int r;

        /* Snapshots are not listed: libvirt would have to be asked. */
        if (!p->snapshots)
                OBJ_TABLE_FOREACH(o, t, b)
                        if (dispatch_may_see(seen, s, o))
                                children[n++] = xstrdup(o->path + plen);
        _cleanup_free_ char *xml = bus_introspect(NULL, children);
        strv_free(children);
        r = sd_bus_message_append(reply, "s", xml);
        return r;
}

static int object_message(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Prefix *p = userdata;
        const char *path = sd_bus_message_get_path(m);
        _cleanup_free_ char *sub = NULL;
        Obj *o;

        if (!sd_bus_message_is_method_call(m, NULL, NULL))
                return 0;
        if (streq(path, p->path)) {
                /* The node that holds the objects lists only those the
                 * caller may see; the rest of it is sd-bus's. */
                if (is_call(m, "org.freedesktop.DBus.Introspectable", "Introspect"))
                        return dispatch_list(p->b->d, m, kind_get(p->iface->kind)->name, write_node_introspection, p,
                                             error);
                return 0;
        }
        /* A message callback on a prefix makes sd-bus treat every path below
         * it as existing: say here which do not. */
        o = resolve(p, path, &sub);
        if (!o)
                return reply_unknown_object(m);
        if (dispatch_sees_all_now(p->b->d, m))
                return route(p, m, o, sub);
        /* Whether it may be seen is decided before anything about it is
         * answered, whatever is asked: a hidden object and a missing one
         * answer alike. */
        return dispatch_when_visible(p->b->d, p->conn, o, m, on_visible, p);
}

static int vtable_method(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        /* Objects below a prefix are answered by object_message() first;
         * this serves the Connect objects, whose userdata is their own
         * facts. */
        Obj *self = userdata;
        Connection *conn = NULL;
        const Interface *iface = interface_by_name(sd_bus_message_get_interface(m));
        const Row *row = interface_row(iface, ROW_METHOD, sd_bus_message_get_member(m));

        for (size_t i = 0; i < the_bus.manager->nconns; i++)
                if (&the_bus.manager->conns[i]->space->self == self)
                        conn = the_bus.manager->conns[i];
        if (!conn || !row)
                return sd_bus_error_setf(error, SD_BUS_ERROR_UNKNOWN_METHOD, "Unknown method");
        return dispatch_method(the_bus.d, conn, iface, row, self, NULL, m, error);
}

static int connect_message(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Connection *conn = userdata;

        /* Properties of org.libvirt.Connect are authorized calls answered
         * the libvirt-dbus way; the rest is the vtable's. */
        if (!is_call(m, "org.freedesktop.DBus.Properties", NULL))
                return 0;
        const char *in_iface = NULL;
        if (sd_bus_message_read(m, "s", &in_iface) < 0 || !streq(in_iface, "org.libvirt.Connect")) {
                sd_bus_message_rewind(m, true);
                return 0;
        }
        sd_bus_message_rewind(m, true);
        return route_properties(&the_bus, conn, &connect_interface, &conn->space->self, m);
}

/* ---- the ObjectManager ---------------------------------------------------------- */

static int append_object(sd_bus_message *reply, const Interface *iface, Obj *o) {
        static const char *const standard[] = {
                "org.freedesktop.DBus.Peer", "org.freedesktop.DBus.Introspectable",
                "org.freedesktop.DBus.Properties",
        };
        int r = sd_bus_message_open_container(reply, 'e', "oa{sa{sv}}");

        if (r >= 0)
                r = sd_bus_message_append_basic(reply, 'o', o->path);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "{sa{sv}}");
        /* Container by container: sd_bus_message_append() would parse its
         * format string three times per object, the largest part of a
         * GetManagedObjects reply's cost. */
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(standard); i++) {
                r = sd_bus_message_open_container(reply, 'e', "sa{sv}");
                if (r >= 0)
                        r = sd_bus_message_append_basic(reply, 's', standard[i]);
                if (r >= 0)
                        r = sd_bus_message_open_container(reply, 'a', "{sv}");
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
        }
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'e', "sa{sv}");
        if (r >= 0)
                r = sd_bus_message_append_basic(reply, 's', iface->name);
        if (r >= 0)
                r = dispatch_append_properties(reply, iface, o, 1);
        for (int k = 0; k < 3 && r >= 0; k++)
                r = sd_bus_message_close_container(reply);
        return r;
}

static int write_managed_objects(void *ud, const void *seen, sd_bus_message *reply) {
        Bus *b = ud;
        int r = sd_bus_message_open_container(reply, 'a', "{oa{sa{sv}}}");

        for (size_t i = 0; r >= 0 && i < b->manager->nconns; i++) {
                Space *s = b->manager->conns[i]->space;
                if (dispatch_may_see(seen, s, &s->self))
                        r = append_object(reply, &connect_interface, &s->self);
                for (const Interface *const *iface = interfaces; r >= 0 && *iface; iface++) {
                        if ((*iface)->sub || (*iface)->kind == KIND_CONNECT)
                                continue;
                        OBJ_TABLE_FOREACH(o, s->tables[(*iface)->kind], bk)
                                if (r >= 0 && dispatch_may_see(seen, s, o))
                                        r = append_object(reply, *iface, o);
                }
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

static int root_message(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        /* Answered from the tables in one pass, after learning which
         * objects the caller may see (sd-bus's own handler could not wait
         * for polkit). */
        if (!is_call(m, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects"))
                return 0;
        return dispatch_list(the_bus.d, m, NULL, write_managed_objects, &the_bus, error);
}

/* ---- signals, from the spaces' observer ------------------------------------------ */

static void on_added(void *ud, Space *s, Obj *o) {
        Bus *b = ud;
        int r;

        if (!interface_by_name(o->kind->interface))
                return;
        r = sd_bus_emit_object_added(b->bus, o->path);
        if (r < 0)
                log_error("Failed to emit InterfacesAdded for %s: %s", o->path, strerror(-r));
}

static void on_removed(void *ud, Space *s, Obj *o) {
        Bus *b = ud;
        int r;

        if (!interface_by_name(o->kind->interface))
                return;
        r = sd_bus_emit_object_removed(b->bus, o->path);
        if (r < 0)
                log_error("Failed to emit InterfacesRemoved for %s: %s", o->path, strerror(-r));
}

static void on_changed(void *ud, Space *s, Obj *o, uint64_t mask) {
        Bus *b = ud;
        const char *names[MAX_FACTS + 1];
        size_t n = 0;
        int r;

        for (unsigned i = 0; i < o->kind->nfacts; i++)
                if ((mask & (UINT64_C(1) << i)) && !(o->kind->facts[i].flags & FACT_HIDDEN))
                        names[n++] = o->kind->facts[i].name;
        names[n] = NULL;
        if (n == 0)
                return;
        r = sd_bus_emit_properties_changed_strv(b->bus, o->path, o->kind->interface, (char **) names);
        if (r < 0)
                log_error("Failed to emit PropertiesChanged for %s: %s", o->path, strerror(-r));
}

static void on_signal(void *ud, Space *s, const char *path, const char *interface, const char *member,
                      const Value *args, unsigned nargs) {
        Bus *b = ud;
        const Row *row = interface_row(interface_by_name(interface), ROW_SIGNAL, member);
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        if (!row)
                return;
        r = sd_bus_message_new_signal(b->bus, &m, path, interface, member);
        if (r >= 0)
                r = marshal_write_all(m, row->in_sig, args, nargs);
        if (r >= 0)
                r = sd_bus_send(b->bus, m, NULL);
        if (r < 0)
                log_error("Failed to emit %s for %s: %s", member, path, strerror(-r));
}

static const SpaceObserver bus_observer = {
        .added = on_added,
        .removed = on_removed,
        .changed = on_changed,
        .signal = on_signal,
};

/* ---- registration ----------------------------------------------------------------- */

static int register_prefix(Bus *b, Connection *conn, const Interface *iface, const char *path, bool snapshots) {
        Prefix *p = xmalloc0(sizeof(*p));
        int r;

        p->b = b;
        p->conn = conn;
        p->iface = iface;
        p->path = path;
        p->snapshots = snapshots;
        b->prefixes = xrealloc(b->prefixes, sizeof(Prefix *) * (b->nprefixes + 1));
        b->prefixes[b->nprefixes++] = p;
        if (!snapshots) {
                /* The vtable serves InterfacesAdded and PropertiesChanged;
                 * every call is taken by object_message() first. */
                r = sd_bus_add_fallback_vtable(b->bus, NULL, path, iface->name,
                                               bus_vtable_for(iface, vtable_method), object_find, p);
                if (r < 0)
                        return r;
        }
        return sd_bus_add_fallback(b->bus, NULL, path, object_message, p);
}

int bus_register(sd_bus *bus, Manager *manager, Dispatcher *d) {
        Bus *b = &the_bus;
        int r;

        b->bus = bus;
        b->manager = manager;
        b->d = d;
        r = sd_bus_add_object_manager(bus, NULL, ROOT_PATH);
        if (r < 0)
                return r;
        r = sd_bus_add_object(bus, NULL, ROOT_PATH, root_message, b);
        if (r < 0)
                return r;
        for (size_t i = 0; i < manager->nconns; i++) {
                Connection *conn = manager->conns[i];
                Space *s = conn->space;

                r = sd_bus_add_object_vtable(bus, NULL, s->path, connect_interface.name,
                                             bus_vtable_for(&connect_interface, vtable_method), &s->self);
                if (r < 0)
                        return r;
                /* Message callbacks run before the vtable's own Properties
                 * handling at the same path: that is where GetAll is
                 * answered the libvirt-dbus way. */
                r = sd_bus_add_object(bus, NULL, s->path, connect_message, conn);
                if (r < 0)
                        return r;
                for (const Interface *const *iface = interfaces; *iface; iface++) {
                        if ((*iface)->kind == KIND_CONNECT || !virt_kind_served((*iface)->kind))
                                continue;
                        r = register_prefix(b, conn, *iface, (*iface)->sub ? s->snapshot_prefix
                                                                          : s->prefix[(*iface)->kind],
                                            (*iface)->sub);
                        if (r < 0)
                                return r;
                }
                space_observe(s, &bus_observer, b);
        }
        return 0;
}

void bus_unregister(void) {
        Bus *b = &the_bus;

        for (size_t i = 0; i < b->nprefixes; i++)
                free(b->prefixes[i]);
        free(b->prefixes);
        b->prefixes = NULL;
        b->nprefixes = 0;
        bus_vtables_free();
}
