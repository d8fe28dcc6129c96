/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Long operations on real QEMU guests (qemu-util.h), checked against
 * libvirt's own view:
 *   - a save's progress: at least three updates, in order, then the save
 *     completes; a second save canceled half-way fails with libvirt's
 *     OperationAborted and leaves the guest running ("save canceled");
 *   - a "virsh save" behind virtbusd's back shows up as a job started by
 *     nobody virtbusd knows;
 *   - a block pull is a job that outlives its call until libvirt says it
 *     is done, and can be canceled;
 *   - virtbusd restarted while one guest is paused, one runs, one is
 *     managed-saved and one is being saved: what it serves afterwards is
 *     what libvirt says, the save is a job again, and a client that follows
 *     the signals across the restart ends with what a fresh client sees;
 *   - a guest removed with its storage, wiped first: its volume is gone,
 *     a hard link made beforehand shows the zeros in its blocks, the other
 *     volume of the pool is untouched; a volume another guest uses, or a
 *     guest that runs, is refused and nothing is removed; a dry run only
 *     lists.
 * A save writes to a FIFO the test reads at its own pace: the save takes as
 * long as the test needs, however fast the machine. */
#include <errno.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "job-util.h"
#include "qemu-state.h"
#include "watch-util.h"

/* The guests' memory (qemu-util.h). */
#define MEMORY_MIB 64
/* What the test lets a save write at a time: what libvirt's I/O helper
 * passes on at once. */
#define STEP_BYTES (1024 * 1024)

static void
call(VbFixture *f, const VqGuest *g, const char *method, GVariant *args)
{
    g_autoptr(GVariant) r = vb_call_ok(f, g->path, VB_IFACE_DOMAIN, method, args, NULL);
}

/* Defines and starts @g through virtbusd; a busy one has memory that
 * takes a save long to write (vs_busy_guest_xml()). */
static void
start_guest(VbFixture *f, const VqGuest *g, gboolean busy)
{
    g_autofree gchar *xml = busy ? vs_busy_guest_xml(f, g) : vq_guest_xml(g, NULL, NULL);
    g_autoptr(GVariant) r = vb_call_ok(f, VQ_PATH, VB_IFACE_CONNECT, "DomainDefineXML", g_variant_new("(s)", xml),
                                       "(o)");

    call(f, g, "Create", g_variant_new("(u)", 0));
    vs_assert_state(f, g, VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_BOOTED);
}

static void
remove_guest(const VqGuest *g)
{
    gint state, reason;

    if (vs_libvirt_state(g, &state, &reason) && state != VIR_DOMAIN_SHUTOFF)
        g_free(vq_virsh("destroy", g->uuid, NULL));
    g_free(vq_virsh("undefine", "--managed-save", g->uuid, NULL));
}

static gchar *
domain_job(VbFixture *f, const VqGuest *g)
{
    g_autoptr(GVariant) v = vb_get_property(f, g->path, VB_IFACE_DOMAIN, "Job");
    return g_variant_dup_string(v, NULL);
}

/* Lets the save write step by step until its job has announced @count
 * new values of Progress, each greater than the one before. */
static void
watch_progress(VbFixture *f, VsDrain *d, const char *job, guint count)
{
    gdouble last = -1;
    guint seen = 0, steps = 0;

    while (seen < count) {
        g_autoptr(GVariant) v = NULL;
        if (++steps > 200)
            vs_fail(f, "the save made no progress");
        vs_drain_allow(d, STEP_BYTES);
        /* A step may end within a buffer QEMU is still writing: then the
         * next step brings the change. */
        if (!vb_wait_property_changed(f, job, VJ_IFACE_JOB, "Progress", &v, 3000))
            continue;
        gdouble p = g_variant_get_double(v);
        g_printerr("# progress %.4f after %" G_GUINT64_FORMAT " bytes read\n", p, vs_drain_total(d));
        g_assert_cmpfloat(p, >, last);
        g_assert_cmpfloat(p, <=, 1.0);
        last = p;
        seen++;
    }
    g_autoptr(GVariant) valid = vb_get_property(f, job, VJ_IFACE_JOB, "ProgressValid");
    g_assert_true(g_variant_get_boolean(valid));
    g_autoptr(GVariant) total = vb_get_property(f, job, VJ_IFACE_JOB, "DataTotal");
    g_assert_cmpuint(g_variant_get_uint64(total), >=, (guint64)MEMORY_MIB * 1024 * 1024);
    g_autoptr(GVariant) start = vb_get_property(f, job, VJ_IFACE_JOB, "StartTime");
    g_autoptr(GVariant) end = vb_get_property(f, job, VJ_IFACE_JOB, "ExpectedEndTime");
    g_assert_cmpuint(g_variant_get_uint64(end), >, g_variant_get_uint64(start));
}

static gboolean
completed(VbFixture *f, const char *job, gchar **message)
{
    gboolean ok = FALSE;

    if (!vj_wait_completed(f, job, &ok, message, VQ_WAIT_MS))
        vs_fail(f, "no Completed");
    if (!vb_wait_signal(f, VJ_ROOT_PATH, VJ_IFACE_OBJECT_MANAGER, "InterfacesRemoved", job, NULL, VQ_WAIT_MS))
        vs_fail(f, "the job did not go");
    return ok;
}

static void
test_progress_and_cancel(VbFixture *f, gconstpointer data)
{
    g_autoptr(VqGuest) g = vq_guest_new("vq-progress");
    g_autoptr(GVariant) props = NULL;
    VjAsync save, cancel;
    gboolean b;

    vq_wait_connected(f);
    start_guest(f, g, TRUE);

    /* Canceled half-way. */
    g_autoptr(VsDrain) d1 = vs_drain_new(f, "cancel.fifo");
    vj_call_async(f, g->path, VB_IFACE_DOMAIN, "Save", g_variant_new("(ssu)", vs_drain_path(d1), "", 0), &save);
    g_autofree gchar *job1 = vj_wait_job_added(f, g->path, &props, VQ_WAIT_MS);
    g_assert_true(g_variant_lookup(props, "Cancelable", "b", &b));
    g_assert_true(b);
    g_autofree gchar *named = domain_job(f, g);
    g_assert_cmpstr(named, ==, job1);
    watch_progress(f, d1, job1, 3);
    /* libvirt pauses the guest while it saves it. */
    vs_assert_state(f, g, VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_SAVE);
    g_assert_false(save.done);

    vj_call_async(f, job1, VJ_IFACE_JOB, "Cancel", NULL, &cancel);
    vj_async_wait(&cancel, VQ_WAIT_MS);
    g_assert_no_error(cancel.error);
    /* QEMU notices once it may write again. */
    vs_drain_allow(d1, -1);
    vj_async_wait(&save, VQ_WAIT_MS);
    vb_assert_error(save.error, VJ_ERR_OPERATION_ABORTED);
    g_autofree gchar *m1 = NULL;
    g_assert_false(completed(f, job1, &m1));
    g_test_message("canceled: %s", m1);
    vs_assert_state(f, g, VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_SAVE_CANCELED);
    g_autofree gchar *none = domain_job(f, g);
    g_assert_cmpstr(none, ==, "/");
    vj_async_clear(&save);
    vj_async_clear(&cancel);

    /* And to the end. */
    g_autoptr(VsDrain) d2 = vs_drain_new(f, "save.fifo");
    vj_call_async(f, g->path, VB_IFACE_DOMAIN, "Save", g_variant_new("(ssu)", vs_drain_path(d2), "", 0), &save);
    g_autofree gchar *job2 = vj_wait_job_added(f, g->path, NULL, VQ_WAIT_MS);
    g_assert_cmpstr(job2, !=, job1);
    watch_progress(f, d2, job2, 3);
    vs_drain_allow(d2, -1);
    vj_async_wait(&save, VQ_WAIT_MS);
    g_assert_no_error(save.error);
    g_autofree gchar *m2 = NULL;
    g_assert_true(completed(f, job2, &m2));
    g_assert_cmpstr(m2, ==, "");
    vs_assert_state(f, g, VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_SAVED);
    vj_async_clear(&save);
    remove_guest(g);
}

static void
test_external(VbFixture *f, gconstpointer data)
{
    g_autoptr(VqGuest) g = vq_guest_new("vq-external");
    g_autoptr(GVariant) props = NULL;
    g_autoptr(GError) error = NULL;
    const char *op;
    gint64 uid;
    GPid pid;
    gint status = -1;
    gboolean exited = FALSE;

    vq_wait_connected(f);
    start_guest(f, g, TRUE);

    g_autoptr(VsDrain) d = vs_drain_new(f, "external.fifo");
    const char *argv[] = { "virsh", "-q", "-c", vq_uri(), "save", g->uuid, vs_drain_path(d), NULL };
    g_spawn_async(NULL, (gchar **)argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD |
                  G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, &pid, &error);
    g_assert_no_error(error);

    /* Found while libvirt saves it, started by nobody virtbusd knows. */
    g_autofree gchar *job = vj_wait_job_added(f, g->path, &props, VQ_WAIT_MS);
    g_assert_true(g_variant_lookup(props, "Operation", "&s", &op));
    g_assert_cmpstr(op, ==, "save");
    g_assert_true(g_variant_lookup(props, "StartedByUID", "x", &uid));
    g_assert_cmpint(uid, ==, -1);
    g_autofree gchar *named = domain_job(f, g);
    g_assert_cmpstr(named, ==, job);

    vs_drain_allow(d, -1);
    g_assert_true(completed(f, job, NULL));
    while (!exited) {
        exited = waitpid(pid, &status, 0) == pid || errno != EINTR;
    }
    g_spawn_close_pid(pid);
    g_assert_true(g_spawn_check_wait_status(status, NULL));
    vs_assert_state(f, g, VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_SAVED);
    remove_guest(g);
}

static void
test_restart(VbFixture *f, gconstpointer data)
{
    g_autoptr(VqGuest) paused = vq_guest_new("vq-r-paused");
    g_autoptr(VqGuest) running = vq_guest_new("vq-r-running");
    g_autoptr(VqGuest) managed = vq_guest_new("vq-r-managed");
    g_autoptr(VqGuest) saving = vq_guest_new("vq-r-saving");
    g_autoptr(GDBusObjectManager) om = NULL;
    g_autoptr(GVariant) props = NULL;
    VjAsync save;
    gint64 uid;

    vq_wait_connected(f);
    start_guest(f, paused, FALSE);
    start_guest(f, running, FALSE);
    start_guest(f, managed, FALSE);
    start_guest(f, saving, TRUE);
    call(f, paused, "Suspend", NULL);
    call(f, managed, "ManagedSave", g_variant_new("(u)", 0));
    g_autoptr(VsDrain) d = vs_drain_new(f, "restart.fifo");
    vj_call_async(f, saving->path, VB_IFACE_DOMAIN, "Save", g_variant_new("(ssu)", vs_drain_path(d), "", 0), &save);
    g_autofree gchar *before = vj_wait_job_added(f, saving->path, NULL, VQ_WAIT_MS);
    vs_assert_state(f, saving, VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_SAVE);

    /* A client that follows everything across the restart. */
    om = vw_manager_new(f->bus);
    g_autoptr(GVariant) tree0 = vw_managed_objects(f->bus, TRUE);
    vw_assert_manager_matches(om, tree0, VQ_WAIT_MS);

    vb_restart_daemon(f);
    vq_wait_connected(f);
    /* The Save call was the old service's; its reply is lost with it. */
    vj_async_wait(&save, VQ_WAIT_MS);
    g_assert_nonnull(save.error);
    /* The bus answers for a service that left without replying. */
    g_autofree gchar *lost = g_dbus_error_get_remote_error(save.error);
    g_assert_cmpstr(lost, ==, "org.freedesktop.DBus.Error.NoReply");

    vs_assert_state(f, paused, VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_USER);
    vs_assert_state(f, running, VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_BOOTED);
    vs_assert_state(f, managed, VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_SAVED);
    vs_assert_state(f, saving, VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_SAVE);
    /* The save goes on in libvirt: a job again, now one virtbusd did not
     * start. */
    g_autofree gchar *job = vj_wait_job_added(f, saving->path, &props, VQ_WAIT_MS);
    g_assert_true(g_variant_lookup(props, "StartedByUID", "x", &uid));
    g_assert_cmpint(uid, ==, -1);
    g_autofree gchar *named = domain_job(f, saving);
    g_assert_cmpstr(named, ==, job);
    g_autofree gchar *none = domain_job(f, running);
    g_assert_cmpstr(none, ==, "/");

    g_autoptr(GVariant) tree1 = vw_managed_objects(f->bus, TRUE);
    g_assert_nonnull(vw_tree_lookup(tree1, job, VJ_IFACE_JOB));
    vw_assert_manager_matches(om, tree1, VQ_WAIT_MS);

    /* It ends as libvirt says, and the following client sees that too. */
    vs_drain_allow(d, -1);
    g_assert_true(completed(f, job, NULL));
    vs_assert_state(f, saving, VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_SAVED);
    g_autoptr(GVariant) tree2 = vw_managed_objects(f->bus, TRUE);
    g_assert_null(vw_tree_lookup(tree2, job, VJ_IFACE_JOB));
    vw_assert_manager_matches(om, tree2, VQ_WAIT_MS);

    vj_async_clear(&save);
    remove_guest(paused);
    remove_guest(running);
    remove_guest(managed);
    remove_guest(saving);
}

/* ---- block jobs ------------------------------------------------------------------------- */

/* Whether libvirt's live definition of @g still shows a backing image. */
static gboolean
has_backing(const VqGuest *g)
{
    virDomainPtr dom = virDomainLookupByUUIDString(vs_conn(), g->uuid);
    g_autofree gchar *xml = virDomainGetXMLDesc(dom, 0);

    virDomainFree(dom);
    g_assert_nonnull(xml);
    return strstr(xml, "<backingStore type=") != NULL;
}

static void
test_block_job(VbFixture *f, gconstpointer data)
{
    g_autoptr(VqGuest) g = vq_guest_new("vq-block");
    g_autofree gchar *base = g_build_filename(f->tmpdir, "base.qcow2", NULL);
    g_autofree gchar *top = g_build_filename(f->tmpdir, "top.qcow2", NULL);
    const char *mk_base[] = { "qemu-img", "create", "-q", "-f", "qcow2", base, "16M", NULL };
    const char *fill[] = { "qemu-io", "-f", "qcow2", "-c", "write -P 0x42 0 8M", base, NULL };
    const char *mk_top[] = { "qemu-img", "create", "-q", "-f", "qcow2", "-b", base, "-F", "qcow2", top, NULL };
    g_autoptr(GVariant) props = NULL;
    gboolean cancelable = FALSE;
    const char *op;

    g_free(vq_run_argv(mk_base));
    g_free(vq_run_argv(fill));
    g_free(vq_run_argv(mk_top));
    g_autofree gchar *disk = g_strdup_printf("<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
                                             "<source file='%s'/><target dev='vda' bus='virtio'/></disk>",
                                             top);
    g_autofree gchar *xml = vq_guest_xml(g, disk, NULL);
    g_autoptr(GVariant) d = vb_call_ok(f, VQ_PATH, VB_IFACE_CONNECT, "DomainDefineXML", g_variant_new("(s)", xml),
                                       "(o)");
    call(f, g, "Create", g_variant_new("(u)", 0));
    vs_assert_state(f, g, VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_BOOTED);
    g_assert_true(has_backing(g));

    /* A pull at 1 MiB/s of 8 MiB: it outlives the call, and is canceled. */
    call(f, g, "BlockPull", g_variant_new("(stu)", "vda", (guint64)1, 0));
    g_autofree gchar *slow = vj_wait_job_added(f, g->path, &props, VQ_WAIT_MS);
    g_assert_true(g_variant_lookup(props, "Operation", "&s", &op));
    g_assert_cmpstr(op, ==, "block-pull");
    g_assert_true(g_variant_lookup(props, "Cancelable", "b", &cancelable));
    g_assert_true(cancelable);
    g_autofree gchar *named = domain_job(f, g);
    g_assert_cmpstr(named, ==, slow);
    g_autoptr(GVariant) c = vb_call_ok(f, slow, VJ_IFACE_JOB, "Cancel", NULL, "()");
    g_autofree gchar *why = NULL;
    g_assert_false(completed(f, slow, &why));
    g_autoptr(GVariant) ev = NULL;
    if (!vb_wait_signal(f, g->path, VB_IFACE_DOMAIN, "BlockJob", "vda", &ev, VQ_WAIT_MS))
        vs_fail(f, "no BlockJob signal");
    gint type, status;
    g_variant_get(ev, "(&sii)", NULL, &type, &status);
    g_assert_cmpint(type, ==, VIR_DOMAIN_BLOCK_JOB_TYPE_PULL);
    g_assert_cmpint(status, ==, VIR_DOMAIN_BLOCK_JOB_CANCELED);
    g_assert_true(has_backing(g));

    /* At full speed: the job ends when libvirt says the pull is done. */
    g_clear_pointer(&ev, g_variant_unref);
    call(f, g, "BlockPull", g_variant_new("(stu)", "vda", (guint64)0, 0));
    g_autofree gchar *fast = vj_wait_job_added(f, g->path, NULL, VQ_WAIT_MS);
    g_assert_true(completed(f, fast, NULL));
    if (!vb_wait_signal(f, g->path, VB_IFACE_DOMAIN, "BlockJob", "vda", &ev, VQ_WAIT_MS))
        vs_fail(f, "no BlockJob signal");
    g_variant_get(ev, "(&sii)", NULL, &type, &status);
    g_assert_cmpint(status, ==, VIR_DOMAIN_BLOCK_JOB_COMPLETED);
    g_assert_false(has_backing(g));
    g_autofree gchar *none = domain_job(f, g);
    g_assert_cmpstr(none, ==, "/");
    remove_guest(g);
}

/* ---- removal with storage --------------------------------------------------------------- */

static virStorageVolPtr
make_volume(virStoragePoolPtr pool, const char *name, int byte)
{
    g_autofree gchar *xml = g_strdup_printf("<volume><name>%s</name><capacity unit='MiB'>8</capacity>"
                                            "<target><format type='qcow2'/></target></volume>", name);
    virStorageVolPtr vol = virStorageVolCreateXML(pool, xml, 0);
    g_autofree gchar *path = NULL;

    if (!vol)
        g_error("creating volume %s: %s", name, virGetLastErrorMessage());
    path = virStorageVolGetPath(vol);
    /* Guest data: a pattern the wipe must overwrite. */
    g_autofree gchar *cmd = g_strdup_printf("write -P %d 0 1M", byte);
    const char *argv[] = { "qemu-io", "-f", "qcow2", "-c", cmd, path, NULL };
    g_free(vq_run_argv(argv));
    return vol;
}

static gchar *
disk_xml(virStorageVolPtr vol, const char *dev)
{
    g_autofree gchar *path = virStorageVolGetPath(vol);

    return g_strdup_printf("<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
                           "<source file='%s'/><target dev='%s' bus='virtio'/></disk>",
                           path, dev);
}

static gchar *
file_checksum(const char *path)
{
    g_autofree gchar *data = NULL;
    gsize len;

    if (!g_file_get_contents(path, &data, &len, NULL))
        return NULL;
    return g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)data, len);
}

static gint
compare_names(gconstpointer a, gconstpointer b)
{
    return g_strcmp0(*(const gchar *const *)a, *(const gchar *const *)b);
}

static gchar **
pool_volumes(virStoragePoolPtr pool)
{
    virStorageVolPtr *vols = NULL;
    int n;
    GPtrArray *names = g_ptr_array_new();

    g_assert_cmpint(virStoragePoolRefresh(pool, 0), ==, 0);
    n = virStoragePoolListAllVolumes(pool, &vols, 0);
    g_assert_cmpint(n, >=, 0);
    for (int i = 0; i < n; i++) {
        g_ptr_array_add(names, g_strdup(virStorageVolGetName(vols[i])));
        virStorageVolFree(vols[i]);
    }
    free(vols);
    g_ptr_array_sort(names, compare_names);
    g_ptr_array_add(names, NULL);
    return (gchar **)g_ptr_array_free(names, FALSE);
}

static gchar *
joined(gchar **v)
{
    return g_strjoinv(",", v);
}

static void
define_guest(VbFixture *f, const VqGuest *g, const char *devices)
{
    g_autofree gchar *xml = vq_guest_xml(g, devices, NULL);
    g_autoptr(GVariant) r = vb_call_ok(f, VQ_PATH, VB_IFACE_CONNECT, "DomainDefineXML", g_variant_new("(s)", xml),
                                       "(o)");
    vs_assert_state(f, g, VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_UNKNOWN);
}

static gboolean
all_zero(const char *path)
{
    g_autofree gchar *data = NULL;
    gsize len;

    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    for (gsize i = 0; i < len; i++)
        if (data[i])
            return FALSE;
    return TRUE;
}

static gboolean
has_byte(const char *path, char byte)
{
    g_autofree gchar *data = NULL;
    gsize len;

    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    return memchr(data, byte, len) != NULL;
}

/* The refused call was a job too, which ended saying why. */
static void
expect_failed_job(VbFixture *f, const VqGuest *g, const GError *error)
{
    g_autofree gchar *job = vj_wait_job_added(f, g->path, NULL, VQ_WAIT_MS);
    g_autofree gchar *message = NULL;
    g_autofree gchar *text = vb_error_text(error);

    g_assert_false(completed(f, job, &message));
    g_assert_cmpstr(message, ==, text);
}

static void
test_undefine_with_storage(VbFixture *f, gconstpointer data)
{
    g_autoptr(VqGuest) g = vq_guest_new("vq-doomed");
    g_autoptr(VqGuest) other = vq_guest_new("vq-sharer");
    g_autofree gchar *dir = g_build_filename(f->tmpdir, "pool", NULL);
    g_autofree gchar *pool_xml = NULL;
    virStoragePoolPtr pool;
    g_autoptr(GError) error = NULL;

    vq_wait_connected(f);
    g_assert_cmpint(mkdir(dir, 0700), ==, 0);
    pool_xml = g_strdup_printf("<pool type='dir'><name>vq-pool-%s</name><target><path>%s</path></target></pool>",
                               g->uuid, dir);
    pool = virStoragePoolCreateXML(vs_conn(), pool_xml, 0);
    g_assert_nonnull(pool);
    virStorageVolPtr data_vol = make_volume(pool, "data.qcow2", 0x5a);
    virStorageVolPtr shared_vol = make_volume(pool, "shared.qcow2", 0x5b);
    virStorageVolPtr kept_vol = make_volume(pool, "kept.qcow2", 0x5c);
    g_autofree gchar *data_path = virStorageVolGetPath(data_vol);
    g_autofree gchar *shared_path = virStorageVolGetPath(shared_vol);
    g_autofree gchar *kept_path = virStorageVolGetPath(kept_vol);
    g_autofree gchar *kept_sum = file_checksum(kept_path);
    g_autofree gchar *d1 = disk_xml(data_vol, "vda"), *d2 = disk_xml(shared_vol, "vdb"),
                     *d3 = disk_xml(shared_vol, "vda");
    g_autofree gchar *both = g_strconcat(d1, d2, NULL);
    define_guest(f, g, both);
    define_guest(f, other, d3);

    /* A volume another guest uses: refused, nothing removed. */
    g_autoptr(GError) shared = vb_call_err(f, g->path, VB_IFACE_DOMAIN, "UndefineWithStorage",
                                           g_variant_new("(su)", "zero", 0));
    vb_assert_error(shared, VB_ERR_OPERATION_INVALID);
    g_assert_nonnull(strstr(shared->message, other->name));
    expect_failed_job(f, g, shared);
    vs_assert_state(f, g, VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_UNKNOWN);
    g_auto(GStrv) v0 = pool_volumes(pool);
    g_autofree gchar *j0 = joined(v0);
    g_assert_cmpstr(j0, ==, "data.qcow2,kept.qcow2,shared.qcow2");
    g_assert_true(has_byte(data_path, 0x5a));
    g_free(vq_virsh("undefine", other->uuid, NULL));
    vs_assert_gone(f, other);

    /* A guest that runs: refused. */
    call(f, g, "Create", g_variant_new("(u)", 0));
    g_autoptr(GError) running = vb_call_err(f, g->path, VB_IFACE_DOMAIN, "UndefineWithStorage",
                                            g_variant_new("(su)", "", 0));
    vb_assert_error(running, VB_ERR_OPERATION_INVALID);
    expect_failed_job(f, g, running);
    call(f, g, "Destroy", g_variant_new("(u)", 0));
    vs_assert_state(f, g, VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_DESTROYED);

    /* An unknown algorithm is the caller's mistake. */
    g_autoptr(GError) bad = vb_call_err(f, g->path, VB_IFACE_DOMAIN, "UndefineWithStorage",
                                        g_variant_new("(su)", "shred-it", 0));
    vb_assert_error(bad, VB_DBUS_INVALID_ARGS);

    /* A dry run says what would go, and removes nothing. */
    g_autoptr(GVariant) dry = vb_call_ok(f, g->path, VB_IFACE_DOMAIN, "UndefineWithStorage",
                                         g_variant_new("(su)", "zero", 0x80000000u), "(as)");
    g_auto(GStrv) listed = NULL;
    g_variant_get(dry, "(^as)", &listed);
    g_assert_cmpuint(g_strv_length(listed), ==, 2);
    g_assert_true(g_strv_contains((const gchar *const *)listed, data_path));
    g_assert_true(g_strv_contains((const gchar *const *)listed, shared_path));
    g_auto(GStrv) v1 = pool_volumes(pool);
    g_autofree gchar *j1 = joined(v1);
    g_assert_cmpstr(j1, ==, "data.qcow2,kept.qcow2,shared.qcow2");
    vs_assert_state(f, g, VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_DESTROYED);

    /* The real thing, with a wipe: a hard link made now keeps the blocks
     * of the volume for the test to look at after libvirt has deleted it. */
    g_autoptr(GVariant) vo = vb_call_ok(f, VQ_PATH, VB_IFACE_CONNECT, "StorageVolLookupByPath",
                                        g_variant_new("(s)", data_path), "(o)");
    const char *data_object;
    g_variant_get(vo, "(&o)", &data_object);
    g_autofree gchar *keep = g_build_filename(f->tmpdir, "data.link", NULL);
    g_assert_cmpint(link(data_path, keep), ==, 0);
    g_assert_true(has_byte(keep, 0x5a));
    g_autoptr(GVariant) r = vb_call_ok(f, g->path, VB_IFACE_DOMAIN, "UndefineWithStorage",
                                       g_variant_new("(su)", "zero", 0), "(as)");
    g_autoptr(GVariant) props = NULL;
    g_autofree gchar *job = vj_wait_job_added(f, g->path, &props, VQ_WAIT_MS);
    const char *op;
    g_assert_true(g_variant_lookup(props, "Operation", "&s", &op));
    g_assert_cmpstr(op, ==, "undefine-with-storage");
    g_assert_true(completed(f, job, NULL));
    g_auto(GStrv) removed = NULL;
    g_variant_get(r, "(^as)", &removed);
    g_assert_cmpuint(g_strv_length(removed), ==, 2);

    vs_assert_gone(f, g);
    /* Its volume's object goes from the bus too. */
    if (!vb_wait_signal(f, VJ_ROOT_PATH, VJ_IFACE_OBJECT_MANAGER, "InterfacesRemoved", data_object, NULL, VQ_WAIT_MS))
        vs_fail(f, "the volume's object did not go");
    g_assert_false(g_file_test(data_path, G_FILE_TEST_EXISTS));
    g_assert_false(g_file_test(shared_path, G_FILE_TEST_EXISTS));
    g_assert_true(all_zero(keep));
    g_auto(GStrv) v2 = pool_volumes(pool);
    g_autofree gchar *j2 = joined(v2);
    g_assert_cmpstr(j2, ==, "kept.qcow2");
    g_autofree gchar *kept_after = file_checksum(kept_path);
    g_assert_cmpstr(kept_after, ==, kept_sum);

    virStorageVolFree(data_vol);
    virStorageVolFree(shared_vol);
    virStorageVolDelete(kept_vol, 0);
    virStorageVolFree(kept_vol);
    virStoragePoolDestroy(pool);
    virStoragePoolFree(pool);
}

int
main(int argc, char **argv)
{
    vq_init(&argc, &argv, "jobs");
    vq_add("/qemu-jobs/progress-and-cancel", test_progress_and_cancel);
    vq_add("/qemu-jobs/external", test_external);
    vq_add("/qemu-jobs/restart", test_restart);
    vq_add("/qemu-jobs/block-job", test_block_job);
    vq_add("/qemu-jobs/undefine-with-storage", test_undefine_with_storage);
    return vq_run();
}
