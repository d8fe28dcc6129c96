/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The service manager protocol: virtbusd run with NOTIFY_SOCKET, WATCHDOG_USEC
 * and WATCHDOG_PID (as systemd sets them for Type=notify with WatchdogSec=)
 * sends READY=1 once it owns its name, keeps sending WATCHDOG=1 from its loop
 * while a long libvirt operation is in flight, and STOPPING=1 on SIGTERM.
 */
#include <errno.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "harness.h"

static gchar *tmpdir;
static gchar *notify_path;
static int notify_fd = -1;

/* Everything received on the notify socket within @ms, appended to @log. */
static void
drain(GString *log, guint ms)
{
    gint64 until = g_get_monotonic_time() + (gint64)ms * 1000;

    do {
        char buf[4096];
        ssize_t n = recv(notify_fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
        if (n > 0) {
            buf[n] = 0;
            g_string_append(log, buf);
            g_string_append_c(log, '\n');
            continue;
        }
        g_usleep(5000);
    } while (g_get_monotonic_time() < until);
}

static guint
count_lines(const char *log, const char *line)
{
    g_auto(GStrv) lines = g_strsplit(log, "\n", -1);
    guint n = 0;

    for (gchar **l = lines; *l; l++)
        n += g_str_equal(*l, line);
    return n;
}

static void
on_save_done(GObject *source, GAsyncResult *res, gpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);

    g_assert_no_error(error);
    *(gboolean *)data = TRUE;
}

static void
test_watchdog(VbFixture *f, gconstpointer data)
{
    g_autoptr(GString) log = g_string_new(NULL);
    g_autofree gchar *dom = vb_domain_path(f, VB_TEST_DOMAIN_NAME);
    g_autofree gchar *image = g_build_filename(f->tmpdir, "test.save", NULL);
    gboolean saved = FALSE;

    /* READY=1 follows owning the name, which the harness waited for. */
    drain(log, 500);
    g_assert_cmpuint(count_lines(log->str, "READY=1"), ==, 1);
    g_string_truncate(log, 0);

    /* A save held on its worker for 3 s (the test delay seam): the loop
     * goes on, and so do its watchdog pings (WATCHDOG_USEC is 400 ms, so
     * sd-event pings at least every 200 ms). */
    g_dbus_connection_call(f->bus, VB_BUS_NAME, dom, VB_IFACE_DOMAIN, "Save",
                           g_variant_new("(ssu)", image, "", 0), NULL, G_DBUS_CALL_FLAGS_NONE,
                           VB_CALL_TIMEOUT_MS, NULL, on_save_done, &saved);
    for (int i = 0; i < 20; i++) {
        drain(log, 100);
        vb_process_events(f);
    }
    g_assert_false(saved);
    g_assert_cmpuint(count_lines(log->str, "WATCHDOG=1"), >=, 5);

    while (!saved)
        g_main_context_iteration(NULL, TRUE);
    vb_assert_state(f, dom, 5 /* VIR_DOMAIN_SHUTOFF */);

    /* STOPPING=1 on SIGTERM. */
    g_string_truncate(log, 0);
    vb_stop_daemon(f);
    drain(log, 200);
    g_assert_cmpuint(count_lines(log->str, "STOPPING=1"), ==, 1);
}

static void
skip_case(void)
{
    g_test_skip("needs virtbusd built with -Dtest_delay_seam=true");
}

int
main(int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    g_autofree gchar *wrapper = NULL;
    g_autofree gchar *script = NULL;
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int r;

    vb_init(&argc, &argv);
    if (vb_reference_mode() || !vb_have_delay_seam()) {
        /* libvirt-dbus speaks no notify protocol; without the seam nothing
         * holds a save in flight. */
        g_test_add_func("/notify/watchdog", skip_case);
        return vb_run();
    }

    tmpdir = g_dir_make_tmp("vb-notify-XXXXXX", &error);
    g_assert_no_error(error);
    notify_path = g_build_filename(tmpdir, "notify", NULL);
    notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    g_assert_cmpint(notify_fd, >=, 0);
    g_strlcpy(sa.sun_path, notify_path, sizeof(sa.sun_path));
    r = bind(notify_fd, (struct sockaddr *)&sa, sizeof(sa));
    g_assert_cmpint(r, ==, 0);

    /* WATCHDOG_PID must be the service's own pid, as systemd sets it: a
     * shell that execs the daemon keeps its pid. */
    wrapper = g_build_filename(tmpdir, "virtbusd-wrapper", NULL);
    script = g_strdup_printf("#!/bin/sh\nWATCHDOG_PID=$$ exec '%s' \"$@\"\n", g_getenv("VIRTBUSD"));
    g_file_set_contents(wrapper, script, -1, &error);
    g_assert_no_error(error);
    g_chmod(wrapper, 0755);
    g_setenv("VIRTBUSD", wrapper, TRUE);

    static const char *env[5];
    env[0] = g_strdup_printf("NOTIFY_SOCKET=%s", notify_path);
    env[1] = "WATCHDOG_USEC=400000";
    env[2] = "VIRTBUS_TEST_DELAY_MS=3000";
    env[3] = NULL;
    static VbDaemonOptions opts = { .extra_env = env };
    vb_add_full("/notify/watchdog", &opts, test_watchdog);

    r = vb_run();
    close(notify_fd);
    unlink(notify_path);
    unlink(wrapper);
    g_rmdir(tmpdir);
    return r;
}
