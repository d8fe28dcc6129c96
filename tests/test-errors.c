/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Bad input: wrong argument types, unknown objects and members, malformed
 * XML, huge strings and bogus flags. Each gets a clear error, changes
 * nothing, and leaves the service running. */
#include "harness.h"

#include <string.h>

#define TEST_DOMAIN_PATH "/org/libvirt/Test/domain/_6695eb01_f6a4_8304_79aa_97f2502e193f"

static int
strcmp_indirect(const void *a, const void *b)
{
    return g_strcmp0(*(const char *const *)a, *(const char *const *)b);
}

/* What the service looks like from outside: every domain and its state. */
static gchar *
describe_world(VbFixture *f)
{
    g_auto(GStrv) paths = vb_list_domains(f, 0);
    GString *s = g_string_new(NULL);
    gsize n = g_strv_length(paths);

    qsort(paths, n, sizeof(gchar *), strcmp_indirect);
    for (gsize i = 0; i < n; i++) {
        gint state, reason;
        g_autofree gchar *name = vb_get_string(f, paths[i], VB_IFACE_DOMAIN, "Name");
        vb_get_state(f, paths[i], &state, &reason);
        g_string_append_printf(s, "%s %s %d/%d\n", paths[i], name, state, reason);
    }
    return g_string_free(s, FALSE);
}


/* The service still answers, with nothing changed and nothing announced. */
static void
assert_unchanged(VbFixture *f, const char *before)
{
    g_assert_true(vb_daemon_alive(f));
    g_autoptr(GVariant) ping = vb_call_ok(f, VB_TEST_PATH, "org.freedesktop.DBus.Peer", "Ping",
                                          NULL, "()");
    g_autofree gchar *after = describe_world(f);
    g_assert_cmpstr(after, ==, before);
    g_autofree gchar *seen = vb_signals_describe(f);
    for (guint i = 0; i < f->signals->len; i++) {
        VbSignal *sig = g_ptr_array_index(f->signals, i);
        if (g_str_equal(sig->member, "DomainEvent"))
            g_error("a failed call produced a DomainEvent:%s", seen);
    }
}

static void
test_wrong_arg_types(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *before = describe_world(f);
    struct {
        const char *path;
        const char *iface;
        const char *method;
        GVariant *args;
    } calls[] = {
        /* wrong type */
        { VB_TEST_PATH, VB_IFACE_CONNECT, "ListDomains", g_variant_new("(s)", "0") },
        { VB_TEST_PATH, VB_IFACE_CONNECT, "DomainDefineXML", g_variant_new("(u)", 1) },
        { VB_TEST_PATH, VB_IFACE_CONNECT, "DomainLookupByID", g_variant_new("(s)", "1") },
        { VB_TEST_PATH, VB_IFACE_CONNECT, "DomainCreateXML", g_variant_new("(us)", 0, "x") },
        { TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "GetState", g_variant_new("(s)", "0") },
        { TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "Destroy", g_variant_new("(i)", 0) },
        { TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "SetVcpus", g_variant_new("(tu)", (guint64)1, 0) },
        /* missing arguments */
        { VB_TEST_PATH, VB_IFACE_CONNECT, "ListDomains", NULL },
        { TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "Shutdown", NULL },
        { TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "Save", g_variant_new("(su)", "/nonexistent/x", 0) },
        /* extra arguments */
        { VB_TEST_PATH, VB_IFACE_CONNECT, "ListDomains", g_variant_new("(uu)", 0, 0) },
        { TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "Suspend", g_variant_new("(u)", 0) },
        { TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "Destroy", g_variant_new("(uu)", 0, 0) },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(calls); i++) {
        g_autoptr(GError) e = vb_call_err(f, calls[i].path, calls[i].iface, calls[i].method,
                                          calls[i].args);
        vb_assert_error(e, VB_DBUS_INVALID_ARGS);
    }
    assert_unchanged(f, before);
}

static void
test_properties_misuse(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *before = describe_world(f);

    /* A writable property given the wrong type. */
    g_autoptr(GError) e1 = vb_set_property(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "Autostart",
                                           g_variant_new_string("yes"));
    vb_assert_error(e1, VB_DBUS_INVALID_ARGS);
    g_assert_false(vb_get_bool(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "Autostart"));

    /* A read-only property. */
    g_autoptr(GError) e2 = vb_set_property(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "Name",
                                           g_variant_new_string("renamed"));
    vb_assert_error_one_of(e2, "org.freedesktop.DBus.Error.PropertyReadOnly", VB_DBUS_INVALID_ARGS);

    /* Properties that do not exist. */
    g_autoptr(GError) e3 = vb_call_err(f, TEST_DOMAIN_PATH, VB_IFACE_PROPERTIES, "Get",
                                       g_variant_new("(ss)", VB_IFACE_DOMAIN, "NoSuchProperty"));
    vb_assert_error_one_of(e3, "org.freedesktop.DBus.Error.UnknownProperty", VB_DBUS_INVALID_ARGS);
    g_autoptr(GError) e4 = vb_set_property(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "NoSuchProperty",
                                           g_variant_new_boolean(TRUE));
    vb_assert_error_one_of(e4, "org.freedesktop.DBus.Error.UnknownProperty", VB_DBUS_INVALID_ARGS);
    g_autoptr(GError) e5 = vb_call_err(f, TEST_DOMAIN_PATH, VB_IFACE_PROPERTIES, "Get",
                                       g_variant_new("(ss)", "org.libvirt.NoSuchInterface", "Name"));
    vb_assert_error_one_of(e5, "org.freedesktop.DBus.Error.UnknownInterface",
                           "org.freedesktop.DBus.Error.UnknownProperty", VB_DBUS_INVALID_ARGS);

    assert_unchanged(f, before);
}

static void
test_unknown_objects(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *before = describe_world(f);
    const char *paths[] = {
        VB_MISSING_DOMAIN_PATH,
        "/org/libvirt/Test/domain/not_a_uuid",
        "/org/libvirt/Test/domain/_6695eb01_f6a4_8304_79aa_97f2502e193f_extra",
    };
    for (gsize i = 0; i < G_N_ELEMENTS(paths); i++) {
        g_autoptr(GError) e = vb_call_err(f, paths[i], VB_IFACE_DOMAIN, "GetState",
                                          g_variant_new("(u)", 0));
        vb_assert_unknown_object(e);
    }

    /* A connection that is not served. */
    g_autoptr(GError) e1 = vb_call_err(f, "/org/libvirt/NoSuchConnection", VB_IFACE_CONNECT,
                                       "ListDomains", g_variant_new("(u)", 0));
    vb_assert_unknown_object(e1);
    g_autoptr(GError) e2 = vb_call_err(f, "/org/libvirt/NoSuchConnection/domain/"
                                          "_6695eb01_f6a4_8304_79aa_97f2502e193f",
                                       VB_IFACE_DOMAIN, "GetState", g_variant_new("(u)", 0));
    vb_assert_unknown_object(e2);

    assert_unchanged(f, before);
}

static void
test_unknown_members(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *before = describe_world(f);

    g_autoptr(GError) e1 = vb_call_err(f, VB_TEST_PATH, VB_IFACE_CONNECT, "NoSuchMethod", NULL);
    vb_assert_error(e1, VB_DBUS_UNKNOWN_METHOD);
    g_autoptr(GError) e2 = vb_call_err(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "NoSuchMethod",
                                       g_variant_new("(u)", 0));
    vb_assert_error(e2, VB_DBUS_UNKNOWN_METHOD);
    /* A Domain method on the Connect object and the reverse. */
    g_autoptr(GError) e3 = vb_call_err(f, VB_TEST_PATH, VB_IFACE_DOMAIN, "Destroy",
                                       g_variant_new("(u)", 0));
    vb_assert_error_one_of(e3, VB_DBUS_UNKNOWN_METHOD, "org.freedesktop.DBus.Error.UnknownInterface",
                           VB_DBUS_UNKNOWN_OBJECT);
    g_autoptr(GError) e4 = vb_call_err(f, TEST_DOMAIN_PATH, VB_IFACE_CONNECT, "ListDomains",
                                       g_variant_new("(u)", 0));
    vb_assert_error_one_of(e4, VB_DBUS_UNKNOWN_METHOD, "org.freedesktop.DBus.Error.UnknownInterface");

    assert_unchanged(f, before);
}

/* Malformed on line 3: the <memory> element is never closed. */
#define MALFORMED_XML \
    "<domain type='test'>\n" \
    "  <name>vb-malformed</name>\n" \
    "  <memory>8192<memory>\n" \
    "  <os><type>hvm</type></os>\n" \
    "</domain>\n"

static void
assert_malformed_error(const GError *e)
{
    g_autofree gchar *text = vb_error_text(e);

    if (vb_reference_mode()) {
        vb_assert_libvirt_error(e);
        return;
    }
    vb_assert_error_one_of(e, VB_ERR_XML, VB_ERROR_PREFIX "XmlDetail", VB_DBUS_INVALID_ARGS);
    /* The message says where: a line and a column. */
    g_autoptr(GRegex) re = g_regex_new("(line\\s*\\d+.*col(umn)?\\s*\\d+)|(\\b\\d+:\\d+\\b)",
                                       G_REGEX_CASELESS | G_REGEX_DOTALL, 0, NULL);
    if (!g_regex_match(re, text, 0, NULL))
        g_error("malformed XML error does not give line and column: %s", text);
}

static void
test_malformed_xml(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *before = describe_world(f);

    g_autoptr(GError) e1 = vb_call_err(f, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainDefineXML",
                                       g_variant_new("(s)", MALFORMED_XML));
    assert_malformed_error(e1);
    g_autoptr(GError) e2 = vb_call_err(f, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainCreateXML",
                                       g_variant_new("(su)", MALFORMED_XML, 0));
    assert_malformed_error(e2);
    GVariantBuilder files;
    g_variant_builder_init(&files, G_VARIANT_TYPE("ah"));
    g_autoptr(GError) e3 = vb_call_err(f, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainCreateXMLWithFiles",
                                       g_variant_new("(sahu)", MALFORMED_XML, &files, 0));
    assert_malformed_error(e3);
    g_autoptr(GError) e4 = vb_call_err(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "SnapshotCreateXML",
                                       g_variant_new("(su)", "<domainsnapshot>\n<name>x</name>\n<oops", 0));
    assert_malformed_error(e4);

    /* In virtbusd mode the position is the right one: line 3. */
    if (!vb_reference_mode()) {
        g_autofree gchar *text = vb_error_text(e1);
        g_autoptr(GRegex) re = g_regex_new("line\\s*3\\b|\\b3:\\d+", G_REGEX_CASELESS, 0, NULL);
        if (!g_regex_match(re, text, 0, NULL))
            g_error("malformed XML error does not point at line 3: %s", text);
    }

    /* Well-formed, but not a domain: libvirt's own XML error. */
    g_autoptr(GError) e5 = vb_call_err(f, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainDefineXML",
                                       g_variant_new("(s)", "<notadomain/>"));
    vb_assert_error(e5, VB_ERR_XML);
    g_autoptr(GError) e6 = vb_call_err(f, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainDefineXML",
                                       g_variant_new("(s)", "<domain type='test'><name>x</name></domain>"));
    vb_assert_error(e6, VB_ERR_XML);
    /* Not XML at all. */
    g_autoptr(GError) e7 = vb_call_err(f, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainDefineXML",
                                       g_variant_new("(s)", ""));
    vb_assert_error_one_of(e7, VB_ERR_XML, VB_ERROR_PREFIX "XmlDetail", VB_DBUS_INVALID_ARGS);

    g_autoptr(GVariant) snaps = vb_call_ok(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "ListDomainSnapshots",
                                           g_variant_new("(u)", 0), "(ao)");
    g_autoptr(GVariant) snap_list = g_variant_get_child_value(snaps, 0);
    g_assert_cmpuint(g_variant_n_children(snap_list), ==, 0);
    assert_unchanged(f, before);
}

static void
test_huge_string(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *before = describe_world(f);
    const gsize size = 10 * 1024 * 1024;
    g_autofree gchar *huge = g_malloc(size + 1);

    memset(huge, 'x', size);
    huge[size] = '\0';

    g_autoptr(GError) e1 = vb_call_err(f, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainDefineXML",
                                       g_variant_new("(s)", huge));
    vb_assert_error_one_of(e1, VB_ERR_XML, VB_ERROR_PREFIX "XmlDetail", VB_DBUS_INVALID_ARGS,
                           "org.freedesktop.DBus.Error.LimitsExceeded");
    g_autoptr(GError) e2 = vb_call_err(f, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainLookupByName",
                                       g_variant_new("(s)", huge));
    vb_assert_error_one_of(e2, VB_ERR_NO_DOMAIN, VB_ERR_INVALID_ARG, VB_DBUS_INVALID_ARGS,
                           "org.freedesktop.DBus.Error.LimitsExceeded");

    /* A well-formed document with a 10 MB text node. */
    memset(huge, 'a', size);
    g_autofree gchar *doc = g_strdup_printf(
        "<domain type='test'><name>vb-huge</name><description>%s</description>"
        "<memory>8192</memory><os><type>hvm</type></os></domain>",
        huge + 200);
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) r = vb_call(f, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainDefineXML",
                                    g_variant_new("(s)", doc), "(o)", &error);
    if (r) {
        /* Accepted: then it is a real domain that can be removed again. */
        const char *path;
        g_variant_get(r, "(&o)", &path);
        g_autoptr(GVariant) u = vb_call_ok(f, path, VB_IFACE_DOMAIN, "Undefine",
                                           g_variant_new("(u)", 0), "()");
        vb_assert_domain_event(f, path, VIR_DOMAIN_EVENT_UNDEFINED,
                               VIR_DOMAIN_EVENT_UNDEFINED_REMOVED);
        vb_signals_clear(f);
    } else {
        vb_assert_error_one_of(error, VB_ERR_XML, VB_ERR_INVALID_ARG, VB_DBUS_INVALID_ARGS,
                               "org.freedesktop.DBus.Error.LimitsExceeded");
    }
    assert_unchanged(f, before);
}

typedef struct {
    const char *path; /* NULL: the test domain */
    const char *iface;
    const char *method;
    const char *signature; /* of the arguments, "u" marking the flags */
} FlagCall;

static GVariant *
args_with_flags(VbFixture *f, const FlagCall *c)
{
    GVariantBuilder b;
    g_variant_builder_init(&b, G_VARIANT_TYPE_TUPLE);
    for (const char *p = c->signature; *p; p++) {
        switch (*p) {
        case 'u':
            g_variant_builder_add(&b, "u", 0xffffffffu);
            break;
        case 's': {
            /* Strings: a path inside the scratch directory, or a domain. */
            g_autofree gchar *xml = vb_domain_xml("vb-flags");
            if (g_str_equal(c->method, "SnapshotCreateXML"))
                g_variant_builder_add(&b, "s", "<domainsnapshot><name>f</name></domainsnapshot>");
            else
                g_variant_builder_add(&b, "s", xml);
            break;
        }
        default:
            g_assert_not_reached();
        }
    }
    return g_variant_builder_end(&b);
}

static void
test_bogus_flags(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *before = describe_world(f);
    g_autofree gchar *save = g_build_filename(f->tmpdir, "flags.save", NULL);
    const FlagCall calls[] = {
        { VB_TEST_PATH, VB_IFACE_CONNECT, "ListDomains", "u" },
        { VB_TEST_PATH, VB_IFACE_CONNECT, "DomainCreateXML", "su" },
        { VB_TEST_PATH, VB_IFACE_CONNECT, "GetAllDomainStats", "uu" },
        { NULL, VB_IFACE_DOMAIN, "GetState", "u" },
        { NULL, VB_IFACE_DOMAIN, "GetXMLDesc", "u" },
        { NULL, VB_IFACE_DOMAIN, "Create", "u" },
        { NULL, VB_IFACE_DOMAIN, "Destroy", "u" },
        { NULL, VB_IFACE_DOMAIN, "Shutdown", "u" },
        { NULL, VB_IFACE_DOMAIN, "Undefine", "u" },
        { NULL, VB_IFACE_DOMAIN, "ManagedSave", "u" },
        { NULL, VB_IFACE_DOMAIN, "HasManagedSaveImage", "u" },
        { NULL, VB_IFACE_DOMAIN, "GetVcpus", "u" },
        { NULL, VB_IFACE_DOMAIN, "ListDomainSnapshots", "u" },
        { NULL, VB_IFACE_DOMAIN, "SnapshotCreateXML", "su" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(calls); i++) {
        const char *path = calls[i].path ? calls[i].path : TEST_DOMAIN_PATH;
        g_autoptr(GError) e = vb_call_err(f, path, calls[i].iface, calls[i].method,
                                          args_with_flags(f, &calls[i]));
        if (!vb_reference_mode())
            g_printerr("# bogus flags, %s: %s\n", calls[i].method, e->message);
        vb_assert_error_one_of(e, VB_ERR_INVALID_ARG, VB_DBUS_INVALID_ARGS);
    }

    /* Save with bogus flags writes no image. */
    g_autoptr(GError) e = vb_call_err(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "Save",
                                      g_variant_new("(ssu)", save, "", 0xffffffffu));
    vb_assert_error_one_of(e, VB_ERR_INVALID_ARG, VB_DBUS_INVALID_ARGS);
    g_assert_false(g_file_test(save, G_FILE_TEST_EXISTS));

    assert_unchanged(f, before);
    g_autoptr(GError) e2 = vb_call_err(f, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainLookupByName",
                                       g_variant_new("(s)", "vb-flags"));
    vb_assert_error(e2, VB_ERR_NO_DOMAIN);
}

static void
test_libvirt_message_text(VbFixture *f, gconstpointer data)
{
    /* libvirt's own message text reaches the caller unchanged: clients match
     * on it. */
    g_autoptr(GError) e1 = vb_call_err(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "Resume", NULL);
    g_autofree gchar *t1 = vb_error_text(e1);
    g_assert_cmpstr(t1, ==, "internal error: domain 'test' not paused");

    g_autoptr(GVariant) r = vb_call_ok(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "Destroy",
                                       g_variant_new("(u)", 0), "()");
    g_autoptr(GError) e2 = vb_call_err(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "Destroy",
                                       g_variant_new("(u)", 0));
    g_autofree gchar *t2 = vb_error_text(e2);
    g_assert_cmpstr(t2, ==, "Requested operation is not valid: domain is not running");

    g_autoptr(GError) e3 = vb_call_err(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "SnapshotLookupByName",
                                       g_variant_new("(su)", "nothing", 0));
    g_autofree gchar *t3 = vb_error_text(e3);
    g_assert_cmpstr(t3, ==, "Domain snapshot not found: no domain snapshot with matching name 'nothing'");
}

static void
test_service_survives(VbFixture *f, gconstpointer data)
{
    /* A burst of bad calls of every kind, then a normal one. */
    for (int i = 0; i < 50; i++) {
        g_autoptr(GError) e1 = vb_call_err(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "GetState",
                                           g_variant_new("(s)", "x"));
        g_autoptr(GError) e2 = vb_call_err(f, VB_MISSING_DOMAIN_PATH, VB_IFACE_DOMAIN, "Destroy",
                                           g_variant_new("(u)", 0));
        g_autoptr(GError) e3 = vb_call_err(f, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainDefineXML",
                                           g_variant_new("(s)", MALFORMED_XML));
    }
    g_assert_true(vb_daemon_alive(f));
    vb_assert_state(f, TEST_DOMAIN_PATH, VIR_DOMAIN_RUNNING);
    g_autofree gchar *path = vb_define_domain(f, "vb-after-errors");
    vb_assert_domain_event(f, path, VIR_DOMAIN_EVENT_DEFINED, VIR_DOMAIN_EVENT_DEFINED_ADDED);
}

int
main(int argc, char **argv)
{
    vb_init(&argc, &argv);

    vb_add("/errors/wrong-arg-types", test_wrong_arg_types);
    vb_add("/errors/properties-misuse", test_properties_misuse);
    vb_add("/errors/unknown-objects", test_unknown_objects);
    vb_add("/errors/unknown-members", test_unknown_members);
    vb_add("/errors/malformed-xml", test_malformed_xml);
    vb_add("/errors/huge-string", test_huge_string);
    vb_add("/errors/bogus-flags", test_bogus_flags);
    vb_add("/errors/libvirt-message-text", test_libvirt_message_text);
    vb_add("/errors/service-survives", test_service_survives);

    return vb_run();
}
