/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kinds of object libvirt's test driver has besides domains, through
 * the bus: networks, storage pools and volumes, node devices and host
 * interfaces. Each member of their interfaces and the Connect members for
 * them; effects checked with calls that reach libvirt (GetXMLDesc, lists
 * libvirt makes, a second start refused by libvirt); the lifecycle signals,
 * PropertiesChanged, InterfacesAdded and InterfacesRemoved each change
 * brings; GetManagedObjects. Secrets and network filters, which the test
 * driver lacks, answer libvirt's NoSupport here; test-kinds-libvirtd
 * covers them with a real libvirtd. */
#include "kinds-util.h"

#include <string.h>

#define NET_PREFIX VB_TEST_PATH "/network/"
#define DEFAULT_NET_UUID "dd8fe884-6c02-601e-7551-cca97df1c5df"
#define DEFAULT_NET_PATH NET_PREFIX "_dd8fe884_6c02_601e_7551_cca97df1c5df"
#define DEFAULT_POOL_UUID "dfe224cb-28fb-8dd0-c4b2-64eb3f0f4566"
#define DEFAULT_POOL_PATH VB_TEST_PATH "/storagepool/_dfe224cb_28fb_8dd0_c4b2_64eb3f0f4566"
#define VOL_PREFIX VB_TEST_PATH "/storagevol/"
#define IFACE_PATH VB_TEST_PATH "/interface/aa_3abb_3acc_3add_3aee_3aff"

#define ERR_NO_NETWORK VB_ERROR_PREFIX "NoNetwork"
#define ERR_NO_POOL VB_ERROR_PREFIX "NoStoragePool"
#define ERR_NO_VOL VB_ERROR_PREFIX "NoStorageVol"
#define ERR_NO_NODEDEV VB_ERROR_PREFIX "NoNodeDevice"
#define ERR_NO_INTERFACE VB_ERROR_PREFIX "NoInterface"

static void
assert_call_error(VbFixture *f, const char *path, const char *iface, const char *method, GVariant *args,
                  const char *name)
{
    g_autoptr(GError) e = vb_call_err(f, path, iface, method, args);
    vb_assert_error(e, name);
}

/* ---- networks ------------------------------------------------------------------ */

static void
test_network_default(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *path = kv_call_path(f, VB_TEST_PATH, VB_IFACE_CONNECT, "NetworkLookupByName",
                                          g_variant_new("(s)", "default"));
    g_assert_cmpstr(path, ==, DEFAULT_NET_PATH);
    g_autofree gchar *by_uuid = kv_call_path(f, VB_TEST_PATH, VB_IFACE_CONNECT, "NetworkLookupByUUID",
                                             g_variant_new("(s)", DEFAULT_NET_UUID));
    g_assert_cmpstr(by_uuid, ==, path);

    g_autofree gchar *name = kv_get_string(f, path, KV_IFACE_NETWORK, "Name");
    g_autofree gchar *uuid = kv_get_string(f, path, KV_IFACE_NETWORK, "UUID");
    g_assert_cmpstr(name, ==, "default");
    g_assert_cmpstr(uuid, ==, DEFAULT_NET_UUID);
    g_assert_true(vb_get_bool(f, path, KV_IFACE_NETWORK, "Active"));
    g_assert_true(vb_get_bool(f, path, KV_IFACE_NETWORK, "Persistent"));
    g_assert_false(vb_get_bool(f, path, KV_IFACE_NETWORK, "Autostart"));

    /* libvirt's own description agrees. */
    g_autofree gchar *xml = kv_call_string(f, path, KV_IFACE_NETWORK, "GetXMLDesc", g_variant_new("(u)", 0));
    g_assert_nonnull(strstr(xml, "<uuid>" DEFAULT_NET_UUID "</uuid>"));

    g_assert_true(kv_list_has(f, VB_TEST_PATH, VB_IFACE_CONNECT, "ListNetworks", 0, path));
    g_assert_true(kv_list_has(f, VB_TEST_PATH, VB_IFACE_CONNECT, "ListNetworks",
                              VIR_CONNECT_LIST_NETWORKS_ACTIVE, path));
    g_assert_false(kv_list_has(f, VB_TEST_PATH, VB_IFACE_CONNECT, "ListNetworks",
                               VIR_CONNECT_LIST_NETWORKS_INACTIVE, path));

    g_autoptr(GVariant) managed = kv_managed(f, path, KV_IFACE_NETWORK);
    g_assert_nonnull(managed);
}

static void
test_network_lifecycle(VbFixture *f, gconstpointer data)
{
    const char *path = DEFAULT_NET_PATH;

    kv_call_void(f, path, KV_IFACE_NETWORK, "Destroy", NULL);
    kv_wait_lifecycle(f, VB_TEST_PATH, "NetworkEvent", path, VIR_NETWORK_EVENT_STOPPED);
    kv_wait_property(f, path, KV_IFACE_NETWORK, "Active", g_variant_new_boolean(FALSE));
    g_assert_false(vb_get_bool(f, path, KV_IFACE_NETWORK, "Active"));

    kv_call_void(f, path, KV_IFACE_NETWORK, "Create", NULL);
    kv_wait_lifecycle(f, VB_TEST_PATH, "NetworkEvent", path, VIR_NETWORK_EVENT_STARTED);
    kv_wait_property(f, path, KV_IFACE_NETWORK, "Active", g_variant_new_boolean(TRUE));
    /* libvirt says it runs: starting it again is refused. */
    assert_call_error(f, path, KV_IFACE_NETWORK, "Create", NULL, VB_ERR_OPERATION_INVALID);

    g_autoptr(GError) set = vb_set_property(f, path, KV_IFACE_NETWORK, "Autostart", g_variant_new_boolean(TRUE));
    g_assert_no_error(set);
    kv_wait_property(f, path, KV_IFACE_NETWORK, "Autostart", g_variant_new_boolean(TRUE));
    g_assert_true(kv_list_has(f, VB_TEST_PATH, VB_IFACE_CONNECT, "ListNetworks",
                              VIR_CONNECT_LIST_NETWORKS_AUTOSTART, path));

    /* The test driver will not undefine a running network. */
    assert_call_error(f, path, KV_IFACE_NETWORK, "Undefine", NULL, VB_ERR_OPERATION_INVALID);
    kv_call_void(f, path, KV_IFACE_NETWORK, "Destroy", NULL);
    kv_wait_property(f, path, KV_IFACE_NETWORK, "Active", g_variant_new_boolean(FALSE));
    kv_call_void(f, path, KV_IFACE_NETWORK, "Undefine", NULL);
    kv_wait_lifecycle(f, VB_TEST_PATH, "NetworkEvent", path, VIR_NETWORK_EVENT_UNDEFINED);
    kv_wait_object(f, path, FALSE);
    assert_call_error(f, VB_TEST_PATH, VB_IFACE_CONNECT, "NetworkLookupByName",
                      g_variant_new("(s)", "default"), ERR_NO_NETWORK);
    g_autoptr(GError) gone = vb_call_err(f, path, KV_IFACE_NETWORK, "GetXMLDesc", g_variant_new("(u)", 0));
    vb_assert_unknown_object(gone);
}

static const char net_xml[] =
    "<network><name>vb-net</name><uuid>11111111-2222-3333-4444-555555555555</uuid>"
    "<bridge name='vbbr0'/><ip address='192.168.150.1' netmask='255.255.255.0'>"
    "<dhcp><range start='192.168.150.2' end='192.168.150.254'/></dhcp></ip></network>";
#define VB_NET_PATH NET_PREFIX "_11111111_2222_3333_4444_555555555555"

static void
test_network_define(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *path = kv_call_path(f, VB_TEST_PATH, VB_IFACE_CONNECT, "NetworkDefineXML",
                                          g_variant_new("(s)", net_xml));
    g_assert_cmpstr(path, ==, VB_NET_PATH);
    kv_wait_object(f, path, TRUE);
    kv_wait_lifecycle(f, VB_TEST_PATH, "NetworkEvent", path, VIR_NETWORK_EVENT_DEFINED);
    g_assert_false(vb_get_bool(f, path, KV_IFACE_NETWORK, "Active"));
    g_assert_true(kv_list_has(f, VB_TEST_PATH, VB_IFACE_CONNECT, "ListNetworks",
                              VIR_CONNECT_LIST_NETWORKS_INACTIVE, path));

    /* An update of the stored definition, as libvirt then describes it. */
    const char *host = "<host mac='00:16:3e:77:e2:ed' name='vb.example.com' ip='192.168.150.10'/>";
    kv_call_void(f, path, KV_IFACE_NETWORK, "Update",
                 g_variant_new("(uuisu)", VIR_NETWORK_UPDATE_COMMAND_ADD_FIRST, VIR_NETWORK_SECTION_IP_DHCP_HOST,
                               -1, host, VIR_NETWORK_UPDATE_AFFECT_CONFIG));
    g_autofree gchar *xml = kv_call_string(f, path, KV_IFACE_NETWORK, "GetXMLDesc", g_variant_new("(u)", 0));
    g_assert_nonnull(strstr(xml, "vb.example.com"));
    g_autoptr(GError) bad = vb_call_err(f, path, KV_IFACE_NETWORK, "Update",
                                        g_variant_new("(uuisu)", 1, 4, -1, "<host", 0));
    vb_assert_error(bad, VB_ERR_XML);

    kv_call_void(f, path, KV_IFACE_NETWORK, "Create", NULL);
    kv_wait_property(f, path, KV_IFACE_NETWORK, "Active", g_variant_new_boolean(TRUE));
    /* The test driver has no DHCP server: libvirt says so. */
    g_autoptr(GError) leases = vb_call_err(f, path, KV_IFACE_NETWORK, "GetDHCPLeases",
                                           g_variant_new("(su)", "", 0));
    vb_assert_error(leases, VB_ERR_NO_SUPPORT);
    kv_call_void(f, path, KV_IFACE_NETWORK, "Destroy", NULL);
    kv_wait_property(f, path, KV_IFACE_NETWORK, "Active", g_variant_new_boolean(FALSE));

    /* Undefined while stopped: gone. */
    kv_call_void(f, path, KV_IFACE_NETWORK, "Undefine", NULL);
    kv_wait_lifecycle(f, VB_TEST_PATH, "NetworkEvent", path, VIR_NETWORK_EVENT_UNDEFINED);
    kv_wait_object(f, path, FALSE);
    g_assert_false(kv_list_has(f, VB_TEST_PATH, VB_IFACE_CONNECT, "ListNetworks", 0, path));
    assert_call_error(f, VB_TEST_PATH, VB_IFACE_CONNECT, "NetworkLookupByUUID",
                      g_variant_new("(s)", "11111111-2222-3333-4444-555555555555"), ERR_NO_NETWORK);
}

static void
test_network_transient(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *path = kv_call_path(f, VB_TEST_PATH, VB_IFACE_CONNECT, "NetworkCreateXML",
                                          g_variant_new("(s)", net_xml));
    kv_wait_object(f, path, TRUE);
    kv_wait_lifecycle(f, VB_TEST_PATH, "NetworkEvent", path, VIR_NETWORK_EVENT_STARTED);
    g_assert_true(vb_get_bool(f, path, KV_IFACE_NETWORK, "Active"));
    g_assert_false(vb_get_bool(f, path, KV_IFACE_NETWORK, "Persistent"));
    g_assert_true(kv_list_has(f, VB_TEST_PATH, VB_IFACE_CONNECT, "ListNetworks",
                              VIR_CONNECT_LIST_NETWORKS_TRANSIENT, path));
    kv_call_void(f, path, KV_IFACE_NETWORK, "Destroy", NULL);
    kv_wait_lifecycle(f, VB_TEST_PATH, "NetworkEvent", path, VIR_NETWORK_EVENT_STOPPED);
    kv_wait_object(f, path, FALSE);
    assert_call_error(f, VB_TEST_PATH, VB_IFACE_CONNECT, "NetworkLookupByName", g_variant_new("(s)", "vb-net"),
                      ERR_NO_NETWORK);
}

/* ---- storage pools and volumes ------------------------------------------------- */

static const char vol_xml[] =
    "<volume><name>vb-vol.img</name><capacity unit='M'>16</capacity></volume>";

static gchar *
create_volume(VbFixture *f, const char *name)
{
    g_autofree gchar *xml = g_strdup_printf("<volume><name>%s</name><capacity unit='M'>16</capacity></volume>",
                                            name);
    gchar *path = kv_call_path(f, DEFAULT_POOL_PATH, KV_IFACE_POOL, "StorageVolCreateXML",
                               g_variant_new("(su)", xml, 0));
    kv_wait_object(f, path, TRUE);
    return path;
}

static void
test_pool_default(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *path = kv_call_path(f, VB_TEST_PATH, VB_IFACE_CONNECT, "StoragePoolLookupByName",
                                          g_variant_new("(s)", "default-pool"));
    g_assert_cmpstr(path, ==, DEFAULT_POOL_PATH);
    g_autofree gchar *by_uuid = kv_call_path(f, VB_TEST_PATH, VB_IFACE_CONNECT, "StoragePoolLookupByUUID",
                                             g_variant_new("(s)", DEFAULT_POOL_UUID));
    g_assert_cmpstr(by_uuid, ==, path);
    g_autofree gchar *name = kv_get_string(f, path, KV_IFACE_POOL, "Name");
    g_assert_cmpstr(name, ==, "default-pool");
    g_assert_true(vb_get_bool(f, path, KV_IFACE_POOL, "Active"));
    g_assert_true(vb_get_bool(f, path, KV_IFACE_POOL, "Persistent"));

    g_autoptr(GVariant) info = vb_call_ok(f, path, KV_IFACE_POOL, "GetInfo", NULL, "((ittt))");
    gint32 state;
    guint64 capacity, allocation, available;
    g_variant_get(info, "((ittt))", &state, &capacity, &allocation, &available);
    g_assert_cmpint(state, ==, VIR_STORAGE_POOL_RUNNING);
    g_assert_cmpuint(capacity, >, 0);
    g_autofree gchar *xml = kv_call_string(f, path, KV_IFACE_POOL, "GetXMLDesc", g_variant_new("(u)", 0));
    g_assert_nonnull(strstr(xml, "<name>default-pool</name>"));

    g_assert_true(kv_list_has(f, VB_TEST_PATH, VB_IFACE_CONNECT, "ListStoragePools", 0, path));
    /* A type flag the table cannot judge: libvirt answers. */
    g_assert_true(kv_list_has(f, VB_TEST_PATH, VB_IFACE_CONNECT, "ListStoragePools",
                              VIR_CONNECT_LIST_STORAGE_POOLS_DIR, path));
    g_autoptr(GVariant) managed = kv_managed(f, path, KV_IFACE_POOL);
    g_assert_nonnull(managed);

    kv_call_void(f, path, KV_IFACE_POOL, "Refresh", g_variant_new("(u)", 0));
    g_assert_true(vb_wait_signal(f, path, KV_IFACE_POOL, "Refresh", NULL, NULL, VB_SIGNAL_TIMEOUT_MS));

    g_autoptr(GError) set = vb_set_property(f, path, KV_IFACE_POOL, "Autostart", g_variant_new_boolean(TRUE));
    g_assert_no_error(set);
    kv_wait_property(f, path, KV_IFACE_POOL, "Autostart", g_variant_new_boolean(TRUE));
}

static void
test_volumes(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *vol = create_volume(f, "vb-vol.img");
    g_assert_true(g_str_has_prefix(vol, VOL_PREFIX));

    g_autofree gchar *key = kv_get_string(f, vol, KV_IFACE_VOL, "Key");
    g_autofree gchar *name = kv_get_string(f, vol, KV_IFACE_VOL, "Name");
    g_autofree gchar *vpath = kv_get_string(f, vol, KV_IFACE_VOL, "Path");
    g_assert_cmpstr(name, ==, "vb-vol.img");
    g_assert_cmpstr(vpath, ==, "/default-pool/vb-vol.img");

    /* libvirt lists it, and finds it by key, path and name. */
    g_assert_true(kv_list_has(f, DEFAULT_POOL_PATH, KV_IFACE_POOL, "ListStorageVolumes", 0, vol));
    g_autofree gchar *by_key = kv_call_path(f, VB_TEST_PATH, VB_IFACE_CONNECT, "StorageVolLookupByKey",
                                            g_variant_new("(s)", key));
    g_autofree gchar *by_path = kv_call_path(f, VB_TEST_PATH, VB_IFACE_CONNECT, "StorageVolLookupByPath",
                                             g_variant_new("(s)", vpath));
    g_autofree gchar *by_name = kv_call_path(f, DEFAULT_POOL_PATH, KV_IFACE_POOL, "StorageVolLookupByName",
                                             g_variant_new("(s)", "vb-vol.img"));
    g_assert_cmpstr(by_key, ==, vol);
    g_assert_cmpstr(by_path, ==, vol);
    g_assert_cmpstr(by_name, ==, vol);
    g_autoptr(GVariant) managed = kv_managed(f, vol, KV_IFACE_VOL);
    g_assert_nonnull(managed);

    /* The test driver lacks virStorageVolGetInfoFlags (test-kinds-libvirtd
     * has it). */
    assert_call_error(f, vol, KV_IFACE_VOL, "GetInfo", g_variant_new("(u)", 0), VB_ERR_NO_SUPPORT);
    g_autofree gchar *xml = kv_call_string(f, vol, KV_IFACE_VOL, "GetXMLDesc", g_variant_new("(u)", 0));
    g_assert_nonnull(strstr(xml, "<name>vb-vol.img</name>"));

    /* A copy, from the volume's key. */
    g_autofree gchar *copy = kv_call_path(f, DEFAULT_POOL_PATH, KV_IFACE_POOL, "StorageVolCreateXMLFrom",
                                          g_variant_new("(ssu)",
                                                        "<volume><name>vb-copy.img</name>"
                                                        "<capacity unit='M'>16</capacity></volume>",
                                                        key, 0));
    kv_wait_object(f, copy, TRUE);
    g_assert_true(kv_list_has(f, DEFAULT_POOL_PATH, KV_IFACE_POOL, "ListStorageVolumes", 0, copy));
    assert_call_error(f, DEFAULT_POOL_PATH, KV_IFACE_POOL, "StorageVolCreateXMLFrom",
                      g_variant_new("(ssu)", vol_xml, "/no/such/key", 0), ERR_NO_VOL);

    /* Deleting answers after the object has left the bus. */
    kv_call_void(f, copy, KV_IFACE_VOL, "Delete", g_variant_new("(u)", 0));
    kv_wait_object(f, copy, FALSE);
    g_assert_false(kv_list_has(f, DEFAULT_POOL_PATH, KV_IFACE_POOL, "ListStorageVolumes", 0, copy));
    g_autoptr(GError) gone = vb_call_err(f, copy, KV_IFACE_VOL, "GetInfo", g_variant_new("(u)", 0));
    vb_assert_unknown_object(gone);
    assert_call_error(f, DEFAULT_POOL_PATH, KV_IFACE_POOL, "StorageVolLookupByName",
                      g_variant_new("(s)", "vb-copy.img"), ERR_NO_VOL);
}

static void
test_pool_volumes_follow(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *vol = create_volume(f, "vb-follow.img");

    /* An inactive pool lists no volumes: its volumes leave the bus. */
    kv_call_void(f, DEFAULT_POOL_PATH, KV_IFACE_POOL, "Destroy", NULL);
    kv_wait_lifecycle(f, VB_TEST_PATH, "StoragePoolEvent", DEFAULT_POOL_PATH, VIR_STORAGE_POOL_EVENT_STOPPED);
    kv_wait_property(f, DEFAULT_POOL_PATH, KV_IFACE_POOL, "Active", g_variant_new_boolean(FALSE));
    kv_wait_object(f, vol, FALSE);
    g_autoptr(GError) inactive = vb_call_err(f, DEFAULT_POOL_PATH, KV_IFACE_POOL, "ListStorageVolumes",
                                             g_variant_new("(u)", 0));
    vb_assert_error(inactive, VB_ERR_OPERATION_INVALID);

    kv_call_void(f, DEFAULT_POOL_PATH, KV_IFACE_POOL, "Build", g_variant_new("(u)", 0));
    kv_call_void(f, DEFAULT_POOL_PATH, KV_IFACE_POOL, "Create", g_variant_new("(u)", 0));
    kv_wait_lifecycle(f, VB_TEST_PATH, "StoragePoolEvent", DEFAULT_POOL_PATH, VIR_STORAGE_POOL_EVENT_STARTED);
    kv_wait_property(f, DEFAULT_POOL_PATH, KV_IFACE_POOL, "Active", g_variant_new_boolean(TRUE));
    assert_call_error(f, DEFAULT_POOL_PATH, KV_IFACE_POOL, "Create", g_variant_new("(u)", 0),
                      VB_ERR_OPERATION_INVALID);
}

static void
test_pool_define(VbFixture *f, gconstpointer data)
{
    const char *xml = "<pool type='dir'><name>vb-pool</name>"
                      "<uuid>22222222-3333-4444-5555-666666666666</uuid>"
                      "<target><path>/vb-pool</path></target></pool>";
    g_autofree gchar *path = kv_call_path(f, VB_TEST_PATH, VB_IFACE_CONNECT, "StoragePoolDefineXML",
                                          g_variant_new("(su)", xml, 0));
    g_assert_cmpstr(path, ==, VB_TEST_PATH "/storagepool/_22222222_3333_4444_5555_666666666666");
    kv_wait_object(f, path, TRUE);
    kv_wait_lifecycle(f, VB_TEST_PATH, "StoragePoolEvent", path, VIR_STORAGE_POOL_EVENT_DEFINED);
    g_assert_false(vb_get_bool(f, path, KV_IFACE_POOL, "Active"));
    g_assert_true(kv_list_has(f, VB_TEST_PATH, VB_IFACE_CONNECT, "ListStoragePools",
                              VIR_CONNECT_LIST_STORAGE_POOLS_INACTIVE, path));
    kv_call_void(f, path, KV_IFACE_POOL, "Create", g_variant_new("(u)", 0));
    kv_wait_property(f, path, KV_IFACE_POOL, "Active", g_variant_new_boolean(TRUE));
    kv_call_void(f, path, KV_IFACE_POOL, "Destroy", NULL);
    kv_wait_property(f, path, KV_IFACE_POOL, "Active", g_variant_new_boolean(FALSE));
    kv_call_void(f, path, KV_IFACE_POOL, "Delete", g_variant_new("(u)", 0));
    kv_call_void(f, path, KV_IFACE_POOL, "Undefine", NULL);
    kv_wait_lifecycle(f, VB_TEST_PATH, "StoragePoolEvent", path, VIR_STORAGE_POOL_EVENT_UNDEFINED);
    kv_wait_object(f, path, FALSE);
    assert_call_error(f, VB_TEST_PATH, VB_IFACE_CONNECT, "StoragePoolLookupByName",
                      g_variant_new("(s)", "vb-pool"), ERR_NO_POOL);

    /* A transient pool goes when it stops. */
    g_autofree gchar *t = kv_call_path(f, VB_TEST_PATH, VB_IFACE_CONNECT, "StoragePoolCreateXML",
                                       g_variant_new("(su)", xml, 0));
    kv_wait_lifecycle(f, VB_TEST_PATH, "StoragePoolEvent", t, VIR_STORAGE_POOL_EVENT_STARTED);
    g_assert_false(vb_get_bool(f, t, KV_IFACE_POOL, "Persistent"));
    kv_call_void(f, t, KV_IFACE_POOL, "Destroy", NULL);
    kv_wait_object(f, t, FALSE);
}

static void
test_find_pool_sources(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *xml = kv_call_string(f, VB_TEST_PATH, VB_IFACE_CONNECT, "FindStoragePoolSources",
                                           g_variant_new("(ssu)", "logical", "", 0));
    g_assert_nonnull(strstr(xml, "<sources>"));
}

/* ---- node devices -------------------------------------------------------------- */

static const char vhba_xml[] =
    "<device><parent>scsi_host1</parent><capability type='scsi_host'>"
    "<capability type='fc_host'><wwnn>2000000012341234</wwnn><wwpn>1000000012341234</wwpn>"
    "</capability></capability></device>";

static void
test_nodedev(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *computer = kv_call_path(f, VB_TEST_PATH, VB_IFACE_CONNECT, "NodeDeviceLookupByName",
                                              g_variant_new("(s)", "computer"));
    g_assert_cmpstr(computer, ==, VB_TEST_PATH "/nodedev/computer");
    g_autofree gchar *host1 = kv_call_path(f, VB_TEST_PATH, VB_IFACE_CONNECT, "NodeDeviceLookupByName",
                                           g_variant_new("(s)", "scsi_host1"));
    g_assert_cmpstr(host1, ==, VB_TEST_PATH "/nodedev/scsi_5fhost1");
    g_autofree gchar *parent = kv_get_string(f, host1, KV_IFACE_NODEDEV, "Parent");
    g_assert_cmpstr(parent, ==, "computer");
    g_assert_true(kv_list_has(f, VB_TEST_PATH, VB_IFACE_CONNECT, "ListNodeDevices", 0, host1));
    g_assert_true(kv_list_has(f, VB_TEST_PATH, VB_IFACE_CONNECT, "ListNodeDevices",
                              VIR_CONNECT_LIST_NODE_DEVICES_CAP_SCSI_HOST, host1));
    g_assert_false(kv_list_has(f, VB_TEST_PATH, VB_IFACE_CONNECT, "ListNodeDevices",
                               VIR_CONNECT_LIST_NODE_DEVICES_CAP_SCSI_HOST, computer));
    g_autoptr(GVariant) caps = vb_call_ok(f, host1, KV_IFACE_NODEDEV, "ListCaps", NULL, "(as)");
    g_autofree gchar *capstr = g_variant_print(caps, FALSE);
    g_assert_nonnull(strstr(capstr, "'scsi_host'"));
    g_autofree gchar *xml = kv_call_string(f, host1, KV_IFACE_NODEDEV, "GetXMLDesc", g_variant_new("(u)", 0));
    g_assert_nonnull(strstr(xml, "<name>scsi_host1</name>"));

    /* A virtual HBA: created, found by its WWNs, destroyed. */
    g_autofree gchar *dev = kv_call_path(f, VB_TEST_PATH, VB_IFACE_CONNECT, "NodeDeviceCreateXML",
                                         g_variant_new("(su)", vhba_xml, 0));
    kv_wait_object(f, dev, TRUE);
    kv_wait_lifecycle(f, VB_TEST_PATH, "NodeDeviceEvent", dev, VIR_NODE_DEVICE_EVENT_CREATED);
    g_autoptr(GVariant) managed = kv_managed(f, dev, KV_IFACE_NODEDEV);
    g_assert_nonnull(managed);
    /* The test driver cannot look it up by its WWNs; libvirt says so. */
    assert_call_error(f, VB_TEST_PATH, VB_IFACE_CONNECT, "NodeDeviceLookupSCSIHostByWWN",
                      g_variant_new("(ssu)", "2000000012341234", "1000000012341234", 0), VB_ERR_NO_SUPPORT);
    g_autofree gchar *dev_parent = kv_get_string(f, dev, KV_IFACE_NODEDEV, "Parent");
    g_assert_cmpstr(dev_parent, ==, "scsi_host1");

    kv_call_void(f, dev, KV_IFACE_NODEDEV, "Destroy", NULL);
    kv_wait_lifecycle(f, VB_TEST_PATH, "NodeDeviceEvent", dev, VIR_NODE_DEVICE_EVENT_DELETED);
    kv_wait_object(f, dev, FALSE);
    g_autofree gchar *dev_name = g_strdup(dev + strlen(VB_TEST_PATH "/nodedev/"));
    assert_call_error(f, VB_TEST_PATH, VB_IFACE_CONNECT, "NodeDeviceLookupByName", g_variant_new("(s)", dev_name),
                      ERR_NO_NODEDEV);
    /* PCI passthrough is not for the test driver. */
    assert_call_error(f, host1, KV_IFACE_NODEDEV, "Detach", g_variant_new("(su)", "", 0), VB_ERR_NO_SUPPORT);
    assert_call_error(f, host1, KV_IFACE_NODEDEV, "ReAttach", NULL, VB_ERR_NO_SUPPORT);
    assert_call_error(f, host1, KV_IFACE_NODEDEV, "Reset", NULL, VB_ERR_NO_SUPPORT);
}

/* ---- host interfaces ------------------------------------------------------------- */

static void
test_interfaces(VbFixture *f, gconstpointer data)
{
    g_autofree gchar *eth1 = kv_call_path(f, VB_TEST_PATH, VB_IFACE_CONNECT, "InterfaceLookupByName",
                                          g_variant_new("(s)", "eth1"));
    g_assert_cmpstr(eth1, ==, IFACE_PATH);
    g_autofree gchar *by_mac = kv_call_path(f, VB_TEST_PATH, VB_IFACE_CONNECT, "InterfaceLookupByMAC",
                                            g_variant_new("(s)", "aa:bb:cc:dd:ee:ff"));
    g_assert_cmpstr(by_mac, ==, eth1);
    g_assert_true(vb_get_bool(f, eth1, KV_IFACE_INTERFACE, "Active"));
    g_assert_true(kv_list_has(f, VB_TEST_PATH, VB_IFACE_CONNECT, "ListInterfaces",
                              VIR_CONNECT_LIST_INTERFACES_ACTIVE, eth1));

    /* Calls through virtbusd are announced although libvirt has no events
     * for host interfaces. */
    kv_call_void(f, eth1, KV_IFACE_INTERFACE, "Destroy", g_variant_new("(u)", 0));
    kv_wait_property(f, eth1, KV_IFACE_INTERFACE, "Active", g_variant_new_boolean(FALSE));
    g_assert_true(kv_list_has(f, VB_TEST_PATH, VB_IFACE_CONNECT, "ListInterfaces",
                              VIR_CONNECT_LIST_INTERFACES_INACTIVE, eth1));
    kv_call_void(f, eth1, KV_IFACE_INTERFACE, "Create", g_variant_new("(u)", 0));
    kv_wait_property(f, eth1, KV_IFACE_INTERFACE, "Active", g_variant_new_boolean(TRUE));

    const char *xml = "<interface type='ethernet' name='vbeth0'><start mode='onboot'/>"
                      "<mac address='aa:bb:cc:dd:ee:01'/><protocol family='ipv4'><dhcp/></protocol></interface>";
    kv_call_void(f, VB_TEST_PATH, VB_IFACE_CONNECT, "InterfaceChangeBegin", g_variant_new("(u)", 0));
    g_autofree gchar *path = kv_call_path(f, VB_TEST_PATH, VB_IFACE_CONNECT, "InterfaceDefineXML",
                                          g_variant_new("(su)", xml, 0));
    g_assert_cmpstr(path, ==, VB_TEST_PATH "/interface/aa_3abb_3acc_3add_3aee_3a01");
    kv_wait_object(f, path, TRUE);
    g_autofree gchar *name = kv_get_string(f, path, KV_IFACE_INTERFACE, "Name");
    g_autofree gchar *mac = kv_get_string(f, path, KV_IFACE_INTERFACE, "MAC");
    g_assert_cmpstr(name, ==, "vbeth0");
    g_assert_cmpstr(mac, ==, "aa:bb:cc:dd:ee:01");
    g_autofree gchar *desc = kv_call_string(f, path, KV_IFACE_INTERFACE, "GetXMLDesc", g_variant_new("(u)", 0));
    g_assert_nonnull(strstr(desc, "vbeth0"));
    g_autoptr(GVariant) managed = kv_managed(f, path, KV_IFACE_INTERFACE);
    g_assert_nonnull(managed);

    /* Rolling the transaction back takes the new interface away again. */
    kv_call_void(f, VB_TEST_PATH, VB_IFACE_CONNECT, "InterfaceChangeRollback", g_variant_new("(u)", 0));
    kv_wait_object(f, path, FALSE);
    assert_call_error(f, VB_TEST_PATH, VB_IFACE_CONNECT, "InterfaceLookupByName", g_variant_new("(s)", "vbeth0"),
                      ERR_NO_INTERFACE);

    /* Committed, a definition stays. */
    kv_call_void(f, VB_TEST_PATH, VB_IFACE_CONNECT, "InterfaceChangeBegin", g_variant_new("(u)", 0));
    g_autofree gchar *again = kv_call_path(f, VB_TEST_PATH, VB_IFACE_CONNECT, "InterfaceDefineXML",
                                           g_variant_new("(su)", xml, 0));
    kv_wait_object(f, again, TRUE);
    kv_call_void(f, VB_TEST_PATH, VB_IFACE_CONNECT, "InterfaceChangeCommit", g_variant_new("(u)", 0));
    g_autofree gchar *kept = kv_call_path(f, VB_TEST_PATH, VB_IFACE_CONNECT, "InterfaceLookupByName",
                                          g_variant_new("(s)", "vbeth0"));
    g_assert_cmpstr(kept, ==, again);
    assert_call_error(f, VB_TEST_PATH, VB_IFACE_CONNECT, "InterfaceChangeCommit", g_variant_new("(u)", 0),
                      VB_ERR_OPERATION_INVALID);
    kv_call_void(f, again, KV_IFACE_INTERFACE, "Undefine", NULL);
    kv_wait_object(f, again, FALSE);
    g_assert_false(kv_list_has(f, VB_TEST_PATH, VB_IFACE_CONNECT, "ListInterfaces", 0, again));
}

/* ---- what the test driver lacks, and bad input ------------------------------------ */

static void
test_unsupported_and_errors(VbFixture *f, gconstpointer data)
{
    /* Secrets and network filters: libvirt's own answer. */
    assert_call_error(f, VB_TEST_PATH, VB_IFACE_CONNECT, "ListSecrets", g_variant_new("(u)", 0), VB_ERR_NO_SUPPORT);
    assert_call_error(f, VB_TEST_PATH, VB_IFACE_CONNECT, "ListNWFilters", g_variant_new("(u)", 0),
                      VB_ERR_NO_SUPPORT);
    assert_call_error(f, VB_TEST_PATH, VB_IFACE_CONNECT, "SecretDefineXML",
                      g_variant_new("(su)", "<secret ephemeral='no' private='no'/>", 0), VB_ERR_NO_SUPPORT);

    /* Objects that do not exist. */
    assert_call_error(f, VB_TEST_PATH, VB_IFACE_CONNECT, "NetworkLookupByName", g_variant_new("(s)", "nosuch"),
                      ERR_NO_NETWORK);
    assert_call_error(f, VB_TEST_PATH, VB_IFACE_CONNECT, "StoragePoolLookupByUUID",
                      g_variant_new("(s)", "00000000-1111-2222-3333-444444444444"), ERR_NO_POOL);
    assert_call_error(f, VB_TEST_PATH, VB_IFACE_CONNECT, "StorageVolLookupByKey", g_variant_new("(s)", "/no/vol"),
                      ERR_NO_VOL);
    assert_call_error(f, VB_TEST_PATH, VB_IFACE_CONNECT, "NodeDeviceLookupByName", g_variant_new("(s)", "nosuch"),
                      ERR_NO_NODEDEV);
    assert_call_error(f, VB_TEST_PATH, VB_IFACE_CONNECT, "InterfaceLookupByMAC",
                      g_variant_new("(s)", "00:00:00:00:00:01"), ERR_NO_INTERFACE);
    /* The texts are the test driver's own: nothing is hidden from root, who
     * gets libvirt's words (callers from whom polkit hides objects get the
     * daemon's, the same for a hidden object as for a missing one). */
    static const struct {
        const char *method, *arg, *text;
    } texts[] = {
        { "NetworkLookupByName", "nosuch", "Network not found: no network with matching name 'nosuch'" },
        { "NetworkLookupByUUID", "00000000-1111-2222-3333-444444444444",
          "Network not found: no network with matching uuid '00000000-1111-2222-3333-444444444444'" },
        { "StoragePoolLookupByName", "nosuch", "Storage pool not found: no storage pool with matching name 'nosuch'" },
        { "StoragePoolLookupByUUID", "00000000-1111-2222-3333-444444444444",
          "Storage pool not found: no storage pool with matching uuid '00000000-1111-2222-3333-444444444444'" },
        { "StorageVolLookupByKey", "/no/vol", "Storage volume not found: no storage vol with matching key '/no/vol'" },
        { "StorageVolLookupByPath", "/no/vol",
          "Storage volume not found: no storage vol with matching path '/no/vol'" },
        { "NodeDeviceLookupByName", "nosuch", "Node device not found: no node device with matching name 'nosuch'" },
        { "InterfaceLookupByName", "nosuch", "Interface not found: no interface with matching name 'nosuch'" },
        { "InterfaceLookupByMAC", "00:00:00:00:00:01",
          "Interface not found: no interface with matching mac '00:00:00:00:00:01'" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(texts); i++) {
        g_autoptr(GError) e = vb_call_err(f, VB_TEST_PATH, VB_IFACE_CONNECT, texts[i].method,
                                          g_variant_new("(s)", texts[i].arg));
        g_autofree gchar *text = vb_error_text(e);
        g_assert_cmpstr(text, ==, texts[i].text);
    }
    const char *missing[] = {
        NET_PREFIX "_00000000_1111_2222_3333_444444444444",
        VB_TEST_PATH "/storagepool/_00000000_1111_2222_3333_444444444444",
        VOL_PREFIX "_2fno_2fvol",
        VB_TEST_PATH "/nodedev/nosuch",
        VB_TEST_PATH "/interface/nosuch",
        VB_TEST_PATH "/secret/_00000000_1111_2222_3333_444444444444",
        VB_TEST_PATH "/nwfilter/_00000000_1111_2222_3333_444444444444",
    };
    for (gsize i = 0; i < G_N_ELEMENTS(missing); i++) {
        g_autoptr(GError) e = vb_call_err(f, missing[i], VB_IFACE_PROPERTIES, "GetAll",
                                          g_variant_new("(s)", KV_IFACE_NETWORK));
        vb_assert_unknown_object(e);
    }

    /* Malformed XML changes nothing. */
    assert_call_error(f, VB_TEST_PATH, VB_IFACE_CONNECT, "NetworkDefineXML", g_variant_new("(s)", "<network>"),
                      VB_ERR_XML);
    assert_call_error(f, VB_TEST_PATH, VB_IFACE_CONNECT, "StoragePoolDefineXML",
                      g_variant_new("(su)", "<pool type='dir'><name>x</name>", 0), VB_ERR_XML);
    assert_call_error(f, DEFAULT_POOL_PATH, KV_IFACE_POOL, "StorageVolCreateXML",
                      g_variant_new("(su)", "<volume", 0), VB_ERR_XML);
    g_assert_false(kv_list_has(f, VB_TEST_PATH, VB_IFACE_CONNECT, "ListStoragePools",
                               VIR_CONNECT_LIST_STORAGE_POOLS_INACTIVE, VB_TEST_PATH "/storagepool/x"));
    /* Wrong argument types. */
    assert_call_error(f, DEFAULT_NET_PATH, KV_IFACE_NETWORK, "GetXMLDesc", g_variant_new("(s)", "0"),
                      VB_DBUS_INVALID_ARGS);
    g_autoptr(GError) ro = vb_set_property(f, DEFAULT_NET_PATH, KV_IFACE_NETWORK, "Name",
                                           g_variant_new_string("x"));
    g_assert_nonnull(ro);
    g_assert_true(vb_daemon_alive(f));
}

int
main(int argc, char **argv)
{
    vb_init(&argc, &argv);

    vb_add_virtbusd_only("/kinds/network/default", test_network_default);
    vb_add_virtbusd_only("/kinds/network/lifecycle", test_network_lifecycle);
    vb_add_virtbusd_only("/kinds/network/define", test_network_define);
    vb_add_virtbusd_only("/kinds/network/transient", test_network_transient);
    vb_add_virtbusd_only("/kinds/pool/default", test_pool_default);
    vb_add_virtbusd_only("/kinds/pool/volumes", test_volumes);
    vb_add_virtbusd_only("/kinds/pool/volumes-follow-pool", test_pool_volumes_follow);
    vb_add_virtbusd_only("/kinds/pool/define", test_pool_define);
    vb_add_virtbusd_only("/kinds/pool/find-sources", test_find_pool_sources);
    vb_add_virtbusd_only("/kinds/nodedev", test_nodedev);
    vb_add_virtbusd_only("/kinds/interfaces", test_interfaces);
    vb_add_virtbusd_only("/kinds/unsupported-and-errors", test_unsupported_and_errors);

    return vb_run();
}
