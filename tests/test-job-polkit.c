/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Who may cancel a job, with a real polkitd and a real other user
 * (polkit-harness.h): Job.Cancel needs the permission of the operation
 * itself. alice may take snapshots but not save domains; root's save and
 * root's snapshot are held at the barrier seam (job-util.h) while she
 * tries:
 *   - she sees the save's job but cannot cancel it (domain.hibernate is
 *     refused), and the save goes on to the end;
 *   - she can cancel the snapshot, which then fails with libvirt's
 *     OperationAborted. */
#include "job-util.h"
#include "polkit-harness.h"

#define TEST_DOMAIN_PATH VB_TEST_PATH "/domain/_6695eb01_f6a4_8304_79aa_97f2502e193f"
#define ACTION_PREFIX "org.libvirt.dbus."
#define WAIT_MS 20000

static const char *const barrier_env[] = { VJ_BARRIER_ENV, NULL };
static const VbDaemonOptions barrier_opts = { .extra_env = barrier_env };

static const char alice_rule[] =
    "polkit.addRule(function(action, subject) {\n"
    "    if (subject.user != \"" VBP_USER_ALICE "\")\n"
    "        return polkit.Result.NOT_HANDLED;\n"
    "    if (action.id == \"" ACTION_PREFIX "domain.snapshot\")\n"
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
    ret = vb_run();
    vbp_cleanup();
    return ret;
}
