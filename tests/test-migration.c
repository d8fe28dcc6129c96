/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Live migration between two real hosts, driven over D-Bus.
 *
 * The program starts one pair of libvirt hosts (libvirtd/start-hosts: two
 * libvirtds with QEMU under TCG, each in namespaces of its own, joined by
 * a veth pair) for all its cases, and stops them at the end, also when
 * interrupted. Each case gets a fresh virtbusd serving both hosts through
 * their unix sockets as /org/libvirt/A and /org/libvirt/B.
 *
 * Every effect is checked with libvirt's own view (virsh on each host);
 * the order of signals and replies with the messages as the client read
 * them from its socket. Migrations are slowed with libvirt's bandwidth
 * limit on a guest whose RAM holds random data (QEMU's loader device: a
 * guest sitting in its firmware is mostly zero pages, which cost nothing
 * to send), and the tests wait for libvirt's job progress, never for time.
 *
 * Guests are diskless: a migration needs no shared storage then. */
#include "job-util.h"
#include "polkit-harness.h"
#include "watch-util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define HOSTS_ENV "VIRTBUS_MIGRATION_HOSTS_DIR"
/* Waits for what libvirtd and QEMU do: generous, since other programs may
 * share the machine; never a measure of anything. */
#define MT_WAIT_MS 60000
/* The slowed migrations send at this many MiB/s. */
#define SLOW_MIB_S 1
/* Random data in the slow guest's RAM: about 16 s to send at 1 MiB/s. */
#define BLOB_BYTES (16u << 20)

#define A_PATH "/org/libvirt/A"
#define B_PATH "/org/libvirt/B"
#define ERR_ARGUMENT_UNSUPPORTED VB_ERROR_PREFIX "ArgumentUnsupported"
#define ERR_SYSTEM VB_ERROR_PREFIX "SystemError"

static struct {
    gchar *dir;             /* start-hosts' directory */
    gchar *script;          /* start-hosts */
    gchar *uri[2];          /* A_URI, B_URI: unix sockets, reachable from here */
    gchar *peer[2];         /* A_PEER_URI, B_PEER_URI: reachable from the other host */
    gchar *blob;            /* random data for slow guests, readable by both hosts */
    gchar *connect_a, *connect_b;
    const char *args_ab[5];
    const char *args_a[3];
    const char *env_recheck[2];
    const char *skip;
    gchar *start_error;
    gboolean owner;
} mt;

typedef enum { HOST_A, HOST_B } Host;

static const char *
host_path(Host h)
{
    return h == HOST_A ? A_PATH : B_PATH;
}

/* ---- stopping the hosts, even when interrupted --------------------------------------- */

static const char *stop_argv[4];
static const char *rm_argv[4];

/* ---- tools ------------------------------------------------------------------------------ */


static GPtrArray *
virsh_argv(Host h, const char *first, va_list ap)
{
    GPtrArray *argv = g_ptr_array_new();

    g_ptr_array_add(argv, (gpointer) "virsh");
    g_ptr_array_add(argv, (gpointer) "-q");
    g_ptr_array_add(argv, (gpointer) "-c");
    g_ptr_array_add(argv, mt.uri[h]);
    for (const char *a = first; a; a = va_arg(ap, const char *))
        g_ptr_array_add(argv, (gpointer)a);
    g_ptr_array_add(argv, NULL);
    return argv;
}

/* virsh -q -c <host's URI> ARGS...: its output, stripped; the case fails
 * unless virsh succeeds. */
static gchar *G_GNUC_NULL_TERMINATED
virsh(Host h, const char *first, ...)
{
    g_autofree gchar *out = NULL;
    g_autofree gchar *err = NULL;
    va_list ap;

    va_start(ap, first);
    g_autoptr(GPtrArray) argv = virsh_argv(h, first, ap);
    va_end(ap);
    if (!vb_spawn((const char *const *)argv->pdata, &out, &err)) {
        g_autofree gchar *cmd = g_strjoinv(" ", (gchar **)argv->pdata);
        g_error("%s failed: %s%s", cmd, out ? out : "", err ? err : "");
    }
    return g_strdup(g_strstrip(out));
}

/* The same for a command that may fail: whether it succeeded, and its
 * output and errors, stripped (either may be NULL). */
static gboolean G_GNUC_NULL_TERMINATED
virsh_try(Host h, gchar **out, gchar **err, const char *first, ...)
{
    gboolean ok;
    va_list ap;

    va_start(ap, first);
    g_autoptr(GPtrArray) argv = virsh_argv(h, first, ap);
    va_end(ap);
    ok = vb_spawn((const char *const *)argv->pdata, out, err);
    if (out && *out)
        g_strstrip(*out);
    if (err && *err)
        g_strstrip(*err);
    return ok;
}

/* "STATE (REASON)" of domain @name on host @h as libvirt says it, or NULL
 * when the host has no such domain. */
static gchar *
domstate(Host h, const char *name)
{
    gchar *out = NULL;

    if (!virsh_try(h, &out, NULL, "domstate", "--reason", name, NULL)) {
        g_free(out);
        return NULL;
    }
    return out;
}

#define assert_domstate(h, name, expected) \
    G_STMT_START { \
        g_autofree gchar *st_ = domstate((h), (name)); \
        g_assert_cmpstr(st_, ==, (expected)); \
    } G_STMT_END

/* Every domain host @h has, running or not, one name per line. */
static gchar *
all_domains(Host h)
{
    return virsh(h, "list", "--all", "--name", NULL);
}

static gboolean
is_persistent(Host h, const char *name)
{
    g_autofree gchar *out = virsh(h, "list", "--all", "--persistent", "--name", NULL);
    g_auto(GStrv) lines = g_strsplit(out, "\n", -1);

    return g_strv_contains((const char *const *)lines, name);
}

/* Nothing of the guests of a case is left running, paused or defined on
 * either host. */
static void
assert_no_domains(Host h)
{
    g_autofree gchar *names = all_domains(h);

    g_assert_cmpstr(names, ==, "");
}

static void
assert_text(const char *text, const char *expected)
{
    if (g_strcmp0(text, expected) != 0)
        g_error("error text \"%s\", expected \"%s\"", text, expected);
}

static void
assert_text_prefix(const char *text, const char *prefix)
{
    if (!g_str_has_prefix(text, prefix))
        g_error("error text \"%s\" does not start with \"%s\"", text, prefix);
}

/* ---- guests ---------------------------------------------------------------------------- */

typedef struct {
    gchar *name;
    gchar *uuid;
    gchar *path[2];         /* its object path under /org/libvirt/A and /org/libvirt/B */
    gchar *xml;
} Guest;

static void
guest_free(Guest *g)
{
    if (!g)
        return;
    g_free(g->name);
    g_free(g->uuid);
    g_free(g->path[0]);
    g_free(g->path[1]);
    g_free(g->xml);
    g_free(g);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Guest, guest_free)

/* A diskless guest with @mib MiB of RAM; @slow ones hold random data. */
static Guest *
guest_new(const char *name, guint mib, gboolean slow)
{
    Guest *g = g_new0(Guest, 1);
    g_autofree gchar *extra = NULL;

    g->name = g_strdup(name);
    g->uuid = g_uuid_string_random();
    for (Host h = HOST_A; h <= HOST_B; h++) {
        g->path[h] = g_strconcat(host_path(h), "/domain/_", g->uuid, NULL);
        g_strdelimit(g->path[h] + strlen(host_path(h)) + strlen("/domain/_"), "-", '_');
    }
    /* Above the firmware, below the top of RAM. */
    if (slow)
        extra = g_strdup_printf("<qemu:commandline><qemu:arg value='-device'/>"
                                "<qemu:arg value='loader,file=%s,addr=0x1000000,force-raw=on'/>"
                                "</qemu:commandline>", mt.blob);
    g->xml = g_strdup_printf("<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>"
                             "<name>%s</name><uuid>%s</uuid><memory unit='MiB'>%u</memory><vcpu>1</vcpu>"
                             "<os><type arch='x86_64' machine='pc'>hvm</type></os>"
                             "<devices><controller type='usb' model='none'/><memballoon model='none'/></devices>"
                             "%s</domain>",
                             g->name, g->uuid, mib, extra ? extra : "");
    return g;
}

/* Destroys and undefines the guest on both hosts; whatever state it was
 * in, nothing of it is left. */
static void
guest_remove(const Guest *g)
{
    for (Host h = HOST_A; h <= HOST_B; h++) {
        virsh_try(h, NULL, NULL, "destroy", g->name, NULL);
        virsh_try(h, NULL, NULL, "undefine", g->name, NULL);
    }
}

/* Every case starts with hosts that have no domains, even when the case
 * before it failed half-way. */
static void
clean_hosts(void)
{
    for (Host h = HOST_A; h <= HOST_B; h++) {
        g_autofree gchar *names = all_domains(h);
        g_auto(GStrv) lines = g_strsplit(names, "\n", -1);

        for (gchar **n = lines; *n; n++) {
            if (!**n)
                continue;
            virsh_try(h, NULL, NULL, "destroy", *n, NULL);
            virsh_try(h, NULL, NULL, "undefine", *n, NULL);
        }
        assert_no_domains(h);
    }
}

/* Waits for DomainEvent(@g on @h, @event, @detail) on the host's Connect
 * object. */
static void
wait_domain_event(VbFixture *f, const Guest *g, Host h, gint event, gint detail)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)MT_WAIT_MS * 1000;

    for (;;) {
        g_autoptr(GVariant) params = NULL;
        gint64 left = (deadline - g_get_monotonic_time()) / 1000;
        gint e, d;

        if (left <= 0 ||
            !vb_wait_signal(f, host_path(h), VB_IFACE_CONNECT, "DomainEvent", g->path[h], &params, (guint)left)) {
            g_autofree gchar *seen = vb_signals_describe(f);
            g_error("no DomainEvent(%d, %d) for %s on %s; signals:%s", event, detail, g->name, host_path(h), seen);
        }
        g_variant_get(params, "(&oii)", NULL, &e, &d);
        if (e == event && d == detail)
            return;
    }
}

static void
wait_signal_or_fail(VbFixture *f, const char *path, const char *iface, const char *member, const char *first_arg)
{
    if (!vb_wait_signal(f, path, iface, member, first_arg, NULL, MT_WAIT_MS)) {
        g_autofree gchar *seen = vb_signals_describe(f);
        g_error("no %s.%s(%s) on %s; signals:%s", iface, member, first_arg ? first_arg : "", path, seen);
    }
}

static void
wait_added(VbFixture *f, const char *path)
{
    wait_signal_or_fail(f, VJ_ROOT_PATH, VJ_IFACE_OBJECT_MANAGER, "InterfacesAdded", path);
}

static void
wait_removed(VbFixture *f, const char *path)
{
    wait_signal_or_fail(f, VJ_ROOT_PATH, VJ_IFACE_OBJECT_MANAGER, "InterfacesRemoved", path);
}

/* Starts a transient guest on A through virtbusd (DomainCreateXML). */
static void
create_on_a(VbFixture *f, const Guest *g)
{
    g_autoptr(GVariant) r = vb_call_ok(f, A_PATH, VB_IFACE_CONNECT, "DomainCreateXML",
                                       g_variant_new("(su)", g->xml, 0), "(o)");
    const char *path;

    g_variant_get(r, "(&o)", &path);
    g_assert_cmpstr(path, ==, g->path[HOST_A]);
    wait_domain_event(f, g, HOST_A, VIR_DOMAIN_EVENT_STARTED, VIR_DOMAIN_EVENT_STARTED_BOOTED);
    assert_domstate(HOST_A, g->name, "running (booted)");
}

/* Defines a persistent guest on A through virtbusd, and starts it unless
 * @shut_off. */
static void
define_on_a(VbFixture *f, const Guest *g, gboolean shut_off)
{
    g_autoptr(GVariant) r = vb_call_ok(f, A_PATH, VB_IFACE_CONNECT, "DomainDefineXML", g_variant_new("(s)", g->xml),
                                       "(o)");
    const char *path;

    g_variant_get(r, "(&o)", &path);
    g_assert_cmpstr(path, ==, g->path[HOST_A]);
    if (shut_off)
        return;
    g_autoptr(GVariant) c = vb_call_ok(f, g->path[HOST_A], VB_IFACE_DOMAIN, "Create", g_variant_new("(u)", 0), "()");
    wait_domain_event(f, g, HOST_A, VIR_DOMAIN_EVENT_STARTED, VIR_DOMAIN_EVENT_STARTED_BOOTED);
}

static void
get_state(VbFixture *f, const char *path, gint *state, gint *reason)
{
    g_autoptr(GVariant) r = vb_call_ok(f, path, VB_IFACE_DOMAIN, "GetState", g_variant_new("(u)", 0), "((ii))");

    g_variant_get(r, "((ii))", state, reason);
}

/* ---- calls whose reply is found among the messages as read -------------------------------- */

typedef struct {
    VwWire *wire;
    guint32 serial;
    gboolean done;
} Pending;

static void
on_reply_done(GObject *source, GAsyncResult *res, gpointer data)
{
    Pending *p = data;
    g_autoptr(GDBusMessage) reply =
        g_dbus_connection_send_message_with_reply_finish(G_DBUS_CONNECTION(source), res, NULL);

    p->done = TRUE;
}

/* Sends a call without waiting: its reply may take as long as a slowed
 * migration. */
static void
call_start(VbFixture *f, Pending *p, const char *path, const char *iface, const char *method, GVariant *args)
{
    g_autoptr(GDBusMessage) msg = g_dbus_message_new_method_call(VB_BUS_NAME, path, iface, method);

    p->done = FALSE;
    g_dbus_message_set_body(msg, args);
    g_dbus_connection_send_message_with_reply(f->bus, msg, G_DBUS_SEND_MESSAGE_FLAGS_NONE, MT_WAIT_MS * 2,
                                              &p->serial, NULL, on_reply_done, p);
    g_assert_cmpuint(p->serial, !=, 0);
}

/* Waits for the reply and returns its index among the messages read. */
static guint
call_finish(VbFixture *f, Pending *p)
{
    guint i = vw_wire_wait_reply(p->wire, p->serial, MT_WAIT_MS * 2);

    while (!p->done)
        g_main_context_iteration(NULL, TRUE);
    vb_process_events(f);
    return i;
}

static const VwWireMsg *
reply_at(Pending *p, guint i)
{
    return vw_wire_get(p->wire, i);
}

/* The error text of an error reply. */
static const char *
reply_error_text(const VwWireMsg *m)
{
    const char *text = "";

    if (m->body && g_variant_n_children(m->body) > 0)
        g_variant_get_child(m->body, 0, "&s", &text);
    return text;
}

static void
assert_reply_ok(const VwWireMsg *m)
{
    if (m->type == G_DBUS_MESSAGE_TYPE_ERROR)
        g_error("the call failed: %s: %s", m->error_name, reply_error_text(m));
}

static void
assert_reply_error(const VwWireMsg *m, const char *name)
{
    if (m->type != G_DBUS_MESSAGE_TYPE_ERROR)
        g_error("the call succeeded; expected %s", name);
    g_assert_cmpstr(m->error_name, ==, name);
}

static GVariant *
migrate_args(const char *uri, GVariant *params, guint flags)
{
    if (!params)
        params = g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0);
    return g_variant_new("(s@a{sv}u)", uri, params, flags);
}

/* MigrateToURI3 on @path, asserting success; the reply's index among the
 * messages read. */
static guint
migrate_ok(VbFixture *f, VwWire *wire, const char *path, const char *uri, GVariant *params, guint flags)
{
    Pending p = { .wire = wire };
    guint i;

    call_start(f, &p, path, VB_IFACE_DOMAIN, "MigrateToURI3", migrate_args(uri, params, flags));
    i = call_finish(f, &p);
    assert_reply_ok(reply_at(&p, i));
    return i;
}

/* ---- what the messages before a reply say ------------------------------------------------ */

/* Index of the first DomainEvent(@dom, @event, @detail) on @conn_path
 * among the messages read before @before, or -1. */
static gint
wire_domain_event(VwWire *w, guint before, const char *conn_path, const char *dom, gint event, gint detail)
{
    for (guint i = 0; i < before; i++) {
        const VwWireMsg *m = vw_wire_get(w, i);
        const char *path;
        gint e, d;

        if (m->type != G_DBUS_MESSAGE_TYPE_SIGNAL || g_strcmp0(m->path, conn_path) != 0 ||
            g_strcmp0(m->member, "DomainEvent") != 0)
            continue;
        g_variant_get(m->body, "(&oii)", &path, &e, &d);
        if (g_str_equal(path, dom) && e == event && d == detail)
            return (gint)i;
    }
    return -1;
}

static void
assert_event_before(VwWire *w, guint before, Host h, const Guest *g, gint event, gint detail)
{
    if (wire_domain_event(w, before, host_path(h), g->path[h], event, detail) < 0)
        g_error("no DomainEvent(%s, %d, %d) on %s before the reply", g->name, event, detail, host_path(h));
}

static void
assert_signal_before(VwWire *w, guint before, const char *path, const char *iface, const char *member,
                     const char *first_arg)
{
    gint i = vw_wire_find_signal(w, 0, path, iface, member, first_arg);

    if (i < 0 || (guint)i >= before)
        g_error("no %s.%s(%s) on %s before the reply", iface, member, first_arg ? first_arg : "", path);
}

/* The last value of domain property @name on @path announced before
 * @before (PropertiesChanged), or NULL. */
static GVariant *
wire_last_property(VwWire *w, guint before, const char *path, const char *name)
{
    GVariant *last = NULL;

    for (guint i = 0; i < before; i++) {
        const VwWireMsg *m = vw_wire_get(w, i);
        g_autoptr(GVariant) changed = NULL;
        g_autoptr(GVariant) v = NULL;
        const char *iface;

        if (m->type != G_DBUS_MESSAGE_TYPE_SIGNAL || g_strcmp0(m->path, path) != 0 ||
            g_strcmp0(m->member, "PropertiesChanged") != 0)
            continue;
        g_variant_get(m->body, "(&s@a{sv}@as)", &iface, &changed, NULL);
        if (!g_str_equal(iface, VB_IFACE_DOMAIN) || !(v = g_variant_lookup_value(changed, name, NULL)))
            continue;
        g_clear_pointer(&last, g_variant_unref);
        last = g_steal_pointer(&v);
    }
    return last;
}

static void
assert_state_announced(VwWire *w, guint before, const char *path, gint state, gint reason)
{
    g_autoptr(GVariant) s = wire_last_property(w, before, path, "State");
    g_autoptr(GVariant) r = wire_last_property(w, before, path, "StateReason");

    if (!s || g_variant_get_int32(s) != state || !r || g_variant_get_int32(r) != reason)
        g_error("%s: State and StateReason announced before the reply are %d/%d, expected %d/%d", path,
                s ? g_variant_get_int32(s) : -1, r ? g_variant_get_int32(r) : -1, state, reason);
}

/* After a successful migration of @g from @from to @to: the destination
 * runs it, as libvirt says and as the messages before the reply said
 * (InterfacesAdded unless @to had it already, libvirt's events with their
 * migration details); the source lost it (InterfacesRemoved) or, when
 * @source_keeps its definition, shows it shut off with reason migrated. */
static void
assert_migrated(VbFixture *f, VwWire *w, guint reply, const Guest *g, Host from, Host to, gboolean to_had_it,
                gboolean source_keeps)
{
    gint state, reason;

    assert_domstate(to, g->name, "running (migrated)");
    if (!to_had_it)
        assert_signal_before(w, reply, VJ_ROOT_PATH, VJ_IFACE_OBJECT_MANAGER, "InterfacesAdded", g->path[to]);
    assert_event_before(w, reply, to, g, VIR_DOMAIN_EVENT_RESUMED, VIR_DOMAIN_EVENT_RESUMED_MIGRATED);
    get_state(f, g->path[to], &state, &reason);
    g_assert_cmpint(state, ==, VIR_DOMAIN_RUNNING);
    g_assert_cmpint(reason, ==, VIR_DOMAIN_RUNNING_MIGRATED);

    assert_event_before(w, reply, from, g, VIR_DOMAIN_EVENT_SUSPENDED, VIR_DOMAIN_EVENT_SUSPENDED_MIGRATED);
    assert_event_before(w, reply, from, g, VIR_DOMAIN_EVENT_STOPPED, VIR_DOMAIN_EVENT_STOPPED_MIGRATED);
    if (source_keeps) {
        assert_domstate(from, g->name, "shut off (migrated)");
        assert_state_announced(w, reply, g->path[from], VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_MIGRATED);
        get_state(f, g->path[from], &state, &reason);
        g_assert_cmpint(state, ==, VIR_DOMAIN_SHUTOFF);
        g_assert_cmpint(reason, ==, VIR_DOMAIN_SHUTOFF_MIGRATED);
    } else {
        g_autofree gchar *st = domstate(from, g->name);
        g_assert_null(st);
        assert_signal_before(w, reply, VJ_ROOT_PATH, VJ_IFACE_OBJECT_MANAGER, "InterfacesRemoved", g->path[from]);
        g_autoptr(GError) e = vb_call_err(f, g->path[from], VB_IFACE_DOMAIN, "GetState", g_variant_new("(u)", 0));
        vb_assert_unknown_object(e);
    }
}

/* Whether the source paused the guest before QEMU's first pass over its
 * memory (non-live) or only at the end (live): the order of the
 * source's SUSPENDED event and its first MigrationIteration signal. */
static gboolean
paused_before_first_pass(VwWire *w, guint reply, const Guest *g, Host from)
{
    gint suspended = wire_domain_event(w, reply, host_path(from), g->path[from], VIR_DOMAIN_EVENT_SUSPENDED,
                                       VIR_DOMAIN_EVENT_SUSPENDED_MIGRATED);
    gint iteration = vw_wire_find_signal(w, 0, g->path[from], VB_IFACE_DOMAIN, "MigrationIteration", NULL);

    g_assert_cmpint(suspended, >=, 0);
    g_assert_cmpint(iteration, >=, 0);
    g_assert_cmpint(iteration, <, (gint)reply);
    return suspended < iteration;
}

/* ---- migration jobs ---------------------------------------------------------------------- */

/* How far a job got, as its PropertiesChanged said. */
typedef struct {
    guint64 processed, remaining, total;
    gdouble progress;
} Progress;

/* Waits for the next PropertiesChanged of job @job that announces
 * DataRemaining; @now holds the job's values as announced so far. */
static void
wait_progress(VbFixture *f, const char *job, Progress *now)
{
    for (;;) {
        g_autoptr(GVariant) params = NULL;
        g_autoptr(GVariant) changed = NULL;
        gboolean remaining;

        if (!vb_wait_signal(f, job, VB_IFACE_PROPERTIES, "PropertiesChanged", VJ_IFACE_JOB, &params, MT_WAIT_MS)) {
            g_autofree gchar *seen = vb_signals_describe(f);
            g_error("no progress of %s; signals:%s", job, seen);
        }
        g_variant_get(params, "(&s@a{sv}@as)", NULL, &changed, NULL);
        g_variant_lookup(changed, "DataProcessed", "t", &now->processed);
        g_variant_lookup(changed, "DataTotal", "t", &now->total);
        g_variant_lookup(changed, "Progress", "d", &now->progress);
        remaining = g_variant_lookup(changed, "DataRemaining", "t", &now->remaining);
        if (remaining)
            return;
    }
}

/* Waits until job @job of a slowed migration reports memory moving, then
 * follows @n more updates: DataRemaining falls and the updates come in
 * order (what is done never shrinks). Returns the last. */
static Progress
follow_progress(VbFixture *f, const char *job, guint n)
{
    Progress now = { 0 }, prev = { 0 };

    do
        wait_progress(f, job, &now);
    while (now.processed == 0 || now.total == 0);
    for (guint i = 0; i < n; i++) {
        prev = now;
        wait_progress(f, job, &now);
        g_assert_cmpuint(now.processed, >=, prev.processed);
        g_assert_cmpuint(now.remaining, <=, prev.remaining);
        g_assert_cmpfloat(now.progress, >=, prev.progress);
        g_assert_cmpuint(now.total, >, 0);
    }
    return now;
}

/* Starts a migration of @g from A to B at SLOW_MIB_S (the bandwidth
 * parameter) and waits for its job; returns the job's path. The incoming
 * guest appears on B, paused, before memory moves. */
static gchar *
start_slow_migration(VbFixture *f, Pending *p, const Guest *g, guint flags)
{
    GVariantBuilder b;
    g_autoptr(GVariant) props = NULL;
    gchar *job;
    const char *s;
    gint64 uid;
    gboolean cancelable;

    g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
    g_variant_builder_add(&b, "{sv}", VIR_MIGRATE_PARAM_BANDWIDTH, g_variant_new_uint64(SLOW_MIB_S));
    call_start(f, p, g->path[HOST_A], VB_IFACE_DOMAIN, "MigrateToURI3",
               migrate_args(mt.peer[HOST_B], g_variant_builder_end(&b), flags));
    job = vj_wait_job_added(f, g->path[HOST_A], &props, MT_WAIT_MS);
    g_assert_true(g_str_has_prefix(job, A_PATH "/job/"));
    g_assert_true(g_variant_lookup(props, "Operation", "&s", &s));
    g_assert_cmpstr(s, ==, "migration-out");
    g_assert_true(g_variant_lookup(props, "Cancelable", "b", &cancelable));
    g_assert_true(cancelable);
    g_assert_true(g_variant_lookup(props, "StartedByUID", "x", &uid));
    g_assert_cmpint(uid, ==, 0);
    /* The domain names its job. */
    g_autoptr(GVariant) named = vb_get_property(f, g->path[HOST_A], VB_IFACE_DOMAIN, "Job");
    g_assert_cmpstr(g_variant_get_string(named, NULL), ==, job);
    wait_added(f, g->path[HOST_B]);
    return job;
}

static void wait_connected(VbFixture *f, const char *path);

static guint64
call_u64(VbFixture *f, const Guest *g, const char *method)
{
    g_autoptr(GVariant) r = vb_call_ok(f, g->path[HOST_A], VB_IFACE_DOMAIN, method, g_variant_new("(u)", 0), "(t)");
    guint64 v;

    g_variant_get(r, "(t)", &v);
    return v;
}

/* ---- cases ------------------------------------------------------------------------------ */

/* A transient guest goes A -> B and back, live and peer to peer: the
 * source forgets it, the destination shows it running, and the reply
 * leaves after all of it has been announced. */
static void
test_live_p2p(VbFixture *f, gconstpointer data)
{
    g_autoptr(Guest) g = guest_new("mig-live", 64, FALSE);
    VwWire *w;
    guint reply;

    create_on_a(f, g);
    w = vw_wire_new(f->bus);
    reply = migrate_ok(f, w, g->path[HOST_A], mt.peer[HOST_B], NULL, VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER);
    assert_migrated(f, w, reply, g, HOST_A, HOST_B, FALSE, FALSE);
    g_assert_false(paused_before_first_pass(w, reply, g, HOST_A));
    /* The incoming guest is seen before it runs, then starts as a
     * migrated one. */
    assert_event_before(w, reply, HOST_B, g, VIR_DOMAIN_EVENT_STARTED, VIR_DOMAIN_EVENT_STARTED_MIGRATED);
    /* The job went before the reply, with how it ended. */
    assert_signal_before(w, reply, NULL, VJ_IFACE_JOB, "Completed", NULL);
    g_assert_false(is_persistent(HOST_B, g->name));
    vw_wire_free(w);

    w = vw_wire_new(f->bus);
    reply = migrate_ok(f, w, g->path[HOST_B], mt.peer[HOST_A], NULL, VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER);
    assert_migrated(f, w, reply, g, HOST_B, HOST_A, FALSE, FALSE);
    g_assert_false(paused_before_first_pass(w, reply, g, HOST_B));
    vw_wire_free(w);
    guest_remove(g);
    assert_no_domains(HOST_B);
}

/* Non-live (paused before its memory moves) A -> B, then tunnelled
 * through the libvirtds' own connection B -> A. */
static void
test_nonlive_tunnelled(VbFixture *f, gconstpointer data)
{
    g_autoptr(Guest) g = guest_new("mig-tunnel", 64, FALSE);
    VwWire *w;
    guint reply;

    create_on_a(f, g);
    w = vw_wire_new(f->bus);
    reply = migrate_ok(f, w, g->path[HOST_A], mt.peer[HOST_B], NULL, VIR_MIGRATE_PEER2PEER);
    assert_migrated(f, w, reply, g, HOST_A, HOST_B, FALSE, FALSE);
    g_assert_true(paused_before_first_pass(w, reply, g, HOST_A));
    vw_wire_free(w);

    w = vw_wire_new(f->bus);
    reply = migrate_ok(f, w, g->path[HOST_B], mt.peer[HOST_A], NULL,
                       VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER | VIR_MIGRATE_TUNNELLED);
    assert_migrated(f, w, reply, g, HOST_B, HOST_A, FALSE, FALSE);
    g_assert_false(paused_before_first_pass(w, reply, g, HOST_B));
    vw_wire_free(w);
    guest_remove(g);
    assert_no_domains(HOST_B);
}

/* A persistent guest: made persistent on B while A keeps its definition
 * (shut off, reason migrated); then back, undefined on B. */
static void
test_persistent(VbFixture *f, gconstpointer data)
{
    g_autoptr(Guest) g = guest_new("mig-persist", 64, FALSE);
    VwWire *w;
    guint reply;

    define_on_a(f, g, FALSE);
    w = vw_wire_new(f->bus);
    reply = migrate_ok(f, w, g->path[HOST_A], mt.peer[HOST_B], NULL,
                       VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER | VIR_MIGRATE_PERSIST_DEST);
    assert_migrated(f, w, reply, g, HOST_A, HOST_B, FALSE, TRUE);
    g_assert_true(is_persistent(HOST_B, g->name));
    g_assert_true(is_persistent(HOST_A, g->name));
    g_assert_true(vb_get_bool(f, g->path[HOST_B], VB_IFACE_DOMAIN, "Persistent"));
    vw_wire_free(w);

    w = vw_wire_new(f->bus);
    reply = migrate_ok(f, w, g->path[HOST_B], mt.peer[HOST_A], NULL,
                       VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER | VIR_MIGRATE_PERSIST_DEST |
                           VIR_MIGRATE_UNDEFINE_SOURCE);
    /* A had the definition all along: its object runs again. */
    assert_migrated(f, w, reply, g, HOST_B, HOST_A, TRUE, FALSE);
    assert_state_announced(w, reply, g->path[HOST_A], VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_MIGRATED);
    g_assert_true(is_persistent(HOST_A, g->name));
    g_assert_true(vb_get_bool(f, g->path[HOST_A], VB_IFACE_DOMAIN, "Persistent"));
    vw_wire_free(w);
    guest_remove(g);
    assert_no_domains(HOST_B);
}

/* An offline migration moves only the definition of a shut-off guest;
 * with the undefine flag the source forgets it, although libvirt tells
 * the source nothing. */
static void
test_offline(VbFixture *f, gconstpointer data)
{
    g_autoptr(Guest) g = guest_new("mig-offline", 64, FALSE);
    VwWire *w;
    guint reply;
    gint state, reason;

    define_on_a(f, g, TRUE);
    w = vw_wire_new(f->bus);
    reply = migrate_ok(f, w, g->path[HOST_A], mt.peer[HOST_B], NULL,
                       VIR_MIGRATE_OFFLINE | VIR_MIGRATE_PEER2PEER | VIR_MIGRATE_PERSIST_DEST |
                           VIR_MIGRATE_UNDEFINE_SOURCE);
    assert_signal_before(w, reply, VJ_ROOT_PATH, VJ_IFACE_OBJECT_MANAGER, "InterfacesRemoved", g->path[HOST_A]);
    assert_signal_before(w, reply, VJ_ROOT_PATH, VJ_IFACE_OBJECT_MANAGER, "InterfacesAdded", g->path[HOST_B]);
    g_autofree gchar *gone = domstate(HOST_A, g->name);
    g_assert_null(gone);
    g_assert_true(is_persistent(HOST_B, g->name));
    assert_domstate(HOST_B, g->name, "shut off (unknown)");
    get_state(f, g->path[HOST_B], &state, &reason);
    g_assert_cmpint(state, ==, VIR_DOMAIN_SHUTOFF);
    vw_wire_free(w);
    guest_remove(g);
}

/* A slowed migration is a job whose progress is announced; the migration
 * settings act on it while it runs, and post-copy finishes it. */
static void
test_progress_and_settings(VbFixture *f, gconstpointer data)
{
    g_autoptr(Guest) g = guest_new("mig-slow", 256, TRUE);
    Pending p = { .wire = vw_wire_new(f->bus) };
    g_autofree gchar *job = NULL;
    gboolean success;
    g_autofree gchar *message = NULL;
    guint reply;

    create_on_a(f, g);
    job = start_slow_migration(f, &p, g, VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER | VIR_MIGRATE_POSTCOPY);
    follow_progress(f, job, 3);
    g_assert_false(p.done);

    /* The limit the migration runs at, and a new one. */
    g_assert_cmpuint(call_u64(f, g, "MigrateGetMaxSpeed"), ==, SLOW_MIB_S);
    g_autoptr(GVariant) r1 = vb_call_ok(f, g->path[HOST_A], VB_IFACE_DOMAIN, "MigrateSetMaxSpeed",
                                        g_variant_new("(tu)", (guint64)SLOW_MIB_S + 1, 0), "()");
    g_autofree gchar *speed_now = virsh(HOST_A, "migrate-getspeed", g->name, NULL);
    g_assert_cmpuint(g_ascii_strtoull(speed_now, NULL, 10), ==, SLOW_MIB_S + 1);

    g_autoptr(GVariant) r2 = vb_call_ok(f, g->path[HOST_A], VB_IFACE_DOMAIN, "MigrateSetMaxDowntime",
                                        g_variant_new("(tu)", (guint64)777, 0), "()");
    g_autofree gchar *downtime = virsh(HOST_A, "migrate-getmaxdowntime", g->name, NULL);
    g_assert_cmpuint(g_ascii_strtoull(downtime, NULL, 10), ==, 777);

    g_autoptr(GVariant) r3 = vb_call_ok(f, g->path[HOST_A], VB_IFACE_DOMAIN, "MigrateSetCompressionCache",
                                        g_variant_new("(tu)", (guint64)64 << 20, 0), "()");
    g_assert_cmpuint(call_u64(f, g, "MigrateGetCompressionCache"), ==, (guint64)64 << 20);
    g_autofree gchar *cache_virsh = virsh(HOST_A, "migrate-compcache", g->name, NULL);
    g_assert_cmpstr(cache_virsh, ==, "Compression cache: 64.000 MiB");

    /* Still running: the settings did not wait behind it. */
    g_assert_false(p.done);
    g_assert_cmpint(vj_signal_index(f, job, VJ_IFACE_JOB, "Completed", NULL), <, 0);

    /* Post-copy: the guest runs on B from now on, and its remaining pages
     * follow on demand, without the pre-copy limit. */
    g_autoptr(GVariant) r4 = vb_call_ok(f, g->path[HOST_A], VB_IFACE_DOMAIN, "MigrateStartPostCopy",
                                        g_variant_new("(u)", 0), "()");
    reply = call_finish(f, &p);
    assert_reply_ok(reply_at(&p, reply));
    assert_event_before(p.wire, reply, HOST_A, g, VIR_DOMAIN_EVENT_SUSPENDED, VIR_DOMAIN_EVENT_SUSPENDED_POSTCOPY);
    assert_event_before(p.wire, reply, HOST_B, g, VIR_DOMAIN_EVENT_RESUMED, VIR_DOMAIN_EVENT_RESUMED_POSTCOPY);
    assert_migrated(f, p.wire, reply, g, HOST_A, HOST_B, TRUE, FALSE);
    g_assert_true(vj_wait_completed(f, job, &success, &message, MT_WAIT_MS));
    g_assert_true(success);
    g_assert_cmpstr(message, ==, "");
    vw_wire_free(p.wire);
    guest_remove(g);
}

/* Waits for a canceled slow migration to end: the call fails with
 * libvirt's words, the job says so, the guest runs on A as before, and
 * B has nothing left, paused or otherwise. */
static void
assert_canceled(VbFixture *f, Pending *p, const Guest *g, const char *job)
{
    const char *expected = "operation aborted: job 'migration out' canceled by client";
    gboolean success;
    g_autofree gchar *message = NULL;
    guint reply = call_finish(f, p);
    const VwWireMsg *m = reply_at(p, reply);
    gint state, reason;

    assert_reply_error(m, VJ_ERR_OPERATION_ABORTED);
    assert_text(reply_error_text(m), expected);
    g_assert_true(vj_wait_completed(f, job, &success, &message, MT_WAIT_MS));
    g_assert_false(success);
    assert_text(message, expected);
    wait_removed(f, job);

    g_autofree gchar *st = domstate(HOST_A, g->name);
    g_assert_true(g_str_has_prefix(st, "running ("));
    get_state(f, g->path[HOST_A], &state, &reason);
    g_assert_cmpint(state, ==, VIR_DOMAIN_RUNNING);
    /* The incoming guest went from B. */
    wait_removed(f, g->path[HOST_B]);
    assert_no_domains(HOST_B);
}

/* Cancel on the job, then Domain.AbortJob, each stop a migration in flight. */
static void
test_cancel(VbFixture *f, gconstpointer data)
{
    g_autoptr(Guest) g = guest_new("mig-cancel", 256, TRUE);
    Pending p = { .wire = vw_wire_new(f->bus) };
    g_autofree gchar *job = NULL;
    g_autofree gchar *job2 = NULL;

    create_on_a(f, g);
    job = start_slow_migration(f, &p, g, VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER);
    follow_progress(f, job, 1);
    /* Not started as a post-copy migration: QEMU cannot switch it. */
    g_autoptr(GError) e = vb_call_err(f, g->path[HOST_A], VB_IFACE_DOMAIN, "MigrateStartPostCopy",
                                      g_variant_new("(u)", 0));
    vb_assert_error(e, VB_ERR_OPERATION_INVALID);
    g_autofree gchar *text = vb_error_text(e);
    assert_text(text, "Requested operation is not valid: switching to post-copy requires migration to be "
                      "started with VIR_MIGRATE_POSTCOPY flag");
    g_autoptr(GVariant) r = vb_call_ok(f, job, VJ_IFACE_JOB, "Cancel", NULL, "()");
    assert_canceled(f, &p, g, job);

    job2 = start_slow_migration(f, &p, g, VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER);
    follow_progress(f, job2, 1);
    g_autoptr(GVariant) r2 = vb_call_ok(f, g->path[HOST_A], VB_IFACE_DOMAIN, "AbortJob", NULL, "()");
    assert_canceled(f, &p, g, job2);
    vw_wire_free(p.wire);
    guest_remove(g);
}

/* Migrations that cannot happen fail with libvirt's errors, and leave the
 * guest running where it was and nothing on the other host. */
static void
test_errors(VbFixture *f, gconstpointer data)
{
    g_autoptr(Guest) g = guest_new("mig-errors", 64, FALSE);
    const struct {
        const char *uri;
        guint flags;
        const char *error;
        const char *text;
        gboolean prefix;        /* the text goes on with the resolver's words */
    } cases[] = {
        { "::::", VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER, VB_ERR_INTERNAL,
          "internal error: Unable to parse URI ::::", FALSE },
        { "qemu+tcp://nohost.invalid/system", VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER, ERR_SYSTEM,
          "Unable to resolve address 'nohost.invalid' service '16509': ", TRUE },
        /* An address on the hosts' link that nobody has. */
        { "qemu+tcp://10.77.0.9/system", VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER, ERR_SYSTEM,
          "unable to connect to server at '10.77.0.9:16509': No route to host", FALSE },
        /* Without peer to peer the client would drive the migration, or
         * the hypervisors directly ("--direct"): the QEMU driver does
         * neither through this call, tunnelled or not. */
        { NULL, VIR_MIGRATE_LIVE | VIR_MIGRATE_TUNNELLED, ERR_ARGUMENT_UNSUPPORTED,
          "argument unsupported: direct migration is not supported by the source host", FALSE },
        { NULL, VIR_MIGRATE_LIVE, ERR_ARGUMENT_UNSUPPORTED,
          "argument unsupported: direct migration is not supported by the source host", FALSE },
        { NULL, VIR_MIGRATE_OFFLINE | VIR_MIGRATE_PEER2PEER, VB_ERR_OPERATION_INVALID,
          "Requested operation is not valid: offline migration must be specified with the persistent flag set",
          FALSE },
        { NULL, VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER | VIR_MIGRATE_TUNNELLED | VIR_MIGRATE_PARALLEL,
          VB_ERR_INVALID_ARG, "Flags 'VIR_MIGRATE_TUNNELLED' and 'VIR_MIGRATE_PARALLEL' are mutually exclusive",
          FALSE },
        /* The daemon's own check: peer to peer needs a destination. */
        { "", VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER, VB_DBUS_INVALID_ARGS,
          "A peer-to-peer migration needs the destination's URI (dconuri)", FALSE },
    };
    gint state, reason;

    create_on_a(f, g);
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        const char *uri = cases[i].uri ? cases[i].uri : mt.peer[HOST_B];
        g_autoptr(GError) e = vb_call_err(f, g->path[HOST_A], VB_IFACE_DOMAIN, "MigrateToURI3",
                                          migrate_args(uri, NULL, cases[i].flags));
        g_autofree gchar *text = vb_error_text(e);

        g_test_message("%s, flags 0x%x: %s", uri, cases[i].flags, text);
        vb_assert_error(e, cases[i].error);
        if (cases[i].prefix)
            assert_text_prefix(text, cases[i].text);
        else
            assert_text(text, cases[i].text);
        /* Where it was, as it was; nothing on B. */
        assert_domstate(HOST_A, g->name, "running (booted)");
        assert_no_domains(HOST_B);
        get_state(f, g->path[HOST_A], &state, &reason);
        g_assert_cmpint(state, ==, VIR_DOMAIN_RUNNING);
    }
    guest_remove(g);
}

/* Migrations made with virsh behind the daemon's back: the source forgets
 * what left it, live with the undefine flag and offline. */
static void
test_behind_its_back(VbFixture *f, gconstpointer data)
{
    g_autoptr(Guest) g = guest_new("mig-virsh", 64, FALSE);
    g_autofree gchar *lookup_text = NULL;
    gint state, reason;

    define_on_a(f, g, FALSE);
    g_free(virsh(HOST_A, "migrate", "--live", "--p2p", "--persistent", "--undefinesource", g->name,
                 mt.peer[HOST_B], NULL));
    wait_domain_event(f, g, HOST_A, VIR_DOMAIN_EVENT_STOPPED, VIR_DOMAIN_EVENT_STOPPED_MIGRATED);
    wait_removed(f, g->path[HOST_A]);
    wait_added(f, g->path[HOST_B]);
    g_autofree gchar *st = domstate(HOST_A, g->name);
    g_assert_null(st);
    /* As libvirt: no such domain on A, by any name; its old path names
     * nothing. */
    g_autoptr(GError) e = vb_call_err(f, A_PATH, VB_IFACE_CONNECT, "DomainLookupByUUID",
                                      g_variant_new("(s)", g->uuid));
    vb_assert_error(e, VB_ERR_NO_DOMAIN);
    lookup_text = vb_error_text(e);
    g_autofree gchar *expected = g_strdup_printf("Domain not found: no domain with matching uuid '%s'", g->uuid);
    assert_text(lookup_text, expected);
    g_autoptr(GError) e2 = vb_call_err(f, g->path[HOST_A], VB_IFACE_DOMAIN, "GetState", g_variant_new("(u)", 0));
    vb_assert_unknown_object(e2);
    /* B runs it, defined. */
    wait_domain_event(f, g, HOST_B, VIR_DOMAIN_EVENT_RESUMED, VIR_DOMAIN_EVENT_RESUMED_MIGRATED);
    get_state(f, g->path[HOST_B], &state, &reason);
    g_assert_cmpint(state, ==, VIR_DOMAIN_RUNNING);
    g_assert_cmpint(reason, ==, VIR_DOMAIN_RUNNING_MIGRATED);
    assert_domstate(HOST_B, g->name, "running (migrated)");
    g_assert_true(is_persistent(HOST_B, g->name));

    /* Offline back: libvirt tells B nothing; A's new domain makes the
     * daemon ask B again. */
    g_free(virsh(HOST_B, "destroy", g->name, NULL));
    wait_domain_event(f, g, HOST_B, VIR_DOMAIN_EVENT_STOPPED, VIR_DOMAIN_EVENT_STOPPED_DESTROYED);
    g_free(virsh(HOST_B, "migrate", "--offline", "--persistent", "--undefinesource", "--p2p", g->name,
                 mt.peer[HOST_A], NULL));
    wait_added(f, g->path[HOST_A]);
    wait_removed(f, g->path[HOST_B]);
    g_autofree gchar *st_b = domstate(HOST_B, g->name);
    g_assert_null(st_b);
    g_autoptr(GError) e3 = vb_call_err(f, B_PATH, VB_IFACE_CONNECT, "DomainLookupByUUID",
                                       g_variant_new("(s)", g->uuid));
    vb_assert_error(e3, VB_ERR_NO_DOMAIN);
    assert_domstate(HOST_A, g->name, "shut off (unknown)");
    get_state(f, g->path[HOST_A], &state, &reason);
    g_assert_cmpint(state, ==, VIR_DOMAIN_SHUTOFF);
    guest_remove(g);
}

/* The daemon serves only A: an offline migration to a host it does not
 * see is found by its periodic look at what libvirt still defines. */
static void
test_offline_unserved(VbFixture *f, gconstpointer data)
{
    g_autoptr(Guest) g = guest_new("mig-unserved", 64, FALSE);

    define_on_a(f, g, TRUE);
    g_free(virsh(HOST_A, "migrate", "--offline", "--persistent", "--undefinesource", "--p2p", g->name,
                 mt.peer[HOST_B], NULL));
    wait_removed(f, g->path[HOST_A]);
    g_autofree gchar *st = domstate(HOST_A, g->name);
    g_assert_null(st);
    g_assert_true(is_persistent(HOST_B, g->name));
    guest_remove(g);
}

/* A rule that lets alice migrate only to hostb: another destination is
 * refused before anything moves. */
static void
test_polkit_destination(VbpFixture *pf)
{
    VbFixture *f = &pf->vb;
    g_autoptr(Guest) g = guest_new("mig-polkit", 64, FALSE);
    g_autofree gchar *rule = g_strdup_printf(
        "polkit.addRule(function(action, subject) {\n"
        "    if (subject.user != '" VBP_USER_ALICE "' || action.id.indexOf('org.libvirt.dbus.') != 0)\n"
        "        return polkit.Result.NOT_HANDLED;\n"
        "    if (action.id == 'org.libvirt.dbus.domain.migrate')\n"
        "        return action.lookup('migrate_uri') == '%s' ? polkit.Result.YES : polkit.Result.NO;\n"
        "    if (action.id == 'org.libvirt.dbus.manage')\n"
        "        return polkit.Result.NO;\n"
        "    return polkit.Result.YES;\n"
        "});\n",
        mt.peer[HOST_B]);
    const char *refused[] = { "qemu+tcp://hostc/system", "qemu+tcp://hostb:16509/system" };

    prctl(PR_SET_PDEATHSIG, SIGTERM);
    clean_hosts();
    wait_connected(f, A_PATH);
    wait_connected(f, B_PATH);
    vbp_polkit_set_rule(pf->polkit, "40-migrate.rules", rule);
    vb_signals_clear(f);
    create_on_a(f, g);
    vb_signals_clear(f);
    g_autoptr(VbpCaller) alice = vbp_caller_new(VBP_USER_ALICE);
    for (gsize i = 0; i < G_N_ELEMENTS(refused); i++) {
        g_autoptr(VbpReply) r = vbp_call_err(alice, g->path[HOST_A], VB_IFACE_DOMAIN, "MigrateToURI3",
                                             migrate_args(refused[i], NULL, VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER),
                                             VBP_DBUS_ACCESS_DENIED);
        g_autofree gchar *action = vbp_reply_action(r);
        g_assert_cmpstr(action, ==, "org.libvirt.dbus.domain.migrate");
        /* Nothing moved, and no job was started. */
        assert_domstate(HOST_A, g->name, "running (booted)");
        assert_no_domains(HOST_B);
        g_assert_cmpint(vj_signal_index(f, VJ_ROOT_PATH, VJ_IFACE_OBJECT_MANAGER, "InterfacesAdded", NULL), <, 0);
    }
    g_autoptr(GVariant) ok = vbp_call_ok(alice, g->path[HOST_A], VB_IFACE_DOMAIN, "MigrateToURI3",
                                         migrate_args(mt.peer[HOST_B], NULL, VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER));
    assert_domstate(HOST_B, g->name, "running (migrated)");
    g_autofree gchar *st = domstate(HOST_A, g->name);
    g_assert_null(st);
    guest_remove(g);
}

/* ---- set-up ------------------------------------------------------------------------------ */

static void
wait_connected(VbFixture *f, const char *path)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)MT_WAIT_MS * 1000;

    /* The connections open in the background, maybe before the recording
     * of signals began: read, then wait for a change. */
    while (!vb_get_bool(f, path, VB_IFACE_CONNECT, "Connected")) {
        if (g_get_monotonic_time() > deadline)
            g_error("virtbusd did not connect %s", path);
        vb_wait_property_changed(f, path, VB_IFACE_CONNECT, "Connected", NULL, 1000);
    }
}

/* A case with the fixture's options first, so the harness's data pointer
 * (the options) leads back to it. */
typedef struct {
    VbDaemonOptions opts;
    VbTestFunc func;
    gboolean only_a;
} Case;

static void
run_case(VbFixture *f, gconstpointer data)
{
    const Case *c = data;

    /* The case goes when the program does (the hosts are gone then). */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    clean_hosts();
    wait_connected(f, A_PATH);
    if (!c->only_a)
        wait_connected(f, B_PATH);
    vb_signals_clear(f);
    c->func(f, data);
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

static void
add_case(const char *testpath, VbTestFunc func, gboolean only_a, const char *const *env)
{
    Case *c;

    if (mt.skip) {
        g_test_add_data_func(testpath, mt.skip, skip_case);
        return;
    }
    if (mt.start_error) {
        g_test_add_data_func(testpath, mt.start_error, fail_case);
        return;
    }
    c = g_new0(Case, 1);
    c->opts.extra_args = only_a ? mt.args_a : mt.args_ab;
    c->opts.extra_env = env;
    c->func = func;
    c->only_a = only_a;
    vb_add_full(testpath, &c->opts, run_case);
}

static const char *
missing_prerequisite(void)
{
    static const char *const programs[] = { "libvirtd", "virsh", "qemu-system-x86_64", "unshare", "nsenter", "ip" };

    if (geteuid() != 0)
        return "needs root (libvirt hosts in namespaces of their own)";
    for (gsize i = 0; i < G_N_ELEMENTS(programs); i++) {
        g_autofree gchar *p = g_find_program_in_path(programs[i]);
        g_autofree gchar *sbin = g_build_filename("/usr/sbin", programs[i], NULL);
        if (!p && !g_file_test(sbin, G_FILE_TEST_IS_EXECUTABLE))
            return "needs libvirtd, virsh, qemu-system-x86_64, unshare, nsenter and ip";
    }
    if (!g_file_test(mt.script, G_FILE_TEST_IS_EXECUTABLE))
        return "tests/libvirtd/start-hosts not found (VIRTBUS_SRCDIR)";
    return NULL;
}

static void
write_blob(const char *path)
{
    g_autofree guint32 *data = g_new(guint32, BLOB_BYTES / 4);
    g_autoptr(GError) error = NULL;
    g_autoptr(GRand) rand = g_rand_new();

    for (gsize i = 0; i < BLOB_BYTES / 4; i++)
        data[i] = g_rand_int(rand);
    if (!g_file_set_contents_full(path, (const gchar *)data, BLOB_BYTES, G_FILE_SET_CONTENTS_NONE, 0644, &error))
        g_error("cannot write %s: %s", path, error->message);
}

static void
start_hosts(void)
{
    g_autofree gchar *out = NULL;
    g_autofree gchar *err = NULL;
    g_autofree gchar *tmpl = g_strdup("/var/tmp/virtbus-migration-XXXXXX");

    mt.dir = g_strdup(g_mkdtemp(tmpl));
    g_assert_nonnull(mt.dir);
    mt.owner = TRUE;
    stop_argv[0] = mt.script;
    stop_argv[1] = "stop";
    stop_argv[2] = mt.dir;
    rm_argv[0] = "/bin/rm";
    rm_argv[1] = "-rf";
    rm_argv[2] = mt.dir;
    /* A runner's timeout (SIGTERM) must not leave the hosts and their
     * guests behind. */
    vb_cleanup_on_interrupt(stop_argv, rm_argv);

    const char *start[] = { mt.script, "start", mt.dir, NULL };
    if (!vb_spawn(start, &out, &err)) {
        mt.start_error = g_strdup_printf("could not start the hosts: %s%s", out ? out : "", err ? err : "");
        return;
    }
    g_autofree gchar *blob = g_build_filename(mt.dir, "blob", NULL);
    write_blob(blob);
    g_setenv(HOSTS_ENV, mt.dir, TRUE);
}

/* Reads start-hosts' assignments (NAME='value' lines) from its env file. */
static void
read_hosts(void)
{
    g_autofree gchar *file = g_build_filename(mt.dir, "env", NULL);
    g_autofree gchar *text = NULL;
    g_auto(GStrv) lines = NULL;

    if (!g_file_get_contents(file, &text, NULL, NULL)) {
        mt.start_error = g_strdup_printf("no %s", file);
        return;
    }
    lines = g_strsplit(text, "\n", -1);
    for (gchar **l = lines; *l; l++) {
        const char *names[] = { "A_URI='", "B_URI='", "A_PEER_URI='", "B_PEER_URI='" };
        gchar **slots[] = { &mt.uri[HOST_A], &mt.uri[HOST_B], &mt.peer[HOST_A], &mt.peer[HOST_B] };
        for (gsize i = 0; i < G_N_ELEMENTS(names); i++)
            if (g_str_has_prefix(*l, names[i]) && g_str_has_suffix(*l, "'"))
                *slots[i] = g_strndup(*l + strlen(names[i]), strlen(*l) - strlen(names[i]) - 1);
    }
    if (!mt.uri[HOST_A] || !mt.uri[HOST_B] || !mt.peer[HOST_A] || !mt.peer[HOST_B])
        mt.start_error = g_strdup_printf("%s lacks a URI", file);
}

static void
hosts_init(void)
{
    const char *srcdir = g_getenv("VIRTBUS_SRCDIR");

    mt.script = g_build_filename(srcdir ? srcdir : ".", "tests", "libvirtd", "start-hosts", NULL);
    if (vb_reference_mode()) {
        mt.skip = "libvirt-dbus cannot be pointed at private libvirtds";
        return;
    }
    if ((mt.skip = missing_prerequisite()))
        return;
    /* One pair of hosts for the whole program; each case runs in a child
     * process that finds them through the environment. */
    if (!g_test_subprocess())
        start_hosts();
    if (!g_getenv(HOSTS_ENV))
        return;
    g_free(mt.dir);
    mt.dir = g_strdup(g_getenv(HOSTS_ENV));
    read_hosts();
    if (mt.start_error)
        return;
    mt.blob = g_build_filename(mt.dir, "blob", NULL);
    mt.connect_a = g_strdup_printf("A=%s", mt.uri[HOST_A]);
    mt.connect_b = g_strdup_printf("B=%s", mt.uri[HOST_B]);
    mt.args_ab[0] = "--connect";
    mt.args_ab[1] = mt.connect_a;
    mt.args_ab[2] = "--connect";
    mt.args_ab[3] = mt.connect_b;
    mt.args_ab[4] = NULL;
    mt.args_a[0] = "--connect";
    mt.args_a[1] = mt.connect_a;
    mt.args_a[2] = NULL;
    /* The look for domains that left without an event, which runs once a
     * minute, comes at once in tests. */
    mt.env_recheck[0] = "VIRTBUS_TEST_RECHECK_MS=200";
    mt.env_recheck[1] = NULL;
}

static void
hosts_stop(void)
{
    if (mt.owner && mt.dir) {
        const char *stop[] = { mt.script, "stop", mt.dir, NULL };
        const char *rm[] = { "rm", "-rf", mt.dir, NULL };
        vb_spawn(stop, NULL, NULL);
        vb_spawn(rm, NULL, NULL);
    }
}

int
main(int argc, char **argv)
{
    static VbpOptions polkit_opts;
    int ret;

    vbp_caller_main_maybe(argc, argv);
    vbp_init(&argc, &argv);
    hosts_init();
    add_case("/migration/live-p2p", test_live_p2p, FALSE, NULL);
    add_case("/migration/nonlive-tunnelled", test_nonlive_tunnelled, FALSE, NULL);
    add_case("/migration/persistent", test_persistent, FALSE, NULL);
    add_case("/migration/offline", test_offline, FALSE, NULL);
    add_case("/migration/progress-and-settings", test_progress_and_settings, FALSE, NULL);
    add_case("/migration/cancel", test_cancel, FALSE, NULL);
    add_case("/migration/errors", test_errors, FALSE, NULL);
    add_case("/migration/behind-its-back", test_behind_its_back, FALSE, NULL);
    add_case("/migration/offline-unserved", test_offline_unserved, TRUE, mt.env_recheck);
    if (mt.skip || mt.start_error)
        g_test_add_data_func("/migration/polkit-destination", mt.skip ? mt.skip : mt.start_error,
                             mt.skip ? skip_case : fail_case);
    else {
        polkit_opts.extra_args = mt.args_ab;
        vbp_add_full("/migration/polkit-destination", &polkit_opts, test_polkit_destination);
    }
    ret = vb_run();
    vbp_cleanup();
    hosts_stop();
    return ret;
}
