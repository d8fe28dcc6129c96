/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Long operations as org.libvirt.Job objects, on libvirt's test driver,
 * held at the service's barrier seam so that every step is seen while the
 * job runs:
 *   - a Save is a job from before libvirt is asked until it is done: it
 *     appears with InterfacesAdded and in GetManagedObjects, the domain's
 *     Job property names it, other calls are answered meanwhile, and
 *     Completed comes before InterfacesRemoved;
 *   - Cancel before libvirt was asked stops the job, the Save fails with
 *     libvirt's OperationAborted and the domain runs on;
 *   - a Create that resumes from a managed save image is a job that cannot
 *     be canceled, a Create without one is no job;
 *   - a DomainRestore is a job on the domain it restores.
 * Effects are checked with GetStats, which asks libvirt. Needs the test
 * seam (-Dtest_delay_seam=true). */
#include "job-util.h"

#define TEST_DOMAIN_PATH VB_TEST_PATH "/domain/_6695eb01_f6a4_8304_79aa_97f2502e193f"
#define WAIT_MS 10000

static const char *const barrier_env[] = { VJ_BARRIER_ENV, NULL };
static const VbDaemonOptions barrier_opts = { .extra_env = barrier_env };

/* libvirt's own view of the domain's state and reason (GetStats reaches
 * libvirt; the State property is the service's). */
static void
libvirt_state(VbFixture *f, gint *state, gint *reason)
{
    g_autoptr(GVariant) r = vb_call_ok(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "GetStats",
                                       g_variant_new("(uu)", VIR_DOMAIN_STATS_STATE, 0), "(a{sv})");
    g_autoptr(GVariant) stats = g_variant_get_child_value(r, 0);
    g_autoptr(GVariant) s = g_variant_lookup_value(stats, "state.state", NULL);
    g_autoptr(GVariant) rs = g_variant_lookup_value(stats, "state.reason", NULL);

    g_assert_nonnull(s);
    g_assert_nonnull(rs);
    /* libvirt-dbus wraps each value once more. */
    if (g_variant_is_of_type(s, G_VARIANT_TYPE_VARIANT)) {
        g_autoptr(GVariant) si = g_variant_get_variant(s);
        g_autoptr(GVariant) ri = g_variant_get_variant(rs);
        *state = g_variant_get_int32(si);
        *reason = g_variant_get_int32(ri);
    } else {
        *state = g_variant_get_int32(s);
        *reason = g_variant_get_int32(rs);
    }
}

/* The State and StateReason the service serves are libvirt's. */
static void
assert_state_is_libvirts(VbFixture *f, gint expected_state)
{
    gint state, reason;
    g_autoptr(GVariant) st = vb_get_property(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "State");
    g_autoptr(GVariant) rs = vb_get_property(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "StateReason");

    libvirt_state(f, &state, &reason);
    g_assert_cmpint(state, ==, expected_state);
    g_assert_cmpint(g_variant_get_int32(st), ==, state);
    g_assert_cmpint(g_variant_get_int32(rs), ==, reason);
}

static gchar *
domain_job(VbFixture *f)
{
    g_autoptr(GVariant) v = vb_get_property(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "Job");
    return g_variant_dup_string(v, NULL);
}

static gboolean
tree_has(VbFixture *f, const char *path, const char *iface)
{
    g_autoptr(GVariant) r = vb_call_ok(f, VJ_ROOT_PATH, VJ_IFACE_OBJECT_MANAGER, "GetManagedObjects", NULL,
                                       "(a{oa{sa{sv}}})");
    g_autoptr(GVariant) tree = g_variant_get_child_value(r, 0);
    g_autoptr(GVariant) ifaces = g_variant_lookup_value(tree, path, G_VARIANT_TYPE("a{sa{sv}}"));
    g_autoptr(GVariant) props = ifaces ? g_variant_lookup_value(ifaces, iface, G_VARIANT_TYPE("a{sv}")) : NULL;

    return props != NULL;
}

/* Completed(@success) on @job, before InterfacesRemoved of @job. */
static gchar *
assert_completed(VbFixture *f, const char *job, gboolean expect_success)
{
    gboolean ok;
    gchar *message = NULL;
    gint completed, removed;

    if (!vj_wait_completed(f, job, &ok, &message, WAIT_MS))
        g_error("no Completed for %s", job);
    g_assert_cmpint(ok, ==, expect_success);
    if (!vb_wait_signal(f, VJ_ROOT_PATH, VJ_IFACE_OBJECT_MANAGER, "InterfacesRemoved", job, NULL, WAIT_MS))
        g_error("no InterfacesRemoved for %s", job);
    completed = vj_signal_index(f, job, VJ_IFACE_JOB, "Completed", NULL);
    removed = vj_signal_index(f, VJ_ROOT_PATH, VJ_IFACE_OBJECT_MANAGER, "InterfacesRemoved", job);
    g_assert_cmpint(completed, >=, 0);
    g_assert_cmpint(completed, <, removed);
    g_assert_false(tree_has(f, job, VJ_IFACE_JOB));
    return message;
}

static gint
compare_strings(gconstpointer a, gconstpointer b)
{
    return g_strcmp0(*(const gchar *const *)a, *(const gchar *const *)b);
}

/* A member list of one interface: "m Cancel () ()", "p Progress d 1"... */
static gchar *
describe(GDBusInterfaceInfo *i)
{
    g_autoptr(GPtrArray) v = g_ptr_array_new_with_free_func(g_free);

    for (GDBusMethodInfo **m = i->methods; m && *m; m++) {
        GString *s = g_string_new(NULL);
        g_string_append_printf(s, "m %s (", (*m)->name);
        for (GDBusArgInfo **a = (*m)->in_args; a && *a; a++)
            g_string_append_printf(s, "%s %s,", (*a)->signature, (*a)->name);
        g_string_append(s, ") (");
        for (GDBusArgInfo **a = (*m)->out_args; a && *a; a++)
            g_string_append_printf(s, "%s %s,", (*a)->signature, (*a)->name);
        g_string_append(s, ")");
        g_ptr_array_add(v, g_string_free(s, FALSE));
    }
    for (GDBusSignalInfo **g = i->signals; g && *g; g++) {
        GString *s = g_string_new(NULL);
        g_string_append_printf(s, "s %s (", (*g)->name);
        for (GDBusArgInfo **a = (*g)->args; a && *a; a++)
            g_string_append_printf(s, "%s %s,", (*a)->signature, (*a)->name);
        g_string_append(s, ")");
        g_ptr_array_add(v, g_string_free(s, FALSE));
    }
    for (GDBusPropertyInfo **p = i->properties; p && *p; p++)
        g_ptr_array_add(v, g_strdup_printf("p %s %s %d", (*p)->name, (*p)->signature, (*p)->flags));
    g_ptr_array_sort(v, compare_strings);
    g_ptr_array_add(v, NULL);
    return g_strjoinv("\n", (gchar **)v->pdata);
}

/* interfaces/org.libvirt.Job.xml says what a live job says about itself. */
static void
assert_documented(VbFixture *f, const char *job)
{
    g_autofree gchar *file = g_build_filename(g_getenv("VIRTBUS_SRCDIR"), "interfaces", "org.libvirt.Job.xml", NULL);
    g_autofree gchar *xml = NULL;
    g_autoptr(GError) error = NULL;
    const char *live_xml;

    g_assert_true(g_file_get_contents(file, &xml, NULL, &error));
    g_autoptr(GDBusNodeInfo) doc = g_dbus_node_info_new_for_xml(xml, &error);
    g_assert_no_error(error);
    g_autoptr(GVariant) r = vb_call_ok(f, job, "org.freedesktop.DBus.Introspectable", "Introspect", NULL, "(s)");
    g_variant_get(r, "(&s)", &live_xml);
    g_autoptr(GDBusNodeInfo) live = g_dbus_node_info_new_for_xml(live_xml, &error);
    g_assert_no_error(error);
    GDBusInterfaceInfo *d = g_dbus_node_info_lookup_interface(doc, VJ_IFACE_JOB);
    GDBusInterfaceInfo *l = g_dbus_node_info_lookup_interface(live, VJ_IFACE_JOB);
    g_assert_nonnull(d);
    g_assert_nonnull(l);
    g_autofree gchar *dd = describe(d), *ld = describe(l);
    g_assert_cmpstr(dd, ==, ld);
}

static void
test_save(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *image = g_build_filename(f->tmpdir, "test.save", NULL);
    g_autoptr(GVariant) props = NULL;
    g_autofree gchar *job = NULL;
    VjAsync save;
    const char *s;
    gint64 uid;
    gboolean b;

    vj_barrier_arm(f, "save");
    vj_call_async(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "Save", g_variant_new("(ssu)", image, "", 0), &save);
    int fd = vj_barrier_wait(f, "save", WAIT_MS);

    /* Announced while it runs, with what it is. */
    job = vj_wait_job_added(f, TEST_DOMAIN_PATH, &props, WAIT_MS);
    g_assert_true(g_str_has_prefix(job, VB_TEST_PATH "/job/"));
    g_assert_true(g_variant_lookup(props, "Operation", "&s", &s));
    g_assert_cmpstr(s, ==, "save");
    g_assert_true(g_variant_lookup(props, "StartedByUID", "x", &uid));
    g_assert_cmpint(uid, ==, (gint64)getuid());
    g_assert_true(g_variant_lookup(props, "Cancelable", "b", &b));
    g_assert_true(b);
    g_assert_true(g_variant_lookup(props, "ProgressValid", "b", &b));
    g_assert_false(b);
    g_autofree gchar *named = domain_job(f);
    g_assert_cmpstr(named, ==, job);
    g_autoptr(GVariant) announced = NULL;
    g_assert_true(vb_wait_property_changed(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "Job", &announced, WAIT_MS));
    g_assert_cmpstr(g_variant_get_string(announced, NULL), ==, job);
    g_assert_true(tree_has(f, job, VJ_IFACE_JOB));

    /* A new interface: GetAll wraps each value once, as the specification says. */
    g_autoptr(GVariant) all = vb_call_ok(f, job, VB_IFACE_PROPERTIES, "GetAll", g_variant_new("(s)", VJ_IFACE_JOB),
                                         "(a{sv})");
    g_autoptr(GVariant) dict = g_variant_get_child_value(all, 0);
    g_autoptr(GVariant) op = g_variant_lookup_value(dict, "Operation", NULL);
    g_assert_true(g_variant_is_of_type(op, G_VARIANT_TYPE_STRING));
    g_assert_cmpstr(g_variant_get_string(op, NULL), ==, "save");
    g_assert_cmpuint(g_variant_n_children(dict), ==, 12);
    assert_documented(f, job);

    /* Nobody waits behind it: a read of the same domain that asks libvirt. */
    g_autoptr(GVariant) x = vb_call_ok(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "GetXMLDesc", g_variant_new("(u)", 0),
                                       "(s)");
    g_assert_false(save.done);
    assert_state_is_libvirts(f, VIR_DOMAIN_RUNNING);

    vj_barrier_release(f, "save", fd);
    vj_async_wait(&save, WAIT_MS);
    g_assert_no_error(save.error);
    g_autofree gchar *message = assert_completed(f, job, TRUE);
    g_assert_cmpstr(message, ==, "");
    g_autofree gchar *after = domain_job(f);
    g_assert_cmpstr(after, ==, "/");
    g_autoptr(GError) gone = NULL;
    g_autoptr(GVariant) none = vb_call(f, job, VB_IFACE_PROPERTIES, "Get", g_variant_new("(ss)", VJ_IFACE_JOB, "Operation"),
                                       NULL, &gone);
    vb_assert_unknown_object(gone);
    assert_state_is_libvirts(f, VIR_DOMAIN_SHUTOFF);
    vj_async_clear(&save);
}

static void
test_cancel_before_libvirt(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *image = g_build_filename(f->tmpdir, "test.save", NULL);
    g_autofree gchar *job = NULL;
    VjAsync save;

    vj_barrier_arm(f, "save");
    vj_call_async(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "Save", g_variant_new("(ssu)", image, "", 0), &save);
    int fd = vj_barrier_wait(f, "save", WAIT_MS);
    job = vj_wait_job_added(f, TEST_DOMAIN_PATH, NULL, WAIT_MS);

    g_autoptr(GVariant) c = vb_call_ok(f, job, VJ_IFACE_JOB, "Cancel", NULL, "()");
    vj_barrier_release(f, "save", fd);
    vj_async_wait(&save, WAIT_MS);
    vb_assert_error(save.error, VJ_ERR_OPERATION_ABORTED);
    g_autofree gchar *message = assert_completed(f, job, FALSE);
    g_assert_nonnull(strstr(message, "canceled by client"));
    /* libvirt was never asked: the domain runs on, untouched. */
    assert_state_is_libvirts(f, VIR_DOMAIN_RUNNING);
    g_assert_false(g_file_test(image, G_FILE_TEST_EXISTS));
    vj_async_clear(&save);
}

static void
test_managed_save_start(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *saving = NULL, *starting = NULL;
    g_autoptr(GVariant) props = NULL;
    VjAsync create;
    const char *s;
    gboolean b;

    /* ManagedSave is a job too. */
    g_autoptr(GVariant) m = vb_call_ok(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "ManagedSave", g_variant_new("(u)", 0),
                                       "()");
    saving = vj_wait_job_added(f, TEST_DOMAIN_PATH, &props, WAIT_MS);
    g_assert_true(g_variant_lookup(props, "Operation", "&s", &s));
    g_assert_cmpstr(s, ==, "save");
    g_autofree gchar *m1 = assert_completed(f, saving, TRUE);
    assert_state_is_libvirts(f, VIR_DOMAIN_SHUTOFF);
    g_clear_pointer(&props, g_variant_unref);

    /* Starting resumes from the image: a job, which cannot be canceled. */
    vj_barrier_arm(f, "start");
    vj_call_async(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "Create", g_variant_new("(u)", 0), &create);
    int fd = vj_barrier_wait(f, "start", WAIT_MS);
    starting = vj_wait_job_added(f, TEST_DOMAIN_PATH, &props, WAIT_MS);
    g_assert_cmpstr(starting, !=, saving);
    g_assert_true(g_variant_lookup(props, "Operation", "&s", &s));
    g_assert_cmpstr(s, ==, "start");
    g_assert_true(g_variant_lookup(props, "Cancelable", "b", &b));
    g_assert_false(b);
    g_autoptr(GError) refused = vb_call_err(f, starting, VJ_IFACE_JOB, "Cancel", NULL);
    vb_assert_error(refused, VJ_ERR_OPERATION_UNSUPPORTED);
    vj_barrier_release(f, "start", fd);
    vj_async_wait(&create, WAIT_MS);
    g_assert_no_error(create.error);
    g_autofree gchar *m2 = assert_completed(f, starting, TRUE);
    assert_state_is_libvirts(f, VIR_DOMAIN_RUNNING);
    vj_async_clear(&create);

    /* A plain start is quick: no job. */
    g_autoptr(GVariant) d = vb_call_ok(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "Destroy", g_variant_new("(u)", 0), "()");
    vb_signals_clear(f);
    g_autoptr(GVariant) c = vb_call_ok(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "Create", g_variant_new("(u)", 0), "()");
    assert_state_is_libvirts(f, VIR_DOMAIN_RUNNING);
    g_assert_cmpint(vj_signal_index(f, VJ_ROOT_PATH, VJ_IFACE_OBJECT_MANAGER, "InterfacesAdded", NULL), ==, -1);
}

static void
test_restore(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *image = g_build_filename(f->tmpdir, "test.save", NULL);
    g_autoptr(GVariant) props = NULL;
    g_autofree gchar *job = NULL;
    VjAsync restore;
    const char *s;

    g_autoptr(GVariant) sv = vb_call_ok(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "Save",
                                        g_variant_new("(ssu)", image, "", 0), "()");
    g_autofree gchar *saved = vj_wait_job_added(f, TEST_DOMAIN_PATH, NULL, WAIT_MS);
    g_autofree gchar *m1 = assert_completed(f, saved, TRUE);

    vj_barrier_arm(f, "restore");
    vj_call_async(f, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainRestore", g_variant_new("(ssu)", image, "", 0), &restore);
    int fd = vj_barrier_wait(f, "restore", WAIT_MS);
    job = vj_wait_job_added(f, TEST_DOMAIN_PATH, &props, WAIT_MS);
    g_assert_true(g_variant_lookup(props, "Operation", "&s", &s));
    g_assert_cmpstr(s, ==, "restore");
    g_autofree gchar *named = domain_job(f);
    g_assert_cmpstr(named, ==, job);
    vj_barrier_release(f, "restore", fd);
    vj_async_wait(&restore, WAIT_MS);
    g_assert_no_error(restore.error);
    g_autofree gchar *m2 = assert_completed(f, job, TRUE);
    assert_state_is_libvirts(f, VIR_DOMAIN_RUNNING);
    vj_async_clear(&restore);
}

static void
skip_no_seam(void)
{
    g_test_skip("needs the test seam (meson setup -Dtest_delay_seam=true)");
}

static void
add(const char *path, VbTestFunc func)
{
    if (!vb_reference_mode() && !vb_have_delay_seam())
        g_test_add_func(path, skip_no_seam);
    else
        vb_add_virtbusd_only_full(path, &barrier_opts, func);
}

int
main(int argc, char **argv)
{
    vb_init(&argc, &argv);

    add("/jobs/save", test_save);
    add("/jobs/cancel-before-libvirt", test_cancel_before_libvirt);
    add("/jobs/managed-save-start", test_managed_save_start);
    add("/jobs/restore", test_restore);
    return vb_run();
}
