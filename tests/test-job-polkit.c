/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Who may cancel a job, with a real polkitd and a real other user
 * (polkit-harness.h): Job.Cancel needs the permission of the operation
 * itself. alice may take snapshots but not save domains; root's save and
 * root's snapshot are held at the barrier seam (job-util.h) while she
 * tries:
 *   - she sees the save's job but cannot cancel it (domain.hibernate is
 *     refused), and the save goes on to the end;
 *   - she can cancel the snapshot, which then fails with libvirt's
 *     OperationAborted.
 * And UndefineWithStorage needs, besides domain.delete, storage-vol.delete
 * on every volume it removes and storage-vol.format on each to wipe it,
 * each asked with that volume's details: refused, it removes nothing. */
#include "job-util.h"
#include "polkit-harness.h"

#define TEST_DOMAIN_PATH VB_TEST_PATH "/domain/_6695eb01_f6a4_8304_79aa_97f2502e193f"
#define ACTION_PREFIX "org.libvirt.dbus."
#define WAIT_MS 20000

static const char *const barrier_env[] = { VJ_BARRIER_ENV, NULL };
static const VbpOptions barrier_opts = { .extra_env = barrier_env };

static const char alice_rule[] =
    "polkit.addRule(function(action, subject) {\n"
    "    if (subject.user != \"" VBP_USER_ALICE "\")\n"
    "        return polkit.Result.NOT_HANDLED;\n"
    "    if (action.id == \"" ACTION_PREFIX "domain.snapshot\" ||\n"
    "        action.id == \"" ACTION_PREFIX "domain.write\")\n"
    "        return polkit.Result.YES;\n"
    "    if (action.id == \"" ACTION_PREFIX "domain.hibernate\")\n"
    "        return polkit.Result.NO;\n"
    "    return polkit.Result.NOT_HANDLED;\n"
    "});\n";

static gboolean
completed(VbFixture *f, const char *job, gchar **message)
{
    gboolean ok = FALSE;

    if (!vj_wait_completed(f, job, &ok, message, WAIT_MS)) {
        g_autofree gchar *seen = vb_signals_describe(f);
        g_error("no Completed for %s; signals:%s", job, seen);
    }
    return ok;
}

static void
test_cancel_needs_the_operations_permission(VbpFixture *pf)
{
    VbFixture *f = &pf->vb;
    g_autofree gchar *image = g_build_filename(f->tmpdir, "root.save", NULL);
    VjAsync save, snapshot;

    vbp_polkit_set_rule(pf->polkit, "40-alice.rules", alice_rule);
    g_autoptr(VbpCaller) alice = vbp_caller_new(VBP_USER_ALICE);

    /* root's save: alice sees its job, and may not cancel it. */
    vj_barrier_arm(f, "save");
    vj_call_async(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "Save", g_variant_new("(ssu)", image, "", 0), &save);
    int fd = vj_barrier_wait(f, "save", WAIT_MS);
    g_autofree gchar *saving = vj_wait_job_added(f, TEST_DOMAIN_PATH, NULL, WAIT_MS);
    g_autoptr(GVariant) seen = vbp_call_ok(alice, saving, VB_IFACE_PROPERTIES, "Get",
                                           g_variant_new("(ss)", VJ_IFACE_JOB, "Operation"));
    g_autoptr(GVariant) seen_op = g_variant_get_child_value(seen, 0);
    g_autoptr(GVariant) op_value = g_variant_get_variant(seen_op);
    g_assert_cmpstr(g_variant_get_string(op_value, NULL), ==, "save");
    g_autoptr(VbpReply) refused = vbp_call_err(alice, saving, VJ_IFACE_JOB, "Cancel", NULL, VBP_DBUS_ACCESS_DENIED);
    g_autofree gchar *action = vbp_reply_action(refused);
    g_assert_cmpstr(action, ==, ACTION_PREFIX "domain.hibernate");
    vj_barrier_release(f, "save", fd);
    vj_async_wait(&save, WAIT_MS);
    g_assert_no_error(save.error);
    g_assert_true(completed(f, saving, NULL));
    vj_async_clear(&save);

    /* root's snapshot (of the domain restored first): alice may take
     * snapshots, so she may cancel one. */
    g_autoptr(GVariant) r = vb_call_ok(f, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainRestore",
                                       g_variant_new("(ssu)", image, "", 0), "()");
    vj_barrier_arm(f, "snapshot");
    vj_call_async(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "SnapshotCreateXML",
                  g_variant_new("(su)", "<domainsnapshot><name>held</name></domainsnapshot>", 0), &snapshot);
    fd = vj_barrier_wait(f, "snapshot", WAIT_MS);
    g_autofree gchar *snapping = NULL;
    for (;;) {
        /* The restore's job came and went before this one. */
        g_autoptr(GVariant) props = NULL;
        const char *op;
        g_free(snapping);
        snapping = vj_wait_job_added(f, TEST_DOMAIN_PATH, &props, WAIT_MS);
        g_assert_true(g_variant_lookup(props, "Operation", "&s", &op));
        if (g_str_equal(op, "snapshot"))
            break;
    }
    g_autoptr(GVariant) canceled = vbp_call_ok(alice, snapping, VJ_IFACE_JOB, "Cancel", NULL);
    vj_barrier_release(f, "snapshot", fd);
    vj_async_wait(&snapshot, WAIT_MS);
    vb_assert_error(snapshot.error, VJ_ERR_OPERATION_ABORTED);
    g_assert_false(completed(f, snapping, NULL));
    /* libvirt was never asked: there is no such snapshot. */
    g_autoptr(GError) none = vb_call_err(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "SnapshotLookupByName",
                                         g_variant_new("(su)", "held", 0));
    vb_assert_error(none, VB_ERR_NO_SNAPSHOT);
    vj_async_clear(&snapshot);
}

/* Whether the project's polkit policy has @action: polkitd refuses an
 * action it does not know to everybody, whatever the rules say. */
static gboolean
policy_has(const char *action)
{
    g_autofree gchar *file = g_build_filename(g_getenv("VIRTBUS_SRCDIR"), "polkit", "org.libvirt.dbus.policy.in",
                                              NULL);
    g_autofree gchar *text = NULL;
    g_autofree gchar *id = g_strdup_printf("id=\"%s\"", action);

    return g_file_get_contents(file, &text, NULL, NULL) && strstr(text, id);
}

static const char *
volume_rule(gboolean may_delete, gboolean may_format)
{
    static gchar *rule;

    g_free(rule);
    rule = g_strdup_printf("polkit.addRule(function(action, subject) {\n"
                           "    if (subject.user != \"" VBP_USER_ALICE "\")\n"
                           "        return polkit.Result.NOT_HANDLED;\n"
                           "    if (action.id == \"" ACTION_PREFIX "domain.delete\")\n"
                           "        return polkit.Result.YES;\n"
                           "    if (action.id == \"" ACTION_PREFIX "storage-vol.delete\")\n"
                           "        return action.lookup(\"vol_name\") == \"vq-disk.img\" && %s\n"
                           "            ? polkit.Result.YES : polkit.Result.NO;\n"
                           "    if (action.id == \"" ACTION_PREFIX "storage-vol.format\")\n"
                           "        return %s ? polkit.Result.YES : polkit.Result.NO;\n"
                           "    return polkit.Result.NOT_HANDLED;\n"
                           "});\n",
                           may_delete ? "true" : "false", may_format ? "true" : "false");
    return rule;
}

static gchar *
call_path(VbFixture *f, const char *path, const char *iface, const char *method, GVariant *args)
{
    g_autoptr(GVariant) r = vb_call_ok(f, path, iface, method, args, "(o)");
    gchar *p;

    g_variant_get(r, "(o)", &p);
    return p;
}

static void
test_removal_needs_volume_permissions(VbpFixture *pf)
{
    VbFixture *f = &pf->vb;

    /* A guest of the test driver whose disk is a volume of its pool. */
    g_autofree gchar *pool = call_path(f, VB_TEST_PATH, VB_IFACE_CONNECT, "StoragePoolLookupByName",
                                       g_variant_new("(s)", "default-pool"));
    g_autofree gchar *vol = call_path(f, pool, "org.libvirt.StoragePool", "StorageVolCreateXML",
                                      g_variant_new("(su)", "<volume><name>vq-disk.img</name>"
                                                    "<capacity unit='M'>16</capacity></volume>", 0));
    g_autoptr(GVariant) pv = vb_get_property(f, vol, "org.libvirt.StorageVol", "Path");
    const char *file = g_variant_get_string(pv, NULL);
    g_autofree gchar *xml = g_strdup_printf("<domain type='test'><name>vq-removed</name><memory>65536</memory>"
                                            "<os><type>hvm</type></os><devices><disk type='file' device='disk'>"
                                            "<source file='%s'/><target dev='vda'/></disk></devices></domain>",
                                            file);
    g_autofree gchar *dom = call_path(f, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainDefineXML",
                                      g_variant_new("(s)", xml));

    /* Without storage-vol.delete on the volume: nothing goes. */
    vbp_polkit_set_rule(pf->polkit, "40-alice.rules", volume_rule(FALSE, TRUE));
    {
        g_autoptr(VbpCaller) alice = vbp_caller_new(VBP_USER_ALICE);
        g_autoptr(VbpReply) r = vbp_call_err(alice, dom, VB_IFACE_DOMAIN, "UndefineWithStorage",
                                             g_variant_new("(su)", "", 0), VBP_DBUS_ACCESS_DENIED);
        g_autofree gchar *action = vbp_reply_action(r);
        g_assert_cmpstr(action, ==, ACTION_PREFIX "storage-vol.delete");
    }
    /* Without storage-vol.format, no wipe. */
    vbp_polkit_set_rule(pf->polkit, "40-alice.rules", volume_rule(TRUE, FALSE));
    {
        g_autoptr(VbpCaller) alice = vbp_caller_new(VBP_USER_ALICE);
        g_autoptr(VbpReply) r = vbp_call_err(alice, dom, VB_IFACE_DOMAIN, "UndefineWithStorage",
                                             g_variant_new("(su)", "zero", 0), VBP_DBUS_ACCESS_DENIED);
        g_autofree gchar *action = vbp_reply_action(r);
        g_assert_cmpstr(action, ==, ACTION_PREFIX "storage-vol.format");
        g_autofree gchar *still = vb_get_xml(f, dom);
        g_autoptr(GVariant) found = vb_call_ok(f, pool, "org.libvirt.StoragePool", "StorageVolLookupByName",
                                               g_variant_new("(s)", "vq-disk.img"), "(o)");

        /* With both, alice removes the guest and its volume. */
        g_autoptr(GVariant) removed = vbp_call_ok(alice, dom, VB_IFACE_DOMAIN, "UndefineWithStorage",
                                                  g_variant_new("(su)", "", 0));
        g_autoptr(GVariant) paths = g_variant_get_child_value(removed, 0);
        g_assert_cmpuint(g_variant_n_children(paths), ==, 1);
    }
    g_autoptr(GError) gone = vb_call_err(f, dom, VB_IFACE_DOMAIN, "GetXMLDesc", g_variant_new("(u)", 0));
    vb_assert_unknown_object(gone);
    g_autoptr(GError) no_vol = vb_call_err(f, pool, "org.libvirt.StoragePool", "StorageVolLookupByName",
                                           g_variant_new("(s)", "vq-disk.img"));
    vb_assert_error(no_vol, VB_ERROR_PREFIX "NoStorageVol");
}

static void
skip_case(gconstpointer reason)
{
    g_test_skip(reason);
}

int
main(int argc, char **argv)
{
    int ret;

    vbp_caller_main_maybe(argc, argv);
    vbp_init(&argc, &argv);
    if (!vb_have_delay_seam())
        g_test_add_data_func("/job-polkit/cancel", "needs the test seam (meson setup -Dtest_delay_seam=true)",
                             skip_case);
    else
        vbp_add_full("/job-polkit/cancel", &barrier_opts, test_cancel_needs_the_operations_permission);
    if (!policy_has(ACTION_PREFIX "storage-vol.delete") || !policy_has(ACTION_PREFIX "storage-vol.format"))
        g_test_add_data_func("/job-polkit/removal-with-storage", "the polkit policy has no storage-vol actions",
                             skip_case);
    else
        vbp_add("/job-polkit/removal-with-storage", test_removal_needs_volume_permissions);
    ret = vb_run();
    vbp_cleanup();
    return ret;
}
