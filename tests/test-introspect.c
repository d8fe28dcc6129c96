/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The interface files in interfaces/ are the documented contract. Compare
 * them member by member with what a running virtbusd says about itself, and
 * with the libvirt-dbus interface files virtbusd must stay compatible with. */
#include "harness.h"

#include <string.h>

#define TEST_DOMAIN_PATH "/org/libvirt/Test/domain/_6695eb01_f6a4_8304_79aa_97f2502e193f"

/* Where libvirt-dbus installs its interface files. */
#define DEFAULT_REFERENCE_INTERFACES "/usr/share/dbus-1/interfaces"

typedef struct {
    GPtrArray *nodes;      /* GDBusNodeInfo, owning the interfaces */
    GHashTable *by_name;   /* name -> GDBusInterfaceInfo (borrowed) */
} InterfaceSet;

static void
interface_set_free(InterfaceSet *set)
{
    g_hash_table_unref(set->by_name);
    g_ptr_array_unref(set->nodes);
    g_free(set);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(InterfaceSet, interface_set_free)

static InterfaceSet *
interface_set_new(void)
{
    InterfaceSet *set = g_new0(InterfaceSet, 1);
    set->nodes = g_ptr_array_new_with_free_func((GDestroyNotify)g_dbus_node_info_unref);
    set->by_name = g_hash_table_new(g_str_hash, g_str_equal);
    return set;
}

static void
interface_set_add_xml(InterfaceSet *set, const char *xml, const char *origin)
{
    g_autoptr(GError) error = NULL;
    GDBusNodeInfo *node = g_dbus_node_info_new_for_xml(xml, &error);
    if (!node)
        g_error("cannot parse %s: %s", origin, error->message);
    g_ptr_array_add(set->nodes, node);
    for (GDBusInterfaceInfo **i = node->interfaces; i && *i; i++) {
        if (g_hash_table_contains(set->by_name, (*i)->name))
            g_error("interface %s described twice (again in %s)", (*i)->name, origin);
        g_hash_table_insert(set->by_name, (*i)->name, *i);
    }
}

/* Every org.libvirt.*.xml in @dir. Returns NULL if there is none. */
static InterfaceSet *
load_interface_dir(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    g_autoptr(InterfaceSet) set = interface_set_new();
    const char *name;

    if (!d)
        return NULL;
    while ((name = g_dir_read_name(d))) {
        g_autofree gchar *file = NULL;
        g_autofree gchar *xml = NULL;
        g_autoptr(GError) error = NULL;

        if (!g_str_has_prefix(name, "org.libvirt.") || !g_str_has_suffix(name, ".xml"))
            continue;
        file = g_build_filename(dir, name, NULL);
        if (!g_file_get_contents(file, &xml, NULL, &error))
            g_error("cannot read %s: %s", file, error->message);
        interface_set_add_xml(set, xml, file);
    }
    if (g_hash_table_size(set->by_name) == 0)
        return NULL;
    return g_steal_pointer(&set);
}

static InterfaceSet *
load_project_interfaces(void)
{
    const char *srcdir = g_getenv("VIRTBUS_SRCDIR");
    g_autofree gchar *dir = NULL;
    InterfaceSet *set;

    if (!srcdir)
        g_error("VIRTBUS_SRCDIR is not set");
    dir = g_build_filename(srcdir, "interfaces", NULL);
    set = load_interface_dir(dir);
    if (!set)
        g_error("no org.libvirt.*.xml interface files in %s", dir);
    return set;
}

static InterfaceSet *
introspect(VbFixture *f, const char *path)
{
    g_autoptr(GVariant) r = vb_call_ok(f, path, "org.freedesktop.DBus.Introspectable", "Introspect",
                                       NULL, "(s)");
    const char *xml;
    InterfaceSet *set = interface_set_new();
    g_variant_get(r, "(&s)", &xml);
    interface_set_add_xml(set, xml, path);
    return set;
}

/* ---- comparison ----------------------------------------------------------------- */

static gchar *
describe_args(GDBusArgInfo **args)
{
    GString *s = g_string_new("(");
    for (GDBusArgInfo **a = args; a && *a; a++)
        g_string_append_printf(s, "%s%s %s", a == args ? "" : ", ", (*a)->signature,
                               (*a)->name ? (*a)->name : "?");
    g_string_append_c(s, ')');
    return g_string_free(s, FALSE);
}

static gchar *
describe_method(GDBusMethodInfo *m, gboolean with_names)
{
    g_autofree gchar *in = describe_args(m->in_args);
    g_autofree gchar *out = describe_args(m->out_args);
    if (!with_names) {
        /* Only the types: strip "name" parts by rebuilding. */
        GString *s = g_string_new("in:");
        for (GDBusArgInfo **a = m->in_args; a && *a; a++)
            g_string_append_printf(s, " %s", (*a)->signature);
        g_string_append(s, " out:");
        for (GDBusArgInfo **a = m->out_args; a && *a; a++)
            g_string_append_printf(s, " %s", (*a)->signature);
        return g_string_free(s, FALSE);
    }
    return g_strdup_printf("in %s out %s", in, out);
}

static gchar *
describe_signal(GDBusSignalInfo *s, gboolean with_names)
{
    if (!with_names) {
        GString *str = g_string_new("");
        for (GDBusArgInfo **a = s->args; a && *a; a++)
            g_string_append_printf(str, " %s", (*a)->signature);
        return g_string_free(str, FALSE);
    }
    return describe_args(s->args);
}

static gchar *
describe_property(GDBusPropertyInfo *p)
{
    const char *access = p->flags == (G_DBUS_PROPERTY_INFO_FLAGS_READABLE | G_DBUS_PROPERTY_INFO_FLAGS_WRITABLE)
                             ? "readwrite"
                         : p->flags & G_DBUS_PROPERTY_INFO_FLAGS_WRITABLE ? "write"
                                                                           : "read";
    return g_strdup_printf("%s %s", p->signature, access);
}

/* A map member name -> description, for one kind of member. */
static GHashTable *
members(GDBusInterfaceInfo *iface, char kind, gboolean with_names)
{
    GHashTable *h = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
    switch (kind) {
    case 'm':
        for (GDBusMethodInfo **m = iface->methods; m && *m; m++)
            g_hash_table_insert(h, (*m)->name, describe_method(*m, with_names));
        break;
    case 's':
        for (GDBusSignalInfo **s = iface->signals; s && *s; s++)
            g_hash_table_insert(h, (*s)->name, describe_signal(*s, with_names));
        break;
    case 'p':
        for (GDBusPropertyInfo **p = iface->properties; p && *p; p++)
            g_hash_table_insert(h, (*p)->name, describe_property(*p));
        break;
    }
    return h;
}

static const char *
kind_name(char kind)
{
    return kind == 'm' ? "method" : kind == 's' ? "signal" : "property";
}

/* Compares @doc (the documented interface) and @live; appends every
 * difference to @problems. With @exact, members only one side has count too;
 * otherwise only members on both sides are compared and the rest reported
 * through @extra. */
static void
compare_interfaces(GDBusInterfaceInfo *doc, GDBusInterfaceInfo *live, gboolean with_names,
                   gboolean exact, const char *doc_label, const char *live_label,
                   GString *problems, GString *extra)
{
    const char kinds[] = { 'm', 's', 'p' };

    for (gsize k = 0; k < G_N_ELEMENTS(kinds); k++) {
        g_autoptr(GHashTable) d = members(doc, kinds[k], with_names);
        g_autoptr(GHashTable) l = members(live, kinds[k], with_names);
        GHashTableIter it;
        gpointer key, value;

        g_hash_table_iter_init(&it, d);
        while (g_hash_table_iter_next(&it, &key, &value)) {
            const char *other = g_hash_table_lookup(l, key);
            if (!other) {
                GString *to = exact ? problems : extra;
                if (to)
                    g_string_append_printf(to, "\n  %s %s.%s is in %s but not in %s", kind_name(kinds[k]),
                                           doc->name, (const char *)key, doc_label, live_label);
            } else if (!g_str_equal(value, other)) {
                g_string_append_printf(problems, "\n  %s %s.%s: %s says %s, %s says %s",
                                       kind_name(kinds[k]), doc->name, (const char *)key, doc_label,
                                       (const char *)value, live_label, other);
            }
        }
        g_hash_table_iter_init(&it, l);
        while (g_hash_table_iter_next(&it, &key, &value)) {
            if (!g_hash_table_contains(d, key)) {
                GString *to = exact ? problems : NULL;
                if (to)
                    g_string_append_printf(to, "\n  %s %s.%s is in %s but not in %s", kind_name(kinds[k]),
                                           doc->name, (const char *)key, live_label, doc_label);
            }
        }
    }
}

/* ---- tests ---------------------------------------------------------------------- */

static void
check_object(VbFixture *f, InterfaceSet *doc, const char *path, const char *expected_iface,
             GString *problems)
{
    g_autoptr(InterfaceSet) live = introspect(f, path);
    GHashTableIter it;
    gpointer key, value;

    if (!g_hash_table_contains(live->by_name, expected_iface))
        g_string_append_printf(problems, "\n  %s does not offer %s", path, expected_iface);

    g_hash_table_iter_init(&it, live->by_name);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        GDBusInterfaceInfo *documented;
        if (!g_str_has_prefix(key, "org.libvirt."))
            continue;
        documented = g_hash_table_lookup(doc->by_name, key);
        if (!documented) {
            g_string_append_printf(problems, "\n  %s offers %s, which no interface file describes",
                                   path, (const char *)key);
            continue;
        }
        g_autofree gchar *label = g_strdup_printf("the introspection of %s", path);
        compare_interfaces(documented, value, TRUE, TRUE, "interfaces/", label, problems, NULL);
    }
}

static void
test_live(VbFixture *f, gconstpointer data)
{
    g_autoptr(InterfaceSet) doc = load_project_interfaces();
    g_autoptr(GString) problems = g_string_new(NULL);

    g_autoptr(GVariant) r = vb_call_ok(
        f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "SnapshotCreateXML",
        g_variant_new("(su)", "<domainsnapshot><name>introspected</name></domainsnapshot>", 0),
        "(o)");
    const char *snapshot;
    g_variant_get(r, "(&o)", &snapshot);

    check_object(f, doc, VB_TEST_PATH, VB_IFACE_CONNECT, problems);
    check_object(f, doc, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, problems);
    check_object(f, doc, snapshot, VB_IFACE_SNAPSHOT, problems);

    /* The other kinds the test driver has. Secrets and network filters
     * need a real libvirtd: their files are held to libvirt-dbus's by the
     * reference contract below only. */
    g_autoptr(GVariant) vol = vb_call_ok(
        f, VB_TEST_PATH "/storagepool/_dfe224cb_28fb_8dd0_c4b2_64eb3f0f4566", "org.libvirt.StoragePool",
        "StorageVolCreateXML",
        g_variant_new("(su)", "<volume><name>introspected</name><capacity>1024</capacity></volume>", 0), "(o)");
    const char *vol_path;
    g_variant_get(vol, "(&o)", &vol_path);
    check_object(f, doc, VB_TEST_PATH "/network/_dd8fe884_6c02_601e_7551_cca97df1c5df", "org.libvirt.Network",
                 problems);
    check_object(f, doc, VB_TEST_PATH "/storagepool/_dfe224cb_28fb_8dd0_c4b2_64eb3f0f4566",
                 "org.libvirt.StoragePool", problems);
    check_object(f, doc, vol_path, "org.libvirt.StorageVol", problems);
    check_object(f, doc, VB_TEST_PATH "/nodedev/computer", "org.libvirt.NodeDevice", problems);
    check_object(f, doc, VB_TEST_PATH "/interface/aa_3abb_3acc_3add_3aee_3aff", "org.libvirt.Interface", problems);

    /* Interface files for kinds of object this test does not reach. */
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, doc->by_name);
    while (g_hash_table_iter_next(&it, &key, NULL)) {
        if (!g_str_equal(key, VB_IFACE_CONNECT) && !g_str_equal(key, VB_IFACE_DOMAIN) &&
            !g_str_equal(key, VB_IFACE_SNAPSHOT) && !g_str_equal(key, "org.libvirt.Network") &&
            !g_str_equal(key, "org.libvirt.StoragePool") && !g_str_equal(key, "org.libvirt.StorageVol") &&
            !g_str_equal(key, "org.libvirt.NodeDevice") && !g_str_equal(key, "org.libvirt.Interface"))
            g_test_message("interface %s is documented but not checked against a live object",
                           (const char *)key);
    }

    if (problems->len)
        g_error("interface files and live introspection disagree:%s", problems->str);
}

static void
test_object_manager(VbFixture *f, gconstpointer data)
{
    g_autoptr(InterfaceSet) live = introspect(f, "/org/libvirt");
    g_assert_true(g_hash_table_contains(live->by_name, "org.freedesktop.DBus.ObjectManager"));
    /* The tree is walkable from the root down to the domains. */
    g_autoptr(GVariant) r = vb_call_ok(f, "/org/libvirt", "org.freedesktop.DBus.Introspectable",
                                       "Introspect", NULL, "(s)");
    const char *xml;
    g_variant_get(r, "(&s)", &xml);
    g_autoptr(GDBusNodeInfo) node = g_dbus_node_info_new_for_xml(xml, NULL);
    gboolean found = FALSE;
    for (GDBusNodeInfo **n = node->nodes; n && *n; n++)
        found |= g_strcmp0((*n)->path, "Test") == 0;
    g_assert_true(found);
}

static void
test_reference_contract(void)
{
    const char *ref_dir = g_getenv("VIRTBUS_REFERENCE_INTERFACES");
    g_autoptr(InterfaceSet) doc = load_project_interfaces();
    g_autoptr(InterfaceSet) ref = load_interface_dir(ref_dir ? ref_dir : DEFAULT_REFERENCE_INTERFACES);
    g_autoptr(GString) problems = g_string_new(NULL);
    g_autoptr(GString) extra = g_string_new(NULL);
    GHashTableIter it;
    gpointer key, value;

    if (!ref) {
        g_test_skip("libvirt-dbus's interface files are not installed");
        return;
    }
    /* Every member both describe has the same name and types (argument names
     * are documentation and may differ); members only we have are
     * extensions. */
    g_hash_table_iter_init(&it, doc->by_name);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        GDBusInterfaceInfo *theirs = g_hash_table_lookup(ref->by_name, key);
        if (!theirs) {
            g_test_message("interface %s is new (libvirt-dbus has no such interface)",
                           (const char *)key);
            continue;
        }
        compare_interfaces(value, theirs, FALSE, FALSE, "interfaces/", "libvirt-dbus", problems,
                           extra);
    }
    if (extra->len)
        g_test_message("extensions beyond libvirt-dbus:%s", extra->str);
    if (problems->len)
        g_error("interface files are incompatible with libvirt-dbus:%s", problems->str);
}

int
main(int argc, char **argv)
{
    vb_init(&argc, &argv);

    vb_add_virtbusd_only("/introspect/live", test_live);
    vb_add_virtbusd_only("/introspect/object-manager", test_object_manager);
    g_test_add_func("/introspect/reference-contract", test_reference_contract);

    return vb_run();
}
