/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The bridge from libvirt's event thread to the loop thread. libvirt's
 * default event implementation runs on a thread of its own; its callbacks
 * copy what they need into an EventItem (the signal's arguments already as
 * Values), queue it and wake the loop through an eventfd. Nothing here
 * touches sd-bus. */

#include <libvirt/libvirt.h>
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "kind.h"
#include "value.h"

#define EVENT_CLOSED (-1)
#define EVENT_MAX_ARGS 5

typedef struct Connection Connection;

typedef struct EventItem {
        struct EventItem *next;
        Connection *conn;
        unsigned gen;                   /* connection generation the event belongs to */
        KindId kind;                    /* the kind of object it is about */
        int id;                         /* the kind's event id (VIR_DOMAIN_EVENT_ID_*...), or EVENT_CLOSED */
        void *handle;                   /* the object, referenced */
        char *key;
        char *name;
        uint32_t dom_id;
        bool lifecycle;                 /* a lifecycle event of its kind */
        bool relayed;                   /* its signal has gone out */
        bool vols_listed;               /* a pool's: its volumes listed again since */
        int event, detail;              /* lifecycle events; for EVENT_CLOSED, the reason */
        /* Other events are relayed as signal @member on the object's
         * interface with these arguments. */
        const char *member;
        Value args[EVENT_MAX_ARGS];
        unsigned nargs;
} EventItem;

/* A registration, for undoing it. */
typedef struct EventReg {
        KindId kind;
        int id;
} EventReg;

/* Registers libvirt's default event implementation and starts its thread.
 * Must run before any connection is opened. */
int events_start(sd_event *loop, void (*handler)(EventItem *ev, void *ud), void *ud);
void events_stop(void);

/* Registers the close callback and every event of every served kind on
 * @vc. Runs on a worker, before the first listing. Fails only when domain
 * lifecycle events cannot be had; a driver that lacks another kind's
 * events (or the kind) simply has none registered for it. */
int events_register(virConnectPtr vc, Connection *conn, unsigned gen, EventReg **regs, int *nregs);
/* Whether @regs has events of @kind. */
bool events_registered(const EventReg *regs, int nregs, KindId kind);
/* Undoes events_register(). Blocking: workers only. */
void events_unregister(virConnectPtr vc, const EventReg *regs, int nregs);

EventItem *event_item_free(EventItem *ev);
