/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The domain model: what the daemon knows about each libvirt domain, kept
 * current from lifecycle events. Plain data, no D-Bus in here. */

#include <libvirt/libvirt.h>
#include <stdbool.h>
#include <stdint.h>

#include "paths.h"

/* libvirt-dbus shows inactive domains with Id 0 (active ids start at 1). */
#define DOMAIN_ID_NONE 0

typedef struct DomainInfo {
        char uuid[UUID_STRING_LEN + 1];
        char *name;
        uint32_t id;            /* DOMAIN_ID_NONE while inactive */
        int32_t state;          /* virDomainState */
        int32_t reason;         /* the matching vir*Reason */
        int active;             /* sd-bus reads "b" properties as int */
        int persistent;
        int autostart;
        int updated;
        char *os_type;
        char *sched_type;
        int32_t sched_nparams;
} DomainInfo;

/* One bit per property that can change, in the order of domain_prop_names. */
enum {
        DOMAIN_PROP_ACTIVE = 1u << 0,
        DOMAIN_PROP_AUTOSTART = 1u << 1,
        DOMAIN_PROP_ID = 1u << 2,
        DOMAIN_PROP_NAME = 1u << 3,
        DOMAIN_PROP_OSTYPE = 1u << 4,
        DOMAIN_PROP_PERSISTENT = 1u << 5,
        DOMAIN_PROP_SCHEDULER = 1u << 6,
        DOMAIN_PROP_UPDATED = 1u << 7,
        DOMAIN_PROP_STATE = 1u << 8,
        DOMAIN_PROP_REASON = 1u << 9,
        DOMAIN_PROP_COUNT = 10,
};
extern const char *const domain_prop_names[DOMAIN_PROP_COUNT];

void domain_info_clear(DomainInfo *info);
void domain_info_copy(DomainInfo *dst, const DomainInfo *src);

/* Reads every fact about @dom from libvirt. Blocking: workers only. */
int domain_info_fetch(virDomainPtr dom, DomainInfo *out);

/* Which properties differ between @a and @b, as DOMAIN_PROP_* bits. */
unsigned domain_info_diff(const DomainInfo *a, const DomainInfo *b);

/* Fills the names of the properties in @mask into @names (NULL-terminated,
 * at least DOMAIN_PROP_COUNT + 1 slots). */
void domain_prop_names_for(unsigned mask, const char **names);

/* Applies a lifecycle event to @info as libvirt would report the domain
 * afterwards. @id is the domain id carried by the event. Returns true when
 * the domain has ceased to exist (undefined while inactive, or a transient
 * domain that stopped). */
bool domain_apply_lifecycle(DomainInfo *info, int event, int detail, uint32_t id);

/* The state and reason a freshly seen domain has after @event. */
void domain_state_for_event(int event, int detail, int32_t *state, int32_t *reason);

/* A hash table of domains by UUID; entries are allocated by the caller with
 * the DomainInfo as their first member. */
typedef struct DomainTable DomainTable;
typedef struct DomainNode {
        DomainInfo info;        /* must stay first: bus vtables use offsets into it */
        struct DomainNode *hnext;
} DomainNode;

DomainTable *domain_table_new(void);
void domain_table_free(DomainTable *t, void (*free_node)(DomainNode *));
DomainNode *domain_table_get(DomainTable *t, const char *uuid);
void domain_table_put(DomainTable *t, DomainNode *n);
void domain_table_remove(DomainTable *t, DomainNode *n);
size_t domain_table_size(DomainTable *t);
/* Iteration: start with *cursor = 0 and NULL; returns NULL at the end. Only
 * valid while the table is not modified. */
DomainNode *domain_table_next(DomainTable *t, size_t *bucket, DomainNode *prev);
