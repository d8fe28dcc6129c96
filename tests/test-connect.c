/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.libvirt.Connect: properties, domain listing and lookup, domain creation,
 * save images, host information, and the DomainEvent signal. */
#include "harness.h"

#include <string.h>

#define TEST_DOMAIN_PATH "/org/libvirt/Test/domain/_6695eb01_f6a4_8304_79aa_97f2502e193f"

static gchar *
reply_path(GVariant *reply)
{
    gchar *path = NULL;
    g_variant_get(reply, "(o)", &path);
    return path;
}

static GVariant *
connect_call(VbFixture *f, const char *method, GVariant *args, const char *reply_type)
{
    return vb_call_ok(f, VB_TEST_PATH, VB_IFACE_CONNECT, method, args, reply_type);
}

static GError *
connect_err(VbFixture *f, const char *method, GVariant *args)
{
    return vb_call_err(f, VB_TEST_PATH, VB_IFACE_CONNECT, method, args);
}

static gboolean
strv_has(gchar **strv, const char *s)
{
    return strv && g_strv_contains((const gchar *const *)strv, s);
}

/* ---- properties ----------------------------------------------------------------- */

static const struct {
    const char *name;
    const char *type;
} connect_props[] = {
    { "Encrypted", "b" }, { "Hostname", "s" }, { "LibVersion", "t" },
    { "Secure", "b" },    { "Version", "t" },
};

static void
test_properties(VbFixture *f, gconstpointer data)
{
    for (gsize i = 0; i < G_N_ELEMENTS(connect_props); i++) {
        g_autoptr(GVariant) v = vb_get_property(f, VB_TEST_PATH, VB_IFACE_CONNECT,
                                                connect_props[i].name);
        g_assert_cmpstr(g_variant_get_type_string(v), ==, connect_props[i].type);
    }

    /* test:/// is a local connection: not encrypted. */
    g_assert_false(vb_get_bool(f, VB_TEST_PATH, VB_IFACE_CONNECT, "Encrypted"));

    g_autofree gchar *hostname = vb_get_string(f, VB_TEST_PATH, VB_IFACE_CONNECT, "Hostname");
    g_assert_cmpstr(hostname, !=, "");

    g_autoptr(GVariant) lib = vb_get_property(f, VB_TEST_PATH, VB_IFACE_CONNECT, "LibVersion");
    g_assert_cmpuint(g_variant_get_uint64(lib), >=, LIBVIR_VERSION_NUMBER);

    /* The test driver reports hypervisor version 2 (0.0.2). */
    g_autoptr(GVariant) ver = vb_get_property(f, VB_TEST_PATH, VB_IFACE_CONNECT, "Version");
    g_assert_cmpuint(g_variant_get_uint64(ver), ==, 2);
}

static void
test_properties_getall(VbFixture *f, gconstpointer data)
{
    g_autoptr(GVariant) reply = vb_call_ok(f, VB_TEST_PATH, VB_IFACE_PROPERTIES, "GetAll",
                                           g_variant_new("(s)", VB_IFACE_CONNECT), "(a{sv})");
    g_autoptr(GVariant) dict = g_variant_get_child_value(reply, 0);

    for (gsize i = 0; i < G_N_ELEMENTS(connect_props); i++) {
        /* The value of each a{sv} entry is itself a variant (the wire quirk
         * libvirt-dbus has and clients rely on): "v" holding a "v". */
        g_autoptr(GVariant) outer = g_variant_lookup_value(dict, connect_props[i].name, NULL);
        g_assert_nonnull(outer);
        g_assert_cmpstr(g_variant_get_type_string(outer), ==, "v");
        g_autoptr(GVariant) inner = g_variant_get_variant(outer);
        g_assert_cmpstr(g_variant_get_type_string(inner), ==, connect_props[i].type);

        /* Same value as Properties.Get. */
        g_autoptr(GVariant) single = vb_get_property(f, VB_TEST_PATH, VB_IFACE_CONNECT,
                                                     connect_props[i].name);
        g_assert_true(g_variant_equal(inner, single));
    }
}

static void
test_property_connected(VbFixture *f, gconstpointer data)
{
    g_assert_true(vb_get_bool(f, VB_TEST_PATH, VB_IFACE_CONNECT, "Connected"));

    g_autoptr(GVariant) reply = vb_call_ok(f, VB_TEST_PATH, VB_IFACE_PROPERTIES, "GetAll",
                                           g_variant_new("(s)", VB_IFACE_CONNECT), "(a{sv})");
    g_autoptr(GVariant) dict = g_variant_get_child_value(reply, 0);
    g_autoptr(GVariant) outer = g_variant_lookup_value(dict, "Connected", G_VARIANT_TYPE_VARIANT);
    g_assert_nonnull(outer);
    g_autoptr(GVariant) inner = g_variant_get_variant(outer);
    g_assert_true(g_variant_is_of_type(inner, G_VARIANT_TYPE_BOOLEAN));
    g_assert_true(g_variant_get_boolean(inner));
}

static void
test_property_read_only(VbFixture *f, gconstpointer data)
{
    g_autoptr(GError) error = vb_set_property(f, VB_TEST_PATH, VB_IFACE_CONNECT, "Hostname",
                                              g_variant_new_string("elsewhere"));
    g_assert_nonnull(error);
    vb_assert_error_one_of(error, "org.freedesktop.DBus.Error.PropertyReadOnly",
                           VB_DBUS_INVALID_ARGS, "org.freedesktop.DBus.Error.AccessDenied");
    g_autofree gchar *hostname = vb_get_string(f, VB_TEST_PATH, VB_IFACE_CONNECT, "Hostname");
    g_assert_cmpstr(hostname, !=, "elsewhere");
}

/* ---- listing and lookup --------------------------------------------------------- */

static void
test_list_domains(VbFixture *f, gconstpointer data)
{
    g_auto(GStrv) all = vb_list_domains(f, 0);
    g_assert_cmpuint(g_strv_length(all), ==, 1);
    g_assert_cmpstr(all[0], ==, TEST_DOMAIN_PATH);

    g_auto(GStrv) active = vb_list_domains(f, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
    g_assert_cmpuint(g_strv_length(active), ==, 1);
    g_auto(GStrv) inactive = vb_list_domains(f, VIR_CONNECT_LIST_DOMAINS_INACTIVE);
    g_assert_cmpuint(g_strv_length(inactive), ==, 0);

    g_autofree gchar *path = vb_define_domain(f, "vb-listed");
    g_auto(GStrv) all2 = vb_list_domains(f, 0);
    g_assert_cmpuint(g_strv_length(all2), ==, 2);
    g_assert_true(strv_has(all2, path));
    g_assert_true(strv_has(all2, TEST_DOMAIN_PATH));

    g_auto(GStrv) inactive2 = vb_list_domains(f, VIR_CONNECT_LIST_DOMAINS_INACTIVE);
    g_assert_cmpuint(g_strv_length(inactive2), ==, 1);
    g_assert_cmpstr(inactive2[0], ==, path);
    g_auto(GStrv) active2 = vb_list_domains(f, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
    g_assert_cmpuint(g_strv_length(active2), ==, 1);
    g_assert_cmpstr(active2[0], ==, TEST_DOMAIN_PATH);
    g_auto(GStrv) persistent = vb_list_domains(f, VIR_CONNECT_LIST_DOMAINS_PERSISTENT);
    g_assert_cmpuint(g_strv_length(persistent), ==, 2);
    g_auto(GStrv) transient = vb_list_domains(f, VIR_CONNECT_LIST_DOMAINS_TRANSIENT);
    g_assert_cmpuint(g_strv_length(transient), ==, 0);
}

static void
test_lookup(VbFixture *f, gconstpointer data)
{
    g_autoptr(GVariant) r1 = connect_call(f, "DomainLookupByName",
                                          g_variant_new("(s)", VB_TEST_DOMAIN_NAME), "(o)");
    g_autofree gchar *by_name = reply_path(r1);
    g_assert_cmpstr(by_name, ==, TEST_DOMAIN_PATH);

    g_autoptr(GVariant) id = vb_get_property(f, by_name, VB_IFACE_DOMAIN, "Id");
    g_autoptr(GVariant) r2 = connect_call(f, "DomainLookupByID",
                                          g_variant_new("(i)", (gint32)g_variant_get_uint32(id)),
                                          "(o)");
    g_autofree gchar *by_id = reply_path(r2);
    g_assert_cmpstr(by_id, ==, TEST_DOMAIN_PATH);

    g_autoptr(GVariant) r3 = connect_call(f, "DomainLookupByUUID",
                                          g_variant_new("(s)", VB_TEST_DOMAIN_UUID), "(o)");
    g_autofree gchar *by_uuid = reply_path(r3);
    g_assert_cmpstr(by_uuid, ==, TEST_DOMAIN_PATH);

    /* The object answers as the domain that was looked up. */
    g_autofree gchar *name = vb_get_string(f, by_uuid, VB_IFACE_DOMAIN, "Name");
    g_assert_cmpstr(name, ==, VB_TEST_DOMAIN_NAME);
}

static void
test_lookup_missing(VbFixture *f, gconstpointer data)
{
    g_autoptr(GError) e1 = connect_err(f, "DomainLookupByName", g_variant_new("(s)", "no-such-vm"));
    vb_assert_error(e1, VB_ERR_NO_DOMAIN);
    g_autoptr(GError) e2 = connect_err(f, "DomainLookupByID", g_variant_new("(i)", 4242));
    vb_assert_error(e2, VB_ERR_NO_DOMAIN);
    g_autoptr(GError) e3 = connect_err(f, "DomainLookupByUUID",
                                       g_variant_new("(s)", "00000000-1111-2222-3333-444444444444"));
    vb_assert_error(e3, VB_ERR_NO_DOMAIN);
    /* Not a UUID at all: a bad argument, whoever notices it. */
    g_autoptr(GError) e4 = connect_err(f, "DomainLookupByUUID", g_variant_new("(s)", "not-a-uuid"));
    vb_assert_error_one_of(e4, VB_ERR_INVALID_ARG, VB_DBUS_INVALID_ARGS);
}

/* ---- creating domains ----------------------------------------------------------- */

static void
test_define_xml(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *path = vb_define_domain(f, "vb-defined");
    vb_assert_domain_event(f, path, VIR_DOMAIN_EVENT_DEFINED, VIR_DOMAIN_EVENT_DEFINED_ADDED);
    g_assert_true(g_str_has_prefix(path, VB_TEST_PATH "/domain/_"));

    g_autofree gchar *name = vb_get_string(f, path, VB_IFACE_DOMAIN, "Name");
    g_assert_cmpstr(name, ==, "vb-defined");
    g_assert_true(vb_get_bool(f, path, VB_IFACE_DOMAIN, "Persistent"));
    g_assert_false(vb_get_bool(f, path, VB_IFACE_DOMAIN, "Active"));
    vb_assert_state(f, path, VIR_DOMAIN_SHUTOFF);

    g_autofree gchar *xml = vb_get_xml(f, path);
    g_assert_nonnull(strstr(xml, "<name>vb-defined</name>"));

    /* The path follows the documented scheme: the UUID with '-' as '_'. */
    g_autofree gchar *uuid = vb_get_string(f, path, VB_IFACE_DOMAIN, "UUID");
    g_autofree gchar *expected = g_strdup_printf(VB_TEST_PATH "/domain/_%s", uuid);
    g_strdelimit(expected + strlen(VB_TEST_PATH "/domain/_"), "-", '_');
    g_assert_cmpstr(path, ==, expected);

    /* Defining it again with a change updates the same domain. */
    g_autofree gchar *xml2 = g_strdup_printf(
        "<domain type='test'><name>vb-defined</name><uuid>%s</uuid>"
        "<description>second definition</description><memory>8192</memory>"
        "<os><type>hvm</type></os></domain>",
        uuid);
    g_autoptr(GVariant) r = connect_call(f, "DomainDefineXML", g_variant_new("(s)", xml2), "(o)");
    g_autofree gchar *path2 = reply_path(r);
    g_assert_cmpstr(path2, ==, path);
    vb_assert_domain_event(f, path, VIR_DOMAIN_EVENT_DEFINED, VIR_DOMAIN_EVENT_DEFINED_UPDATED);
    g_autofree gchar *xml3 = vb_get_xml(f, path);
    g_assert_nonnull(strstr(xml3, "second definition"));
}

static void
check_transient_created(VbFixture *f, const char *path, const char *name)
{
    vb_assert_domain_event(f, path, VIR_DOMAIN_EVENT_STARTED, VIR_DOMAIN_EVENT_STARTED_BOOTED);
    vb_assert_state(f, path, VIR_DOMAIN_RUNNING);
    g_assert_true(vb_get_bool(f, path, VB_IFACE_DOMAIN, "Active"));
    g_assert_false(vb_get_bool(f, path, VB_IFACE_DOMAIN, "Persistent"));
    g_autofree gchar *found = vb_domain_path(f, name);
    g_assert_cmpstr(found, ==, path);

    /* A transient domain is gone once it stops. */
    g_autoptr(GVariant) r = vb_call_ok(f, path, VB_IFACE_DOMAIN, "Destroy", g_variant_new("(u)", 0),
                                       "()");
    vb_assert_domain_event(f, path, VIR_DOMAIN_EVENT_STOPPED, VIR_DOMAIN_EVENT_STOPPED_DESTROYED);
    g_autoptr(GError) e = connect_err(f, "DomainLookupByName", g_variant_new("(s)", name));
    vb_assert_error(e, VB_ERR_NO_DOMAIN);
    g_auto(GStrv) all = vb_list_domains(f, 0);
    g_assert_false(strv_has(all, path));
}

static void
test_create_xml(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *xml = vb_domain_xml("vb-created");
    g_autoptr(GVariant) r = connect_call(f, "DomainCreateXML", g_variant_new("(su)", xml, 0), "(o)");
    g_autofree gchar *path = reply_path(r);
    check_transient_created(f, path, "vb-created");
}

static void
test_create_xml_with_files(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *xml = vb_domain_xml("vb-created-files");
    GVariantBuilder files;
    g_variant_builder_init(&files, G_VARIANT_TYPE("ah"));
    g_autoptr(GVariant) r = connect_call(f, "DomainCreateXMLWithFiles",
                                         g_variant_new("(sahu)", xml, &files, 0), "(o)");
    g_autofree gchar *path = reply_path(r);
    check_transient_created(f, path, "vb-created-files");
}

/* ---- save images ---------------------------------------------------------------- */

static void
test_save_image(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *file = g_build_filename(f->tmpdir, "test.save", NULL);
    g_autoptr(GVariant) r1 = vb_call_ok(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "Save",
                                        g_variant_new("(ssu)", file, "", 0), "()");
    vb_assert_domain_event(f, TEST_DOMAIN_PATH, VIR_DOMAIN_EVENT_STOPPED,
                           VIR_DOMAIN_EVENT_STOPPED_SAVED);
    vb_assert_state_reason(f, TEST_DOMAIN_PATH, VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_SAVED);
    g_assert_true(g_file_test(file, G_FILE_TEST_IS_REGULAR));

    /* The image carries the domain's definition. */
    g_autoptr(GVariant) r2 = connect_call(f, "DomainSaveImageGetXMLDesc",
                                          g_variant_new("(su)", file, 0), "(s)");
    const char *image_xml = NULL;
    g_variant_get(r2, "(&s)", &image_xml);
    g_assert_nonnull(strstr(image_xml, "<name>test</name>"));
    g_assert_nonnull(strstr(image_xml, VB_TEST_DOMAIN_UUID));

    /* Replace the definition inside the image. */
    g_autoptr(GString) changed = g_string_new(image_xml);
    g_assert_cmpuint(g_string_replace(changed, "<name>test</name>",
                                      "<name>test</name><description>edited in image</description>", 1),
                     ==, 1);
    g_autoptr(GVariant) r3 = connect_call(f, "DomainSaveImageDefineXML",
                                          g_variant_new("(ssu)", file, changed->str, 0), "()");
    g_autoptr(GVariant) r4 = connect_call(f, "DomainSaveImageGetXMLDesc",
                                          g_variant_new("(su)", file, 0), "(s)");
    const char *image_xml2 = NULL;
    g_variant_get(r4, "(&s)", &image_xml2);
    g_assert_nonnull(strstr(image_xml2, "edited in image"));

    /* Restoring runs the domain again, with the edited definition. */
    g_autoptr(GVariant) r5 = connect_call(f, "DomainRestore", g_variant_new("(ssu)", file, "", 0),
                                          "()");
    vb_assert_domain_event(f, TEST_DOMAIN_PATH, VIR_DOMAIN_EVENT_STARTED,
                           VIR_DOMAIN_EVENT_STARTED_RESTORED);
    vb_assert_state_reason(f, TEST_DOMAIN_PATH, VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_RESTORED);
    g_autofree gchar *xml = vb_get_xml(f, TEST_DOMAIN_PATH);
    g_assert_nonnull(strstr(xml, "edited in image"));
}

static void
test_save_image_missing(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *file = g_build_filename(f->tmpdir, "does-not-exist.save", NULL);
    g_autoptr(GError) e1 = connect_err(f, "DomainSaveImageGetXMLDesc", g_variant_new("(su)", file, 0));
    vb_assert_error(e1, VB_ERR_SYSTEM);
    g_autoptr(GError) e2 = connect_err(f, "DomainRestore", g_variant_new("(ssu)", file, "", 0));
    vb_assert_error(e2, VB_ERR_SYSTEM);
    g_autoptr(GError) e3 = connect_err(f, "DomainSaveImageDefineXML",
                                       g_variant_new("(ssu)", file, "<domain/>", 0));
    vb_assert_libvirt_error(e3);
    vb_assert_state(f, TEST_DOMAIN_PATH, VIR_DOMAIN_RUNNING);
}

/* ---- host information ----------------------------------------------------------- */

static const char *
reply_string(GVariant *reply)
{
    const char *s = NULL;
    g_variant_get(reply, "(&s)", &s);
    return s;
}

static void
test_capabilities(VbFixture *f, gconstpointer data)
{
    g_autoptr(GVariant) r = connect_call(f, "GetCapabilities", NULL, "(s)");
    g_assert_nonnull(strstr(reply_string(r), "<capabilities>"));
    g_assert_nonnull(strstr(reply_string(r), "<guest>"));
}

static void
test_domain_capabilities(VbFixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) r = vb_call(f, VB_TEST_PATH, VB_IFACE_CONNECT, "GetDomainCapabilities",
                                    g_variant_new("(ssssu)", "", "", "", "", 0), "(s)", &error);
    if (r) {
        g_assert_nonnull(strstr(reply_string(r), "<domainCapabilities"));
    } else {
        /* libvirt's test driver does not implement it. */
        vb_assert_error(error, VB_ERR_NO_SUPPORT);
    }
}

static void
test_sysinfo(VbFixture *f, gconstpointer data)
{
    g_autoptr(GVariant) r = connect_call(f, "GetSysinfo", g_variant_new("(u)", 0), "(s)");
    g_assert_nonnull(strstr(reply_string(r), "<sysinfo"));
}

static void
test_cpu_model_names(VbFixture *f, gconstpointer data)
{
    g_autoptr(GVariant) r = connect_call(f, "GetCPUModelNames", g_variant_new("(su)", "x86_64", 0),
                                         "(as)");
    g_auto(GStrv) models = NULL;
    g_variant_get(r, "(^as)", &models);
    g_assert_cmpuint(g_strv_length(models), >, 0);
    g_assert_true(strv_has(models, "qemu64"));

    g_autoptr(GError) e = connect_err(f, "GetCPUModelNames", g_variant_new("(su)", "no-such-arch", 0));
    vb_assert_error(e, VB_ERR_INVALID_ARG);
}

#define CPU_HASWELL "<cpu><arch>x86_64</arch><model>Haswell</model></cpu>"
#define CPU_NEHALEM "<cpu><arch>x86_64</arch><model>Nehalem</model></cpu>"

static void
test_baseline_cpu(VbFixture *f, gconstpointer data)
{
    const char *cpus[] = { CPU_HASWELL, CPU_NEHALEM, NULL };
    g_autoptr(GVariant) r = connect_call(f, "BaselineCPU", g_variant_new("(^asu)", cpus, 0), "(s)");
    const char *xml = reply_string(r);
    /* The common baseline of the two is the older model. */
    g_assert_nonnull(strstr(xml, "<cpu"));
    g_assert_nonnull(strstr(xml, "Nehalem"));
}

static void
test_compare_cpu(VbFixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) r = vb_call(f, VB_TEST_PATH, VB_IFACE_CONNECT, "CompareCPU",
                                    g_variant_new("(su)", CPU_HASWELL, 0), "(i)", &error);
    if (r) {
        gint result;
        g_variant_get(r, "(i)", &result);
        g_assert_cmpint(result, >=, VIR_CPU_COMPARE_INCOMPATIBLE);
        g_assert_cmpint(result, <=, VIR_CPU_COMPARE_SUPERSET);
    } else {
        vb_assert_error(error, VB_ERR_NO_SUPPORT);
    }
}

static void
test_node_memory(VbFixture *f, gconstpointer data)
{
    g_autoptr(GVariant) r = connect_call(f, "NodeGetFreeMemory", NULL, "(t)");
    guint64 free_mem;
    g_variant_get(r, "(t)", &free_mem);
    g_assert_cmpuint(free_mem, >, 0);

    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) stats = vb_call(f, VB_TEST_PATH, VB_IFACE_CONNECT, "NodeGetMemoryStats",
                                        g_variant_new("(iu)", VIR_NODE_MEMORY_STATS_ALL_CELLS, 0),
                                        "(a{st})", &error);
    if (stats) {
        g_autoptr(GVariant) dict = g_variant_get_child_value(stats, 0);
        g_assert_cmpuint(g_variant_n_children(dict), >, 0);
    } else {
        vb_assert_error(error, VB_ERR_NO_SUPPORT);
    }
}

static void
test_node_cpu(VbFixture *f, gconstpointer data)
{
    g_autoptr(GVariant) r = connect_call(f, "NodeGetCPUStats",
                                         g_variant_new("(iu)", VIR_NODE_CPU_STATS_ALL_CPUS, 0),
                                         "(a{st})");
    g_autoptr(GVariant) dict = g_variant_get_child_value(r, 0);
    guint64 v;
    g_assert_true(g_variant_lookup(dict, VIR_NODE_CPU_STATS_USER, "t", &v));
    g_assert_true(g_variant_lookup(dict, VIR_NODE_CPU_STATS_KERNEL, "t", &v));
    g_assert_true(g_variant_lookup(dict, VIR_NODE_CPU_STATS_IDLE, "t", &v));

    g_autoptr(GVariant) map = connect_call(f, "NodeGetCPUMap", g_variant_new("(u)", 0), "(ab)");
    g_autoptr(GVariant) bits = g_variant_get_child_value(map, 0);
    gsize n = g_variant_n_children(bits);
    g_assert_cmpuint(n, >, 0);
    gboolean any_online = FALSE;
    for (gsize i = 0; i < n; i++) {
        g_autoptr(GVariant) b = g_variant_get_child_value(bits, i);
        any_online |= g_variant_get_boolean(b);
    }
    g_assert_true(any_online);
}

static void
test_node_security_model(VbFixture *f, gconstpointer data)
{
    g_autoptr(GVariant) r = connect_call(f, "NodeGetSecurityModel", NULL, "((ss))");
    const char *model, *doi;
    g_variant_get(r, "((&s&s))", &model, &doi);
    g_assert_cmpstr(model, ==, "testSecurity");
}

static void
test_node_memory_parameters(VbFixture *f, gconstpointer data)
{
    g_autoptr(GError) e1 = NULL;
    g_autoptr(GVariant) r1 = vb_call(f, VB_TEST_PATH, VB_IFACE_CONNECT, "NodeGetMemoryParameters",
                                     g_variant_new("(u)", 0), "(a{sv})", &e1);
    if (!r1)
        vb_assert_error(e1, VB_ERR_NO_SUPPORT);

    GVariantBuilder params;
    g_variant_builder_init(&params, G_VARIANT_TYPE("a{sv}"));
    g_variant_builder_add(&params, "{sv}", VIR_NODE_MEMORY_SHARED_PAGES_TO_SCAN,
                          g_variant_new_uint32(200));
    g_autoptr(GError) e2 = NULL;
    g_autoptr(GVariant) r2 = vb_call(f, VB_TEST_PATH, VB_IFACE_CONNECT, "NodeSetMemoryParameters",
                                     g_variant_new("(a{sv}u)", &params, 0), "()", &e2);
    if (!r2)
        vb_assert_error(e2, VB_ERR_NO_SUPPORT);
}

static void
test_all_domain_stats(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *other = vb_define_domain(f, "vb-stats");
    g_autoptr(GVariant) r = connect_call(f, "GetAllDomainStats", g_variant_new("(uu)", 0, 0),
                                         "(a(sa{sv}))");
    g_autoptr(GVariant) records = g_variant_get_child_value(r, 0);
    GVariantIter iter;
    const char *name;
    GVariant *stats;
    gboolean seen_test = FALSE, seen_other = FALSE;

    g_variant_iter_init(&iter, records);
    while (g_variant_iter_next(&iter, "(&s@a{sv})", &name, &stats)) {
        g_autoptr(GVariant) outer = g_variant_lookup_value(stats, "state.state", NULL);
        g_assert_nonnull(outer);
        /* Doubly wrapped, like GetAll. */
        g_assert_cmpstr(g_variant_get_type_string(outer), ==, "v");
        g_autoptr(GVariant) inner = g_variant_get_variant(outer);
        g_assert_cmpstr(g_variant_get_type_string(inner), ==, "i");
        if (g_str_equal(name, VB_TEST_DOMAIN_NAME)) {
            seen_test = TRUE;
            g_assert_cmpint(g_variant_get_int32(inner), ==, VIR_DOMAIN_RUNNING);
        } else if (g_str_equal(name, "vb-stats")) {
            seen_other = TRUE;
            g_assert_cmpint(g_variant_get_int32(inner), ==, VIR_DOMAIN_SHUTOFF);
        }
        g_variant_unref(stats);
    }
    g_assert_true(seen_test);
    g_assert_true(seen_other);
}

/* ---- signals -------------------------------------------------------------------- */

static void
test_domain_event_signal(VbFixture *f, gconstpointer data)
{
    /* DomainEvent comes from the Connect object, names the domain's path and
     * carries libvirt's event and detail numbers (checked by the matcher). */
    g_autoptr(GVariant) r = vb_call_ok(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "Suspend", NULL, "()");
    vb_assert_domain_event(f, TEST_DOMAIN_PATH, VIR_DOMAIN_EVENT_SUSPENDED,
                           VIR_DOMAIN_EVENT_SUSPENDED_PAUSED);
    g_autoptr(GVariant) r2 = vb_call_ok(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "Resume", NULL, "()");
    vb_assert_domain_event(f, TEST_DOMAIN_PATH, VIR_DOMAIN_EVENT_RESUMED,
                           VIR_DOMAIN_EVENT_RESUMED_UNPAUSED);
    /* Exactly one event per transition. */
    g_assert_cmpuint(vb_count_domain_events(f, TEST_DOMAIN_PATH), ==, 0);
}

/* ---- ObjectManager (virtbusd) --------------------------------------------------- */

#define OM_IFACE "org.freedesktop.DBus.ObjectManager"

/* The properties of @iface on @path in a GetManagedObjects reply. */
static GVariant *
managed_properties(GVariant *objects, const char *path, const char *iface)
{
    g_autoptr(GVariant) ifaces = g_variant_lookup_value(objects, path, G_VARIANT_TYPE("a{sa{sv}}"));
    if (!ifaces)
        return NULL;
    return g_variant_lookup_value(ifaces, iface, G_VARIANT_TYPE("a{sv}"));
}

static void
test_object_manager(VbFixture *f, gconstpointer data)
{
    g_autoptr(GVariant) r = vb_call_ok(f, "/org/libvirt", OM_IFACE, "GetManagedObjects", NULL,
                                       "(a{oa{sa{sv}}})");
    g_autoptr(GVariant) objects = g_variant_get_child_value(r, 0);

    g_autoptr(GVariant) conn = managed_properties(objects, VB_TEST_PATH, VB_IFACE_CONNECT);
    g_assert_nonnull(conn);
    /* Plain D-Bus here: one variant per value. */
    g_autoptr(GVariant) hostname = g_variant_lookup_value(conn, "Hostname", NULL);
    g_assert_nonnull(hostname);
    g_assert_cmpstr(g_variant_get_type_string(hostname), ==, "s");

    g_autoptr(GVariant) dom = managed_properties(objects, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN);
    g_assert_nonnull(dom);
    g_autoptr(GVariant) name = g_variant_lookup_value(dom, "Name", NULL);
    g_assert_nonnull(name);
    g_assert_cmpstr(g_variant_get_string(name, NULL), ==, VB_TEST_DOMAIN_NAME);
    g_autoptr(GVariant) state = g_variant_lookup_value(dom, "State", NULL);
    g_assert_nonnull(state);
    g_assert_cmpstr(g_variant_get_type_string(state), ==, "i");
    g_assert_cmpint(g_variant_get_int32(state), ==, VIR_DOMAIN_RUNNING);

    /* Exactly one Connect object and the one domain (the test driver's
     * networks, pools, devices and interfaces are there too). */
    gsize connects = 0, domains = 0;
    GVariantIter iter;
    const char *path;
    GVariant *ifaces;
    g_variant_iter_init(&iter, objects);
    while (g_variant_iter_next(&iter, "{&o@a{sa{sv}}}", &path, &ifaces)) {
        g_autoptr(GVariant) c = g_variant_lookup_value(ifaces, VB_IFACE_CONNECT, NULL);
        g_autoptr(GVariant) d = g_variant_lookup_value(ifaces, VB_IFACE_DOMAIN, NULL);
        connects += c != NULL;
        domains += d != NULL;
        g_variant_unref(ifaces);
    }
    g_assert_cmpuint(connects, ==, 1);
    g_assert_cmpuint(domains, ==, 1);
}

static void
test_object_manager_signals(VbFixture *f, gconstpointer data)
{
    g_autoptr(GVariant) added = NULL;
    g_autoptr(GVariant) removed = NULL;
    g_autofree gchar *path = vb_define_domain(f, "vb-managed");

    g_assert_true(vb_wait_signal(f, "/org/libvirt", OM_IFACE, "InterfacesAdded", path, &added,
                                 VB_SIGNAL_TIMEOUT_MS));
    g_autoptr(GVariant) ifaces = g_variant_get_child_value(added, 1);
    g_autoptr(GVariant) props = g_variant_lookup_value(ifaces, VB_IFACE_DOMAIN, G_VARIANT_TYPE("a{sv}"));
    g_assert_nonnull(props);
    g_autoptr(GVariant) name = g_variant_lookup_value(props, "Name", G_VARIANT_TYPE_STRING);
    g_assert_nonnull(name);
    g_assert_cmpstr(g_variant_get_string(name, NULL), ==, "vb-managed");

    g_autoptr(GVariant) u = vb_call_ok(f, path, VB_IFACE_DOMAIN, "Undefine", g_variant_new("(u)", 0),
                                       "()");
    g_assert_true(vb_wait_signal(f, "/org/libvirt", OM_IFACE, "InterfacesRemoved", path, &removed,
                                 VB_SIGNAL_TIMEOUT_MS));
    g_auto(GStrv) gone = NULL;
    g_variant_get(removed, "(o^as)", NULL, &gone);
    g_assert_true(g_strv_contains((const gchar *const *)gone, VB_IFACE_DOMAIN));

    /* A transient domain goes away on its own when it stops. */
    g_autofree gchar *xml = vb_domain_xml("vb-managed-transient");
    g_autoptr(GVariant) c = connect_call(f, "DomainCreateXML", g_variant_new("(su)", xml, 0), "(o)");
    g_autofree gchar *tpath = reply_path(c);
    g_assert_true(vb_wait_signal(f, "/org/libvirt", OM_IFACE, "InterfacesAdded", tpath, NULL,
                                 VB_SIGNAL_TIMEOUT_MS));
    g_autoptr(GVariant) d = vb_call_ok(f, tpath, VB_IFACE_DOMAIN, "Destroy", g_variant_new("(u)", 0),
                                       "()");
    g_assert_true(vb_wait_signal(f, "/org/libvirt", OM_IFACE, "InterfacesRemoved", tpath, NULL,
                                 VB_SIGNAL_TIMEOUT_MS));

    g_autoptr(GVariant) r2 = vb_call_ok(f, "/org/libvirt", OM_IFACE, "GetManagedObjects", NULL,
                                        "(a{oa{sa{sv}}})");
    g_autoptr(GVariant) objects = g_variant_get_child_value(r2, 0);
    g_autoptr(GVariant) none1 = g_variant_lookup_value(objects, path, NULL);
    g_autoptr(GVariant) none2 = g_variant_lookup_value(objects, tpath, NULL);
    g_assert_null(none1);
    g_assert_null(none2);
}

int
main(int argc, char **argv)
{
    vb_init(&argc, &argv);

    vb_add("/connect/properties/values", test_properties);
    vb_add("/connect/properties/getall", test_properties_getall);
    vb_add("/connect/properties/read-only", test_property_read_only);
    vb_add_virtbusd_only("/connect/properties/connected", test_property_connected);
    vb_add("/connect/list-domains", test_list_domains);
    vb_add("/connect/lookup/found", test_lookup);
    vb_add("/connect/lookup/missing", test_lookup_missing);
    vb_add("/connect/define-xml", test_define_xml);
    vb_add("/connect/create-xml", test_create_xml);
    vb_add("/connect/create-xml-with-files", test_create_xml_with_files);
    vb_add("/connect/save-image/roundtrip", test_save_image);
    vb_add("/connect/save-image/missing", test_save_image_missing);
    vb_add("/connect/capabilities", test_capabilities);
    vb_add("/connect/domain-capabilities", test_domain_capabilities);
    vb_add("/connect/sysinfo", test_sysinfo);
    vb_add("/connect/cpu-model-names", test_cpu_model_names);
    vb_add("/connect/baseline-cpu", test_baseline_cpu);
    vb_add("/connect/compare-cpu", test_compare_cpu);
    vb_add("/connect/node-memory", test_node_memory);
    vb_add("/connect/node-cpu", test_node_cpu);
    vb_add("/connect/node-security-model", test_node_security_model);
    vb_add("/connect/node-memory-parameters", test_node_memory_parameters);
    vb_add("/connect/all-domain-stats", test_all_domain_stats);
    vb_add("/connect/domain-event", test_domain_event_signal);
    vb_add_virtbusd_only("/connect/object-manager/objects", test_object_manager);
    vb_add_virtbusd_only("/connect/object-manager/signals", test_object_manager_signals);

    return vb_run();
}
