/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Snapshots: the Domain methods that make and find them and every
 * org.libvirt.DomainSnapshot method. */
#include "harness.h"

#include <string.h>

#define TEST_DOMAIN_PATH "/org/libvirt/Test/domain/_6695eb01_f6a4_8304_79aa_97f2502e193f"
#define SNAP_PREFIX "/org/libvirt/Test/domainsnapshot/_6695eb01_f6a4_8304_79aa_97f2502e193f_"

static gchar *
snapshot_create(VbFixture *f, const char *domain, const char *name)
{
    g_autofree gchar *xml = g_markup_printf_escaped(
        "<domainsnapshot><name>%s</name><description>made by the test</description>"
        "</domainsnapshot>",
        name);
    g_autoptr(GVariant) r = vb_call_ok(f, domain, VB_IFACE_DOMAIN, "SnapshotCreateXML",
                                       g_variant_new("(su)", xml, 0), "(o)");
    gchar *path = NULL;
    g_variant_get(r, "(o)", &path);
    return path;
}

static gchar *
snap_call_path(VbFixture *f, const char *path, const char *iface, const char *method,
               GVariant *args)
{
    g_autoptr(GVariant) r = vb_call_ok(f, path, iface, method, args, "(o)");
    gchar *out = NULL;
    g_variant_get(r, "(o)", &out);
    return out;
}

static gchar **
list_snapshots(VbFixture *f, const char *domain, guint flags)
{
    g_autoptr(GVariant) r = vb_call_ok(f, domain, VB_IFACE_DOMAIN, "ListDomainSnapshots",
                                       g_variant_new("(u)", flags), "(ao)");
    gchar **paths = NULL;
    g_variant_get(r, "(^ao)", &paths);
    return paths;
}

static gboolean
is_current(VbFixture *f, const char *snap)
{
    g_autoptr(GVariant) r = vb_call_ok(f, snap, VB_IFACE_SNAPSHOT, "IsCurrent",
                                       g_variant_new("(u)", 0), "(b)");
    gboolean current;
    g_variant_get(r, "(b)", &current);
    return current;
}

static gboolean
strv_has(gchar **strv, const char *s)
{
    return strv && g_strv_contains((const gchar *const *)strv, s);
}

static void
test_create_and_paths(VbFixture *f, gconstpointer data)
{
    /* <domain uuid>_<name>, the name keeping [A-Za-z0-9] and writing every
     * other byte as _ and two lower-case hex digits. */
    g_autofree gchar *s1 = snapshot_create(f, TEST_DOMAIN_PATH, "first");
    g_assert_cmpstr(s1, ==, SNAP_PREFIX "first");
    g_autofree gchar *s2 = snapshot_create(f, TEST_DOMAIN_PATH, "snap-2.b_c");
    g_assert_cmpstr(s2, ==, SNAP_PREFIX "snap_2d2_2eb_5fc");

    /* The snapshot's own description of itself. */
    g_autoptr(GVariant) r = vb_call_ok(f, s2, VB_IFACE_SNAPSHOT, "GetXMLDesc", g_variant_new("(u)", 0),
                                       "(s)");
    const char *xml;
    g_variant_get(r, "(&s)", &xml);
    g_assert_true(g_str_has_prefix(xml, "<domainsnapshot>"));
    g_assert_nonnull(strstr(xml, "<name>snap-2.b_c</name>"));
    g_assert_nonnull(strstr(xml, "<description>made by the test</description>"));
    g_assert_nonnull(strstr(xml, "<state>running</state>"));
    g_assert_nonnull(strstr(xml, "<uuid>" VB_TEST_DOMAIN_UUID "</uuid>"));

    /* The domain's state is untouched. */
    vb_assert_state(f, TEST_DOMAIN_PATH, VIR_DOMAIN_RUNNING);
    g_assert_cmpuint(vb_count_domain_events(f, TEST_DOMAIN_PATH), ==, 0);
}

static void
test_lookup_current_list(VbFixture *f, gconstpointer data)
{
    g_autoptr(GError) e0 = vb_call_err(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "SnapshotCurrent",
                                       g_variant_new("(u)", 0));
    vb_assert_error(e0, VB_ERR_NO_SNAPSHOT);
    g_auto(GStrv) none = list_snapshots(f, TEST_DOMAIN_PATH, 0);
    g_assert_cmpuint(g_strv_length(none), ==, 0);

    g_autofree gchar *s1 = snapshot_create(f, TEST_DOMAIN_PATH, "one");
    g_autofree gchar *s2 = snapshot_create(f, TEST_DOMAIN_PATH, "two");

    g_autofree gchar *current = snap_call_path(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN,
                                               "SnapshotCurrent", g_variant_new("(u)", 0));
    g_assert_cmpstr(current, ==, s2);
    g_assert_true(is_current(f, s2));
    g_assert_false(is_current(f, s1));

    g_autofree gchar *found = snap_call_path(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN,
                                             "SnapshotLookupByName", g_variant_new("(su)", "one", 0));
    g_assert_cmpstr(found, ==, s1);
    g_autoptr(GError) e1 = vb_call_err(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "SnapshotLookupByName",
                                       g_variant_new("(su)", "three", 0));
    vb_assert_error(e1, VB_ERR_NO_SNAPSHOT);

    g_auto(GStrv) all = list_snapshots(f, TEST_DOMAIN_PATH, 0);
    g_assert_cmpuint(g_strv_length(all), ==, 2);
    g_assert_true(strv_has(all, s1));
    g_assert_true(strv_has(all, s2));
    g_auto(GStrv) roots = list_snapshots(f, TEST_DOMAIN_PATH, VIR_DOMAIN_SNAPSHOT_LIST_ROOTS);
    g_assert_cmpuint(g_strv_length(roots), ==, 1);
    g_assert_cmpstr(roots[0], ==, s1);
    g_auto(GStrv) leaves = list_snapshots(f, TEST_DOMAIN_PATH, VIR_DOMAIN_SNAPSHOT_LIST_LEAVES);
    g_assert_cmpuint(g_strv_length(leaves), ==, 1);
    g_assert_cmpstr(leaves[0], ==, s2);

    /* Another domain's snapshots are its own. */
    g_autofree gchar *other = vb_define_domain(f, "vb-snap-other");
    g_auto(GStrv) others = list_snapshots(f, other, 0);
    g_assert_cmpuint(g_strv_length(others), ==, 0);
}

static void
test_parent_children(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *root = snapshot_create(f, TEST_DOMAIN_PATH, "root");
    g_autofree gchar *mid = snapshot_create(f, TEST_DOMAIN_PATH, "mid");
    g_autofree gchar *leaf = snapshot_create(f, TEST_DOMAIN_PATH, "leaf");

    g_autofree gchar *p1 = snap_call_path(f, leaf, VB_IFACE_SNAPSHOT, "GetParent",
                                          g_variant_new("(u)", 0));
    g_assert_cmpstr(p1, ==, mid);
    g_autofree gchar *p2 = snap_call_path(f, mid, VB_IFACE_SNAPSHOT, "GetParent",
                                          g_variant_new("(u)", 0));
    g_assert_cmpstr(p2, ==, root);
    g_autoptr(GError) e = vb_call_err(f, root, VB_IFACE_SNAPSHOT, "GetParent",
                                      g_variant_new("(u)", 0));
    vb_assert_error(e, VB_ERR_NO_SNAPSHOT);

    g_autoptr(GVariant) r1 = vb_call_ok(f, root, VB_IFACE_SNAPSHOT, "ListChildren",
                                        g_variant_new("(u)", 0), "(ao)");
    g_auto(GStrv) children = NULL;
    g_variant_get(r1, "(^ao)", &children);
    g_assert_cmpuint(g_strv_length(children), ==, 1);
    g_assert_cmpstr(children[0], ==, mid);

    g_autoptr(GVariant) r2 = vb_call_ok(f, root, VB_IFACE_SNAPSHOT, "ListChildren",
                                        g_variant_new("(u)", VIR_DOMAIN_SNAPSHOT_LIST_DESCENDANTS),
                                        "(ao)");
    g_auto(GStrv) descendants = NULL;
    g_variant_get(r2, "(^ao)", &descendants);
    g_assert_cmpuint(g_strv_length(descendants), ==, 2);
    g_assert_true(strv_has(descendants, mid));
    g_assert_true(strv_has(descendants, leaf));

    g_autoptr(GVariant) r3 = vb_call_ok(f, leaf, VB_IFACE_SNAPSHOT, "ListChildren",
                                        g_variant_new("(u)", 0), "(ao)");
    g_auto(GStrv) none = NULL;
    g_variant_get(r3, "(^ao)", &none);
    g_assert_cmpuint(g_strv_length(none), ==, 0);
}

static void
test_revert(VbFixture *f, gconstpointer data)
{
    g_autoptr(GVariant) m1 = vb_call_ok(
        f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "SetMetadata",
        g_variant_new("(isssu)", VIR_DOMAIN_METADATA_DESCRIPTION, "before the snapshot", "", "", 0),
        "()");
    g_autofree gchar *snap = snapshot_create(f, TEST_DOMAIN_PATH, "before");

    /* Change the domain after the snapshot, then go back. */
    g_autoptr(GVariant) m2 = vb_call_ok(
        f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "SetMetadata",
        g_variant_new("(isssu)", VIR_DOMAIN_METADATA_DESCRIPTION, "after the snapshot", "", "", 0),
        "()");
    g_autoptr(GVariant) s = vb_call_ok(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "Suspend", NULL, "()");
    vb_assert_domain_event(f, TEST_DOMAIN_PATH, VIR_DOMAIN_EVENT_SUSPENDED,
                           VIR_DOMAIN_EVENT_SUSPENDED_PAUSED);
    g_autofree gchar *later = snapshot_create(f, TEST_DOMAIN_PATH, "later");
    g_assert_false(is_current(f, snap));

    g_autoptr(GVariant) r = vb_call_ok(f, snap, VB_IFACE_SNAPSHOT, "Revert", g_variant_new("(u)", 0),
                                       "()");
    vb_assert_domain_event(f, TEST_DOMAIN_PATH, VIR_DOMAIN_EVENT_STARTED,
                           VIR_DOMAIN_EVENT_STARTED_FROM_SNAPSHOT);
    vb_assert_state_reason(f, TEST_DOMAIN_PATH, VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_FROM_SNAPSHOT);
    g_assert_true(is_current(f, snap));
    g_assert_false(is_current(f, later));
    g_autofree gchar *xml = vb_get_xml(f, TEST_DOMAIN_PATH);
    g_assert_nonnull(strstr(xml, "before the snapshot"));
    g_assert_null(strstr(xml, "after the snapshot"));
}

static void
test_delete(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *root = snapshot_create(f, TEST_DOMAIN_PATH, "root");
    g_autofree gchar *child = snapshot_create(f, TEST_DOMAIN_PATH, "child");
    g_autofree gchar *grandchild = snapshot_create(f, TEST_DOMAIN_PATH, "grandchild");

    /* Deleting one snapshot re-parents its children. */
    g_autoptr(GVariant) r1 = vb_call_ok(f, child, VB_IFACE_SNAPSHOT, "Delete",
                                        g_variant_new("(u)", 0), "()");
    g_auto(GStrv) left = list_snapshots(f, TEST_DOMAIN_PATH, 0);
    g_assert_cmpuint(g_strv_length(left), ==, 2);
    g_assert_false(strv_has(left, child));
    g_autofree gchar *parent = snap_call_path(f, grandchild, VB_IFACE_SNAPSHOT, "GetParent",
                                              g_variant_new("(u)", 0));
    g_assert_cmpstr(parent, ==, root);

    /* The deleted snapshot's object is gone. */
    g_autoptr(GError) e1 = vb_call_err(f, child, VB_IFACE_SNAPSHOT, "GetXMLDesc",
                                       g_variant_new("(u)", 0));
    if (vb_reference_mode())
        vb_assert_libvirt_error(e1);
    else
        vb_assert_error_one_of(e1, VB_DBUS_UNKNOWN_OBJECT, VB_ERR_NO_SNAPSHOT);
    g_autoptr(GError) e2 = vb_call_err(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "SnapshotLookupByName",
                                       g_variant_new("(su)", "child", 0));
    vb_assert_error(e2, VB_ERR_NO_SNAPSHOT);

    /* Deleting with children removes the whole tree. */
    g_autoptr(GVariant) r2 = vb_call_ok(f, root, VB_IFACE_SNAPSHOT, "Delete",
                                        g_variant_new("(u)", VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN),
                                        "()");
    g_auto(GStrv) none = list_snapshots(f, TEST_DOMAIN_PATH, 0);
    g_assert_cmpuint(g_strv_length(none), ==, 0);

    /* The domain itself is unaffected. */
    vb_assert_state(f, TEST_DOMAIN_PATH, VIR_DOMAIN_RUNNING);
}

static void
test_missing_snapshot_path(VbFixture *f, gconstpointer data)
{
    const char *methods[] = { "GetXMLDesc", "IsCurrent", "Revert", "Delete" };
    for (gsize i = 0; i < G_N_ELEMENTS(methods); i++) {
        g_autoptr(GError) e = vb_call_err(f, SNAP_PREFIX "nothing", VB_IFACE_SNAPSHOT, methods[i],
                                          g_variant_new("(u)", 0));
        if (vb_reference_mode())
            vb_assert_libvirt_error(e);
        else
            vb_assert_error_one_of(e, VB_DBUS_UNKNOWN_OBJECT, VB_ERR_NO_SNAPSHOT);
    }
    vb_assert_state(f, TEST_DOMAIN_PATH, VIR_DOMAIN_RUNNING);
}

int
main(int argc, char **argv)
{
    vb_init(&argc, &argv);

    vb_add("/snapshot/create-and-paths", test_create_and_paths);
    vb_add("/snapshot/lookup-current-list", test_lookup_current_list);
    vb_add("/snapshot/parent-children", test_parent_children);
    vb_add("/snapshot/revert", test_revert);
    vb_add("/snapshot/delete", test_delete);
    vb_add("/snapshot/missing-path", test_missing_snapshot_path);

    return vb_run();
}
