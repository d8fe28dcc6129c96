/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "qemu-util.h"

#include <libvirt/virterror.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define DIR_ENV "VIRTBUS_QEMU_TEST_DIR"

static struct {
    gchar *dir;             /* the libvirtd's state directory */
    gchar *uri;
    gchar *files;           /* vq_files_dir() */
    gchar *script;          /* start-libvirtd */
    gchar *connect_arg;
    gchar *host_path_arg;
    const char *args[4];
    const char *skip;       /* why the cases cannot run */
    gchar *start_error;     /* why libvirtd did not start */
    gboolean owner;         /* this process started libvirtd */
} vq;

/* A case with the fixture's options first, so the harness's data pointer
 * (the options) leads back to it. */
typedef struct {
    VbDaemonOptions opts;
    VbTestFunc func;
} VqCase;

/* ---- stopping everything, even when interrupted ------------------------------------ */

static const char *stop_argv[5];
static const char *rm_argv[4];

/* ---- tools ------------------------------------------------------------------------------ */


gchar *
vq_run_argv(const char *const *argv)
{
    g_autofree gchar *err = NULL;
    gchar *out = NULL;

    if (!vb_spawn(argv, &out, &err)) {
        g_autofree gchar *cmd = g_strjoinv(" ", (gchar **)argv);
        g_error("%s failed: %s%s", cmd, out ? out : "", err ? err : "");
    }
    return out;
}

static GPtrArray *
virsh_argv(const char *first, va_list ap)
{
    GPtrArray *argv = g_ptr_array_new();

    g_ptr_array_add(argv, (gpointer) "virsh");
    g_ptr_array_add(argv, (gpointer) "-q");
    g_ptr_array_add(argv, (gpointer) "-c");
    g_ptr_array_add(argv, vq.uri);
    for (const char *a = first; a; a = va_arg(ap, const char *))
        g_ptr_array_add(argv, (gpointer)a);
    g_ptr_array_add(argv, NULL);
    return argv;
}

gchar *
vq_virsh(const char *first, ...)
{
    va_list ap;

    va_start(ap, first);
    g_autoptr(GPtrArray) argv = virsh_argv(first, ap);
    va_end(ap);
    return vq_run_argv((const char *const *)argv->pdata);
}

gboolean
vq_virsh_try(gchar **out, gchar **err, const char *first, ...)
{
    va_list ap;

    va_start(ap, first);
    g_autoptr(GPtrArray) argv = virsh_argv(first, ap);
    va_end(ap);
    return vb_spawn((const char *const *)argv->pdata, out, err);
}

virConnectPtr
vq_connect(void)
{
    virConnectPtr c = virConnectOpen(vq.uri);

    if (!c)
        g_error("cannot connect to %s: %s", vq.uri, virGetLastErrorMessage());
    return c;
}

const char *
vq_uri(void)
{
    return vq.uri;
}

const char *
vq_files_dir(void)
{
    return vq.files;
}

gchar *
vq_case_dir(void)
{
    gchar *dir = g_build_filename(vq.files, "case-XXXXXX", NULL);

    g_assert_nonnull(g_mkdtemp(dir));
    return dir;
}

/* ---- the connection and guests ----------------------------------------------------------- */

void
vq_wait_connected(VbFixture *f)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)VQ_WAIT_MS * 1000;

    /* Read it, and if it is not up yet wait for it to change: the
     * connection opens in the background, maybe before the recording of
     * signals began. */
    while (!vb_get_bool(f, VQ_PATH, VB_IFACE_CONNECT, "Connected")) {
        if (g_get_monotonic_time() > deadline)
            g_error("virtbusd did not connect to %s", vq.uri);
        vb_wait_property_changed(f, VQ_PATH, VB_IFACE_CONNECT, "Connected", NULL, 1000);
    }
}

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
vq_guest_xml(const VqGuest *g, const char *devices, const char *extra)
{
    return g_strdup_printf("<domain type='qemu'><name>%s</name><uuid>%s</uuid>"
                           "<memory unit='MiB'>64</memory>"
                           "<os><type arch='x86_64' machine='pc'>hvm</type></os>%s"
                           "<devices><controller type='usb' model='none'/>%s</devices></domain>",
                           g->name, g->uuid, extra ? extra : "", devices ? devices : "");
}

void
vq_wait_domain_event(VbFixture *f, const VqGuest *g, gint event)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)VQ_WAIT_MS * 1000;

    for (;;) {
        g_autoptr(GVariant) params = NULL;
        gint64 left = (deadline - g_get_monotonic_time()) / 1000;
        gint e, d;

        if (left <= 0 ||
            !vb_wait_signal(f, VQ_PATH, VB_IFACE_CONNECT, "DomainEvent", g->path, &params, (guint)left)) {
            g_autofree gchar *seen = vb_signals_describe(f);
            g_error("no DomainEvent %d for %s; signals:%s", event, g->name, seen);
        }
        g_variant_get(params, "(&oii)", NULL, &e, &d);
        if (e == event)
            return;
    }
}

GVariant *
vq_wait_domain_signal(VbFixture *f, const VqGuest *g, const char *member, const char *first_arg)
{
    GVariant *params = NULL;

    if (!vb_wait_signal(f, g->path, VB_IFACE_DOMAIN, member, first_arg, &params, VQ_WAIT_MS)) {
        g_autofree gchar *seen = vb_signals_describe(f);
        g_error("no %s for %s; signals:%s", member, g->name, seen);
    }
    return params;
}

void
vq_guest_start(VbFixture *f, VqGuest *g, const char *xml)
{
    g_autoptr(GVariant) r = vb_call_ok(f, VQ_PATH, VB_IFACE_CONNECT, "DomainDefineXML", g_variant_new("(s)", xml),
                                       "(o)");
    const char *path;

    g_variant_get(r, "(&o)", &path);
    g_assert_cmpstr(path, ==, g->path);
    g_autoptr(GVariant) c = vb_call_ok(f, g->path, VB_IFACE_DOMAIN, "Create", g_variant_new("(u)", 0), "()");
    vq_wait_domain_event(f, g, VIR_DOMAIN_EVENT_STARTED);
}

void
vq_guest_remove(VqGuest *g)
{
    /* Either may fail: the guest may be stopped already, or transient and
     * gone. */
    vq_virsh_try(NULL, NULL, "destroy", g->name, NULL);
    vq_virsh_try(NULL, NULL, "undefine", g->name, NULL);
}

/* ---- set-up ------------------------------------------------------------------------------- */

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

static void
start_libvirtd(const char *name)
{
    g_autofree gchar *out = NULL;
    g_autofree gchar *err = NULL;
    g_autofree gchar *tmpl = g_strdup_printf("/var/tmp/virtbus-%s-XXXXXX", name);

    vq.dir = g_strdup(g_mkdtemp(tmpl));
    g_assert_nonnull(vq.dir);
    vq.owner = TRUE;
    stop_argv[0] = vq.script;
    stop_argv[1] = "stop";
    stop_argv[2] = "--guests";
    stop_argv[3] = vq.dir;
    rm_argv[0] = "/bin/rm";
    rm_argv[1] = "-rf";
    rm_argv[2] = vq.dir;
    /* A runner's timeout (SIGTERM) must not leave libvirtd and its guests
     * behind; the running case follows through PR_SET_PDEATHSIG. */
    vb_cleanup_on_interrupt(stop_argv, rm_argv);

    const char *start[] = { vq.script, "start", vq.dir, NULL };
    if (!vb_spawn(start, &out, &err))
        vq.start_error = g_strdup_printf("could not start libvirtd: %s%s", out ? out : "", err ? err : "");
    else
        g_setenv(DIR_ENV, vq.dir, TRUE);
}

void
vq_init(int *argc, char ***argv, const char *name)
{
    const char *srcdir = g_getenv("VIRTBUS_SRCDIR");

    vb_init(argc, argv);
    vq.script = g_build_filename(srcdir ? srcdir : ".", "tests", "libvirtd", "start-libvirtd", NULL);
    if (vb_reference_mode()) {
        vq.skip = "libvirt-dbus cannot be pointed at a private libvirtd";
        return;
    }
    if ((vq.skip = missing_prerequisite()))
        return;
    /* One libvirtd for the whole program; each case runs in a child
     * process that finds it through the environment. */
    if (!g_test_subprocess())
        start_libvirtd(name);
    if (!g_getenv(DIR_ENV))
        return;
    g_free(vq.dir);
    vq.dir = g_strdup(g_getenv(DIR_ENV));
    vq.uri = g_strdup_printf("qemu+unix:///system?socket=%s/run/libvirt/libvirt-sock", vq.dir);
    vq.files = g_build_filename(vq.dir, "files", NULL);
    g_mkdir_with_parents(vq.files, 0700);
    vq.connect_arg = g_strdup_printf("QEMU=%s", vq.uri);
    vq.host_path_arg = g_strdup_printf("--host-path-dir=%s", vq.files);
    /* Besides the harness's Test=test:///default; callers may name host
     * files below vq_files_dir(). */
    vq.args[0] = "--connect";
    vq.args[1] = vq.connect_arg;
    vq.args[2] = vq.host_path_arg;
    vq.args[3] = NULL;
}

static void
run_case(VbFixture *f, gconstpointer data)
{
    const VqCase *c = data;

    /* The case goes when the program does (it is interrupted after
     * libvirtd was stopped). */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    vq_wait_connected(f);
    c->func(f, data);
}

void
vq_set_unavailable(const char *reason, gboolean failure)
{
    if (vq.skip || vq.start_error)
        return;
    if (failure)
        vq.start_error = g_strdup(reason);
    else
        vq.skip = g_intern_string(reason);
}

gboolean
vq_available(void)
{
    return !vq.skip && !vq.start_error;
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

/* Test builds hold a long operation's worker at a FIFO in the case's
 * scratch directory when the case puts one there (tests/job-util.h). */
static const char *const barrier_env[] = { "VIRTBUS_TEST_BARRIER_DIR=@TMPDIR@", NULL };

void
vq_add(const char *testpath, VbTestFunc func)
{
    if (vq.skip) {
        g_test_add_data_func(testpath, vq.skip, skip_case);
        return;
    }
    if (vq.start_error) {
        g_test_add_data_func(testpath, vq.start_error, fail_case);
        return;
    }
    VqCase *c = g_new0(VqCase, 1);
    c->opts.extra_args = vq.args;
    c->opts.extra_env = barrier_env;
    c->func = func;
    vb_add_full(testpath, &c->opts, run_case);
}

int
vq_run(void)
{
    int ret = vb_run();

    if (vq.owner && vq.dir) {
        const char *stop[] = { vq.script, "stop", "--guests", vq.dir, NULL };
        const char *rm[] = { "rm", "-rf", vq.dir, NULL };
        vb_spawn(stop, NULL, NULL);
        vb_spawn(rm, NULL, NULL);
    }
    return ret;
}
