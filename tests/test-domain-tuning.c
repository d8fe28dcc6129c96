/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.libvirt.Domain tuning on libvirt's test driver: block I/O, memory,
 * NUMA, scheduler, interface and disk throttling parameters, perf events and
 * the memory statistics period. Each change is checked with the matching Get
 * call and with the definition libvirt returns (GetXMLDesc), both of which
 * reach libvirt; bad parameters fail with libvirt's own error and change
 * nothing. Typed-parameter results keep libvirt-dbus's two variants. The
 * real cgroup-backed scheduler is tested on QEMU (test-domain-qemu). */
#include "harness.h"

#include <string.h>

#define VB_ERR_ARG_UNSUPPORTED VB_ERROR_PREFIX "ArgumentUnsupported"
#define TEST_DOMAIN_PATH "/org/libvirt/Test/domain/_6695eb01_f6a4_8304_79aa_97f2502e193f"

static GVariant *
dom_call(VbFixture *f, const char *method, GVariant *args, const char *reply_type)
{
    return vb_call_ok(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, method, args, reply_type);
}

static GError *
dom_err(VbFixture *f, const char *method, GVariant *args)
{
    return vb_call_err(f, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, method, args);
}

#define DOM_OK(f, method, args) \
    G_STMT_START { \
        g_autoptr(GVariant) r_ = dom_call((f), (method), (args), "()"); \
    } G_STMT_END

/* An a{sv} of typed parameters as the service returns it: each value in a
 * variant that holds a variant (libvirt-dbus's form). */
static GVariant *
get_params(VbFixture *f, const char *method, GVariant *args)
{
    g_autoptr(GVariant) r = dom_call(f, method, args, "(a{sv})");
    return g_variant_get_child_value(r, 0);
}

/* The value of parameter @name, unwrapped, asserting the double variant. */
static GVariant *
param(GVariant *params, const char *name)
{
    g_autoptr(GVariant) outer = g_variant_lookup_value(params, name, G_VARIANT_TYPE_VARIANT);
    if (!outer)
        g_error("no parameter %s in %s", name, g_variant_print(params, TRUE));
    return g_variant_get_variant(outer);
}

static guint64
param_u64(GVariant *params, const char *name)
{
    g_autoptr(GVariant) v = param(params, name);
    g_assert_cmpstr(g_variant_get_type_string(v), ==, "t");
    return g_variant_get_uint64(v);
}

static guint32
param_u32(GVariant *params, const char *name)
{
    g_autoptr(GVariant) v = param(params, name);
    g_assert_cmpstr(g_variant_get_type_string(v), ==, "u");
    return g_variant_get_uint32(v);
}

static gchar *
param_str(GVariant *params, const char *name)
{
    g_autoptr(GVariant) v = param(params, name);
    g_assert_cmpstr(g_variant_get_type_string(v), ==, "s");
    return g_variant_dup_string(v, NULL);
}

static gboolean
param_bool(GVariant *params, const char *name)
{
    g_autoptr(GVariant) v = param(params, name);
    g_assert_cmpstr(g_variant_get_type_string(v), ==, "b");
    return g_variant_get_boolean(v);
}

/* A one-entry a{sv} argument. */
static GVariant *
one_param(const char *name, GVariant *value)
{
    GVariantBuilder b;
    g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
    g_variant_builder_add(&b, "{sv}", name, value);
    return g_variant_builder_end(&b);
}

static gchar *
domain_xml(VbFixture *f, guint flags)
{
    g_autoptr(GVariant) r = dom_call(f, "GetXMLDesc", g_variant_new("(u)", flags), "(s)");
    gchar *xml = NULL;
    g_variant_get(r, "(s)", &xml);
    return xml;
}

#define assert_xml_has(f, needle) \
    G_STMT_START { \
        g_autofree gchar *x_ = domain_xml((f), 0); \
        if (!strstr(x_, (needle))) \
            g_error("the domain's XML lacks %s:\n%s", (needle), x_); \
    } G_STMT_END

#define assert_xml_lacks(f, needle) \
    G_STMT_START { \
        g_autofree gchar *x_ = domain_xml((f), 0); \
        if (strstr(x_, (needle))) \
            g_error("the domain's XML has %s:\n%s", (needle), x_); \
    } G_STMT_END

/* ---- block I/O ------------------------------------------------------------------ */

static void
test_blkio(VbFixture *f, gconstpointer data)
{
    g_autoptr(GVariant) before = get_params(f, "GetBlockIOParameters", g_variant_new("(u)", 0));
    g_assert_cmpuint(param_u32(before, "weight"), ==, 0);
    g_autofree gchar *dw = param_str(before, "device_weight");
    g_assert_cmpstr(dw, ==, "");

    DOM_OK(f, "SetBlockIOParameters",
           g_variant_new("(@a{sv}u)", one_param("weight", g_variant_new_uint32(500)), VIR_DOMAIN_AFFECT_LIVE));
    g_autoptr(GVariant) after = get_params(f, "GetBlockIOParameters", g_variant_new("(u)", 0));
    g_assert_cmpuint(param_u32(after, "weight"), ==, 500);
    assert_xml_has(f, "<weight>500</weight>");

    /* A value of the wrong type: libvirt refuses it, nothing changes. */
    g_autoptr(GError) e = dom_err(f, "SetBlockIOParameters",
                                  g_variant_new("(@a{sv}u)", one_param("weight", g_variant_new_string("9")), 0));
    vb_assert_error(e, VB_ERR_INVALID_ARG);
    g_autoptr(GVariant) again = get_params(f, "GetBlockIOParameters", g_variant_new("(u)", 0));
    g_assert_cmpuint(param_u32(again, "weight"), ==, 500);
}

/* ---- memory ------------------------------------------------------------------------ */

static void
test_memory(VbFixture *f, gconstpointer data)
{
    g_autoptr(GVariant) before = get_params(f, "GetMemoryParameters", g_variant_new("(u)", 0));
    /* "unlimited" is libvirt's VIR_DOMAIN_MEMORY_PARAM_UNLIMITED. */
    g_assert_cmpuint(param_u64(before, "hard_limit"), ==, VIR_DOMAIN_MEMORY_PARAM_UNLIMITED);

    DOM_OK(f, "SetMemoryParameters",
           g_variant_new("(@a{sv}u)", one_param("hard_limit", g_variant_new_uint64(1048576)), 0));
    g_autoptr(GVariant) after = get_params(f, "GetMemoryParameters", g_variant_new("(u)", 0));
    g_assert_cmpuint(param_u64(after, "hard_limit"), ==, 1048576);
    g_assert_cmpuint(param_u64(after, "soft_limit"), ==, VIR_DOMAIN_MEMORY_PARAM_UNLIMITED);
    assert_xml_has(f, "<hard_limit unit='KiB'>1048576</hard_limit>");

    g_autoptr(GError) e = dom_err(f, "SetMemoryParameters",
                                  g_variant_new("(@a{sv}u)", one_param("no_such_limit", g_variant_new_uint64(1)), 0));
    vb_assert_error(e, VB_ERR_ARG_UNSUPPORTED);
}

/* ---- NUMA ----------------------------------------------------------------------------- */

static void
test_numa(VbFixture *f, gconstpointer data)
{
    g_autoptr(GVariant) before = get_params(f, "GetNumaParameters", g_variant_new("(u)", 0));
    g_autoptr(GVariant) mode = param(before, "numa_mode");
    g_assert_cmpint(g_variant_get_int32(mode), ==, VIR_DOMAIN_NUMATUNE_MEM_STRICT);
    g_autofree gchar *nodes = param_str(before, "numa_nodeset");
    g_assert_cmpstr(nodes, ==, "");

    DOM_OK(f, "SetNumaParameters",
           g_variant_new("(@a{sv}u)", one_param("numa_nodeset", g_variant_new_string("0")), 0));
    g_autoptr(GVariant) after = get_params(f, "GetNumaParameters", g_variant_new("(u)", 0));
    g_autofree gchar *nodes_after = param_str(after, "numa_nodeset");
    g_assert_cmpstr(nodes_after, ==, "0");
    assert_xml_has(f, "<memory mode='strict' nodeset='0'/>");
}

/* ---- the scheduler ---------------------------------------------------------------------- */

static void
test_scheduler(VbFixture *f, gconstpointer data)
{
    /* libvirt 9.0's test driver refuses the VIR_TYPED_PARAM_STRING_OKAY
     * flag libvirt adds to every virDomainGetSchedulerParametersFlags()
     * call: its own error, whoever asks. */
    g_autoptr(GError) e = dom_err(f, "GetSchedulerParameters", g_variant_new("(u)", 0));
    vb_assert_error(e, VB_ERR_INVALID_ARG);
    g_autofree gchar *text = vb_error_text(e);
    g_assert_nonnull(strstr(text, "testDomainGetSchedulerParametersFlags"));

    /* Setting it reaches libvirt, which checks the parameters. */
    DOM_OK(f, "SetSchedulerParameters",
           g_variant_new("(@a{sv}u)", one_param("weight", g_variant_new_uint32(100)), 0));
    g_autoptr(GError) bad = dom_err(f, "SetSchedulerParameters",
                                    g_variant_new("(@a{sv}u)", one_param("weight", g_variant_new_string("x")), 0));
    vb_assert_error(bad, VB_ERR_INVALID_ARG);
    g_autoptr(GError) unknown = dom_err(f, "SetSchedulerParameters",
                                        g_variant_new("(@a{sv}u)", one_param("cap", g_variant_new_uint32(1)), 0));
    vb_assert_error(unknown, VB_ERR_ARG_UNSUPPORTED);
}

/* ---- interface bandwidth ------------------------------------------------------------------ */

static void
test_interface(VbFixture *f, gconstpointer data)
{
    GVariantBuilder b;

    g_autoptr(GVariant) before = get_params(f, "GetInterfaceParameters", g_variant_new("(su)", "testnet0", 0));
    g_assert_cmpuint(param_u32(before, "inbound.average"), ==, 0);

    g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
    g_variant_builder_add(&b, "{sv}", "inbound.average", g_variant_new_uint32(1000));
    g_variant_builder_add(&b, "{sv}", "inbound.peak", g_variant_new_uint32(2000));
    g_variant_builder_add(&b, "{sv}", "inbound.burst", g_variant_new_uint32(3000));
    DOM_OK(f, "SetInterfaceParameters", g_variant_new("(sa{sv}u)", "testnet0", &b, 0));
    g_autoptr(GVariant) after = get_params(f, "GetInterfaceParameters", g_variant_new("(su)", "testnet0", 0));
    g_assert_cmpuint(param_u32(after, "inbound.average"), ==, 1000);
    g_assert_cmpuint(param_u32(after, "inbound.peak"), ==, 2000);
    g_assert_cmpuint(param_u32(after, "inbound.burst"), ==, 3000);
    assert_xml_has(f, "<inbound average='1000' peak='2000' burst='3000'/>");

    g_autoptr(GError) e = dom_err(f, "GetInterfaceParameters", g_variant_new("(su)", "vnet99", 0));
    vb_assert_error(e, VB_ERR_INVALID_ARG);
    g_autoptr(GError) e2 = dom_err(f, "SetInterfaceParameters",
                                   g_variant_new("(s@a{sv}u)", "vnet99",
                                                 one_param("inbound.average", g_variant_new_uint32(1)), 0));
    vb_assert_error(e2, VB_ERR_INVALID_ARG);
}

/* ---- disk throttling ------------------------------------------------------------------------ */

static void
test_block_io_tune(VbFixture *f, gconstpointer data)
{
    GVariantBuilder b;

    g_autoptr(GVariant) before = get_params(f, "GetBlockIOTune", g_variant_new("(su)", "vda", 0));
    g_assert_cmpuint(param_u64(before, "total_bytes_sec"), ==, 0);
    g_autofree gchar *group = param_str(before, "group_name");
    g_assert_cmpstr(group, ==, "");

    /* The test driver wants a maximum no lower than the rate. */
    g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
    g_variant_builder_add(&b, "{sv}", "total_bytes_sec", g_variant_new_uint64(1000000));
    g_variant_builder_add(&b, "{sv}", "total_bytes_sec_max", g_variant_new_uint64(2000000));
    DOM_OK(f, "SetBlockIOTune", g_variant_new("(sa{sv}u)", "vda", &b, 0));
    g_autoptr(GVariant) after = get_params(f, "GetBlockIOTune", g_variant_new("(su)", "vda", 0));
    g_assert_cmpuint(param_u64(after, "total_bytes_sec"), ==, 1000000);
    g_assert_cmpuint(param_u64(after, "total_bytes_sec_max"), ==, 2000000);
    assert_xml_has(f, "<total_bytes_sec>1000000</total_bytes_sec>");

    /* A rate above its maximum: libvirt's error, nothing changes. */
    g_autoptr(GError) e = dom_err(f, "SetBlockIOTune",
                                  g_variant_new("(s@a{sv}u)", "vda",
                                                one_param("total_bytes_sec", g_variant_new_uint64(5000000)), 0));
    vb_assert_error(e, VB_ERR_INVALID_ARG);
    g_autoptr(GVariant) again = get_params(f, "GetBlockIOTune", g_variant_new("(su)", "vda", 0));
    g_assert_cmpuint(param_u64(again, "total_bytes_sec"), ==, 1000000);

    g_autoptr(GError) nodisk = dom_err(f, "GetBlockIOTune", g_variant_new("(su)", "vdz", 0));
    vb_assert_error(nodisk, VB_ERR_INVALID_ARG);
}

/* ---- perf events ------------------------------------------------------------------------------ */

static void
test_perf_events(VbFixture *f, gconstpointer data)
{
    g_autoptr(GVariant) before = get_params(f, "GetPerfEvents", g_variant_new("(u)", 0));
    g_assert_false(param_bool(before, "cpu_cycles"));
    assert_xml_lacks(f, "<perf>");

    DOM_OK(f, "SetPerfEvents",
           g_variant_new("(@a{sv}u)", one_param("cpu_cycles", g_variant_new_boolean(TRUE)), 0));
    g_autoptr(GVariant) after = get_params(f, "GetPerfEvents", g_variant_new("(u)", 0));
    g_assert_true(param_bool(after, "cpu_cycles"));
    g_assert_false(param_bool(after, "instructions"));
    assert_xml_has(f, "<event name='cpu_cycles' enabled='yes'/>");

    g_autoptr(GError) e = dom_err(f, "SetPerfEvents",
                                  g_variant_new("(@a{sv}u)", one_param("no_such_event", g_variant_new_boolean(TRUE)),
                                                0));
    vb_assert_error(e, VB_ERR_ARG_UNSUPPORTED);
}

/* ---- the balloon's statistics period ------------------------------------------------------------ */

static void
test_memory_stats_period(VbFixture *f, gconstpointer data)
{
    assert_xml_lacks(f, "<stats period=");
    DOM_OK(f, "SetMemoryStatsPeriod", g_variant_new("(iu)", 7, VIR_DOMAIN_AFFECT_LIVE));
    assert_xml_has(f, "<stats period='7'/>");

    /* Not a flag the call knows. */
    g_autoptr(GError) e = dom_err(f, "SetMemoryStatsPeriod", g_variant_new("(iu)", 3, 0x100));
    vb_assert_error(e, VB_ERR_INVALID_ARG);
    assert_xml_has(f, "<stats period='7'/>");
}

/* ---- the persistent definition ----------------------------------------------------------------- */

static void
test_config_only(VbFixture *f, gconstpointer data)
{
    /* VIR_DOMAIN_AFFECT_CONFIG changes the definition, not the running
     * domain: the inactive XML has it, the live one does not. */
    DOM_OK(f, "SetMemoryParameters",
           g_variant_new("(@a{sv}u)", one_param("soft_limit", g_variant_new_uint64(524288)),
                         VIR_DOMAIN_AFFECT_CONFIG));
    g_autoptr(GVariant) config = get_params(f, "GetMemoryParameters", g_variant_new("(u)", VIR_DOMAIN_AFFECT_CONFIG));
    g_assert_cmpuint(param_u64(config, "soft_limit"), ==, 524288);
    g_autoptr(GVariant) live = get_params(f, "GetMemoryParameters", g_variant_new("(u)", VIR_DOMAIN_AFFECT_LIVE));
    g_assert_cmpuint(param_u64(live, "soft_limit"), ==, VIR_DOMAIN_MEMORY_PARAM_UNLIMITED);
    g_autofree gchar *inactive = domain_xml(f, VIR_DOMAIN_XML_INACTIVE);
    g_assert_nonnull(strstr(inactive, "<soft_limit unit='KiB'>524288</soft_limit>"));
    assert_xml_lacks(f, "<soft_limit");
}

/* ---- arguments the service itself refuses ---------------------------------------------------------- */

static void
test_bad_params(VbFixture *f, gconstpointer data)
{
    GVariantBuilder b;

    /* A typed parameter can only be a number, a boolean or a string. */
    g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
    g_variant_builder_add(&b, "{sv}", "weight", g_variant_new("(uu)", 1, 2));
    g_autoptr(GError) e = dom_err(f, "SetBlockIOParameters", g_variant_new("(a{sv}u)", &b, 0));
    vb_assert_error(e, VB_DBUS_INVALID_ARGS);

    /* A name longer than libvirt's field. */
    g_autofree gchar *longname = g_strnfill(VIR_TYPED_PARAM_FIELD_LENGTH + 10, 'w');
    g_autoptr(GError) e2 = dom_err(f, "SetMemoryParameters",
                                   g_variant_new("(@a{sv}u)", one_param(longname, g_variant_new_uint64(1)), 0));
    vb_assert_error(e2, VB_DBUS_INVALID_ARGS);

    /* The wrong signature. */
    g_autoptr(GError) e3 = dom_err(f, "SetNumaParameters", g_variant_new("(u)", 0));
    vb_assert_error(e3, VB_DBUS_INVALID_ARGS);

    /* Nothing changed, and the service still answers. */
    g_autoptr(GVariant) blkio = get_params(f, "GetBlockIOParameters", g_variant_new("(u)", 0));
    g_assert_cmpuint(param_u32(blkio, "weight"), ==, 0);
    g_autoptr(GVariant) mem = get_params(f, "GetMemoryParameters", g_variant_new("(u)", 0));
    g_assert_cmpuint(param_u64(mem, "hard_limit"), ==, VIR_DOMAIN_MEMORY_PARAM_UNLIMITED);
    g_assert_true(vb_daemon_alive(f));
}

int
main(int argc, char **argv)
{
    vb_init(&argc, &argv);
    vb_add("/domain-tuning/blkio", test_blkio);
    vb_add("/domain-tuning/memory", test_memory);
    vb_add("/domain-tuning/numa", test_numa);
    vb_add("/domain-tuning/scheduler", test_scheduler);
    vb_add("/domain-tuning/interface", test_interface);
    vb_add("/domain-tuning/block-io-tune", test_block_io_tune);
    vb_add("/domain-tuning/perf-events", test_perf_events);
    vb_add("/domain-tuning/memory-stats-period", test_memory_stats_period);
    vb_add("/domain-tuning/config-only", test_config_only);
    vb_add_virtbusd_only("/domain-tuning/bad-params", test_bad_params);
    return vb_run();
}
