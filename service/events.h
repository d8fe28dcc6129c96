/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The bridge from libvirt's event thread to the loop thread. libvirt's
 * default event implementation runs on a thread of its own; its callbacks
 * copy what they need into an EventItem, queue it and wake the loop through
 * an eventfd. Nothing here touches sd-bus. */

#include <libvirt/libvirt.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "paths.h"

#define EVENT_CLOSED (-1)

typedef struct Connection Connection;

typedef struct EventItem {
        struct EventItem *next;
        Connection *conn;
        unsigned gen;                   /* connection generation the event belongs to */
        int id;                         /* VIR_DOMAIN_EVENT_ID_*, or EVENT_CLOSED */
        virDomainPtr dom;               /* referenced */
        char uuid[UUID_STRING_LEN + 1];
        char *name;
        uint32_t dom_id;
        int i[4];
        int64_t x;
        char *s[6];
        char **strv;                    /* graphics identities: type, name, type, name... */
        virTypedParameterPtr params;
        int nparams;
} EventItem;

typedef struct EventOpaque {
        Connection *conn;
        unsigned gen;
} EventOpaque;

/* Registers libvirt's default event implementation and starts its thread.
 * Must run before any connection is opened. */
int events_start(sd_event *loop, void (*handler)(EventItem *ev, void *ud), void *ud);
void events_stop(void);

/* Registers the close callback and every domain event on @vc, all with the
 * same opaque. Runs on a worker, before the first listing. */
int events_register(virConnectPtr vc, Connection *conn, unsigned gen, int **ids, int *nids);
/* Undoes events_register(), so the connection can really close. Blocking:
 * workers only. */
void events_unregister(virConnectPtr vc, const int *ids, int nids);

EventItem *event_item_free(EventItem *ev);

/* Deep copies and frees for typed parameter arrays handed between threads. */
virTypedParameterPtr typed_params_copy(const virTypedParameter *params, int n);
void typed_params_free(virTypedParameterPtr params, int n);
