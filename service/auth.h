/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Authorization of callers through polkit (see docs/authorization.md). */

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "jobs.h"

typedef struct Manager Manager;
typedef struct Auth Auth;

Auth *auth_new(Manager *m);
Auth *auth_free(Auth *a);

/* Decides whether the caller of @j may do what @j does. Returns 1 when
 * allowed at once, 0 when polkit is asked (job_authorized() follows), or a
 * negative errno. */
int auth_check(Auth *a, Job *j);


typedef struct DomainEntry DomainEntry;

/* Whether the caller of @m may see (getattr) the domain @e, from cached
 * verdicts only: lists and object lookups never wait on polkit. */
bool auth_may_see(sd_bus_message *m, DomainEntry *e);
/* The same for list answers, which only include known-visible domains. */
bool auth_list_may_see(sd_bus_message *m, DomainEntry *e);
