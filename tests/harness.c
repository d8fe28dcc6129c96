/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "harness.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define DAEMON_START_TIMEOUT_US (10 * G_USEC_PER_SEC)
#define DAEMON_STOP_TIMEOUT_US (2 * G_USEC_PER_SEC)

static struct {
    gboolean reference;
    gchar *dir;
    gchar *address;
    GPid pid;
} bus;

gboolean
vb_reference_mode(void)
{
    return bus.reference;
}

gboolean
vb_options_reference(const VbDaemonOptions *opts)
{
    if (opts && opts->daemon == VB_DAEMON_VIRTBUSD)
        return FALSE;
    if (opts && opts->daemon == VB_DAEMON_REFERENCE)
        return TRUE;
    return bus.reference;
}

gboolean
vb_have_delay_seam(void)
{
    return g_strcmp0(g_getenv("VIRTBUS_HAVE_DELAY_SEAM"), "1") == 0;
}

const char *
vb_bus_address(void)
{
    return bus.address;
}

/* Children die with the test program, even when an assertion aborts it, so
 * nothing outlives a failed run. Their stdout goes to stderr: stdout carries
 * the TAP stream. */
static void
child_setup_service(gpointer data)
{
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    dup2(STDERR_FILENO, STDOUT_FILENO);
}

static void
child_setup_bus(gpointer data)
{
    prctl(PR_SET_PDEATHSIG, SIGTERM);
}

void
vb_remove_tree(const char *path)
{
    GDir *dir = g_dir_open(path, 0, NULL);
    if (dir) {
        const char *name;
        while ((name = g_dir_read_name(dir))) {
            g_autofree gchar *child = g_build_filename(path, name, NULL);
            if (g_file_test(child, G_FILE_TEST_IS_DIR) && !g_file_test(child, G_FILE_TEST_IS_SYMLINK))
                vb_remove_tree(child);
            else
                unlink(child);
        }
        g_dir_close(dir);
    }
    rmdir(path);
}

/* Kills @pid with @sig and reaps it, waiting at most @timeout_us. Returns the
 * wait status, or -1 if it did not exit in time (it is then killed hard). */
static int
kill_and_reap(GPid pid, int sig, gint64 timeout_us)
{
    int status = 0;
    gint64 deadline = g_get_monotonic_time() + timeout_us;

    kill(pid, sig);
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return status;
        if (r < 0 && errno != EINTR)
            return -1;
        if (g_get_monotonic_time() > deadline)
            break;
        g_usleep(5000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
}

static gchar *
bus_config(const char *dir)
{
    GString *s = g_string_new(NULL);
    const char *srcdir = g_getenv("VIRTBUS_SRCDIR");

    g_string_append_printf(s,
        "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
        " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
        "<busconfig>\n"
        "  <type>system</type>\n"
        "  <listen>unix:path=%s/bus</listen>\n"
        "  <auth>EXTERNAL</auth>\n"
        /* The system bus's default policy: deny by default, holes punched
         * per service. */
        "  <policy context=\"default\">\n"
        "    <allow user=\"*\"/>\n"
        "    <deny own=\"*\"/>\n"
        "    <deny send_type=\"method_call\"/>\n"
        "    <allow send_type=\"signal\"/>\n"
        "    <allow send_requested_reply=\"true\" send_type=\"method_return\"/>\n"
        "    <allow send_requested_reply=\"true\" send_type=\"error\"/>\n"
        "    <allow receive_type=\"method_call\"/>\n"
        "    <allow receive_type=\"method_return\"/>\n"
        "    <allow receive_type=\"error\"/>\n"
        "    <allow receive_type=\"signal\"/>\n"
        "    <allow send_destination=\"org.freedesktop.DBus\"\n"
        "           send_interface=\"org.freedesktop.DBus\"/>\n"
        "    <allow send_destination=\"org.freedesktop.DBus\"\n"
        "           send_interface=\"org.freedesktop.DBus.Introspectable\"/>\n"
        "    <allow send_destination=\"org.freedesktop.DBus\"\n"
        "           send_interface=\"org.freedesktop.DBus.Properties\"/>\n"
        "    <deny send_destination=\"org.freedesktop.DBus\"\n"
        "          send_interface=\"org.freedesktop.DBus\"\n"
        "          send_member=\"UpdateActivationEnvironment\"/>\n"
        "    <allow send_destination=\"org.libvirt\"/>\n"
        "    <allow send_destination=\"org.freedesktop.PolicyKit1\"/>\n"
        "  </policy>\n"
        "  <policy user=\"root\">\n"
        "    <allow own=\"org.libvirt\"/>\n"
        "    <allow own=\"org.freedesktop.PolicyKit1\"/>\n"
        "  </policy>\n",
        dir);
    /* The project's own bus policy, as configured by the build (or a copy in
     * the source tree); the private bus applies it like the system bus would. */
    g_autofree gchar *conf = NULL;
    if (g_getenv("VIRTBUS_BUS_POLICY") && *g_getenv("VIRTBUS_BUS_POLICY"))
        conf = g_strdup(g_getenv("VIRTBUS_BUS_POLICY"));
    else if (srcdir && *srcdir)
        conf = g_build_filename(srcdir, "systemd", "org.libvirt.conf", NULL);
    if (conf) {
        g_autofree gchar *escaped = g_markup_escape_text(conf, -1);
        g_string_append_printf(s, "  <include ignore_missing=\"yes\">%s</include>\n", escaped);
    }
    g_string_append(s, "</busconfig>\n");
    return g_string_free(s, FALSE);
}

static void
bus_start(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree gchar *config = NULL;
    g_autofree gchar *config_path = NULL;
    g_autofree gchar *config_arg = NULL;
    int out_fd = -1;
    GString *line = g_string_new(NULL);

    bus.dir = g_dir_make_tmp("virtbus-test-XXXXXX", &error);
    g_assert_no_error(error);
    config = bus_config(bus.dir);
    config_path = g_build_filename(bus.dir, "bus.conf", NULL);
    g_file_set_contents(config_path, config, -1, &error);
    g_assert_no_error(error);
    config_arg = g_strdup_printf("--config-file=%s", config_path);

    const char *argv[] = { "dbus-daemon", "--nofork", "--nopidfile", config_arg,
                           "--print-address=1", NULL };
    g_spawn_async_with_pipes(NULL, (gchar **)argv, NULL,
                             G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD,
                             child_setup_bus, NULL, &bus.pid, NULL, &out_fd, NULL, &error);
    g_assert_no_error(error);

    /* dbus-daemon prints its address once it listens, or exits on error. */
    for (;;) {
        char c;
        ssize_t n = read(out_fd, &c, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || c == '\n')
            break;
        g_string_append_c(line, c);
    }
    close(out_fd);
    if (line->len == 0)
        g_error("dbus-daemon did not start (config %s)", config_path);
    bus.address = g_string_free(line, FALSE);
    g_setenv("DBUS_SYSTEM_BUS_ADDRESS", bus.address, TRUE);
}

static void
bus_stop(void)
{
    if (bus.pid > 0)
        kill_and_reap(bus.pid, SIGTERM, 5 * G_USEC_PER_SEC);
    bus.pid = 0;
    if (bus.dir)
        vb_remove_tree(bus.dir);
    g_clear_pointer(&bus.dir, g_free);
    g_clear_pointer(&bus.address, g_free);
}

void
vb_init(int *argc, char ***argv)
{
    g_test_init(argc, argv, NULL);
    /* The service's stdout is redirected; keep ours line-buffered for TAP. */
    setvbuf(stdout, NULL, _IOLBF, 0);

    bus.reference = g_strcmp0(g_getenv("VIRTBUS_REFERENCE"), "1") == 0;
    if (!bus.reference) {
        const char *daemon = g_getenv("VIRTBUSD");
        if (!daemon || !g_file_test(daemon, G_FILE_TEST_IS_EXECUTABLE))
            g_error("VIRTBUSD must name the virtbusd executable (or set VIRTBUS_REFERENCE=1)");
    }
    if (g_test_subprocess()) {
        /* A test case's child process: the parent's bus is in the environment. */
        const char *address = g_getenv("VIRTBUS_TEST_BUS_ADDRESS");
        if (!address)
            g_error("VIRTBUS_TEST_BUS_ADDRESS is not set in a test subprocess");
        bus.address = g_strdup(address);
        bus.dir = g_strdup(g_getenv("VIRTBUS_TEST_BUS_DIR"));
        g_setenv("DBUS_SYSTEM_BUS_ADDRESS", bus.address, TRUE);
        return;
    }
    bus_start();
    g_setenv("VIRTBUS_TEST_BUS_ADDRESS", bus.address, TRUE);
    g_setenv("VIRTBUS_TEST_BUS_DIR", bus.dir, TRUE);
    g_test_message("private system bus at %s (%s mode)", bus.address,
                   bus.reference ? "reference libvirt-dbus" : "virtbusd");
}

int
vb_run(void)
{
    int ret = g_test_run();
    if (!g_test_subprocess())
        bus_stop();
    return ret;
}

/* ---- test registration ---------------------------------------------------------- */

/* Each test case runs in a child process of the test program (GLib's
 * g_test_trap_subprocess), so a failed assertion fails that case only and the
 * remaining cases still run and report. The child reuses the parent's bus. */
#define CASE_TIMEOUT_US (150 * G_USEC_PER_SEC)

typedef struct {
    VbTestFunc func;
    const VbDaemonOptions *opts;
} TestCase;

static void
run_case(gconstpointer data)
{
    const TestCase *tc = data;

    if (g_test_subprocess()) {
        VbFixture f = { 0 };
        vb_fixture_setup(&f, tc->opts);
        tc->func(&f, tc->opts);
        vb_fixture_teardown(&f, tc->opts);
        return;
    }
    g_test_trap_subprocess(NULL, CASE_TIMEOUT_US, G_TEST_SUBPROCESS_INHERIT_STDERR);
    if (!g_test_trap_has_passed()) {
        g_test_message("test case failed in its subprocess (see its messages above)");
        g_test_fail();
    }
}

static void
skip_virtbusd_only(void)
{
    g_test_skip("tests a virtbusd extension that libvirt-dbus lacks");
}

/* A test case re-runs itself in a subprocess with "-p <path>", which GLib
 * treats as a prefix: no test path may be the parent of another. */
static void
check_path_unique(const char *testpath)
{
    static GPtrArray *paths;

    if (!paths)
        paths = g_ptr_array_new();
    for (guint i = 0; i < paths->len; i++) {
        const char *other = g_ptr_array_index(paths, i);
        gsize lo = strlen(other), ln = strlen(testpath);
        if ((g_str_has_prefix(testpath, other) && testpath[lo] == '/') ||
            (g_str_has_prefix(other, testpath) && other[ln] == '/') || g_str_equal(other, testpath))
            g_error("test path %s clashes with %s", testpath, other);
    }
    g_ptr_array_add(paths, (gpointer)testpath);
}

void
vb_add_full(const char *testpath, const VbDaemonOptions *opts, VbTestFunc func)
{
    TestCase *tc = g_new0(TestCase, 1);
    check_path_unique(testpath);
    tc->func = func;
    tc->opts = opts;
    g_test_add_data_func_full(testpath, tc, run_case, g_free);
}

void
vb_add(const char *testpath, VbTestFunc func)
{
    vb_add_full(testpath, NULL, func);
}

void
vb_add_virtbusd_only_full(const char *testpath, const VbDaemonOptions *opts, VbTestFunc func)
{
    if (vb_reference_mode()) {
        check_path_unique(testpath);
        g_test_add_func(testpath, skip_virtbusd_only);
    }
    else
        vb_add_full(testpath, opts, func);
}

void
vb_add_virtbusd_only(const char *testpath, VbTestFunc func)
{
    vb_add_virtbusd_only_full(testpath, NULL, func);
}

/* ---- the service ---------------------------------------------------------------- */

static void
on_signal(GDBusConnection *connection, const gchar *sender, const gchar *path,
          const gchar *iface, const gchar *member, GVariant *params, gpointer user_data)
{
    VbFixture *f = user_data;
    VbSignal *sig = g_new0(VbSignal, 1);

    sig->path = g_strdup(path);
    sig->interface = g_strdup(iface);
    sig->member = g_strdup(member);
    sig->params = g_variant_ref(params);
    g_ptr_array_add(f->signals, sig);
}

static void
signal_free(gpointer p)
{
    VbSignal *sig = p;
    g_free(sig->path);
    g_free(sig->interface);
    g_free(sig->member);
    g_variant_unref(sig->params);
    g_clear_pointer(&sig->matched_properties, g_hash_table_unref);
    g_free(sig);
}

gboolean
vb_daemon_alive(VbFixture *f)
{
    int status;
    if (f->daemon_pid <= 0)
        return FALSE;
    pid_t r = waitpid(f->daemon_pid, &status, WNOHANG);
    if (r == f->daemon_pid) {
        g_test_message("service exited unexpectedly, wait status 0x%x", status);
        f->daemon_pid = 0;
        return FALSE;
    }
    return TRUE;
}

static void
daemon_start(VbFixture *f, const VbDaemonOptions *opts)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_auto(GStrv) envp = g_get_environ();
    gint64 deadline;

    if (vb_options_reference(opts)) {
        const char *ref = g_getenv("VIRTBUS_REFERENCE_DAEMON");
        for (const char *const *a = opts ? opts->reference_wrapper : NULL; a && *a; a++)
            g_ptr_array_add(argv, (gpointer)*a);
        g_ptr_array_add(argv, (gpointer)(ref && *ref ? ref : "/usr/sbin/libvirt-dbus"));
        g_ptr_array_add(argv, (gpointer)"--system");
    } else {
        g_ptr_array_add(argv, (gpointer)g_getenv("VIRTBUSD"));
        g_ptr_array_add(argv, (gpointer)"--system");
        g_ptr_array_add(argv, (gpointer)"--connect");
        g_ptr_array_add(argv, (gpointer)"Test=test:///default");
        for (const char *const *a = opts ? opts->extra_args : NULL; a && *a; a++)
            g_ptr_array_add(argv, (gpointer)*a);
    }
    g_ptr_array_add(argv, NULL);

    envp = g_environ_setenv(envp, "DBUS_SYSTEM_BUS_ADDRESS", bus.address, TRUE);
    for (const char *const *e = opts ? opts->extra_env : NULL; e && *e; e++) {
        g_auto(GStrv) kv = g_strsplit(*e, "=", 2);
        g_autoptr(GString) value = g_string_new(kv[1] ? kv[1] : "");
        g_string_replace(value, "@TMPDIR@", f->tmpdir, 0);
        envp = g_environ_setenv(envp, kv[0], value->str, TRUE);
    }

    g_spawn_async(NULL, (gchar **)argv->pdata, envp, G_SPAWN_DO_NOT_REAP_CHILD,
                  child_setup_service, NULL, &f->daemon_pid, &error);
    g_assert_no_error(error);

    /* Ready when org.libvirt has an owner and /org/libvirt/Test answers; the
     * service opens its libvirt connections in the background. */
    deadline = g_get_monotonic_time() + DAEMON_START_TIMEOUT_US;
    for (;;) {
        g_autoptr(GError) call_error = NULL;
        g_autoptr(GVariant) reply = NULL;

        if (!vb_daemon_alive(f))
            g_error("the service exited during start-up");
        reply = g_dbus_connection_call_sync(f->bus, VB_BUS_NAME, VB_TEST_PATH, VB_IFACE_CONNECT,
                                            "ListDomains", g_variant_new("(u)", 0),
                                            G_VARIANT_TYPE("(ao)"), G_DBUS_CALL_FLAGS_NONE,
                                            2000, NULL, &call_error);
        if (reply)
            break;
        if (g_get_monotonic_time() > deadline)
            g_error("the service did not answer on %s within 10 s: %s", VB_TEST_PATH,
                    call_error->message);
        g_usleep(20000);
    }
}

void
vb_stop_daemon(VbFixture *f)
{
    int status;

    g_assert_cmpint(f->daemon_pid, >, 0);
    status = kill_and_reap(f->daemon_pid, SIGTERM, DAEMON_STOP_TIMEOUT_US);
    f->daemon_pid = 0;
    if (status == -1)
        g_error("the service did not exit within 2 s of SIGTERM");
    if (!WIFEXITED(status))
        g_error("the service did not exit cleanly on SIGTERM (wait status 0x%x%s)", status,
                WIFSIGNALED(status) ? ", killed by a signal" : "");
    g_assert_cmpint(WEXITSTATUS(status), ==, 0);
}

void
vb_restart_daemon(VbFixture *f)
{
    vb_stop_daemon(f);
    daemon_start(f, f->opts);
}

void
vb_fixture_setup(VbFixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;

    f->signals = g_ptr_array_new_with_free_func(signal_free);
    /* Inside the bus directory, which the parent removes even when a case
     * aborts. */
    f->tmpdir = g_build_filename(bus.dir, "case-XXXXXX", NULL);
    g_assert_nonnull(g_mkdtemp(f->tmpdir));
    f->bus = g_dbus_connection_new_for_address_sync(
        bus.address,
        G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
        NULL, NULL, &error);
    g_assert_no_error(error);
    g_dbus_connection_set_exit_on_close(f->bus, FALSE);

    f->opts = data;
    daemon_start(f, data);

    /* Subscribe once the name has its owner: every signal from then on is kept. */
    f->signal_sub = g_dbus_connection_signal_subscribe(f->bus, VB_BUS_NAME, NULL, NULL, NULL, NULL,
                                                       G_DBUS_SIGNAL_FLAGS_NONE, on_signal, f, NULL);
    /* A round trip makes sure the match rule is in place before the test acts. */
    g_autoptr(GVariant) r = g_dbus_connection_call_sync(f->bus, "org.freedesktop.DBus",
                                                        "/org/freedesktop/DBus",
                                                        "org.freedesktop.DBus", "GetId", NULL,
                                                        G_VARIANT_TYPE("(s)"),
                                                        G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
    g_assert_no_error(error);
    vb_process_events(f);
}

void
vb_fixture_teardown(VbFixture *f, gconstpointer data)
{
    if (f->daemon_pid > 0)
        vb_stop_daemon(f);
    if (f->bus) {
        g_dbus_connection_signal_unsubscribe(f->bus, f->signal_sub);
        g_dbus_connection_close_sync(f->bus, NULL, NULL);
        g_clear_object(&f->bus);
    }
    while (g_main_context_iteration(NULL, FALSE))
        ;
    g_clear_pointer(&f->signals, g_ptr_array_unref);
    if (f->tmpdir)
        vb_remove_tree(f->tmpdir);
    g_clear_pointer(&f->tmpdir, g_free);
}

/* ---- calls ---------------------------------------------------------------------- */

GVariant *
vb_call(VbFixture *f, const char *path, const char *iface, const char *method, GVariant *args,
        const char *reply_type, GError **error)
{
    return g_dbus_connection_call_sync(f->bus, VB_BUS_NAME, path, iface, method, args,
                                       reply_type ? G_VARIANT_TYPE(reply_type) : NULL,
                                       G_DBUS_CALL_FLAGS_NONE, VB_CALL_TIMEOUT_MS, NULL, error);
}

GVariant *
vb_call_ok(VbFixture *f, const char *path, const char *iface, const char *method, GVariant *args,
           const char *reply_type)
{
    g_autoptr(GError) error = NULL;
    GVariant *reply = vb_call(f, path, iface, method, args, reply_type, &error);
    if (!reply)
        g_error("%s.%s on %s failed: %s", iface, method, path, error->message);
    return reply;
}

GError *
vb_call_err(VbFixture *f, const char *path, const char *iface, const char *method, GVariant *args)
{
    GError *error = NULL;
    g_autoptr(GVariant) reply = vb_call(f, path, iface, method, args, NULL, &error);
    if (reply) {
        g_autofree gchar *text = g_variant_print(reply, TRUE);
        g_error("%s.%s on %s succeeded (%s) but must fail", iface, method, path, text);
    }
    return error;
}

gchar *
vb_error_name(const GError *error)
{
    return error ? g_dbus_error_get_remote_error(error) : NULL;
}

gchar *
vb_error_text(const GError *error)
{
    GError *copy = g_error_copy(error);
    gchar *text;
    g_dbus_error_strip_remote_error(copy);
    text = g_strdup(copy->message);
    g_error_free(copy);
    return text;
}

static gboolean
name_matches(const char *actual, const char *expected)
{
    if (g_strcmp0(actual, expected) == 0)
        return TRUE;
    /* libvirt-dbus reports every libvirt failure under one name. */
    if (vb_reference_mode() && g_str_has_prefix(expected, VB_ERROR_PREFIX) &&
        g_strcmp0(actual, "org.libvirt.Error") == 0)
        return TRUE;
    return FALSE;
}

static G_NORETURN void
error_mismatch(const char *file, int line, const GError *error, const char *expected)
{
    g_autofree gchar *name = vb_error_name(error);
    g_autofree gchar *msg = g_strdup_printf("expected D-Bus error %s, got %s (%s)", expected,
                                            name ? name : "no D-Bus error name",
                                            error ? error->message : "no error at all");
    g_assertion_message(G_LOG_DOMAIN, file, line, "vb_assert_error", msg);
    abort();
}

void
vb_assert_error_impl(const char *file, int line, const GError *error, const char *name)
{
    g_autofree gchar *actual = vb_error_name(error);
    if (!error || !name_matches(actual, name))
        error_mismatch(file, line, error, name);
}

void
vb_assert_error_one_of_impl(const char *file, int line, const GError *error, ...)
{
    g_autofree gchar *actual = vb_error_name(error);
    g_autoptr(GString) names = g_string_new(NULL);
    va_list ap;
    const char *name;

    va_start(ap, error);
    while ((name = va_arg(ap, const char *))) {
        if (error && name_matches(actual, name)) {
            va_end(ap);
            return;
        }
        g_string_append_printf(names, "%s%s", names->len ? " or " : "", name);
    }
    va_end(ap);
    error_mismatch(file, line, error, names->str);
}

void
vb_assert_libvirt_error_impl(const char *file, int line, const GError *error)
{
    g_autofree gchar *actual = vb_error_name(error);
    if (!error || !actual)
        error_mismatch(file, line, error, "org.libvirt.Error.*");
    if (vb_reference_mode() && strcmp(actual, "org.libvirt.Error") == 0)
        return;
    if (!g_str_has_prefix(actual, VB_ERROR_PREFIX) || strlen(actual) == strlen(VB_ERROR_PREFIX))
        error_mismatch(file, line, error, "a named org.libvirt.Error.*");
}

void
vb_assert_unknown_object_impl(const char *file, int line, const GError *error)
{
    g_autofree gchar *actual = vb_error_name(error);
    if (g_strcmp0(actual, VB_DBUS_UNKNOWN_OBJECT) == 0)
        return;
    if (vb_reference_mode() && (g_strcmp0(actual, VB_DBUS_UNKNOWN_METHOD) == 0 ||
                                g_strcmp0(actual, "org.libvirt.Error") == 0))
        return;
    error_mismatch(file, line, error, VB_DBUS_UNKNOWN_OBJECT);
}

/* ---- properties ----------------------------------------------------------------- */

GVariant *
vb_get_property(VbFixture *f, const char *path, const char *iface, const char *name)
{
    g_autoptr(GVariant) reply = vb_call_ok(f, path, VB_IFACE_PROPERTIES, "Get",
                                           g_variant_new("(ss)", iface, name), "(v)");
    GVariant *value = NULL;
    g_variant_get(reply, "(v)", &value);
    /* Properties.Get wraps the value in exactly one variant. */
    if (g_variant_is_of_type(value, G_VARIANT_TYPE_VARIANT))
        g_error("Properties.Get %s.%s on %s returned a doubly wrapped value", iface, name, path);
    return value;
}

GError *
vb_set_property(VbFixture *f, const char *path, const char *iface, const char *name,
                GVariant *value)
{
    GError *error = NULL;
    g_autoptr(GVariant) reply = vb_call(f, path, VB_IFACE_PROPERTIES, "Set",
                                        g_variant_new("(ssv)", iface, name, value), "()", &error);
    return error;
}

gboolean
vb_get_bool(VbFixture *f, const char *path, const char *iface, const char *name)
{
    g_autoptr(GVariant) v = vb_get_property(f, path, iface, name);
    g_assert_true(g_variant_is_of_type(v, G_VARIANT_TYPE_BOOLEAN));
    return g_variant_get_boolean(v);
}

gchar *
vb_get_string(VbFixture *f, const char *path, const char *iface, const char *name)
{
    g_autoptr(GVariant) v = vb_get_property(f, path, iface, name);
    g_assert_true(g_variant_is_of_type(v, G_VARIANT_TYPE_STRING));
    return g_variant_dup_string(v, NULL);
}

/* ---- domains -------------------------------------------------------------------- */

gchar *
vb_domain_xml(const char *name)
{
    return g_strdup_printf("<domain type='test'><name>%s</name><memory>8192</memory>"
                           "<os><type>hvm</type></os></domain>",
                           name);
}

gchar *
vb_define_domain(VbFixture *f, const char *name)
{
    g_autofree gchar *xml = vb_domain_xml(name);
    g_autoptr(GVariant) reply = vb_call_ok(f, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainDefineXML",
                                           g_variant_new("(s)", xml), "(o)");
    gchar *path = NULL;
    g_variant_get(reply, "(o)", &path);
    return path;
}

gchar *
vb_define_and_start(VbFixture *f, const char *name)
{
    gchar *path = vb_define_domain(f, name);
    g_autoptr(GVariant) r = vb_call_ok(f, path, VB_IFACE_DOMAIN, "Create", g_variant_new("(u)", 0),
                                       "()");
    vb_assert_domain_event(f, path, VIR_DOMAIN_EVENT_STARTED, VIR_DOMAIN_EVENT_STARTED_BOOTED);
    return path;
}

gchar *
vb_domain_path(VbFixture *f, const char *name)
{
    g_autoptr(GVariant) reply = vb_call_ok(f, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainLookupByName",
                                           g_variant_new("(s)", name), "(o)");
    gchar *path = NULL;
    g_variant_get(reply, "(o)", &path);
    return path;
}

gchar **
vb_list_domains(VbFixture *f, guint flags)
{
    g_autoptr(GVariant) reply = vb_call_ok(f, VB_TEST_PATH, VB_IFACE_CONNECT, "ListDomains",
                                           g_variant_new("(u)", flags), "(ao)");
    gchar **paths = NULL;
    g_variant_get(reply, "(^ao)", &paths);
    return paths;
}

void
vb_get_state(VbFixture *f, const char *domain_path, gint *state, gint *reason)
{
    g_autoptr(GVariant) reply = vb_call_ok(f, domain_path, VB_IFACE_DOMAIN, "GetState",
                                           g_variant_new("(u)", 0), "((ii))");
    g_variant_get(reply, "((ii))", state, reason);
}

gchar *
vb_get_xml(VbFixture *f, const char *domain_path)
{
    g_autoptr(GVariant) reply = vb_call_ok(f, domain_path, VB_IFACE_DOMAIN, "GetXMLDesc",
                                           g_variant_new("(u)", 0), "(s)");
    gchar *xml = NULL;
    g_variant_get(reply, "(s)", &xml);
    return xml;
}

/* ---- signals -------------------------------------------------------------------- */

void
vb_process_events(VbFixture *f)
{
    while (g_main_context_iteration(NULL, FALSE))
        ;
}

void
vb_signals_clear(VbFixture *f)
{
    vb_process_events(f);
    g_ptr_array_set_size(f->signals, 0);
}

typedef gboolean (*SignalMatch)(VbSignal *sig, gpointer data);

static gboolean
on_timeout(gpointer data)
{
    *(gboolean *)data = TRUE;
    return G_SOURCE_REMOVE;
}

static VbSignal *
wait_signal(VbFixture *f, SignalMatch match, gpointer data, guint timeout_ms, gboolean consume)
{
    gboolean timed_out = FALSE;
    guint timeout_id = 0;
    guint scanned = 0;
    VbSignal *found = NULL;

    for (;;) {
        vb_process_events(f);
        for (; scanned < f->signals->len && !found; scanned++) {
            VbSignal *sig = g_ptr_array_index(f->signals, scanned);
            if (!sig->consumed && match(sig, data))
                found = sig;
        }
        if (found || timed_out)
            break;
        if (!timeout_id)
            timeout_id = g_timeout_add(timeout_ms, on_timeout, &timed_out);
        g_main_context_iteration(NULL, TRUE);
    }
    if (timeout_id && !timed_out)
        g_source_remove(timeout_id);
    if (found && consume)
        found->consumed = TRUE;
    return found;
}

typedef struct {
    const char *path;
    gint event;
    gint detail;
} DomainEventMatch;

static gboolean
match_domain_event(VbSignal *sig, gpointer data)
{
    DomainEventMatch *m = data;
    const char *obj;
    gint event, detail;

    if (g_strcmp0(sig->member, "DomainEvent") != 0 ||
        g_strcmp0(sig->interface, VB_IFACE_CONNECT) != 0 ||
        !g_variant_is_of_type(sig->params, G_VARIANT_TYPE("(oii)")))
        return FALSE;
    g_variant_get(sig->params, "(&oii)", &obj, &event, &detail);
    return g_strcmp0(obj, m->path) == 0 && event == m->event && detail == m->detail &&
           g_str_has_prefix(sig->path, VB_TEST_PATH);
}

gboolean
vb_wait_domain_event(VbFixture *f, const char *domain_path, gint event, gint detail,
                     guint timeout_ms)
{
    DomainEventMatch m = { domain_path, event, detail };
    return wait_signal(f, match_domain_event, &m, timeout_ms, TRUE) != NULL;
}

gchar *
vb_signals_describe(VbFixture *f)
{
    GString *s = g_string_new(NULL);
    vb_process_events(f);
    for (guint i = 0; i < f->signals->len; i++) {
        VbSignal *sig = g_ptr_array_index(f->signals, i);
        g_autofree gchar *params = g_variant_print(sig->params, FALSE);
        g_string_append_printf(s, "\n  %s %s.%s %s%s", sig->path, sig->interface, sig->member,
                               params, sig->consumed ? " (matched)" : "");
    }
    if (s->len == 0)
        g_string_append(s, " none");
    return g_string_free(s, FALSE);
}

void
vb_assert_domain_event_impl(const char *file, int line, VbFixture *f, const char *path, gint event,
                            gint detail)
{
    if (!vb_wait_domain_event(f, path, event, detail, VB_SIGNAL_TIMEOUT_MS)) {
        g_autofree gchar *seen = vb_signals_describe(f);
        g_autofree gchar *msg = g_strdup_printf(
            "no DomainEvent(%s, %d, %d) on %s within %d ms; signals seen:%s", path, event, detail,
            VB_TEST_PATH, VB_SIGNAL_TIMEOUT_MS, seen);
        g_assertion_message(G_LOG_DOMAIN, file, line, "vb_assert_domain_event", msg);
        abort();
    }
}

typedef struct {
    const char *path;
    const char *iface;
    const char *property;
    GVariant *value;
} PropertyMatch;

static gboolean
match_property(VbSignal *sig, gpointer data)
{
    PropertyMatch *m = data;
    const char *iface;
    g_autoptr(GVariant) changed = NULL;
    g_autofree const char **invalidated = NULL;

    if (g_strcmp0(sig->member, "PropertiesChanged") != 0 ||
        g_strcmp0(sig->interface, VB_IFACE_PROPERTIES) != 0 || g_strcmp0(sig->path, m->path) != 0 ||
        !g_variant_is_of_type(sig->params, G_VARIANT_TYPE("(sa{sv}as)")))
        return FALSE;
    if (sig->matched_properties && g_hash_table_contains(sig->matched_properties, m->property))
        return FALSE;
    g_variant_get(sig->params, "(&s@a{sv}^a&s)", &iface, &changed, &invalidated);
    if (g_strcmp0(iface, m->iface) != 0)
        return FALSE;
    m->value = g_variant_lookup_value(changed, m->property, NULL);
    if (m->value)
        return TRUE;
    return invalidated && g_strv_contains(invalidated, m->property);
}

gboolean
vb_wait_property_changed(VbFixture *f, const char *path, const char *iface, const char *property,
                         GVariant **value, guint timeout_ms)
{
    PropertyMatch m = { path, iface, property, NULL };
    /* One PropertiesChanged may announce several properties: each of them
     * can be waited for once. */
    VbSignal *sig = wait_signal(f, match_property, &m, timeout_ms, FALSE);
    if (sig) {
        if (!sig->matched_properties)
            sig->matched_properties = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        g_hash_table_add(sig->matched_properties, g_strdup(property));
    }
    if (value)
        *value = m.value;
    else if (m.value)
        g_variant_unref(m.value);
    return sig != NULL;
}

typedef struct {
    const char *path;
    const char *iface;
    const char *member;
    const char *first_arg;
} GenericMatch;

static gboolean
match_generic(VbSignal *sig, gpointer data)
{
    GenericMatch *m = data;

    if (g_strcmp0(sig->path, m->path) != 0 || g_strcmp0(sig->interface, m->iface) != 0 ||
        g_strcmp0(sig->member, m->member) != 0)
        return FALSE;
    if (m->first_arg) {
        g_autoptr(GVariant) first = NULL;
        if (g_variant_n_children(sig->params) == 0)
            return FALSE;
        first = g_variant_get_child_value(sig->params, 0);
        if (!g_variant_is_of_type(first, G_VARIANT_TYPE_STRING) &&
            !g_variant_is_of_type(first, G_VARIANT_TYPE_OBJECT_PATH))
            return FALSE;
        return g_strcmp0(g_variant_get_string(first, NULL), m->first_arg) == 0;
    }
    return TRUE;
}

gboolean
vb_wait_signal(VbFixture *f, const char *path, const char *iface, const char *member,
               const char *first_arg, GVariant **params, guint timeout_ms)
{
    GenericMatch m = { path, iface, member, first_arg };
    VbSignal *sig = wait_signal(f, match_generic, &m, timeout_ms, TRUE);
    if (params)
        *params = sig ? g_variant_ref(sig->params) : NULL;
    return sig != NULL;
}

guint
vb_count_domain_events(VbFixture *f, const char *domain_path)
{
    guint n = 0;
    vb_process_events(f);
    for (guint i = 0; i < f->signals->len; i++) {
        VbSignal *sig = g_ptr_array_index(f->signals, i);
        const char *obj;
        gint e, d;
        if (sig->consumed || g_strcmp0(sig->member, "DomainEvent") != 0 ||
            !g_variant_is_of_type(sig->params, G_VARIANT_TYPE("(oii)")))
            continue;
        g_variant_get(sig->params, "(&oii)", &obj, &e, &d);
        if (g_strcmp0(obj, domain_path) == 0)
            n++;
    }
    return n;
}

/* Sanitizer builds check the service for leaks (ASAN_OPTIONS=detect_leaks=1
 * in CI); the test programs keep what they set up for the whole run (case
 * tables, fixtures of cases run in subprocesses), which is not what the
 * check is for. LeakSanitizer asks this hook at exit. */
int __lsan_is_turned_off(void);
int
__lsan_is_turned_off(void)
{
    return 1;
}

/* ---- commands ------------------------------------------------------------------ */

gboolean
vb_spawn(const char *const *argv, gchar **out, gchar **err)
{
    g_autoptr(GError) error = NULL;
    g_autofree gchar *o = NULL;
    g_autofree gchar *e = NULL;
    gint status = 0;

    if (!g_spawn_sync(NULL, (gchar **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &o, &e, &status, &error))
        g_error("cannot run %s: %s", argv[0], error->message);
    if (out)
        *out = g_steal_pointer(&o);
    if (err)
        *err = g_steal_pointer(&e);
    return g_spawn_check_wait_status(status, NULL);
}

gchar *
vb_command_output(const char *const *argv, gboolean must_succeed)
{
    g_autofree gchar *out = NULL;
    g_autofree gchar *err = NULL;

    if (!vb_spawn(argv, &out, &err) && must_succeed) {
        g_autofree gchar *cmd = g_strjoinv(" ", (gchar **)argv);
        g_error("%s failed: %s%s", cmd, out ? out : "", err ? err : "");
    }
    return g_steal_pointer(&out);
}

/* Set up front: only async-signal-safe calls in the handler. */
static const char *const *interrupt_cmds[2];

static void
run_and_wait(const char *const *argv)
{
    pid_t pid;

    if (!argv)
        return;
    pid = fork();
    if (pid == 0) {
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    if (pid > 0)
        waitpid(pid, NULL, 0);
}

static void
on_interrupt(int sig)
{
    run_and_wait(interrupt_cmds[0]);
    run_and_wait(interrupt_cmds[1]);
    signal(sig, SIG_DFL);
    raise(sig);
}

void
vb_cleanup_on_interrupt(const char *const *first, const char *const *second)
{
    interrupt_cmds[0] = first;
    interrupt_cmds[1] = second;
    signal(SIGTERM, on_interrupt);
    signal(SIGINT, on_interrupt);
    signal(SIGHUP, on_interrupt);
}
