/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Long operations never hold up other callers. The service runs with
 * VIRTBUS_TEST_DELAY_MS (a seam compiled in only with -Dtest_delay_seam=true)
 * so that every Save and DomainRestore (and slow storage work) waits on its
 * worker before calling libvirt; while one is in flight, cheap calls must be answered. No timings
 * are asserted: only that the cheap replies come while the slow reply has
 * not. */
#include "harness.h"

#include <string.h>

#define TEST_DOMAIN_PATH "/org/libvirt/Test/domain/_6695eb01_f6a4_8304_79aa_97f2502e193f"
#define SLOW_REPLY_TIMEOUT_MS 30000

static const char *const delay_env[] = { "VIRTBUS_TEST_DELAY_MS=3000", NULL };
static const VbDaemonOptions delay_opts = { .extra_env = delay_env };

/* A method call whose reply is noticed on the connection's worker thread, the
 * moment it arrives, not when the main loop gets to it. The filter records
 * the reply serial of every incoming message; the call's serial is only known
 * once it is sent, so the two are compared when asked. */
typedef struct {
    guint32 serial;
    gboolean done;
    GDBusMessage *reply;
    guint filter_id;
    GDBusConnection *bus;
    GMutex lock;
    GHashTable *replied; /* reply serials seen, under lock */
} SlowCall;

static GDBusMessage *
slow_filter(GDBusConnection *connection, GDBusMessage *message, gboolean incoming, gpointer data)
{
    SlowCall *call = data;
    guint32 reply_serial = g_dbus_message_get_reply_serial(message);
    if (incoming && reply_serial != 0) {
        g_mutex_lock(&call->lock);
        g_hash_table_add(call->replied, GUINT_TO_POINTER(reply_serial));
        g_mutex_unlock(&call->lock);
    }
    return message;
}

static void
slow_call_free(gpointer data)
{
    SlowCall *call = data;
    g_hash_table_unref(call->replied);
    g_mutex_clear(&call->lock);
    g_free(call);
}

static void
slow_done(GObject *source, GAsyncResult *res, gpointer data)
{
    SlowCall *call = data;
    g_autoptr(GError) error = NULL;
    call->reply = g_dbus_connection_send_message_with_reply_finish(G_DBUS_CONNECTION(source), res,
                                                                   &error);
    g_assert_no_error(error);
    call->done = TRUE;
}

static SlowCall *
slow_call_start(VbFixture *f, const char *path, const char *iface, const char *method,
                GVariant *args)
{
    SlowCall *call = g_new0(SlowCall, 1);
    g_autoptr(GDBusMessage) msg = g_dbus_message_new_method_call(VB_BUS_NAME, path, iface, method);

    call->bus = f->bus;
    g_mutex_init(&call->lock);
    call->replied = g_hash_table_new(NULL, NULL);
    /* The filter owns the call: it may still run on the worker thread right
     * after it is removed. */
    call->filter_id = g_dbus_connection_add_filter(f->bus, slow_filter, call, slow_call_free);
    g_dbus_message_set_body(msg, args);
    g_dbus_connection_send_message_with_reply(f->bus, msg, G_DBUS_SEND_MESSAGE_FLAGS_NONE,
                                              SLOW_REPLY_TIMEOUT_MS, &call->serial, NULL, slow_done,
                                              call);
    g_assert_cmpuint(call->serial, !=, 0);
    return call;
}

static gboolean
slow_call_arrived(SlowCall *call)
{
    gboolean arrived;
    g_mutex_lock(&call->lock);
    arrived = g_hash_table_contains(call->replied, GUINT_TO_POINTER(call->serial));
    g_mutex_unlock(&call->lock);
    return arrived;
}

/* Waits for the reply and returns it (an error reply is returned as such). */
static GDBusMessage *
slow_call_finish(SlowCall *call)
{
    GDBusMessage *reply;
    while (!call->done)
        g_main_context_iteration(NULL, TRUE);
    /* The reply is dispatched after the filter saw it. */
    g_assert_true(slow_call_arrived(call));
    reply = call->reply;
    g_dbus_connection_remove_filter(call->bus, call->filter_id);
    return reply;
}

#define assert_still_pending(call, what) \
    G_STMT_START { \
        if (slow_call_arrived(call)) \
            g_error("the slow call was answered before %s returned: either the service " \
                    "blocks other callers during it, or it was built without the delay seam", \
                    (what)); \
    } G_STMT_END

static void
assert_reply_ok(GDBusMessage *reply)
{
    g_autoptr(GError) error = NULL;
    g_assert_nonnull(reply);
    if (g_dbus_message_to_gerror(reply, &error))
        g_error("the slow call failed: %s", error->message);
}

static void
test_save_in_flight(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *other = vb_define_and_start(f, "vb-bystander");
    g_autofree gchar *file = g_build_filename(f->tmpdir, "slow.save", NULL);

    SlowCall *save = slow_call_start(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "Save",
                                     g_variant_new("(ssu)", file, "", 0));

    /* Cheap calls about another domain and the connection. */
    gint state, reason;
    vb_get_state(f, other, &state, &reason);
    g_assert_cmpint(state, ==, VIR_DOMAIN_RUNNING);
    assert_still_pending(save, "GetState");

    g_autofree gchar *name = vb_get_string(f, other, VB_IFACE_DOMAIN, "Name");
    g_assert_cmpstr(name, ==, "vb-bystander");
    assert_still_pending(save, "Properties.Get");

    g_auto(GStrv) all = vb_list_domains(f, 0);
    g_assert_cmpuint(g_strv_length(all), ==, 2);
    assert_still_pending(save, "ListDomains");

    g_autofree gchar *xml = vb_get_xml(f, other);
    g_assert_nonnull(strstr(xml, "<name>vb-bystander</name>"));
    assert_still_pending(save, "GetXMLDesc");

    /* Then the Save completes, and did what it should. */
    g_autoptr(GDBusMessage) reply = slow_call_finish(save);
    assert_reply_ok(reply);
    vb_assert_domain_event(f, TEST_DOMAIN_PATH, VIR_DOMAIN_EVENT_STOPPED,
                           VIR_DOMAIN_EVENT_STOPPED_SAVED);
    vb_assert_state_reason(f, TEST_DOMAIN_PATH, VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_SAVED);
    g_assert_true(g_file_test(file, G_FILE_TEST_IS_REGULAR));
    vb_assert_state(f, other, VIR_DOMAIN_RUNNING);
}

static void
test_reads_on_busy_domain(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *file = g_build_filename(f->tmpdir, "busy.save", NULL);
    SlowCall *save = slow_call_start(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "Save",
                                     g_variant_new("(ssu)", file, "", 0));

    /* Reads about the very domain being saved are served from the cache. */
    gint state, reason;
    vb_get_state(f, TEST_DOMAIN_PATH, &state, &reason);
    g_assert_cmpint(state, ==, VIR_DOMAIN_RUNNING);
    assert_still_pending(save, "GetState on the busy domain");
    g_autofree gchar *name = vb_get_string(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "Name");
    g_assert_cmpstr(name, ==, VB_TEST_DOMAIN_NAME);
    assert_still_pending(save, "Properties.Get on the busy domain");

    g_autoptr(GDBusMessage) reply = slow_call_finish(save);
    assert_reply_ok(reply);
    vb_assert_domain_event(f, TEST_DOMAIN_PATH, VIR_DOMAIN_EVENT_STOPPED,
                           VIR_DOMAIN_EVENT_STOPPED_SAVED);
}

static void
test_second_job_same_domain(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *file = g_build_filename(f->tmpdir, "first.save", NULL);
    SlowCall *save = slow_call_start(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "Save",
                                     g_variant_new("(ssu)", file, "", 0));

    /* A second state change of the same domain either is refused as busy or
     * waits for the Save; either way it cannot succeed on a saved domain. */
    g_autoptr(GError) e = vb_call_err(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "Suspend", NULL);
    g_autofree gchar *name = vb_error_name(e);
    g_printerr("# Suspend during Save: %s\n", e->message);
    g_assert_nonnull(name);

    g_autoptr(GDBusMessage) reply = slow_call_finish(save);
    assert_reply_ok(reply);
    vb_assert_domain_event(f, TEST_DOMAIN_PATH, VIR_DOMAIN_EVENT_STOPPED,
                           VIR_DOMAIN_EVENT_STOPPED_SAVED);
    vb_assert_state_reason(f, TEST_DOMAIN_PATH, VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_SAVED);
    g_assert_false(vb_wait_domain_event(f, TEST_DOMAIN_PATH, VIR_DOMAIN_EVENT_SUSPENDED,
                                        VIR_DOMAIN_EVENT_SUSPENDED_PAUSED, 200));
}

static void
test_restore_in_flight(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *file = g_build_filename(f->tmpdir, "restore.save", NULL);

    /* Save first (slow too), then restore while other calls go on. */
    SlowCall *save = slow_call_start(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "Save",
                                     g_variant_new("(ssu)", file, "", 0));
    g_autoptr(GDBusMessage) saved = slow_call_finish(save);
    assert_reply_ok(saved);
    vb_assert_domain_event(f, TEST_DOMAIN_PATH, VIR_DOMAIN_EVENT_STOPPED,
                           VIR_DOMAIN_EVENT_STOPPED_SAVED);
    g_autofree gchar *other = vb_define_domain(f, "vb-during-restore");

    SlowCall *restore = slow_call_start(f, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainRestore",
                                        g_variant_new("(ssu)", file, "", 0));
    g_auto(GStrv) all = vb_list_domains(f, 0);
    g_assert_cmpuint(g_strv_length(all), ==, 2);
    assert_still_pending(restore, "ListDomains");
    vb_assert_state(f, other, VIR_DOMAIN_SHUTOFF);
    assert_still_pending(restore, "GetState");
    g_autoptr(GVariant) caps = vb_call_ok(f, VB_TEST_PATH, VB_IFACE_PROPERTIES, "Get",
                                          g_variant_new("(ss)", VB_IFACE_CONNECT, "Hostname"), "(v)");
    assert_still_pending(restore, "Properties.Get on the Connect object");

    g_autoptr(GDBusMessage) restored = slow_call_finish(restore);
    assert_reply_ok(restored);
    vb_assert_domain_event(f, TEST_DOMAIN_PATH, VIR_DOMAIN_EVENT_STARTED,
                           VIR_DOMAIN_EVENT_STARTED_RESTORED);
    vb_assert_state(f, TEST_DOMAIN_PATH, VIR_DOMAIN_RUNNING);
}

#define POOL_PATH "/org/libvirt/Test/storagepool/_dfe224cb_28fb_8dd0_c4b2_64eb3f0f4566"
#define NETWORK_PATH "/org/libvirt/Test/network/_dd8fe884_6c02_601e_7551_cca97df1c5df"

/* Slow storage work (here a copy of a volume; building, deleting, wiping
 * and resizing run the same way) holds up neither the pool's reads nor
 * other objects. */
static void
test_storage_in_flight(VbFixture *f, gconstpointer data)
{
    g_autoptr(GVariant) made = vb_call_ok(
        f, POOL_PATH, "org.libvirt.StoragePool", "StorageVolCreateXML",
        g_variant_new("(su)", "<volume><name>vb-source</name><capacity>1048576</capacity></volume>", 0), "(o)");
    const char *source;
    g_variant_get(made, "(&o)", &source);
    g_autoptr(GVariant) key = vb_get_property(f, source, "org.libvirt.StorageVol", "Key");

    SlowCall *copy = slow_call_start(
        f, POOL_PATH, "org.libvirt.StoragePool", "StorageVolCreateXMLFrom",
        g_variant_new("(ssu)", "<volume><name>vb-copy</name><capacity>1048576</capacity></volume>",
                      g_variant_get_string(key, NULL), 0));

    g_autoptr(GVariant) pool_xml = vb_call_ok(f, POOL_PATH, "org.libvirt.StoragePool", "GetXMLDesc",
                                              g_variant_new("(u)", 0), "(s)");
    assert_still_pending(copy, "the pool's GetXMLDesc");
    g_assert_true(vb_get_bool(f, POOL_PATH, "org.libvirt.StoragePool", "Active"));
    assert_still_pending(copy, "the pool's Active");
    g_autoptr(GVariant) net_xml = vb_call_ok(f, NETWORK_PATH, "org.libvirt.Network", "GetXMLDesc",
                                             g_variant_new("(u)", 0), "(s)");
    assert_still_pending(copy, "a network's GetXMLDesc");
    g_autoptr(GVariant) pools = vb_call_ok(f, VB_TEST_PATH, VB_IFACE_CONNECT, "ListStoragePools",
                                           g_variant_new("(u)", 0), "(ao)");
    assert_still_pending(copy, "ListStoragePools");

    g_autoptr(GDBusMessage) reply = slow_call_finish(copy);
    assert_reply_ok(reply);
    g_autoptr(GVariant) found = vb_call_ok(f, POOL_PATH, "org.libvirt.StoragePool", "StorageVolLookupByName",
                                           g_variant_new("(s)", "vb-copy"), "(o)");
}

static void
skip_no_seam(void)
{
    g_test_skip("virtbusd was built without -Dtest_delay_seam=true");
}

static void
add(const char *path, VbTestFunc func)
{
    if (!vb_reference_mode() && !vb_have_delay_seam())
        g_test_add_func(path, skip_no_seam);
    else
        vb_add_virtbusd_only_full(path, &delay_opts, func);
}

int
main(int argc, char **argv)
{
    vb_init(&argc, &argv);

    add("/concurrency/save-in-flight", test_save_in_flight);
    add("/concurrency/reads-on-busy-domain", test_reads_on_busy_domain);
    add("/concurrency/second-job-same-domain", test_second_job_same_domain);
    add("/concurrency/restore-in-flight", test_restore_in_flight);
    add("/concurrency/storage-in-flight", test_storage_in_flight);

    return vb_run();
}
