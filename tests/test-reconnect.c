/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A real libvirtd with real QEMU guests (TCG, diskless), started by this
 * program through libvirtd/start-libvirtd in a private mount namespace under
 * /var/tmp, and served by virtbusd as /org/libvirt/QEMU:
 *   - events of guests changed behind virtbusd's back (through virsh) arrive
 *     as PropertiesChanged and DomainEvent, DeviceAdded/DeviceRemoved too;
 *   - libvirtd killed with SIGKILL and restarted, ten times: Connected goes
 *     false then true within the backoff, calls fail fast with NoConnect while
 *     it is down, domains defined, started, stopped and undefined meanwhile
 *     are announced after the reconnection (InterfacesAdded,
 *     InterfacesRemoved, PropertiesChanged), what is served then matches
 *     libvirt, and events flow again.
 * Half of the rounds freeze virtbusd (SIGSTOP) while libvirtd is down and
 * changed, so those changes can only be learned by the resynchronization;
 * the other half let the reconnection race the changes, as in real life.
 * Needs root; skipped without libvirtd, QEMU or virsh. */
#include "watch-util.h"

#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define QEMU_PATH "/org/libvirt/QEMU"
#define QEMU_DOMAIN_PREFIX QEMU_PATH "/domain/"
#define ROUNDS 10
/* virtbusd retries every 250 ms doubling up to 4 s; with the time a
 * connection takes (libvirtd probing QEMU, slow on a loaded machine), it
 * is back well within this after libvirtd is. A bound against hanging,
 * not a measure of speed. */
#define RECONNECT_TIMEOUT_MS 60000
#define WAIT_MS 15000

static struct {
    gchar *dir;    /* libvirtd state directory */
    gchar *uri;    /* how to reach it */
    gchar *script; /* start-libvirtd */
    gchar *connect_arg;
    const char *args[3];
    VbDaemonOptions opts;
} lv;

/* ---- cleaning up after failures -------------------------------------------------- */

/* A case that fails while virtbusd is frozen must not leave it stopped, and
 * a case's process goes when the program does (it would go on restarting
 * libvirtd otherwise). */
static volatile pid_t frozen_pid;

static void
on_fatal_in_case(int sig)
{
    if (frozen_pid > 0)
        kill(frozen_pid, SIGCONT);
    signal(sig, SIG_DFL);
    raise(sig);
}

static void
guard_case(void)
{
    g_autofree gchar *pidfile = g_build_filename(lv.dir, "case.pid", NULL);
    g_autofree gchar *pid = g_strdup_printf("%d", (int)getpid());

    signal(SIGABRT, on_fatal_in_case);
    signal(SIGTRAP, on_fatal_in_case);
    signal(SIGSEGV, on_fatal_in_case);
    signal(SIGTERM, on_fatal_in_case);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    g_assert_true(g_file_set_contents(pidfile, pid, -1, NULL));
}

/* The program that started libvirtd stops it and its guests even when it is
 * interrupted (a timeout of the test runner): they would outlive it. The
 * running case (its pid is in DIR/case.pid) is stopped first. Only
 * async-signal-safe calls here. */
static const char *stop_argv[5];
static const char *rm_argv[4];
static gchar *case_pidfile;

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

static void
on_interrupt(int sig)
{
    struct timespec pause = { 0, 300 * 1000 * 1000 };
    char buf[32];
    int fd = open(case_pidfile, O_RDONLY | O_CLOEXEC);

    if (fd >= 0) {
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        pid_t pid = 0;
        close(fd);
        for (ssize_t i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; i++)
            pid = pid * 10 + (buf[i] - '0');
        if (pid > 1 && pid != getpid()) {
            kill(pid, SIGTERM);
            nanosleep(&pause, NULL);
        }
    }
    run_and_wait(stop_argv);
    run_and_wait(rm_argv);
    signal(sig, SIG_DFL);
    raise(sig);
}

/* ---- running tools -------------------------------------------------------------- */


/* virsh -q -c <uri> ARGS... (NULL-terminated); returns its output. */
static gchar *
virsh(const char *first, ...)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    va_list ap;

    g_ptr_array_add(argv, (gpointer) "virsh");
    g_ptr_array_add(argv, (gpointer) "-q");
    g_ptr_array_add(argv, (gpointer) "-c");
    g_ptr_array_add(argv, lv.uri);
    va_start(ap, first);
    for (const char *a = first; a; a = va_arg(ap, const char *))
        g_ptr_array_add(argv, (gpointer)a);
    va_end(ap);
    g_ptr_array_add(argv, NULL);
    return vb_command_output((const char *const *)argv->pdata, TRUE);
}

static void
libvirtd_start(void)
{
    const char *argv[] = { lv.script, "start", lv.dir, NULL };
    g_free(vb_command_output(argv, TRUE));
}

static void
libvirtd_kill(void)
{
    const char *argv[] = { lv.script, "stop", "--kill", lv.dir, NULL };
    g_free(vb_command_output(argv, TRUE));
}

/* ---- domains -------------------------------------------------------------------- */

typedef struct {
    gchar *name;
    gchar *uuid;
    gchar *path;
} Guest;

static Guest *
guest_new(const char *name)
{
    Guest *g = g_new0(Guest, 1);
    g->name = g_strdup(name);
    g->uuid = g_uuid_string_random();
    g->path = g_strconcat(QEMU_DOMAIN_PREFIX "_", g->uuid, NULL);
    g_strdelimit(g->path + strlen(QEMU_DOMAIN_PREFIX), "-", '_');
    return g;
}

static void
guest_free(Guest *g)
{
    g_free(g->name);
    g_free(g->uuid);
    g_free(g->path);
    g_free(g);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Guest, guest_free)

static gchar *
guest_xml(const Guest *g)
{
    return g_strdup_printf("<domain type='qemu'><name>%s</name><uuid>%s</uuid>"
                           "<memory unit='MiB'>128</memory>"
                           "<os><type arch='x86_64' machine='pc'>hvm</type></os></domain>",
                           g->name, g->uuid);
}

/* Defines @g directly through libvirt. */
static void
virsh_define(VbFixture *f, const Guest *g)
{
    g_autofree gchar *xml = guest_xml(g);
    g_autofree gchar *file = g_build_filename(f->tmpdir, "guest.xml", NULL);
    g_autoptr(GError) error = NULL;

    g_file_set_contents(file, xml, -1, &error);
    g_assert_no_error(error);
    g_free(virsh("define", file, NULL));
}

static gint
state_from_virsh(const char *text)
{
    if (g_str_has_prefix(text, "running"))
        return VIR_DOMAIN_RUNNING;
    if (g_str_has_prefix(text, "paused"))
        return VIR_DOMAIN_PAUSED;
    if (g_str_has_prefix(text, "shut off"))
        return VIR_DOMAIN_SHUTOFF;
    g_error("unexpected domain state from virsh: %s", text);
}

/* What virtbusd serves for the QEMU connection (GetManagedObjects) is what
 * libvirt says: the same domains, in the same states. */
static void
assert_matches_libvirt(VbFixture *f, GVariant *tree)
{
    g_autofree gchar *list = virsh("list", "--all", "--uuid", NULL);
    g_auto(GStrv) lines = g_strsplit(list, "\n", -1);
    guint nlibvirt = 0, nserved = 0;
    GVariantIter it;
    const char *path;

    for (gchar **l = lines; *l; l++) {
        g_strstrip(*l);
        if (!**l)
            continue;
        nlibvirt++;
        g_autofree gchar *p = g_strconcat(QEMU_DOMAIN_PREFIX "_", *l, NULL);
        g_strdelimit(p + strlen(QEMU_DOMAIN_PREFIX), "-", '_');
        g_autoptr(GVariant) props = vw_tree_lookup(tree, p, VB_IFACE_DOMAIN);
        if (!props)
            g_error("libvirt has domain %s, virtbusd does not serve it", *l);
        g_autofree gchar *st = virsh("domstate", *l, NULL);
        gint32 served;
        g_assert_true(g_variant_lookup(props, "State", "i", &served));
        if (served != state_from_virsh(st))
            g_error("domain %s: virtbusd says state %d, libvirt says %s", *l, served, st);
    }
    g_variant_iter_init(&it, tree);
    while (g_variant_iter_next(&it, "{&o@a{sa{sv}}}", &path, NULL))
        if (g_str_has_prefix(path, QEMU_DOMAIN_PREFIX))
            nserved++;
    g_assert_cmpuint(nserved, ==, nlibvirt);
}

/* ---- waiting for signals -------------------------------------------------------- */

static void
fail_with_signals(VbFixture *f, const char *what)
{
    g_autofree gchar *seen = vb_signals_describe(f);
    g_error("%s; signals:%s", what, seen);
}

/* Waits until a PropertiesChanged announces @property = @value on @path for
 * @iface (earlier announcements of other values are passed over). */
static void
wait_property(VbFixture *f, const char *path, const char *iface, const char *property,
              GVariant *value, guint timeout_ms)
{
    g_autoptr(GVariant) expect = g_variant_ref_sink(value);
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    for (;;) {
        g_autoptr(GVariant) got = NULL;
        gint64 left = (deadline - g_get_monotonic_time()) / 1000;
        if (left <= 0 || !vb_wait_property_changed(f, path, iface, property, &got, (guint)left)) {
            g_autofree gchar *v = g_variant_print(expect, TRUE);
            g_autofree gchar *what = g_strdup_printf("no PropertiesChanged %s=%s on %s within %u ms",
                                                     property, v, path, timeout_ms);
            fail_with_signals(f, what);
        }
        if (got && g_variant_equal(got, expect))
            return;
    }
}

static void
wait_state(VbFixture *f, const Guest *g, gint state)
{
    wait_property(f, g->path, VB_IFACE_DOMAIN, "State", g_variant_new_int32(state), WAIT_MS);
}

static void
wait_connected(VbFixture *f, gboolean connected, guint timeout_ms)
{
    wait_property(f, QEMU_PATH, VB_IFACE_CONNECT, "Connected", g_variant_new_boolean(connected),
                  timeout_ms);
}

static void
wait_object_signal(VbFixture *f, const char *member, const Guest *g)
{
    if (!vb_wait_signal(f, VW_ROOT_PATH, VW_IFACE_OBJECT_MANAGER, member, g->path, NULL, WAIT_MS)) {
        g_autofree gchar *what = g_strdup_printf("no %s for %s (%s)", member, g->name, g->path);
        fail_with_signals(f, what);
    }
}

static void
wait_domain_event(VbFixture *f, const Guest *g, gint event)
{
    gint64 deadline = g_get_monotonic_time() + WAIT_MS * 1000;

    for (;;) {
        g_autoptr(GVariant) params = NULL;
        gint64 left = (deadline - g_get_monotonic_time()) / 1000;
        gint e, d;
        if (left <= 0 ||
            !vb_wait_signal(f, QEMU_PATH, VB_IFACE_CONNECT, "DomainEvent", g->path, &params, (guint)left)) {
            g_autofree gchar *what = g_strdup_printf("no DomainEvent %d for %s", event, g->name);
            fail_with_signals(f, what);
        }
        g_variant_get(params, "(&oii)", NULL, &e, &d);
        if (e == event)
            return;
    }
}

/* Waits until virtbusd's QEMU connection is up (it opens in the background). */
static void
wait_connected_now(VbFixture *f)
{
    gint64 deadline = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;

    while (!vb_get_bool(f, QEMU_PATH, VB_IFACE_CONNECT, "Connected")) {
        if (g_get_monotonic_time() > deadline)
            g_error("virtbusd did not connect to %s", lv.uri);
        g_usleep(50000);
    }
}

/* Every InterfacesAdded: the object must answer as soon as it is announced. */
typedef struct {
    GPtrArray *failures;
    guint count;
} Probe;

static void
on_added(GDBusConnection *bus, const gchar *sender, const gchar *path, const gchar *iface,
         const gchar *member, GVariant *params, gpointer data)
{
    Probe *p = data;
    const char *obj;
    g_autoptr(GError) error = NULL;

    g_variant_get(params, "(&o@a{sa{sv}})", &obj, NULL);
    /* Other kinds come and go too (libvirtd gives a network defined
     * without a UUID a new one each time it starts). */
    if (!g_str_has_prefix(obj, QEMU_DOMAIN_PREFIX))
        return;
    p->count++;
    g_autoptr(GVariant) r = g_dbus_connection_call_sync(
        bus, VB_BUS_NAME, obj, VB_IFACE_PROPERTIES, "Get",
        g_variant_new("(ss)", VB_IFACE_DOMAIN, "State"), G_VARIANT_TYPE("(v)"),
        G_DBUS_CALL_FLAGS_NONE, VB_CALL_TIMEOUT_MS, NULL, &error);
    if (!r)
        g_ptr_array_add(p->failures, g_strdup_printf("%s: %s", obj, error->message));
}

static guint
probe_start(VbFixture *f, Probe *p)
{
    p->failures = g_ptr_array_new_with_free_func(g_free);
    return g_dbus_connection_signal_subscribe(f->bus, VB_BUS_NAME, VW_IFACE_OBJECT_MANAGER,
                                              "InterfacesAdded", VW_ROOT_PATH, NULL,
                                              G_DBUS_SIGNAL_FLAGS_NONE, on_added, p, NULL);
}

static void
probe_check(Probe *p)
{
    if (p->failures->len)
        g_error("a domain was not findable when its InterfacesAdded arrived: %s",
                (const char *)g_ptr_array_index(p->failures, 0));
}

/* ---- events from a real libvirtd ---------------------------------------------------- */

static void
test_events(VbFixture *f, gconstpointer data)
{
    g_autoptr(Guest) g = guest_new("vb-ev");
    g_autofree gchar *xml = guest_xml(g);
    Probe probe = { 0 };
    guint sub = probe_start(f, &probe);
    g_autoptr(GDBusObjectManager) om = NULL;

    guard_case();
    wait_connected_now(f);
    om = vw_manager_new(f->bus);

    /* Through virtbusd: defined and started. */
    g_autoptr(GVariant) r = vb_call_ok(f, QEMU_PATH, VB_IFACE_CONNECT, "DomainDefineXML",
                                       g_variant_new("(s)", xml), "(o)");
    const char *path;
    g_variant_get(r, "(&o)", &path);
    g_assert_cmpstr(path, ==, g->path);
    wait_object_signal(f, "InterfacesAdded", g);
    g_autoptr(GVariant) c = vb_call_ok(f, g->path, VB_IFACE_DOMAIN, "Create", g_variant_new("(u)", 0), "()");
    wait_state(f, g, VIR_DOMAIN_RUNNING);
    wait_domain_event(f, g, VIR_DOMAIN_EVENT_STARTED);

    /* Behind virtbusd's back: the signals still come. */
    g_free(virsh("suspend", g->name, NULL));
    wait_state(f, g, VIR_DOMAIN_PAUSED);
    wait_domain_event(f, g, VIR_DOMAIN_EVENT_SUSPENDED);
    g_free(virsh("resume", g->name, NULL));
    wait_state(f, g, VIR_DOMAIN_RUNNING);
    wait_domain_event(f, g, VIR_DOMAIN_EVENT_RESUMED);

    /* Device hot-plug: a USB tablet needs nothing from the guest to come
     * and go. */
    const char *tablet = "<input type='tablet' bus='usb'/>";
    g_autoptr(GVariant) a = vb_call_ok(f, g->path, VB_IFACE_DOMAIN, "AttachDevice",
                                       g_variant_new("(su)", tablet, VIR_DOMAIN_AFFECT_LIVE), "()");
    g_autoptr(GVariant) added = NULL;
    if (!vb_wait_signal(f, g->path, VB_IFACE_DOMAIN, "DeviceAdded", NULL, &added, WAIT_MS))
        fail_with_signals(f, "no DeviceAdded");
    g_assert_cmpstr(g_variant_get_type_string(added), ==, "(s)");
    const char *alias;
    g_variant_get(added, "(&s)", &alias);
    g_assert_true(g_str_has_prefix(alias, "input"));
    g_autoptr(GVariant) dt = vb_call_ok(f, g->path, VB_IFACE_DOMAIN, "DetachDevice",
                                        g_variant_new("(su)", tablet, VIR_DOMAIN_AFFECT_LIVE), "()");
    g_autoptr(GVariant) removed = NULL;
    if (!vb_wait_signal(f, g->path, VB_IFACE_DOMAIN, "DeviceRemoved", NULL, &removed, WAIT_MS))
        fail_with_signals(f, "no DeviceRemoved");
    g_assert_cmpstr(g_variant_get_type_string(removed), ==, "(s)");
    const char *removed_alias;
    g_variant_get(removed, "(&s)", &removed_alias);
    g_assert_cmpstr(removed_alias, ==, alias);

    g_autoptr(GVariant) tree = vw_managed_objects(f->bus, TRUE);
    assert_matches_libvirt(f, tree);
    vw_assert_manager_matches(om, tree, WAIT_MS);

    /* Stopped and undefined behind its back. */
    g_free(virsh("destroy", g->name, NULL));
    wait_state(f, g, VIR_DOMAIN_SHUTOFF);
    g_free(virsh("undefine", g->name, NULL));
    wait_object_signal(f, "InterfacesRemoved", g);

    probe_check(&probe);
    g_dbus_connection_signal_unsubscribe(f->bus, sub);
    g_ptr_array_unref(probe.failures);
}

/* ---- libvirtd killed and restarted ------------------------------------------------ */

static void
assert_no_connect(VbFixture *f, const char *path, const char *iface, const char *method,
                  GVariant *args)
{
    g_autoptr(GError) error = vb_call_err(f, path, iface, method, args);
    vb_assert_error(error, VB_ERROR_PREFIX "NoConnect");
}

static void
test_kill_restart(VbFixture *f, gconstpointer data)
{
    g_autoptr(Guest) ga = guest_new("vb-rc-a");
    g_autoptr(Guest) gb = guest_new("vb-rc-b");
    g_autoptr(GPtrArray) defined = g_ptr_array_new_with_free_func((GDestroyNotify)guest_free);
    Probe probe = { 0 };
    guint sub = probe_start(f, &probe);
    g_autoptr(GDBusObjectManager) om = NULL;
    gint64 started = g_get_monotonic_time();

    guard_case();
    wait_connected_now(f);
    om = vw_manager_new(f->bus);

    /* Two persistent guests; a runs, b is shut off. */
    virsh_define(f, ga);
    virsh_define(f, gb);
    wait_object_signal(f, "InterfacesAdded", ga);
    wait_object_signal(f, "InterfacesAdded", gb);
    g_autoptr(GVariant) c = vb_call_ok(f, ga->path, VB_IFACE_DOMAIN, "Create", g_variant_new("(u)", 0), "()");
    wait_state(f, ga, VIR_DOMAIN_RUNNING);

    for (guint round = 0; round < ROUNDS; round++) {
        gboolean frozen = round % 2 == 1;
        Guest *run = round % 2 == 0 ? gb : ga;  /* started while libvirtd restarts */
        Guest *stop = round % 2 == 0 ? ga : gb; /* stopped meanwhile */
        g_autofree gchar *name = g_strdup_printf("vb-rc-def%u", round);
        Guest *def = guest_new(name);
        Guest *old = defined->len ? g_ptr_array_index(defined, defined->len - 1) : NULL;
        gint64 t0 = g_get_monotonic_time();

        g_test_message("round %u (%s)", round, frozen ? "virtbusd frozen" : "racing");
        vb_process_events(f);

        if (frozen) {
            frozen_pid = f->daemon_pid;
            g_assert_cmpint(kill(f->daemon_pid, SIGSTOP), ==, 0);
        }
        libvirtd_kill();

        if (!frozen) {
            wait_connected(f, FALSE, WAIT_MS);
            /* While it is down: calls fail at once, properties still answer. */
            g_autoptr(GVariant) up = vb_get_property(f, QEMU_PATH, VB_IFACE_CONNECT, "Connected");
            g_assert_false(g_variant_get_boolean(up));
            assert_no_connect(f, QEMU_PATH, VB_IFACE_CONNECT, "ListDomains", g_variant_new("(u)", 0));
            assert_no_connect(f, stop->path, VB_IFACE_DOMAIN, "GetXMLDesc", g_variant_new("(u)", 0));
            assert_no_connect(f, stop->path, VB_IFACE_DOMAIN, "Suspend", NULL);
            g_autoptr(GVariant) st = vb_get_property(f, stop->path, VB_IFACE_DOMAIN, "State");
            g_assert_cmpint(g_variant_get_int32(st), ==, VIR_DOMAIN_RUNNING);
        }

        /* Back, and changed at once directly through libvirt. */
        libvirtd_start();
        gint64 back = g_get_monotonic_time();
        virsh_define(f, def);
        g_free(virsh("start", run->name, NULL));
        g_free(virsh("destroy", stop->name, NULL));
        if (old)
            g_free(virsh("undefine", old->name, NULL));

        if (frozen) {
            g_assert_cmpint(kill(f->daemon_pid, SIGCONT), ==, 0);
            frozen_pid = 0;
            wait_connected(f, FALSE, WAIT_MS);
        }
        wait_connected(f, TRUE, RECONNECT_TIMEOUT_MS);
        gdouble reconnected = (g_get_monotonic_time() - back) / 1e6;

        /* Every change is announced, whether it was seen live or found by
         * the resynchronization. */
        wait_object_signal(f, "InterfacesAdded", def);
        wait_state(f, run, VIR_DOMAIN_RUNNING);
        wait_state(f, stop, VIR_DOMAIN_SHUTOFF);
        if (old)
            wait_object_signal(f, "InterfacesRemoved", old);
        g_autoptr(GVariant) active = vb_get_property(f, stop->path, VB_IFACE_DOMAIN, "Active");
        g_assert_false(g_variant_get_boolean(active));

        /* Nothing stale: served state is libvirt's, and a client fed by
         * signals alone holds the same. */
        g_autoptr(GVariant) tree = vw_managed_objects(f->bus, TRUE);
        assert_matches_libvirt(f, tree);
        vw_assert_manager_matches(om, tree, WAIT_MS);
        g_autoptr(GVariant) up = vb_get_property(f, QEMU_PATH, VB_IFACE_CONNECT, "Connected");
        g_assert_true(g_variant_get_boolean(up));

        /* Events flow again. */
        g_free(virsh("suspend", run->name, NULL));
        wait_state(f, run, VIR_DOMAIN_PAUSED);
        wait_domain_event(f, run, VIR_DOMAIN_EVENT_SUSPENDED);
        g_free(virsh("resume", run->name, NULL));
        wait_state(f, run, VIR_DOMAIN_RUNNING);
        wait_domain_event(f, run, VIR_DOMAIN_EVENT_RESUMED);
        /* And calls work. */
        g_auto(GStrv) listed = NULL;
        g_autoptr(GVariant) lr = vb_call_ok(f, QEMU_PATH, VB_IFACE_CONNECT, "ListDomains",
                                            g_variant_new("(u)", 0), "(ao)");
        g_variant_get(lr, "(^ao)", &listed);
        g_assert_true(g_strv_contains((const gchar *const *)listed, def->path));

        if (old)
            g_ptr_array_remove_index(defined, defined->len - 1);
        g_ptr_array_add(defined, def);
        g_printerr("# round %u (%s): Connected again %.2f s after libvirtd was back; round %.2f s\n",
                   round, frozen ? "virtbusd frozen" : "racing", reconnected,
                   (g_get_monotonic_time() - t0) / 1e6);
    }

    probe_check(&probe);
    g_printerr("# %u kill/restart rounds in %.1f s, %u InterfacesAdded probed\n", ROUNDS,
               (g_get_monotonic_time() - started) / 1e6, probe.count);

    /* Clean up through libvirt; virtbusd follows. */
    Guest *running = ROUNDS % 2 == 0 ? ga : gb;
    g_free(virsh("destroy", running->name, NULL));
    g_free(virsh("undefine", ga->name, NULL));
    g_free(virsh("undefine", gb->name, NULL));
    for (guint i = 0; i < defined->len; i++)
        g_free(virsh("undefine", ((Guest *)g_ptr_array_index(defined, i))->name, NULL));
    wait_object_signal(f, "InterfacesRemoved", ga);
    wait_object_signal(f, "InterfacesRemoved", gb);
    g_dbus_connection_signal_unsubscribe(f->bus, sub);
    g_ptr_array_unref(probe.failures);
}

/* ---- set-up ----------------------------------------------------------------------- */

static const char *
missing_prerequisite(void)
{
    static const char *const programs[] = { "libvirtd", "virsh", "qemu-system-x86_64", "unshare", "nsenter" };

    if (geteuid() != 0)
        return "needs root (a private libvirtd in its own mount namespace)";
    for (gsize i = 0; i < G_N_ELEMENTS(programs); i++) {
        g_autofree gchar *p = g_find_program_in_path(programs[i]);
        if (!p) {
            g_autofree gchar *sbin = g_build_filename("/usr/sbin", programs[i], NULL);
            if (!g_file_test(sbin, G_FILE_TEST_IS_EXECUTABLE))
                return "needs libvirtd, virsh and qemu-system-x86_64";
        }
    }
    if (!g_file_test(lv.script, G_FILE_TEST_IS_EXECUTABLE))
        return "tests/libvirtd/start-libvirtd not found (VIRTBUS_SRCDIR)";
    return NULL;
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

int
main(int argc, char **argv)
{
    const char *srcdir = g_getenv("VIRTBUS_SRCDIR");
    const char *why = NULL;
    gboolean owner = FALSE;
    gchar *start_error = NULL;
    int ret;

    vb_init(&argc, &argv);
    lv.script = g_build_filename(srcdir ? srcdir : ".", "tests", "libvirtd", "start-libvirtd", NULL);

    if (!g_test_subprocess() && !vb_reference_mode() && !(why = missing_prerequisite())) {
        /* One libvirtd for the whole program; each case runs in a child
         * process that finds it through the environment. */
        g_autoptr(GError) error = NULL;
        g_autofree gchar *out = NULL;
        g_autofree gchar *err = NULL;
        gint status;

        lv.dir = g_strdup("/var/tmp/virtbus-reconnect-XXXXXX");
        g_assert_nonnull(g_mkdtemp(lv.dir));
        const char *start[] = { lv.script, "start", lv.dir, NULL };
        g_spawn_sync(NULL, (gchar **)start, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status,
                     &error);
        if (error || !g_spawn_check_wait_status(status, NULL)) {
            start_error = g_strdup_printf("could not start libvirtd: %s%s",
                                          error ? error->message : "", err ? err : "");
        } else {
            g_setenv("VIRTBUS_RECONNECT_DIR", lv.dir, TRUE);
        }
        owner = TRUE;
        stop_argv[0] = lv.script;
        stop_argv[1] = "stop";
        stop_argv[2] = "--guests";
        stop_argv[3] = lv.dir;
        stop_argv[4] = NULL;
        rm_argv[0] = "/bin/rm";
        rm_argv[1] = "-rf";
        rm_argv[2] = lv.dir;
        rm_argv[3] = NULL;
        case_pidfile = g_build_filename(lv.dir, "case.pid", NULL);
        signal(SIGTERM, on_interrupt);
        signal(SIGINT, on_interrupt);
        signal(SIGHUP, on_interrupt);
    }
    if (g_getenv("VIRTBUS_RECONNECT_DIR") && !start_error) {
        g_free(lv.dir);
        lv.dir = g_strdup(g_getenv("VIRTBUS_RECONNECT_DIR"));
        lv.uri = g_strdup_printf("qemu+unix:///system?socket=%s/run/libvirt/libvirt-sock", lv.dir);
        lv.connect_arg = g_strdup_printf("QEMU=%s", lv.uri);
        lv.args[0] = "--connect";
        lv.args[1] = lv.connect_arg;
        lv.args[2] = NULL;
        lv.opts.extra_args = lv.args;
        vb_add_virtbusd_only_full("/reconnect/events", &lv.opts, test_events);
        vb_add_virtbusd_only_full("/reconnect/kill-restart", &lv.opts, test_kill_restart);
    } else if (start_error) {
        g_test_add_data_func("/reconnect/events", start_error, fail_case);
        g_test_add_data_func("/reconnect/kill-restart", start_error, fail_case);
    } else {
        const char *reason = why ? why : "libvirt-dbus has no reconnection to test";
        g_test_add_data_func("/reconnect/events", reason, skip_case);
        g_test_add_data_func("/reconnect/kill-restart", reason, skip_case);
    }

    ret = vb_run();

    if (owner && lv.dir) {
        /* The guests and libvirtd go; so does their state. */
        const char *stop[] = { lv.script, "stop", "--guests", lv.dir, NULL };
        const char *rm[] = { "rm", "-rf", lv.dir, NULL };
        g_autofree gchar *o1 = vb_command_output(stop, FALSE);
        g_autofree gchar *o2 = vb_command_output(rm, FALSE);
    }
    return ret;
}
