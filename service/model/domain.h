/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The domain kind's facts and how libvirt's lifecycle events change them.
 * Plain data: no D-Bus and no libvirt calls. */

#include <stdbool.h>
#include <stdint.h>

#include "kind.h"

/* Indices into a domain's facts, in the order of the kind's fact list. */
enum {
        DOM_ACTIVE,
        DOM_AUTOSTART,
        DOM_ID,
        DOM_NAME,
        DOM_OSTYPE,
        DOM_PERSISTENT,
        DOM_SCHEDULER,
        DOM_STATE,
        DOM_REASON,
        DOM_UPDATED,
        DOM_UUID,
        DOM_JOB,        /* the path of its running job, unset ("/") when none */
        DOM_NFACTS
};

/* libvirt-dbus shows inactive domains with Id 0 (active ids start at 1). */
#define DOMAIN_ID_NONE 0

/* Applies a lifecycle event to a domain's facts as libvirt would report
 * the domain afterwards. @id is the domain id the event carries. Returns
 * true when the domain has ceased to exist (undefined while inactive, or a
 * transient domain that stopped). */
bool domain_apply_lifecycle(Value *facts, int event, int detail, uint32_t id);

/* The state and reason libvirt records after @event, when the event
 * decides them (DEFINED, UNDEFINED and SHUTDOWN do not). */
bool domain_state_for_event(int event, int detail, int32_t *state, int32_t *reason);

/* Whether libvirt pauses a domain in @state for @reason only while a job
 * runs on it (a save, dump, snapshot, migration, restore). */
bool domain_paused_for_job(int32_t state, int32_t reason);
