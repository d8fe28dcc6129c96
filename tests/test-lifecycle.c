/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The domain lifecycle: every state (undefined, defined/stopped, running,
 * paused, saved) and every transition between them, for persistent and
 * transient domains. Each transition is checked twice: by the DomainEvent
 * signal with libvirt's event and detail numbers, and by GetState (plus the
 * State/StateReason properties against virtbusd). */
#include "harness.h"

#include <string.h>

static void
call_ok(VbFixture *f, const char *path, const char *method, GVariant *args)
{
    g_autoptr(GVariant) r = vb_call_ok(f, path, VB_IFACE_DOMAIN, method, args, "()");
}

/* Asserts the transition to (@state, @reason) was announced with (@event,
 * @detail) and is what the domain reports now. */
static void
expect(VbFixture *f, const char *path, gint event, gint detail, gint state, gint reason)
{
    gint st, rs;

    vb_assert_domain_event(f, path, event, detail);
    vb_get_state(f, path, &st, &rs);
    g_assert_cmpint(st, ==, state);
    g_assert_cmpint(rs, ==, reason);
    g_assert_cmpint(vb_get_bool(f, path, VB_IFACE_DOMAIN, "Active"), ==, state != VIR_DOMAIN_SHUTOFF);

    if (!vb_reference_mode()) {
        /* virtbusd's cached properties agree once the event is out. */
        g_autoptr(GVariant) p_state = vb_get_property(f, path, VB_IFACE_DOMAIN, "State");
        g_autoptr(GVariant) p_reason = vb_get_property(f, path, VB_IFACE_DOMAIN, "StateReason");
        g_assert_cmpint(g_variant_get_int32(p_state), ==, state);
        g_assert_cmpint(g_variant_get_int32(p_reason), ==, reason);
    }
}

static gboolean
has_managed_save(VbFixture *f, const char *path)
{
    g_autoptr(GVariant) r = vb_call_ok(f, path, VB_IFACE_DOMAIN, "HasManagedSaveImage",
                                       g_variant_new("(u)", 0), "(b)");
    gboolean has;
    g_variant_get(r, "(b)", &has);
    return has;
}

static void
expect_gone(VbFixture *f, const char *path, const char *name)
{
    g_autoptr(GError) e1 = vb_call_err(f, path, VB_IFACE_DOMAIN, "GetState", g_variant_new("(u)", 0));
    vb_assert_unknown_object(e1);
    g_autoptr(GError) e2 = vb_call_err(f, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainLookupByName",
                                       g_variant_new("(s)", name));
    vb_assert_error(e2, VB_ERR_NO_DOMAIN);
    g_auto(GStrv) all = vb_list_domains(f, 0);
    g_assert_false(g_strv_contains((const gchar *const *)all, path));
}

static void
test_persistent(VbFixture *f, gconstpointer data)
{
    const char *name = "vb-life";
    g_autofree gchar *save = g_build_filename(f->tmpdir, "life.save", NULL);

    /* undefined -> defined (stopped) */
    g_autofree gchar *path = vb_define_domain(f, name);
    expect(f, path, VIR_DOMAIN_EVENT_DEFINED, VIR_DOMAIN_EVENT_DEFINED_ADDED, VIR_DOMAIN_SHUTOFF,
           VIR_DOMAIN_SHUTOFF_UNKNOWN);
    g_assert_true(vb_get_bool(f, path, VB_IFACE_DOMAIN, "Persistent"));

    /* defined -> running */
    call_ok(f, path, "Create", g_variant_new("(u)", 0));
    expect(f, path, VIR_DOMAIN_EVENT_STARTED, VIR_DOMAIN_EVENT_STARTED_BOOTED, VIR_DOMAIN_RUNNING,
           VIR_DOMAIN_RUNNING_BOOTED);

    /* running -> paused -> running */
    call_ok(f, path, "Suspend", NULL);
    expect(f, path, VIR_DOMAIN_EVENT_SUSPENDED, VIR_DOMAIN_EVENT_SUSPENDED_PAUSED, VIR_DOMAIN_PAUSED,
           VIR_DOMAIN_PAUSED_USER);
    call_ok(f, path, "Resume", NULL);
    expect(f, path, VIR_DOMAIN_EVENT_RESUMED, VIR_DOMAIN_EVENT_RESUMED_UNPAUSED, VIR_DOMAIN_RUNNING,
           VIR_DOMAIN_RUNNING_UNPAUSED);

    /* running -> saved (to a file) -> running */
    call_ok(f, path, "Save", g_variant_new("(ssu)", save, "", 0));
    expect(f, path, VIR_DOMAIN_EVENT_STOPPED, VIR_DOMAIN_EVENT_STOPPED_SAVED, VIR_DOMAIN_SHUTOFF,
           VIR_DOMAIN_SHUTOFF_SAVED);
    g_autoptr(GVariant) r1 = vb_call_ok(f, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainRestore",
                                        g_variant_new("(ssu)", save, "", 0), "()");
    expect(f, path, VIR_DOMAIN_EVENT_STARTED, VIR_DOMAIN_EVENT_STARTED_RESTORED, VIR_DOMAIN_RUNNING,
           VIR_DOMAIN_RUNNING_RESTORED);

    /* running -> saved (managed) -> running: Create starts from the image and
     * consumes it. libvirt's test driver reports that start as "booted". */
    call_ok(f, path, "ManagedSave", g_variant_new("(u)", 0));
    expect(f, path, VIR_DOMAIN_EVENT_STOPPED, VIR_DOMAIN_EVENT_STOPPED_SAVED, VIR_DOMAIN_SHUTOFF,
           VIR_DOMAIN_SHUTOFF_SAVED);
    g_assert_true(has_managed_save(f, path));
    call_ok(f, path, "Create", g_variant_new("(u)", 0));
    expect(f, path, VIR_DOMAIN_EVENT_STARTED, VIR_DOMAIN_EVENT_STARTED_BOOTED, VIR_DOMAIN_RUNNING,
           VIR_DOMAIN_RUNNING_BOOTED);
    g_assert_false(has_managed_save(f, path));

    /* running -> stopped, gracefully (the test driver's guests always comply) */
    call_ok(f, path, "Shutdown", g_variant_new("(u)", 0));
    expect(f, path, VIR_DOMAIN_EVENT_STOPPED, VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN, VIR_DOMAIN_SHUTOFF,
           VIR_DOMAIN_SHUTOFF_SHUTDOWN);

    /* stopped -> running -> stopped, forcibly */
    call_ok(f, path, "Create", g_variant_new("(u)", 0));
    expect(f, path, VIR_DOMAIN_EVENT_STARTED, VIR_DOMAIN_EVENT_STARTED_BOOTED, VIR_DOMAIN_RUNNING,
           VIR_DOMAIN_RUNNING_BOOTED);
    call_ok(f, path, "Destroy", g_variant_new("(u)", 0));
    expect(f, path, VIR_DOMAIN_EVENT_STOPPED, VIR_DOMAIN_EVENT_STOPPED_DESTROYED,
           VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_DESTROYED);

    /* A persistent domain stays defined while stopped. */
    g_autofree gchar *still = vb_domain_path(f, name);
    g_assert_cmpstr(still, ==, path);

    /* defined -> undefined */
    call_ok(f, path, "Undefine", g_variant_new("(u)", 0));
    vb_assert_domain_event(f, path, VIR_DOMAIN_EVENT_UNDEFINED, VIR_DOMAIN_EVENT_UNDEFINED_REMOVED);
    expect_gone(f, path, name);

    /* Nothing else was announced for this domain. */
    g_assert_cmpuint(vb_count_domain_events(f, path), ==, 0);
}

static void
test_snapshot_revert(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *path = vb_define_and_start(f, "vb-life-snap");

    g_autoptr(GVariant) r = vb_call_ok(
        f, path, VB_IFACE_DOMAIN, "SnapshotCreateXML",
        g_variant_new("(su)", "<domainsnapshot><name>running</name></domainsnapshot>", 0), "(o)");
    const char *snap;
    g_variant_get(r, "(&o)", &snap);
    /* Taking a snapshot does not change the domain's state. */
    vb_assert_state(f, path, VIR_DOMAIN_RUNNING);

    call_ok(f, path, "Destroy", g_variant_new("(u)", 0));
    expect(f, path, VIR_DOMAIN_EVENT_STOPPED, VIR_DOMAIN_EVENT_STOPPED_DESTROYED,
           VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_DESTROYED);

    /* stopped -> running, from the snapshot of a running domain */
    g_autoptr(GVariant) r2 = vb_call_ok(f, snap, VB_IFACE_SNAPSHOT, "Revert", g_variant_new("(u)", 0),
                                        "()");
    expect(f, path, VIR_DOMAIN_EVENT_STARTED, VIR_DOMAIN_EVENT_STARTED_FROM_SNAPSHOT,
           VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_FROM_SNAPSHOT);

    /* paused, then a snapshot of the paused domain */
    call_ok(f, path, "Suspend", NULL);
    expect(f, path, VIR_DOMAIN_EVENT_SUSPENDED, VIR_DOMAIN_EVENT_SUSPENDED_PAUSED, VIR_DOMAIN_PAUSED,
           VIR_DOMAIN_PAUSED_USER);
    g_autoptr(GVariant) r3 = vb_call_ok(
        f, path, VB_IFACE_DOMAIN, "SnapshotCreateXML",
        g_variant_new("(su)", "<domainsnapshot><name>paused</name></domainsnapshot>", 0), "(o)");
    const char *paused_snap;
    g_variant_get(r3, "(&o)", &paused_snap);
    call_ok(f, path, "Resume", NULL);
    expect(f, path, VIR_DOMAIN_EVENT_RESUMED, VIR_DOMAIN_EVENT_RESUMED_UNPAUSED, VIR_DOMAIN_RUNNING,
           VIR_DOMAIN_RUNNING_UNPAUSED);

    /* running -> running, back to the first snapshot: the test driver stops
     * and restarts the domain */
    g_autoptr(GVariant) r4 = vb_call_ok(f, snap, VB_IFACE_SNAPSHOT, "Revert", g_variant_new("(u)", 0),
                                        "()");
    vb_assert_domain_event(f, path, VIR_DOMAIN_EVENT_STOPPED, VIR_DOMAIN_EVENT_STOPPED_FROM_SNAPSHOT);
    expect(f, path, VIR_DOMAIN_EVENT_STARTED, VIR_DOMAIN_EVENT_STARTED_FROM_SNAPSHOT,
           VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_FROM_SNAPSHOT);

    /* stopped -> paused, from the paused snapshot */
    call_ok(f, path, "Destroy", g_variant_new("(u)", 0));
    expect(f, path, VIR_DOMAIN_EVENT_STOPPED, VIR_DOMAIN_EVENT_STOPPED_DESTROYED,
           VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_DESTROYED);
    g_autoptr(GVariant) r5 = vb_call_ok(f, paused_snap, VB_IFACE_SNAPSHOT, "Revert",
                                        g_variant_new("(u)", 0), "()");
    vb_assert_domain_event(f, path, VIR_DOMAIN_EVENT_STARTED, VIR_DOMAIN_EVENT_STARTED_FROM_SNAPSHOT);
    expect(f, path, VIR_DOMAIN_EVENT_SUSPENDED, VIR_DOMAIN_EVENT_SUSPENDED_FROM_SNAPSHOT,
           VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_FROM_SNAPSHOT);
}

static void
test_transient(VbFixture *f, gconstpointer data)
{
    const char *name = "vb-transient";
    g_autofree gchar *xml = vb_domain_xml(name);

    /* undefined -> running, with no definition kept */
    g_autoptr(GVariant) r = vb_call_ok(f, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainCreateXML",
                                       g_variant_new("(su)", xml, 0), "(o)");
    g_autofree gchar *path = NULL;
    g_variant_get(r, "(o)", &path);
    expect(f, path, VIR_DOMAIN_EVENT_STARTED, VIR_DOMAIN_EVENT_STARTED_BOOTED, VIR_DOMAIN_RUNNING,
           VIR_DOMAIN_RUNNING_BOOTED);
    g_assert_false(vb_get_bool(f, path, VB_IFACE_DOMAIN, "Persistent"));

    call_ok(f, path, "Suspend", NULL);
    expect(f, path, VIR_DOMAIN_EVENT_SUSPENDED, VIR_DOMAIN_EVENT_SUSPENDED_PAUSED, VIR_DOMAIN_PAUSED,
           VIR_DOMAIN_PAUSED_USER);
    call_ok(f, path, "Resume", NULL);
    expect(f, path, VIR_DOMAIN_EVENT_RESUMED, VIR_DOMAIN_EVENT_RESUMED_UNPAUSED, VIR_DOMAIN_RUNNING,
           VIR_DOMAIN_RUNNING_UNPAUSED);

    /* running -> undefined: a transient domain vanishes when it stops */
    call_ok(f, path, "Destroy", g_variant_new("(u)", 0));
    vb_assert_domain_event(f, path, VIR_DOMAIN_EVENT_STOPPED, VIR_DOMAIN_EVENT_STOPPED_DESTROYED);
    expect_gone(f, path, name);

    /* It cannot be started again: there is nothing left to start. */
    g_autoptr(GError) e = vb_call_err(f, path, VB_IFACE_DOMAIN, "Create", g_variant_new("(u)", 0));
    vb_assert_unknown_object(e);
}

static void
test_transient_restore(VbFixture *f, gconstpointer data)
{
    const char *name = "vb-transient-saved";
    g_autofree gchar *xml = vb_domain_xml(name);
    g_autofree gchar *save = g_build_filename(f->tmpdir, "transient.save", NULL);

    g_autoptr(GVariant) r = vb_call_ok(f, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainCreateXML",
                                       g_variant_new("(su)", xml, 0), "(o)");
    g_autofree gchar *path = NULL;
    g_variant_get(r, "(o)", &path);
    vb_assert_domain_event(f, path, VIR_DOMAIN_EVENT_STARTED, VIR_DOMAIN_EVENT_STARTED_BOOTED);

    /* Saving a transient domain ends it... */
    call_ok(f, path, "Save", g_variant_new("(ssu)", save, "", 0));
    vb_assert_domain_event(f, path, VIR_DOMAIN_EVENT_STOPPED, VIR_DOMAIN_EVENT_STOPPED_SAVED);
    expect_gone(f, path, name);

    /* ...and it can be restored from the file again and again. */
    for (int round = 0; round < 2; round++) {
        g_autoptr(GVariant) r2 = vb_call_ok(f, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainRestore",
                                            g_variant_new("(ssu)", save, "", 0), "()");
        expect(f, path, VIR_DOMAIN_EVENT_STARTED, VIR_DOMAIN_EVENT_STARTED_RESTORED,
               VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_RESTORED);
        g_autofree gchar *found = vb_domain_path(f, name);
        g_assert_cmpstr(found, ==, path);
        g_assert_false(vb_get_bool(f, path, VB_IFACE_DOMAIN, "Persistent"));
        call_ok(f, path, "Destroy", g_variant_new("(u)", 0));
        vb_assert_domain_event(f, path, VIR_DOMAIN_EVENT_STOPPED, VIR_DOMAIN_EVENT_STOPPED_DESTROYED);
        expect_gone(f, path, name);
    }
}

static void
test_invalid_transitions(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *path = vb_define_domain(f, "vb-life-invalid");
    vb_assert_domain_event(f, path, VIR_DOMAIN_EVENT_DEFINED, VIR_DOMAIN_EVENT_DEFINED_ADDED);

    /* From stopped: nothing but start (and undefine) applies. */
    struct {
        const char *method;
        const char *error;
    } stopped[] = {
        { "Suspend", VB_ERR_INTERNAL },         { "Resume", VB_ERR_INTERNAL },
        { "Shutdown", VB_ERR_INTERNAL },        { "Destroy", VB_ERR_OPERATION_INVALID },
        { "ManagedSave", VB_ERR_OPERATION_INVALID },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(stopped); i++) {
        gboolean has_flags = !g_str_equal(stopped[i].method, "Suspend") &&
                             !g_str_equal(stopped[i].method, "Resume");
        g_autoptr(GError) e = vb_call_err(f, path, VB_IFACE_DOMAIN, stopped[i].method,
                                          has_flags ? g_variant_new("(u)", 0) : NULL);
        vb_assert_error(e, stopped[i].error);
        vb_assert_state(f, path, VIR_DOMAIN_SHUTOFF);
    }

    /* From paused: no second suspend; no start. */
    call_ok(f, path, "Create", g_variant_new("(u)", 0));
    call_ok(f, path, "Suspend", NULL);
    vb_assert_domain_event(f, path, VIR_DOMAIN_EVENT_SUSPENDED, VIR_DOMAIN_EVENT_SUSPENDED_PAUSED);
    g_autoptr(GError) e1 = vb_call_err(f, path, VB_IFACE_DOMAIN, "Suspend", NULL);
    vb_assert_error(e1, VB_ERR_INTERNAL);
    g_autoptr(GError) e2 = vb_call_err(f, path, VB_IFACE_DOMAIN, "Create", g_variant_new("(u)", 0));
    vb_assert_error(e2, VB_ERR_INTERNAL);
    vb_assert_state(f, path, VIR_DOMAIN_PAUSED);

    /* Failed calls announce nothing. */
    vb_assert_domain_event(f, path, VIR_DOMAIN_EVENT_STARTED, VIR_DOMAIN_EVENT_STARTED_BOOTED);
    g_assert_cmpuint(vb_count_domain_events(f, path), ==, 0);
}

int
main(int argc, char **argv)
{
    vb_init(&argc, &argv);

    vb_add("/lifecycle/persistent", test_persistent);
    vb_add("/lifecycle/snapshot-revert", test_snapshot_revert);
    vb_add("/lifecycle/transient", test_transient);
    vb_add("/lifecycle/transient-restore", test_transient_restore);
    vb_add("/lifecycle/invalid-transitions", test_invalid_transitions);

    return vb_run();
}
