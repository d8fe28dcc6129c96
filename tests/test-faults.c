/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvirtd killed while a save is in flight, with a real libvirtd and a real
 * QEMU guest (TCG, diskless) started by this program (tests/libvirtd), and
 * the test-only delay before the save (-Dtest_delay_seam=true), so the test
 * knows the call is on a worker when libvirtd goes: the caller gets an
 * error, nothing hangs, and once libvirtd is back the table is libvirt's
 * again. Needs root; skips otherwise.
 */
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "watch-util.h"

#define QEMU_PATH "/org/libvirt/QEMU"
#define SEAM_PATH "/org/virtbus/Test"
#define SEAM_IFACE "org.virtbus.Test"
#define WAIT_US (30 * G_USEC_PER_SEC)

static struct {
    gchar *dir;
    gchar *uri;
    gchar *script;
    gchar *connect_arg;
    const char *args[3];
    const char *env[2];
    VbDaemonOptions opts;
} lv;

static gchar *
run_argv(const char *const *argv, gboolean must_succeed)
{
    g_autoptr(GError) error = NULL;
    g_autofree gchar *out = NULL, *err = NULL;
    gint status = 0;

    g_spawn_sync(NULL, (gchar **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status, &error);
    g_assert_no_error(error);
    if (must_succeed && !g_spawn_check_wait_status(status, NULL)) {
        g_autofree gchar *cmd = g_strjoinv(" ", (gchar **)argv);
        g_error("%s failed: %s%s", cmd, out ? out : "", err ? err : "");
    }
    return g_steal_pointer(&out);
}

static gchar *
virsh(const char *a, const char *b, const char *c)
{
    const char *argv[] = { "virsh", "-q", "-c", lv.uri, a, b, c, NULL };
    return run_argv(argv, TRUE);
}

static guint
stat_get(VbFixture *f, const char *name)
{
    g_autoptr(GVariant) r = vb_call_ok(f, SEAM_PATH, SEAM_IFACE, "Stats", NULL, "(a{su})");
    g_autoptr(GVariant) map = g_variant_get_child_value(r, 0);
    guint32 v = 0;
    g_assert_true(g_variant_lookup(map, name, "u", &v));
    return v;
}

static void
wait_until(VbFixture *f, gboolean (*cond)(VbFixture *f), const char *what)
{
    gint64 deadline = g_get_monotonic_time() + WAIT_US;
    while (!cond(f)) {
        if (g_get_monotonic_time() > deadline)
            g_error("timed out waiting until %s", what);
        g_usleep(20000);
    }
}

static gboolean
connected(VbFixture *f)
{
    return vb_get_bool(f, QEMU_PATH, VB_IFACE_CONNECT, "Connected");
}

static gboolean
disconnected(VbFixture *f)
{
    return !connected(f);
}

static gboolean
save_on_worker(VbFixture *f)
{
    return stat_get(f, "pool-pending") == 1;
}

static gboolean
no_calls(VbFixture *f)
{
    return stat_get(f, "calls") == 0 && stat_get(f, "pool-pending") == 0;
}

static void
on_reply(GObject *source, GAsyncResult *res, gpointer data)
{
    GError **error = data;
    g_autoptr(GVariant) r = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, error);
    if (!*error)
        *error = g_error_new_literal(G_IO_ERROR, G_IO_ERROR_FAILED, "the save succeeded");
}

static void
test_kill_during_save(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *uuid = g_uuid_string_random();
    g_autofree gchar *xml = g_strdup_printf("<domain type='qemu'><name>vb-fault</name><uuid>%s</uuid>"
                                            "<memory unit='MiB'>128</memory>"
                                            "<os><type arch='x86_64' machine='pc'>hvm</type></os></domain>",
                                            uuid);
    g_autofree gchar *image = g_build_filename(lv.dir, "vb-fault.save", NULL);
    GError *error = NULL;

    wait_until(f, connected, "virtbusd is connected");
    g_autoptr(GVariant) r = vb_call_ok(f, QEMU_PATH, VB_IFACE_CONNECT, "DomainDefineXML", g_variant_new("(s)", xml),
                                       "(o)");
    const char *path;
    g_variant_get(r, "(&o)", &path);
    g_autoptr(GVariant) c = vb_call_ok(f, path, VB_IFACE_DOMAIN, "Create", g_variant_new("(u)", 0), "()");

    g_dbus_connection_call(f->bus, VB_BUS_NAME, path, VB_IFACE_DOMAIN, "Save", g_variant_new("(ssu)", image, "", 0),
                           NULL, G_DBUS_CALL_FLAGS_NONE, 60000, NULL, on_reply, &error);
    /* On a worker, held by the delay: libvirtd goes now. */
    wait_until(f, save_on_worker, "the save is on a worker");
    const char *kill_argv[] = { lv.script, "stop", "--kill", lv.dir, NULL };
    g_free(run_argv(kill_argv, TRUE));
    wait_until(f, disconnected, "virtbusd sees libvirtd gone");

    /* The caller gets libvirt's error, in bounded time. */
    gint64 deadline = g_get_monotonic_time() + WAIT_US;
    while (!error) {
        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
        g_main_context_iteration(NULL, TRUE);
    }
    g_autofree gchar *name = g_dbus_error_get_remote_error(error);
    g_test_message("the save failed with %s: %s", name, error->message);
    /* libvirt's own error for a call on a connection whose socket closed
     * ("internal error: client socket is closed"). */
    g_assert_cmpstr(name, ==, VB_ERR_INTERNAL);
    g_clear_error(&error);
    wait_until(f, no_calls, "no call is left");

    /* libvirtd back: the guest still runs (QEMU outlived libvirtd), and
     * the table says what libvirt says. */
    const char *start_argv[] = { lv.script, "start", lv.dir, NULL };
    g_free(run_argv(start_argv, TRUE));
    wait_until(f, connected, "virtbusd is connected again");
    g_autofree gchar *state = virsh("domstate", "vb-fault", NULL);
    g_assert_true(g_str_has_prefix(state, "running"));
    gint64 until = g_get_monotonic_time() + WAIT_US;
    for (;;) {
        gint st, reason;
        vb_get_state(f, path, &st, &reason);
        if (st == VIR_DOMAIN_RUNNING)
            break;
        g_assert_cmpint(g_get_monotonic_time(), <, until);
        g_usleep(50000);
    }
    /* And it serves again: the save works now. */
    g_autoptr(GVariant) s = vb_call_ok(f, path, VB_IFACE_DOMAIN, "Destroy", g_variant_new("(u)", 0), "()");
    g_autoptr(GVariant) u = vb_call_ok(f, path, VB_IFACE_DOMAIN, "Undefine", g_variant_new("(u)", 0), "()");
}

static void
skip_case(gconstpointer reason)
{
    g_test_skip(reason);
}

int
main(int argc, char **argv)
{
    const char *srcdir = g_getenv("VIRTBUS_SRCDIR");
    gboolean owner = FALSE;
    const char *why = NULL;
    int ret;

    vb_init(&argc, &argv);
    lv.script = g_build_filename(srcdir ? srcdir : ".", "tests", "libvirtd", "start-libvirtd", NULL);
    if (geteuid() != 0)
        why = "needs root (a private libvirtd in its own mount namespace)";
    else if (!vb_have_delay_seam())
        why = "virtbusd was built without -Dtest_delay_seam=true";
    else if (vb_reference_mode())
        why = "libvirt-dbus has no reconnection to test";
    else if (!g_find_program_in_path("virsh") || !g_file_test(lv.script, G_FILE_TEST_IS_EXECUTABLE))
        why = "needs virsh and tests/libvirtd/start-libvirtd";

    if (!why && !g_test_subprocess()) {
        lv.dir = g_strdup("/var/tmp/virtbus-faults-XXXXXX");
        g_assert_nonnull(g_mkdtemp(lv.dir));
        const char *start[] = { lv.script, "start", lv.dir, NULL };
        g_free(run_argv(start, TRUE));
        g_setenv("VIRTBUS_FAULTS_DIR", lv.dir, TRUE);
        owner = TRUE;
    }
    if (!why) {
        g_free(lv.dir);
        lv.dir = g_strdup(g_getenv("VIRTBUS_FAULTS_DIR"));
        lv.uri = g_strdup_printf("qemu+unix:///system?socket=%s/run/libvirt/libvirt-sock", lv.dir);
        lv.connect_arg = g_strdup_printf("QEMU=%s", lv.uri);
        lv.args[0] = "--connect";
        lv.args[1] = lv.connect_arg;
        lv.env[0] = "VIRTBUS_TEST_DELAY_MS=3000";
        lv.opts.extra_args = lv.args;
        lv.opts.extra_env = lv.env;
        vb_add_virtbusd_only_full("/faults/libvirtd-killed-during-save", &lv.opts, test_kill_during_save);
    } else
        g_test_add_data_func("/faults/libvirtd-killed-during-save", why, skip_case);

    ret = vb_run();
    if (owner) {
        const char *stop[] = { lv.script, "stop", "--guests", lv.dir, NULL };
        const char *rm[] = { "rm", "-rf", lv.dir, NULL };
        g_free(run_argv(stop, FALSE));
        g_free(run_argv(rm, FALSE));
    }
    return ret;
}
