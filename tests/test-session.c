/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtbusd in libvirt-dbus's place on a session bus: started as plain
 * "virtbusd --session" (its default connections, no --connect), on a
 * private session bus, a client written for libvirt-dbus finds
 * /org/libvirt/Test and drives a domain through it.
 */
#include <gio/gio.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#define BUS_NAME "org.libvirt"
#define TEST_PATH "/org/libvirt/Test"

static gchar *tmpdir;
static gchar *address;
static GPid bus_pid, daemon_pid;

static void
child_setup(gpointer data)
{
    prctl(PR_SET_PDEATHSIG, SIGTERM);
}

static void
start_bus(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree gchar *conf = g_build_filename(tmpdir, "session.conf", NULL);
    g_autofree gchar *text = g_strdup_printf(
        "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
        " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
        "<busconfig><type>session</type><listen>unix:path=%s/bus</listen>"
        "<auth>EXTERNAL</auth><policy context=\"default\"><allow send_destination=\"*\"/>"
        "<allow eavesdrop=\"true\"/><allow own=\"*\"/></policy></busconfig>\n",
        tmpdir);
    const gchar *argv[] = { "dbus-daemon", "--nofork", "--config-file", conf, NULL };

    g_file_set_contents(conf, text, -1, &error);
    g_assert_no_error(error);
    g_spawn_async(NULL, (gchar **)argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD,
                  child_setup, NULL, &bus_pid, &error);
    g_assert_no_error(error);
    address = g_strdup_printf("unix:path=%s/bus", tmpdir);
    for (int i = 0; i < 200 && !g_file_test(address + strlen("unix:path="), G_FILE_TEST_EXISTS); i++)
        g_usleep(10000);
}

static GDBusConnection *
connect_bus(void)
{
    g_autoptr(GError) error = NULL;
    GDBusConnection *c = g_dbus_connection_new_for_address_sync(
        address, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
        NULL, NULL, &error);
    g_assert_no_error(error);
    return c;
}

static GVariant *
call(GDBusConnection *c, const char *path, const char *iface, const char *method, GVariant *args,
     GError **error)
{
    return g_dbus_connection_call_sync(c, BUS_NAME, path, iface, method, args, NULL,
                                       G_DBUS_CALL_FLAGS_NONE, 25000, NULL, error);
}

typedef struct {
    gint event, detail;
    gboolean seen;
} Want;

static void
on_domain_event(GDBusConnection *c, const gchar *sender, const gchar *path, const gchar *iface,
                const gchar *signal, GVariant *params, gpointer data)
{
    Want *w = data;
    const gchar *dom;
    gint event, detail;

    g_variant_get(params, "(&oii)", &dom, &event, &detail);
    if (event == w->event && detail == w->detail)
        w->seen = TRUE;
}

static void
wait_seen(Want *w)
{
    gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

    while (!w->seen && g_get_monotonic_time() < deadline)
        g_main_context_iteration(NULL, FALSE), g_usleep(1000);
    g_assert_true(w->seen);
}

static void
test_session_defaults(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GDBusConnection) c = NULL;
    g_autoptr(GVariant) list = NULL, path = NULL, state = NULL;
    const gchar *argv[] = { g_getenv("VIRTBUSD"), "--session", NULL };
    g_auto(GStrv) envp = g_environ_setenv(g_get_environ(), "DBUS_SESSION_BUS_ADDRESS", address, TRUE);
    Want started = { 2 /* STARTED */, 0 /* BOOTED */ }, stopped = { 5 /* STOPPED */, 1 /* DESTROYED */ };
    const gchar *dom;
    int status;

    g_assert_nonnull(argv[0]);
    g_spawn_async(NULL, (gchar **)argv, envp, G_SPAWN_DO_NOT_REAP_CHILD, child_setup, NULL,
                  &daemon_pid, &error);
    g_assert_no_error(error);
    c = connect_bus();

    /* The first call waits for the Test connection's first attempt. */
    for (int i = 0; i < 500 && !list; i++) {
        g_clear_error(&error);
        list = call(c, TEST_PATH, "org.libvirt.Connect", "ListDomains", g_variant_new("(u)", 0), &error);
        if (!list)
            g_usleep(20000);
    }
    g_assert_no_error(error);
    g_assert_cmpuint(g_variant_n_children(g_variant_get_child_value(list, 0)), ==, 1);

    guint s1 = g_dbus_connection_signal_subscribe(c, BUS_NAME, "org.libvirt.Connect", "DomainEvent",
                                                  TEST_PATH, NULL, 0, on_domain_event, &started, NULL);
    guint s2 = g_dbus_connection_signal_subscribe(c, BUS_NAME, "org.libvirt.Connect", "DomainEvent",
                                                  TEST_PATH, NULL, 0, on_domain_event, &stopped, NULL);
    path = call(c, TEST_PATH, "org.libvirt.Connect", "DomainCreateXML",
                g_variant_new("(su)", "<domain type='test'><name>session-1</name><memory>8192</memory>"
                                      "<os><type>hvm</type></os></domain>", 0), &error);
    g_assert_no_error(error);
    g_variant_get(path, "(&o)", &dom);
    wait_seen(&started);
    state = call(c, dom, "org.libvirt.Domain", "GetState", g_variant_new("(u)", 0), &error);
    g_assert_no_error(error);
    gint st, rs;
    g_variant_get(state, "((ii))", &st, &rs);
    g_assert_cmpint(st, ==, 1 /* RUNNING */);
    g_autoptr(GVariant) done = call(c, dom, "org.libvirt.Domain", "Destroy", g_variant_new("(u)", 0), &error);
    g_assert_no_error(error);
    wait_seen(&stopped);
    g_dbus_connection_signal_unsubscribe(c, s1);
    g_dbus_connection_signal_unsubscribe(c, s2);

    kill(daemon_pid, SIGTERM);
    g_assert_cmpint(waitpid(daemon_pid, &status, 0), ==, daemon_pid);
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 0);
    daemon_pid = 0;
}

int
main(int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    int r;

    g_test_init(&argc, &argv, NULL);
    tmpdir = g_dir_make_tmp("vb-session-XXXXXX", &error);
    g_assert_no_error(error);
    start_bus();
    g_test_add_func("/session/defaults", test_session_defaults);
    r = g_test_run();
    if (daemon_pid)
        kill(daemon_pid, SIGKILL);
    kill(bus_pid, SIGTERM);
    waitpid(bus_pid, NULL, 0);
    g_autofree gchar *conf = g_build_filename(tmpdir, "session.conf", NULL);
    g_autofree gchar *sock = g_build_filename(tmpdir, "bus", NULL);
    unlink(conf);
    unlink(sock);
    g_rmdir(tmpdir);
    return r;
}
