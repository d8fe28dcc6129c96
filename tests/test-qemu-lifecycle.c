/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The lifecycle of the seed text, edge by edge, on real QEMU guests of a
 * private libvirtd (qemu-util.h). Every edge is a call to virtbusd, and is
 * checked three ways: libvirt's own state and reason (the test's own
 * libvirt connection), virtbusd's State and StateReason, and the signals
 * (DomainEvent, InterfacesAdded and InterfacesRemoved, the jobs of long
 * operations):
 *   - defined -> running -> paused -> running -> saved -> running (restored,
 *     then reset) -> shut off -> undefined;
 *   - a transient domain: created -> running -> destroyed -> gone;
 *   - managed save, then Create, which resumes from the image ("restored");
 *   - a transient domain's save image restored over and over;
 *   - snapshots of a qcow2-backed guest: with memory, listed, current,
 *     parent and children, reverted to running and to shut-off targets,
 *     deleted;
 *   - a guest that boots Linux (tests/guest): Reboot and a graceful
 *     Shutdown through its ACPI power button; Reset.
 * The reasons asserted are those libvirt keeps (libvirt 9.0 with QEMU 7.2):
 * after a restore libvirt sends "resumed, from snapshot" but says
 * "running, restored", and virtbusd must say what libvirt says. */
#include "job-util.h"
#include "qemu-state.h"

static gchar *
define(VbFixture *f, const VqGuest *g, const char *xml)
{
    g_autoptr(GVariant) r = vb_call_ok(f, VQ_PATH, VB_IFACE_CONNECT, "DomainDefineXML", g_variant_new("(s)", xml),
                                       "(o)");
    gchar *path;

    g_variant_get(r, "(o)", &path);
    g_assert_cmpstr(path, ==, g->path);
    return path;
}

static void
call(VbFixture *f, const VqGuest *g, const char *method, GVariant *args)
{
    g_autoptr(GVariant) r = vb_call_ok(f, g->path, VB_IFACE_DOMAIN, method, args, NULL);
}

/* A long operation: a job on @object with @operation appeared and ended
 * well before the call replied. */
static void
expect_job(VbFixture *f, const char *object, const char *operation)
{
    g_autoptr(GVariant) props = NULL;
    g_autofree gchar *job = vj_wait_job_added(f, object, &props, VQ_WAIT_MS);
    gboolean ok = FALSE;
    const char *op;

    g_assert_true(g_variant_lookup(props, "Operation", "&s", &op));
    g_assert_cmpstr(op, ==, operation);
    if (!vj_wait_completed(f, job, &ok, NULL, VQ_WAIT_MS))
        vs_fail(f, "no Completed");
    g_assert_true(ok);
}

static gboolean
persistent(VbFixture *f, const VqGuest *g)
{
    return vb_get_bool(f, g->path, VB_IFACE_DOMAIN, "Persistent");
}

static void
test_persistent(VbFixture *f, gconstpointer data)
{
    g_autoptr(VqGuest) g = vq_guest_new("vq-life");
    g_autofree gchar *xml = vq_guest_xml(g, NULL, NULL);
    g_autofree gchar *image = g_build_filename(f->tmpdir, "life.save", NULL);

    vq_wait_connected(f);

    /* undefined -> defined */
    g_autofree gchar *path = define(f, g, xml);
    vs_expect_added(f, g);
    vs_expect_event(f, g, VIR_DOMAIN_EVENT_DEFINED, VIR_DOMAIN_EVENT_DEFINED_ADDED);
    vs_assert_state(f, g, VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_UNKNOWN);
    g_assert_true(persistent(f, g));

    /* defined -> running */
    call(f, g, "Create", g_variant_new("(u)", 0));
    vs_expect_event(f, g, VIR_DOMAIN_EVENT_STARTED, VIR_DOMAIN_EVENT_STARTED_BOOTED);
    vs_assert_state(f, g, VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_BOOTED);

    /* running -> paused -> running */
    call(f, g, "Suspend", NULL);
    vs_expect_event(f, g, VIR_DOMAIN_EVENT_SUSPENDED, VIR_DOMAIN_EVENT_SUSPENDED_PAUSED);
    vs_assert_state(f, g, VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_USER);
    call(f, g, "Resume", NULL);
    vs_expect_event(f, g, VIR_DOMAIN_EVENT_RESUMED, VIR_DOMAIN_EVENT_RESUMED_UNPAUSED);
    vs_assert_state(f, g, VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_UNPAUSED);

    /* running -> saved: a job; libvirt pauses the guest first */
    call(f, g, "Save", g_variant_new("(ssu)", image, "", 0));
    expect_job(f, g->path, "save");
    vs_expect_event(f, g, VIR_DOMAIN_EVENT_SUSPENDED, VIR_DOMAIN_EVENT_SUSPENDED_PAUSED);
    vs_expect_event(f, g, VIR_DOMAIN_EVENT_STOPPED, VIR_DOMAIN_EVENT_STOPPED_SAVED);
    vs_assert_state(f, g, VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_SAVED);
    g_assert_true(g_file_test(image, G_FILE_TEST_IS_REGULAR));

    /* saved -> running: libvirt says "resumed from snapshot" and keeps
     * "running, restored", which is what virtbusd must say. */
    g_autoptr(GVariant) r = vb_call_ok(f, VQ_PATH, VB_IFACE_CONNECT, "DomainRestore",
                                       g_variant_new("(ssu)", image, "", 0), "()");
    expect_job(f, g->path, "restore");
    vs_expect_event(f, g, VIR_DOMAIN_EVENT_STARTED, VIR_DOMAIN_EVENT_STARTED_RESTORED);
    vs_expect_event(f, g, VIR_DOMAIN_EVENT_RESUMED, VIR_DOMAIN_EVENT_RESUMED_FROM_SNAPSHOT);
    vs_assert_state(f, g, VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_RESTORED);

    /* A reset changes nothing libvirt says about the state. */
    call(f, g, "Reset", g_variant_new("(u)", 0));
    if (!vb_wait_signal(f, g->path, VB_IFACE_DOMAIN, "Reboot", NULL, NULL, VQ_WAIT_MS))
        vs_fail(f, "no Reboot signal after Reset");
    vs_assert_state(f, g, VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_RESTORED);

    /* running -> shut off -> undefined */
    call(f, g, "Destroy", g_variant_new("(u)", 0));
    vs_expect_event(f, g, VIR_DOMAIN_EVENT_STOPPED, VIR_DOMAIN_EVENT_STOPPED_DESTROYED);
    vs_assert_state(f, g, VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_DESTROYED);
    call(f, g, "Undefine", g_variant_new("(u)", 0));
    vs_expect_event(f, g, VIR_DOMAIN_EVENT_UNDEFINED, VIR_DOMAIN_EVENT_UNDEFINED_REMOVED);
    vs_assert_gone(f, g);
}

static void
test_transient(VbFixture *f, gconstpointer data)
{
    g_autoptr(VqGuest) g = vq_guest_new("vq-transient");
    g_autofree gchar *xml = vq_guest_xml(g, NULL, NULL);

    vq_wait_connected(f);
    g_autoptr(GVariant) r = vb_call_ok(f, VQ_PATH, VB_IFACE_CONNECT, "DomainCreateXML",
                                       g_variant_new("(su)", xml, 0), "(o)");
    vs_expect_added(f, g);
    vs_expect_event(f, g, VIR_DOMAIN_EVENT_STARTED, VIR_DOMAIN_EVENT_STARTED_BOOTED);
    vs_assert_state(f, g, VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_BOOTED);
    g_assert_false(persistent(f, g));

    call(f, g, "Destroy", g_variant_new("(u)", 0));
    vs_expect_event(f, g, VIR_DOMAIN_EVENT_STOPPED, VIR_DOMAIN_EVENT_STOPPED_DESTROYED);
    vs_assert_gone(f, g);
}

static void
test_managed_save(VbFixture *f, gconstpointer data)
{
    g_autoptr(VqGuest) g = vq_guest_new("vq-managed");
    g_autofree gchar *xml = vq_guest_xml(g, NULL, NULL);
    virDomainPtr dom;

    vq_wait_connected(f);
    g_autofree gchar *path = define(f, g, xml);
    call(f, g, "Create", g_variant_new("(u)", 0));
    vs_assert_state(f, g, VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_BOOTED);

    call(f, g, "ManagedSave", g_variant_new("(u)", 0));
    expect_job(f, g->path, "save");
    vs_expect_event(f, g, VIR_DOMAIN_EVENT_STOPPED, VIR_DOMAIN_EVENT_STOPPED_SAVED);
    vs_assert_state(f, g, VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_SAVED);
    dom = virDomainLookupByUUIDString(vs_conn(), g->uuid);
    g_assert_cmpint(virDomainHasManagedSaveImage(dom, 0), ==, 1);
    g_autoptr(GVariant) has = vb_call_ok(f, g->path, VB_IFACE_DOMAIN, "HasManagedSaveImage", g_variant_new("(u)", 0),
                                         "(b)");
    gboolean image;
    g_variant_get(has, "(b)", &image);
    g_assert_true(image);

    /* Starting resumes from the image: "restored", as libvirt says. */
    call(f, g, "Create", g_variant_new("(u)", 0));
    expect_job(f, g->path, "start");
    vs_expect_event(f, g, VIR_DOMAIN_EVENT_STARTED, VIR_DOMAIN_EVENT_STARTED_RESTORED);
    vs_assert_state(f, g, VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_RESTORED);
    g_assert_cmpint(virDomainHasManagedSaveImage(dom, 0), ==, 0);
    virDomainFree(dom);

    call(f, g, "Destroy", g_variant_new("(u)", 0));
    vs_assert_state(f, g, VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_DESTROYED);
    call(f, g, "Undefine", g_variant_new("(u)", 0));
    vs_assert_gone(f, g);
}

static void
test_restore_again(VbFixture *f, gconstpointer data)
{
    g_autoptr(VqGuest) g = vq_guest_new("vq-again");
    g_autofree gchar *xml = vq_guest_xml(g, NULL, NULL);
    g_autofree gchar *image = g_build_filename(f->tmpdir, "again.save", NULL);

    vq_wait_connected(f);
    g_autoptr(GVariant) c = vb_call_ok(f, VQ_PATH, VB_IFACE_CONNECT, "DomainCreateXML",
                                       g_variant_new("(su)", xml, 0), "(o)");
    vs_assert_state(f, g, VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_BOOTED);
    /* Saved, a transient domain ceases to exist; its image stays. */
    call(f, g, "Save", g_variant_new("(ssu)", image, "", 0));
    expect_job(f, g->path, "save");
    vs_expect_event(f, g, VIR_DOMAIN_EVENT_STOPPED, VIR_DOMAIN_EVENT_STOPPED_SAVED);
    vs_assert_gone(f, g);

    /* "Even a transient domain can be restored over and over again." */
    for (guint round = 0; round < 3; round++) {
        g_test_message("restore %u", round + 1);
        g_autoptr(GVariant) r = vb_call_ok(f, VQ_PATH, VB_IFACE_CONNECT, "DomainRestore",
                                           g_variant_new("(ssu)", image, "", 0), "()");
        vs_expect_added(f, g);
        expect_job(f, g->path, "restore");
        vs_expect_event(f, g, VIR_DOMAIN_EVENT_STARTED, VIR_DOMAIN_EVENT_STARTED_RESTORED);
        vs_assert_state(f, g, VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_RESTORED);
        g_assert_false(persistent(f, g));
        call(f, g, "Destroy", g_variant_new("(u)", 0));
        vs_expect_event(f, g, VIR_DOMAIN_EVENT_STOPPED, VIR_DOMAIN_EVENT_STOPPED_DESTROYED);
        vs_assert_gone(f, g);
        g_assert_true(g_file_test(image, G_FILE_TEST_IS_REGULAR));
    }
}

/* ---- snapshots ------------------------------------------------------------------------ */

static gchar *
snapshot_create(VbFixture *f, const VqGuest *g, const char *name)
{
    g_autofree gchar *xml = g_strdup_printf("<domainsnapshot><name>%s</name></domainsnapshot>", name);
    g_autoptr(GVariant) r = vb_call_ok(f, g->path, VB_IFACE_DOMAIN, "SnapshotCreateXML",
                                       g_variant_new("(su)", xml, 0), "(o)");
    gchar *path;

    g_variant_get(r, "(o)", &path);
    return path;
}

static gchar **
snapshot_paths(VbFixture *f, const char *path, const char *iface, const char *method)
{
    g_autoptr(GVariant) r = vb_call_ok(f, path, iface, method, g_variant_new("(u)", 0), "(ao)");
    gchar **v;

    g_variant_get(r, "(^ao)", &v);
    return v;
}

static gchar *
snapshot_path(VbFixture *f, const char *path, const char *iface, const char *method)
{
    g_autoptr(GVariant) r = vb_call_ok(f, path, iface, method, g_variant_new("(u)", 0), "(o)");
    gchar *p;

    g_variant_get(r, "(o)", &p);
    return p;
}

static gchar *
libvirt_current_snapshot(const VqGuest *g)
{
    virDomainPtr dom = virDomainLookupByUUIDString(vs_conn(), g->uuid);
    virDomainSnapshotPtr s = virDomainSnapshotCurrent(dom, 0);
    gchar *name = g_strdup(virDomainSnapshotGetName(s));

    virDomainSnapshotFree(s);
    virDomainFree(dom);
    return name;
}

static gint
libvirt_snapshot_count(const VqGuest *g)
{
    virDomainPtr dom = virDomainLookupByUUIDString(vs_conn(), g->uuid);
    gint n = virDomainSnapshotNum(dom, 0);

    virDomainFree(dom);
    return n;
}

static void
test_snapshots(VbFixture *f, gconstpointer data)
{
    g_autoptr(VqGuest) g = vq_guest_new("vq-snap");
    g_autofree gchar *disk = g_build_filename(f->tmpdir, "snap.qcow2", NULL);
    const char *qemu_img[] = { "qemu-img", "create", "-q", "-f", "qcow2", disk, "32M", NULL };
    g_autofree gchar *out = vq_run_argv(qemu_img);
    g_autofree gchar *devices = g_strdup_printf("<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
                                                "<source file='%s'/><target dev='vda' bus='virtio'/></disk>",
                                                disk);
    g_autofree gchar *xml = vq_guest_xml(g, devices, NULL);

    vq_wait_connected(f);
    g_autofree gchar *path = define(f, g, xml);
    call(f, g, "Create", g_variant_new("(u)", 0));
    vs_assert_state(f, g, VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_BOOTED);

    /* With memory, of the running guest: a job; libvirt pauses it for the
     * while. */
    g_autofree gchar *s1 = snapshot_create(f, g, "s1");
    expect_job(f, g->path, "snapshot");
    vs_expect_event(f, g, VIR_DOMAIN_EVENT_SUSPENDED, VIR_DOMAIN_EVENT_SUSPENDED_PAUSED);
    vs_expect_event(f, g, VIR_DOMAIN_EVENT_RESUMED, VIR_DOMAIN_EVENT_RESUMED_UNPAUSED);
    vs_assert_state(f, g, VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_UNPAUSED);

    /* Of the shut-off guest: its disks only, quick, no job. */
    call(f, g, "Destroy", g_variant_new("(u)", 0));
    vs_assert_state(f, g, VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_DESTROYED);
    vb_signals_clear(f);
    g_autofree gchar *s2 = snapshot_create(f, g, "s2");
    g_assert_cmpint(vj_signal_index(f, VJ_ROOT_PATH, VJ_IFACE_OBJECT_MANAGER, "InterfacesAdded", NULL), ==, -1);
    vs_assert_state(f, g, VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_DESTROYED);

    /* Listed, current, parent and children, as libvirt has them. */
    g_auto(GStrv) all = snapshot_paths(f, g->path, VB_IFACE_DOMAIN, "ListDomainSnapshots");
    g_assert_cmpuint(g_strv_length(all), ==, 2);
    g_assert_true(g_strv_contains((const gchar *const *)all, s1));
    g_assert_true(g_strv_contains((const gchar *const *)all, s2));
    g_assert_cmpint(libvirt_snapshot_count(g), ==, 2);
    g_autofree gchar *current = snapshot_path(f, g->path, VB_IFACE_DOMAIN, "SnapshotCurrent");
    g_assert_cmpstr(current, ==, s2);
    g_autofree gchar *lcurrent = libvirt_current_snapshot(g);
    g_assert_cmpstr(lcurrent, ==, "s2");
    g_autofree gchar *parent = snapshot_path(f, s2, VB_IFACE_SNAPSHOT, "GetParent");
    g_assert_cmpstr(parent, ==, s1);
    g_auto(GStrv) children = snapshot_paths(f, s1, VB_IFACE_SNAPSHOT, "ListChildren");
    g_assert_cmpuint(g_strv_length(children), ==, 1);
    g_assert_cmpstr(children[0], ==, s2);

    /* Back to the running guest of s1: its memory is loaded, a job. */
    g_autoptr(GVariant) rv1 = vb_call_ok(f, s1, VB_IFACE_SNAPSHOT, "Revert", g_variant_new("(u)", 0), "()");
    expect_job(f, g->path, "snapshot-revert");
    vs_expect_event(f, g, VIR_DOMAIN_EVENT_STARTED, VIR_DOMAIN_EVENT_STARTED_FROM_SNAPSHOT);
    vs_assert_state(f, g, VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_FROM_SNAPSHOT);
    g_autofree gchar *lcurrent1 = libvirt_current_snapshot(g);
    g_assert_cmpstr(lcurrent1, ==, "s1");

    /* Back to the shut-off guest of s2. */
    g_autoptr(GVariant) rv2 = vb_call_ok(f, s2, VB_IFACE_SNAPSHOT, "Revert", g_variant_new("(u)", 0), "()");
    vs_expect_event(f, g, VIR_DOMAIN_EVENT_STOPPED, VIR_DOMAIN_EVENT_STOPPED_FROM_SNAPSHOT);
    vs_assert_state(f, g, VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_FROM_SNAPSHOT);

    /* Deleted, the child first. */
    g_autoptr(GVariant) d2 = vb_call_ok(f, s2, VB_IFACE_SNAPSHOT, "Delete", g_variant_new("(u)", 0), "()");
    g_autoptr(GVariant) d1 = vb_call_ok(f, s1, VB_IFACE_SNAPSHOT, "Delete", g_variant_new("(u)", 0), "()");
    g_auto(GStrv) none = snapshot_paths(f, g->path, VB_IFACE_DOMAIN, "ListDomainSnapshots");
    g_assert_cmpuint(g_strv_length(none), ==, 0);
    g_assert_cmpint(libvirt_snapshot_count(g), ==, 0);

    call(f, g, "Undefine", g_variant_new("(u)", 0));
    vs_assert_gone(f, g);
}

/* ---- a guest that answers ----------------------------------------------------------- */

static void
wait_agent(VbFixture *f, const VqGuest *g, gint state)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)VQ_WAIT_MS * 2 * 1000;

    /* libvirt tells when the guest agent connects and disconnects. */
    for (;;) {
        g_autoptr(GVariant) params = NULL;
        gint64 left = (deadline - g_get_monotonic_time()) / 1000;
        gint s, reason;
        if (left <= 0 || !vb_wait_signal(f, g->path, VB_IFACE_DOMAIN, "AgentEvent", NULL, &params, (guint)left)) {
            g_autofree gchar *what = g_strdup_printf("the agent of %s did not turn %d", g->name, state);
            vs_fail(f, what);
        }
        g_variant_get(params, "(ii)", &s, &reason);
        if (s == state)
            return;
    }
}

/* Defines and starts the test guest, and waits until its agent (and the
 * power-button daemon, which init starts with it) runs. */
static gboolean
boot_test_guest(VbFixture *f, const VqGuest *g)
{
    g_autofree gchar *xml = vs_test_guest_xml(g);
    gint64 t0 = g_get_monotonic_time();

    if (!xml) {
        g_test_skip("the test guest cannot be built here (tests/guest/build-guest)");
        return FALSE;
    }
    g_autofree gchar *path = define(f, g, xml);
    call(f, g, "Create", g_variant_new("(u)", 0));
    vs_expect_event(f, g, VIR_DOMAIN_EVENT_STARTED, VIR_DOMAIN_EVENT_STARTED_BOOTED);
    vs_assert_state(f, g, VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_BOOTED);
    wait_agent(f, g, VIR_CONNECT_DOMAIN_EVENT_AGENT_LIFECYCLE_STATE_CONNECTED);
    g_printerr("# the test guest booted in %.1f s\n", (g_get_monotonic_time() - t0) / 1e6);
    return TRUE;
}

static void
test_acpi_reboot_shutdown(VbFixture *f, gconstpointer data)
{
    g_autoptr(VqGuest) g = vq_guest_new("vq-acpi");

    if (!boot_test_guest(f, g))
        return;
    /* Reboot, asked of the guest: it goes down and comes up again, still
     * "running, booted". */
    call(f, g, "Reboot", g_variant_new("(u)", VIR_DOMAIN_REBOOT_GUEST_AGENT));
    if (!vb_wait_signal(f, g->path, VB_IFACE_DOMAIN, "Reboot", NULL, NULL, VQ_WAIT_MS))
        vs_fail(f, "no Reboot signal after Reboot");
    wait_agent(f, g, VIR_CONNECT_DOMAIN_EVENT_AGENT_LIFECYCLE_STATE_CONNECTED);
    vs_assert_state(f, g, VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_BOOTED);

    /* A graceful shutdown through the ACPI power button. */
    call(f, g, "Shutdown", g_variant_new("(u)", VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN));
    vs_expect_event(f, g, VIR_DOMAIN_EVENT_STOPPED, VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN);
    vs_assert_state(f, g, VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_SHUTDOWN);

    call(f, g, "Undefine", g_variant_new("(u)", 0));
    vs_assert_gone(f, g);
}

static void
test_acpi_reset(VbFixture *f, gconstpointer data)
{
    g_autoptr(VqGuest) g = vq_guest_new("vq-reset");

    if (!boot_test_guest(f, g))
        return;
    /* Reset, from outside: it starts over, still "running, booted". */
    call(f, g, "Reset", g_variant_new("(u)", 0));
    if (!vb_wait_signal(f, g->path, VB_IFACE_DOMAIN, "Reboot", NULL, NULL, VQ_WAIT_MS))
        vs_fail(f, "no Reboot signal after Reset");
    wait_agent(f, g, VIR_CONNECT_DOMAIN_EVENT_AGENT_LIFECYCLE_STATE_CONNECTED);
    vs_assert_state(f, g, VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_BOOTED);

    call(f, g, "Destroy", g_variant_new("(u)", 0));
    vs_assert_state(f, g, VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_DESTROYED);
    call(f, g, "Undefine", g_variant_new("(u)", 0));
    vs_assert_gone(f, g);
}

int
main(int argc, char **argv)
{
    vq_init(&argc, &argv, "lifecycle");
    vq_add("/qemu-lifecycle/persistent", test_persistent);
    vq_add("/qemu-lifecycle/transient", test_transient);
    vq_add("/qemu-lifecycle/managed-save", test_managed_save);
    vq_add("/qemu-lifecycle/restore-again", test_restore_again);
    vq_add("/qemu-lifecycle/snapshots", test_snapshots);
    vq_add("/qemu-lifecycle/acpi-reboot-shutdown", test_acpi_reboot_shutdown);
    vq_add("/qemu-lifecycle/acpi-reset", test_acpi_reset);
    return vq_run();
}
