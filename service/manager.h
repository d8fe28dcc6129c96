/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The manager: the libvirt connections, each with its domain table, their
 * (re)connection with backoff, and how libvirt events change the table.
 * Everything here runs on the loop thread. */

#include <libvirt/libvirt.h>
#include <stdbool.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "domain.h"
#include "events.h"
#include "jobs.h"

typedef struct Auth Auth;

typedef enum ConnState {
        CONN_CONNECTING,
        CONN_UP,
        CONN_DOWN,
} ConnState;

typedef struct Manager {
        sd_event *loop;
        sd_bus *bus;
        Pool *pool;
        Auth *auth;
        bool system_bus;
        Connection **conns;
        size_t nconns;
        unsigned jobs;          /* calls accepted and not answered yet */
        unsigned max_jobs;
} Manager;

typedef struct DomainEntry {
        DomainNode node;        /* first: property offsets point into node.info */
        Connection *conn;
        virDomainPtr dom;       /* reference handed to jobs */
        char *path;
        Job *queue_head, *queue_tail; /* JOB_CHANGE calls waiting for this domain */
        bool busy;
        bool announced;         /* InterfacesAdded has been sent */
        uint64_t last_event;    /* Connection.events when an event last changed it */
        uint64_t serial;        /* tells this entry from a later one with the same UUID */
} DomainEntry;

struct Connection {
        Manager *manager;
        char *name;             /* "Test" */
        char *uri;              /* "test:///default" */
        char *path;             /* "/org/libvirt/Test" */
        char *dom_prefix;       /* "/org/libvirt/Test/domain" */
        char *snap_prefix;      /* "/org/libvirt/Test/domainsnapshot" */

        ConnState state;
        unsigned gen;           /* bumped on every (re)connection attempt */
        virConnectPtr vconn;    /* the loop thread's reference while up */
        bool first_done;        /* the first attempt has finished */
        bool ever_up;           /* it has been connected at least once */
        uint64_t backoff_usec;
        sd_event_source *retry;
        bool logged_down;

        Job *waiting_head, *waiting_tail;       /* calls waiting for the first attempt */
        sd_event_source *waiting_timer;
        EventItem *pending_head, *pending_tail; /* events that arrived while listing */
        Job *deferred_head;                     /* replies waiting for the table to catch up */

        DomainTable *domains;
        struct StrMap *unseen;  /* UUID -> events of a domain being read */
        uint64_t events;        /* lifecycle events applied so far */
        uint64_t entries;       /* entries created so far */
        /* The last domains that went away, and when (in events): a worker's
         * older view must not bring them back. */
        struct {
                char uuid[UUID_STRING_LEN + 1];
                uint64_t at;
        } gone[64];
        unsigned gone_next;
        int *callback_ids;      /* libvirt event registrations, for closing */
        int ncallback_ids;

        /* Connect properties, fetched on connection. */
        char *hostname;
        char *driver;
        uint64_t lib_version;
        uint64_t version;
        int encrypted;
        int secure;
        int connected;
};

Manager *manager_new(sd_event *loop, sd_bus *bus, unsigned threads, bool system_bus);
Manager *manager_free(Manager *m);
int manager_add_connection(Manager *m, const char *name, const char *uri);
/* Starts every connection in the background. */
void manager_start(Manager *m);


DomainEntry *conn_domain_get(Connection *c, const char *uuid);
DomainEntry *conn_domain_by_path(Connection *c, const char *path);
/* Adds or refreshes a domain from facts read on a worker, emitting
 * InterfacesAdded or PropertiesChanged. Takes a new reference on @dom. */
DomainEntry *conn_domain_upsert(Connection *c, const DomainInfo *info, virDomainPtr dom);
/* Sends InterfacesRemoved, then forgets the domain. */
void conn_domain_remove(Connection *c, DomainEntry *e);
/* Emits PropertiesChanged for the properties in @mask. */
void conn_domain_changed(Connection *c, DomainEntry *e, unsigned mask);

/* Job plumbing on the loop thread (jobs.c has the worker side). */
int job_start(Job *j, sd_bus_error *error);
void job_authorized(Job *j, int r, const sd_bus_error *error);
/* Whether the domain @uuid went away after event count @since. */
bool conn_gone_since(Connection *c, const char *uuid, uint64_t since);

/* Finishes a job whose reply waits for the domain table (see manager.c). */
void conn_check_deferred(Connection *c, const char *uuid);
