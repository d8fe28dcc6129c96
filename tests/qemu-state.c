/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "qemu-state.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static virConnectPtr conn;

virConnectPtr
vs_conn(void)
{
    if (!conn)
        conn = vq_connect();
    return conn;
}

/* ---- guests ------------------------------------------------------------------------- */

gchar *
vs_busy_guest_xml(VbFixture *f, const VqGuest *g)
{
    g_autofree gchar *blob = g_build_filename(f->tmpdir, "memory.bin", NULL);
    g_autofree guint32 *data = g_new(guint32, VS_BUSY_BYTES / sizeof(guint32));
    g_autoptr(GRand) rand = g_rand_new_with_seed(42);
    g_autoptr(GError) error = NULL;

    /* Bytes no page compresses away, which QEMU's generic loader puts in
     * the guest's memory at 16 MiB before the firmware runs. */
    for (gsize i = 0; i < VS_BUSY_BYTES / sizeof(guint32); i++)
        data[i] = g_rand_int(rand);
    g_file_set_contents(blob, (const gchar *)data, VS_BUSY_BYTES, &error);
    g_assert_no_error(error);
    return g_strdup_printf("<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>"
                           "<name>%s</name><uuid>%s</uuid><memory unit='MiB'>64</memory>"
                           "<os><type arch='x86_64' machine='pc'>hvm</type></os>"
                           "<devices><memballoon model='none'/></devices>"
                           "<qemu:commandline><qemu:arg value='-device'/>"
                           "<qemu:arg value='loader,file=%s,addr=0x1000000,force-raw=on'/></qemu:commandline>"
                           "</domain>",
                           g->name, g->uuid, blob);
}

gchar *
vs_test_guest_xml(const VqGuest *g)
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
vs_libvirt_state(const VqGuest *g, gint *state, gint *reason)
{
    virDomainPtr dom = virDomainLookupByUUIDString(vs_conn(), g->uuid);
    gboolean ok;

    if (!dom)
        return FALSE;
    ok = virDomainGetState(dom, state, reason, 0) == 0;
    virDomainFree(dom);
    return ok;
}

void
vs_fail(VbFixture *f, const char *what)
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

static gboolean
on_deadline(gpointer data)
{
    *(gboolean *)data = TRUE;
    return G_SOURCE_REMOVE;
}

/* Waits until a signal arrives that f->signals did not hold at @from. */
static gboolean
wait_more_signals(VbFixture *f, guint from, gint64 deadline)
{
    gint64 left = deadline - g_get_monotonic_time();
    gboolean timed_out = FALSE;
    guint id;

    if (left <= 0)
        return FALSE;
    id = g_timeout_add((guint)(left / 1000) + 1, on_deadline, &timed_out);
    while (f->signals->len <= from && !timed_out)
        g_main_context_iteration(NULL, TRUE);
    if (!timed_out)
        g_source_remove(id);
    return f->signals->len > from;
}

void
vs_assert_state_impl(const char *file, int line, VbFixture *f, const VqGuest *g, gint state, gint reason)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)VQ_WAIT_MS * 1000;
    gint ls = -1, lr = -1, ss = -1, sr = -1;

    /* virtbusd says so, now or after the PropertiesChanged on its way; and
     * then libvirt, the ground truth, must say the same. */
    for (;;) {
        guint seen;
        vb_process_events(f);
        seen = f->signals->len;
        if (served_state(f, g, &ss, &sr) && ss == state && sr == reason)
            break;
        if (!wait_more_signals(f, seen, deadline)) {
            vs_libvirt_state(g, &ls, &lr);
            g_autofree gchar *what = g_strdup_printf("%s:%d: virtbusd says %s is (%d, %d), libvirt (%d, %d), "
                                                     "expected (%d, %d)", file, line, g->name, ss, sr, ls, lr,
                                                     state, reason);
            vs_fail(f, what);
        }
    }
    if (!vs_libvirt_state(g, &ls, &lr) || ls != state || lr != reason) {
        g_autofree gchar *what = g_strdup_printf("%s:%d: libvirt says %s is (%d, %d), virtbusd and the test (%d, %d)",
                                                 file, line, g->name, ls, lr, state, reason);
        vs_fail(f, what);
    }
}

void
vs_assert_gone(VbFixture *f, const VqGuest *g)
{
    virDomainPtr dom = virDomainLookupByUUIDString(vs_conn(), g->uuid);

    if (dom)
        g_error("libvirt still knows %s", g->name);
    g_assert_cmpint(virGetLastErrorCode(), ==, VIR_ERR_NO_DOMAIN);
    if (!vb_wait_signal(f, "/org/libvirt", "org.freedesktop.DBus.ObjectManager", "InterfacesRemoved", g->path, NULL,
                        VQ_WAIT_MS)) {
        g_autofree gchar *what = g_strdup_printf("no InterfacesRemoved for %s", g->name);
        vs_fail(f, what);
    }
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) r = vb_call(f, g->path, VB_IFACE_PROPERTIES, "Get",
                                    g_variant_new("(ss)", VB_IFACE_DOMAIN, "State"), NULL, &error);
    vb_assert_unknown_object(error);
}

void
vs_expect_event(VbFixture *f, const VqGuest *g, gint event, gint detail)
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
            vs_fail(f, what);
        }
        g_variant_get(params, "(&oii)", NULL, &e, &d);
        if (e == event && d == detail)
            return;
    }
}

void
vs_expect_added(VbFixture *f, const VqGuest *g)
{
    if (!vb_wait_signal(f, "/org/libvirt", "org.freedesktop.DBus.ObjectManager", "InterfacesAdded", g->path, NULL,
                        VQ_WAIT_MS)) {
        g_autofree gchar *what = g_strdup_printf("no InterfacesAdded for %s", g->name);
        vs_fail(f, what);
    }
}

/* ---- saves that go as fast as the test reads ---------------------------------------- */

struct VsDrain {
    gchar *path;
    int fd;
    GThread *thread;
    GMutex lock;
    GCond cond;
    gint64 budget;      /* bytes the reader may still read; -1: no limit */
    guint64 total;
    gboolean stop;
    gboolean reading;   /* in read() */
};

static gpointer
drain_thread(gpointer data)
{
    VsDrain *d = data;
    static char buf[64 * 1024];

    g_mutex_lock(&d->lock);
    for (;;) {
        gsize want;
        ssize_t n;

        while (!d->stop && d->budget == 0)
            g_cond_wait(&d->cond, &d->lock);
        if (d->stop)
            break;
        want = d->budget < 0 ? sizeof(buf) : MIN(sizeof(buf), (gsize)d->budget);
        d->reading = TRUE;
        g_mutex_unlock(&d->lock);
        n = read(d->fd, buf, want);
        g_mutex_lock(&d->lock);
        d->reading = FALSE;
        if (n < 0 && errno != EINTR)
            g_error("reading %s: %s", d->path, g_strerror(errno));
        if (n > 0) {
            d->total += (guint64)n;
            if (d->budget > 0)
                d->budget -= MIN(d->budget, (gint64)n);
        }
    }
    g_mutex_unlock(&d->lock);
    return NULL;
}

VsDrain *
vs_drain_new(VbFixture *f, const char *name)
{
    VsDrain *d = g_new0(VsDrain, 1);

    d->path = g_build_filename(f->tmpdir, name, NULL);
    if (mkfifo(d->path, 0600) < 0)
        g_error("mkfifo %s: %s", d->path, g_strerror(errno));
    d->fd = open(d->path, O_RDWR | O_CLOEXEC);
    if (d->fd < 0)
        g_error("open %s: %s", d->path, g_strerror(errno));
    g_mutex_init(&d->lock);
    g_cond_init(&d->cond);
    d->thread = g_thread_new("drain", drain_thread, d);
    return d;
}

const char *
vs_drain_path(VsDrain *d)
{
    return d->path;
}

void
vs_drain_allow(VsDrain *d, gssize bytes)
{
    g_mutex_lock(&d->lock);
    if (bytes < 0 || d->budget < 0)
        d->budget = -1;
    else
        d->budget += bytes;
    g_cond_signal(&d->cond);
    g_mutex_unlock(&d->lock);
}

guint64
vs_drain_total(VsDrain *d)
{
    guint64 t;

    g_mutex_lock(&d->lock);
    t = d->total;
    g_mutex_unlock(&d->lock);
    return t;
}

void
vs_drain_free(VsDrain *d)
{
    gboolean wake;

    if (!d)
        return;
    g_mutex_lock(&d->lock);
    d->stop = TRUE;
    wake = d->reading;
    g_cond_signal(&d->cond);
    g_mutex_unlock(&d->lock);
    /* A reader blocked in read() (on an empty pipe) wakes up for a byte of
     * our own. */
    if (wake && write(d->fd, "", 1) < 0)
        g_error("waking the reader of %s: %s", d->path, g_strerror(errno));
    g_thread_join(d->thread);
    close(d->fd);
    unlink(d->path);
    g_mutex_clear(&d->lock);
    g_cond_clear(&d->cond);
    g_free(d->path);
    g_free(d);
}
