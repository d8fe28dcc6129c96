/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers for the tests of the kinds of object other than domains
 * (networks, storage, secrets, node devices, host interfaces, filters):
 * calls that return object paths, waiting for the lifecycle signals of
 * org.libvirt.Connect, PropertiesChanged and the ObjectManager's signals,
 * and lists.
 */
#pragma once

#include "watch-util.h"

#define KV_IFACE_NETWORK "org.libvirt.Network"
#define KV_IFACE_POOL "org.libvirt.StoragePool"
#define KV_IFACE_VOL "org.libvirt.StorageVol"
#define KV_IFACE_SECRET "org.libvirt.Secret"
#define KV_IFACE_NODEDEV "org.libvirt.NodeDevice"
#define KV_IFACE_INTERFACE "org.libvirt.Interface"
#define KV_IFACE_NWFILTER "org.libvirt.NWFilter"

/* Calls @method, which returns one object path, and returns it. */
gchar *kv_call_path(VbFixture *f, const char *path, const char *iface, const char *method, GVariant *args);
/* Calls @method, which returns nothing, asserting success. */
void kv_call_void(VbFixture *f, const char *path, const char *iface, const char *method, GVariant *args);
/* Calls @method, which returns one string, and returns it. */
gchar *kv_call_string(VbFixture *f, const char *path, const char *iface, const char *method, GVariant *args);

/* Waits for the lifecycle signal @member (NetworkEvent, StoragePoolEvent...)
 * on the Connect object @connect_path about @object with @event, passing
 * over others about it; fails the test with the signals seen otherwise. */
void kv_wait_lifecycle(VbFixture *f, const char *connect_path, const char *member, const char *object,
                       gint event);
/* Waits for PropertiesChanged announcing @property = @value (floating,
 * consumed) for @iface on @path. */
void kv_wait_property(VbFixture *f, const char *path, const char *iface, const char *property, GVariant *value);
/* Waits for InterfacesAdded (@added) or InterfacesRemoved of @path. */
void kv_wait_object(VbFixture *f, const char *path, gboolean added);
/* Whether the ObjectManager announced @path added (or removed) within
 * @timeout_ms, without failing. */
gboolean kv_saw_object(VbFixture *f, const char *path, gboolean added, guint timeout_ms);

/* Whether list method @method (flags @flags) of @path/@iface names @object. */
gboolean kv_list_has(VbFixture *f, const char *path, const char *iface, const char *method, guint flags,
                     const char *object);
/* The a{sv} of @iface on @path as GetManagedObjects reports it (NULL when
 * absent); it is also asserted equal to what GetAll answers. */
GVariant *kv_managed(VbFixture *f, const char *path, const char *iface);
/* A string property. */
gchar *kv_get_string(VbFixture *f, const char *path, const char *iface, const char *name);
