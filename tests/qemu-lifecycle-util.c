/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "qemu-lifecycle-util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "job-util.h"

static struct {
    gchar *script;          /* start-libvirtd */
    gchar *dir;             /* libvirtd's state */
    gchar *uri;
    gchar *connect_arg;
    const char *args[3];
    const char *env[2];
    VbDaemonOptions opts;
    const char *skip;       /* why the cases cannot run */
    gchar *failed;          /* why libvirtd did not start */
    gboolean owner;         /* this process started libvirtd */
    virConnectPtr conn;
} vq;

/* ---- the private libvirtd, and stopping it whatever happens ------------------------ */

static const char *stop_argv[5];
static const char *rm_argv[4];

static void
run_and_wait(const char *const *argv)
{
    pid_t pid = fork();

    if (pid == 0) {
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    if (pid > 0)
        waitpid(pid, NULL, 0);
}

/* A timeout of the test runner must not leave libvirtd and its guests
 * behind. Only async-signal-safe calls here. */
static void
on_interrupt(int sig)
{
    run_and_wait(stop_argv);
    run_and_wait(rm_argv);
    signal(sig, SIG_DFL);
    raise(sig);
}

gchar *
vq_run(const char *const *argv)
{
    g_autoptr(GError) error = NULL;
    g_autofree gchar *err = NULL;
    gchar *out = NULL;
    gint status = 0;

    g_spawn_sync(NULL, (gchar **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status, &error);
    g_assert_no_error(error);
    if (!g_spawn_check_wait_status(status, NULL)) {
        g_autofree gchar *cmd = g_strjoinv(" ", (gchar **)argv);
        g_error("%s failed: %s%s", cmd, out ? out : "", err ? err : "");
    }
    return out;
}

gchar *
vq_virsh(const char *first, ...)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    va_list ap;

    g_ptr_array_add(argv, (gpointer) "virsh");
    g_ptr_array_add(argv, (gpointer) "-q");
    g_ptr_array_add(argv, (gpointer) "-c");
    g_ptr_array_add(argv, vq.uri);
    va_start(ap, first);
    for (const char *a = first; a; a = va_arg(ap, const char *))
        g_ptr_array_add(argv, (gpointer)a);
    va_end(ap);
    g_ptr_array_add(argv, NULL);
    return vq_run((const char *const *)argv->pdata);
}

static const char *
missing_prerequisite(void)
{
    static const char *const programs[] = { "libvirtd", "virsh", "qemu-system-x86_64", "qemu-img", "unshare",
                                            "nsenter" };

    if (geteuid() != 0)
        return "needs root (a private libvirtd in its own mount namespace)";
    for (gsize i = 0; i < G_N_ELEMENTS(programs); i++) {
        g_autofree gchar *p = g_find_program_in_path(programs[i]);
        g_autofree gchar *sbin = g_build_filename("/usr/sbin", programs[i], NULL);
        if (!p && !g_file_test(sbin, G_FILE_TEST_IS_EXECUTABLE))
            return "needs libvirtd, virsh, qemu-system-x86_64 and qemu-img";
    }
    if (!g_file_test(vq.script, G_FILE_TEST_IS_EXECUTABLE))
        return "tests/libvirtd/start-libvirtd not found (VIRTBUS_SRCDIR)";
    return NULL;
}

void
vq_init(const char *tag)
{
    const char *srcdir = g_getenv("VIRTBUS_SRCDIR");
    const char *env_dir = g_getenv("VIRTBUS_QEMU_TEST_DIR");

    vq.script = g_build_filename(srcdir ? srcdir : ".", "tests", "libvirtd", "start-libvirtd", NULL);
    if (vb_reference_mode()) {
        vq.skip = "libvirt-dbus has no jobs to test";
        return;
    }
    if (!g_test_subprocess() && (vq.skip = missing_prerequisite()) == NULL) {
        /* One libvirtd for the program; every case, in a process of its
         * own, finds it through the environment. */
        g_autoptr(GError) error = NULL;
        g_autofree gchar *out = NULL, *err = NULL;
        gint status;

        vq.dir = g_strdup_printf("/var/tmp/virtbus-%s-XXXXXX", tag);
        g_assert_nonnull(g_mkdtemp(vq.dir));
        const char *start[] = { vq.script, "start", vq.dir, NULL };
        g_spawn_sync(NULL, (gchar **)start, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error);
        if (error || !g_spawn_check_wait_status(status, NULL))
            vq.failed = g_strdup_printf("could not start libvirtd: %s%s", error ? error->message : "",
                                        err ? err : "");
        else
            g_setenv("VIRTBUS_QEMU_TEST_DIR", vq.dir, TRUE);
        vq.owner = TRUE;
        stop_argv[0] = vq.script;
        stop_argv[1] = "stop";
        stop_argv[2] = "--guests";
        stop_argv[3] = vq.dir;
        rm_argv[0] = "/bin/rm";
        rm_argv[1] = "-rf";
        rm_argv[2] = vq.dir;
        signal(SIGTERM, on_interrupt);
        signal(SIGINT, on_interrupt);
        signal(SIGHUP, on_interrupt);
        env_dir = vq.failed ? NULL : vq.dir;
    }
    if (env_dir && !vq.failed && !vq.skip) {
        if (!vq.dir)
            vq.dir = g_strdup(env_dir);
        vq.uri = g_strdup_printf("qemu+unix:///system?socket=%s/run/libvirt/libvirt-sock", vq.dir);
        vq.connect_arg = g_strdup_printf("QEMU=%s", vq.uri);
        vq.args[0] = "--connect";
        vq.args[1] = vq.connect_arg;
        vq.env[0] = VJ_BARRIER_ENV;
        vq.opts.extra_args = vq.args;
        vq.opts.extra_env = vq.env;
    } else if (!vq.skip && !vq.failed)
        vq.skip = "the private libvirtd is not there";
}

static void
skip_case(gconstpointer reason)
{
    g_test_skip(reason);
}

static void
fail_case(gconstpointer reason)
{
    g_test_message("%s", (const char *)reason);
    g_test_fail();
}

void
vq_add(const char *testpath, VbTestFunc func)
{
    if (vq.failed)
        g_test_add_data_func(testpath, vq.failed, fail_case);
    else if (vq.skip)
        g_test_add_data_func(testpath, vq.skip, skip_case);
    else if (!vb_have_delay_seam())
        g_test_add_data_func(testpath, "needs the test seam (meson setup -Dtest_delay_seam=true)", skip_case);
    else
        vb_add_virtbusd_only_full(testpath, &vq.opts, func);
}

void
vq_finish(void)
{
    if (vq.conn)
        virConnectClose(vq.conn);
    if (!vq.owner || !vq.dir)
        return;
    const char *stop[] = { vq.script, "stop", "--guests", vq.dir, NULL };
    const char *rm[] = { "rm", "-rf", vq.dir, NULL };
    g_autofree gchar *o1 = NULL, *o2 = NULL;
    g_spawn_sync(NULL, (gchar **)stop, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &o1, NULL, NULL, NULL);
    g_spawn_sync(NULL, (gchar **)rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &o2, NULL, NULL, NULL);
}

const char *
vq_uri(void)
{
    return vq.uri;
}

virConnectPtr
vq_conn(void)
{
    if (!vq.conn) {
        vq.conn = virConnectOpen(vq.uri);
        if (!vq.conn)
            g_error("cannot connect to %s: %s", vq.uri, virGetLastErrorMessage());
    }
    return vq.conn;
}

void
vq_wait_connected(VbFixture *f)
{
    gint64 deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;

    /* The connection opens in the background; Connected turns true with a
     * PropertiesChanged. */
    while (!vb_get_bool(f, VQ_PATH, VB_IFACE_CONNECT, "Connected")) {
        if (g_get_monotonic_time() > deadline)
            g_error("virtbusd did not connect to %s", vq.uri);
        vb_wait_property_changed(f, VQ_PATH, VB_IFACE_CONNECT, "Connected", NULL, 1000);
    }
}

/* ---- guests ------------------------------------------------------------------------- */

VqGuest *
vq_guest_new(const char *name)
{
    VqGuest *g = g_new0(VqGuest, 1);

    g->name = g_strdup(name);
    g->uuid = g_uuid_string_random();
    g->path = g_strconcat(VQ_DOMAIN_PREFIX "_", g->uuid, NULL);
    g_strdelimit(g->path + strlen(VQ_DOMAIN_PREFIX), "-", '_');
    return g;
}

void
vq_guest_free(VqGuest *g)
{
    if (!g)
        return;
    g_free(g->name);
    g_free(g->uuid);
    g_free(g->path);
    g_free(g);
}

gchar *
vq_guest_xml(const VqGuest *g, guint memory_mib, const char *devices)
{
    return g_strdup_printf("<domain type='qemu'><name>%s</name><uuid>%s</uuid>"
                           "<memory unit='MiB'>%u</memory>"
                           "<os><type arch='x86_64' machine='pc'>hvm</type></os>"
                           "<devices><memballoon model='none'/>%s</devices></domain>",
                           g->name, g->uuid, memory_mib, devices ? devices : "");
}

gchar *
vq_test_guest_xml(const VqGuest *g)
{
    const char *srcdir = g_getenv("VIRTBUS_SRCDIR");
    const char *out = g_getenv("VIRTBUS_GUEST_DIR");
    g_autofree gchar *build = g_build_filename(srcdir ? srcdir : ".", "tests", "guest", "build-guest", NULL);
    g_autofree gchar *dir = g_strdup(out && *out ? out : "/var/tmp/virtbus-guest");
    g_autofree gchar *template = NULL, *kernel = NULL, *initrd = NULL, *tin = NULL;
    g_autoptr(GError) error = NULL;
    gint status;
    const char *argv[] = { build, dir, NULL };

    if (!g_file_test(build, G_FILE_TEST_IS_EXECUTABLE))
        return NULL;
    /* Builds it once; later runs find it made. */
    if (!g_spawn_sync(NULL, (gchar **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL, &status, &error) ||
        !g_spawn_check_wait_status(status, NULL))
        return NULL;
    tin = g_build_filename(dir, "domain.xml.in", NULL);
    kernel = g_build_filename(dir, "vmlinuz", NULL);
    initrd = g_build_filename(dir, "initrd.img", NULL);
    if (!g_file_get_contents(tin, &template, NULL, NULL))
        return NULL;
    g_autoptr(GString) s = g_string_new(template);
    g_string_replace(s, "@NAME@", g->name, 0);
    g_string_replace(s, "@UUID@", g->uuid, 0);
    g_string_replace(s, "@KERNEL@", kernel, 0);
    g_string_replace(s, "@INITRD@", initrd, 0);
    return g_string_free(g_steal_pointer(&s), FALSE);
}

/* ---- what libvirt says, and what virtbusd says ---------------------------------------- */

gboolean
vq_libvirt_state(const VqGuest *g, gint *state, gint *reason)
{
    virDomainPtr dom = virDomainLookupByUUIDString(vq_conn(), g->uuid);
    gboolean ok;

    if (!dom)
        return FALSE;
    ok = virDomainGetState(dom, state, reason, 0) == 0;
    virDomainFree(dom);
    return ok;
}

void
vq_fail(VbFixture *f, const char *what)
{
    g_autofree gchar *seen = vb_signals_describe(f);
    g_error("%s; signals:%s", what, seen);
}

static gboolean
served_state(VbFixture *f, const VqGuest *g, gint *state, gint *reason)
{
    g_autoptr(GError) e1 = NULL, e2 = NULL;
    g_autoptr(GVariant) s = vb_call(f, g->path, VB_IFACE_PROPERTIES, "Get",
                                    g_variant_new("(ss)", VB_IFACE_DOMAIN, "State"), "(v)", &e1);
    g_autoptr(GVariant) r = vb_call(f, g->path, VB_IFACE_PROPERTIES, "Get",
                                    g_variant_new("(ss)", VB_IFACE_DOMAIN, "StateReason"), "(v)", &e2);
    g_autoptr(GVariant) sv = NULL, rv = NULL;

    if (!s || !r)
        return FALSE;
    g_variant_get(s, "(v)", &sv);
    g_variant_get(r, "(v)", &rv);
    *state = g_variant_get_int32(sv);
    *reason = g_variant_get_int32(rv);
    return TRUE;
}

/* Waits until a signal arrives that f->signals did not hold at @from. */
static gboolean
wait_more_signals(VbFixture *f, guint from, gint64 deadline)
{
    while (f->signals->len <= from) {
        if (g_get_monotonic_time() > deadline)
            return FALSE;
        g_main_context_iteration(NULL, TRUE);
    }
    return TRUE;
}

void
vq_assert_state_impl(const char *file, int line, VbFixture *f, const VqGuest *g, gint state, gint reason)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)VQ_WAIT_MS * 1000;
    gint ls = -1, lr = -1, ss = -1, sr = -1;

    /* Ground truth first. */
    if (!vq_libvirt_state(g, &ls, &lr) || ls != state || lr != reason) {
        g_autofree gchar *what = g_strdup_printf("%s:%d: libvirt says %s is (%d, %d), expected (%d, %d)", file,
                                                 line, g->name, ls, lr, state, reason);
        vq_fail(f, what);
    }
    /* virtbusd says so too, now or after the PropertiesChanged on its way. */
    for (;;) {
        guint seen;
        vb_process_events(f);
        seen = f->signals->len;
        if (served_state(f, g, &ss, &sr) && ss == ls && sr == lr)
            return;
        if (!wait_more_signals(f, seen, deadline)) {
            g_autofree gchar *what = g_strdup_printf("%s:%d: virtbusd says %s is (%d, %d), libvirt (%d, %d)", file,
                                                     line, g->name, ss, sr, ls, lr);
            vq_fail(f, what);
        }
    }
}

void
vq_assert_gone(VbFixture *f, const VqGuest *g)
{
    virDomainPtr dom = virDomainLookupByUUIDString(vq_conn(), g->uuid);

    if (dom)
        g_error("libvirt still knows %s", g->name);
    g_assert_cmpint(virGetLastErrorCode(), ==, VIR_ERR_NO_DOMAIN);
    if (!vb_wait_signal(f, "/org/libvirt", "org.freedesktop.DBus.ObjectManager", "InterfacesRemoved", g->path, NULL,
                        VQ_WAIT_MS)) {
        g_autofree gchar *what = g_strdup_printf("no InterfacesRemoved for %s", g->name);
        vq_fail(f, what);
    }
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) r = vb_call(f, g->path, VB_IFACE_PROPERTIES, "Get",
                                    g_variant_new("(ss)", VB_IFACE_DOMAIN, "State"), NULL, &error);
    vb_assert_unknown_object(error);
}

void
vq_expect_event(VbFixture *f, const VqGuest *g, gint event, gint detail)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)VQ_WAIT_MS * 1000;

    /* The next DomainEvent of @g that is this one; others are passed over. */
    for (;;) {
        g_autoptr(GVariant) params = NULL;
        gint64 left = (deadline - g_get_monotonic_time()) / 1000;
        gint e, d;
        if (left <= 0 ||
            !vb_wait_signal(f, VQ_PATH, VB_IFACE_CONNECT, "DomainEvent", g->path, &params, (guint)left)) {
            g_autofree gchar *what = g_strdup_printf("no DomainEvent (%d, %d) for %s", event, detail, g->name);
            vq_fail(f, what);
        }
        g_variant_get(params, "(&oii)", NULL, &e, &d);
        if (e == event && d == detail)
            return;
    }
}

void
vq_expect_added(VbFixture *f, const VqGuest *g)
{
    if (!vb_wait_signal(f, "/org/libvirt", "org.freedesktop.DBus.ObjectManager", "InterfacesAdded", g->path, NULL,
                        VQ_WAIT_MS)) {
        g_autofree gchar *what = g_strdup_printf("no InterfacesAdded for %s", g->name);
        vq_fail(f, what);
    }
}

/* ---- saves that go as fast as the test reads ---------------------------------------- */

int
vq_fifo_open(VbFixture *f, const char *name, gchar **path)
{
    gchar *p = g_build_filename(f->tmpdir, name, NULL);
    int fd;

    if (mkfifo(p, 0600) < 0)
        g_error("mkfifo %s: %s", p, g_strerror(errno));
    /* Open before libvirtd does: it opens its end blocking, with the
     * domain locked, until a reader is there. */
    fd = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        g_error("open %s: %s", p, g_strerror(errno));
    *path = p;
    return fd;
}

gssize
vq_fifo_read(int fd, gsize max)
{
    static char buf[64 * 1024];
    gsize total = 0;

    while (total < max) {
        gsize want = MIN(sizeof(buf), max - total);
        ssize_t n = read(fd, buf, want);
        if (n > 0) {
            total += (gsize)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            break;
        /* 0: no writer has it open. */
        return total > 0 ? (gssize)total : -1;
    }
    return (gssize)total;
}
