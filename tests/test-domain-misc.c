/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.libvirt.Domain on libvirt's test driver, for the members it
 * implements: the guest agent's file system, time, password and address
 * calls (the test driver plays the agent), process signals, memory peeks,
 * core dumps, emulator and IOThread pinning and disk errors. Effects are
 * checked through calls that reach libvirt (the matching Get call,
 * GetXMLDesc, GetTime) or the file libvirt wrote. Every member the test
 * driver lacks fails with libvirt's own NoSupport error; those are tested
 * for real on QEMU (test-domain-blockjobs, test-domain-qemu,
 * test-domain-agent). Arguments the service refuses before libvirt sees
 * them (host paths, XML, sizes) fail cleanly and change nothing. */
#include "harness.h"

#include <string.h>
#include <glib/gstdio.h>
#include <unistd.h>

#define TEST_DOMAIN_PATH "/org/libvirt/Test/domain/_6695eb01_f6a4_8304_79aa_97f2502e193f"
#define VB_ERR_ARG_UNSUPPORTED VB_ERROR_PREFIX "ArgumentUnsupported"
#define VB_ERR_OPERATION_UNSUPPORTED VB_ERROR_PREFIX "OperationUnsupported"
/* What libvirt's test driver writes as a core dump. */
#define TEST_DUMP_MAGIC "TestGuestMagic"

static GVariant *
dom_call(VbFixture *f, const char *path, const char *method, GVariant *args, const char *reply_type)
{
    return vb_call_ok(f, path, VB_IFACE_DOMAIN, method, args, reply_type);
}

static GError *
dom_err(VbFixture *f, const char *path, const char *method, GVariant *args)
{
    return vb_call_err(f, path, VB_IFACE_DOMAIN, method, args);
}

#define DOM_OK(f, path, method, args) \
    G_STMT_START { \
        g_autoptr(GVariant) r_ = dom_call((f), (path), (method), (args), "()"); \
    } G_STMT_END

static guint32
call_u32(VbFixture *f, const char *method, GVariant *args)
{
    g_autoptr(GVariant) r = dom_call(f, TEST_DOMAIN_PATH, method, args, "(u)");
    guint32 v;
    g_variant_get(r, "(u)", &v);
    return v;
}

static GVariant *
mountpoints(const char *first, ...)
{
    GVariantBuilder b;
    va_list ap;

    g_variant_builder_init(&b, G_VARIANT_TYPE("as"));
    va_start(ap, first);
    for (const char *m = first; m; m = va_arg(ap, const char *))
        g_variant_builder_add(&b, "s", m);
    va_end(ap);
    return g_variant_builder_end(&b);
}

static GVariant *
cpumap(guint n, guint set)
{
    GVariantBuilder b;
    g_variant_builder_init(&b, G_VARIANT_TYPE("ab"));
    for (guint i = 0; i < n; i++)
        g_variant_builder_add(&b, "b", i == set);
    return g_variant_builder_end(&b);
}

static gchar *
domain_xml(VbFixture *f)
{
    return vb_get_xml(f, TEST_DOMAIN_PATH);
}

#define assert_xml_has(f, needle) \
    G_STMT_START { \
        g_autofree gchar *x_ = domain_xml(f); \
        if (!strstr(x_, (needle))) \
            g_error("the domain's XML lacks %s:\n%s", (needle), x_); \
    } G_STMT_END

#define assert_xml_lacks(f, needle) \
    G_STMT_START { \
        g_autofree gchar *x_ = domain_xml(f); \
        if (strstr(x_, (needle))) \
            g_error("the domain's XML has %s:\n%s", (needle), x_); \
    } G_STMT_END

/* ---- file systems through the agent -------------------------------------------------- */

static void
test_fs_freeze_thaw(VbFixture *f, gconstpointer data)
{
    /* The test driver's guest has / and /boot; the counts say what
     * changed, so they show libvirt's state. */
    g_assert_cmpuint(call_u32(f, "FSFreeze", g_variant_new("(@asu)", mountpoints(NULL), 0)), ==, 2);
    g_assert_cmpuint(call_u32(f, "FSFreeze", g_variant_new("(@asu)", mountpoints("/", NULL), 0)), ==, 0);
    g_assert_cmpuint(call_u32(f, "FSThaw", g_variant_new("(@asu)", mountpoints("/boot", NULL), 0)), ==, 1);
    g_assert_cmpuint(call_u32(f, "FSFreeze", g_variant_new("(@asu)", mountpoints("/", "/boot", NULL), 0)), ==, 1);
    g_assert_cmpuint(call_u32(f, "FSThaw", g_variant_new("(@asu)", mountpoints(NULL), 0)), ==, 2);

    g_autoptr(GError) e = dom_err(f, TEST_DOMAIN_PATH, "FSFreeze",
                                  g_variant_new("(@asu)", mountpoints("/", "/nope", NULL), 0));
    vb_assert_error(e, VB_ERR_OPERATION_INVALID);
    /* Nothing was frozen by the refused call. */
    g_assert_cmpuint(call_u32(f, "FSThaw", g_variant_new("(@asu)", mountpoints(NULL), 0)), ==, 0);

    /* A stopped guest has no agent to ask. */
    g_autofree gchar *off = vb_define_domain(f, "vb-fs-off");
    g_autoptr(GError) e2 = dom_err(f, off, "FSFreeze", g_variant_new("(@asu)", mountpoints(NULL), 0));
    vb_assert_error(e2, VB_ERR_OPERATION_INVALID);
}

static void
test_fs_trim_info(VbFixture *f, gconstpointer data)
{
    DOM_OK(f, TEST_DOMAIN_PATH, "FSTrim", g_variant_new("(stu)", "", (guint64)0, 0));
    DOM_OK(f, TEST_DOMAIN_PATH, "FSTrim", g_variant_new("(stu)", "/boot", (guint64)4096, 0));
    g_autoptr(GError) e = dom_err(f, TEST_DOMAIN_PATH, "FSTrim", g_variant_new("(stu)", "/nope", (guint64)0, 0));
    vb_assert_error(e, VB_ERR_OPERATION_INVALID);

    g_autoptr(GVariant) r = dom_call(f, TEST_DOMAIN_PATH, "GetFSInfo", g_variant_new("(u)", 0), "(a(sssas))");
    g_autoptr(GVariant) list = g_variant_get_child_value(r, 0);
    g_assert_cmpuint(g_variant_n_children(list), ==, 2);
    const char *mp, *name, *type;
    g_autofree const char **aliases = NULL;
    g_variant_get_child(list, 0, "(&s&s&s^a&s)", &mp, &name, &type, &aliases);
    g_assert_cmpstr(mp, ==, "/");
    g_assert_cmpstr(name, ==, "vda1");
    g_assert_cmpstr(type, ==, "ext4");
    g_assert_cmpuint(g_strv_length((gchar **)aliases), ==, 1);
    g_assert_cmpstr(aliases[0], ==, "vda");
    g_autofree const char **aliases2 = NULL;
    g_variant_get_child(list, 1, "(&s&s&s^a&s)", &mp, &name, &type, &aliases2);
    g_assert_cmpstr(mp, ==, "/boot");
    g_assert_cmpstr(name, ==, "vda2");
}

/* ---- time, passwords, addresses ----------------------------------------------------------- */

static void
test_time(VbFixture *f, gconstpointer data)
{
    guint64 seconds;
    guint32 nseconds;

    DOM_OK(f, TEST_DOMAIN_PATH, "SetTime", g_variant_new("(tuu)", (guint64)1234567890, 42, 0));
    /* GetTime asks libvirt, which keeps what the guest was told. */
    g_autoptr(GVariant) r = dom_call(f, TEST_DOMAIN_PATH, "GetTime", g_variant_new("(u)", 0), "((tu))");
    g_variant_get(r, "((tu))", &seconds, &nseconds);
    g_assert_cmpuint(seconds, ==, 1234567890);
    g_assert_cmpuint(nseconds, ==, 42);

    g_autoptr(GError) e = dom_err(f, TEST_DOMAIN_PATH, "SetTime", g_variant_new("(tuu)", (guint64)1, 0, 0x80));
    vb_assert_error(e, VB_ERR_INVALID_ARG);
    g_autoptr(GVariant) r2 = dom_call(f, TEST_DOMAIN_PATH, "GetTime", g_variant_new("(u)", 0), "((tu))");
    g_variant_get(r2, "((tu))", &seconds, &nseconds);
    g_assert_cmpuint(seconds, ==, 1234567890);
}

static void
test_user_password(VbFixture *f, gconstpointer data)
{
    DOM_OK(f, TEST_DOMAIN_PATH, "SetUserPassword", g_variant_new("(ssu)", "root", "s3cret", 0));
    DOM_OK(f, TEST_DOMAIN_PATH, "SetUserPassword",
           g_variant_new("(ssu)", "root", "$6$salt$hash", VIR_DOMAIN_PASSWORD_ENCRYPTED));
    g_autoptr(GError) e = dom_err(f, TEST_DOMAIN_PATH, "SetUserPassword", g_variant_new("(ssu)", "root", "x", 0x10));
    vb_assert_error(e, VB_ERR_INVALID_ARG);
    g_autofree gchar *off = vb_define_domain(f, "vb-pw-off");
    g_autoptr(GError) e2 = dom_err(f, off, "SetUserPassword", g_variant_new("(ssu)", "root", "x", 0));
    vb_assert_error(e2, VB_ERR_OPERATION_INVALID);
}

static void
test_interface_addresses(VbFixture *f, gconstpointer data)
{
    const guint sources[] = { VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE, VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT };

    for (gsize i = 0; i < G_N_ELEMENTS(sources); i++) {
        g_autoptr(GVariant) r = dom_call(f, TEST_DOMAIN_PATH, "InterfaceAddresses",
                                         g_variant_new("(uu)", sources[i], 0), "(a(ssa(isu)))");
        g_autoptr(GVariant) list = g_variant_get_child_value(r, 0);
        g_assert_cmpuint(g_variant_n_children(list), ==, 1);
        const char *name, *hwaddr, *addr;
        g_autoptr(GVariant) addrs = NULL;
        gint type;
        guint32 prefix;
        g_variant_get_child(list, 0, "(&s&s@a(isu))", &name, &hwaddr, &addrs);
        g_assert_cmpstr(name, ==, "testnet0");
        g_assert_cmpstr(hwaddr, ==, "aa:bb:cc:dd:ee:ff");
        g_assert_cmpuint(g_variant_n_children(addrs), ==, 1);
        g_variant_get_child(addrs, 0, "(i&su)", &type, &addr, &prefix);
        g_assert_cmpint(type, ==, VIR_IP_ADDR_TYPE_IPV4);
        g_assert_cmpstr(addr, ==, "192.168.122.3");
        g_assert_cmpuint(prefix, ==, 24);
    }
    g_autoptr(GError) e = dom_err(f, TEST_DOMAIN_PATH, "InterfaceAddresses", g_variant_new("(uu)", 99, 0));
    vb_assert_error(e, VB_ERR_ARG_UNSUPPORTED);
}

/* ---- signals, peeks, dumps --------------------------------------------------------------------- */

static void
test_process_signal(VbFixture *f, gconstpointer data)
{
    DOM_OK(f, TEST_DOMAIN_PATH, "SendProcessSignal",
           g_variant_new("(xuu)", (gint64)1, VIR_DOMAIN_PROCESS_SIGNAL_TERM, 0));
    /* The test driver only knows the guest's init. */
    g_autoptr(GError) e = dom_err(f, TEST_DOMAIN_PATH, "SendProcessSignal",
                                  g_variant_new("(xuu)", (gint64)2, VIR_DOMAIN_PROCESS_SIGNAL_TERM, 0));
    vb_assert_error(e, VB_ERR_INVALID_ARG);
    g_autoptr(GError) e2 = dom_err(f, TEST_DOMAIN_PATH, "SendProcessSignal",
                                   g_variant_new("(xuu)", (gint64)1, 1000, 0));
    vb_assert_error(e2, VB_ERR_INVALID_ARG);
    vb_assert_state(f, TEST_DOMAIN_PATH, VIR_DOMAIN_RUNNING);
}

static void
test_memory_peek(VbFixture *f, gconstpointer data)
{
    /* The test driver's memory holds the low byte of each address. */
    g_autoptr(GVariant) r = dom_call(f, TEST_DOMAIN_PATH, "MemoryPeek",
                                     g_variant_new("(ttu)", (guint64)0x1fe, (guint64)4, VIR_MEMORY_PHYSICAL), "(ay)");
    gsize n;
    g_autoptr(GVariant) bytes = g_variant_get_child_value(r, 0);
    const guint8 *b = g_variant_get_fixed_array(bytes, &n, 1);
    g_assert_cmpuint(n, ==, 4);
    g_assert_cmpuint(b[0], ==, 0xfe);
    g_assert_cmpuint(b[1], ==, 0xff);
    g_assert_cmpuint(b[2], ==, 0x00);
    g_assert_cmpuint(b[3], ==, 0x01);

    g_autoptr(GVariant) none = dom_call(f, TEST_DOMAIN_PATH, "MemoryPeek",
                                        g_variant_new("(ttu)", (guint64)0, (guint64)0, VIR_MEMORY_VIRTUAL), "(ay)");
    g_autoptr(GVariant) empty = g_variant_get_child_value(none, 0);
    g_assert_cmpuint(g_variant_n_children(empty), ==, 0);

    g_autoptr(GError) e = dom_err(f, TEST_DOMAIN_PATH, "MemoryPeek",
                                  g_variant_new("(ttu)", (guint64)0, (guint64)4, 0));
    vb_assert_error(e, VB_ERR_INVALID_ARG);
    g_autofree gchar *off = vb_define_domain(f, "vb-peek-off");
    g_autoptr(GError) e2 = dom_err(f, off, "MemoryPeek",
                                   g_variant_new("(ttu)", (guint64)0, (guint64)4, VIR_MEMORY_PHYSICAL));
    vb_assert_error(e2, VB_ERR_OPERATION_INVALID);
}

static void
assert_dump_file(const char *file)
{
    g_autofree gchar *content = NULL;
    gsize len;
    g_autoptr(GError) error = NULL;

    g_assert_true(g_file_get_contents(file, &content, &len, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(len, >=, strlen(TEST_DUMP_MAGIC));
    g_assert_cmpint(memcmp(content, TEST_DUMP_MAGIC, strlen(TEST_DUMP_MAGIC)), ==, 0);
}

static void
test_core_dump(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *file = g_build_filename(f->tmpdir, "test.core", NULL);

    DOM_OK(f, TEST_DOMAIN_PATH, "CoreDump", g_variant_new("(suu)", file, VIR_DOMAIN_CORE_DUMP_FORMAT_RAW, 0));
    assert_dump_file(file);
    vb_assert_state(f, TEST_DOMAIN_PATH, VIR_DOMAIN_RUNNING);

    /* The test driver writes only its raw format (after the file). */
    g_autofree gchar *file2 = g_build_filename(f->tmpdir, "test2.core", NULL);
    g_autoptr(GError) e = dom_err(f, TEST_DOMAIN_PATH, "CoreDump",
                                  g_variant_new("(suu)", file2, VIR_DOMAIN_CORE_DUMP_FORMAT_KDUMP_ZLIB, 0));
    vb_assert_error(e, VB_ERR_OPERATION_UNSUPPORTED);

    /* With the crash flag the domain is gone after its dump. */
    g_autofree gchar *file3 = g_build_filename(f->tmpdir, "test3.core", NULL);
    DOM_OK(f, TEST_DOMAIN_PATH, "CoreDump",
           g_variant_new("(suu)", file3, VIR_DOMAIN_CORE_DUMP_FORMAT_RAW, VIR_DUMP_CRASH));
    assert_dump_file(file3);
    vb_assert_domain_event(f, TEST_DOMAIN_PATH, VIR_DOMAIN_EVENT_STOPPED, VIR_DOMAIN_EVENT_STOPPED_CRASHED);
    vb_assert_state_reason(f, TEST_DOMAIN_PATH, VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_CRASHED);

    /* A stopped domain has no memory to dump. */
    g_autofree gchar *file4 = g_build_filename(f->tmpdir, "test4.core", NULL);
    g_autoptr(GError) e2 = dom_err(f, TEST_DOMAIN_PATH, "CoreDump",
                                   g_variant_new("(suu)", file4, VIR_DOMAIN_CORE_DUMP_FORMAT_RAW, 0));
    vb_assert_error(e2, VB_ERR_OPERATION_INVALID);
    g_assert_false(g_file_test(file4, G_FILE_TEST_EXISTS));
}

/* ---- pinning and IOThreads ------------------------------------------------------------------------ */

/* The booleans of an "ab", as a string of 0 and 1. */
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

static gchar *
emulator_pin(VbFixture *f, guint flags)
{
    g_autoptr(GVariant) r = dom_call(f, TEST_DOMAIN_PATH, "GetEmulatorPinInfo", g_variant_new("(u)", flags), "(ab)");
    g_autoptr(GVariant) ab = g_variant_get_child_value(r, 0);
    return bits_string(ab);
}

static void
test_emulator_pin(VbFixture *f, gconstpointer data)
{
    /* The test driver's host has eight CPUs. */
    g_autofree gchar *before = emulator_pin(f, 0);
    g_assert_cmpstr(before, ==, "11111111");

    DOM_OK(f, TEST_DOMAIN_PATH, "PinEmulator", g_variant_new("(@abu)", cpumap(8, 1), VIR_DOMAIN_AFFECT_LIVE));
    g_autofree gchar *after = emulator_pin(f, 0);
    g_assert_cmpstr(after, ==, "01000000");
    assert_xml_has(f, "<emulatorpin cpuset='1'/>");

    /* A map without any CPU: libvirt refuses it, nothing changes. */
    g_autoptr(GError) e = dom_err(f, TEST_DOMAIN_PATH, "PinEmulator", g_variant_new("(@abu)", cpumap(8, 99), 0));
    vb_assert_error(e, VB_ERR_INVALID_ARG);
    g_autofree gchar *again = emulator_pin(f, 0);
    g_assert_cmpstr(again, ==, "01000000");
}

/* "<id>:<bits>" for each IOThread, joined with spaces. */
static gchar *
iothreads(VbFixture *f)
{
    g_autoptr(GVariant) r = dom_call(f, TEST_DOMAIN_PATH, "GetIOThreadInfo", g_variant_new("(u)", 0), "(a(uab))");
    g_autoptr(GVariant) list = g_variant_get_child_value(r, 0);
    GString *s = g_string_new(NULL);

    for (gsize i = 0; i < g_variant_n_children(list); i++) {
        guint32 id;
        g_autoptr(GVariant) map = NULL;
        g_variant_get_child(list, i, "(u@ab)", &id, &map);
        g_autofree gchar *bits = bits_string(map);
        g_string_append_printf(s, "%s%u:%s", s->len ? " " : "", id, bits);
    }
    return g_string_free(s, FALSE);
}

static void
test_iothreads(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *none = iothreads(f);
    g_assert_cmpstr(none, ==, "");

    DOM_OK(f, TEST_DOMAIN_PATH, "AddIOThread", g_variant_new("(uu)", 5, VIR_DOMAIN_AFFECT_LIVE));
    /* A new IOThread of the test driver may run on CPUs 0-1. */
    g_autofree gchar *added = iothreads(f);
    g_assert_cmpstr(added, ==, "5:11000000");
    assert_xml_has(f, "<iothread id='5'/>");

    DOM_OK(f, TEST_DOMAIN_PATH, "PinIOThread", g_variant_new("(u@abu)", 5, cpumap(2, 1), VIR_DOMAIN_AFFECT_LIVE));
    g_autofree gchar *pinned = iothreads(f);
    g_assert_cmpstr(pinned, ==, "5:01000000");
    assert_xml_has(f, "<iothreadpin iothread='5' cpuset='1'/>");

    /* An ID that is taken, one that does not exist. */
    g_autoptr(GError) e = dom_err(f, TEST_DOMAIN_PATH, "AddIOThread", g_variant_new("(uu)", 5, 0));
    vb_assert_error(e, VB_ERR_INVALID_ARG);
    g_autoptr(GError) e2 = dom_err(f, TEST_DOMAIN_PATH, "DelIOThread", g_variant_new("(uu)", 6, 0));
    vb_assert_error(e2, VB_ERR_INVALID_ARG);
    g_autoptr(GError) e3 = dom_err(f, TEST_DOMAIN_PATH, "PinIOThread", g_variant_new("(u@abu)", 6, cpumap(2, 0), 0));
    vb_assert_error(e3, VB_ERR_INVALID_ARG);

    DOM_OK(f, TEST_DOMAIN_PATH, "DelIOThread", g_variant_new("(uu)", 5, VIR_DOMAIN_AFFECT_LIVE));
    g_autofree gchar *gone = iothreads(f);
    g_assert_cmpstr(gone, ==, "");
    assert_xml_lacks(f, "<iothread id='5'/>");
}

static void
test_disk_errors(VbFixture *f, gconstpointer data)
{
    g_autoptr(GVariant) r = dom_call(f, TEST_DOMAIN_PATH, "GetDiskErrors", g_variant_new("(u)", 0), "(a(si))");
    g_autoptr(GVariant) list = g_variant_get_child_value(r, 0);
    const char *disk;
    gint code;

    /* The test driver reports one error on every disk. */
    g_assert_cmpuint(g_variant_n_children(list), ==, 1);
    g_variant_get_child(list, 0, "(&si)", &disk, &code);
    g_assert_cmpstr(disk, ==, "vda");
    g_assert_cmpint(code, ==, VIR_DOMAIN_DISK_ERROR_UNSPEC);
}

/* ---- what the test driver lacks --------------------------------------------------------------------- */

static GVariant *
empty_params(void)
{
    return g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0);
}

static void
test_not_supported(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *copy = g_build_filename(f->tmpdir, "copy.qcow2", NULL);
    g_autofree gchar *destxml = g_strdup_printf("<disk type='file'><source file='%s'/></disk>", copy);
    struct {
        const char *method;
        GVariant *args;
        const char *function;
        gboolean aborts_reference;
    } calls[] = {
        { "BlockCommit", g_variant_new("(ssstu)", "vda", "", "", (guint64)0, 0), "virDomainBlockCommit" },
        { "BlockCopy", g_variant_new("(ss@a{sv}u)", "vda", destxml, empty_params(), 0), "virDomainBlockCopy" },
        { "BlockJobAbort", g_variant_new("(su)", "vda", 0), "virDomainBlockJobAbort" },
        { "BlockJobSetSpeed", g_variant_new("(stu)", "vda", (guint64)1, 0), "virDomainBlockJobSetSpeed" },
        { "BlockPeek", g_variant_new("(sttu)", "vda", (guint64)0, (guint64)512, 0), "virDomainBlockPeek" },
        { "BlockPull", g_variant_new("(stu)", "vda", (guint64)0, 0), "virDomainBlockPull" },
        { "BlockRebase", g_variant_new("(sstu)", "vda", "", (guint64)0, 0), "virDomainBlockRebase" },
        { "BlockResize", g_variant_new("(stu)", "vda", (guint64)1024, 0), "virDomainBlockResize" },
        { "GetBlockJobInfo", g_variant_new("(su)", "vda", 0), "virDomainGetBlockJobInfo" },
        { "GetGuestVcpus", g_variant_new("(u)", 0), "virDomainGetGuestVcpus" },
        /* libvirt-dbus 1.4.1 frees memory it does not own while it turns
         * vcpumap into libvirt's text, and aborts. */
        { "SetGuestVcpus", g_variant_new("(@abiu)", cpumap(2, 1), 0, 0), "virDomainSetGuestVcpus", TRUE },
        { "GetSecurityLabelList", NULL, "virDomainGetSecurityLabelList" },
        { "MigrateGetCompressionCache", g_variant_new("(u)", 0), "virDomainMigrateGetCompressionCache" },
        { "MigrateGetMaxSpeed", g_variant_new("(u)", 0), "virDomainMigrateGetMaxSpeed" },
        { "MigrateSetCompressionCache", g_variant_new("(tu)", (guint64)1 << 20, 0),
          "virDomainMigrateSetCompressionCache" },
        { "MigrateSetMaxDowntime", g_variant_new("(tu)", (guint64)100, 0), "virDomainMigrateSetMaxDowntime" },
        { "MigrateSetMaxSpeed", g_variant_new("(tu)", (guint64)100, 0), "virDomainMigrateSetMaxSpeed" },
        { "MigrateStartPostCopy", g_variant_new("(u)", 0), "virDomainMigrateStartPostCopy" },
        { "OpenGraphicsFD", g_variant_new("(uu)", 0, 0), "virDomainOpenGraphicsFD" },
        { "PMWakeup", g_variant_new("(u)", 0), "virDomainPMWakeup" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(calls); i++) {
        if (vb_reference_mode() && calls[i].aborts_reference) {
            g_variant_unref(g_variant_ref_sink(calls[i].args));
            continue;
        }
        g_autoptr(GError) e = dom_err(f, TEST_DOMAIN_PATH, calls[i].method, calls[i].args);
        g_autofree gchar *text = vb_error_text(e);
        vb_assert_error(e, VB_ERR_NO_SUPPORT);
        /* libvirt's text names its function. */
        if (!strstr(text, calls[i].function))
            g_error("%s: \"%s\" does not name %s", calls[i].method, text, calls[i].function);
    }
    /* Nothing was written, and the domain runs on. */
    g_assert_false(g_file_test(copy, G_FILE_TEST_EXISTS));
    vb_assert_state(f, TEST_DOMAIN_PATH, VIR_DOMAIN_RUNNING);
}

static void
test_migrate_not_supported(VbFixture *f, gconstpointer data)
{
    GVariantBuilder b;

    /* libvirt checks what the driver can do before it dials anyone: the
     * test driver cannot migrate peer to peer. */
    g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
    g_variant_builder_add(&b, "{sv}", VIR_MIGRATE_PARAM_BANDWIDTH, g_variant_new_uint64(10));
    g_autoptr(GError) e = dom_err(f, TEST_DOMAIN_PATH, "MigrateToURI3",
                                  g_variant_new("(sa{sv}u)", "qemu+unix:///system?socket=/nonexistent",
                                                &b, VIR_MIGRATE_PEER2PEER | VIR_MIGRATE_LIVE));
    vb_assert_error(e, VB_ERR_ARG_UNSUPPORTED);
    g_autofree gchar *text = vb_error_text(e);
    g_assert_nonnull(strstr(text, "p2p migration is not supported"));
    vb_assert_state(f, TEST_DOMAIN_PATH, VIR_DOMAIN_RUNNING);
}

/* ---- arguments refused before libvirt sees them --------------------------------------------------------- */

static void
assert_refused(VbFixture *f, const char *method, GVariant *args, const char *name, const char *text)
{
    g_autoptr(GError) e = dom_err(f, TEST_DOMAIN_PATH, method, args);
    vb_assert_error(e, name);
    if (text) {
        g_autofree gchar *msg = vb_error_text(e);
        if (!strstr(msg, text))
            g_error("%s: \"%s\" does not say \"%s\"", method, msg, text);
    }
}

static void
test_bad_args(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *target = g_build_filename(f->tmpdir, "t.qcow2", NULL);
    g_autofree gchar *doctype = g_strdup_printf("<!DOCTYPE disk [<!ATTLIST source file CDATA '%s'>]>"
                                                "<disk type='file'><source/></disk>", target);
    GVariantBuilder b;

    /* Block copy targets: well-formed XML, absolute paths, no DTD. */
    assert_refused(f, "BlockCopy", g_variant_new("(ss@a{sv}u)", "vda", "<disk><source file='/x'>", empty_params(), 0),
                   VB_ERR_XML, "line 1");
    assert_refused(f, "BlockCopy", g_variant_new("(ss@a{sv}u)", "vda", doctype, empty_params(), 0),
                   VB_ERR_XML, "document type declaration");
    assert_refused(f, "BlockCopy",
                   g_variant_new("(ss@a{sv}u)", "vda", "<disk type='file'><source file='rel/t.qcow2'/></disk>",
                                 empty_params(), 0),
                   VB_DBUS_INVALID_ARGS, "absolute");
    assert_refused(f, "BlockCopy",
                   g_variant_new("(ss@a{sv}u)", "vda",
                                 "<disk type='block'><source dev='/nonexistent-dir/sub/dev'/></disk>",
                                 empty_params(), 0),
                   VB_DBUS_INVALID_ARGS, NULL);
    /* A rebase that copies names a new host file; one that does not names
     * an image of the chain, for libvirt to judge. */
    assert_refused(f, "BlockRebase", g_variant_new("(sstu)", "vda", "rel.qcow2", (guint64)0, VIR_DOMAIN_BLOCK_REBASE_COPY),
                   VB_DBUS_INVALID_ARGS, "absolute");
    assert_refused(f, "BlockRebase", g_variant_new("(sstu)", "vda", "vda[1]", (guint64)0, 0), VB_ERR_NO_SUPPORT, NULL);
    /* Core dumps go to absolute paths in existing directories. */
    assert_refused(f, "CoreDump", g_variant_new("(suu)", "test.core", 0, 0), VB_DBUS_INVALID_ARGS, "absolute");
    assert_refused(f, "CoreDump", g_variant_new("(suu)", "/nonexistent-dir/sub/test.core", 0, 0),
                   VB_DBUS_INVALID_ARGS, NULL);
    /* Peeks are bounded by what libvirt's protocol carries. */
    assert_refused(f, "BlockPeek", g_variant_new("(sttu)", "vda", (guint64)0, (guint64)4 * 1024 * 1024 + 1, 0),
                   VB_DBUS_INVALID_ARGS, "4194304");
    assert_refused(f, "MemoryPeek", g_variant_new("(ttu)", (guint64)0, G_MAXUINT64, VIR_MEMORY_PHYSICAL),
                   VB_DBUS_INVALID_ARGS, "4194304");
    /* Migrations: peer to peer needs a destination; XML parameters must
     * be XML, and strings. */
    assert_refused(f, "MigrateToURI3", g_variant_new("(s@a{sv}u)", "", empty_params(), VIR_MIGRATE_PEER2PEER),
                   VB_DBUS_INVALID_ARGS, "dconuri");
    g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
    g_variant_builder_add(&b, "{sv}", VIR_MIGRATE_PARAM_DEST_XML, g_variant_new_string("<domain>"));
    assert_refused(f, "MigrateToURI3", g_variant_new("(sa{sv}u)", "test:///default", &b, VIR_MIGRATE_PEER2PEER),
                   VB_ERR_XML, NULL);
    g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
    g_variant_builder_add(&b, "{sv}", VIR_MIGRATE_PARAM_PERSIST_XML, g_variant_new_uint32(1));
    assert_refused(f, "MigrateToURI3", g_variant_new("(sa{sv}u)", "test:///default", &b, VIR_MIGRATE_PEER2PEER),
                   VB_DBUS_INVALID_ARGS, NULL);
    /* The wrong signature. */
    assert_refused(f, "CoreDump", g_variant_new("(su)", "/tmp/x", 0), VB_DBUS_INVALID_ARGS, NULL);

    /* Nothing was written, the domain runs on, the service answers. */
    g_assert_false(g_file_test(target, G_FILE_TEST_EXISTS));
    vb_assert_state(f, TEST_DOMAIN_PATH, VIR_DOMAIN_RUNNING);
    g_assert_true(vb_daemon_alive(f));
}

/* Host paths reach libvirt in canonical form: a dump through a symbolic
 * link lands where the link leads, and the path polkit is shown is that
 * one (checked in the authorization tests). */
static void
test_core_dump_canonical(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *real = g_build_filename(f->tmpdir, "real", NULL);
    g_autofree gchar *link = g_build_filename(f->tmpdir, "link", NULL);
    g_autofree gchar *via_link = g_build_filename(link, "..", "link", "a.core", NULL);
    g_autofree gchar *landed = g_build_filename(real, "a.core", NULL);

    g_assert_cmpint(g_mkdir(real, 0700), ==, 0);
    g_assert_cmpint(symlink(real, link), ==, 0);
    DOM_OK(f, TEST_DOMAIN_PATH, "CoreDump", g_variant_new("(suu)", via_link, VIR_DOMAIN_CORE_DUMP_FORMAT_RAW, 0));
    assert_dump_file(landed);
}

int
main(int argc, char **argv)
{
    vb_init(&argc, &argv);
    vb_add("/domain-misc/fs-freeze-thaw", test_fs_freeze_thaw);
    vb_add("/domain-misc/fs-trim-info", test_fs_trim_info);
    vb_add("/domain-misc/time", test_time);
    vb_add("/domain-misc/user-password", test_user_password);
    vb_add("/domain-misc/interface-addresses", test_interface_addresses);
    vb_add("/domain-misc/process-signal", test_process_signal);
    vb_add("/domain-misc/memory-peek", test_memory_peek);
    vb_add("/domain-misc/core-dump", test_core_dump);
    vb_add("/domain-misc/emulator-pin", test_emulator_pin);
    vb_add("/domain-misc/iothreads", test_iothreads);
    vb_add("/domain-misc/disk-errors", test_disk_errors);
    vb_add("/domain-misc/not-supported", test_not_supported);
    vb_add("/domain-misc/migrate-not-supported", test_migrate_not_supported);
    vb_add_virtbusd_only("/domain-misc/bad-args", test_bad_args);
    vb_add("/domain-misc/core-dump-canonical", test_core_dump_canonical);
    return vb_run();
}
