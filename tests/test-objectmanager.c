/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* State a client can watch, on libvirt's test driver:
 *   - ObjectManager.GetManagedObjects agrees with ListDomains, GetAll and Get;
 *   - every lifecycle transition announces exactly what changed
 *     (InterfacesAdded, InterfacesRemoved, PropertiesChanged), and a GLib
 *     GDBusObjectManagerClient fed by those signals alone ends up equal to a
 *     fresh GetManagedObjects after each step;
 *   - ordering: a domain is findable when InterfacesAdded arrives, and the
 *     signals announcing a call's effect arrive before the call's reply;
 *   - a burst of suspend/resume calls is announced completely and in order;
 *   - the per-domain signals exist with libvirt-dbus's signatures, and
 *     MetadataChange is emitted.
 * Every case tests virtbusd extensions, so all are skipped in reference mode. */
#include "watch-util.h"

#include <stdarg.h>
#include <string.h>

#define STEP_TIMEOUT_MS 5000
/* Quiet period before asserting that nothing more was announced. */
#define SETTLE_MS 150
/* The Id of an inactive domain (libvirt-dbus shows 0; active ids start at 1). */
#define NO_ID 0u

/* ---- small helpers -------------------------------------------------------------- */

static void
call_ok(VbFixture *f, const char *path, const char *iface, const char *method, GVariant *args)
{
    g_autoptr(GVariant) r = vb_call_ok(f, path, iface, method, args, NULL);
}

static gchar *
call_path(VbFixture *f, const char *path, const char *iface, const char *method, GVariant *args)
{
    g_autoptr(GVariant) r = vb_call_ok(f, path, iface, method, args, "(o)");
    gchar *out = NULL;
    g_variant_get(r, "(o)", &out);
    return out;
}

/* Properties.GetAll, which answers with every value wrapped twice (the
 * libvirt-dbus quirk virtbusd keeps); returned with one wrapping, sorted. */
static GVariant *
get_all(VbFixture *f, const char *path, const char *iface)
{
    g_autoptr(GVariant) reply = vb_call_ok(f, path, VB_IFACE_PROPERTIES, "GetAll",
                                           g_variant_new("(s)", iface), "(a{sv})");
    g_autoptr(GVariant) dict = g_variant_get_child_value(reply, 0);
    GVariantBuilder b;
    GVariantIter it;
    const char *name;
    GVariant *value;

    g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
    g_variant_iter_init(&it, dict);
    while (g_variant_iter_next(&it, "{&sv}", &name, &value)) {
        if (!g_variant_is_of_type(value, G_VARIANT_TYPE_VARIANT))
            g_error("GetAll %s on %s: %s is not wrapped twice", iface, path, name);
        g_autoptr(GVariant) inner = g_variant_get_variant(value);
        g_variant_builder_add(&b, "{sv}", name, inner);
        g_variant_unref(value);
    }
    /* Sorted through a one-object tree. */
    GVariantBuilder t;
    g_variant_builder_init(&t, G_VARIANT_TYPE("a{oa{sa{sv}}}"));
    g_variant_builder_open(&t, G_VARIANT_TYPE("{oa{sa{sv}}}"));
    g_variant_builder_add(&t, "o", "/");
    g_variant_builder_open(&t, G_VARIANT_TYPE("a{sa{sv}}"));
    g_variant_builder_add(&t, "{s@a{sv}}", iface, g_variant_builder_end(&b));
    g_variant_builder_close(&t);
    g_variant_builder_close(&t);
    g_autoptr(GVariant) tree = vw_canonical(g_variant_builder_end(&t), FALSE);
    return vw_tree_lookup(tree, "/", iface);
}

static gboolean
is_domain_event(VbSignal *sig, const char *path, gint event, gint detail)
{
    const char *obj;
    gint e, d;

    if (g_strcmp0(sig->member, "DomainEvent") != 0 ||
        g_strcmp0(sig->interface, VB_IFACE_CONNECT) != 0 ||
        !g_variant_is_of_type(sig->params, G_VARIANT_TYPE("(oii)")))
        return FALSE;
    g_variant_get(sig->params, "(&oii)", &obj, &e, &d);
    return g_strcmp0(obj, path) == 0 && (event < 0 || e == event) && (detail < 0 || d == detail);
}

static gboolean
stop_waiting(gpointer data)
{
    *(gboolean *)data = TRUE;
    return G_SOURCE_REMOVE;
}

/* Waits for a DomainEvent about @path among the signals from index @from on. */
static void
wait_domain_event_from(VbFixture *f, guint from, const char *path, gint event, gint detail)
{
    gboolean timed_out = FALSE;
    guint id = g_timeout_add(STEP_TIMEOUT_MS, stop_waiting, &timed_out);

    for (;;) {
        vb_process_events(f);
        for (guint i = from; i < f->signals->len; i++)
            if (is_domain_event(g_ptr_array_index(f->signals, i), path, event, detail)) {
                if (!timed_out)
                    g_source_remove(id);
                return;
            }
        if (timed_out) {
            g_autofree gchar *seen = vb_signals_describe(f);
            g_error("no DomainEvent(%s, %d, %d) within %d ms; signals:%s", path, event, detail,
                    STEP_TIMEOUT_MS, seen);
        }
        g_main_context_iteration(NULL, TRUE);
    }
}

/* The object a signal is about: its path, or for the ObjectManager signals and
 * DomainEvent the object path they carry. */
static const char *
signal_subject(VbSignal *sig)
{
    if ((g_str_equal(sig->member, "InterfacesAdded") || g_str_equal(sig->member, "InterfacesRemoved") ||
         g_str_equal(sig->member, "DomainEvent")) &&
        g_variant_n_children(sig->params) > 0) {
        g_autoptr(GVariant) first = g_variant_get_child_value(sig->params, 0);
        if (g_variant_is_of_type(first, G_VARIANT_TYPE_OBJECT_PATH))
            return g_variant_get_string(first, NULL);
    }
    return sig->path;
}

/* ---- GetManagedObjects against ListDomains, GetAll and Get ------------------------ */

static void
test_managed_objects(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *save = g_build_filename(f->tmpdir, "om.save", NULL);

    /* Domains in every state the test driver can hold. */
    g_autofree gchar *off = vb_define_domain(f, "vb-om-off");
    g_autoptr(GError) set_error = vb_set_property(f, off, VB_IFACE_DOMAIN, "Autostart",
                                                  g_variant_new_boolean(TRUE));
    g_assert_no_error(set_error);
    g_autofree gchar *paused = vb_define_and_start(f, "vb-om-paused");
    call_ok(f, paused, VB_IFACE_DOMAIN, "Suspend", NULL);
    g_autofree gchar *saved = vb_define_and_start(f, "vb-om-saved");
    call_ok(f, saved, VB_IFACE_DOMAIN, "Save", g_variant_new("(ssu)", save, "", 0));
    g_autofree gchar *xml = vb_domain_xml("vb-om-transient");
    g_autofree gchar *transient = call_path(f, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainCreateXML",
                                            g_variant_new("(su)", xml, 0));
    vw_settle(SETTLE_MS);

    g_autoptr(GVariant) tree = vw_managed_objects(f->bus, FALSE);
    g_auto(GStrv) listed = vb_list_domains(f, 0);
    g_assert_cmpuint(g_strv_length(listed), ==, 5);

    /* The same domains: every listed one, no other (the other kinds of
     * object are test-kinds's). */
    g_autoptr(GVariant) libvirt_tree = vw_canonical(g_variant_ref(tree), TRUE);
    gsize ndomains = 0;
    for (gsize i = 0; i < g_variant_n_children(libvirt_tree); i++) {
        g_autoptr(GVariant) entry = g_variant_get_child_value(libvirt_tree, i);
        g_autoptr(GVariant) ifaces = g_variant_get_child_value(entry, 1);
        g_autoptr(GVariant) dom = g_variant_lookup_value(ifaces, VB_IFACE_DOMAIN, NULL);
        ndomains += dom != NULL;
    }
    g_assert_cmpuint(ndomains, ==, g_strv_length(listed));
    g_autoptr(GVariant) connect_props = vw_tree_lookup(tree, VB_TEST_PATH, VB_IFACE_CONNECT);
    g_assert_nonnull(connect_props);
    g_autoptr(GVariant) connect_all = get_all(f, VB_TEST_PATH, VB_IFACE_CONNECT);
    g_assert_true(g_variant_equal(connect_props, connect_all));
    g_autoptr(GVariant) connected = g_variant_lookup_value(connect_props, "Connected", G_VARIANT_TYPE_BOOLEAN);
    g_assert_nonnull(connected);
    g_assert_true(g_variant_get_boolean(connected));

    for (gchar **p = listed; *p; p++) {
        g_autoptr(GVariant) props = vw_tree_lookup(tree, *p, VB_IFACE_DOMAIN);
        if (!props)
            g_error("ListDomains names %s, GetManagedObjects does not", *p);
        g_autoptr(GVariant) all = get_all(f, *p, VB_IFACE_DOMAIN);
        if (!g_variant_equal(props, all)) {
            g_autofree gchar *a = g_variant_print(props, TRUE);
            g_autofree gchar *b = g_variant_print(all, TRUE);
            g_error("%s: GetManagedObjects says %s, GetAll says %s", *p, a, b);
        }
        /* And each property as Properties.Get reads it. */
        GVariantIter it;
        const char *name;
        GVariant *value;
        g_variant_iter_init(&it, props);
        while (g_variant_iter_next(&it, "{&sv}", &name, &value)) {
            g_autoptr(GVariant) one = vb_get_property(f, *p, VB_IFACE_DOMAIN, name);
            if (!g_variant_equal(one, value))
                g_error("%s: %s differs between GetManagedObjects and Get", *p, name);
            g_variant_unref(value);
        }
        /* The state matches GetState. */
        gint st, rs;
        vb_get_state(f, *p, &st, &rs);
        g_autoptr(GVariant) vst = g_variant_lookup_value(props, "State", G_VARIANT_TYPE_INT32);
        g_autoptr(GVariant) vrs = g_variant_lookup_value(props, "StateReason", G_VARIANT_TYPE_INT32);
        g_assert_nonnull(vst);
        g_assert_nonnull(vrs);
        g_assert_cmpint(g_variant_get_int32(vst), ==, st);
        g_assert_cmpint(g_variant_get_int32(vrs), ==, rs);
    }

    /* Spot checks of the states set up above. */
    struct {
        const char *path;
        gint state;
        gboolean persistent;
        gboolean autostart;
    } expect[] = {
        { off, VIR_DOMAIN_SHUTOFF, TRUE, TRUE },
        { paused, VIR_DOMAIN_PAUSED, TRUE, FALSE },
        { saved, VIR_DOMAIN_SHUTOFF, TRUE, FALSE },
        { transient, VIR_DOMAIN_RUNNING, FALSE, FALSE },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(expect); i++) {
        g_autoptr(GVariant) props = vw_tree_lookup(tree, expect[i].path, VB_IFACE_DOMAIN);
        gint32 state;
        gboolean persistent, autostart;
        g_assert_nonnull(props);
        g_assert_true(g_variant_lookup(props, "State", "i", &state));
        g_assert_true(g_variant_lookup(props, "Persistent", "b", &persistent));
        g_assert_true(g_variant_lookup(props, "Autostart", "b", &autostart));
        g_assert_cmpint(state, ==, expect[i].state);
        g_assert_cmpint(persistent, ==, expect[i].persistent);
        g_assert_cmpint(autostart, ==, expect[i].autostart);
    }
}

/* ---- lifecycle: signals and a GDBusObjectManagerClient ---------------------------- */

typedef struct {
    VbFixture *f;
    GDBusObjectManager *om;
    GPtrArray *om_events; /* "+<path>" and "-<path>", in order */
    GVariant *tree;       /* the last GetManagedObjects (org.libvirt.* only) */
} Watch;

typedef enum {
    OBJ_STAYS,
    OBJ_APPEARS,
    OBJ_GOES,
} ObjFate;

typedef struct {
    guint sig_from;
    guint om_from;
} Mark;

/* The jobs of long operations come and go too; test-jobs follows them. */
static gboolean
is_job(GDBusObject *obj)
{
    return g_str_has_prefix(g_dbus_object_get_object_path(obj), VB_TEST_PATH "/job/");
}

static void
on_object_added(GDBusObjectManager *m, GDBusObject *obj, gpointer data)
{
    Watch *w = data;
    if (!is_job(obj))
        g_ptr_array_add(w->om_events, g_strdup_printf("+%s", g_dbus_object_get_object_path(obj)));
}

static void
on_object_removed(GDBusObjectManager *m, GDBusObject *obj, gpointer data)
{
    Watch *w = data;
    if (!is_job(obj))
        g_ptr_array_add(w->om_events, g_strdup_printf("-%s", g_dbus_object_get_object_path(obj)));
}

static void
watch_init(Watch *w, VbFixture *f)
{
    w->f = f;
    w->om_events = g_ptr_array_new_with_free_func(g_free);
    w->om = vw_manager_new(f->bus);
    g_signal_connect(w->om, "object-added", G_CALLBACK(on_object_added), w);
    g_signal_connect(w->om, "object-removed", G_CALLBACK(on_object_removed), w);
    w->tree = vw_managed_objects(f->bus, TRUE);
    vw_assert_manager_matches(w->om, w->tree, STEP_TIMEOUT_MS);
}

static void
watch_clear(Watch *w)
{
    g_signal_handlers_disconnect_by_data(w->om, w);
    g_clear_object(&w->om);
    g_clear_pointer(&w->om_events, g_ptr_array_unref);
    g_clear_pointer(&w->tree, g_variant_unref);
}

static void
mark(Watch *w, Mark *m)
{
    vb_process_events(w->f);
    m->sig_from = w->f->signals->len;
    m->om_from = w->om_events->len;
}

/* The proxy of @path's org.libvirt.Domain in the manager's cache must show
 * @expect (a{sv}) from signals alone: no call is made here. */
static void
assert_proxy_shows(Watch *w, const char *what, const char *path, GVariant *expect)
{
    gint64 deadline = g_get_monotonic_time() + STEP_TIMEOUT_MS * 1000;

    for (;;) {
        g_autoptr(GDBusInterface) iface = g_dbus_object_manager_get_interface(w->om, path, VB_IFACE_DOMAIN);
        g_autoptr(GString) wrong = g_string_new(NULL);
        GVariantIter it;
        const char *name;
        GVariant *value;

        if (!iface) {
            g_string_append(wrong, " no proxy");
        } else {
            g_variant_iter_init(&it, expect);
            while (g_variant_iter_next(&it, "{&sv}", &name, &value)) {
                g_autoptr(GVariant) cached = g_dbus_proxy_get_cached_property(G_DBUS_PROXY(iface), name);
                if (!cached || !g_variant_equal(cached, value)) {
                    g_autofree gchar *c = cached ? g_variant_print(cached, TRUE) : g_strdup("nothing");
                    g_autofree gchar *e = g_variant_print(value, TRUE);
                    g_string_append_printf(wrong, " %s=%s (expected %s)", name, c, e);
                }
                g_variant_unref(value);
            }
        }
        if (wrong->len == 0)
            return;
        if (g_get_monotonic_time() > deadline) {
            g_autofree gchar *seen = vb_signals_describe(w->f);
            g_error("%s: the GDBusObjectManagerClient's proxy for %s shows%s; signals:%s", what,
                    path, wrong->str, seen);
        }
        g_main_context_iteration(NULL, FALSE);
        g_usleep(1000);
    }
}

/* Checks one step: the signals recorded since @m, the state the domain now
 * has (@expect_format..., GVariant text of an a{sv} after printf), and the manager's cache
 * against a fresh GetManagedObjects. @event < 0: the step has no DomainEvent. */
static void G_GNUC_PRINTF(8, 9)
check_step(Watch *w, const Mark *m, const char *what, const char *path, ObjFate fate, gint event,
           gint detail, const char *expect_format, ...)
{
    g_autofree gchar *expect = NULL;
    va_list ap;

    va_start(ap, expect_format);
    expect = g_strdup_vprintf(expect_format, ap);
    va_end(ap);
    VbFixture *f = w->f;
    g_autoptr(GVariant) expected = NULL;
    guint added = 0, removed = 0;
    VbSignal *added_sig = NULL, *removed_sig = NULL;

    g_test_message("step: %s", what);
    if (event >= 0)
        wait_domain_event_from(f, m->sig_from, path, event, detail);
    vw_settle(SETTLE_MS);

    {
        g_autoptr(GError) error = NULL;
        expected = g_variant_parse(G_VARIANT_TYPE("a{sv}"), expect, NULL, NULL, &error);
        g_assert_no_error(error);
        if (fate != OBJ_GOES)
            assert_proxy_shows(w, what, path, expected);
    }

    g_autoptr(GVariant) after = vw_managed_objects(f->bus, TRUE);
    g_autoptr(GVariant) before_props = vw_tree_lookup(w->tree, path, VB_IFACE_DOMAIN);
    g_autoptr(GVariant) after_props = vw_tree_lookup(after, path, VB_IFACE_DOMAIN);

    /* Nothing about any other object, but for the job of a long operation
     * (test-jobs follows those). */
    for (guint i = m->sig_from; i < f->signals->len; i++) {
        VbSignal *sig = g_ptr_array_index(f->signals, i);
        if (g_str_has_prefix(signal_subject(sig), VB_TEST_PATH "/job/"))
            continue;
        if (g_strcmp0(signal_subject(sig), path) != 0) {
            g_autofree gchar *seen = vb_signals_describe(f);
            g_error("%s: a signal about another object: %s.%s on %s; signals:%s", what,
                    sig->interface, sig->member, sig->path, seen);
        }
        if (g_str_equal(sig->member, "InterfacesAdded")) {
            added++;
            added_sig = sig;
        } else if (g_str_equal(sig->member, "InterfacesRemoved")) {
            removed++;
            removed_sig = sig;
        }
    }

    g_autoptr(GHashTable) changes = vw_collect_changes(f, m->sig_from, path, VB_IFACE_DOMAIN);
    g_autofree gchar *seen = vb_signals_describe(f);

    /* A long operation names its job in Job while it runs, then "/" again. */
    g_hash_table_remove(changes, "Job");

    switch (fate) {
    case OBJ_APPEARS: {
        if (before_props || !after_props)
            g_error("%s: %s must be new and listed afterwards", what, path);
        if (added != 1 || removed != 0)
            g_error("%s: expected one InterfacesAdded for %s; signals:%s", what, path, seen);
        g_autoptr(GVariant) ifaces = g_variant_get_child_value(added_sig->params, 1);
        g_assert_true(g_str_equal(added_sig->path, VW_ROOT_PATH));
        /* The announced properties are the domain's real ones, not
         * placeholders corrected later. */
        GVariantBuilder t;
        g_variant_builder_init(&t, G_VARIANT_TYPE("a{oa{sa{sv}}}"));
        g_variant_builder_add(&t, "{o@a{sa{sv}}}", path, ifaces);
        g_autoptr(GVariant) announced_tree = vw_canonical(g_variant_builder_end(&t), TRUE);
        g_autoptr(GVariant) announced = vw_tree_lookup(announced_tree, path, VB_IFACE_DOMAIN);
        g_assert_nonnull(announced);
        if (!g_variant_equal(announced, after_props)) {
            g_autofree gchar *a = g_variant_print(announced, TRUE);
            g_autofree gchar *b = g_variant_print(after_props, TRUE);
            g_error("%s: InterfacesAdded announced %s, GetManagedObjects now says %s; signals:%s",
                    what, a, b, seen);
        }
        if (g_hash_table_size(changes) != 0)
            g_error("%s: PropertiesChanged for a domain that just appeared; signals:%s", what, seen);
        g_assert_cmpuint(w->om_events->len, ==, m->om_from + 1);
        g_autofree gchar *ev = g_strdup_printf("+%s", path);
        g_assert_cmpstr(g_ptr_array_index(w->om_events, m->om_from), ==, ev);
        break;
    }
    case OBJ_GOES: {
        if (!before_props || after_props)
            g_error("%s: %s must have been listed and be gone afterwards", what, path);
        if (removed != 1 || added != 0)
            g_error("%s: expected one InterfacesRemoved for %s; signals:%s", what, path, seen);
        g_assert_true(g_str_equal(removed_sig->path, VW_ROOT_PATH));
        g_autofree const char **ifaces = NULL;
        g_variant_get(removed_sig->params, "(&o^a&s)", NULL, &ifaces);
        g_assert_true(g_strv_contains(ifaces, VB_IFACE_DOMAIN));
        if (g_hash_table_size(changes) != 0)
            g_error("%s: PropertiesChanged for a domain that goes; signals:%s", what, seen);
        g_assert_cmpuint(w->om_events->len, ==, m->om_from + 1);
        g_autofree gchar *ev = g_strdup_printf("-%s", path);
        g_assert_cmpstr(g_ptr_array_index(w->om_events, m->om_from), ==, ev);
        break;
    }
    case OBJ_STAYS: {
        if (!before_props || !after_props)
            g_error("%s: %s must be listed before and after", what, path);
        if (added || removed)
            g_error("%s: the object must stay; signals:%s", what, seen);
        g_assert_cmpuint(w->om_events->len, ==, m->om_from);
        /* Exactly the properties that changed, each once, with its new value. */
        GVariantIter it;
        const char *name;
        GVariant *value;
        g_variant_iter_init(&it, after_props);
        while (g_variant_iter_next(&it, "{&sv}", &name, &value)) {
            g_autoptr(GVariant) old = g_variant_lookup_value(before_props, name, NULL);
            GPtrArray *announced = g_hash_table_lookup(changes, name);
            gboolean changed = !old || !g_variant_equal(old, value);
            if (changed && !announced)
                g_error("%s: %s changed without PropertiesChanged; signals:%s", what, name, seen);
            if (!changed && announced)
                g_error("%s: PropertiesChanged for %s, which did not change; signals:%s", what,
                        name, seen);
            if (announced) {
                if (announced->len != 1)
                    g_error("%s: %s announced %u times; signals:%s", what, name, announced->len,
                            seen);
                if (!g_variant_equal(g_ptr_array_index(announced, 0), value))
                    g_error("%s: %s announced with a value other than the one it has; signals:%s",
                            what, name, seen);
                g_hash_table_remove(changes, name);
            }
            g_variant_unref(value);
        }
        if (g_hash_table_size(changes) != 0)
            g_error("%s: PropertiesChanged for unknown properties; signals:%s", what, seen);
        break;
    }
    }

    /* The values the step must have produced. */
    if (fate != OBJ_GOES) {
        GVariantIter it;
        const char *name;
        GVariant *value;
        g_variant_iter_init(&it, expected);
        while (g_variant_iter_next(&it, "{&sv}", &name, &value)) {
            g_autoptr(GVariant) actual = g_variant_lookup_value(after_props, name, NULL);
            if (!actual || !g_variant_equal(actual, value)) {
                g_autofree gchar *a = actual ? g_variant_print(actual, TRUE) : g_strdup("nothing");
                g_autofree gchar *e = g_variant_print(value, TRUE);
                g_error("%s: %s is %s, expected %s", what, name, a, e);
            }
            g_variant_unref(value);
        }
    }

    /* The client fed by signals alone holds what a fresh call returns. */
    vw_assert_manager_matches(w->om, after, STEP_TIMEOUT_MS);
    g_variant_unref(w->tree);
    w->tree = g_steal_pointer(&after);
}

static void
assert_has_id(VbFixture *f, const char *path)
{
    g_autoptr(GVariant) id = vb_get_property(f, path, VB_IFACE_DOMAIN, "Id");
    g_assert_cmpuint(g_variant_get_uint32(id), !=, NO_ID);
}

static void
test_lifecycle(VbFixture *f, gconstpointer data)
{
    Watch w = { 0 };
    Mark m;
    g_autofree gchar *save = g_build_filename(f->tmpdir, "watch.save", NULL);

    watch_init(&w, f);

    /* A persistent domain through every state. */
    g_autofree gchar *xml = vb_domain_xml("vb-watch");
    mark(&w, &m);
    g_autofree gchar *path = call_path(f, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainDefineXML",
                                       g_variant_new("(s)", xml));
    check_step(&w, &m, "define", path, OBJ_APPEARS, VIR_DOMAIN_EVENT_DEFINED,
               VIR_DOMAIN_EVENT_DEFINED_ADDED,
               "{'Name': <'vb-watch'>, 'State': <%d>, 'Active': <false>, 'Persistent': <true>, "
               "'Autostart': <false>, 'Id': <uint32 %u>}",
               VIR_DOMAIN_SHUTOFF, NO_ID);

    mark(&w, &m);
    call_ok(f, path, VB_IFACE_DOMAIN, "Create", g_variant_new("(u)", 0));
    check_step(&w, &m, "start", path, OBJ_STAYS, VIR_DOMAIN_EVENT_STARTED,
               VIR_DOMAIN_EVENT_STARTED_BOOTED,
               "{'State': <%d>, 'StateReason': <%d>, 'Active': <true>}", VIR_DOMAIN_RUNNING,
               VIR_DOMAIN_RUNNING_BOOTED);
    assert_has_id(f, path);

    mark(&w, &m);
    call_ok(f, path, VB_IFACE_DOMAIN, "Suspend", NULL);
    check_step(&w, &m, "suspend", path, OBJ_STAYS, VIR_DOMAIN_EVENT_SUSPENDED,
               VIR_DOMAIN_EVENT_SUSPENDED_PAUSED,
               "{'State': <%d>, 'StateReason': <%d>, 'Active': <true>}", VIR_DOMAIN_PAUSED,
               VIR_DOMAIN_PAUSED_USER);

    mark(&w, &m);
    call_ok(f, path, VB_IFACE_DOMAIN, "Resume", NULL);
    check_step(&w, &m, "resume", path, OBJ_STAYS, VIR_DOMAIN_EVENT_RESUMED,
               VIR_DOMAIN_EVENT_RESUMED_UNPAUSED, "{'State': <%d>, 'StateReason': <%d>}",
               VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_UNPAUSED);

    mark(&w, &m);
    call_ok(f, path, VB_IFACE_DOMAIN, "Save", g_variant_new("(ssu)", save, "", 0));
    check_step(&w, &m, "save", path, OBJ_STAYS, VIR_DOMAIN_EVENT_STOPPED,
               VIR_DOMAIN_EVENT_STOPPED_SAVED,
               "{'State': <%d>, 'StateReason': <%d>, 'Active': <false>, 'Id': <uint32 %u>, "
               "'Persistent': <true>}",
               VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_SAVED, NO_ID);

    mark(&w, &m);
    call_ok(f, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainRestore", g_variant_new("(ssu)", save, "", 0));
    check_step(&w, &m, "restore", path, OBJ_STAYS, VIR_DOMAIN_EVENT_STARTED,
               VIR_DOMAIN_EVENT_STARTED_RESTORED,
               "{'State': <%d>, 'StateReason': <%d>, 'Active': <true>}", VIR_DOMAIN_RUNNING,
               VIR_DOMAIN_RUNNING_RESTORED);
    assert_has_id(f, path);

    mark(&w, &m);
    g_autoptr(GError) set_error = vb_set_property(f, path, VB_IFACE_DOMAIN, "Autostart",
                                                  g_variant_new_boolean(TRUE));
    g_assert_no_error(set_error);
    check_step(&w, &m, "autostart", path, OBJ_STAYS, -1, -1, "{'Autostart': <true>}");

    mark(&w, &m);
    call_ok(f, path, VB_IFACE_DOMAIN, "Destroy", g_variant_new("(u)", 0));
    check_step(&w, &m, "destroy", path, OBJ_STAYS, VIR_DOMAIN_EVENT_STOPPED,
               VIR_DOMAIN_EVENT_STOPPED_DESTROYED,
               "{'State': <%d>, 'StateReason': <%d>, 'Active': <false>, 'Id': <uint32 %u>}",
               VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_DESTROYED, NO_ID);

    mark(&w, &m);
    call_ok(f, path, VB_IFACE_DOMAIN, "Undefine", g_variant_new("(u)", 0));
    check_step(&w, &m, "undefine", path, OBJ_GOES, VIR_DOMAIN_EVENT_UNDEFINED,
               VIR_DOMAIN_EVENT_UNDEFINED_REMOVED, "{}");

    /* Persistent to transient and back while running. */
    g_autofree gchar *xml_p = vb_domain_xml("vb-watch-p");
    mark(&w, &m);
    g_autofree gchar *path_p = call_path(f, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainDefineXML",
                                         g_variant_new("(s)", xml_p));
    check_step(&w, &m, "define p", path_p, OBJ_APPEARS, VIR_DOMAIN_EVENT_DEFINED,
               VIR_DOMAIN_EVENT_DEFINED_ADDED, "{'Persistent': <true>, 'State': <%d>}",
               VIR_DOMAIN_SHUTOFF);

    mark(&w, &m);
    call_ok(f, path_p, VB_IFACE_DOMAIN, "Create", g_variant_new("(u)", 0));
    check_step(&w, &m, "start p", path_p, OBJ_STAYS, VIR_DOMAIN_EVENT_STARTED,
               VIR_DOMAIN_EVENT_STARTED_BOOTED, "{'State': <%d>, 'Active': <true>}",
               VIR_DOMAIN_RUNNING);

    mark(&w, &m);
    call_ok(f, path_p, VB_IFACE_DOMAIN, "Undefine", g_variant_new("(u)", 0));
    check_step(&w, &m, "undefine running p", path_p, OBJ_STAYS, VIR_DOMAIN_EVENT_UNDEFINED,
               VIR_DOMAIN_EVENT_UNDEFINED_REMOVED,
               "{'Persistent': <false>, 'State': <%d>, 'Active': <true>}", VIR_DOMAIN_RUNNING);

    g_autofree gchar *live_xml = vb_get_xml(f, path_p);
    mark(&w, &m);
    g_autofree gchar *path_p2 = call_path(f, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainDefineXML",
                                          g_variant_new("(s)", live_xml));
    g_assert_cmpstr(path_p2, ==, path_p);
    check_step(&w, &m, "define running p", path_p, OBJ_STAYS, VIR_DOMAIN_EVENT_DEFINED, -1,
               "{'Persistent': <true>, 'State': <%d>, 'Active': <true>}", VIR_DOMAIN_RUNNING);

    mark(&w, &m);
    call_ok(f, path_p, VB_IFACE_DOMAIN, "Undefine", g_variant_new("(u)", 0));
    check_step(&w, &m, "undefine running p again", path_p, OBJ_STAYS, VIR_DOMAIN_EVENT_UNDEFINED,
               VIR_DOMAIN_EVENT_UNDEFINED_REMOVED, "{'Persistent': <false>}");

    mark(&w, &m);
    call_ok(f, path_p, VB_IFACE_DOMAIN, "Destroy", g_variant_new("(u)", 0));
    check_step(&w, &m, "destroy transient p", path_p, OBJ_GOES, VIR_DOMAIN_EVENT_STOPPED,
               VIR_DOMAIN_EVENT_STOPPED_DESTROYED, "{}");

    /* A transient domain: created running, gone when it stops. */
    g_autofree gchar *xml_t = vb_domain_xml("vb-watch-t");
    mark(&w, &m);
    g_autofree gchar *path_t = call_path(f, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainCreateXML",
                                         g_variant_new("(su)", xml_t, 0));
    check_step(&w, &m, "create transient", path_t, OBJ_APPEARS, VIR_DOMAIN_EVENT_STARTED,
               VIR_DOMAIN_EVENT_STARTED_BOOTED,
               "{'Name': <'vb-watch-t'>, 'State': <%d>, 'Active': <true>, 'Persistent': <false>}",
               VIR_DOMAIN_RUNNING);
    assert_has_id(f, path_t);

    mark(&w, &m);
    call_ok(f, path_t, VB_IFACE_DOMAIN, "Destroy", g_variant_new("(u)", 0));
    check_step(&w, &m, "destroy transient", path_t, OBJ_GOES, VIR_DOMAIN_EVENT_STOPPED,
               VIR_DOMAIN_EVENT_STOPPED_DESTROYED, "{}");

    /* The manager's own notifications: one add and one remove per domain. */
    g_assert_cmpuint(w.om_events->len, ==, 6);
    watch_clear(&w);
}

/* Renaming keeps the UUID, hence the object path: the object stays and only
 * its Name changes. */
static void
test_rename(VbFixture *f, gconstpointer data)
{
    Watch w = { 0 };
    Mark m;

    watch_init(&w, f);
    g_autofree gchar *xml = vb_domain_xml("vb-ren");
    mark(&w, &m);
    g_autofree gchar *path = call_path(f, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainDefineXML",
                                       g_variant_new("(s)", xml));
    check_step(&w, &m, "define", path, OBJ_APPEARS, VIR_DOMAIN_EVENT_DEFINED,
               VIR_DOMAIN_EVENT_DEFINED_ADDED, "{'Name': <'vb-ren'>}");

    mark(&w, &m);
    call_ok(f, path, VB_IFACE_DOMAIN, "Rename", g_variant_new("(su)", "vb-ren2", 0));
    check_step(&w, &m, "rename", path, OBJ_STAYS, VIR_DOMAIN_EVENT_DEFINED,
               VIR_DOMAIN_EVENT_DEFINED_RENAMED, "{'Name': <'vb-ren2'>, 'State': <%d>}",
               VIR_DOMAIN_SHUTOFF);
    g_autofree gchar *found = vb_domain_path(f, "vb-ren2");
    g_assert_cmpstr(found, ==, path);
    watch_clear(&w);
}

/* ---- ordering --------------------------------------------------------------------- */

typedef struct {
    GPtrArray *probed; /* "<path>" when found, "!<path>: <error>" when not */
} AddedProbe;

/* Runs as the InterfacesAdded signal is dispatched: the object must answer. */
static void
on_added_probe(GDBusConnection *bus, const gchar *sender, const gchar *path, const gchar *iface,
               const gchar *member, GVariant *params, gpointer data)
{
    AddedProbe *p = data;
    const char *obj;
    g_autoptr(GVariant) ifaces = NULL;
    g_autoptr(GError) error = NULL;

    g_variant_get(params, "(&o@a{sa{sv}})", &obj, &ifaces);
    g_autoptr(GVariant) name = g_dbus_connection_call_sync(
        bus, VB_BUS_NAME, obj, VB_IFACE_PROPERTIES, "Get",
        g_variant_new("(ss)", VB_IFACE_DOMAIN, "Name"), G_VARIANT_TYPE("(v)"),
        G_DBUS_CALL_FLAGS_NONE, VB_CALL_TIMEOUT_MS, NULL, &error);
    g_autoptr(GVariant) state = NULL;
    if (name)
        state = g_dbus_connection_call_sync(bus, VB_BUS_NAME, obj, VB_IFACE_DOMAIN, "GetState",
                                            g_variant_new("(u)", 0), G_VARIANT_TYPE("((ii))"),
                                            G_DBUS_CALL_FLAGS_NONE, VB_CALL_TIMEOUT_MS, NULL,
                                            &error);
    if (name && state)
        g_ptr_array_add(p->probed, g_strdup(obj));
    else
        g_ptr_array_add(p->probed, g_strdup_printf("!%s: %s", obj, error->message));
}

typedef struct {
    VbFixture *f;
    VwWire *wire;
    guint from;  /* wire index where the current call starts */
    guint reply; /* wire index of its reply */
    GVariant *body;
} Order;

/* Sends the call, waits for its reply, and remembers where both are. */
static void
order_call(Order *o, const char *path, const char *iface, const char *method, GVariant *args)
{
    o->from = vw_wire_len(o->wire);
    guint32 serial = vw_send_call(o->f->bus, path, iface, method, args, NULL, NULL);
    o->reply = vw_wire_wait_reply(o->wire, serial, VB_CALL_TIMEOUT_MS);
    const VwWireMsg *r = vw_wire_get(o->wire, o->reply);
    if (r->type != G_DBUS_MESSAGE_TYPE_METHOD_RETURN)
        g_error("%s.%s on %s failed: %s", iface, method, path, r->error_name);
    g_clear_pointer(&o->body, g_variant_unref);
    o->body = r->body ? g_variant_ref(r->body) : NULL;
}

static gchar *
order_reply_path(Order *o)
{
    gchar *path = NULL;
    g_assert_nonnull(o->body);
    g_variant_get(o->body, "(o)", &path);
    return path;
}

/* A signal about @path, @member (and announcing @property for
 * PropertiesChanged) arrived between the call and its reply. */
static void
assert_before_reply(Order *o, const char *what, const char *path, const char *member,
                    const char *property)
{
    gint at;

    if (property)
        at = vw_wire_find_property_changed(o->wire, o->from, path, VB_IFACE_DOMAIN, property);
    else if (g_str_equal(member, "DomainEvent"))
        at = vw_wire_find_signal(o->wire, o->from, NULL, VB_IFACE_CONNECT, member, path);
    else
        at = vw_wire_find_signal(o->wire, o->from, VW_ROOT_PATH, VW_IFACE_OBJECT_MANAGER, member, path);
    if (at < 0 || (guint)at > o->reply)
        g_error("%s: %s%s%s for %s must arrive before the reply (signal at %d, reply at %u)", what,
                member, property ? " of " : "", property ? property : "", path, at, o->reply);
}

static void
wait_probe(VbFixture *f, AddedProbe *p, const char *path)
{
    gint64 deadline = g_get_monotonic_time() + STEP_TIMEOUT_MS * 1000;

    for (;;) {
        vb_process_events(f);
        for (guint i = 0; i < p->probed->len; i++) {
            const char *s = g_ptr_array_index(p->probed, i);
            if (g_str_equal(s, path))
                return;
            if (s[0] == '!' && g_str_has_prefix(s + 1, path))
                g_error("the domain was not findable when InterfacesAdded arrived: %s", s + 1);
        }
        if (g_get_monotonic_time() > deadline)
            g_error("InterfacesAdded for %s was never dispatched", path);
        g_usleep(1000);
    }
}

static void
test_ordering(VbFixture *f, gconstpointer data)
{
    AddedProbe probe = { g_ptr_array_new_with_free_func(g_free) };
    Order o = { f, vw_wire_new(f->bus), 0, 0, NULL };
    g_autofree gchar *save = g_build_filename(f->tmpdir, "order.save", NULL);
    guint sub = g_dbus_connection_signal_subscribe(f->bus, VB_BUS_NAME, VW_IFACE_OBJECT_MANAGER,
                                                   "InterfacesAdded", VW_ROOT_PATH, NULL,
                                                   G_DBUS_SIGNAL_FLAGS_NONE, on_added_probe,
                                                   &probe, NULL);

    /* A round trip puts the match rule in place. */
    g_autofree gchar *unused = vb_get_string(f, VB_TEST_PATH "/domain/_6695eb01_f6a4_8304_79aa_97f2502e193f",
                                             VB_IFACE_DOMAIN, "Name");

    g_autofree gchar *xml = vb_domain_xml("vb-order");
    order_call(&o, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainDefineXML", g_variant_new("(s)", xml));
    g_autofree gchar *path = order_reply_path(&o);
    /* (DomainEvent may follow the reply here: the domain is published from
     * the call's own result when that comes first.) */
    assert_before_reply(&o, "define", path, "InterfacesAdded", NULL);
    wait_probe(f, &probe, path);

    struct {
        const char *what;
        gboolean on_connect;
        const char *method;
        GVariant *args;
        const char *property;
    } steps[] = {
        { "start", FALSE, "Create", g_variant_new("(u)", 0), "State" },
        { "suspend", FALSE, "Suspend", NULL, "State" },
        { "resume", FALSE, "Resume", NULL, "State" },
        { "save", FALSE, "Save", g_variant_new("(ssu)", save, "", 0), "Active" },
        { "restore", TRUE, "DomainRestore", g_variant_new("(ssu)", save, "", 0), "Id" },
        { "destroy", FALSE, "Destroy", g_variant_new("(u)", 0), "State" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(steps); i++) {
        order_call(&o, steps[i].on_connect ? VB_TEST_PATH : path,
                   steps[i].on_connect ? VB_IFACE_CONNECT : VB_IFACE_DOMAIN, steps[i].method,
                   steps[i].args);
        assert_before_reply(&o, steps[i].what, path, "PropertiesChanged", steps[i].property);
        if (!g_str_equal(steps[i].property, "State"))
            assert_before_reply(&o, steps[i].what, path, "PropertiesChanged", "State");
        assert_before_reply(&o, steps[i].what, path, "DomainEvent", NULL);
    }

    /* A property that no lifecycle event carries. */
    order_call(&o, path, VB_IFACE_PROPERTIES, "Set",
               g_variant_new("(ssv)", VB_IFACE_DOMAIN, "Autostart", g_variant_new_boolean(TRUE)));
    assert_before_reply(&o, "autostart", path, "PropertiesChanged", "Autostart");

    /* Undefined: announced gone before the reply, and then not findable. */
    order_call(&o, path, VB_IFACE_DOMAIN, "Undefine", g_variant_new("(u)", 0));
    assert_before_reply(&o, "undefine", path, "InterfacesRemoved", NULL);
    g_autoptr(GError) gone = vb_call_err(f, path, VB_IFACE_PROPERTIES, "Get",
                                         g_variant_new("(ss)", VB_IFACE_DOMAIN, "Name"));
    vb_assert_unknown_object(gone);

    /* Transient: added before the reply to its creation, removed before the
     * reply to its destruction. */
    g_autofree gchar *xml_t = vb_domain_xml("vb-order-t");
    order_call(&o, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainCreateXML", g_variant_new("(su)", xml_t, 0));
    g_autofree gchar *path_t = order_reply_path(&o);
    assert_before_reply(&o, "create transient", path_t, "InterfacesAdded", NULL);
    wait_probe(f, &probe, path_t);
    order_call(&o, path_t, VB_IFACE_DOMAIN, "Suspend", NULL);
    assert_before_reply(&o, "suspend transient", path_t, "PropertiesChanged", "State");
    order_call(&o, path_t, VB_IFACE_DOMAIN, "Destroy", g_variant_new("(u)", 0));
    assert_before_reply(&o, "destroy transient", path_t, "InterfacesRemoved", NULL);
    g_autoptr(GError) gone_t = vb_call_err(f, path_t, VB_IFACE_DOMAIN, "GetState",
                                           g_variant_new("(u)", 0));
    vb_assert_unknown_object(gone_t);

    g_dbus_connection_signal_unsubscribe(f->bus, sub);
    g_clear_pointer(&o.body, g_variant_unref);
    vw_wire_free(o.wire);
    g_ptr_array_unref(probe.probed);
}

/* ---- a burst of transitions --------------------------------------------------------- */

#define BURST_CYCLES 500
/* Calls in flight per client: below the system bus's default limit of
 * pending replies per connection (128). */
#define BURST_WINDOW 100

typedef struct {
    GDBusConnection *bus;
    const char *path;
    guint total, sent, done, outstanding, failed;
    gchar *first_error;
} Driver;

typedef struct {
    Driver *driver;
    guint index;
} BurstCall;

static void driver_pump(Driver *d);

static void
on_burst_reply(GObject *source, GAsyncResult *res, gpointer data)
{
    g_autofree BurstCall *call = data;
    Driver *d = call->driver;
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);

    if (!reply) {
        d->failed++;
        if (!d->first_error)
            d->first_error = g_strdup_printf("call %u (%s, answered as number %u): %s", call->index,
                                             call->index % 2 == 0 ? "Suspend" : "Resume", d->done,
                                             error->message);
    }
    d->done++;
    d->outstanding--;
    driver_pump(d);
}

static void
driver_pump(Driver *d)
{
    while (d->sent < d->total && d->outstanding < BURST_WINDOW) {
        const char *method = d->sent % 2 == 0 ? "Suspend" : "Resume";
        BurstCall *call = g_new0(BurstCall, 1);
        call->driver = d;
        call->index = d->sent;
        g_dbus_connection_call(d->bus, VB_BUS_NAME, d->path, VB_IFACE_DOMAIN, method, NULL,
                               G_VARIANT_TYPE("()"), G_DBUS_CALL_FLAGS_NONE, 120000, NULL,
                               on_burst_reply, call);
        d->sent++;
        d->outstanding++;
    }
}

static GDBusConnection *
new_client(void)
{
    g_autoptr(GError) error = NULL;
    GDBusConnection *c = g_dbus_connection_new_for_address_sync(
        vb_bus_address(),
        G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
        NULL, NULL, &error);
    g_assert_no_error(error);
    return c;
}

typedef struct {
    GArray *states; /* State values as the proxy announced them */
} ProxyLog;

static void
on_proxy_changed(GDBusProxy *proxy, GVariant *changed, GStrv invalidated, gpointer data)
{
    ProxyLog *log = data;
    gint32 state;

    if (g_variant_lookup(changed, "State", "i", &state))
        g_array_append_val(log->states, state);
}

static guint
count_state_changes(VbFixture *f, const char *path)
{
    g_autoptr(GHashTable) changes = vw_collect_changes(f, 0, path, VB_IFACE_DOMAIN);
    GPtrArray *states = g_hash_table_lookup(changes, "State");
    return states ? states->len : 0;
}

static void
run_burst(VbFixture *f, guint nclients)
{
    Watch w = { 0 };
    Driver drivers[2] = { 0 };
    ProxyLog logs[2] = { 0 };
    gchar *paths[2] = { NULL, NULL };
    GDBusProxy *proxies[2] = { NULL, NULL };
    gint64 start;

    g_assert_cmpuint(nclients, <=, 2);
    for (guint c = 0; c < nclients; c++) {
        g_autofree gchar *name = g_strdup_printf("vb-burst-%u", c);
        paths[c] = vb_define_and_start(f, name);
    }
    watch_init(&w, f);
    vw_settle(SETTLE_MS);
    vb_signals_clear(f);

    for (guint c = 0; c < nclients; c++) {
        proxies[c] = G_DBUS_PROXY(g_dbus_object_manager_get_interface(w.om, paths[c], VB_IFACE_DOMAIN));
        g_assert_nonnull(proxies[c]);
        logs[c].states = g_array_new(FALSE, FALSE, sizeof(gint32));
        g_signal_connect(proxies[c], "g-properties-changed", G_CALLBACK(on_proxy_changed), &logs[c]);
        drivers[c].bus = new_client();
        drivers[c].path = paths[c];
        drivers[c].total = 2 * BURST_CYCLES;
    }

    /* Every client pipelines its calls; they run concurrently. */
    start = g_get_monotonic_time();
    for (guint c = 0; c < nclients; c++)
        driver_pump(&drivers[c]);
    for (;;) {
        gboolean all_done = TRUE;
        for (guint c = 0; c < nclients; c++)
            all_done = all_done && drivers[c].done == drivers[c].total;
        if (all_done)
            break;
        g_main_context_iteration(NULL, TRUE);
    }
    /* On stderr: a test case's stdout stays in its subprocess. */
    g_printerr("# burst: %u client(s) x %u calls answered in %.2f s\n", nclients, 2 * BURST_CYCLES,
                   (g_get_monotonic_time() - start) / 1e6);
    for (guint c = 0; c < nclients; c++)
        if (drivers[c].failed)
            g_error("client %u: %u of %u calls failed, first: %s", c, drivers[c].failed,
                    drivers[c].total, drivers[c].first_error);

    /* Every transition arrives (they were all announced before the replies,
     * but the observer is another connection). */
    gint64 deadline = g_get_monotonic_time() + 60 * G_USEC_PER_SEC;
    for (guint c = 0; c < nclients; c++)
        while (count_state_changes(f, paths[c]) < 2 * BURST_CYCLES ||
               logs[c].states->len < 2 * BURST_CYCLES) {
            if (g_get_monotonic_time() > deadline)
                g_error("%s: saw %u State changes (proxy %u) of %u", paths[c],
                        count_state_changes(f, paths[c]), logs[c].states->len, 2 * BURST_CYCLES);
            g_main_context_iteration(NULL, TRUE);
        }
    vw_settle(SETTLE_MS);

    for (guint c = 0; c < nclients; c++) {
        g_autoptr(GHashTable) changes = vw_collect_changes(f, 0, paths[c], VB_IFACE_DOMAIN);
        GPtrArray *states = g_hash_table_lookup(changes, "State");
        guint nevents = 0;

        /* Paused, running, paused, ...: none dropped, merged or reordered. */
        g_assert_nonnull(states);
        g_assert_cmpuint(states->len, ==, 2 * BURST_CYCLES);
        g_assert_cmpuint(logs[c].states->len, ==, 2 * BURST_CYCLES);
        for (guint i = 0; i < states->len; i++) {
            gint32 expect = i % 2 == 0 ? VIR_DOMAIN_PAUSED : VIR_DOMAIN_RUNNING;
            gint32 got = g_variant_get_int32(g_ptr_array_index(states, i));
            if (got != expect)
                g_error("%s: State change %u is %d, expected %d", paths[c], i, got, expect);
            got = g_array_index(logs[c].states, gint32, i);
            if (got != expect)
                g_error("%s: the proxy's State change %u is %d, expected %d", paths[c], i, got, expect);
        }
        /* DomainEvent too: suspended, resumed, ... */
        for (guint i = 0; i < f->signals->len; i++) {
            VbSignal *sig = g_ptr_array_index(f->signals, i);
            gint32 e, d;
            if (!is_domain_event(sig, paths[c], -1, -1))
                continue;
            g_variant_get(sig->params, "(&oii)", NULL, &e, &d);
            gint32 expect = nevents % 2 == 0 ? VIR_DOMAIN_EVENT_SUSPENDED : VIR_DOMAIN_EVENT_RESUMED;
            if (e != expect)
                g_error("%s: DomainEvent %u is %d, expected %d", paths[c], nevents, e, expect);
            nevents++;
        }
        g_assert_cmpuint(nevents, ==, 2 * BURST_CYCLES);

        /* The final cached state is the real one. */
        gint st, rs;
        vb_get_state(f, paths[c], &st, &rs);
        g_assert_cmpint(st, ==, VIR_DOMAIN_RUNNING);
        g_autoptr(GVariant) cached_state = g_dbus_proxy_get_cached_property(proxies[c], "State");
        g_autoptr(GVariant) cached_reason = g_dbus_proxy_get_cached_property(proxies[c], "StateReason");
        g_assert_cmpint(g_variant_get_int32(cached_state), ==, st);
        g_assert_cmpint(g_variant_get_int32(cached_reason), ==, rs);
    }
    g_autoptr(GVariant) fresh = vw_managed_objects(f->bus, TRUE);
    vw_assert_manager_matches(w.om, fresh, STEP_TIMEOUT_MS);

    for (guint c = 0; c < nclients; c++) {
        g_signal_handlers_disconnect_by_data(proxies[c], &logs[c]);
        g_object_unref(proxies[c]);
        g_array_unref(logs[c].states);
        g_dbus_connection_close_sync(drivers[c].bus, NULL, NULL);
        g_object_unref(drivers[c].bus);
        g_free(drivers[c].first_error);
        g_free(paths[c]);
    }
    watch_clear(&w);
}

static void
test_burst_one_client(VbFixture *f, gconstpointer data)
{
    run_burst(f, 1);
}

static void
test_burst_two_clients(VbFixture *f, gconstpointer data)
{
    run_burst(f, 2);
}

/* ---- per-domain signals ----------------------------------------------------------- */

static const struct {
    const char *name;
    const char *signature;
} domain_signals[] = {
    { "AgentEvent", "ii" },
    { "BalloonChange", "t" },
    { "BlockJob", "sii" },
    { "ControlError", "" },
    { "DeviceAdded", "s" },
    { "DeviceRemovalFailed", "s" },
    { "DeviceRemoved", "s" },
    { "DiskChange", "sssi" },
    { "Graphics", "i(iss)(iss)sa(ss)" },
    { "IOError", "ssis" },
    { "JobCompleted", "a{sv}" },
    { "MetadataChange", "is" },
    { "MigrationIteration", "i" },
    { "PMSuspend", "i" },
    { "PMSuspendDisk", "i" },
    { "PMWakeup", "i" },
    { "RTCChange", "x" },
    { "Reboot", "" },
    { "TrayChange", "si" },
    { "Tunable", "a{sv}" },
    { "Watchdog", "i" },
};

static gchar *
args_signature(GDBusArgInfo **args)
{
    GString *s = g_string_new(NULL);
    for (GDBusArgInfo **a = args; a && *a; a++)
        g_string_append(s, (*a)->signature);
    return g_string_free(s, FALSE);
}

static void
expect_metadata_change(VbFixture *f, const char *path, gint type, const char *nsuri)
{
    g_autoptr(GVariant) params = NULL;

    if (!vb_wait_signal(f, path, VB_IFACE_DOMAIN, "MetadataChange", NULL, &params,
                        VB_SIGNAL_TIMEOUT_MS)) {
        g_autofree gchar *seen = vb_signals_describe(f);
        g_error("no MetadataChange on %s; signals:%s", path, seen);
    }
    g_assert_cmpstr(g_variant_get_type_string(params), ==, "(is)");
    gint32 t;
    const char *uri;
    g_variant_get(params, "(i&s)", &t, &uri);
    g_assert_cmpint(t, ==, type);
    g_assert_cmpstr(uri, ==, nsuri);
}

static void
test_domain_signals(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *path = vb_domain_path(f, VB_TEST_DOMAIN_NAME);
    g_autoptr(GError) error = NULL;

    /* Introspection declares every per-domain signal with libvirt-dbus's
     * signature, and DomainEvent on the Connect object. */
    g_autoptr(GVariant) xml_reply = vb_call_ok(f, path, "org.freedesktop.DBus.Introspectable",
                                               "Introspect", NULL, "(s)");
    const char *xml;
    g_variant_get(xml_reply, "(&s)", &xml);
    g_autoptr(GDBusNodeInfo) node = g_dbus_node_info_new_for_xml(xml, &error);
    g_assert_no_error(error);
    GDBusInterfaceInfo *domain = g_dbus_node_info_lookup_interface(node, VB_IFACE_DOMAIN);
    g_assert_nonnull(domain);
    for (gsize i = 0; i < G_N_ELEMENTS(domain_signals); i++) {
        GDBusSignalInfo *s = g_dbus_interface_info_lookup_signal(domain, domain_signals[i].name);
        if (!s)
            g_error("org.libvirt.Domain has no signal %s", domain_signals[i].name);
        g_autofree gchar *sig = args_signature(s->args);
        g_assert_cmpstr(sig, ==, domain_signals[i].signature);
    }
    g_autoptr(GVariant) cxml_reply = vb_call_ok(f, VB_TEST_PATH, "org.freedesktop.DBus.Introspectable",
                                                "Introspect", NULL, "(s)");
    const char *cxml;
    g_variant_get(cxml_reply, "(&s)", &cxml);
    g_autoptr(GDBusNodeInfo) cnode = g_dbus_node_info_new_for_xml(cxml, &error);
    g_assert_no_error(error);
    GDBusInterfaceInfo *connect = g_dbus_node_info_lookup_interface(cnode, VB_IFACE_CONNECT);
    g_assert_nonnull(connect);
    GDBusSignalInfo *de = g_dbus_interface_info_lookup_signal(connect, "DomainEvent");
    g_assert_nonnull(de);
    g_autofree gchar *de_sig = args_signature(de->args);
    g_assert_cmpstr(de_sig, ==, "oii");

    /* The test driver emits MetadataChange for each kind of metadata. */
    const char *uri = "http://example.org/virtbus/watch";
    call_ok(f, path, VB_IFACE_DOMAIN, "SetMetadata",
            g_variant_new("(isssu)", VIR_DOMAIN_METADATA_DESCRIPTION, "watched", "", "", 0));
    expect_metadata_change(f, path, VIR_DOMAIN_METADATA_DESCRIPTION, "");
    call_ok(f, path, VB_IFACE_DOMAIN, "SetMetadata",
            g_variant_new("(isssu)", VIR_DOMAIN_METADATA_TITLE, "Watched", "", "", 0));
    expect_metadata_change(f, path, VIR_DOMAIN_METADATA_TITLE, "");
    call_ok(f, path, VB_IFACE_DOMAIN, "SetMetadata",
            g_variant_new("(isssu)", VIR_DOMAIN_METADATA_ELEMENT, "<watch level='1'/>", "vb", uri, 0));
    expect_metadata_change(f, path, VIR_DOMAIN_METADATA_ELEMENT, uri);

    /* Also on a domain defined after start-up, and on no other object. */
    g_autofree gchar *other = vb_define_domain(f, "vb-meta");
    vw_settle(SETTLE_MS);
    vb_signals_clear(f);
    call_ok(f, other, VB_IFACE_DOMAIN, "SetMetadata",
            g_variant_new("(isssu)", VIR_DOMAIN_METADATA_DESCRIPTION, "other", "", "", 0));
    expect_metadata_change(f, other, VIR_DOMAIN_METADATA_DESCRIPTION, "");
    vw_settle(SETTLE_MS);
    for (guint i = 0; i < f->signals->len; i++) {
        VbSignal *sig = g_ptr_array_index(f->signals, i);
        if (g_str_equal(sig->member, "MetadataChange"))
            g_assert_cmpstr(sig->path, ==, other);
    }
}

int
main(int argc, char **argv)
{
    vb_init(&argc, &argv);

    vb_add_virtbusd_only("/objectmanager/managed-objects", test_managed_objects);
    vb_add_virtbusd_only("/objectmanager/lifecycle", test_lifecycle);
    vb_add_virtbusd_only("/objectmanager/rename", test_rename);
    vb_add_virtbusd_only("/objectmanager/ordering", test_ordering);
    vb_add_virtbusd_only("/objectmanager/burst-one-client", test_burst_one_client);
    vb_add_virtbusd_only("/objectmanager/burst-two-clients", test_burst_two_clients);
    vb_add_virtbusd_only("/objectmanager/domain-signals", test_domain_signals);

    return vb_run();
}
