/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kinds of object that need a real libvirtd, through the bus: secrets
 * (values set and read), network filters, a directory pool with qcow2
 * volumes (created, copied, resized, wiped, deleted; checked with qemu-img
 * and virsh vol-info), and changes made behind virtbusd's back (virsh)
 * arriving as lifecycle signals, PropertiesChanged, InterfacesAdded and
 * InterfacesRemoved, and what changed while libvirtd was restarted
 * announced after the reconnection. One private libvirtd (libvirtd/start-libvirtd, KVM
 * hidden) serves the whole program as /org/libvirt/QEMU; libvirt's own view
 * comes from virsh on its socket. Needs root; skipped without libvirtd,
 * virsh or qemu-img. */
#include "kinds-util.h"

#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define QEMU_PATH "/org/libvirt/QEMU"

static struct {
    gchar *dir;    /* libvirtd state directory */
    gchar *uri;
    gchar *script; /* start-libvirtd */
    gchar *connect_arg;
    const char *args[3];
    VbDaemonOptions opts;
} lv;

/* ---- tools ----------------------------------------------------------------------- */


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

static gchar *
write_file(VbFixture *f, const char *name, const char *text)
{
    gchar *file = g_build_filename(f->tmpdir, name, NULL);
    g_autoptr(GError) error = NULL;

    g_file_set_contents(file, text, -1, &error);
    g_assert_no_error(error);
    return file;
}

/* "virtual size: 64 MiB (67108864 bytes)" and "file format: qcow2" from
 * qemu-img info. */
static void
assert_qcow2(const char *file, guint64 virtual_size)
{
    const char *argv[] = { "qemu-img", "info", "-U", file, NULL };
    g_autofree gchar *out = vb_command_output(argv, TRUE);
    g_autofree gchar *size = g_strdup_printf("(%" G_GUINT64_FORMAT " bytes)", virtual_size);

    if (!strstr(out, "file format: qcow2") || !strstr(out, size))
        g_error("qemu-img info %s: expected qcow2 of %s:\n%s", file, size, out);
}

/* The capacity virsh vol-info reports, in bytes. */
static guint64
virsh_vol_capacity(const char *vol_path)
{
    g_autofree gchar *out = virsh("vol-info", "--bytes", vol_path, NULL);
    g_auto(GStrv) lines = g_strsplit(out, "\n", -1);

    for (gchar **l = lines; *l; l++)
        if (g_str_has_prefix(*l, "Capacity:"))
            return g_ascii_strtoull(*l + strlen("Capacity:"), NULL, 10);
    g_error("virsh vol-info %s: no capacity in %s", vol_path, out);
}

static gchar *
uuid_path(const char *segment, const char *uuid)
{
    gchar *p = g_strdup_printf(QEMU_PATH "/%s/_%s", segment, uuid);
    g_strdelimit(p + strlen(QEMU_PATH) + strlen(segment) + 2, "-", '_');
    return p;
}

/* ---- secrets --------------------------------------------------------------------- */

static void
test_secrets(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *uuid = g_uuid_string_random();
    g_autofree gchar *xml = g_strdup_printf("<secret ephemeral='no' private='no'><uuid>%s</uuid>"
                                            "<usage type='volume'><volume>/var/tmp/vb-secret.img</volume>"
                                            "</usage></secret>",
                                            uuid);
    g_autofree gchar *path = kv_call_path(f, QEMU_PATH, VB_IFACE_CONNECT, "SecretDefineXML",
                                          g_variant_new("(su)", xml, 0));
    g_autofree gchar *expect = uuid_path("secret", uuid);
    g_assert_cmpstr(path, ==, expect);
    kv_wait_object(f, path, TRUE);
    kv_wait_lifecycle(f, QEMU_PATH, "SecretEvent", path, VIR_SECRET_EVENT_DEFINED);

    g_autofree gchar *got_uuid = kv_get_string(f, path, KV_IFACE_SECRET, "UUID");
    g_autofree gchar *usage_id = kv_get_string(f, path, KV_IFACE_SECRET, "UsageID");
    g_autoptr(GVariant) usage_type = vb_get_property(f, path, KV_IFACE_SECRET, "UsageType");
    g_assert_cmpstr(got_uuid, ==, uuid);
    g_assert_cmpstr(usage_id, ==, "/var/tmp/vb-secret.img");
    g_assert_cmpint(g_variant_get_int32(usage_type), ==, VIR_SECRET_USAGE_TYPE_VOLUME);
    g_autoptr(GVariant) managed = kv_managed(f, path, KV_IFACE_SECRET);
    g_assert_nonnull(managed);

    /* A value with a NUL inside, set through the bus and read by libvirt. */
    static const guint8 value[] = { 's', 'e', 0, 'c', 'r', 'e', 't', 0xff };
    kv_call_void(f, path, KV_IFACE_SECRET, "SetValue",
                 g_variant_new("(@ayu)",
                               g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, value, sizeof(value), 1), 0));
    g_autofree gchar *b64 = virsh("secret-get-value", uuid, NULL);
    g_autofree gchar *expect_b64 = g_base64_encode(value, sizeof(value));
    g_assert_cmpstr(g_strstrip(b64), ==, expect_b64);
    g_autoptr(GVariant) r = vb_call_ok(f, path, KV_IFACE_SECRET, "GetValue", g_variant_new("(u)", 0), "(ay)");
    g_autoptr(GVariant) bytes = g_variant_get_child_value(r, 0);
    gsize n;
    const guint8 *got = g_variant_get_fixed_array(bytes, &n, 1);
    g_assert_cmpmem(got, n, value, sizeof(value));

    g_autofree gchar *desc = kv_call_string(f, path, KV_IFACE_SECRET, "GetXMLDesc", g_variant_new("(u)", 0));
    g_assert_nonnull(strstr(desc, uuid));
    g_autofree gchar *by_uuid = kv_call_path(f, QEMU_PATH, VB_IFACE_CONNECT, "SecretLookupByUUID",
                                             g_variant_new("(s)", uuid));
    g_autofree gchar *by_usage = kv_call_path(f, QEMU_PATH, VB_IFACE_CONNECT, "SecretLookupByUsage",
                                              g_variant_new("(is)", VIR_SECRET_USAGE_TYPE_VOLUME,
                                                            "/var/tmp/vb-secret.img"));
    g_assert_cmpstr(by_uuid, ==, path);
    g_assert_cmpstr(by_usage, ==, path);
    g_assert_true(kv_list_has(f, QEMU_PATH, VB_IFACE_CONNECT, "ListSecrets", 0, path));
    g_assert_true(kv_list_has(f, QEMU_PATH, VB_IFACE_CONNECT, "ListSecrets",
                              VIR_CONNECT_LIST_SECRETS_NO_PRIVATE, path));

    kv_call_void(f, path, KV_IFACE_SECRET, "Undefine", NULL);
    kv_wait_lifecycle(f, QEMU_PATH, "SecretEvent", path, VIR_SECRET_EVENT_UNDEFINED);
    kv_wait_object(f, path, FALSE);
    g_autofree gchar *list = virsh("secret-list", NULL);
    g_assert_null(strstr(list, uuid));
    g_autoptr(GError) gone = vb_call_err(f, QEMU_PATH, VB_IFACE_CONNECT, "SecretLookupByUUID",
                                         g_variant_new("(s)", uuid));
    vb_assert_error(gone, VB_ERROR_PREFIX "NoSecret");

    /* Behind virtbusd's back. */
    g_autofree gchar *file = write_file(f, "secret.xml", xml);
    g_free(virsh("secret-define", file, NULL));
    kv_wait_object(f, path, TRUE);
    kv_wait_lifecycle(f, QEMU_PATH, "SecretEvent", path, VIR_SECRET_EVENT_DEFINED);
    g_free(virsh("secret-undefine", uuid, NULL));
    kv_wait_lifecycle(f, QEMU_PATH, "SecretEvent", path, VIR_SECRET_EVENT_UNDEFINED);
    kv_wait_object(f, path, FALSE);
}

/* ---- network filters ------------------------------------------------------------- */

static void
test_nwfilters(VbFixture *f, gconstpointer data)
{
    /* libvirt's own filters are all there. */
    g_autofree gchar *list = virsh("nwfilter-list", NULL);
    g_auto(GStrv) lines = g_strsplit(list, "\n", -1);
    guint nlibvirt = 0;
    for (gchar **l = lines; *l; l++) {
        g_auto(GStrv) cols = g_strsplit_set(g_strstrip(*l), " ", 2);
        if (!cols[0] || !*cols[0])
            continue;
        g_autofree gchar *p = uuid_path("nwfilter", cols[0]);
        g_assert_true(kv_list_has(f, QEMU_PATH, VB_IFACE_CONNECT, "ListNWFilters", 0, p));
        nlibvirt++;
    }
    g_assert_cmpuint(nlibvirt, >, 0);

    g_autofree gchar *clean = kv_call_path(f, QEMU_PATH, VB_IFACE_CONNECT, "NWFilterLookupByName",
                                           g_variant_new("(s)", "clean-traffic"));
    g_autofree gchar *clean_uuid = kv_get_string(f, clean, KV_IFACE_NWFILTER, "UUID");
    g_autofree gchar *by_uuid = kv_call_path(f, QEMU_PATH, VB_IFACE_CONNECT, "NWFilterLookupByUUID",
                                             g_variant_new("(s)", clean_uuid));
    g_assert_cmpstr(by_uuid, ==, clean);

    g_autofree gchar *uuid = g_uuid_string_random();
    g_autofree gchar *xml = g_strdup_printf("<filter name='vb-filter' chain='ipv4'><uuid>%s</uuid>"
                                            "<rule action='accept' direction='out' priority='500'>"
                                            "<ip protocol='tcp' dstportstart='22'/></rule></filter>",
                                            uuid);
    g_autofree gchar *path = kv_call_path(f, QEMU_PATH, VB_IFACE_CONNECT, "NWFilterDefineXML",
                                          g_variant_new("(s)", xml));
    g_autofree gchar *expect = uuid_path("nwfilter", uuid);
    g_assert_cmpstr(path, ==, expect);
    kv_wait_object(f, path, TRUE);
    g_autofree gchar *name = kv_get_string(f, path, KV_IFACE_NWFILTER, "Name");
    g_assert_cmpstr(name, ==, "vb-filter");
    g_autoptr(GVariant) managed = kv_managed(f, path, KV_IFACE_NWFILTER);
    g_assert_nonnull(managed);
    g_autofree gchar *dump = virsh("nwfilter-dumpxml", "vb-filter", NULL);
    g_assert_nonnull(strstr(dump, "dstportstart='22'"));
    g_autofree gchar *desc = kv_call_string(f, path, KV_IFACE_NWFILTER, "GetXMLDesc", g_variant_new("(u)", 0));
    g_assert_nonnull(strstr(desc, uuid));

    kv_call_void(f, path, KV_IFACE_NWFILTER, "Undefine", NULL);
    kv_wait_object(f, path, FALSE);
    g_autofree gchar *after = virsh("nwfilter-list", NULL);
    g_assert_null(strstr(after, uuid));
    g_autoptr(GError) gone = vb_call_err(f, QEMU_PATH, VB_IFACE_CONNECT, "NWFilterLookupByName",
                                         g_variant_new("(s)", "vb-filter"));
    vb_assert_error(gone, VB_ERROR_PREFIX "NoNwfilter");
}

/* ---- a directory pool with qcow2 volumes ------------------------------------------- */

static gchar *
vol_path_of(VbFixture *f, const char *obj)
{
    return kv_get_string(f, obj, KV_IFACE_VOL, "Path");
}

static void
test_dir_pool(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *dir = g_build_filename(lv.dir, "vb-pool", NULL);
    g_autofree gchar *uuid = g_uuid_string_random();
    g_autofree gchar *xml = g_strdup_printf("<pool type='dir'><name>vb-dir</name><uuid>%s</uuid>"
                                            "<target><path>%s</path></target></pool>",
                                            uuid, dir);
    g_autofree gchar *pool = kv_call_path(f, QEMU_PATH, VB_IFACE_CONNECT, "StoragePoolDefineXML",
                                          g_variant_new("(su)", xml, 0));
    kv_wait_object(f, pool, TRUE);
    kv_wait_lifecycle(f, QEMU_PATH, "StoragePoolEvent", pool, VIR_STORAGE_POOL_EVENT_DEFINED);

    kv_call_void(f, pool, KV_IFACE_POOL, "Build", g_variant_new("(u)", 0));
    g_assert_true(g_file_test(dir, G_FILE_TEST_IS_DIR));
    kv_call_void(f, pool, KV_IFACE_POOL, "Create", g_variant_new("(u)", 0));
    kv_wait_lifecycle(f, QEMU_PATH, "StoragePoolEvent", pool, VIR_STORAGE_POOL_EVENT_STARTED);
    kv_wait_property(f, pool, KV_IFACE_POOL, "Active", g_variant_new_boolean(TRUE));
    g_autofree gchar *info = virsh("pool-info", "vb-dir", NULL);
    g_assert_nonnull(strstr(info, "running"));

    g_autoptr(GError) set = vb_set_property(f, pool, KV_IFACE_POOL, "Autostart", g_variant_new_boolean(TRUE));
    g_assert_no_error(set);
    kv_wait_property(f, pool, KV_IFACE_POOL, "Autostart", g_variant_new_boolean(TRUE));
    g_autofree gchar *info2 = virsh("pool-info", "vb-dir", NULL);
    g_assert_nonnull(strstr(info2, "Autostart:      yes"));

    /* A qcow2 volume of 64 MiB. */
    g_autofree gchar *vol = kv_call_path(f, pool, KV_IFACE_POOL, "StorageVolCreateXML",
                                         g_variant_new("(su)",
                                                       "<volume><name>disk.qcow2</name>"
                                                       "<capacity unit='MiB'>64</capacity>"
                                                       "<target><format type='qcow2'/></target></volume>",
                                                       0));
    kv_wait_object(f, vol, TRUE);
    g_autofree gchar *file = vol_path_of(f, vol);
    g_autofree gchar *expect_file = g_build_filename(dir, "disk.qcow2", NULL);
    g_assert_cmpstr(file, ==, expect_file);
    assert_qcow2(file, 64 * 1024 * 1024);
    g_assert_cmpuint(virsh_vol_capacity(file), ==, 64 * 1024 * 1024);
    g_autoptr(GVariant) vinfo = vb_call_ok(f, vol, KV_IFACE_VOL, "GetInfo", g_variant_new("(u)", 0), "((itt))");
    gint32 type;
    guint64 capacity, allocation;
    g_variant_get(vinfo, "((itt))", &type, &capacity, &allocation);
    g_assert_cmpint(type, ==, VIR_STORAGE_VOL_FILE);
    g_assert_cmpuint(capacity, ==, 64 * 1024 * 1024);
    g_autoptr(GVariant) managed = kv_managed(f, vol, KV_IFACE_VOL);
    g_assert_nonnull(managed);
    g_assert_true(kv_list_has(f, pool, KV_IFACE_POOL, "ListStorageVolumes", 0, vol));

    /* A copy of it. */
    g_autofree gchar *key = kv_get_string(f, vol, KV_IFACE_VOL, "Key");
    g_autofree gchar *copy = kv_call_path(f, pool, KV_IFACE_POOL, "StorageVolCreateXMLFrom",
                                          g_variant_new("(ssu)",
                                                        "<volume><name>copy.qcow2</name>"
                                                        "<capacity unit='MiB'>64</capacity>"
                                                        "<target><format type='qcow2'/></target></volume>",
                                                        key, 0));
    kv_wait_object(f, copy, TRUE);
    g_autofree gchar *copy_file = vol_path_of(f, copy);
    assert_qcow2(copy_file, 64 * 1024 * 1024);

    /* Resized to 128 MiB, then wiped. */
    kv_call_void(f, vol, KV_IFACE_VOL, "Resize", g_variant_new("(tu)", (guint64)128 * 1024 * 1024, 0));
    assert_qcow2(file, 128 * 1024 * 1024);
    g_assert_cmpuint(virsh_vol_capacity(file), ==, 128 * 1024 * 1024);
    /* Wiping overwrites the file, qcow2 header included. */
    kv_call_void(f, copy, KV_IFACE_VOL, "Wipe", g_variant_new("(uu)", VIR_STORAGE_VOL_WIPE_ALG_ZERO, 0));
    g_autofree gchar *wiped = NULL;
    gsize wiped_len = 0;
    g_assert_true(g_file_get_contents(copy_file, &wiped, &wiped_len, NULL));
    g_assert_cmpuint(wiped_len, >=, 4);
    g_assert_cmpmem(wiped, 4, "\0\0\0\0", 4);
    g_autoptr(GError) big = vb_call_err(f, vol, KV_IFACE_VOL, "Resize",
                                        g_variant_new("(tu)", (guint64)16 * 1024 * 1024, 0));
    vb_assert_libvirt_error(big);
    assert_qcow2(file, 128 * 1024 * 1024);

    /* A volume made behind virtbusd's back appears with the pool's refresh. */
    g_free(virsh("vol-create-as", "vb-dir", "behind.qcow2", "8M", "--format", "qcow2", NULL));
    g_free(virsh("pool-refresh", "vb-dir", NULL));
    g_assert_true(vb_wait_signal(f, pool, KV_IFACE_POOL, "Refresh", NULL, NULL, VB_SIGNAL_TIMEOUT_MS));
    g_autofree gchar *behind_file = g_build_filename(dir, "behind.qcow2", NULL);
    g_autofree gchar *behind = kv_call_path(f, QEMU_PATH, VB_IFACE_CONNECT, "StorageVolLookupByPath",
                                            g_variant_new("(s)", behind_file));
    kv_wait_object(f, behind, TRUE);

    /* Deleted through the bus: gone from the bus and the disk. */
    kv_call_void(f, copy, KV_IFACE_VOL, "Delete", g_variant_new("(u)", 0));
    kv_wait_object(f, copy, FALSE);
    g_assert_false(g_file_test(copy_file, G_FILE_TEST_EXISTS));

    /* Stopped, the pool lists no volumes; started, it has them again. */
    kv_call_void(f, pool, KV_IFACE_POOL, "Destroy", NULL);
    kv_wait_lifecycle(f, QEMU_PATH, "StoragePoolEvent", pool, VIR_STORAGE_POOL_EVENT_STOPPED);
    kv_wait_object(f, vol, FALSE);
    kv_wait_object(f, behind, FALSE);
    kv_call_void(f, pool, KV_IFACE_POOL, "Create", g_variant_new("(u)", 0));
    kv_wait_object(f, vol, TRUE);
    kv_wait_object(f, behind, TRUE);
    g_assert_true(kv_list_has(f, pool, KV_IFACE_POOL, "ListStorageVolumes", 0, vol));

    /* Behind virtbusd's back too. */
    g_free(virsh("pool-destroy", "vb-dir", NULL));
    kv_wait_property(f, pool, KV_IFACE_POOL, "Active", g_variant_new_boolean(FALSE));
    kv_wait_object(f, vol, FALSE);

    /* Deleting the pool's storage removes its (emptied) directory. */
    g_assert_cmpint(unlink(file), ==, 0);
    g_assert_cmpint(unlink(behind_file), ==, 0);
    kv_call_void(f, pool, KV_IFACE_POOL, "Delete", g_variant_new("(u)", VIR_STORAGE_POOL_DELETE_NORMAL));
    g_assert_false(g_file_test(dir, G_FILE_TEST_EXISTS));
    kv_call_void(f, pool, KV_IFACE_POOL, "Undefine", NULL);
    kv_wait_lifecycle(f, QEMU_PATH, "StoragePoolEvent", pool, VIR_STORAGE_POOL_EVENT_UNDEFINED);
    kv_wait_object(f, pool, FALSE);
    g_autofree gchar *pools = virsh("pool-list", "--all", NULL);
    g_assert_null(strstr(pools, "vb-dir"));
}

/* ---- networks and devices changed behind virtbusd's back --------------------------- */

static void
test_behind_back(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *uuid = g_uuid_string_random();
    g_autofree gchar *xml = g_strdup_printf("<network><name>vb-behind</name><uuid>%s</uuid>"
                                            "<bridge name='vbbehind0'/></network>",
                                            uuid);
    g_autofree gchar *file = write_file(f, "net.xml", xml);
    g_autofree gchar *path = uuid_path("network", uuid);

    g_free(virsh("net-define", file, NULL));
    kv_wait_object(f, path, TRUE);
    kv_wait_lifecycle(f, QEMU_PATH, "NetworkEvent", path, VIR_NETWORK_EVENT_DEFINED);
    g_assert_false(vb_get_bool(f, path, KV_IFACE_NETWORK, "Active"));
    g_assert_true(vb_get_bool(f, path, KV_IFACE_NETWORK, "Persistent"));
    g_autoptr(GVariant) managed = kv_managed(f, path, KV_IFACE_NETWORK);
    g_assert_nonnull(managed);

    /* Autostart through the bus, as libvirt then reports it. */
    g_autoptr(GError) set = vb_set_property(f, path, KV_IFACE_NETWORK, "Autostart", g_variant_new_boolean(TRUE));
    g_assert_no_error(set);
    kv_wait_property(f, path, KV_IFACE_NETWORK, "Autostart", g_variant_new_boolean(TRUE));
    g_autofree gchar *info = virsh("net-info", "vb-behind", NULL);
    g_assert_nonnull(strstr(info, "Autostart:      yes"));

    g_free(virsh("net-undefine", "vb-behind", NULL));
    kv_wait_lifecycle(f, QEMU_PATH, "NetworkEvent", path, VIR_NETWORK_EVENT_UNDEFINED);
    kv_wait_object(f, path, FALSE);

    /* Host devices and interfaces libvirt lists are served. */
    g_autofree gchar *computer = kv_call_path(f, QEMU_PATH, VB_IFACE_CONNECT, "NodeDeviceLookupByName",
                                              g_variant_new("(s)", "computer"));
    g_assert_true(kv_list_has(f, QEMU_PATH, VB_IFACE_CONNECT, "ListNodeDevices", 0, computer));
    g_autofree gchar *ifaces = virsh("iface-list", "--all", NULL);
    g_auto(GStrv) lines = g_strsplit(ifaces, "\n", -1);
    for (gchar **l = lines; *l; l++) {
        g_auto(GStrv) cols = g_strsplit_set(g_strstrip(*l), " ", -1);
        if (!cols[0] || !*cols[0])
            continue;
        g_autofree gchar *p = kv_call_path(f, QEMU_PATH, VB_IFACE_CONNECT, "InterfaceLookupByName",
                                           g_variant_new("(s)", cols[0]));
        g_assert_true(kv_list_has(f, QEMU_PATH, VB_IFACE_CONNECT, "ListInterfaces", 0, p));
    }
}

/* ---- libvirtd restarted --------------------------------------------------------------- */

/* A case that fails while virtbusd is frozen must not leave it stopped. */
static volatile pid_t frozen_pid;

static void
on_fatal_in_case(int sig)
{
    if (frozen_pid > 0)
        kill(frozen_pid, SIGCONT);
    signal(sig, SIG_DFL);
    raise(sig);
}

static gchar *
define_secret(VbFixture *f, const char *uuid)
{
    g_autofree gchar *xml = g_strdup_printf("<secret ephemeral='no' private='no'><uuid>%s</uuid></secret>", uuid);
    return kv_call_path(f, QEMU_PATH, VB_IFACE_CONNECT, "SecretDefineXML", g_variant_new("(su)", xml, 0));
}

/* Changes made while virtbusd could not watch (frozen while libvirtd is
 * killed, restarted and changed) are announced once it reconnects, for
 * kinds with events (secrets) and without (filters) alike. */
static void
test_restart(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *gone_uuid = g_uuid_string_random();
    g_autofree gchar *new_uuid = g_uuid_string_random();
    g_autofree gchar *gone_filter_uuid = g_uuid_string_random();
    g_autofree gchar *new_filter_uuid = g_uuid_string_random();
    g_autofree gchar *gone = define_secret(f, gone_uuid);
    g_autofree gchar *filter_xml = g_strdup_printf("<filter name='vb-gone' chain='root'><uuid>%s</uuid></filter>",
                                                   gone_filter_uuid);
    g_autofree gchar *gone_filter = kv_call_path(f, QEMU_PATH, VB_IFACE_CONNECT, "NWFilterDefineXML",
                                                 g_variant_new("(s)", filter_xml));
    kv_wait_object(f, gone, TRUE);
    kv_wait_object(f, gone_filter, TRUE);

    signal(SIGABRT, on_fatal_in_case);
    signal(SIGTRAP, on_fatal_in_case);
    frozen_pid = f->daemon_pid;
    g_assert_cmpint(kill(f->daemon_pid, SIGSTOP), ==, 0);
    const char *restart_kill[] = { lv.script, "stop", "--kill", lv.dir, NULL };
    const char *restart_start[] = { lv.script, "start", lv.dir, NULL };
    g_free(vb_command_output(restart_kill, TRUE));
    g_free(vb_command_output(restart_start, TRUE));
    g_free(virsh("secret-undefine", gone_uuid, NULL));
    g_free(virsh("nwfilter-undefine", "vb-gone", NULL));
    g_autofree gchar *secret_xml = g_strdup_printf("<secret ephemeral='no' private='no'><uuid>%s</uuid></secret>",
                                                   new_uuid);
    g_autofree gchar *secret_file = write_file(f, "new-secret.xml", secret_xml);
    g_free(virsh("secret-define", secret_file, NULL));
    g_autofree gchar *new_filter_xml = g_strdup_printf("<filter name='vb-new' chain='root'><uuid>%s</uuid></filter>",
                                                       new_filter_uuid);
    g_autofree gchar *filter_file = write_file(f, "new-filter.xml", new_filter_xml);
    g_free(virsh("nwfilter-define", filter_file, NULL));
    g_assert_cmpint(kill(f->daemon_pid, SIGCONT), ==, 0);
    frozen_pid = 0;

    g_autofree gchar *created = uuid_path("secret", new_uuid);
    g_autofree gchar *new_filter = uuid_path("nwfilter", new_filter_uuid);
    kv_wait_object(f, gone, FALSE);
    kv_wait_object(f, gone_filter, FALSE);
    kv_wait_object(f, created, TRUE);
    kv_wait_object(f, new_filter, TRUE);
    kv_wait_property(f, QEMU_PATH, VB_IFACE_CONNECT, "Connected", g_variant_new_boolean(TRUE));
    g_assert_true(kv_list_has(f, QEMU_PATH, VB_IFACE_CONNECT, "ListSecrets", 0, created));
    g_assert_false(kv_list_has(f, QEMU_PATH, VB_IFACE_CONNECT, "ListSecrets", 0, gone));

    g_free(virsh("secret-undefine", new_uuid, NULL));
    g_free(virsh("nwfilter-undefine", "vb-new", NULL));
}

/* ---- running the program ------------------------------------------------------------ */

static const char *
missing_prerequisite(void)
{
    static const char *const programs[] = { "libvirtd", "virsh", "qemu-img", "unshare" };

    if (geteuid() != 0)
        return "needs root (a private libvirtd in its own mount namespace)";
    for (gsize i = 0; i < G_N_ELEMENTS(programs); i++) {
        g_autofree gchar *p = g_find_program_in_path(programs[i]);
        g_autofree gchar *sbin = g_build_filename("/usr/sbin", programs[i], NULL);
        if (!p && !g_file_test(sbin, G_FILE_TEST_IS_EXECUTABLE))
            return "needs libvirtd, virsh and qemu-img";
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

/* libvirtd goes with the program even when the test runner interrupts it. */
static const char *stop_argv[5];


static const struct {
    const char *name;
    VbTestFunc func;
} cases[] = {
    { "/kinds-libvirtd/secrets", test_secrets },
    { "/kinds-libvirtd/nwfilters", test_nwfilters },
    { "/kinds-libvirtd/dir-pool", test_dir_pool },
    { "/kinds-libvirtd/behind-back", test_behind_back },
    { "/kinds-libvirtd/restart", test_restart },
};

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

        lv.dir = g_strdup("/var/tmp/virtbus-kinds-XXXXXX");
        g_assert_nonnull(g_mkdtemp(lv.dir));
        chmod(lv.dir, 0755);
        const char *start[] = { lv.script, "start", lv.dir, NULL };
        g_spawn_sync(NULL, (gchar **)start, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error);
        if (error || !g_spawn_check_wait_status(status, NULL))
            start_error = g_strdup_printf("could not start libvirtd: %s%s", error ? error->message : "",
                                          err ? err : "");
        else
            g_setenv("VIRTBUS_KINDS_DIR", lv.dir, TRUE);
        owner = TRUE;
        stop_argv[0] = lv.script;
        stop_argv[1] = "stop";
        stop_argv[2] = "--guests";
        stop_argv[3] = lv.dir;
        stop_argv[4] = NULL;
        vb_cleanup_on_interrupt(stop_argv, NULL);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        if (g_getenv("VIRTBUS_KINDS_DIR") && !start_error) {
            if (!lv.uri) {
                g_free(lv.dir);
                lv.dir = g_strdup(g_getenv("VIRTBUS_KINDS_DIR"));
                lv.uri = g_strdup_printf("qemu+unix:///system?socket=%s/run/libvirt/libvirt-sock", lv.dir);
                lv.connect_arg = g_strdup_printf("QEMU=%s", lv.uri);
                lv.args[0] = "--connect";
                lv.args[1] = lv.connect_arg;
                lv.args[2] = NULL;
                lv.opts.extra_args = lv.args;
            }
            vb_add_virtbusd_only_full(cases[i].name, &lv.opts, cases[i].func);
        } else if (start_error) {
            g_test_add_data_func(cases[i].name, start_error, fail_case);
        } else {
            g_test_add_data_func(cases[i].name, why ? why : "libvirt-dbus is not what this tests", skip_case);
        }
    }

    ret = vb_run();

    if (owner && lv.dir) {
        const char *stop[] = { lv.script, "stop", "--guests", lv.dir, NULL };
        const char *rm[] = { "rm", "-rf", lv.dir, NULL };
        g_autofree gchar *o1 = vb_command_output(stop, FALSE);
        g_autofree gchar *o2 = vb_command_output(rm, FALSE);
    }
    return ret;
}
