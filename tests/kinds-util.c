/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "kinds-util.h"

#define KV_WAIT_MS 15000

gchar *
kv_call_path(VbFixture *f, const char *path, const char *iface, const char *method, GVariant *args)
{
    g_autoptr(GVariant) r = vb_call_ok(f, path, iface, method, args, "(o)");
    gchar *out = NULL;

    g_variant_get(r, "(o)", &out);
    return out;
}

void
kv_call_void(VbFixture *f, const char *path, const char *iface, const char *method, GVariant *args)
{
    g_autoptr(GVariant) r = vb_call_ok(f, path, iface, method, args, "()");
}

gchar *
kv_call_string(VbFixture *f, const char *path, const char *iface, const char *method, GVariant *args)
{
    g_autoptr(GVariant) r = vb_call_ok(f, path, iface, method, args, "(s)");
    gchar *out = NULL;

    g_variant_get(r, "(s)", &out);
    return out;
}

static void G_GNUC_NORETURN
fail_with_signals(VbFixture *f, const char *what)
{
    g_autofree gchar *seen = vb_signals_describe(f);
    g_error("%s; signals:%s", what, seen);
}

void
kv_wait_lifecycle(VbFixture *f, const char *connect_path, const char *member, const char *object, gint event)
{
    gint64 deadline = g_get_monotonic_time() + KV_WAIT_MS * 1000;

    for (;;) {
        g_autoptr(GVariant) params = NULL;
        gint64 left = (deadline - g_get_monotonic_time()) / 1000;
        if (left <= 0 ||
            !vb_wait_signal(f, connect_path, VB_IFACE_CONNECT, member, object, &params, (guint)left)) {
            g_autofree gchar *what = g_strdup_printf("no %s %d for %s", member, event, object);
            fail_with_signals(f, what);
        }
        g_autoptr(GVariant) e = g_variant_get_child_value(params, 1);
        if (g_variant_get_int32(e) == event)
            return;
    }
}

void
kv_wait_property(VbFixture *f, const char *path, const char *iface, const char *property, GVariant *value)
{
    g_autoptr(GVariant) expect = g_variant_ref_sink(value);
    gint64 deadline = g_get_monotonic_time() + KV_WAIT_MS * 1000;

    for (;;) {
        g_autoptr(GVariant) got = NULL;
        gint64 left = (deadline - g_get_monotonic_time()) / 1000;
        if (left <= 0 || !vb_wait_property_changed(f, path, iface, property, &got, (guint)left)) {
            g_autofree gchar *v = g_variant_print(expect, TRUE);
            g_autofree gchar *what = g_strdup_printf("no PropertiesChanged %s=%s on %s", property, v, path);
            fail_with_signals(f, what);
        }
        if (got && g_variant_equal(got, expect))
            return;
    }
}

gboolean
kv_saw_object(VbFixture *f, const char *path, gboolean added, guint timeout_ms)
{
    return vb_wait_signal(f, VW_ROOT_PATH, VW_IFACE_OBJECT_MANAGER, added ? "InterfacesAdded" : "InterfacesRemoved",
                          path, NULL, timeout_ms);
}

void
kv_wait_object(VbFixture *f, const char *path, gboolean added)
{
    if (!kv_saw_object(f, path, added, KV_WAIT_MS)) {
        g_autofree gchar *what = g_strdup_printf("no %s for %s", added ? "InterfacesAdded" : "InterfacesRemoved",
                                                 path);
        fail_with_signals(f, what);
    }
}

gboolean
kv_list_has(VbFixture *f, const char *path, const char *iface, const char *method, guint flags,
            const char *object)
{
    g_autoptr(GVariant) r = vb_call_ok(f, path, iface, method, g_variant_new("(u)", flags), "(ao)");
    g_autoptr(GVariantIter) it = NULL;
    const char *p;
    gboolean found = FALSE;

    g_variant_get(r, "(ao)", &it);
    while (g_variant_iter_next(it, "&o", &p))
        found |= g_strcmp0(p, object) == 0;
    return found;
}

GVariant *
kv_managed(VbFixture *f, const char *path, const char *iface)
{
    g_autoptr(GVariant) tree = vw_managed_objects(f->bus, TRUE);
    GVariant *props = vw_tree_lookup(tree, path, iface);

    if (props) {
        /* GetAll wraps twice, as libvirt-dbus does; unwrap to compare. */
        g_autoptr(GVariant) all = vb_call_ok(f, path, VB_IFACE_PROPERTIES, "GetAll", g_variant_new("(s)", iface),
                                             "(a{sv})");
        g_autoptr(GVariant) dict = g_variant_get_child_value(all, 0);
        GVariantIter it;
        const char *name;
        GVariant *value;
        g_variant_iter_init(&it, dict);
        while (g_variant_iter_next(&it, "{&sv}", &name, &value)) {
            g_autoptr(GVariant) inner = g_variant_get_variant(value);
            g_autoptr(GVariant) managed = g_variant_lookup_value(props, name, NULL);
            if (!managed || !g_variant_equal(managed, inner))
                g_error("%s: %s differs between GetManagedObjects and GetAll", path, name);
            g_variant_unref(value);
        }
    }
    return props;
}

gchar *
kv_get_string(VbFixture *f, const char *path, const char *iface, const char *name)
{
    g_autoptr(GVariant) v = vb_get_property(f, path, iface, name);

    return g_variant_dup_string(v, NULL);
}
