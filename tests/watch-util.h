/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers for the tests of what a client can watch: the object tree as
 * ObjectManager.GetManagedObjects reports it, the same tree as a GLib
 * GDBusObjectManagerClient caches it, and the exact order in which messages
 * reach a client connection.
 */
#pragma once

#include "harness.h"

#define VW_ROOT_PATH "/org/libvirt"
#define VW_IFACE_OBJECT_MANAGER "org.freedesktop.DBus.ObjectManager"

/* ---- object trees --------------------------------------------------------------- */

/* Calls GetManagedObjects on /org/libvirt and returns its a{oa{sa{sv}}} in
 * canonical form (see vw_canonical). Asserts every value is wrapped in exactly
 * one variant, as the D-Bus specification says. */
GVariant *vw_managed_objects(GDBusConnection *bus, gboolean libvirt_only);

/* A tree a{oa{sa{sv}}} with object paths, interface names and property names
 * sorted, so that two trees compare with g_variant_equal(). With
 * @libvirt_only, only the org.libvirt.* interfaces are kept. Consumes a
 * floating @tree. */
GVariant *vw_canonical(GVariant *tree, gboolean libvirt_only);

/* The tree a GDBusObjectManagerClient holds in its cache: every object and the
 * cached properties of each org.libvirt.* interface proxy, canonical. */
GVariant *vw_manager_tree(GDBusObjectManager *manager);

/* Human-readable differences between two canonical trees (empty if equal). */
gchar *vw_tree_diff(GVariant *expected, GVariant *actual);

/* The a{sv} of @iface on @path in a canonical tree, or NULL. */
GVariant *vw_tree_lookup(GVariant *tree, const char *path, const char *iface);

/* Creates a GDBusObjectManagerClient for org.libvirt at /org/libvirt on @bus. */
GDBusObjectManager *vw_manager_new(GDBusConnection *bus);

/* Iterates the default main context until the manager's cache equals @expected
 * (a canonical tree with libvirt interfaces only) or @timeout_ms passed; fails
 * the test with the differences in the latter case. */
void vw_assert_manager_matches(GDBusObjectManager *manager, GVariant *expected, guint timeout_ms);

/* Waits until the default main context has nothing left to do and no message
 * arrives for @quiet_ms. Used before asserting that something did NOT come. */
void vw_settle(guint quiet_ms);

/* ---- the order of messages on the wire ------------------------------------------ */

typedef struct {
    GDBusMessageType type;
    guint32 serial;
    guint32 reply_serial;
    gchar *path;
    gchar *interface;
    gchar *member;
    gchar *error_name;
    GVariant *body;
} VwWireMsg;

typedef struct VwWire VwWire;

/* Records every message @bus receives, in the order it reads them from the
 * socket (a connection filter, before any dispatching). */
VwWire *vw_wire_new(GDBusConnection *bus);
void vw_wire_free(VwWire *w);
/* Number of messages recorded so far and the one at @index (valid until
 * vw_wire_free). */
guint vw_wire_len(VwWire *w);
const VwWireMsg *vw_wire_get(VwWire *w, guint index);

/* Sends a method call to org.libvirt without waiting and returns its serial.
 * The reply is only recorded by the wire log (and @callback, if not NULL). */
guint32 vw_send_call(GDBusConnection *bus, const char *path, const char *iface, const char *method,
                     GVariant *args, GAsyncReadyCallback callback, gpointer user_data);

/* Waits (iterating the default main context) for the reply to @serial and
 * returns its index in the log; fails the test if none comes in time. */
guint vw_wire_wait_reply(VwWire *w, guint32 serial, guint timeout_ms);

/* Index of the first signal at or after @from that matches (NULL fields match
 * anything; @first_arg is compared with a leading string/object path
 * argument), or -1. */
gint vw_wire_find_signal(VwWire *w, guint from, const char *path, const char *iface,
                         const char *member, const char *first_arg);

/* Index of the first PropertiesChanged for @iface on @path at or after @from
 * that announces @property, or -1. */
gint vw_wire_find_property_changed(VwWire *w, guint from, const char *path, const char *iface,
                                   const char *property);

/* ---- PropertiesChanged bookkeeping ---------------------------------------------- */

/* Every property announced for @iface on @path by the recorded signals from
 * index @from of @f->signals on, as name -> list of values (GPtrArray of
 * GVariant, in order). */
GHashTable *vw_collect_changes(VbFixture *f, guint from, const char *path, const char *iface);
