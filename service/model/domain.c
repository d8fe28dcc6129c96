/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <libvirt/libvirt.h>

#include "domain.h"
#include "util.h"

/* Lifecycle event details and state reasons are separate enums in libvirt;
 * these tables say which reason libvirt itself records for each detail. */
static int32_t started_reason(int detail) {
        switch (detail) {
        case VIR_DOMAIN_EVENT_STARTED_BOOTED: return VIR_DOMAIN_RUNNING_BOOTED;
        case VIR_DOMAIN_EVENT_STARTED_MIGRATED: return VIR_DOMAIN_RUNNING_MIGRATED;
        case VIR_DOMAIN_EVENT_STARTED_RESTORED: return VIR_DOMAIN_RUNNING_RESTORED;
        case VIR_DOMAIN_EVENT_STARTED_FROM_SNAPSHOT: return VIR_DOMAIN_RUNNING_FROM_SNAPSHOT;
        case VIR_DOMAIN_EVENT_STARTED_WAKEUP: return VIR_DOMAIN_RUNNING_WAKEUP;
        default: return VIR_DOMAIN_RUNNING_UNKNOWN;
        }
}

static int32_t resumed_reason(int detail) {
        switch (detail) {
        case VIR_DOMAIN_EVENT_RESUMED_UNPAUSED: return VIR_DOMAIN_RUNNING_UNPAUSED;
        case VIR_DOMAIN_EVENT_RESUMED_MIGRATED: return VIR_DOMAIN_RUNNING_MIGRATED;
        case VIR_DOMAIN_EVENT_RESUMED_FROM_SNAPSHOT: return VIR_DOMAIN_RUNNING_FROM_SNAPSHOT;
        case VIR_DOMAIN_EVENT_RESUMED_POSTCOPY: return VIR_DOMAIN_RUNNING_POSTCOPY;
        default: return VIR_DOMAIN_RUNNING_UNKNOWN;
        }
}

static int32_t suspended_reason(int detail) {
        switch (detail) {
        case VIR_DOMAIN_EVENT_SUSPENDED_PAUSED: return VIR_DOMAIN_PAUSED_USER;
        case VIR_DOMAIN_EVENT_SUSPENDED_MIGRATED: return VIR_DOMAIN_PAUSED_MIGRATION;
        case VIR_DOMAIN_EVENT_SUSPENDED_IOERROR: return VIR_DOMAIN_PAUSED_IOERROR;
        case VIR_DOMAIN_EVENT_SUSPENDED_WATCHDOG: return VIR_DOMAIN_PAUSED_WATCHDOG;
        case VIR_DOMAIN_EVENT_SUSPENDED_RESTORED: return VIR_DOMAIN_PAUSED_FROM_SNAPSHOT;
        case VIR_DOMAIN_EVENT_SUSPENDED_FROM_SNAPSHOT: return VIR_DOMAIN_PAUSED_FROM_SNAPSHOT;
        case VIR_DOMAIN_EVENT_SUSPENDED_API_ERROR: return VIR_DOMAIN_PAUSED_UNKNOWN;
        case VIR_DOMAIN_EVENT_SUSPENDED_POSTCOPY: return VIR_DOMAIN_PAUSED_POSTCOPY;
        case VIR_DOMAIN_EVENT_SUSPENDED_POSTCOPY_FAILED: return VIR_DOMAIN_PAUSED_POSTCOPY_FAILED;
        default: return VIR_DOMAIN_PAUSED_UNKNOWN;
        }
}

static int32_t stopped_reason(int detail) {
        switch (detail) {
        case VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN: return VIR_DOMAIN_SHUTOFF_SHUTDOWN;
        case VIR_DOMAIN_EVENT_STOPPED_DESTROYED: return VIR_DOMAIN_SHUTOFF_DESTROYED;
        case VIR_DOMAIN_EVENT_STOPPED_CRASHED: return VIR_DOMAIN_SHUTOFF_CRASHED;
        case VIR_DOMAIN_EVENT_STOPPED_MIGRATED: return VIR_DOMAIN_SHUTOFF_MIGRATED;
        case VIR_DOMAIN_EVENT_STOPPED_SAVED: return VIR_DOMAIN_SHUTOFF_SAVED;
        case VIR_DOMAIN_EVENT_STOPPED_FAILED: return VIR_DOMAIN_SHUTOFF_FAILED;
        case VIR_DOMAIN_EVENT_STOPPED_FROM_SNAPSHOT: return VIR_DOMAIN_SHUTOFF_FROM_SNAPSHOT;
        default: return VIR_DOMAIN_SHUTOFF_UNKNOWN;
        }
}

bool domain_state_for_event(int event, int detail, int32_t *state, int32_t *reason) {
        switch (event) {
        case VIR_DOMAIN_EVENT_STARTED:
                *state = VIR_DOMAIN_RUNNING;
                *reason = started_reason(detail);
                return true;
        case VIR_DOMAIN_EVENT_RESUMED:
                *state = VIR_DOMAIN_RUNNING;
                *reason = resumed_reason(detail);
                return true;
        case VIR_DOMAIN_EVENT_SUSPENDED:
                *state = VIR_DOMAIN_PAUSED;
                *reason = suspended_reason(detail);
                return true;
        case VIR_DOMAIN_EVENT_STOPPED:
                *state = VIR_DOMAIN_SHUTOFF;
                *reason = stopped_reason(detail);
                return true;
        case VIR_DOMAIN_EVENT_PMSUSPENDED:
                *state = VIR_DOMAIN_PMSUSPENDED;
                *reason = VIR_DOMAIN_PMSUSPENDED_UNKNOWN;
                return true;
        case VIR_DOMAIN_EVENT_CRASHED:
                *state = VIR_DOMAIN_CRASHED;
                *reason = detail == VIR_DOMAIN_EVENT_CRASHED_PANICKED
                        ? VIR_DOMAIN_CRASHED_PANICKED : VIR_DOMAIN_CRASHED_UNKNOWN;
                return true;
        default:
                /* DEFINED, UNDEFINED and SHUTDOWN leave the run state alone. */
                return false;
        }
}

static void set_state(Value *f, int event, int detail) {
        int32_t state, reason;

        if (domain_state_for_event(event, detail, &state, &reason)) {
                f[DOM_STATE] = value_i32(state);
                f[DOM_REASON] = value_i32(reason);
        }
}

bool domain_apply_lifecycle(Value *f, int event, int detail, uint32_t id) {
        switch (event) {
        case VIR_DOMAIN_EVENT_DEFINED:
                /* Defining a running domain's new config marks it updated. */
                if (f[DOM_ACTIVE].b && f[DOM_PERSISTENT].b && detail == VIR_DOMAIN_EVENT_DEFINED_UPDATED)
                        f[DOM_UPDATED] = value_bool(true);
                f[DOM_PERSISTENT] = value_bool(true);
                return false;
        case VIR_DOMAIN_EVENT_UNDEFINED:
                /* A rename undefines the old name and defines the new one
                 * under the same UUID: the object stays and changes Name. */
                if (detail == VIR_DOMAIN_EVENT_UNDEFINED_RENAMED)
                        return false;
                f[DOM_PERSISTENT] = value_bool(false);
                f[DOM_AUTOSTART] = value_bool(false);
                return !f[DOM_ACTIVE].b;
        case VIR_DOMAIN_EVENT_STOPPED:
                set_state(f, event, detail);
                f[DOM_ACTIVE] = value_bool(false);
                f[DOM_ID] = value_u32(DOMAIN_ID_NONE);
                f[DOM_UPDATED] = value_bool(false);
                return !f[DOM_PERSISTENT].b;
        case VIR_DOMAIN_EVENT_STARTED:
        case VIR_DOMAIN_EVENT_RESUMED:
        case VIR_DOMAIN_EVENT_SUSPENDED:
        case VIR_DOMAIN_EVENT_PMSUSPENDED:
        case VIR_DOMAIN_EVENT_CRASHED:
                set_state(f, event, detail);
                f[DOM_ACTIVE] = value_bool(true);
                if (id != DOMAIN_ID_NONE)
                        f[DOM_ID] = value_u32(id);
                return false;
        default:
                return false;
        }
}

bool domain_paused_for_job(int32_t state, int32_t reason) {
        if (state != VIR_DOMAIN_PAUSED)
                return false;
        switch (reason) {
        case VIR_DOMAIN_PAUSED_MIGRATION:
        case VIR_DOMAIN_PAUSED_SAVE:
        case VIR_DOMAIN_PAUSED_DUMP:
        case VIR_DOMAIN_PAUSED_SNAPSHOT:
        case VIR_DOMAIN_PAUSED_STARTING_UP:
        case VIR_DOMAIN_PAUSED_POSTCOPY:
                return true;
        default:
                return false;
        }
}
