/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.libvirt.Domain: properties and every method of the core list, each
 * checked for its effect (state, XML, events) or its exact error. */
#include "harness.h"

#include <string.h>

#define TEST_DOMAIN_PATH "/org/libvirt/Test/domain/_6695eb01_f6a4_8304_79aa_97f2502e193f"

static GVariant *
dom_call(VbFixture *f, const char *path, const char *method, GVariant *args, const char *reply_type)
{
    return vb_call_ok(f, path, VB_IFACE_DOMAIN, method, args, reply_type);
}

static GError *
dom_err(VbFixture *f, const char *path, const char *method, GVariant *args)
{
    return vb_call_err(f, path, VB_IFACE_DOMAIN, method, args);
}

#define DOM_OK(f, path, method, args) \
    G_STMT_START { \
        g_autoptr(GVariant) r_ = dom_call((f), (path), (method), (args), "()"); \
    } G_STMT_END

static GVariant *
child(GVariant *reply)
{
    return g_variant_get_child_value(reply, 0);
}

/* ---- properties ----------------------------------------------------------------- */

static const struct {
    const char *name;
    const char *type;
} domain_props[] = {
    { "Active", "b" },     { "Autostart", "b" },      { "Id", "u" },
    { "Name", "s" },       { "OSType", "s" },         { "Persistent", "b" },
    { "SchedulerType", "(si)" }, { "Updated", "b" },  { "UUID", "s" },
};

static void
test_properties(VbFixture *f, gconstpointer data)
{
    for (gsize i = 0; i < G_N_ELEMENTS(domain_props); i++) {
        g_autoptr(GVariant) v = vb_get_property(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN,
                                                domain_props[i].name);
        g_assert_cmpstr(g_variant_get_type_string(v), ==, domain_props[i].type);
    }
    g_assert_true(vb_get_bool(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "Active"));
    g_assert_false(vb_get_bool(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "Autostart"));
    g_assert_true(vb_get_bool(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "Persistent"));
    g_assert_false(vb_get_bool(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "Updated"));
    g_autofree gchar *name = vb_get_string(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "Name");
    g_assert_cmpstr(name, ==, VB_TEST_DOMAIN_NAME);
    g_autofree gchar *uuid = vb_get_string(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "UUID");
    g_assert_cmpstr(uuid, ==, VB_TEST_DOMAIN_UUID);
    g_autofree gchar *os = vb_get_string(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "OSType");
    g_assert_cmpstr(os, ==, "linux");
    g_autoptr(GVariant) id = vb_get_property(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "Id");
    g_assert_cmpuint(g_variant_get_uint32(id), ==, 1);
    g_autoptr(GVariant) sched = vb_get_property(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN,
                                                "SchedulerType");
    const char *sched_name;
    gint nparams;
    g_variant_get(sched, "(&si)", &sched_name, &nparams);
    g_assert_cmpstr(sched_name, ==, "fair");

    /* An inactive domain has no id; libvirt-dbus answers 0 for it. */
    g_autofree gchar *other = vb_define_domain(f, "vb-props");
    g_assert_false(vb_get_bool(f, other, VB_IFACE_DOMAIN, "Active"));
    g_autoptr(GVariant) other_id = vb_get_property(f, other, VB_IFACE_DOMAIN, "Id");
    g_assert_cmpuint(g_variant_get_uint32(other_id), ==, 0);
    g_autofree gchar *other_name = vb_get_string(f, other, VB_IFACE_DOMAIN, "Name");
    g_assert_cmpstr(other_name, ==, "vb-props");
}

static void
test_properties_getall(VbFixture *f, gconstpointer data)
{
    g_autoptr(GVariant) reply = vb_call_ok(f, TEST_DOMAIN_PATH, VB_IFACE_PROPERTIES, "GetAll",
                                           g_variant_new("(s)", VB_IFACE_DOMAIN), "(a{sv})");
    g_autoptr(GVariant) dict = child(reply);

    for (gsize i = 0; i < G_N_ELEMENTS(domain_props); i++) {
        g_autoptr(GVariant) outer = g_variant_lookup_value(dict, domain_props[i].name, NULL);
        g_assert_nonnull(outer);
        /* Each value wrapped twice: a "v" holding a "v". */
        g_assert_cmpstr(g_variant_get_type_string(outer), ==, "v");
        g_autoptr(GVariant) inner = g_variant_get_variant(outer);
        g_assert_cmpstr(g_variant_get_type_string(inner), ==, domain_props[i].type);
        g_autoptr(GVariant) single = vb_get_property(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN,
                                                     domain_props[i].name);
        g_assert_true(g_variant_equal(inner, single));
    }
}

static void
test_properties_state(VbFixture *f, gconstpointer data)
{
    const char *path = TEST_DOMAIN_PATH;
    struct {
        const char *method;
        GVariant *args;
        gint state;
    } steps[] = {
        { "Suspend", NULL, VIR_DOMAIN_PAUSED },
        { "Resume", NULL, VIR_DOMAIN_RUNNING },
        { "Destroy", g_variant_new("(u)", 0), VIR_DOMAIN_SHUTOFF },
        { "Create", g_variant_new("(u)", 0), VIR_DOMAIN_RUNNING },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(steps); i++) {
        g_autoptr(GVariant) value = NULL;
        gint state, reason;

        DOM_OK(f, path, steps[i].method, steps[i].args);
        /* The change is announced... */
        g_assert_true(vb_wait_property_changed(f, path, VB_IFACE_DOMAIN, "State", &value,
                                               VB_SIGNAL_TIMEOUT_MS));
        if (value)
            g_assert_cmpint(g_variant_get_int32(value), ==, steps[i].state);
        /* ...and the properties agree with GetState. */
        vb_get_state(f, path, &state, &reason);
        g_assert_cmpint(state, ==, steps[i].state);
        g_autoptr(GVariant) st = vb_get_property(f, path, VB_IFACE_DOMAIN, "State");
        g_assert_cmpstr(g_variant_get_type_string(st), ==, "i");
        g_assert_cmpint(g_variant_get_int32(st), ==, state);
        g_autoptr(GVariant) rs = vb_get_property(f, path, VB_IFACE_DOMAIN, "StateReason");
        g_assert_cmpstr(g_variant_get_type_string(rs), ==, "i");
        g_assert_cmpint(g_variant_get_int32(rs), ==, reason);
        g_autoptr(GVariant) active = vb_get_property(f, path, VB_IFACE_DOMAIN, "Active");
        g_assert_cmpint(g_variant_get_boolean(active), ==, state != VIR_DOMAIN_SHUTOFF);
    }

    /* GetAll includes the extensions, doubly wrapped like the rest. */
    g_autoptr(GVariant) reply = vb_call_ok(f, path, VB_IFACE_PROPERTIES, "GetAll",
                                           g_variant_new("(s)", VB_IFACE_DOMAIN), "(a{sv})");
    g_autoptr(GVariant) dict = child(reply);
    g_autoptr(GVariant) outer = g_variant_lookup_value(dict, "State", G_VARIANT_TYPE_VARIANT);
    g_assert_nonnull(outer);
    g_autoptr(GVariant) inner = g_variant_get_variant(outer);
    g_assert_cmpint(g_variant_get_int32(inner), ==, VIR_DOMAIN_RUNNING);
}

static void
test_autostart(VbFixture *f, gconstpointer data)
{
    g_autoptr(GError) error = vb_set_property(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "Autostart",
                                              g_variant_new_boolean(TRUE));
    g_assert_no_error(error);
    g_assert_true(vb_get_bool(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "Autostart"));

    g_autoptr(GError) error2 = vb_set_property(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "Autostart",
                                               g_variant_new_boolean(FALSE));
    g_assert_no_error(error2);
    g_assert_false(vb_get_bool(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "Autostart"));

    /* A domain that does not exist any more cannot be changed. */
    g_autoptr(GError) error3 = vb_set_property(f, VB_MISSING_DOMAIN_PATH, VB_IFACE_DOMAIN,
                                               "Autostart", g_variant_new_boolean(TRUE));
    vb_assert_unknown_object(error3);
}

static void
test_autostart_changed(VbFixture *f, gconstpointer data)
{
    g_autoptr(GVariant) value = NULL;
    g_autoptr(GError) error = vb_set_property(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "Autostart",
                                              g_variant_new_boolean(TRUE));
    g_assert_no_error(error);
    g_assert_true(vb_wait_property_changed(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "Autostart",
                                           &value, VB_SIGNAL_TIMEOUT_MS));
    if (value)
        g_assert_true(g_variant_get_boolean(value));
}

static void
expect_changed(VbFixture *f, const char *path, const char *property, GVariant *expected)
{
    g_autoptr(GVariant) value = NULL;
    g_autoptr(GVariant) want = g_variant_ref_sink(expected);
    if (!vb_wait_property_changed(f, path, VB_IFACE_DOMAIN, property, &value, VB_SIGNAL_TIMEOUT_MS)) {
        g_autofree gchar *seen = vb_signals_describe(f);
        g_error("no PropertiesChanged for %s on %s; signals seen:%s", property, path, seen);
    }
    if (value && !g_variant_equal(value, want)) {
        g_autofree gchar *a = g_variant_print(value, TRUE);
        g_autofree gchar *b = g_variant_print(want, TRUE);
        g_error("PropertiesChanged announced %s = %s, expected %s", property, a, b);
    }
}

static void
test_properties_changed(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *path = vb_define_domain(f, "vb-changes");

    DOM_OK(f, path, "Create", g_variant_new("(u)", 0));
    expect_changed(f, path, "Active", g_variant_new_boolean(TRUE));
    g_autoptr(GVariant) id = vb_get_property(f, path, VB_IFACE_DOMAIN, "Id");
    expect_changed(f, path, "Id", g_variant_new_uint32(g_variant_get_uint32(id)));
    expect_changed(f, path, "State", g_variant_new_int32(VIR_DOMAIN_RUNNING));
    expect_changed(f, path, "StateReason", g_variant_new_int32(VIR_DOMAIN_RUNNING_BOOTED));

    DOM_OK(f, path, "Destroy", g_variant_new("(u)", 0));
    expect_changed(f, path, "Active", g_variant_new_boolean(FALSE));
    expect_changed(f, path, "State", g_variant_new_int32(VIR_DOMAIN_SHUTOFF));

    /* A running persistent domain that loses its definition. */
    DOM_OK(f, TEST_DOMAIN_PATH, "Undefine", g_variant_new("(u)", 0));
    expect_changed(f, TEST_DOMAIN_PATH, "Persistent", g_variant_new_boolean(FALSE));

    /* A renamed domain keeps its object (the path follows the UUID). */
    DOM_OK(f, path, "Rename", g_variant_new("(su)", "vb-changes-renamed", 0));
    expect_changed(f, path, "Name", g_variant_new_string("vb-changes-renamed"));
}

/* ---- lifecycle methods ---------------------------------------------------------- */

static void
test_create(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *path = vb_define_domain(f, "vb-create");
    DOM_OK(f, path, "Create", g_variant_new("(u)", 0));
    vb_assert_domain_event(f, path, VIR_DOMAIN_EVENT_STARTED, VIR_DOMAIN_EVENT_STARTED_BOOTED);
    vb_assert_state_reason(f, path, VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_BOOTED);
    g_assert_true(vb_get_bool(f, path, VB_IFACE_DOMAIN, "Active"));
    g_autoptr(GVariant) id = vb_get_property(f, path, VB_IFACE_DOMAIN, "Id");
    g_assert_cmpuint(g_variant_get_uint32(id), >, 0);

    /* Starting a running domain: the test driver reports an internal error. */
    g_autoptr(GError) e = dom_err(f, path, "Create", g_variant_new("(u)", 0));
    vb_assert_error(e, VB_ERR_INTERNAL);
    vb_assert_state(f, path, VIR_DOMAIN_RUNNING);
}

static void
test_create_with_files(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *path = vb_define_domain(f, "vb-create-files");
    GVariantBuilder files;
    g_variant_builder_init(&files, G_VARIANT_TYPE("ah"));
    DOM_OK(f, path, "CreateWithFiles", g_variant_new("(ahu)", &files, 0));
    vb_assert_domain_event(f, path, VIR_DOMAIN_EVENT_STARTED, VIR_DOMAIN_EVENT_STARTED_BOOTED);
    vb_assert_state(f, path, VIR_DOMAIN_RUNNING);
}

static void
test_destroy(VbFixture *f, gconstpointer data)
{
    DOM_OK(f, TEST_DOMAIN_PATH, "Destroy", g_variant_new("(u)", 0));
    vb_assert_domain_event(f, TEST_DOMAIN_PATH, VIR_DOMAIN_EVENT_STOPPED,
                           VIR_DOMAIN_EVENT_STOPPED_DESTROYED);
    vb_assert_state_reason(f, TEST_DOMAIN_PATH, VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_DESTROYED);
    g_assert_false(vb_get_bool(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "Active"));

    g_autoptr(GError) e = dom_err(f, TEST_DOMAIN_PATH, "Destroy", g_variant_new("(u)", 0));
    vb_assert_error(e, VB_ERR_OPERATION_INVALID);
}

static void
test_shutdown(VbFixture *f, gconstpointer data)
{
    /* The test driver's guests always honour a graceful shutdown request. */
    DOM_OK(f, TEST_DOMAIN_PATH, "Shutdown", g_variant_new("(u)", 0));
    vb_assert_domain_event(f, TEST_DOMAIN_PATH, VIR_DOMAIN_EVENT_STOPPED,
                           VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN);
    vb_assert_state_reason(f, TEST_DOMAIN_PATH, VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_SHUTDOWN);

    g_autoptr(GError) e = dom_err(f, TEST_DOMAIN_PATH, "Shutdown", g_variant_new("(u)", 0));
    vb_assert_error(e, VB_ERR_INTERNAL);
}

static void
test_reboot_reset(VbFixture *f, gconstpointer data)
{
    DOM_OK(f, TEST_DOMAIN_PATH, "Reboot", g_variant_new("(u)", 0));
    vb_assert_state(f, TEST_DOMAIN_PATH, VIR_DOMAIN_RUNNING);
    DOM_OK(f, TEST_DOMAIN_PATH, "Reset", g_variant_new("(u)", 0));
    vb_assert_state(f, TEST_DOMAIN_PATH, VIR_DOMAIN_RUNNING);

    DOM_OK(f, TEST_DOMAIN_PATH, "Destroy", g_variant_new("(u)", 0));
    g_autoptr(GError) e1 = dom_err(f, TEST_DOMAIN_PATH, "Reboot", g_variant_new("(u)", 0));
    vb_assert_error(e1, VB_ERR_OPERATION_INVALID);
    g_autoptr(GError) e2 = dom_err(f, TEST_DOMAIN_PATH, "Reset", g_variant_new("(u)", 0));
    vb_assert_error(e2, VB_ERR_OPERATION_INVALID);
    vb_assert_state(f, TEST_DOMAIN_PATH, VIR_DOMAIN_SHUTOFF);
}

static void
test_suspend_resume(VbFixture *f, gconstpointer data)
{
    DOM_OK(f, TEST_DOMAIN_PATH, "Suspend", NULL);
    vb_assert_domain_event(f, TEST_DOMAIN_PATH, VIR_DOMAIN_EVENT_SUSPENDED,
                           VIR_DOMAIN_EVENT_SUSPENDED_PAUSED);
    vb_assert_state_reason(f, TEST_DOMAIN_PATH, VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_USER);

    DOM_OK(f, TEST_DOMAIN_PATH, "Resume", NULL);
    vb_assert_domain_event(f, TEST_DOMAIN_PATH, VIR_DOMAIN_EVENT_RESUMED,
                           VIR_DOMAIN_EVENT_RESUMED_UNPAUSED);
    vb_assert_state_reason(f, TEST_DOMAIN_PATH, VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_UNPAUSED);

    /* Resuming a running domain fails (the test driver says "not paused"). */
    g_autoptr(GError) e = dom_err(f, TEST_DOMAIN_PATH, "Resume", NULL);
    vb_assert_error(e, VB_ERR_INTERNAL);
    vb_assert_state(f, TEST_DOMAIN_PATH, VIR_DOMAIN_RUNNING);
}

static void
test_save(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *file = g_build_filename(f->tmpdir, "dom.save", NULL);
    DOM_OK(f, TEST_DOMAIN_PATH, "Save", g_variant_new("(ssu)", file, "", 0));
    vb_assert_domain_event(f, TEST_DOMAIN_PATH, VIR_DOMAIN_EVENT_STOPPED,
                           VIR_DOMAIN_EVENT_STOPPED_SAVED);
    vb_assert_state_reason(f, TEST_DOMAIN_PATH, VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_SAVED);
    g_assert_true(g_file_test(file, G_FILE_TEST_IS_REGULAR));

    /* Saving a domain that does not run. */
    g_autofree gchar *file2 = g_build_filename(f->tmpdir, "dom2.save", NULL);
    g_autoptr(GError) e = dom_err(f, TEST_DOMAIN_PATH, "Save", g_variant_new("(ssu)", file2, "", 0));
    vb_assert_error(e, VB_ERR_OPERATION_INVALID);
    g_assert_false(g_file_test(file2, G_FILE_TEST_EXISTS));
}

static void
test_managed_save(VbFixture *f, gconstpointer data)
{
    g_autoptr(GVariant) r0 = dom_call(f, TEST_DOMAIN_PATH, "HasManagedSaveImage",
                                      g_variant_new("(u)", 0), "(b)");
    gboolean has;
    g_variant_get(r0, "(b)", &has);
    g_assert_false(has);

    DOM_OK(f, TEST_DOMAIN_PATH, "ManagedSave", g_variant_new("(u)", 0));
    vb_assert_domain_event(f, TEST_DOMAIN_PATH, VIR_DOMAIN_EVENT_STOPPED,
                           VIR_DOMAIN_EVENT_STOPPED_SAVED);
    vb_assert_state_reason(f, TEST_DOMAIN_PATH, VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_SAVED);
    g_autoptr(GVariant) r1 = dom_call(f, TEST_DOMAIN_PATH, "HasManagedSaveImage",
                                      g_variant_new("(u)", 0), "(b)");
    g_variant_get(r1, "(b)", &has);
    g_assert_true(has);

    DOM_OK(f, TEST_DOMAIN_PATH, "ManagedSaveRemove", g_variant_new("(u)", 0));
    g_autoptr(GVariant) r2 = dom_call(f, TEST_DOMAIN_PATH, "HasManagedSaveImage",
                                      g_variant_new("(u)", 0), "(b)");
    g_variant_get(r2, "(b)", &has);
    g_assert_false(has);

    g_autoptr(GError) e = dom_err(f, TEST_DOMAIN_PATH, "ManagedSave", g_variant_new("(u)", 0));
    vb_assert_error(e, VB_ERR_OPERATION_INVALID);
}

static void
test_undefine(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *path = vb_define_domain(f, "vb-undefine");
    DOM_OK(f, path, "Undefine", g_variant_new("(u)", 0));
    vb_assert_domain_event(f, path, VIR_DOMAIN_EVENT_UNDEFINED, VIR_DOMAIN_EVENT_UNDEFINED_REMOVED);

    g_autoptr(GError) e1 = vb_call_err(f, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainLookupByName",
                                       g_variant_new("(s)", "vb-undefine"));
    vb_assert_error(e1, VB_ERR_NO_DOMAIN);
    g_autoptr(GError) e2 = dom_err(f, path, "GetState", g_variant_new("(u)", 0));
    vb_assert_unknown_object(e2);
    g_auto(GStrv) all = vb_list_domains(f, 0);
    g_assert_false(g_strv_contains((const gchar *const *)all, path));
}

static void
test_undefine_running(VbFixture *f, gconstpointer data)
{
    /* A running domain loses its definition but keeps running, transient. */
    DOM_OK(f, TEST_DOMAIN_PATH, "Undefine", g_variant_new("(u)", 0));
    vb_assert_domain_event(f, TEST_DOMAIN_PATH, VIR_DOMAIN_EVENT_UNDEFINED,
                           VIR_DOMAIN_EVENT_UNDEFINED_REMOVED);
    vb_assert_state(f, TEST_DOMAIN_PATH, VIR_DOMAIN_RUNNING);
    g_assert_false(vb_get_bool(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "Persistent"));

    DOM_OK(f, TEST_DOMAIN_PATH, "Destroy", g_variant_new("(u)", 0));
    vb_assert_domain_event(f, TEST_DOMAIN_PATH, VIR_DOMAIN_EVENT_STOPPED,
                           VIR_DOMAIN_EVENT_STOPPED_DESTROYED);
    g_auto(GStrv) all = vb_list_domains(f, 0);
    g_assert_cmpuint(g_strv_length(all), ==, 0);
}

static void
test_rename(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *path = vb_define_domain(f, "vb-old-name");
    DOM_OK(f, path, "Rename", g_variant_new("(su)", "vb-new-name", 0));
    vb_assert_domain_event(f, path, VIR_DOMAIN_EVENT_UNDEFINED, VIR_DOMAIN_EVENT_UNDEFINED_RENAMED);
    vb_assert_domain_event(f, path, VIR_DOMAIN_EVENT_DEFINED, VIR_DOMAIN_EVENT_DEFINED_RENAMED);

    g_autofree gchar *name = vb_get_string(f, path, VB_IFACE_DOMAIN, "Name");
    g_assert_cmpstr(name, ==, "vb-new-name");
    g_autofree gchar *found = vb_domain_path(f, "vb-new-name");
    g_assert_cmpstr(found, ==, path);
    g_autoptr(GError) e1 = vb_call_err(f, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainLookupByName",
                                       g_variant_new("(s)", "vb-old-name"));
    vb_assert_error(e1, VB_ERR_NO_DOMAIN);
    g_autofree gchar *xml = vb_get_xml(f, path);
    g_assert_nonnull(strstr(xml, "<name>vb-new-name</name>"));

    /* An active domain cannot be renamed. */
    g_autoptr(GError) e2 = dom_err(f, TEST_DOMAIN_PATH, "Rename", g_variant_new("(su)", "other", 0));
    vb_assert_error(e2, VB_ERR_OPERATION_INVALID);
    g_autofree gchar *name2 = vb_get_string(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "Name");
    g_assert_cmpstr(name2, ==, VB_TEST_DOMAIN_NAME);
}

/* ---- reading state -------------------------------------------------------------- */

static void
test_read_your_writes(VbFixture *f, gconstpointer data)
{
    /* Once a state change has been answered, reads reflect it, without
     * waiting for any signal (as with libvirt-dbus, which asks libvirt). */
    for (int i = 0; i < 20; i++) {
        DOM_OK(f, TEST_DOMAIN_PATH, "Suspend", NULL);
        vb_assert_state(f, TEST_DOMAIN_PATH, VIR_DOMAIN_PAUSED);
        DOM_OK(f, TEST_DOMAIN_PATH, "Resume", NULL);
        vb_assert_state(f, TEST_DOMAIN_PATH, VIR_DOMAIN_RUNNING);
        DOM_OK(f, TEST_DOMAIN_PATH, "Destroy", g_variant_new("(u)", 0));
        g_assert_false(vb_get_bool(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "Active"));
        vb_assert_state(f, TEST_DOMAIN_PATH, VIR_DOMAIN_SHUTOFF);
        DOM_OK(f, TEST_DOMAIN_PATH, "Create", g_variant_new("(u)", 0));
        g_assert_true(vb_get_bool(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "Active"));
        vb_assert_state(f, TEST_DOMAIN_PATH, VIR_DOMAIN_RUNNING);
    }

}

static void
test_read_your_writes_list(VbFixture *f, gconstpointer data)
{
    /* Domains that come and go appear in, and vanish from, the list at once. */
    for (int i = 0; i < 10; i++) {
        g_autofree gchar *path = vb_define_domain(f, "vb-coming-going");
        g_auto(GStrv) with = vb_list_domains(f, 0);
        g_assert_true(g_strv_contains((const gchar *const *)with, path));
        DOM_OK(f, path, "Undefine", g_variant_new("(u)", 0));
        g_auto(GStrv) without = vb_list_domains(f, 0);
        g_assert_false(g_strv_contains((const gchar *const *)without, path));

        g_autofree gchar *xml = vb_domain_xml("vb-transient-going");
        g_autoptr(GVariant) r = vb_call_ok(f, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainCreateXML",
                                           g_variant_new("(su)", xml, 0), "(o)");
        const char *tpath;
        g_variant_get(r, "(&o)", &tpath);
        g_auto(GStrv) with2 = vb_list_domains(f, 0);
        g_assert_true(g_strv_contains((const gchar *const *)with2, tpath));
        DOM_OK(f, tpath, "Destroy", g_variant_new("(u)", 0));
        g_auto(GStrv) without2 = vb_list_domains(f, 0);
        g_assert_false(g_strv_contains((const gchar *const *)without2, tpath));
        g_autoptr(GError) e = dom_err(f, tpath, "GetState", g_variant_new("(u)", 0));
        vb_assert_unknown_object(e);
    }

}

static void
test_read_your_writes_rename(VbFixture *f, gconstpointer data)
{
    /* A rename keeps the object, under its new name, at once. */
    g_autofree gchar *renamed = vb_define_domain(f, "vb-rename-0");
    for (int i = 1; i <= 30; i++) {
        g_autofree gchar *name = g_strdup_printf("vb-rename-%d", i);
        DOM_OK(f, renamed, "Rename", g_variant_new("(su)", name, 0));
        g_autofree gchar *now = vb_get_string(f, renamed, VB_IFACE_DOMAIN, "Name");
        g_assert_cmpstr(now, ==, name);
        vb_assert_state(f, renamed, VIR_DOMAIN_SHUTOFF);
    }

}

static void
test_read_your_writes_persistent(VbFixture *f, gconstpointer data)
{
    /* A running domain that loses its definition is transient at once. */
    DOM_OK(f, TEST_DOMAIN_PATH, "Undefine", g_variant_new("(u)", 0));
    g_assert_false(vb_get_bool(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "Persistent"));
    /* ...and persistent again once defined. */
    g_autofree gchar *xml = vb_get_xml(f, TEST_DOMAIN_PATH);
    g_autoptr(GVariant) r = vb_call_ok(f, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainDefineXML",
                                       g_variant_new("(s)", xml), "(o)");
    g_assert_true(vb_get_bool(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "Persistent"));
}

static void
test_get_state(VbFixture *f, gconstpointer data)
{
    g_autoptr(GVariant) r = dom_call(f, TEST_DOMAIN_PATH, "GetState", g_variant_new("(u)", 0),
                                     "((ii))");
    gint state, reason;
    g_variant_get(r, "((ii))", &state, &reason);
    g_assert_cmpint(state, ==, VIR_DOMAIN_RUNNING);

    g_autofree gchar *path = vb_define_domain(f, "vb-state");
    vb_assert_state(f, path, VIR_DOMAIN_SHUTOFF);
}

static void
test_get_xml_desc(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *xml = vb_get_xml(f, TEST_DOMAIN_PATH);
    g_assert_true(g_str_has_prefix(xml, "<domain type='test'"));
    g_assert_nonnull(strstr(xml, "<name>test</name>"));
    g_assert_nonnull(strstr(xml, "<uuid>" VB_TEST_DOMAIN_UUID "</uuid>"));

    g_autoptr(GVariant) r = dom_call(f, TEST_DOMAIN_PATH, "GetXMLDesc",
                                     g_variant_new("(u)", VIR_DOMAIN_XML_INACTIVE), "(s)");
    const char *inactive;
    g_variant_get(r, "(&s)", &inactive);
    g_assert_nonnull(strstr(inactive, "<name>test</name>"));
}

static void
test_get_stats(VbFixture *f, gconstpointer data)
{
    g_autoptr(GVariant) r = dom_call(f, TEST_DOMAIN_PATH, "GetStats", g_variant_new("(uu)", 0, 0),
                                     "(a{sv})");
    g_autoptr(GVariant) dict = child(r);
    g_autoptr(GVariant) outer = g_variant_lookup_value(dict, "state.state", NULL);
    g_assert_nonnull(outer);
    /* Doubly wrapped, as libvirt-dbus answers it. */
    g_assert_cmpstr(g_variant_get_type_string(outer), ==, "v");
    g_autoptr(GVariant) inner = g_variant_get_variant(outer);
    g_assert_cmpint(g_variant_get_int32(inner), ==, VIR_DOMAIN_RUNNING);
}

static void
test_jobs(VbFixture *f, gconstpointer data)
{
    /* libvirt's test driver has no job support. */
    g_autoptr(GError) e1 = dom_err(f, TEST_DOMAIN_PATH, "GetJobInfo", NULL);
    vb_assert_error(e1, VB_ERR_NO_SUPPORT);
    g_autoptr(GError) e2 = dom_err(f, TEST_DOMAIN_PATH, "GetJobStats", g_variant_new("(u)", 0));
    vb_assert_error(e2, VB_ERR_NO_SUPPORT);
    g_autoptr(GError) e3 = dom_err(f, TEST_DOMAIN_PATH, "AbortJob", NULL);
    vb_assert_error(e3, VB_ERR_NO_SUPPORT);
    vb_assert_state(f, TEST_DOMAIN_PATH, VIR_DOMAIN_RUNNING);
}

static void
test_memory_stats(VbFixture *f, gconstpointer data)
{
    g_autoptr(GVariant) r = dom_call(f, TEST_DOMAIN_PATH, "MemoryStats", g_variant_new("(u)", 0),
                                     "(a{it})");
    g_autoptr(GVariant) dict = child(r);
    gboolean found = FALSE;
    GVariantIter iter;
    gint32 tag;
    guint64 val;
    g_variant_iter_init(&iter, dict);
    while (g_variant_iter_next(&iter, "{it}", &tag, &val)) {
        g_assert_cmpint(tag, >=, 0);
        g_assert_cmpint(tag, <, VIR_DOMAIN_MEMORY_STAT_NR);
        if (tag == VIR_DOMAIN_MEMORY_STAT_ACTUAL_BALLOON) {
            found = TRUE;
            g_assert_cmpuint(val, >, 0);
        }
    }
    g_assert_true(found);
}

static void
test_control_info(VbFixture *f, gconstpointer data)
{
    g_autoptr(GVariant) r = dom_call(f, TEST_DOMAIN_PATH, "GetControlInfo", g_variant_new("(u)", 0),
                                     "((uut))");
    guint32 state, details;
    guint64 since;
    g_variant_get(r, "((uut))", &state, &details, &since);
    g_assert_cmpuint(state, ==, VIR_DOMAIN_CONTROL_OK);
}

static void
test_metadata(VbFixture *f, gconstpointer data)
{
    g_autoptr(GError) e0 = dom_err(f, TEST_DOMAIN_PATH, "GetMetadata",
                                   g_variant_new("(isu)", VIR_DOMAIN_METADATA_DESCRIPTION, "", 0));
    vb_assert_error(e0, VB_ERR_NO_METADATA);

    DOM_OK(f, TEST_DOMAIN_PATH, "SetMetadata",
           g_variant_new("(isssu)", VIR_DOMAIN_METADATA_DESCRIPTION, "a test guest", "", "", 0));
    g_autoptr(GVariant) r1 = dom_call(f, TEST_DOMAIN_PATH, "GetMetadata",
                                      g_variant_new("(isu)", VIR_DOMAIN_METADATA_DESCRIPTION, "", 0),
                                      "(s)");
    const char *description;
    g_variant_get(r1, "(&s)", &description);
    g_assert_cmpstr(description, ==, "a test guest");

    DOM_OK(f, TEST_DOMAIN_PATH, "SetMetadata",
           g_variant_new("(isssu)", VIR_DOMAIN_METADATA_ELEMENT, "<mark value='1'/>", "vb",
                         "http://virtbus.example/test", 0));
    g_autoptr(GVariant) r2 = dom_call(f, TEST_DOMAIN_PATH, "GetMetadata",
                                      g_variant_new("(isu)", VIR_DOMAIN_METADATA_ELEMENT,
                                                    "http://virtbus.example/test", 0),
                                      "(s)");
    const char *element;
    g_variant_get(r2, "(&s)", &element);
    g_assert_nonnull(strstr(element, "mark"));
    g_assert_nonnull(strstr(element, "value=\"1\""));

    g_autofree gchar *xml = vb_get_xml(f, TEST_DOMAIN_PATH);
    g_assert_nonnull(strstr(xml, "<description>a test guest</description>"));
    g_assert_nonnull(strstr(xml, "http://virtbus.example/test"));
}

static void
test_hostname_time(VbFixture *f, gconstpointer data)
{
    g_autoptr(GVariant) r1 = dom_call(f, TEST_DOMAIN_PATH, "GetHostname", g_variant_new("(u)", 0),
                                      "(s)");
    const char *hostname;
    g_variant_get(r1, "(&s)", &hostname);
    g_assert_cmpstr(hostname, !=, "");

    g_autoptr(GVariant) r2 = dom_call(f, TEST_DOMAIN_PATH, "GetTime", g_variant_new("(u)", 0),
                                      "((tu))");
    guint64 seconds;
    guint32 nseconds;
    g_variant_get(r2, "((tu))", &seconds, &nseconds);
    g_assert_cmpuint(seconds, >, 0);
    g_assert_cmpuint(nseconds, <, 1000000000);

    DOM_OK(f, TEST_DOMAIN_PATH, "Destroy", g_variant_new("(u)", 0));
    g_autoptr(GError) e = dom_err(f, TEST_DOMAIN_PATH, "GetTime", g_variant_new("(u)", 0));
    vb_assert_error(e, VB_ERR_OPERATION_INVALID);
}

static guint32
get_vcpus(VbFixture *f, const char *path, guint flags)
{
    g_autoptr(GVariant) r = dom_call(f, path, "GetVcpus", g_variant_new("(u)", flags), "(u)");
    guint32 n;
    g_variant_get(r, "(u)", &n);
    return n;
}

static void
test_vcpus(VbFixture *f, gconstpointer data)
{
    g_assert_cmpuint(get_vcpus(f, TEST_DOMAIN_PATH, 0), ==, 2);
    DOM_OK(f, TEST_DOMAIN_PATH, "SetVcpus", g_variant_new("(uu)", 1, 0));
    g_assert_cmpuint(get_vcpus(f, TEST_DOMAIN_PATH, 0), ==, 1);

    /* More than the maximum is refused and changes nothing. */
    guint32 max = get_vcpus(f, TEST_DOMAIN_PATH, VIR_DOMAIN_VCPU_MAXIMUM);
    g_autoptr(GError) e = dom_err(f, TEST_DOMAIN_PATH, "SetVcpus", g_variant_new("(uu)", max + 1, 0));
    vb_assert_error(e, VB_ERR_INVALID_ARG);
    g_assert_cmpuint(get_vcpus(f, TEST_DOMAIN_PATH, 0), ==, 1);
}

static gboolean
pin_bit(GVariant *info, gsize vcpu, gsize cpu)
{
    g_autoptr(GVariant) row = g_variant_get_child_value(info, vcpu);
    g_autoptr(GVariant) bit = g_variant_get_child_value(row, cpu);
    return g_variant_get_boolean(bit);
}

static void
test_pin_vcpu(VbFixture *f, gconstpointer data)
{
    g_autoptr(GVariant) r1 = dom_call(f, TEST_DOMAIN_PATH, "GetVcpuPinInfo", g_variant_new("(u)", 0),
                                      "(aab)");
    g_autoptr(GVariant) info1 = child(r1);
    g_assert_cmpuint(g_variant_n_children(info1), ==, 2);
    g_assert_true(pin_bit(info1, 0, 1));

    GVariantBuilder b;
    g_variant_builder_init(&b, G_VARIANT_TYPE("ab"));
    g_variant_builder_add(&b, "b", TRUE);
    g_variant_builder_add(&b, "b", FALSE);
    g_autoptr(GVariant) cpumap = g_variant_ref_sink(g_variant_builder_end(&b));
    GVariant *args[] = { g_variant_new_uint32(0), cpumap, g_variant_new_uint32(0) };
    DOM_OK(f, TEST_DOMAIN_PATH, "PinVcpu", g_variant_new_tuple(args, 3));

    g_autoptr(GVariant) r2 = dom_call(f, TEST_DOMAIN_PATH, "GetVcpuPinInfo", g_variant_new("(u)", 0),
                                      "(aab)");
    g_autoptr(GVariant) info2 = child(r2);
    g_assert_true(pin_bit(info2, 0, 0));
    g_assert_false(pin_bit(info2, 0, 1));

    GVariant *bad[] = { g_variant_new_uint32(99), cpumap, g_variant_new_uint32(0) };
    g_autoptr(GError) e = dom_err(f, TEST_DOMAIN_PATH, "PinVcpu", g_variant_new_tuple(bad, 3));
    vb_assert_error(e, VB_ERR_INVALID_ARG);
}

static void
test_set_memory(VbFixture *f, gconstpointer data)
{
    DOM_OK(f, TEST_DOMAIN_PATH, "SetMemory", g_variant_new("(tu)", (guint64)4096, 0));
    g_autofree gchar *xml = vb_get_xml(f, TEST_DOMAIN_PATH);
    g_assert_nonnull(strstr(xml, "<currentMemory unit='KiB'>4096</currentMemory>"));

    g_autoptr(GError) e = dom_err(f, TEST_DOMAIN_PATH, "SetMemory",
                                  g_variant_new("(tu)", (guint64)1 << 40, 0));
    vb_assert_error(e, VB_ERR_INVALID_ARG);
    g_autofree gchar *xml2 = vb_get_xml(f, TEST_DOMAIN_PATH);
    g_assert_nonnull(strstr(xml2, "<currentMemory unit='KiB'>4096</currentMemory>"));
}

#define DISK_XML \
    "<disk type='file' device='disk'><source file='/nonexistent/vb.img'/>" \
    "<target dev='vdb' bus='virtio'/></disk>"

static void
test_devices(VbFixture *f, gconstpointer data)
{
    /* libvirt's test driver does not implement device hotplug. */
    const char *methods[] = { "AttachDevice", "DetachDevice", "UpdateDevice" };
    for (gsize i = 0; i < G_N_ELEMENTS(methods); i++) {
        g_autoptr(GError) e = dom_err(f, TEST_DOMAIN_PATH, methods[i],
                                      g_variant_new("(su)", DISK_XML, 0));
        vb_assert_error(e, VB_ERR_NO_SUPPORT);
    }
    g_autofree gchar *xml = vb_get_xml(f, TEST_DOMAIN_PATH);
    g_assert_null(strstr(xml, "vb.img"));
}

static void
test_inject_nmi_send_key(VbFixture *f, gconstpointer data)
{
    DOM_OK(f, TEST_DOMAIN_PATH, "InjectNMI", g_variant_new("(u)", 0));
    const guint32 keys[] = { 29, 56, 111 }; /* ctrl-alt-delete, Linux key codes */
    g_autoptr(GVariant) keycodes = g_variant_ref_sink(
        g_variant_new_fixed_array(G_VARIANT_TYPE_UINT32, keys, G_N_ELEMENTS(keys), sizeof(guint32)));
    GVariant *args[] = { g_variant_new_uint32(VIR_KEYCODE_SET_LINUX), g_variant_new_uint32(10),
                         keycodes, g_variant_new_uint32(0) };
    DOM_OK(f, TEST_DOMAIN_PATH, "SendKey", g_variant_new_tuple(args, 4));
    vb_assert_state(f, TEST_DOMAIN_PATH, VIR_DOMAIN_RUNNING);

    DOM_OK(f, TEST_DOMAIN_PATH, "Destroy", g_variant_new("(u)", 0));
    g_autoptr(GError) e1 = dom_err(f, TEST_DOMAIN_PATH, "InjectNMI", g_variant_new("(u)", 0));
    vb_assert_error(e1, VB_ERR_OPERATION_INVALID);
    GVariant *args2[] = { g_variant_new_uint32(VIR_KEYCODE_SET_LINUX), g_variant_new_uint32(10),
                          keycodes, g_variant_new_uint32(0) };
    g_autoptr(GError) e2 = dom_err(f, TEST_DOMAIN_PATH, "SendKey", g_variant_new_tuple(args2, 4));
    vb_assert_error(e2, VB_ERR_OPERATION_INVALID);
}

static void
test_missing_domain(VbFixture *f, gconstpointer data)
{
    /* A path under the domain prefix that names no domain. */
    g_autoptr(GError) e1 = dom_err(f, VB_MISSING_DOMAIN_PATH, "GetState", g_variant_new("(u)", 0));
    vb_assert_unknown_object(e1);
    g_autoptr(GError) e2 = dom_err(f, VB_MISSING_DOMAIN_PATH, "Create", g_variant_new("(u)", 0));
    vb_assert_unknown_object(e2);
    g_autoptr(GError) e3 = vb_call_err(f, VB_MISSING_DOMAIN_PATH, VB_IFACE_PROPERTIES, "Get",
                                       g_variant_new("(ss)", VB_IFACE_DOMAIN, "Name"));
    vb_assert_unknown_object(e3);
}

/* Lookups answered around a change must not bring back the state from
 * before it: pipelined DomainLookupByName calls race with Suspend and
 * Resume, and afterwards the served state equals libvirt's. */
static void
on_lookup_done(GObject *source, GAsyncResult *res, gpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);

    g_assert_no_error(error);
    (*(guint *)data)--;
}

static void
test_lookups_during_changes(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *path = vb_define_and_start(f, "vb-race");
    guint pending = 0;

    for (int round = 0; round < 6; round++) {
        const char *change = round % 2 == 0 ? "Suspend" : "Resume";

        for (int i = 0; i < 40; i++) {
            pending++;
            g_dbus_connection_call(f->bus, VB_BUS_NAME, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainLookupByName",
                                   g_variant_new("(s)", "vb-race"), G_VARIANT_TYPE("(o)"),
                                   G_DBUS_CALL_FLAGS_NONE, VB_CALL_TIMEOUT_MS, NULL, on_lookup_done, &pending);
            if (i == 20) {
                pending++;
                g_dbus_connection_call(f->bus, VB_BUS_NAME, path, VB_IFACE_DOMAIN, change, NULL,
                                       G_VARIANT_TYPE("()"), G_DBUS_CALL_FLAGS_NONE, VB_CALL_TIMEOUT_MS,
                                       NULL, on_lookup_done, &pending);
            }
        }
        while (pending > 0)
            g_main_context_iteration(NULL, TRUE);

        gint expected = round % 2 == 0 ? VIR_DOMAIN_PAUSED : VIR_DOMAIN_RUNNING;
        vb_assert_state(f, path, expected);
        if (!vb_reference_mode()) {
            g_autoptr(GVariant) state = vb_get_property(f, path, VB_IFACE_DOMAIN, "State");
            g_assert_cmpint(g_variant_get_int32(state), ==, expected);
        }
        /* libvirt's own view, through a call the table does not answer. */
        g_autoptr(GVariant) stats = vb_call_ok(f, path, VB_IFACE_DOMAIN, "GetStats",
                                               g_variant_new("(uu)", 1 /* VIR_DOMAIN_STATS_STATE */, 0),
                                               "(a{sv})");
        g_autoptr(GVariant) dict = g_variant_get_child_value(stats, 0);
        g_autoptr(GVariant) st = g_variant_lookup_value(dict, "state.state", NULL);
        g_assert_nonnull(st);
        while (g_variant_is_of_type(st, G_VARIANT_TYPE_VARIANT)) {
            GVariant *inner = g_variant_get_variant(st);
            g_variant_unref(st);
            st = inner;
        }
        g_assert_cmpint(g_variant_get_int32(st), ==, expected);
    }
}

int
main(int argc, char **argv)
{
    vb_init(&argc, &argv);

    vb_add("/domain/properties/values", test_properties);
    vb_add("/domain/properties/getall", test_properties_getall);
    vb_add_virtbusd_only("/domain/properties/state", test_properties_state);
    vb_add("/domain/properties/autostart", test_autostart);
    vb_add_virtbusd_only("/domain/properties/autostart-changed", test_autostart_changed);
    vb_add_virtbusd_only("/domain/properties/changed", test_properties_changed);
    vb_add("/domain/create", test_create);
    vb_add("/domain/create-with-files", test_create_with_files);
    vb_add("/domain/destroy", test_destroy);
    vb_add("/domain/shutdown", test_shutdown);
    vb_add("/domain/reboot-reset", test_reboot_reset);
    vb_add("/domain/suspend-resume", test_suspend_resume);
    vb_add("/domain/save", test_save);
    vb_add("/domain/managed-save", test_managed_save);
    vb_add("/domain/undefine", test_undefine);
    vb_add("/domain/undefine-running", test_undefine_running);
    vb_add("/domain/rename", test_rename);
    vb_add("/domain/get-state", test_get_state);
    vb_add("/domain/read-your-writes/state", test_read_your_writes);
    vb_add("/domain/read-your-writes/list", test_read_your_writes_list);
    vb_add("/domain/read-your-writes/rename", test_read_your_writes_rename);
    vb_add("/domain/read-your-writes/persistent", test_read_your_writes_persistent);
    vb_add("/domain/get-xml-desc", test_get_xml_desc);
    vb_add("/domain/get-stats", test_get_stats);
    vb_add("/domain/jobs", test_jobs);
    vb_add("/domain/memory-stats", test_memory_stats);
    vb_add("/domain/control-info", test_control_info);
    vb_add("/domain/metadata", test_metadata);
    vb_add("/domain/hostname-time", test_hostname_time);
    vb_add("/domain/vcpus", test_vcpus);
    vb_add("/domain/pin-vcpu", test_pin_vcpu);
    vb_add("/domain/set-memory", test_set_memory);
    vb_add("/domain/devices", test_devices);
    vb_add("/domain/inject-nmi-send-key", test_inject_nmi_send_key);
    vb_add("/domain/missing", test_missing_domain);
    vb_add("/domain/lookups-during-changes", test_lookups_during_changes);

    return vb_run();
}
