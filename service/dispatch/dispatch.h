/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The life of a call: parse by the row's signature into values, decide
 * whether the caller may see the object, authorize every permission the
 * row names, wait for the object's turn, run on the pool (or answer from
 * the tables), publish what changed, reply. The bus adapters hand calls in;
 * nothing here calls back up except through the continuations they pass. */

#include <stdbool.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "authority.h"
#include "conn.h"
#include "methods.h"

typedef struct Dispatcher Dispatcher;

typedef struct DispatchOptions {
        bool authorize;                 /* ask polkit (the system bus) */
        unsigned max_calls;             /* calls in progress, all callers */
        unsigned max_calls_per_user;
        unsigned max_fds_per_user;      /* descriptors held by a user's calls */
        unsigned max_waiting_per_user;  /* calls waiting for a first connection */
        /* Directories below which callers other than root may name host
         * paths (save images, core dumps, copy targets). NULL-terminated. */
        char **host_path_dirs;
} DispatchOptions;

Dispatcher *dispatcher_new(sd_event *loop, sd_bus *bus, Manager *manager, Authority *auth,
                           const DispatchOptions *opts);
Dispatcher *dispatcher_free(Dispatcher *d);
/* Starts hearing of the spaces' changes, for replies that wait for them.
 * After the bus adapters: observers hear of a change in the order they
 * came, and a reply must leave after the signals. */
void dispatcher_observe(Dispatcher *d);

/* A method call @m of @row on @target (a table object, or the connection's
 * own object for Connect), @sub naming a snapshot of it for DomainSnapshot.
 * Returns 1 (the reply follows), or a negative errno with @error set. */
int dispatch_method(Dispatcher *d, Connection *c, const Interface *iface, const Row *row, Obj *target,
                    const char *sub, sd_bus_message *m, sd_bus_error *error);

/* Properties.Get (@name) and GetAll (@name NULL) on @target, answered from
 * the tables once authorized: Get wraps the value once, GetAll twice as
 * libvirt-dbus does. Set goes through the property's setter row. */
int dispatch_property_get(Dispatcher *d, Connection *c, const Interface *iface, Obj *target,
                          const char *name, sd_bus_message *m, sd_bus_error *error);
int dispatch_property_set(Dispatcher *d, Connection *c, const Interface *iface, Obj *target,
                          const char *name, sd_bus_message *m, sd_bus_error *error);

/* Decides whether the caller of @m may see @target before anything about
 * it is revealed; then @cont runs with @visible. The dispatcher itself
 * answers a hidden object exactly like a missing one, so @cont only runs
 * for visible ones. Returns 1. */
typedef void (*dispatch_cont_t)(void *ud, sd_bus_message *m);
int dispatch_when_visible(Dispatcher *d, Connection *c, Obj *target, sd_bus_message *m, dispatch_cont_t cont,
                          void *ud);

/* Whether the caller of @m may see every object, as far as is known now
 * without asking (root, no authorization, or manage or monitor granted).
 * false means only "not known now". */
bool dispatch_sees_all_now(Dispatcher *d, sd_bus_message *m);

/* Lists: learns which objects of every connection the caller may see
 * (getattr), then @cont writes the reply, asking dispatch_may_see(). The
 * verdicts stay with the call until it replies. */
typedef int (*dispatch_list_t)(void *ud, const void *seen, sd_bus_message *reply);
int dispatch_list(Dispatcher *d, sd_bus_message *m, const char *perm_object, dispatch_list_t write, void *ud,
                  sd_bus_error *error);
bool dispatch_may_see(const void *seen, Space *s, const Obj *o);

/* What the dispatcher holds now (for the test seam). */
typedef struct DispatchStats {
        unsigned calls;                 /* in progress */
        unsigned counted;               /* in progress, counted per user */
        unsigned fds;                   /* descriptors held, counted per user */
        unsigned waiting_ready;         /* waiting for a first connection, counted */
        unsigned gates;
        unsigned turns;
        unsigned pool_pending;          /* tasks queued or running on workers */
} DispatchStats;
void dispatcher_stats(Dispatcher *d, DispatchStats *st);

/* Every property of @iface on @o as an a{sv}, each value wrapped @wraps
 * times (GetAll answers with two, as libvirt-dbus does; the
 * ObjectManager with one, as D-Bus says). */
int dispatch_append_properties(sd_bus_message *m, const Interface *iface, const Obj *o, int wraps);

/* The error a missing (or hidden) object gets: the same text, always. */
int dispatch_unknown_object(sd_bus_error *error, const char *path);
