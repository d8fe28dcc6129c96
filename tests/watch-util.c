/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "watch-util.h"

#include <string.h>

/* ---- object trees --------------------------------------------------------------- */

static gint
compare_strings(gconstpointer a, gconstpointer b)
{
    return g_strcmp0(*(const char *const *)a, *(const char *const *)b);
}

/* Sorted keys of a dictionary-like variant whose keys are strings or paths. */
static GPtrArray *
sorted_keys(GVariant *dict)
{
    GPtrArray *keys = g_ptr_array_new_with_free_func(g_free);
    GVariantIter iter;
    GVariant *entry;

    g_variant_iter_init(&iter, dict);
    while ((entry = g_variant_iter_next_value(&iter))) {
        g_autoptr(GVariant) key = g_variant_get_child_value(entry, 0);
        g_ptr_array_add(keys, g_variant_dup_string(key, NULL));
        g_variant_unref(entry);
    }
    g_ptr_array_sort(keys, compare_strings);
    return keys;
}

/* The value of @key in a dictionary a{s*} or a{o*}, or NULL. */
static GVariant *
dict_lookup(GVariant *dict, const char *key)
{
    GVariantIter iter;
    GVariant *entry;

    g_variant_iter_init(&iter, dict);
    while ((entry = g_variant_iter_next_value(&iter))) {
        g_autoptr(GVariant) k = g_variant_get_child_value(entry, 0);
        if (g_strcmp0(g_variant_get_string(k, NULL), key) == 0) {
            GVariant *v = g_variant_get_child_value(entry, 1);
            g_variant_unref(entry);
            return v;
        }
        g_variant_unref(entry);
    }
    return NULL;
}

static GVariant *
canonical_props(GVariant *props)
{
    g_autoptr(GPtrArray) keys = sorted_keys(props);
    GVariantBuilder b;

    g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
    for (guint i = 0; i < keys->len; i++) {
        const char *name = g_ptr_array_index(keys, i);
        g_autoptr(GVariant) v = dict_lookup(props, name);
        /* v is the "v" child: add its content again as a variant. */
        g_autoptr(GVariant) inner = g_variant_get_variant(v);
        g_variant_builder_add(&b, "{sv}", name, inner);
    }
    return g_variant_builder_end(&b);
}

GVariant *
vw_canonical(GVariant *tree, gboolean libvirt_only)
{
    g_autoptr(GVariant) owned = g_variant_ref_sink(tree);
    g_autoptr(GPtrArray) paths = sorted_keys(owned);
    GVariantBuilder b;

    g_variant_builder_init(&b, G_VARIANT_TYPE("a{oa{sa{sv}}}"));
    for (guint i = 0; i < paths->len; i++) {
        const char *path = g_ptr_array_index(paths, i);
        g_autoptr(GVariant) ifaces = dict_lookup(owned, path);
        g_autoptr(GPtrArray) names = sorted_keys(ifaces);
        GVariantBuilder ib;

        g_variant_builder_init(&ib, G_VARIANT_TYPE("a{sa{sv}}"));
        for (guint k = 0; k < names->len; k++) {
            const char *iface = g_ptr_array_index(names, k);
            if (libvirt_only && !g_str_has_prefix(iface, "org.libvirt."))
                continue;
            g_autoptr(GVariant) props = dict_lookup(ifaces, iface);
            g_variant_builder_add(&ib, "{s@a{sv}}", iface, canonical_props(props));
        }
        g_variant_builder_add(&b, "{o@a{sa{sv}}}", path, g_variant_builder_end(&ib));
    }
    return g_variant_ref_sink(g_variant_builder_end(&b));
}

GVariant *
vw_managed_objects(GDBusConnection *bus, gboolean libvirt_only)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply = g_dbus_connection_call_sync(
        bus, VB_BUS_NAME, VW_ROOT_PATH, VW_IFACE_OBJECT_MANAGER, "GetManagedObjects", NULL,
        G_VARIANT_TYPE("(a{oa{sa{sv}}})"), G_DBUS_CALL_FLAGS_NONE, VB_CALL_TIMEOUT_MS, NULL, &error);
    g_autoptr(GVariant) tree = NULL;
    GVariantIter objects;
    const char *path;
    GVariant *ifaces;

    g_assert_no_error(error);
    tree = g_variant_get_child_value(reply, 0);

    /* One variant per value, as the specification says (no property of
     * ours has type "v" itself). */
    g_variant_iter_init(&objects, tree);
    while (g_variant_iter_next(&objects, "{&o@a{sa{sv}}}", &path, &ifaces)) {
        GVariantIter it;
        const char *iface;
        GVariant *props;

        g_variant_iter_init(&it, ifaces);
        while (g_variant_iter_next(&it, "{&s@a{sv}}", &iface, &props)) {
            GVariantIter pt;
            const char *name;
            GVariant *value;

            g_variant_iter_init(&pt, props);
            while (g_variant_iter_next(&pt, "{&sv}", &name, &value)) {
                if (g_variant_is_of_type(value, G_VARIANT_TYPE_VARIANT))
                    g_error("GetManagedObjects wraps %s.%s on %s in two variants", iface, name,
                            path);
                g_variant_unref(value);
            }
            g_variant_unref(props);
        }
        g_variant_unref(ifaces);
    }
    return vw_canonical(g_steal_pointer(&tree), libvirt_only);
}

GVariant *
vw_manager_tree(GDBusObjectManager *manager)
{
    GList *objects = g_dbus_object_manager_get_objects(manager);
    GVariantBuilder b;

    g_variant_builder_init(&b, G_VARIANT_TYPE("a{oa{sa{sv}}}"));
    for (GList *o = objects; o; o = o->next) {
        GDBusObject *obj = o->data;
        GList *ifaces = g_dbus_object_get_interfaces(obj);
        GVariantBuilder ib;

        g_variant_builder_init(&ib, G_VARIANT_TYPE("a{sa{sv}}"));
        for (GList *i = ifaces; i; i = i->next) {
            GDBusProxy *proxy = G_DBUS_PROXY(i->data);
            const char *name = g_dbus_proxy_get_interface_name(proxy);
            g_auto(GStrv) props = NULL;
            GVariantBuilder pb;

            if (!g_str_has_prefix(name, "org.libvirt."))
                continue;
            g_variant_builder_init(&pb, G_VARIANT_TYPE("a{sv}"));
            props = g_dbus_proxy_get_cached_property_names(proxy);
            for (gchar **p = props; p && *p; p++) {
                g_autoptr(GVariant) v = g_dbus_proxy_get_cached_property(proxy, *p);
                if (v)
                    g_variant_builder_add(&pb, "{sv}", *p, v);
            }
            g_variant_builder_add(&ib, "{sa{sv}}", name, &pb);
        }
        g_variant_builder_add(&b, "{oa{sa{sv}}}", g_dbus_object_get_object_path(obj), &ib);
        g_list_free_full(ifaces, g_object_unref);
    }
    g_list_free_full(objects, g_object_unref);
    return vw_canonical(g_variant_builder_end(&b), TRUE);
}

GVariant *
vw_tree_lookup(GVariant *tree, const char *path, const char *iface)
{
    g_autoptr(GVariant) ifaces = dict_lookup(tree, path);
    return ifaces ? dict_lookup(ifaces, iface) : NULL;
}

static void
diff_props(GString *s, const char *path, const char *iface, GVariant *exp, GVariant *act)
{
    g_autoptr(GPtrArray) ek = sorted_keys(exp);
    g_autoptr(GPtrArray) ak = sorted_keys(act);

    for (guint i = 0; i < ek->len; i++) {
        const char *name = g_ptr_array_index(ek, i);
        g_autoptr(GVariant) ev = dict_lookup(exp, name);
        g_autoptr(GVariant) av = dict_lookup(act, name);
        g_autofree gchar *et = g_variant_print(ev, TRUE);
        if (!av) {
            g_string_append_printf(s, "\n  %s %s.%s: expected %s, missing", path, iface, name, et);
        } else if (!g_variant_equal(ev, av)) {
            g_autofree gchar *at = g_variant_print(av, TRUE);
            g_string_append_printf(s, "\n  %s %s.%s: expected %s, got %s", path, iface, name, et, at);
        }
    }
    for (guint i = 0; i < ak->len; i++) {
        const char *name = g_ptr_array_index(ak, i);
        g_autoptr(GVariant) ev = dict_lookup(exp, name);
        if (!ev)
            g_string_append_printf(s, "\n  %s %s.%s: unexpected", path, iface, name);
    }
}

gchar *
vw_tree_diff(GVariant *expected, GVariant *actual)
{
    GString *s = g_string_new(NULL);
    g_autoptr(GPtrArray) ep = sorted_keys(expected);
    g_autoptr(GPtrArray) ap = sorted_keys(actual);

    for (guint i = 0; i < ep->len; i++) {
        const char *path = g_ptr_array_index(ep, i);
        g_autoptr(GVariant) ei = dict_lookup(expected, path);
        g_autoptr(GVariant) ai = dict_lookup(actual, path);
        if (!ai) {
            g_string_append_printf(s, "\n  %s: missing", path);
            continue;
        }
        g_autoptr(GPtrArray) en = sorted_keys(ei);
        g_autoptr(GPtrArray) an = sorted_keys(ai);
        for (guint k = 0; k < en->len; k++) {
            const char *iface = g_ptr_array_index(en, k);
            g_autoptr(GVariant) e = dict_lookup(ei, iface);
            g_autoptr(GVariant) a = dict_lookup(ai, iface);
            if (!a)
                g_string_append_printf(s, "\n  %s %s: interface missing", path, iface);
            else
                diff_props(s, path, iface, e, a);
        }
        for (guint k = 0; k < an->len; k++) {
            const char *iface = g_ptr_array_index(an, k);
            g_autoptr(GVariant) e = dict_lookup(ei, iface);
            if (!e)
                g_string_append_printf(s, "\n  %s %s: unexpected interface", path, iface);
        }
    }
    for (guint i = 0; i < ap->len; i++) {
        const char *path = g_ptr_array_index(ap, i);
        g_autoptr(GVariant) ei = dict_lookup(expected, path);
        if (!ei)
            g_string_append_printf(s, "\n  %s: unexpected object", path);
    }
    return g_string_free(s, FALSE);
}

GDBusObjectManager *
vw_manager_new(GDBusConnection *bus)
{
    g_autoptr(GError) error = NULL;
    GDBusObjectManager *m = g_dbus_object_manager_client_new_sync(
        bus, G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_NONE, VB_BUS_NAME, VW_ROOT_PATH, NULL, NULL, NULL,
        NULL, &error);
    g_assert_no_error(error);
    g_assert_nonnull(m);
    return m;
}

static gboolean
set_flag(gpointer data)
{
    *(gboolean *)data = TRUE;
    return G_SOURCE_REMOVE;
}

/* Iterates the default main context for about @ms. */
static void
iterate_for(guint ms)
{
    gboolean done = FALSE;
    guint id = g_timeout_add(ms, set_flag, &done);
    while (!done)
        g_main_context_iteration(NULL, TRUE);
    (void)id;
}

void
vw_assert_manager_matches(GDBusObjectManager *manager, GVariant *expected, guint timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    for (;;) {
        g_autoptr(GVariant) actual = vw_manager_tree(manager);
        if (g_variant_equal(expected, actual))
            return;
        if (g_get_monotonic_time() > deadline) {
            g_autofree gchar *diff = vw_tree_diff(expected, actual);
            g_error("the GDBusObjectManagerClient's cache differs from GetManagedObjects "
                    "(expected vs cached):%s",
                    diff);
        }
        iterate_for(10);
    }
}

void
vw_settle(guint quiet_ms)
{
    gint64 limit = g_get_monotonic_time() + (gint64)quiet_ms * 10 * 1000;

    for (;;) {
        gboolean quiet = FALSE;
        guint id = g_timeout_add(quiet_ms, set_flag, &quiet);

        g_main_context_iteration(NULL, TRUE);
        if (quiet)
            return;
        /* Something else happened first: start the quiet period again. */
        g_source_remove(id);
        if (g_get_monotonic_time() > limit)
            return;
    }
}

/* ---- the order of messages on the wire ------------------------------------------ */

struct VwWire {
    GDBusConnection *bus;
    guint filter_id;
    GMutex lock;
    GPtrArray *msgs;
};

static void
wire_msg_free(gpointer p)
{
    VwWireMsg *m = p;
    g_free(m->path);
    g_free(m->interface);
    g_free(m->member);
    g_free(m->error_name);
    if (m->body)
        g_variant_unref(m->body);
    g_free(m);
}

static GDBusMessage *
wire_filter(GDBusConnection *connection, GDBusMessage *message, gboolean incoming,
            gpointer user_data)
{
    VwWire *w = user_data;
    VwWireMsg *m;
    GVariant *body;

    if (!incoming)
        return message;
    m = g_new0(VwWireMsg, 1);
    m->type = g_dbus_message_get_message_type(message);
    m->serial = g_dbus_message_get_serial(message);
    m->reply_serial = g_dbus_message_get_reply_serial(message);
    m->path = g_strdup(g_dbus_message_get_path(message));
    m->interface = g_strdup(g_dbus_message_get_interface(message));
    m->member = g_strdup(g_dbus_message_get_member(message));
    m->error_name = g_strdup(g_dbus_message_get_error_name(message));
    body = g_dbus_message_get_body(message);
    m->body = body ? g_variant_ref(body) : NULL;
    g_mutex_lock(&w->lock);
    g_ptr_array_add(w->msgs, m);
    g_mutex_unlock(&w->lock);
    return message;
}

VwWire *
vw_wire_new(GDBusConnection *bus)
{
    VwWire *w = g_new0(VwWire, 1);
    g_mutex_init(&w->lock);
    w->msgs = g_ptr_array_new_with_free_func(wire_msg_free);
    w->bus = g_object_ref(bus);
    w->filter_id = g_dbus_connection_add_filter(bus, wire_filter, w, NULL);
    return w;
}

void
vw_wire_free(VwWire *w)
{
    if (!w)
        return;
    g_dbus_connection_remove_filter(w->bus, w->filter_id);
    g_object_unref(w->bus);
    g_ptr_array_unref(w->msgs);
    g_mutex_clear(&w->lock);
    g_free(w);
}

guint
vw_wire_len(VwWire *w)
{
    guint n;
    g_mutex_lock(&w->lock);
    n = w->msgs->len;
    g_mutex_unlock(&w->lock);
    return n;
}

const VwWireMsg *
vw_wire_get(VwWire *w, guint index)
{
    const VwWireMsg *m;
    g_mutex_lock(&w->lock);
    m = index < w->msgs->len ? g_ptr_array_index(w->msgs, index) : NULL;
    g_mutex_unlock(&w->lock);
    return m;
}

static void
drop_reply(GObject *source, GAsyncResult *res, gpointer data)
{
    g_autoptr(GDBusMessage) reply =
        g_dbus_connection_send_message_with_reply_finish(G_DBUS_CONNECTION(source), res, NULL);
}

guint32
vw_send_call(GDBusConnection *bus, const char *path, const char *iface, const char *method,
             GVariant *args, GAsyncReadyCallback callback, gpointer user_data)
{
    g_autoptr(GDBusMessage) msg = g_dbus_message_new_method_call(VB_BUS_NAME, path, iface, method);
    g_autoptr(GError) error = NULL;
    guint32 serial = 0;

    if (args)
        g_dbus_message_set_body(msg, args);
    g_dbus_connection_send_message_with_reply(bus, msg, G_DBUS_SEND_MESSAGE_FLAGS_NONE,
                                              VB_CALL_TIMEOUT_MS, &serial, NULL,
                                              callback ? callback : drop_reply, user_data);
    g_assert_cmpuint(serial, !=, 0);
    return serial;
}

guint
vw_wire_wait_reply(VwWire *w, guint32 serial, guint timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    guint scanned = 0;

    for (;;) {
        guint n = vw_wire_len(w);
        for (; scanned < n; scanned++) {
            const VwWireMsg *m = vw_wire_get(w, scanned);
            if ((m->type == G_DBUS_MESSAGE_TYPE_METHOD_RETURN ||
                 m->type == G_DBUS_MESSAGE_TYPE_ERROR) &&
                m->reply_serial == serial)
                return scanned;
        }
        if (g_get_monotonic_time() > deadline)
            g_error("no reply to call serial %u within %u ms", serial, timeout_ms);
        iterate_for(5);
    }
}

static gboolean
first_arg_is(GVariant *body, const char *first_arg)
{
    g_autoptr(GVariant) first = NULL;

    if (!first_arg)
        return TRUE;
    if (!body || g_variant_n_children(body) == 0)
        return FALSE;
    first = g_variant_get_child_value(body, 0);
    if (!g_variant_is_of_type(first, G_VARIANT_TYPE_STRING) &&
        !g_variant_is_of_type(first, G_VARIANT_TYPE_OBJECT_PATH))
        return FALSE;
    return g_strcmp0(g_variant_get_string(first, NULL), first_arg) == 0;
}

gint
vw_wire_find_signal(VwWire *w, guint from, const char *path, const char *iface, const char *member,
                    const char *first_arg)
{
    guint n = vw_wire_len(w);

    for (guint i = from; i < n; i++) {
        const VwWireMsg *m = vw_wire_get(w, i);
        if (m->type != G_DBUS_MESSAGE_TYPE_SIGNAL)
            continue;
        if ((path && g_strcmp0(m->path, path) != 0) ||
            (iface && g_strcmp0(m->interface, iface) != 0) ||
            (member && g_strcmp0(m->member, member) != 0))
            continue;
        if (first_arg_is(m->body, first_arg))
            return (gint)i;
    }
    return -1;
}

gint
vw_wire_find_property_changed(VwWire *w, guint from, const char *path, const char *iface,
                              const char *property)
{
    guint n = vw_wire_len(w);

    for (guint i = from; i < n; i++) {
        const VwWireMsg *m = vw_wire_get(w, i);
        g_autoptr(GVariant) changed = NULL;
        g_autoptr(GVariant) value = NULL;
        const char *name;

        if (m->type != G_DBUS_MESSAGE_TYPE_SIGNAL || g_strcmp0(m->path, path) != 0 ||
            g_strcmp0(m->member, "PropertiesChanged") != 0 ||
            g_strcmp0(m->interface, VB_IFACE_PROPERTIES) != 0 || !m->body ||
            !g_variant_is_of_type(m->body, G_VARIANT_TYPE("(sa{sv}as)")))
            continue;
        g_variant_get(m->body, "(&s@a{sv}@as)", &name, &changed, NULL);
        if (g_strcmp0(name, iface) != 0)
            continue;
        value = g_variant_lookup_value(changed, property, NULL);
        if (value)
            return (gint)i;
    }
    return -1;
}

/* ---- PropertiesChanged bookkeeping ---------------------------------------------- */

static void
value_list_free(gpointer p)
{
    g_ptr_array_unref(p);
}

GHashTable *
vw_collect_changes(VbFixture *f, guint from, const char *path, const char *iface)
{
    GHashTable *changes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, value_list_free);

    vb_process_events(f);
    for (guint i = from; i < f->signals->len; i++) {
        VbSignal *sig = g_ptr_array_index(f->signals, i);
        const char *name;
        g_autoptr(GVariant) changed = NULL;
        g_autofree const char **invalidated = NULL;
        GVariantIter it;
        const char *prop;
        GVariant *value;

        if (g_strcmp0(sig->member, "PropertiesChanged") != 0 ||
            g_strcmp0(sig->interface, VB_IFACE_PROPERTIES) != 0 ||
            g_strcmp0(sig->path, path) != 0 ||
            !g_variant_is_of_type(sig->params, G_VARIANT_TYPE("(sa{sv}as)")))
            continue;
        g_variant_get(sig->params, "(&s@a{sv}^a&s)", &name, &changed, &invalidated);
        if (g_strcmp0(name, iface) != 0)
            continue;
        g_variant_iter_init(&it, changed);
        while (g_variant_iter_next(&it, "{&sv}", &prop, &value)) {
            GPtrArray *list = g_hash_table_lookup(changes, prop);
            if (!list) {
                list = g_ptr_array_new_with_free_func((GDestroyNotify)g_variant_unref);
                g_hash_table_insert(changes, g_strdup(prop), list);
            }
            g_ptr_array_add(list, value);
        }
        for (const char **p = invalidated; p && *p; p++) {
            /* Invalidated without a value: recorded as the string "<invalidated>". */
            GPtrArray *list = g_hash_table_lookup(changes, *p);
            if (!list) {
                list = g_ptr_array_new_with_free_func((GDestroyNotify)g_variant_unref);
                g_hash_table_insert(changes, g_strdup(*p), list);
            }
            g_ptr_array_add(list, g_variant_ref_sink(g_variant_new_string("<invalidated>")));
        }
    }
    return changes;
}
