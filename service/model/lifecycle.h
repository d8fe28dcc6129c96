/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The facts of the kinds other than domains, and how libvirt's lifecycle
 * events of each change them. Plain data: no D-Bus and no libvirt calls
 * (libvirt's headers only for its event numbers). */

#include <stdbool.h>
#include <stdint.h>

#include "kind.h"

/* Indices into each kind's facts, in the order of its fact list
 * (model/kind.c), which is libvirt-dbus's order of the properties. */
enum {
        NET_ACTIVE,
        NET_AUTOSTART,
        NET_NAME,
        NET_PERSISTENT,
        NET_UUID,
};

enum {
        POOL_ACTIVE,
        POOL_AUTOSTART,
        POOL_NAME,
        POOL_PERSISTENT,
        POOL_UUID,
};

enum {
        VOL_NAME,
        VOL_KEY,
        VOL_PATH,
        VOL_POOL_NAME,          /* hidden: polkit's pool_name */
        VOL_POOL_UUID,          /* hidden: polkit's pool_uuid, and which pool holds it */
};

enum {
        SECRET_UUID,
        SECRET_USAGE_ID,
        SECRET_USAGE_TYPE,
};

enum {
        DEV_NAME,
        DEV_PARENT,
};

enum {
        IFACE_ACTIVE,
        IFACE_MAC,
        IFACE_NAME,
};

enum {
        NWFILTER_NAME,
        NWFILTER_UUID,
};

/* Each applies a lifecycle event to an object's facts as libvirt would
 * report the object afterwards, and returns true when the object has
 * ceased to exist. @id is unused (domain events carry one). */
bool network_apply_lifecycle(Value *facts, int event, int detail, uint32_t id);
bool pool_apply_lifecycle(Value *facts, int event, int detail, uint32_t id);
bool nodedev_apply_lifecycle(Value *facts, int event, int detail, uint32_t id);
bool secret_apply_lifecycle(Value *facts, int event, int detail, uint32_t id);

/* Whether a lifecycle event about an object the table lacks means that it
 * exists now (it is then read and published). */
bool domain_event_creates(int event);
bool network_event_creates(int event);
bool pool_event_creates(int event);
bool nodedev_event_creates(int event);
bool secret_event_creates(int event);
