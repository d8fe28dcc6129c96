/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Test harness shared by every test program.
 *
 * Each test program gets one private system bus (a dbus-daemon started from a
 * generated configuration that mirrors the system bus's default-deny policy and
 * includes the project's bus policy file). Each test case gets a fresh service
 * process on that bus, serving libvirt's test:///default driver as
 * /org/libvirt/Test, and a fresh client connection that records the service's
 * signals.
 *
 * Environment:
 *   VIRTBUSD            full path of the virtbusd executable (required unless
 *                       VIRTBUS_REFERENCE=1).
 *   VIRTBUS_SRCDIR      source tree, for the interfaces/ XML files.
 *   VIRTBUS_BUS_POLICY  the project's bus policy file (org.libvirt.conf as the
 *                       build configures it), included by the private bus.
 *   VIRTBUS_REFERENCE=1 run the same tests against libvirt-dbus instead
 *                       (VIRTBUS_REFERENCE_DAEMON overrides its path). The only
 *                       accepted difference is libvirt-dbus's single error name
 *                       "org.libvirt.Error"; tests of virtbusd's extensions are
 *                       skipped.
 *   VIRTBUS_HAVE_DELAY_SEAM=1  the daemon was built with the test delay seam.
 */
#pragma once

#include <gio/gio.h>
#include <glib.h>
#include <libvirt/libvirt.h>

#define VB_BUS_NAME "org.libvirt"
#define VB_TEST_PATH "/org/libvirt/Test"
#define VB_IFACE_CONNECT "org.libvirt.Connect"
#define VB_IFACE_DOMAIN "org.libvirt.Domain"
#define VB_IFACE_SNAPSHOT "org.libvirt.DomainSnapshot"
#define VB_IFACE_PROPERTIES "org.freedesktop.DBus.Properties"

/* The domain libvirt's test:///default driver starts with. */
#define VB_TEST_DOMAIN_NAME "test"
#define VB_TEST_DOMAIN_UUID "6695eb01-f6a4-8304-79aa-97f2502e193f"

#define VB_ERROR_PREFIX "org.libvirt.Error."
#define VB_ERR_NO_DOMAIN VB_ERROR_PREFIX "NoDomain"
#define VB_ERR_NO_SUPPORT VB_ERROR_PREFIX "NoSupport"
#define VB_ERR_INTERNAL VB_ERROR_PREFIX "InternalError"
#define VB_ERR_OPERATION_INVALID VB_ERROR_PREFIX "OperationInvalid"
#define VB_ERR_INVALID_ARG VB_ERROR_PREFIX "InvalidArg"
#define VB_ERR_XML VB_ERROR_PREFIX "XmlError"
#define VB_ERR_NO_SNAPSHOT VB_ERROR_PREFIX "NoDomainSnapshot"
#define VB_ERR_NO_METADATA VB_ERROR_PREFIX "NoDomainMetadata"
#define VB_ERR_SYSTEM VB_ERROR_PREFIX "SystemError"
#define VB_DBUS_INVALID_ARGS "org.freedesktop.DBus.Error.InvalidArgs"
#define VB_DBUS_UNKNOWN_OBJECT "org.freedesktop.DBus.Error.UnknownObject"
#define VB_DBUS_UNKNOWN_METHOD "org.freedesktop.DBus.Error.UnknownMethod"

/* Per-call timeout used by the helpers. */
#define VB_CALL_TIMEOUT_MS 25000
/* How long to wait for a signal that an operation must produce. */
#define VB_SIGNAL_TIMEOUT_MS 5000

typedef struct {
    gchar *path;
    gchar *interface;
    gchar *member;
    GVariant *params;
    gboolean consumed;
    /* For PropertiesChanged: the properties already matched by a wait. */
    GHashTable *matched_properties;
} VbSignal;

/* Which service a fixture starts. */
typedef enum {
    VB_DAEMON_BY_MODE = 0, /* virtbusd, or libvirt-dbus with VIRTBUS_REFERENCE=1 */
    VB_DAEMON_VIRTBUSD,
    VB_DAEMON_REFERENCE,   /* libvirt-dbus */
} VbDaemon;

typedef struct {
    /* Extra command line arguments for virtbusd, NULL-terminated. */
    const char *const *extra_args;
    /* Extra environment entries "NAME=value" for the service, NULL-terminated;
     * "@TMPDIR@" in a value stands for the case's scratch directory. */
    const char *const *extra_env;
    VbDaemon daemon;
    /* A command that runs libvirt-dbus (given as its last arguments), e.g. to
     * enter a private libvirtd's namespaces, where qemu:///system is that
     * daemon: libvirt-dbus has no option for its URIs. NULL-terminated. */
    const char *const *reference_wrapper;
} VbDaemonOptions;

typedef struct {
    GDBusConnection *bus;
    GPid daemon_pid;
    /* Every signal from org.libvirt received since set-up, as VbSignal. */
    GPtrArray *signals;
    guint signal_sub;
    /* Scratch directory for save images and the like, removed at teardown. */
    gchar *tmpdir;
    /* How the service was started, for vb_restart_daemon(). */
    const VbDaemonOptions *opts;
} VbFixture;

/* Program start and end: g_test_init(), the private bus, then g_test_run(). */
void vb_init(int *argc, char ***argv);
int vb_run(void);

/* Runs @argv (searched in PATH) to its end; its output goes to @out and
 * @err when given, and is captured all the same otherwise (stdout carries
 * TAP). Whether it exited with status 0. */
gboolean vb_spawn(const char *const *argv, gchar **out, gchar **err);
/* The same, returning its output; with @must_succeed, a failure ends the
 * program with the command and what it printed. */
gchar *vb_command_output(const char *const *argv, gboolean must_succeed);
/* When the test runner interrupts the program (SIGTERM, SIGINT, SIGHUP),
 * runs @first and then @second (NULL-terminated argument lists, the latter
 * may be NULL) before dying of the signal, so that what the program started
 * (a private libvirtd and its guests) does not outlive it. The lists and
 * their strings must live as long as the program. */
void vb_cleanup_on_interrupt(const char *const *first, const char *const *second);

gboolean vb_reference_mode(void);
/* Whether a fixture started with @opts runs libvirt-dbus. */
gboolean vb_options_reference(const VbDaemonOptions *opts);
/* Removes a directory and everything below it (symbolic links not followed). */
void vb_remove_tree(const char *path);
gboolean vb_have_delay_seam(void);
const char *vb_bus_address(void);

/* Registers a test case with a fresh service. vb_add_virtbusd_only() registers
 * a case that tests an extension libvirt-dbus lacks: skipped in reference mode. */
typedef void (*VbTestFunc)(VbFixture *f, gconstpointer data);
void vb_add(const char *testpath, VbTestFunc func);
void vb_add_full(const char *testpath, const VbDaemonOptions *opts, VbTestFunc func);
void vb_add_virtbusd_only(const char *testpath, VbTestFunc func);
void vb_add_virtbusd_only_full(const char *testpath, const VbDaemonOptions *opts, VbTestFunc func);

void vb_fixture_setup(VbFixture *f, gconstpointer data);
void vb_fixture_teardown(VbFixture *f, gconstpointer data);

/* Stops the service (SIGTERM) and asserts it exits with status 0 within 2 s. */
void vb_stop_daemon(VbFixture *f);
/* Stops the service as vb_stop_daemon() does and starts a new one the same
 * way, waiting until it answers. */
void vb_restart_daemon(VbFixture *f);
/* Whether the service process is still alive. */
gboolean vb_daemon_alive(VbFixture *f);

/* Calls a method and returns its reply (type @reply_type unless NULL) or NULL
 * with @error set. @args is consumed if floating. */
GVariant *vb_call(VbFixture *f, const char *path, const char *iface, const char *method,
                  GVariant *args, const char *reply_type, GError **error);
/* Same, asserting success. */
GVariant *vb_call_ok(VbFixture *f, const char *path, const char *iface, const char *method,
                     GVariant *args, const char *reply_type);
/* Same, asserting failure; returns the error. */
GError *vb_call_err(VbFixture *f, const char *path, const char *iface, const char *method,
                    GVariant *args);

/* The D-Bus error name carried by @error (NULL if it has none). */
gchar *vb_error_name(const GError *error);
/* The error's message without the "GDBus.Error:name: " prefix. */
gchar *vb_error_text(const GError *error);

/* Asserts @error carries D-Bus error @name. In reference mode, libvirt-dbus's
 * single "org.libvirt.Error" is accepted for any org.libvirt.Error.* name. */
#define vb_assert_error(error, name) vb_assert_error_impl(__FILE__, __LINE__, (error), (name))
void vb_assert_error_impl(const char *file, int line, const GError *error, const char *name);
/* Asserts @error carries one of the names in the NULL-terminated list (with the
 * same reference-mode allowance). */
#define vb_assert_error_one_of(error, ...) \
    vb_assert_error_one_of_impl(__FILE__, __LINE__, (error), __VA_ARGS__, NULL)
void vb_assert_error_one_of_impl(const char *file, int line, const GError *error, ...) G_GNUC_NULL_TERMINATED;
/* Asserts @error is a libvirt error (org.libvirt.Error.*, named in virtbusd
 * mode, i.e. not the bare "org.libvirt.Error"). */
#define vb_assert_libvirt_error(error) vb_assert_libvirt_error_impl(__FILE__, __LINE__, (error))
void vb_assert_libvirt_error_impl(const char *file, int line, const GError *error);
/* Asserts @error says the object path names nothing: UnknownObject; in
 * reference mode libvirt-dbus's UnknownMethod or its org.libvirt.Error (it
 * looks a domain path up lazily) are accepted. */
#define vb_assert_unknown_object(error) vb_assert_unknown_object_impl(__FILE__, __LINE__, (error))
void vb_assert_unknown_object_impl(const char *file, int line, const GError *error);

/* Properties. vb_get_property() returns the unwrapped value and asserts the
 * reply of Properties.Get is exactly one variant deep. */
GVariant *vb_get_property(VbFixture *f, const char *path, const char *iface, const char *name);
GError *vb_set_property(VbFixture *f, const char *path, const char *iface, const char *name,
                        GVariant *value);
gboolean vb_get_bool(VbFixture *f, const char *path, const char *iface, const char *name);
gchar *vb_get_string(VbFixture *f, const char *path, const char *iface, const char *name);

/* Domains. */
gchar *vb_domain_xml(const char *name);
/* Defines a persistent domain from vb_domain_xml(@name) and returns its path. */
gchar *vb_define_domain(VbFixture *f, const char *name);
/* Defines and starts a domain, waiting for its STARTED event. */
gchar *vb_define_and_start(VbFixture *f, const char *name);
gchar *vb_domain_path(VbFixture *f, const char *name);
gchar **vb_list_domains(VbFixture *f, guint flags);
void vb_get_state(VbFixture *f, const char *domain_path, gint *state, gint *reason);
#define vb_assert_state(f, path, expected) \
    G_STMT_START { \
        gint vb_st_, vb_rs_; \
        vb_get_state((f), (path), &vb_st_, &vb_rs_); \
        g_assert_cmpint(vb_st_, ==, (expected)); \
    } G_STMT_END
#define vb_assert_state_reason(f, path, expected, expected_reason) \
    G_STMT_START { \
        gint vb_st_, vb_rs_; \
        vb_get_state((f), (path), &vb_st_, &vb_rs_); \
        g_assert_cmpint(vb_st_, ==, (expected)); \
        g_assert_cmpint(vb_rs_, ==, (expected_reason)); \
    } G_STMT_END
gchar *vb_get_xml(VbFixture *f, const char *domain_path);
/* A path under /org/libvirt/Test/domain that names no domain. */
#define VB_MISSING_DOMAIN_PATH "/org/libvirt/Test/domain/_00000000_1111_2222_3333_444444444444"

/* Signals. Recorded from set-up on; the wait helpers iterate the default main
 * context until the signal is there or @timeout_ms passed, and mark what they
 * return as consumed so each signal matches once. */
void vb_process_events(VbFixture *f);
void vb_signals_clear(VbFixture *f);
gboolean vb_wait_domain_event(VbFixture *f, const char *domain_path, gint event, gint detail,
                              guint timeout_ms);
#define vb_assert_domain_event(f, path, event, detail) \
    vb_assert_domain_event_impl(__FILE__, __LINE__, (f), (path), (event), (detail))
void vb_assert_domain_event_impl(const char *file, int line, VbFixture *f, const char *path,
                                 gint event, gint detail);
/* Waits for PropertiesChanged on @path for @iface announcing @property; returns
 * the announced value (NULL if it was only invalidated) through @value. */
gboolean vb_wait_property_changed(VbFixture *f, const char *path, const char *iface,
                                  const char *property, GVariant **value, guint timeout_ms);
/* Waits for signal @iface.@member emitted on @path whose first argument, if
 * @first_arg is not NULL, is that string or object path; returns its
 * parameters through @params. */
gboolean vb_wait_signal(VbFixture *f, const char *path, const char *iface, const char *member,
                        const char *first_arg, GVariant **params, guint timeout_ms);
/* Number of unconsumed DomainEvent signals for @domain_path. */
guint vb_count_domain_events(VbFixture *f, const char *domain_path);

/* Debug text: every recorded signal. */
gchar *vb_signals_describe(VbFixture *f);

/* Skips the running test in reference mode. */
#define VB_SKIP_IN_REFERENCE(why) \
    G_STMT_START { \
        if (vb_reference_mode()) { \
            g_test_skip(why); \
            return; \
        } \
    } G_STMT_END
