/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "job-util.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static gchar *
barrier_path(VbFixture *f, const char *operation)
{
    return g_build_filename(f->tmpdir, operation, NULL);
}

void
vj_barrier_arm(VbFixture *f, const char *operation)
{
    g_autofree gchar *p = barrier_path(f, operation);

    if (mkfifo(p, 0600) < 0 && errno != EEXIST)
        g_error("mkfifo %s: %s", p, g_strerror(errno));
}

int
vj_barrier_wait(VbFixture *f, const char *operation, guint timeout_ms)
{
    g_autofree gchar *p = barrier_path(f, operation);
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    /* Opening the writing end without blocking fails (ENXIO) until the
     * worker has opened the reading end: then it is at the barrier. */
    for (;;) {
        int fd = open(p, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd >= 0)
            return fd;
        if (errno != ENXIO)
            g_error("open %s: %s", p, g_strerror(errno));
        if (g_get_monotonic_time() > deadline)
            g_error("no worker reached the %s barrier within %u ms", operation, timeout_ms);
        g_main_context_iteration(NULL, FALSE);
        g_usleep(2000);
    }
}

void
vj_barrier_release(VbFixture *f, const char *operation, int fd)
{
    g_autofree gchar *p = barrier_path(f, operation);

    unlink(p);
    close(fd);
}

static void
on_reply(GObject *source, GAsyncResult *res, gpointer data)
{
    VjAsync *a = data;

    a->reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &a->error);
    a->done = TRUE;
}

void
vj_call_async(VbFixture *f, const char *path, const char *iface, const char *method, GVariant *args,
              VjAsync *a)
{
    memset(a, 0, sizeof(*a));
    g_dbus_connection_call(f->bus, VB_BUS_NAME, path, iface, method, args, NULL, G_DBUS_CALL_FLAGS_NONE,
                           VB_CALL_TIMEOUT_MS * 4, NULL, on_reply, a);
}

static gboolean
on_timeout(gpointer data)
{
    *(gboolean *)data = TRUE;
    return G_SOURCE_REMOVE;
}

void
vj_iterate_until(gboolean *done, guint timeout_ms)
{
    gboolean timed_out = FALSE;
    guint id = g_timeout_add(timeout_ms, on_timeout, &timed_out);

    while (!*done && !timed_out)
        g_main_context_iteration(NULL, TRUE);
    if (!timed_out)
        g_source_remove(id);
}

void
vj_async_wait(VjAsync *a, guint timeout_ms)
{
    vj_iterate_until(&a->done, timeout_ms);
    if (!a->done)
        g_error("no reply within %u ms", timeout_ms);
}

void
vj_async_clear(VjAsync *a)
{
    g_clear_pointer(&a->reply, g_variant_unref);
    g_clear_error(&a->error);
}

gchar *
vj_wait_job_added(VbFixture *f, const char *object_path, GVariant **props, guint timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    for (;;) {
        g_autoptr(GVariant) params = NULL;
        g_autoptr(GVariant) ifaces = NULL;
        g_autoptr(GVariant) job = NULL;
        const char *path, *object;
        gint64 left = (deadline - g_get_monotonic_time()) / 1000;

        if (left <= 0 ||
            !vb_wait_signal(f, VJ_ROOT_PATH, VJ_IFACE_OBJECT_MANAGER, "InterfacesAdded", NULL, &params, (guint)left)) {
            g_autofree gchar *seen = vb_signals_describe(f);
            g_error("no job on %s appeared within %u ms; signals:%s", object_path, timeout_ms, seen);
        }
        g_variant_get(params, "(&o@a{sa{sv}})", &path, &ifaces);
        job = g_variant_lookup_value(ifaces, VJ_IFACE_JOB, G_VARIANT_TYPE("a{sv}"));
        if (!job || !g_variant_lookup(job, "Object", "&o", &object) || g_strcmp0(object, object_path) != 0)
            continue;
        if (props)
            *props = g_variant_ref(job);
        return g_strdup(path);
    }
}

gboolean
vj_wait_completed(VbFixture *f, const char *job_path, gboolean *success, gchar **message, guint timeout_ms)
{
    g_autoptr(GVariant) params = NULL;
    const char *msg;

    if (!vb_wait_signal(f, job_path, VJ_IFACE_JOB, "Completed", NULL, &params, timeout_ms))
        return FALSE;
    g_variant_get(params, "(b&s)", success, &msg);
    if (message)
        *message = g_strdup(msg);
    return TRUE;
}

gint
vj_signal_index(VbFixture *f, const char *path, const char *iface, const char *member, const char *first_arg)
{
    vb_process_events(f);
    for (guint i = 0; i < f->signals->len; i++) {
        VbSignal *s = g_ptr_array_index(f->signals, i);
        if (g_strcmp0(s->path, path) != 0 || g_strcmp0(s->interface, iface) != 0 ||
            g_strcmp0(s->member, member) != 0)
            continue;
        if (first_arg) {
            g_autoptr(GVariant) first = g_variant_n_children(s->params) ? g_variant_get_child_value(s->params, 0) : NULL;
            if (!first || (!g_variant_is_of_type(first, G_VARIANT_TYPE_STRING) &&
                           !g_variant_is_of_type(first, G_VARIANT_TYPE_OBJECT_PATH)) ||
                g_strcmp0(g_variant_get_string(first, NULL), first_arg) != 0)
                continue;
        }
        return (gint)i;
    }
    return -1;
}
