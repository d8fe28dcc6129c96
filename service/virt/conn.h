/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The libvirt connections: opening them (each attempt on a thread of its
 * own), keepalive and the close callback, reconnection with backoff, the
 * listing that fills a connection's space, and how libvirt's events change
 * it. Everything here runs on the loop thread except the tasks it hands to
 * the pool. It never calls into the bus code: the space's observers hear of
 * every change. */

#include <libvirt/libvirt.h>
#include <stdbool.h>
#include <systemd/sd-event.h>

#include "events.h"
#include "pool.h"
#include "space.h"

typedef enum ConnState {
        CONN_CONNECTING,
        CONN_UP,
        CONN_DOWN,
} ConnState;

typedef struct Manager Manager;
typedef struct ConnWaiter ConnWaiter;
typedef struct SettleWaiter SettleWaiter;

/* Indices of the Connect facts (model/kind.c lists them). */
enum {
        CONNECT_CONNECTED,
        CONNECT_ENCRYPTED,
        CONNECT_HOSTNAME,
        CONNECT_LIBVERSION,
        CONNECT_SECURE,
        CONNECT_VERSION,
};

struct Connection {
        Manager *manager;
        Space *space;
        char *uri;

        ConnState state;
        unsigned gen;           /* bumped on every (re)connection attempt */
        virConnectPtr vconn;    /* the loop thread's reference while up */
        bool first_done;        /* the first attempt has finished */
        bool ever_up;
        bool logged_down;
        bool polling;           /* the driver has no domain events: poll */
        uint64_t backoff_usec;
        sd_event_source *retry;
        sd_event_source *poll_timer;
        sd_event_source *refresh_timer; /* kinds without events, listed again now and then */
        bool events[KIND_MAX];  /* libvirt gives this connection events of the kind */
        bool refreshing[KIND_MAX];
        bool refresh_again[KIND_MAX]; /* asked for while a listing was under way */

        ConnWaiter *waiters;    /* calls waiting for the first attempt */
        sd_event_source *waiting_timer;
        EventItem *pending_head, *pending_tail; /* events that arrived while listing */
        EventItem *pool_head, *pool_tail;       /* pool events waiting for their volumes' listing */
        struct StrMap *unseen;  /* "<kind>/<key>" -> events of an object being read */
        struct StrMap *settling; /* domain key -> its events waiting for libvirt's state */
        SettleWaiter *settle_waiters;
        EventReg *regs;
        int nregs;
        struct Jobs *jobs;      /* its long operations (jobs.c) */
        bool installing;        /* a listing is being installed */
        sd_event_source *recheck_timer;
        bool rechecking;        /* a worker lists what libvirt still defines */
};

struct Manager {
        sd_event *loop;
        Pool *pool;
        Connection **conns;
        size_t nconns;
};

Manager *manager_new(sd_event *loop, unsigned threads);
Manager *manager_free(Manager *m);
Connection *manager_add_connection(Manager *m, const char *name, const char *uri);
/* Starts hearing of objects that calls publish (their events may be
 * waiting). After the bus adapters, whose signals come first. */
void manager_observe(Manager *m);
/* Starts every connection in the background. */
void manager_start(Manager *m);

/* Whether calls may go to libvirt: 1 now, 0 never (down), or -EAGAIN while
 * the first attempt is under way; then @cb follows once it ends or after a
 * bounded wait, with whether the connection came up. */
int conn_when_ready(Connection *c, void (*cb)(void *ud, bool up), void *ud);
/* Whether conn_when_ready() would make a caller wait now. */
bool conn_connecting(Connection *c);

/* Whether the table shows the effect of every lifecycle event of domain
 * @key relayed so far. If not (libvirt's state is being read back), returns
 * a waiter and calls @cb(@ud) once it does (or the connection is lost);
 * NULL means it does now. */
SettleWaiter *conn_when_settled(Connection *c, const char *key, void (*cb)(void *ud), void *ud);
void conn_settled_wait_cancel(Connection *c, SettleWaiter *w);

/* A new reference on the connection's libvirt connection, or NULL. */
virConnectPtr conn_ref_vconn(Connection *c);

/* Lists @kind again in the background and publishes the differences (kinds
 * without libvirt events are kept current this way). Asked for while a
 * listing of the kind is under way, it lists once more after that one. */
void conn_refresh(Connection *c, KindId kind);

/* How often a connection compares the inactive domains libvirt defines
 * with its table, for those that leave without an event (an offline
 * migration tells its source nothing). */
uint64_t conn_recheck_usec(void);

/* Reads object @key of @kind back from libvirt and publishes what it says,
 * removing it when libvirt no longer has it (domains; a no-op for other
 * kinds). */
void conn_reread(Connection *c, KindId kind, const char *key);
/* Whether libvirt announces changes of @kind on this connection with
 * events; if not, a call's reply publishes what its worker saw at once. */
bool conn_kind_has_events(Connection *c, KindId kind);
