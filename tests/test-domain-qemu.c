/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.libvirt.Domain members that need a real hypervisor, on QEMU guests of
 * a private libvirtd (qemu-util.h): block jobs on qcow2 chains (commit,
 * pull, copy, rebase, resize, peek) with their BlockJob signals, graphics
 * sockets handed over as file descriptors, memory peeks, core dumps,
 * IOThreads and emulator pinning, the scheduler, security labels, disk
 * errors, migration settings and migrations that cannot happen on one
 * host, and the calls QEMU refuses. Each effect is checked with libvirt's
 * own view: virsh, a libvirt connection of the test's own, qemu-img, or
 * the files written. Guests are diskless or have a 16 MiB qcow2 disk and
 * sit in their firmware. */
#include "qemu-util.h"

#include <errno.h>
#include <gio/gunixfdlist.h>
#include <string.h>
#include <unistd.h>

#define VB_ERR_SYSTEM_ERROR VB_ERROR_PREFIX "SystemError"

static GVariant *
dom_call(VbFixture *f, const VqGuest *g, const char *method, GVariant *args, const char *reply_type)
{
    return vb_call_ok(f, g->path, VB_IFACE_DOMAIN, method, args, reply_type);
}

static GError *
dom_err(VbFixture *f, const VqGuest *g, const char *method, GVariant *args)
{
    return vb_call_err(f, g->path, VB_IFACE_DOMAIN, method, args);
}

#define DOM_OK(f, g, method, args) \
    G_STMT_START { \
        g_autoptr(GVariant) r_ = dom_call((f), (g), (method), (args), "()"); \
    } G_STMT_END

static void
assert_text(const GError *e, const char *needle)
{
    g_autofree gchar *text = vb_error_text(e);
    if (!strstr(text, needle))
        g_error("error \"%s\" does not say \"%s\"", text, needle);
}

/* Starts a transient guest through virtbusd (DomainCreateXML): libvirt
 * copies disks only for transient domains. */
static void
create_transient(VbFixture *f, VqGuest *g, const char *xml)
{
    g_autoptr(GVariant) r = vb_call_ok(f, VQ_PATH, VB_IFACE_CONNECT, "DomainCreateXML", g_variant_new("(su)", xml, 0),
                                       "(o)");
    const char *path;

    g_variant_get(r, "(&o)", &path);
    g_assert_cmpstr(path, ==, g->path);
    vq_wait_domain_event(f, g, VIR_DOMAIN_EVENT_STARTED);
}

/* ---- disks ----------------------------------------------------------------------------- */

static gchar *
qemu_img(const char *first, ...)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    va_list ap;

    g_ptr_array_add(argv, (gpointer) "qemu-img");
    va_start(ap, first);
    for (const char *a = first; a; a = va_arg(ap, const char *))
        g_ptr_array_add(argv, (gpointer)a);
    va_end(ap);
    g_ptr_array_add(argv, NULL);
    return vq_run_argv((const char *const *)argv->pdata);
}

/* A 16 MiB qcow2 image, on @backing if not NULL. */
static gchar *
make_image(const char *dir, const char *name, const char *backing)
{
    gchar *path = g_build_filename(dir, name, NULL);

    if (backing)
        g_free(qemu_img("create", "-q", "-f", "qcow2", "-b", backing, "-F", "qcow2", path, NULL));
    else
        g_free(qemu_img("create", "-q", "-f", "qcow2", path, "16M", NULL));
    return path;
}

static gchar *
disk_xml(const char *image)
{
    return g_strdup_printf("<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
                           "<source file='%s'/><target dev='vda' bus='virtio'/></disk>", image);
}

/* The images of @image's backing chain, as qemu-img reads them from the
 * files ("-U": the guest holds them open), joined with " < ". */
static gchar *
backing_chain(const char *image)
{
    g_autofree gchar *out = qemu_img("info", "-U", "--backing-chain", image, NULL);
    g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
    GString *chain = g_string_new(NULL);

    for (gchar **l = lines; *l; l++)
        if (g_str_has_prefix(*l, "image: "))
            g_string_append_printf(chain, "%s%s", chain->len ? " < " : "", *l + strlen("image: "));
    return g_string_free(chain, FALSE);
}

/* The source of the guest's disk vda, as libvirt has it. */
static gchar *
disk_source(const VqGuest *g)
{
    g_autofree gchar *out = vq_virsh("domblklist", g->name, NULL);
    g_auto(GStrv) lines = g_strsplit(out, "\n", -1);

    for (gchar **l = lines; *l; l++) {
        g_auto(GStrv) cols = g_strsplit_set(g_strstrip(*l), " \t", -1);
        gchar **c = cols;
        while (*c && !**c)
            c++;
        if (*c && g_str_equal(*c, "vda")) {
            for (c++; *c && !**c; c++)
                ;
            return g_strdup(*c);
        }
    }
    g_error("no disk vda in virsh domblklist:\n%s", out);
}

/* Waits for BlockJob(vda, @type, @status); other statuses of the same job
 * may come first, a failure may not. */
static void
wait_block_job(VbFixture *f, const VqGuest *g, gint type, gint status)
{
    for (;;) {
        g_autoptr(GVariant) p = vq_wait_domain_signal(f, g, "BlockJob", "vda");
        gint t, s;
        g_variant_get(p, "(&sii)", NULL, &t, &s);
        if (s == VIR_DOMAIN_BLOCK_JOB_FAILED)
            g_error("block job %d on %s failed", t, g->name);
        if (t == type && s == status)
            return;
    }
}

typedef struct {
    gint type;
    guint64 bandwidth, cur, end;
} JobInfo;

static JobInfo
job_info(VbFixture *f, const VqGuest *g)
{
    g_autoptr(GVariant) r = dom_call(f, g, "GetBlockJobInfo", g_variant_new("(su)", "vda", 0), "((ittt))");
    JobInfo i;
    g_variant_get(r, "((ittt))", &i.type, &i.bandwidth, &i.cur, &i.end);
    return i;
}

/* ---- block jobs --------------------------------------------------------------------------- */

static void
test_block_commit_active(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *dir = vq_case_dir();
    g_autofree gchar *base = make_image(dir, "base.qcow2", NULL);
    g_autofree gchar *top = make_image(dir, "top.qcow2", base);
    g_autoptr(VqGuest) g = vq_guest_new("vq-commit");
    g_autofree gchar *disk = disk_xml(top);
    g_autofree gchar *xml = vq_guest_xml(g, disk, NULL);

    vq_guest_start(f, g, xml);
    g_assert_cmpint(job_info(f, g).type, ==, 0);

    /* "" for base and top: the whole chain into its base image. The job
     * waits, READY, for the switch to base. */
    DOM_OK(f, g, "BlockCommit", g_variant_new("(ssstu)", "vda", "", "", (guint64)0,
                                              VIR_DOMAIN_BLOCK_COMMIT_ACTIVE));
    wait_block_job(f, g, VIR_DOMAIN_BLOCK_JOB_TYPE_ACTIVE_COMMIT, VIR_DOMAIN_BLOCK_JOB_READY);
    JobInfo ready = job_info(f, g);
    g_assert_cmpint(ready.type, ==, VIR_DOMAIN_BLOCK_JOB_TYPE_ACTIVE_COMMIT);
    g_assert_cmpuint(ready.cur, ==, ready.end);

    DOM_OK(f, g, "BlockJobSetSpeed", g_variant_new("(stu)", "vda", (guint64)5, 0));
    g_assert_cmpuint(job_info(f, g).bandwidth, ==, 5);

    DOM_OK(f, g, "BlockJobAbort", g_variant_new("(su)", "vda", VIR_DOMAIN_BLOCK_JOB_ABORT_PIVOT));
    wait_block_job(f, g, VIR_DOMAIN_BLOCK_JOB_TYPE_ACTIVE_COMMIT, VIR_DOMAIN_BLOCK_JOB_COMPLETED);
    g_autofree gchar *source = disk_source(g);
    g_assert_cmpstr(source, ==, base);
    g_assert_cmpint(job_info(f, g).type, ==, 0);

    /* No job to abort any more. */
    g_autoptr(GError) e = dom_err(f, g, "BlockJobAbort", g_variant_new("(su)", "vda", 0));
    vb_assert_error(e, VB_ERR_INVALID_ARG);
    assert_text(e, "does not have an active block job");
    /* Copies are for transient domains only: libvirt's own refusal. */
    g_autofree gchar *copy = g_build_filename(dir, "copy.qcow2", NULL);
    g_autoptr(GError) e2 = dom_err(f, g, "BlockRebase",
                                   g_variant_new("(sstu)", "vda", copy, (guint64)0, VIR_DOMAIN_BLOCK_REBASE_COPY));
    vb_assert_error(e2, VB_ERR_OPERATION_INVALID);
    assert_text(e2, "domain is not transient");
    g_assert_false(g_file_test(copy, G_FILE_TEST_EXISTS));
    vq_guest_remove(g);
}

static void
test_block_commit_pull(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *dir = vq_case_dir();
    g_autofree gchar *base = make_image(dir, "base.qcow2", NULL);
    g_autofree gchar *mid = make_image(dir, "mid.qcow2", base);
    g_autofree gchar *top = make_image(dir, "top.qcow2", mid);
    g_autoptr(VqGuest) g = vq_guest_new("vq-pull");
    g_autofree gchar *disk = disk_xml(top);
    g_autofree gchar *xml = vq_guest_xml(g, disk, NULL);
    g_autofree gchar *whole = g_strdup_printf("%s < %s < %s", top, mid, base);
    g_autofree gchar *two = g_strdup_printf("%s < %s", top, base);

    vq_guest_start(f, g, xml);
    g_autofree gchar *before = backing_chain(top);
    g_assert_cmpstr(before, ==, whole);

    /* mid into base: the chain loses mid. */
    DOM_OK(f, g, "BlockCommit", g_variant_new("(ssstu)", "vda", "", mid, (guint64)0, 0));
    wait_block_job(f, g, VIR_DOMAIN_BLOCK_JOB_TYPE_COMMIT, VIR_DOMAIN_BLOCK_JOB_COMPLETED);
    g_autofree gchar *committed = backing_chain(top);
    g_assert_cmpstr(committed, ==, two);

    /* base into top: top stands alone. */
    DOM_OK(f, g, "BlockPull", g_variant_new("(stu)", "vda", (guint64)0, 0));
    wait_block_job(f, g, VIR_DOMAIN_BLOCK_JOB_TYPE_PULL, VIR_DOMAIN_BLOCK_JOB_COMPLETED);
    g_autofree gchar *pulled = backing_chain(top);
    g_assert_cmpstr(pulled, ==, top);
    g_autofree gchar *source = disk_source(g);
    g_assert_cmpstr(source, ==, top);

    /* A rebase without the copy flag names an image of the chain, which
     * there no longer is. */
    g_autoptr(GError) e = dom_err(f, g, "BlockRebase", g_variant_new("(sstu)", "vda", base, (guint64)0, 0));
    vb_assert_error(e, VB_ERR_INVALID_ARG);
    g_autoptr(GError) e2 = dom_err(f, g, "BlockPull", g_variant_new("(stu)", "vdz", (guint64)0, 0));
    vb_assert_error(e2, VB_ERR_INVALID_ARG);
    vq_guest_remove(g);
}

static void
test_block_copy(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *dir = vq_case_dir();
    g_autofree gchar *base = make_image(dir, "base.qcow2", NULL);
    g_autofree gchar *top = make_image(dir, "top.qcow2", base);
    g_autofree gchar *copy1 = g_build_filename(dir, "copy1.qcow2", NULL);
    g_autofree gchar *copy2 = g_build_filename(dir, "copy2.qcow2", NULL);
    g_autoptr(VqGuest) g = vq_guest_new("vq-copy");
    g_autofree gchar *disk = disk_xml(top);
    g_autofree gchar *xml = vq_guest_xml(g, disk, NULL);

    create_transient(f, g, xml);

    /* A rebase that copies: the whole chain into a new file, which the
     * disk then uses. */
    DOM_OK(f, g, "BlockRebase", g_variant_new("(sstu)", "vda", copy1, (guint64)0, VIR_DOMAIN_BLOCK_REBASE_COPY));
    wait_block_job(f, g, VIR_DOMAIN_BLOCK_JOB_TYPE_COPY, VIR_DOMAIN_BLOCK_JOB_READY);
    g_assert_cmpint(job_info(f, g).type, ==, VIR_DOMAIN_BLOCK_JOB_TYPE_COPY);
    DOM_OK(f, g, "BlockJobAbort", g_variant_new("(su)", "vda", VIR_DOMAIN_BLOCK_JOB_ABORT_PIVOT));
    wait_block_job(f, g, VIR_DOMAIN_BLOCK_JOB_TYPE_COPY, VIR_DOMAIN_BLOCK_JOB_COMPLETED);
    g_autofree gchar *source = disk_source(g);
    g_assert_cmpstr(source, ==, copy1);
    g_autofree gchar *chain = backing_chain(copy1);
    g_assert_cmpstr(chain, ==, copy1);

    /* A block copy to the target destxml names, with a bandwidth limit,
     * cancelled once it is ready: the disk stays where it was, the copy
     * stays behind. */
    g_autofree gchar *dest = g_strdup_printf("<disk type='file'><driver type='qcow2'/><source file='%s'/></disk>", copy2);
    GVariantBuilder b;
    g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
    g_variant_builder_add(&b, "{sv}", VIR_DOMAIN_BLOCK_COPY_BANDWIDTH, g_variant_new_uint64(64 << 20));
    DOM_OK(f, g, "BlockCopy", g_variant_new("(ssa{sv}u)", "vda", dest, &b, 0));
    wait_block_job(f, g, VIR_DOMAIN_BLOCK_JOB_TYPE_COPY, VIR_DOMAIN_BLOCK_JOB_READY);
    DOM_OK(f, g, "BlockJobAbort", g_variant_new("(su)", "vda", 0));
    wait_block_job(f, g, VIR_DOMAIN_BLOCK_JOB_TYPE_COPY, VIR_DOMAIN_BLOCK_JOB_CANCELED);
    g_autofree gchar *still = disk_source(g);
    g_assert_cmpstr(still, ==, copy1);
    g_autofree gchar *info = qemu_img("info", "-U", copy2, NULL);
    g_assert_nonnull(strstr(info, "file format: qcow2"));

    /* libvirt refuses a second copy onto an existing file without the
     * reuse flag. */
    g_autoptr(GError) e = dom_err(f, g, "BlockCopy", g_variant_new("(ss@a{sv}u)", "vda", dest,
                                                                 g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0),
                                                                 0));
    vb_assert_libvirt_error(e);
    g_autofree gchar *unchanged = disk_source(g);
    g_assert_cmpstr(unchanged, ==, copy1);
    vq_guest_remove(g);
}

static void
test_block_resize_peek(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *dir = vq_case_dir();
    g_autofree gchar *image = g_build_filename(dir, "disk.raw", NULL);
    g_autoptr(VqGuest) g = vq_guest_new("vq-resize");
    g_autofree gchar *disk = NULL;
    g_autofree gchar *xml = NULL;
    g_autofree gchar *content = g_malloc0(16 << 20);
    gsize n;
    g_autoptr(GError) error = NULL;

    /* libvirt peeks only at raw images: 16 MiB with something to find at
     * 1 MiB. */
    memcpy(content + (1 << 20), "virtbus peeks here", 18);
    g_assert_true(g_file_set_contents(image, content, 16 << 20, &error));
    disk = g_strdup_printf("<disk type='file' device='disk'><driver name='qemu' type='raw'/>"
                           "<source file='%s'/><target dev='vda' bus='virtio'/></disk>", image);
    xml = vq_guest_xml(g, disk, NULL);
    vq_guest_start(f, g, xml);

    g_autoptr(GVariant) r = dom_call(f, g, "BlockPeek",
                                     g_variant_new("(sttu)", "vda", (guint64)(1 << 20) - 4, (guint64)24, 0), "(ay)");
    g_autoptr(GVariant) bytes = g_variant_get_child_value(r, 0);
    const guint8 *peeked = g_variant_get_fixed_array(bytes, &n, 1);
    g_assert_cmpuint(n, ==, 24);
    g_assert_cmpmem(peeked, n, content + (1 << 20) - 4, 24);
    /* By the image's host path too. */
    g_autoptr(GVariant) r2 = dom_call(f, g, "BlockPeek",
                                      g_variant_new("(sttu)", image, (guint64)1 << 20, (guint64)18, 0), "(ay)");
    g_autoptr(GVariant) bytes2 = g_variant_get_child_value(r2, 0);
    const guint8 *peeked2 = g_variant_get_fixed_array(bytes2, &n, 1);
    g_assert_cmpmem(peeked2, n, "virtbus peeks here", 18);

    DOM_OK(f, g, "BlockResize", g_variant_new("(stu)", "vda", (guint64)32 << 20, VIR_DOMAIN_BLOCK_RESIZE_BYTES));
    g_autofree gchar *info = qemu_img("info", "-U", image, NULL);
    g_assert_nonnull(strstr(info, "(33554432 bytes)"));

    g_autoptr(GError) e = dom_err(f, g, "BlockPeek", g_variant_new("(sttu)", "vdz", (guint64)0, (guint64)512, 0));
    vb_assert_error(e, VB_ERR_INVALID_ARG);
    g_autoptr(GError) e2 = dom_err(f, g, "BlockResize", g_variant_new("(stu)", "vdz", (guint64)64 << 20,
                                                                      VIR_DOMAIN_BLOCK_RESIZE_BYTES));
    vb_assert_error(e2, VB_ERR_INVALID_ARG);
    g_autofree gchar *info2 = qemu_img("info", "-U", image, NULL);
    g_assert_nonnull(strstr(info2, "(33554432 bytes)"));
    vq_guest_remove(g);
}

/* ---- graphics, memory, dumps ------------------------------------------------------------------ */

static void
test_open_graphics_fd(VbFixture *f, gconstpointer data)
{
    g_autoptr(VqGuest) g = vq_guest_new("vq-vnc");
    /* A VNC server that listens nowhere: OpenGraphicsFD is the only way in. */
    g_autofree gchar *xml = vq_guest_xml(g, "<graphics type='vnc'><listen type='none'/></graphics>", NULL);
    g_autoptr(GUnixFDList) fds = NULL;
    g_autoptr(GError) error = NULL;
    gint32 handle = -1;
    char greeting[12];
    gssize got = 0;

    vq_guest_start(f, g, xml);
    g_autoptr(GVariant) r = g_dbus_connection_call_with_unix_fd_list_sync(
        f->bus, VB_BUS_NAME, g->path, VB_IFACE_DOMAIN, "OpenGraphicsFD", g_variant_new("(uu)", 0, 0),
        G_VARIANT_TYPE("(h)"), G_DBUS_CALL_FLAGS_NONE, VB_CALL_TIMEOUT_MS, NULL, &fds, NULL, &error);
    g_assert_no_error(error);
    g_variant_get(r, "(h)", &handle);
    g_assert_nonnull(fds);
    g_assert_cmpint(g_unix_fd_list_get_length(fds), ==, 1);
    g_assert_cmpint(handle, ==, 0);
    int fd = g_unix_fd_list_get(fds, handle, &error);
    g_assert_no_error(error);
    g_assert_cmpint(fd, >=, 0);
    /* The guest's VNC server speaks first: its protocol version. */
    while (got < (gssize)sizeof(greeting)) {
        gssize n = read(fd, greeting + got, sizeof(greeting) - (gsize)got);
        if (n < 0 && errno == EINTR)
            continue;
        g_assert_cmpint(n, >, 0);
        got += n;
    }
    close(fd);
    g_assert_cmpmem(greeting, 4, "RFB ", 4);
    g_assert_cmpint(greeting[11], ==, '\n');

    /* There is no second graphics device. */
    g_autoptr(GError) e = dom_err(f, g, "OpenGraphicsFD", g_variant_new("(uu)", 1, 0));
    vb_assert_libvirt_error(e);
    vq_guest_remove(g);
}

static void
test_memory_peek(VbFixture *f, gconstpointer data)
{
    g_autoptr(VqGuest) g = vq_guest_new("vq-peek");
    g_autofree gchar *xml = vq_guest_xml(g, NULL, NULL);
    guint8 own[64];
    gsize n;

    vq_guest_start(f, g, xml);
    /* The firmware's ROM at the top of the first 4 GiB never changes (the
     * copy below 1 MiB does while the firmware starts): libvirt, asked
     * directly, reads the same, ending in the x86 reset vector, a far jump
     * (0xea) 16 bytes below 4 GiB. */
    g_autoptr(GVariant) r = dom_call(f, g, "MemoryPeek",
                                     g_variant_new("(ttu)", (guint64)0xffffffc0, (guint64)sizeof(own),
                                                   VIR_MEMORY_PHYSICAL),
                                     "(ay)");
    g_autoptr(GVariant) bytes = g_variant_get_child_value(r, 0);
    const guint8 *peeked = g_variant_get_fixed_array(bytes, &n, 1);
    virConnectPtr conn = vq_connect();
    virDomainPtr dom = virDomainLookupByUUIDString(conn, g->uuid);
    g_assert_nonnull(dom);
    g_assert_cmpint(virDomainMemoryPeek(dom, 0xffffffc0, sizeof(own), own, VIR_MEMORY_PHYSICAL), ==, 0);
    virDomainFree(dom);
    virConnectClose(conn);
    g_assert_cmpmem(peeked, n, own, sizeof(own));
    g_assert_cmpuint(peeked[0x30], ==, 0xea);

    g_autoptr(GError) e = dom_err(f, g, "MemoryPeek", g_variant_new("(ttu)", (guint64)0, (guint64)16, 0));
    vb_assert_error(e, VB_ERR_INVALID_ARG);
    vq_guest_remove(g);
}

static void
test_core_dump(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *dir = vq_case_dir();
    g_autofree gchar *elf = g_build_filename(dir, "guest.core", NULL);
    g_autofree gchar *kdump = g_build_filename(dir, "guest.kdump", NULL);
    g_autoptr(VqGuest) g = vq_guest_new("vq-dump");
    g_autofree gchar *xml = vq_guest_xml(g, NULL, NULL);
    g_autofree gchar *content = NULL;
    gsize len;
    g_autoptr(GError) error = NULL;

    vq_guest_start(f, g, xml);
    /* Into the directory virtbusd lets callers name (--host-path-dir). */
    DOM_OK(f, g, "CoreDump", g_variant_new("(suu)", elf, VIR_DOMAIN_CORE_DUMP_FORMAT_RAW, VIR_DUMP_MEMORY_ONLY));
    g_assert_true(g_file_get_contents(elf, &content, &len, &error));
    /* An ELF core file (e_type 4, ET_CORE) holding the guest's 64 MiB. */
    g_assert_cmpuint(len, >, 64u << 20);
    g_assert_cmpmem(content, 4, "\177ELF", 4);
    g_assert_cmpint(content[16], ==, 4);
    g_clear_pointer(&content, g_free);

    /* QEMU writes kdump-compressed dumps to libvirt's pipe in
     * makedumpfile's flattened form. */
    DOM_OK(f, g, "CoreDump",
           g_variant_new("(suu)", kdump, VIR_DOMAIN_CORE_DUMP_FORMAT_KDUMP_ZLIB, VIR_DUMP_MEMORY_ONLY));
    g_assert_true(g_file_get_contents(kdump, &content, &len, &error));
    g_assert_cmpuint(len, >, 16);
    g_assert_cmpmem(content, 12, "makedumpfile", 12);

    /* The guest ran on throughout. */
    g_autofree gchar *state = vq_virsh("domstate", g->name, NULL);
    g_assert_true(g_str_has_prefix(state, "running"));
    vq_guest_remove(g);
}

/* ---- pinning and IOThreads -------------------------------------------------------------------- */

static gchar *
bits_string(GVariant *ab)
{
    GString *s = g_string_new(NULL);
    for (gsize i = 0; i < g_variant_n_children(ab); i++) {
        g_autoptr(GVariant) b = g_variant_get_child_value(ab, i);
        g_string_append_c(s, g_variant_get_boolean(b) ? '1' : '0');
    }
    return g_string_free(s, FALSE);
}

static GVariant *
only_cpu(guint n, guint cpu)
{
    GVariantBuilder b;
    g_variant_builder_init(&b, G_VARIANT_TYPE("ab"));
    for (guint i = 0; i < n; i++)
        g_variant_builder_add(&b, "b", i == cpu);
    return g_variant_builder_end(&b);
}

/* The CPU list virsh prints for IOThread @id ("" when it has none). */
static gchar *
virsh_iothread(const VqGuest *g, guint id)
{
    g_autofree gchar *out = vq_virsh("iothreadinfo", g->name, NULL);
    g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
    g_autofree gchar *want = g_strdup_printf("%u", id);

    for (gchar **l = lines; *l; l++) {
        g_auto(GStrv) cols = g_strsplit_set(g_strstrip(*l), " \t", -1);
        if (cols[0] && g_str_equal(cols[0], want))
            return g_strdup(cols[g_strv_length(cols) - 1]);
    }
    return g_strdup("");
}

static void
test_pinning(VbFixture *f, gconstpointer data)
{
    g_autoptr(VqGuest) g = vq_guest_new("vq-pin");
    g_autofree gchar *xml = vq_guest_xml(g, NULL, "<iothreads>1</iothreads>");

    vq_guest_start(f, g, xml);
    g_autoptr(GVariant) r = dom_call(f, g, "GetEmulatorPinInfo", g_variant_new("(u)", 0), "(ab)");
    g_autoptr(GVariant) before = g_variant_get_child_value(r, 0);
    guint ncpus = (guint)g_variant_n_children(before);
    guint last = ncpus - 1;
    g_autofree gchar *last_str = g_strdup_printf("%u", last);
    g_assert_cmpuint(ncpus, >=, 1);

    /* The emulator threads onto CPU 0. */
    DOM_OK(f, g, "PinEmulator", g_variant_new("(@abu)", only_cpu(ncpus, 0), VIR_DOMAIN_AFFECT_LIVE));
    g_autofree gchar *emulator = vq_virsh("emulatorpin", g->name, NULL);
    g_assert_cmpstr(g_strstrip(emulator), ==, "0");
    g_autoptr(GVariant) r2 = dom_call(f, g, "GetEmulatorPinInfo", g_variant_new("(u)", 0), "(ab)");
    g_autoptr(GVariant) after = g_variant_get_child_value(r2, 0);
    g_autofree gchar *bits = bits_string(after);
    g_autofree gchar *want = g_strnfill(ncpus, '0');
    want[0] = '1';
    g_assert_cmpstr(bits, ==, want);

    /* An IOThread added, pinned to the last CPU, listed, removed. */
    DOM_OK(f, g, "AddIOThread", g_variant_new("(uu)", 5, VIR_DOMAIN_AFFECT_LIVE));
    DOM_OK(f, g, "PinIOThread", g_variant_new("(u@abu)", 5, only_cpu(ncpus, last), VIR_DOMAIN_AFFECT_LIVE));
    g_autofree gchar *pinned = virsh_iothread(g, 5);
    g_assert_cmpstr(pinned, ==, last_str);
    g_autoptr(GVariant) r3 = dom_call(f, g, "GetIOThreadInfo", g_variant_new("(u)", 0), "(a(uab))");
    g_autoptr(GVariant) list = g_variant_get_child_value(r3, 0);
    gboolean seen = FALSE;
    for (gsize i = 0; i < g_variant_n_children(list); i++) {
        guint32 id;
        g_autoptr(GVariant) map = NULL;
        g_variant_get_child(list, i, "(u@ab)", &id, &map);
        if (id != 5)
            continue;
        seen = TRUE;
        g_autoptr(GVariant) on_last = g_variant_get_child_value(map, last);
        g_assert_true(g_variant_get_boolean(on_last));
        if (last > 0) {
            g_autoptr(GVariant) on_first = g_variant_get_child_value(map, 0);
            g_assert_false(g_variant_get_boolean(on_first));
        }
    }
    g_assert_true(seen);
    DOM_OK(f, g, "DelIOThread", g_variant_new("(uu)", 5, VIR_DOMAIN_AFFECT_LIVE));
    g_autofree gchar *gone = virsh_iothread(g, 5);
    g_assert_cmpstr(gone, ==, "");
    g_autofree gchar *kept = virsh_iothread(g, 1);
    g_assert_cmpstr(kept, !=, "");

    /* An IOThread a disk could use is not deleted twice. */
    g_autoptr(GError) e = dom_err(f, g, "DelIOThread", g_variant_new("(uu)", 5, VIR_DOMAIN_AFFECT_LIVE));
    vb_assert_error(e, VB_ERR_INVALID_ARG);
    vq_guest_remove(g);
}

/* ---- the scheduler, labels, errors, what QEMU refuses ------------------------------------------ */

static void
test_scheduler(VbFixture *f, gconstpointer data)
{
    g_autoptr(VqGuest) g = vq_guest_new("vq-sched");
    g_autofree gchar *xml = vq_guest_xml(g, NULL, NULL);
    GVariantBuilder b;

    vq_guest_start(f, g, xml);
    g_autoptr(GVariant) r = dom_call(f, g, "GetSchedulerParameters", g_variant_new("(u)", 0), "(a{sv})");
    g_autoptr(GVariant) params = g_variant_get_child_value(r, 0);
    g_autoptr(GVariant) outer = g_variant_lookup_value(params, "cpu_shares", G_VARIANT_TYPE_VARIANT);
    g_assert_nonnull(outer);

    g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
    g_variant_builder_add(&b, "{sv}", VIR_DOMAIN_SCHEDULER_CPU_SHARES, g_variant_new_uint64(512));
    DOM_OK(f, g, "SetSchedulerParameters", g_variant_new("(a{sv}u)", &b, VIR_DOMAIN_AFFECT_LIVE));
    g_autofree gchar *schedinfo = vq_virsh("schedinfo", g->name, NULL);
    if (!strstr(schedinfo, "cpu_shares     : 512\n"))
        g_error("virsh schedinfo after cpu_shares 512:\n%s", schedinfo);
    g_autoptr(GVariant) r2 = dom_call(f, g, "GetSchedulerParameters", g_variant_new("(u)", VIR_DOMAIN_AFFECT_LIVE),
                                      "(a{sv})");
    g_autoptr(GVariant) params2 = g_variant_get_child_value(r2, 0);
    g_autoptr(GVariant) shares = g_variant_lookup_value(params2, "cpu_shares", G_VARIANT_TYPE_VARIANT);
    g_autoptr(GVariant) value = g_variant_get_variant(shares);
    g_assert_cmpuint(g_variant_get_uint64(value), ==, 512);
    vq_guest_remove(g);
}

static void
test_info_and_refusals(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *dir = vq_case_dir();
    g_autofree gchar *image = make_image(dir, "disk.qcow2", NULL);
    g_autoptr(VqGuest) g = vq_guest_new("vq-info");
    g_autofree gchar *disk = disk_xml(image);
    g_autofree gchar *xml = vq_guest_xml(g, disk, NULL);
    virSecurityLabelPtr labels = NULL;

    vq_guest_start(f, g, xml);

    /* The labels libvirt gives its own callers. */
    g_autoptr(GVariant) r = dom_call(f, g, "GetSecurityLabelList", NULL, "(a(sb))");
    g_autoptr(GVariant) list = g_variant_get_child_value(r, 0);
    virConnectPtr conn = vq_connect();
    virDomainPtr dom = virDomainLookupByUUIDString(conn, g->uuid);
    g_assert_nonnull(dom);
    int n = virDomainGetSecurityLabelList(dom, &labels);
    g_assert_cmpint(n, >=, 0);
    g_assert_cmpuint(g_variant_n_children(list), ==, (guint)n);
    for (int i = 0; i < n; i++) {
        const char *label;
        gboolean enforcing;
        g_variant_get_child(list, (gsize)i, "(&sb)", &label, &enforcing);
        g_assert_cmpstr(label, ==, labels[i].label);
        g_assert_cmpint(enforcing, ==, labels[i].enforcing != 0);
    }
    free(labels);
    virDomainFree(dom);
    virConnectClose(conn);

    /* A healthy disk has no errors, as virsh says too. */
    g_autoptr(GVariant) errs = dom_call(f, g, "GetDiskErrors", g_variant_new("(u)", 0), "(a(si))");
    g_autoptr(GVariant) errlist = g_variant_get_child_value(errs, 0);
    g_assert_cmpuint(g_variant_n_children(errlist), ==, 0);
    g_autofree gchar *blkerror = vq_virsh("domblkerror", g->name, NULL);
    g_assert_nonnull(strstr(blkerror, "No errors found"));

    /* QEMU cannot signal a guest's processes. */
    g_autoptr(GError) e = dom_err(f, g, "SendProcessSignal",
                                  g_variant_new("(xuu)", (gint64)1, VIR_DOMAIN_PROCESS_SIGNAL_TERM, 0));
    vb_assert_error(e, VB_ERR_NO_SUPPORT);
    assert_text(e, "virDomainSendProcessSignal");
    /* A guest in its firmware has not gone to sleep: QEMU refuses to wake
     * it (a real wake-up is in test-domain-agent). */
    g_autoptr(GError) e2 = dom_err(f, g, "PMWakeup", g_variant_new("(u)", 0));
    vb_assert_error(e2, VB_ERR_INTERNAL);
    assert_text(e2, "wake-up from suspend is not supported by this guest");
    g_autofree gchar *state = vq_virsh("domstate", g->name, NULL);
    g_assert_true(g_str_has_prefix(state, "running"));
    vq_guest_remove(g);
}

/* ---- migration --------------------------------------------------------------------------------- */

static guint64
call_u64(VbFixture *f, const VqGuest *g, const char *method)
{
    g_autoptr(GVariant) r = dom_call(f, g, method, g_variant_new("(u)", 0), "(t)");
    guint64 v;
    g_variant_get(r, "(t)", &v);
    return v;
}

static void
test_migration_settings(VbFixture *f, gconstpointer data)
{
    g_autoptr(VqGuest) g = vq_guest_new("vq-mig");
    g_autofree gchar *xml = vq_guest_xml(g, NULL, NULL);

    vq_guest_start(f, g, xml);

    g_autofree gchar *speed = vq_virsh("migrate-getspeed", g->name, NULL);
    g_assert_cmpuint(call_u64(f, g, "MigrateGetMaxSpeed"), ==, g_ascii_strtoull(speed, NULL, 10));
    DOM_OK(f, g, "MigrateSetMaxSpeed", g_variant_new("(tu)", (guint64)100, 0));
    g_autofree gchar *speed2 = vq_virsh("migrate-getspeed", g->name, NULL);
    g_assert_cmpuint(g_ascii_strtoull(speed2, NULL, 10), ==, 100);
    g_assert_cmpuint(call_u64(f, g, "MigrateGetMaxSpeed"), ==, 100);

    DOM_OK(f, g, "MigrateSetMaxDowntime", g_variant_new("(tu)", (guint64)400, 0));
    g_autofree gchar *downtime = vq_virsh("migrate-getmaxdowntime", g->name, NULL);
    g_assert_cmpuint(g_ascii_strtoull(downtime, NULL, 10), ==, 400);

    DOM_OK(f, g, "MigrateSetCompressionCache", g_variant_new("(tu)", (guint64)128 << 20, 0));
    g_assert_cmpuint(call_u64(f, g, "MigrateGetCompressionCache"), ==, (guint64)128 << 20);
    g_autofree gchar *cache = vq_virsh("migrate-compcache", g->name, NULL);
    g_assert_nonnull(strstr(cache, "128.000 MiB"));

    /* Post-copy needs a migration to switch. */
    g_autoptr(GError) e = dom_err(f, g, "MigrateStartPostCopy", g_variant_new("(u)", 0));
    vb_assert_error(e, VB_ERR_OPERATION_INVALID);
    assert_text(e, "post-copy can only be started while outgoing migration is in progress");
    vq_guest_remove(g);
}

static void
test_migrate_nowhere(VbFixture *f, gconstpointer data)
{
    g_autoptr(VqGuest) g = vq_guest_new("vq-nowhere");
    g_autofree gchar *xml = vq_guest_xml(g, NULL, NULL);
    GVariantBuilder b;

    vq_guest_start(f, g, xml);

    /* Peer to peer, libvirtd dials the destination itself: nobody there. */
    g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
    g_variant_builder_add(&b, "{sv}", VIR_MIGRATE_PARAM_BANDWIDTH, g_variant_new_uint64(10));
    g_autoptr(GError) e = dom_err(f, g, "MigrateToURI3",
                                  g_variant_new("(sa{sv}u)", "qemu+unix:///system?socket=/nonexistent", &b,
                                                VIR_MIGRATE_PEER2PEER | VIR_MIGRATE_LIVE));
    vb_assert_error(e, VB_ERR_SYSTEM_ERROR);
    assert_text(e, "Failed to connect socket to '/nonexistent'");

    /* Its own libvirtd is no destination either. */
    g_autoptr(GError) e2 = dom_err(f, g, "MigrateToURI3",
                                   g_variant_new("(s@a{sv}u)", vq_uri(),
                                                 g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0),
                                                 VIR_MIGRATE_PEER2PEER | VIR_MIGRATE_LIVE));
    vb_assert_error(e2, VB_ERR_INTERNAL);
    assert_text(e2, "Attempt to migrate guest to the same host");

    /* The guest stays, running, here. */
    g_autofree gchar *state = vq_virsh("domstate", g->name, NULL);
    g_assert_true(g_str_has_prefix(state, "running"));
    vq_guest_remove(g);
}

int
main(int argc, char **argv)
{
    vq_init(&argc, &argv, "domain-qemu");
    vq_add("/domain-qemu/block-commit-active", test_block_commit_active);
    vq_add("/domain-qemu/block-commit-pull", test_block_commit_pull);
    vq_add("/domain-qemu/block-copy", test_block_copy);
    vq_add("/domain-qemu/block-resize-peek", test_block_resize_peek);
    vq_add("/domain-qemu/open-graphics-fd", test_open_graphics_fd);
    vq_add("/domain-qemu/memory-peek", test_memory_peek);
    vq_add("/domain-qemu/core-dump", test_core_dump);
    vq_add("/domain-qemu/pinning", test_pinning);
    vq_add("/domain-qemu/scheduler", test_scheduler);
    vq_add("/domain-qemu/info-and-refusals", test_info_and_refusals);
    vq_add("/domain-qemu/migration-settings", test_migration_settings);
    vq_add("/domain-qemu/migrate-nowhere", test_migrate_nowhere);
    return vq_run();
}
