/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A call in progress, shared by the files of the dispatcher (call.c, the
 * life of a call; access.c, its authorization; the rows' loop functions). */

#include "dispatch.h"
#include "strmap.h"

#define CALL_MAX_ARGS 8

typedef enum CallPhase {
        PHASE_RESOLVE,          /* the caller's uid */
        PHASE_VISIBILITY,       /* may the caller see the object? */
        PHASE_READY,            /* the connection's first attempt */
        PHASE_PRERESOLVE,       /* what polkit must know that only libvirt can say */
        PHASE_AUTHORIZE,
        PHASE_LIST,             /* which objects a list may show */
        PHASE_GATE,             /* the caller's earlier calls go first */
        PHASE_TURN,             /* the object's earlier changes go first */
        PHASE_RUN,
        PHASE_LOOKUP,           /* may the caller see what it found? */
        PHASE_DEFERRED,         /* waiting for the events that announce the change */
        PHASE_DONE,
} CallPhase;

typedef struct Ask Ask;
typedef struct Seen Seen;
typedef struct Gate Gate;
typedef struct Turn Turn;

struct Call {
        Call *next, *prev;              /* in the dispatcher's list of calls */
        Call *gate_next;                /* in the caller's gate */
        Call *turn_next;                /* in the object's turn queue */
        Call *deferred_next;
        Dispatcher *d;
        Connection *conn;
        Space *space;
        const Interface *iface;
        const Row *row;
        sd_bus_message *msg;
        const char *sender;
        uid_t uid;
        bool uid_known;
        bool counted;                   /* in its user's quota */
        CallPhase phase;
        uint64_t started_at;            /* the space's change count on arrival */

        /* The object acted on (not for Connect calls). */
        KindId kind;
        char *key;
        char *path;
        char *sub;
        bool has_target;
        Details details;                /* the object's, the XML's and the path's */

        Value in[CALL_MAX_ARGS];
        unsigned nin;
        int flags_arg;

        /* Authorization: one round of questions at a time. */
        Ask *asks;
        unsigned nasks;
        unsigned outstanding;
        AuthWaiter *resolving;
        int manage;                     /* -1 unknown, 0 no, 1 yes */
        int monitor;
        int round;
        Seen *seen;                     /* lists: what the caller may see */
        const char *list_object;        /* lists: the polkit object of the filter */
        dispatch_list_t list_write;
        void *list_ud;
        dispatch_cont_t visible_cont;
        void *visible_ud;
        /* Properties: the one read or set (NULL for GetAll). */
        char *property;
        bool reading_properties;        /* Get or GetAll: answered from the tables */
        bool args_parsed;

        unsigned fds_counted;           /* descriptors counted against the user */
        bool waiting_counted;           /* counted as waiting for a first connection */
        Gate *gate;
        bool gate_passed;
        Turn *turn;
        bool holds_turn;
        Task task;
        Work work;
        bool ran_on_worker;             /* not answered from the tables */
        bool on_pool;                   /* a worker has it: only the pool may end it */
        sd_event_source *deadline;
        char *not_found;                /* the text a lookup answers when hidden */

        /* The polkit object the target is judged as, when not its kind's
         * ("domain" for a job). */
        char *polkit_object;
        /* ROW_JOB_PERM: the permission of the job's operation. */
        Perm job_perm;
        /* Reads from the tables wait for the domain's events relayed so
         * far to be in them. */
        bool settle_checked;
        SettleWaiter *settle_wait;
        /* ROW_JOB: the job this call runs as while it runs. */
        struct Job *job;
        bool job_probed;
        bool job_long;                  /* the probe said this call is a long one */
};

/* dispatch/call.c */
void call_continue(Call *c);
/* The call waits (polkit, the connection): later calls of its caller queue
 * behind it. */
void call_waits(Call *c);
/* Replies with @error (or the libvirt error of the work) and ends the call. */
void call_fail(Call *c, const sd_bus_error *error);
void call_fail_errno(Call *c, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
Dispatcher *call_dispatcher(Call *c);
const DispatchOptions *dispatcher_options(Dispatcher *d);
Authority *dispatcher_authority(Dispatcher *d);
Manager *dispatcher_manager(Dispatcher *d);

/* dispatch/access.c: each calls call_continue() or call_fail() once done
 * (possibly before returning). */
void access_visibility(Call *c);
void access_authorize(Call *c);
void access_list(Call *c);
void access_lookup(Call *c);
void access_free(Call *c);
bool access_may_see(const Seen *seen, Space *s, const Obj *o);
/* Whether the caller may see every object (manage, monitor, root). */
bool access_sees_all(const Seen *seen);
/* Whether nothing is hidden from the caller of @c, as far as is known yet. */
bool access_call_sees_all(const Call *c);
/* Caller XML and host paths: checks and details, before authorization. */
int access_check_args(Call *c, sd_bus_error *error);
