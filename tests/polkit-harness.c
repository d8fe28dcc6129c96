/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define _GNU_SOURCE 1
#include "polkit-harness.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define CALLER_ARG "--vbp-caller"
#define CALLER_REQUEST_TYPE "(sssvb)"
#define CALLER_REPLY_TYPE "(bssv)"
/* Longer than virtbusd's own polkit timeout (10 s), so its answer arrives. */
#define CALLER_CALL_TIMEOUT_MS 30000
#define CALLER_WAIT_TIMEOUT_MS 40000
#define POLKITD_START_TIMEOUT_US (15 * G_USEC_PER_SEC)
#define CHANGED_TIMEOUT_US (10 * G_USEC_PER_SEC)
/* Generous: a case may walk every row of the method table, and the
 * machine may be busy with other programs. */
#define CASE_TIMEOUT_US (600 * G_USEC_PER_SEC)

/* State shared by the test program and its case subprocesses (environment). */
#define ENV_STATE_DIR "VBP_STATE_DIR"
#define ENV_CALLER_EXE "VBP_CALLER_EXE"

/* ---- framing: a length and a serialized GVariant --------------------------- */

static gboolean
write_all(int fd, const void *buf, gsize len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return FALSE;
        p += n;
        len -= (gsize)n;
    }
    return TRUE;
}

/* Reads @len bytes, waiting at most until @deadline (monotonic, µs; 0 for
 * no limit). */
static gboolean
read_all(int fd, void *buf, gsize len, gint64 deadline)
{
    char *p = buf;
    while (len > 0) {
        if (deadline) {
            struct pollfd pfd = { .fd = fd, .events = POLLIN };
            gint64 left = deadline - g_get_monotonic_time();
            if (left <= 0)
                return FALSE;
            int r = poll(&pfd, 1, (int)(left / 1000) + 1);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                return FALSE;
        }
        ssize_t n = read(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return FALSE;
        p += n;
        len -= (gsize)n;
    }
    return TRUE;
}

static gboolean
send_variant(int fd, GVariant *v)
{
    g_autoptr(GVariant) owned = g_variant_ref_sink(v);
    guint32 len = (guint32)g_variant_get_size(owned);
    return write_all(fd, &len, sizeof(len)) && write_all(fd, g_variant_get_data(owned), len);
}

static GVariant *
receive_variant(int fd, const char *type, gint64 deadline)
{
    guint32 len;
    if (!read_all(fd, &len, sizeof(len), deadline))
        return NULL;
    gchar *data = g_malloc(len ? len : 1);
    if (!read_all(fd, data, len, deadline)) {
        g_free(data);
        return NULL;
    }
    GVariant *v = g_variant_new_from_data(G_VARIANT_TYPE(type), data, len, FALSE, g_free, data);
    GVariant *normal = g_variant_get_normal_form(v);
    g_variant_unref(v);
    return g_variant_ref_sink(normal);
}

/* ---- the caller process ---------------------------------------------------- */

static int
caller_main(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GDBusConnection) conn = NULL;
    const char *address = g_getenv("DBUS_SYSTEM_BUS_ADDRESS");
    /* Replies go through the original stdout; anything printed goes to stderr. */
    int out = dup(STDOUT_FILENO);
    dup2(STDERR_FILENO, STDOUT_FILENO);

    if (address)
        conn = g_dbus_connection_new_for_address_sync(
            address,
            G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
            NULL, NULL, &error);
    if (!send_variant(out, g_variant_new(CALLER_REPLY_TYPE, conn != NULL,
                                         conn ? g_dbus_connection_get_unique_name(conn) : "",
                                         conn ? "" : (error ? error->message : "no bus address"),
                                         g_variant_new_uint32(getuid()))))
        return 1;
    if (!conn)
        return 1;
    g_dbus_connection_set_exit_on_close(conn, FALSE);

    for (;;) {
        g_autoptr(GVariant) req = receive_variant(STDIN_FILENO, CALLER_REQUEST_TYPE, 0);
        g_autoptr(GVariant) args = NULL;
        g_autoptr(GVariant) reply = NULL;
        g_autoptr(GError) call_error = NULL;
        const char *path, *iface, *method;
        gboolean interactive;

        if (!req)
            return 0; /* the test closed the pipe */
        g_variant_get(req, "(&s&s&svb)", &path, &iface, &method, &args, &interactive);
        reply = g_dbus_connection_call_sync(conn, VB_BUS_NAME, path, iface, method, args, NULL,
                                            interactive ? G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION
                                                        : G_DBUS_CALL_FLAGS_NONE,
                                            CALLER_CALL_TIMEOUT_MS, NULL, &call_error);
        GVariant *answer;
        if (reply) {
            answer = g_variant_new(CALLER_REPLY_TYPE, TRUE, "", "", reply);
        } else {
            g_autofree gchar *name = g_dbus_error_get_remote_error(call_error);
            g_dbus_error_strip_remote_error(call_error);
            answer = g_variant_new(CALLER_REPLY_TYPE, FALSE, name ? name : "", call_error->message,
                                   g_variant_new("()"));
        }
        if (!send_variant(out, answer))
            return 1;
    }
}

void
vbp_caller_main_maybe(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], CALLER_ARG) == 0)
        exit(caller_main());
}

/* ---- set-up of the program --------------------------------------------------- */

static gboolean is_root;

static gboolean
run_command(const char *const *argv, gboolean must_succeed)
{
    g_autoptr(GError) error = NULL;
    g_autofree gchar *out = NULL, *err = NULL;
    int status = 0;

    if (!g_spawn_sync(NULL, (gchar **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
                      &status, &error))
        g_error("cannot run %s: %s", argv[0], error->message);
    if (!g_spawn_check_wait_status(status, NULL)) {
        if (must_succeed)
            g_error("%s %s failed: %s", argv[0], argv[1], err);
        return FALSE;
    }
    return TRUE;
}

static void
remove_users(void)
{
    const char *users[] = { VBP_USER_ALICE, VBP_USER_ADMIN };
    for (gsize i = 0; i < G_N_ELEMENTS(users); i++)
        if (getpwnam(users[i])) {
            const char *argv[] = { "userdel", users[i], NULL };
            run_command(argv, FALSE);
        }
}

static void
add_missing_users(void)
{
    const char *groupadd[] = { "groupadd", "-f", "libvirt", NULL };
    run_command(groupadd, TRUE);
    const char *alice[] = { "useradd", "-M", "-N", "-d", "/nonexistent", "-s", "/usr/sbin/nologin",
                            VBP_USER_ALICE, NULL };
    if (!getpwnam(VBP_USER_ALICE))
        run_command(alice, TRUE);
    const char *admin[] = { "useradd", "-M", "-N", "-d", "/nonexistent", "-s", "/usr/sbin/nologin",
                            "-G", "libvirt", VBP_USER_ADMIN, NULL };
    if (!getpwnam(VBP_USER_ADMIN))
        run_command(admin, TRUE);
}

static void
create_users(void)
{
    /* Left over from an interrupted run? */
    remove_users();
    add_missing_users();
}

static gchar *
make_shared_dir(const char *template, mode_t mode)
{
    g_autoptr(GError) error = NULL;
    gchar *dir = g_dir_make_tmp(template, &error);
    g_assert_no_error(error);
    /* Other users (polkitd, callers) need to get in. */
    g_assert_cmpint(chmod(dir, mode), ==, 0);
    return dir;
}

static void
copy_file(const char *from, const char *to, mode_t mode)
{
    g_autoptr(GError) error = NULL;
    g_autofree gchar *data = NULL;
    gsize len;

    if (!g_file_get_contents(from, &data, &len, &error))
        g_error("cannot read %s: %s", from, error->message);
    if (!g_file_set_contents_full(to, data, (gssize)len, G_FILE_SET_CONTENTS_NONE, (int)mode, &error))
        g_error("cannot write %s: %s", to, error->message);
}

/* The harness's private bus listens in a directory only root may enter;
 * callers running as other users must reach its socket. */
static void
open_bus_dir(void)
{
    const char *address = vb_bus_address();
    const char *p = address ? strstr(address, "path=") : NULL;
    if (!p)
        return;
    p += strlen("path=");
    g_autofree gchar *path = g_strndup(p, strcspn(p, ",;"));
    g_autofree gchar *dir = g_path_get_dirname(path);
    if (chmod(dir, 0755) < 0)
        g_error("cannot open %s to other users: %s", dir, g_strerror(errno));
}

/* polkitd changes to its own user before it connects, so the private bus
 * must let that user own org.freedesktop.PolicyKit1 as the system bus does:
 * the harness's bus includes the file VIRTBUS_BUS_POLICY names, which
 * becomes one that includes the project's policy and polkit's own. */
static void
extend_bus_policy(const char *state)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GString) conf = g_string_new(NULL);
    const char *project = g_getenv("VIRTBUS_BUS_POLICY");
    const char *polkit_conf = "/usr/share/dbus-1/system.d/org.freedesktop.PolicyKit1.conf";
    g_autofree gchar *path = g_build_filename(state, "bus-policy.conf", NULL);

    g_string_append(conf,
                    "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
                    " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
                    "<busconfig>\n");
    if (project && *project) {
        g_autofree gchar *e = g_markup_escape_text(project, -1);
        g_string_append_printf(conf, "  <include ignore_missing=\"yes\">%s</include>\n", e);
    }
    if (g_file_test(polkit_conf, G_FILE_TEST_EXISTS))
        g_string_append_printf(conf, "  <include>%s</include>\n", polkit_conf);
    else
        g_string_append(conf, "  <policy user=\"polkitd\"><allow own=\"" VBP_POLKIT_NAME "\"/></policy>\n");
    g_string_append(conf, "</busconfig>\n");
    if (!g_file_set_contents_full(path, conf->str, -1, G_FILE_SET_CONTENTS_NONE, 0644, &error))
        g_error("cannot write %s: %s", path, error->message);
    g_setenv("VIRTBUS_BUS_POLICY", path, TRUE);
}

/* The test users are the machine's: another run of this program (from
 * another build tree) would remove them under this one's feet. Runs take
 * turns; the lock goes with the process. */
static void
lock_users(void)
{
    g_autofree gchar *path = g_build_filename(g_get_tmp_dir(), "virtbus-polkit-test-users.lock", NULL);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

    if (fd < 0)
        g_error("cannot open %s: %s", path, g_strerror(errno));
    while (flock(fd, LOCK_EX) < 0)
        if (errno != EINTR)
            g_error("cannot lock %s: %s", path, g_strerror(errno));
}

void
vbp_init(int *argc, char ***argv)
{
    /* Case subprocesses inherit the state of the program. */
    gboolean main_process = g_getenv(ENV_STATE_DIR) == NULL;

    is_root = geteuid() == 0;
    if (main_process && is_root) {
        g_autofree gchar *state = make_shared_dir("virtbus-polkit-XXXXXX", 0755);
        g_autofree gchar *exe = g_build_filename(state, "caller", NULL);
        /* Callers run this program as other users: a copy every user can
         * run, wherever the build directory is. */
        copy_file("/proc/self/exe", exe, 0755);
        g_setenv(ENV_STATE_DIR, state, TRUE);
        g_setenv(ENV_CALLER_EXE, exe, TRUE);
        extend_bus_policy(state);
    }
    vb_init(argc, argv);
    if (g_test_subprocess() || !is_root)
        return;
    open_bus_dir();
    lock_users();
    create_users();
}

void
vbp_cleanup(void)
{
    if (g_test_subprocess() || !is_root)
        return;
    remove_users();
    if (g_getenv(ENV_STATE_DIR))
        vb_remove_tree(g_getenv(ENV_STATE_DIR));
}

/* ---- polkitd ---------------------------------------------------------------- */

struct VbpPolkit {
    gchar *root;
    gchar *actions;         /* over /usr/share/polkit-1/actions */
    gchar *rules;           /* over /etc/polkit-1/rules.d */
    gchar *share_rules;     /* over /usr/share/polkit-1/rules.d: empty */
    gchar *staging;         /* rules are written here, then renamed */
    gchar *scratch;         /* writable by polkitd's user */
    gchar *pidfile;
    gchar *rootfile;        /* names root, for the test program to remove */
    GPid pid;
    GDBusConnection *conn;
    guint changed_sub;
    guint changed;
};

static const char *
polkitd_path(void)
{
    const char *p = g_getenv("VIRTBUS_POLKITD");
    return p && *p ? p : "/usr/lib/polkit-1/polkitd";
}

static void
on_changed(GDBusConnection *connection, const gchar *sender, const gchar *path, const gchar *iface,
           const gchar *member, GVariant *params, gpointer user_data)
{
    VbpPolkit *p = user_data;
    p->changed++;
}

static gboolean
name_has_owner(GDBusConnection *conn, const char *name)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) r = g_dbus_connection_call_sync(
        conn, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
        "NameHasOwner", g_variant_new("(s)", name), G_VARIANT_TYPE("(b)"), G_DBUS_CALL_FLAGS_NONE,
        5000, NULL, &error);
    gboolean owned = FALSE;
    g_assert_no_error(error);
    g_variant_get(r, "(b)", &owned);
    return owned;
}

/* A file of the project's polkit/ directory as the build installs it: the
 * template (NAME.in) with @SERVICE_USER@ filled in, or the file itself. */
static gchar *
project_polkit_file(const char *name)
{
    const char *srcdir = g_getenv("VIRTBUS_SRCDIR");
    const char *user = g_getenv("VIRTBUS_SERVICE_USER");
    g_autoptr(GError) error = NULL;
    g_autofree gchar *in = NULL;
    g_autofree gchar *path = NULL;
    g_autofree gchar *text = NULL;

    g_assert_nonnull(srcdir);
    in = g_strdup_printf("%s.in", name);
    path = g_build_filename(srcdir, "polkit", in, NULL);
    if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
        g_free(path);
        path = g_build_filename(srcdir, "polkit", name, NULL);
    }
    if (!g_file_get_contents(path, &text, NULL, &error))
        g_error("cannot read %s: %s", path, error->message);
    g_auto(GStrv) parts = g_strsplit(text, "@SERVICE_USER@", -1);
    return g_strjoinv(user && *user ? user : "virtbus", parts);
}

static VbpPolkit *
polkit_new(void)
{
    VbpPolkit *p = g_new0(VbpPolkit, 1);
    g_autoptr(GError) error = NULL;

    p->root = make_shared_dir("virtbus-polkitd-XXXXXX", 0755);
    p->actions = g_build_filename(p->root, "actions", NULL);
    p->rules = g_build_filename(p->root, "rules.d", NULL);
    p->share_rules = g_build_filename(p->root, "share-rules.d", NULL);
    p->staging = g_build_filename(p->root, "staging", NULL);
    p->scratch = g_build_filename(p->root, "scratch", NULL);
    p->pidfile = g_build_filename(g_getenv(ENV_STATE_DIR), "polkitd.pid", NULL);
    p->rootfile = g_build_filename(g_getenv(ENV_STATE_DIR), "polkitd.root", NULL);
    g_file_set_contents(p->rootfile, p->root, -1, NULL);
    g_assert_cmpint(mkdir(p->actions, 0755), ==, 0);
    g_assert_cmpint(mkdir(p->rules, 0755), ==, 0);
    g_assert_cmpint(mkdir(p->share_rules, 0755), ==, 0);
    g_assert_cmpint(mkdir(p->staging, 0755), ==, 0);
    g_assert_cmpint(mkdir(p->scratch, 0755), ==, 0);
    g_assert_cmpint(chmod(p->scratch, 01777), ==, 0);

    /* The machine's actions, and ours. */
    GDir *dir = g_dir_open("/usr/share/polkit-1/actions", 0, &error);
    g_assert_no_error(error);
    const char *name;
    while ((name = g_dir_read_name(dir))) {
        if (!g_str_has_suffix(name, ".policy") || g_str_equal(name, "org.libvirt.dbus.policy"))
            continue;
        g_autofree gchar *from = g_build_filename("/usr/share/polkit-1/actions", name, NULL);
        g_autofree gchar *to = g_build_filename(p->actions, name, NULL);
        copy_file(from, to, 0644);
    }
    g_dir_close(dir);
    g_autofree gchar *policy = project_polkit_file("org.libvirt.dbus.policy");
    g_autofree gchar *policy_to = g_build_filename(p->actions, "org.libvirt.dbus.policy", NULL);
    if (!g_file_set_contents_full(policy_to, policy, -1, G_FILE_SET_CONTENTS_NONE, 0644, &error))
        g_error("cannot write %s: %s", policy_to, error->message);

    /* Our rules, as installed. */
    g_autofree gchar *rules = project_polkit_file("50-org.libvirt.dbus.rules");
    vbp_polkit_set_rule(p, "50-org.libvirt.dbus.rules", rules);

    p->conn = g_dbus_connection_new_for_address_sync(
        vb_bus_address(),
        G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
        NULL, NULL, &error);
    g_assert_no_error(error);
    g_dbus_connection_set_exit_on_close(p->conn, FALSE);
    /* Any sender: each polkitd started has a new unique name. */
    p->changed_sub = g_dbus_connection_signal_subscribe(
        p->conn, NULL, "org.freedesktop.PolicyKit1.Authority", "Changed",
        "/org/freedesktop/PolicyKit1/Authority", NULL, G_DBUS_SIGNAL_FLAGS_NONE, on_changed, p, NULL);
    name_has_owner(p->conn, VBP_POLKIT_NAME); /* the match is in place after a round trip */
    return p;
}

static void
polkit_free(VbpPolkit *p)
{
    if (p->pid > 0)
        vbp_polkit_stop(p);
    g_dbus_connection_signal_unsubscribe(p->conn, p->changed_sub);
    g_dbus_connection_close_sync(p->conn, NULL, NULL);
    g_clear_object(&p->conn);
    while (g_main_context_iteration(NULL, FALSE))
        ;
    vb_remove_tree(p->root);
    unlink(p->rootfile);
    g_free(p->rootfile);
    g_free(p->root);
    g_free(p->actions);
    g_free(p->rules);
    g_free(p->share_rules);
    g_free(p->staging);
    g_free(p->scratch);
    g_free(p->pidfile);
    g_free(p);
}

/* In the child, before exec: a private mount namespace with our directories
 * over polkit's. Only system calls here. */
static void
polkitd_child_setup(gpointer data)
{
    VbpPolkit *p = data;

    prctl(PR_SET_PDEATHSIG, SIGTERM);
    dup2(STDERR_FILENO, STDOUT_FILENO);
    if (unshare(CLONE_NEWNS) < 0)
        _exit(121);
    /* Nothing mounted here propagates back to the machine. */
    if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        _exit(122);
    if (mount(p->actions, "/usr/share/polkit-1/actions", NULL, MS_BIND, NULL) < 0)
        _exit(123);
    if (mount(p->rules, "/etc/polkit-1/rules.d", NULL, MS_BIND, NULL) < 0)
        _exit(124);
    if (mount(p->share_rules, "/usr/share/polkit-1/rules.d", NULL, MS_BIND, NULL) < 0)
        _exit(125);
}

static gboolean
pump_until(gboolean (*done)(VbpPolkit *p), VbpPolkit *p, gint64 timeout_us)
{
    gint64 deadline = g_get_monotonic_time() + timeout_us;
    while (!done(p)) {
        if (g_get_monotonic_time() > deadline)
            return FALSE;
        while (g_main_context_iteration(NULL, FALSE))
            ;
        if (done(p))
            break;
        g_usleep(5000);
    }
    return TRUE;
}

static gboolean
polkit_gone(VbpPolkit *p)
{
    return !name_has_owner(p->conn, VBP_POLKIT_NAME);
}

static guint32
name_owner_pid(GDBusConnection *conn, const char *name)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) r = g_dbus_connection_call_sync(
        conn, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
        "GetConnectionUnixProcessID", g_variant_new("(s)", name), G_VARIANT_TYPE("(u)"),
        G_DBUS_CALL_FLAGS_NONE, 5000, NULL, &error);
    guint32 pid = 0;
    if (r)
        g_variant_get(r, "(u)", &pid);
    return pid;
}

void
vbp_polkit_start(VbpPolkit *p)
{
    g_autoptr(GError) error = NULL;
    const char *argv[] = { polkitd_path(), "--no-debug", NULL };
    gint64 deadline;

    g_assert_cmpint(p->pid, ==, 0);
    if (!pump_until(polkit_gone, p, 5 * G_USEC_PER_SEC))
        g_error("another process still owns %s", VBP_POLKIT_NAME);
    if (!g_file_test(argv[0], G_FILE_TEST_IS_EXECUTABLE))
        g_error("%s is not installed", argv[0]);
    if (!g_file_test("/etc/polkit-1/rules.d", G_FILE_TEST_IS_DIR))
        g_error("/etc/polkit-1/rules.d does not exist (it is where the test mounts its rules)");
    g_spawn_async(NULL, (gchar **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, polkitd_child_setup, p,
                  &p->pid, &error);
    g_assert_no_error(error);
    /* The test program removes it if this case dies before stopping it:
     * polkitd changes its user, which drops the parent-death signal. */
    g_autofree gchar *pid = g_strdup_printf("%d\n", (int)p->pid);
    g_file_set_contents(p->pidfile, pid, -1, NULL);

    deadline = g_get_monotonic_time() + POLKITD_START_TIMEOUT_US;
    while (!name_has_owner(p->conn, VBP_POLKIT_NAME)) {
        int status;
        if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
            p->pid = 0;
            g_error("polkitd exited during start-up (wait status 0x%x)", status);
        }
        if (g_get_monotonic_time() > deadline)
            g_error("polkitd did not own %s within 15 s", VBP_POLKIT_NAME);
        g_usleep(20000);
    }
    g_assert_cmpuint(name_owner_pid(p->conn, VBP_POLKIT_NAME), ==, (guint32)p->pid);
}

void
vbp_polkit_stop(VbpPolkit *p)
{
    int status;
    gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

    g_assert_cmpint(p->pid, >, 0);
    kill(p->pid, SIGTERM);
    while (waitpid(p->pid, &status, WNOHANG) != p->pid) {
        if (g_get_monotonic_time() > deadline) {
            kill(p->pid, SIGKILL);
            waitpid(p->pid, &status, 0);
            break;
        }
        g_usleep(10000);
    }
    p->pid = 0;
    unlink(p->pidfile);
    if (!pump_until(polkit_gone, p, 5 * G_USEC_PER_SEC))
        g_error("%s still has an owner after polkitd exited", VBP_POLKIT_NAME);
}

static guint changed_target;

static gboolean
changed_reached(VbpPolkit *p)
{
    return p->changed >= changed_target;
}

/* polkitd reloads, and says Changed, once per file event it sees: a file
 * renamed into its directory makes two (created, then done). Wait for the
 * first, then until they stop coming. */
#define CHANGED_QUIET_US (300 * 1000)

static void
wait_changed(VbpPolkit *p, guint before, const char *what)
{
    if (p->pid <= 0)
        return;
    changed_target = before + 1;
    if (!pump_until(changed_reached, p, CHANGED_TIMEOUT_US))
        g_error("polkitd did not announce Changed within 10 s after %s", what);
    for (;;) {
        guint seen = p->changed;
        changed_target = seen + 1;
        if (!pump_until(changed_reached, p, CHANGED_QUIET_US))
            break;
    }
}

void
vbp_polkit_set_rule(VbpPolkit *p, const char *name, const char *js)
{
    g_autoptr(GError) error = NULL;
    g_autofree gchar *staged = g_build_filename(p->staging, name, NULL);
    g_autofree gchar *final = g_build_filename(p->rules, name, NULL);
    guint before = p->changed;

    /* Written aside and renamed in: polkitd sees the whole file at once. */
    if (!g_file_set_contents_full(staged, js, -1, G_FILE_SET_CONTENTS_NONE, 0644, &error))
        g_error("cannot write %s: %s", staged, error->message);
    g_assert_cmpint(rename(staged, final), ==, 0);
    wait_changed(p, before, name);
}

void
vbp_polkit_remove_rule(VbpPolkit *p, const char *name)
{
    g_autofree gchar *final = g_build_filename(p->rules, name, NULL);
    guint before = p->changed;

    g_assert_cmpint(unlink(final), ==, 0);
    wait_changed(p, before, name);
}

const char *
vbp_polkit_scratch_dir(VbpPolkit *p)
{
    return p->scratch;
}

guint
vbp_polkit_changed_count(VbpPolkit *p)
{
    while (g_main_context_iteration(NULL, FALSE))
        ;
    return p->changed;
}

/* ---- cases ------------------------------------------------------------------ */

typedef struct {
    VbpTestFunc func;
    const VbpOptions *opts;
} Case;

/* What a case that died left behind: its polkitd (ours, by the pid it
 * wrote; gone from the bus before the next case starts its own) and its
 * directory. */
static gboolean
process_ended(pid_t pid)
{
    g_autofree gchar *stat_path = g_strdup_printf("/proc/%d/stat", (int)pid);
    g_autofree gchar *stat = NULL;
    if (!g_file_get_contents(stat_path, &stat, NULL, NULL))
        return TRUE;
    const char *end = strrchr(stat, ')');
    return end && (end[2] == 'Z' || end[2] == 'X');
}

static void
clean_after_failed_case(void)
{
    const char *state = g_getenv(ENV_STATE_DIR);
    g_autofree gchar *pidfile = g_build_filename(state, "polkitd.pid", NULL);
    g_autofree gchar *rootfile = g_build_filename(state, "polkitd.root", NULL);
    g_autofree gchar *text = NULL;
    g_autofree gchar *root = NULL;

    if (g_file_get_contents(pidfile, &text, NULL, NULL)) {
        unlink(pidfile);
        pid_t pid = (pid_t)atoi(text);
        g_autofree gchar *exe_link = g_strdup_printf("/proc/%d/exe", (int)pid);
        g_autofree gchar *exe = g_file_read_link(exe_link, NULL);
        if (pid > 1 && exe && g_str_has_suffix(exe, "polkitd")) {
            g_test_message("killing polkitd %d left by a failed case", (int)pid);
            kill(pid, SIGKILL);
            gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
            while (!process_ended(pid) && g_get_monotonic_time() < deadline)
                g_usleep(10000);
        }
    }
    if (g_file_get_contents(rootfile, &root, NULL, NULL)) {
        unlink(rootfile);
        if (g_str_has_prefix(root, g_get_tmp_dir()) && strstr(root, "virtbus-polkitd-"))
            vb_remove_tree(root);
    }
}

static void
run_case(gconstpointer data)
{
    const Case *tc = data;

    if (!is_root) {
        g_test_skip("needs root: runs polkitd in a mount namespace and callers as other users");
        return;
    }
    if (g_test_subprocess()) {
        VbpFixture f = { .data = tc->opts ? tc->opts->data : NULL };
        VbDaemonOptions daemon = { 0 };
        g_autofree gchar *dirs = NULL;
        g_autoptr(GPtrArray) args = g_ptr_array_new();
        f.polkit = polkit_new();
        vbp_polkit_start(f.polkit);
        if (tc->opts && tc->opts->host_path_dir) {
            /* In the program's state directory, which goes at its end
             * even if the case dies. */
            g_autofree gchar *template = g_build_filename(g_getenv(ENV_STATE_DIR), "hostpaths-XXXXXX", NULL);
            dirs = g_mkdtemp(g_steal_pointer(&template));
            g_assert_nonnull(dirs);
            g_autofree gchar *allowed = g_build_filename(dirs, "allowed", NULL);
            g_autofree gchar *outside = g_build_filename(dirs, "outside", NULL);
            g_assert_cmpint(mkdir(allowed, 0755), ==, 0);
            g_assert_cmpint(mkdir(outside, 0755), ==, 0);
            f.allowed_dir = realpath(allowed, NULL);
            f.outside_dir = realpath(outside, NULL);
            g_assert_nonnull(f.allowed_dir);
            g_assert_nonnull(f.outside_dir);
            g_ptr_array_add(args, (gpointer) "--host-path-dir");
            g_ptr_array_add(args, f.allowed_dir);
        }
        for (const char *const *a = tc->opts ? tc->opts->extra_args : NULL; a && *a; a++)
            g_ptr_array_add(args, (gpointer)*a);
        g_ptr_array_add(args, NULL);
        daemon.extra_args = (const char *const *)args->pdata;
        daemon.extra_env = tc->opts ? tc->opts->extra_env : NULL;
        vb_fixture_setup(&f.vb, &daemon);
        tc->func(&f);
        vb_fixture_teardown(&f.vb, &daemon);
        polkit_free(f.polkit);
        if (dirs)
            vb_remove_tree(dirs);
        free(f.allowed_dir);
        free(f.outside_dir);
        return;
    }
    g_test_trap_subprocess(NULL, CASE_TIMEOUT_US, G_TEST_SUBPROCESS_INHERIT_STDERR);
    clean_after_failed_case();
    if (!g_test_trap_has_passed()) {
        g_test_message("test case failed in its subprocess (see its messages above)");
        g_test_fail();
    }
}

void
vbp_add(const char *testpath, VbpTestFunc func)
{
    vbp_add_full(testpath, NULL, func);
}

void
vbp_add_full(const char *testpath, const VbpOptions *opts, VbpTestFunc func)
{
    Case *tc = g_new0(Case, 1);
    tc->func = func;
    tc->opts = opts;
    g_test_add_data_func_full(testpath, tc, run_case, g_free);
}

/* ---- callers, test side ------------------------------------------------------ */

struct VbpCaller {
    gchar *user;
    gchar *unique_name;
    GPid pid;
    int to_fd;
    int from_fd;
    gboolean pending;
};

typedef struct {
    uid_t uid;
    gid_t gid;
    gid_t groups[64];
    int ngroups;
} Creds;

static void
caller_child_setup(gpointer data)
{
    const Creds *c = data;

    if (setgroups((size_t)c->ngroups, c->groups) < 0 || setgid(c->gid) < 0 || setuid(c->uid) < 0)
        _exit(120);
    /* After the change of user, which clears it. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
}

VbpCaller *
vbp_caller_new(const char *user)
{
    g_autoptr(GError) error = NULL;
    struct passwd *pw = getpwnam(user);
    Creds creds = { 0 };
    VbpCaller *c;
    const char *exe = g_getenv(ENV_CALLER_EXE);

    if (!pw && (g_str_equal(user, VBP_USER_ALICE) || g_str_equal(user, VBP_USER_ADMIN))) {
        /* A run of an older version of this program (from another build
         * tree, which does not take the lock) removed them. */
        g_test_message("the test users are gone: making them again");
        add_missing_users();
        pw = getpwnam(user);
    }
    if (!pw)
        g_error("no user %s", user);
    creds.uid = pw->pw_uid;
    creds.gid = pw->pw_gid;
    creds.ngroups = G_N_ELEMENTS(creds.groups);
    if (getgrouplist(user, pw->pw_gid, creds.groups, &creds.ngroups) < 0)
        g_error("%s is in too many groups", user);
    g_assert_nonnull(exe);

    c = g_new0(VbpCaller, 1);
    c->user = g_strdup(user);
    const char *argv[] = { exe, CALLER_ARG, NULL };
    g_auto(GStrv) envp = g_get_environ();
    envp = g_environ_setenv(envp, "HOME", "/", TRUE);
    g_spawn_async_with_pipes(NULL, (gchar **)argv, envp, G_SPAWN_DO_NOT_REAP_CHILD,
                             caller_child_setup, &creds, &c->pid, &c->to_fd, &c->from_fd, NULL, &error);
    g_assert_no_error(error);

    g_autoptr(GVariant) hello = receive_variant(c->from_fd, CALLER_REPLY_TYPE,
                                                g_get_monotonic_time() + 15 * G_USEC_PER_SEC);
    if (!hello)
        g_error("the caller process for %s did not start", user);
    gboolean ok;
    const char *name, *message;
    g_autoptr(GVariant) uid = NULL;
    g_variant_get(hello, "(b&s&sv)", &ok, &name, &message, &uid);
    if (!ok)
        g_error("the caller process for %s could not connect to the bus: %s", user, message);
    g_assert_cmpuint(g_variant_get_uint32(uid), ==, pw->pw_uid);
    c->unique_name = g_strdup(name);
    return c;
}

void
vbp_caller_free(VbpCaller *c)
{
    int status;

    if (!c)
        return;
    close(c->to_fd);
    close(c->from_fd);
    /* It exits when its request pipe closes. */
    gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    while (waitpid(c->pid, &status, WNOHANG) != c->pid) {
        if (g_get_monotonic_time() > deadline) {
            kill(c->pid, SIGKILL);
            waitpid(c->pid, &status, 0);
            break;
        }
        g_usleep(5000);
    }
    g_free(c->user);
    g_free(c->unique_name);
    g_free(c);
}

const char *
vbp_caller_user(VbpCaller *c)
{
    return c->user;
}

const char *
vbp_caller_unique_name(VbpCaller *c)
{
    return c->unique_name;
}

GPid
vbp_caller_pid(VbpCaller *c)
{
    return c->pid;
}

void
vbp_caller_send(VbpCaller *c, const char *path, const char *iface, const char *method,
                GVariant *args, gboolean interactive)
{
    g_assert_false(c->pending);
    if (!args)
        args = g_variant_new("()");
    g_autoptr(GVariant) owned = g_variant_ref_sink(args);
    if (!send_variant(c->to_fd, g_variant_new(CALLER_REQUEST_TYPE, path, iface, method, owned, interactive)))
        g_error("the caller process for %s is gone", c->user);
    c->pending = TRUE;
}

gboolean
vbp_caller_reply_ready(VbpCaller *c)
{
    struct pollfd pfd = { .fd = c->from_fd, .events = POLLIN };
    g_assert_true(c->pending);
    return poll(&pfd, 1, 0) > 0;
}

VbpReply *
vbp_caller_wait(VbpCaller *c)
{
    g_assert_true(c->pending);
    g_autoptr(GVariant) answer = receive_variant(c->from_fd, CALLER_REPLY_TYPE,
                                                 g_get_monotonic_time() +
                                                     CALLER_WAIT_TIMEOUT_MS * (gint64)1000);
    VbpReply *r = g_new0(VbpReply, 1);
    const char *name, *message;

    c->pending = FALSE;
    if (!answer)
        g_error("no answer from the caller process for %s", c->user);
    g_variant_get(answer, "(b&s&sv)", &r->ok, &name, &message, &r->value);
    if (!r->ok) {
        r->error_name = g_strdup(name);
        r->error_message = g_strdup(message);
    }
    return r;
}

VbpReply *
vbp_caller_call(VbpCaller *c, const char *path, const char *iface, const char *method,
                GVariant *args, gboolean interactive)
{
    vbp_caller_send(c, path, iface, method, args, interactive);
    return vbp_caller_wait(c);
}

void
vbp_reply_free(VbpReply *r)
{
    if (!r)
        return;
    if (r->value)
        g_variant_unref(r->value);
    g_free(r->error_name);
    g_free(r->error_message);
    g_free(r);
}

gchar *
vbp_reply_describe(const VbpReply *r)
{
    if (r->ok) {
        g_autofree gchar *v = g_variant_print(r->value, FALSE);
        if (strlen(v) > 200)
            strcpy(v + 197, "...");
        return g_strdup_printf("success %s", v);
    }
    return g_strdup_printf("%s: %s", r->error_name, r->error_message);
}

gboolean
vbp_reply_is_refusal(const VbpReply *r)
{
    return !r->ok && (g_strcmp0(r->error_name, VBP_DBUS_ACCESS_DENIED) == 0 ||
                      g_strcmp0(r->error_name, VBP_DBUS_INTERACTIVE) == 0);
}

gchar *
vbp_reply_action(const VbpReply *r)
{
    static GRegex *re;
    g_autoptr(GMatchInfo) m = NULL;

    if (!re)
        re = g_regex_new("org\\.libvirt\\.dbus\\.[a-z-]+(\\.[a-z-]+)?", 0, 0, NULL);
    if (r->ok || !r->error_message || !g_regex_match(re, r->error_message, 0, &m))
        return NULL;
    return g_match_info_fetch(m, 0);
}

GVariant *
vbp_call_ok_impl(const char *file, int line, VbpCaller *c, const char *path, const char *iface,
                 const char *method, GVariant *args, gboolean interactive)
{
    g_autoptr(VbpReply) r = vbp_caller_call(c, path, iface, method, args, interactive);
    if (!r->ok) {
        g_autofree gchar *msg = g_strdup_printf("%s.%s on %s as %s failed: %s: %s", iface, method, path,
                                                c->user, r->error_name, r->error_message);
        g_assertion_message(G_LOG_DOMAIN, file, line, "vbp_call_ok", msg);
        abort();
    }
    return g_variant_ref(r->value);
}

VbpReply *
vbp_call_err_impl(const char *file, int line, VbpCaller *c, const char *path, const char *iface,
                  const char *method, GVariant *args, gboolean interactive, const char *name)
{
    VbpReply *r = vbp_caller_call(c, path, iface, method, args, interactive);
    if (r->ok || g_strcmp0(r->error_name, name) != 0) {
        g_autofree gchar *got = vbp_reply_describe(r);
        g_autofree gchar *msg = g_strdup_printf("%s.%s on %s as %s: expected %s, got %s", iface, method,
                                                path, c->user, name, got);
        g_assertion_message(G_LOG_DOMAIN, file, line, "vbp_call_err", msg);
        abort();
    }
    return r;
}
