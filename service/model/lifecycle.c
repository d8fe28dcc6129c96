/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <libvirt/libvirt.h>

#include "lifecycle.h"

/* Networks and pools are defined (persistent) or not and active or not;
 * one that is neither no longer exists. */
static bool active_persistent(Value *f, unsigned active, unsigned persistent, unsigned autostart,
                              bool defined, bool undefined, bool started, bool stopped) {
        if (defined)
                f[persistent] = value_bool(true);
        if (undefined) {
                f[persistent] = value_bool(false);
                f[autostart] = value_bool(false);
        }
        if (started)
                f[active] = value_bool(true);
        if (stopped)
                f[active] = value_bool(false);
        return (undefined || stopped) && !f[active].b && !f[persistent].b;
}

bool network_apply_lifecycle(Value *f, int event, int detail, uint32_t id) {
        return active_persistent(f, NET_ACTIVE, NET_PERSISTENT, NET_AUTOSTART,
                                 event == VIR_NETWORK_EVENT_DEFINED, event == VIR_NETWORK_EVENT_UNDEFINED,
                                 event == VIR_NETWORK_EVENT_STARTED, event == VIR_NETWORK_EVENT_STOPPED);
}

bool pool_apply_lifecycle(Value *f, int event, int detail, uint32_t id) {
        /* CREATED and DELETED are about the pool's storage (Build and
         * Delete): the pool itself stays as it was. */
        return active_persistent(f, POOL_ACTIVE, POOL_PERSISTENT, POOL_AUTOSTART,
                                 event == VIR_STORAGE_POOL_EVENT_DEFINED,
                                 event == VIR_STORAGE_POOL_EVENT_UNDEFINED,
                                 event == VIR_STORAGE_POOL_EVENT_STARTED,
                                 event == VIR_STORAGE_POOL_EVENT_STOPPED);
}

bool nodedev_apply_lifecycle(Value *f, int event, int detail, uint32_t id) {
        /* A deleted device has left the host. (A defined mediated device
         * that stops stays listed by libvirt; the next listing of the
         * connection brings it back.) */
        return event == VIR_NODE_DEVICE_EVENT_DELETED;
}

bool secret_apply_lifecycle(Value *f, int event, int detail, uint32_t id) {
        return event == VIR_SECRET_EVENT_UNDEFINED;
}

bool domain_event_creates(int event) {
        return event != VIR_DOMAIN_EVENT_UNDEFINED && event != VIR_DOMAIN_EVENT_STOPPED;
}

bool network_event_creates(int event) {
        return event == VIR_NETWORK_EVENT_DEFINED || event == VIR_NETWORK_EVENT_STARTED;
}

bool pool_event_creates(int event) {
        return event == VIR_STORAGE_POOL_EVENT_DEFINED || event == VIR_STORAGE_POOL_EVENT_STARTED;
}

bool nodedev_event_creates(int event) {
        return event == VIR_NODE_DEVICE_EVENT_CREATED || event == VIR_NODE_DEVICE_EVENT_DEFINED;
}

bool secret_event_creates(int event) {
        return event == VIR_SECRET_EVENT_DEFINED;
}
