/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The worker pool. Handlers on the loop thread fill a Job with parsed
 * arguments and hand it over; a worker makes the libvirt calls and records
 * the result and libvirt's (thread-local) error; the loop thread gets the
 * job back through the done queue and an eventfd and builds the reply. */

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "domain.h"

typedef struct Job Job;
typedef struct Connection Connection;

/* Runs on a worker: only libvirt calls and plain memory in here. */
typedef void (*job_run_t)(Job *j);
/* Runs on the loop thread after success: appends the results to @reply. */
typedef int (*job_reply_t)(Job *j, sd_bus_message *reply);
/* Runs on the loop thread after success, before the reply, when the call
 * changed what the daemon publishes (a new domain, a renamed one...). */
typedef void (*job_apply_t)(Job *j);

typedef enum JobClass {
        JOB_QUERY,      /* reads; any worker */
        JOB_CHANGE,     /* changes a domain; one at a time per domain, and never all workers */
} JobClass;

struct Job {
        Job *next;

        /* Set by the handler on the loop thread. */
        Connection *conn;
        sd_bus_message *msg;            /* the call, referenced */
        JobClass klass;
        const char *object;             /* polkit object kind: "connect", "domain", "domain-snapshot" */
        const char *permission;         /* polkit permission, e.g. "start" */
        char uuid[UUID_STRING_LEN + 1]; /* the domain acted on, or "" */
        char *dom_name;                 /* its name, for polkit details */
        char *verb;                     /* polkit's "verb" when not the member called */
        char *xml_uuid;                 /* the <uuid> of caller XML, for polkit details */
        job_run_t run;
        job_reply_t reply;
        job_apply_t apply;

        /* Handed to the worker, referenced. */
        virConnectPtr vconn;
        virDomainPtr dom;

        /* Arguments. */
        char *s[3];
        uint32_t u[3];
        uint64_t t[2];
        int32_t i[2];
        char **strv;
        int *fds;
        unsigned nfds;
        void *arg;
        void (*arg_free)(void *);
        int (*flags_fn)(virDomainPtr dom, unsigned int flags);

        /* Results, written by the worker. */
        int r;                  /* < 0: failed, see err */
        virError err;
        char *out_s;
        uint64_t out_t;
        int64_t out_x;
        int32_t out_i[2];
        void *out;
        void (*out_free)(void *);
        char **out_strv;
        bool have_after;        /* after.* holds the domain as it was after the call */
        bool gone_after;        /* the domain no longer exists after the call */
        DomainInfo after;
        virDomainPtr out_dom;   /* a domain the call created or found */
        char *not_found;        /* libvirt's text for a domain the caller may not see */

        /* Loop-thread bookkeeping. */
        sd_event_source *deadline;
        bool started;
        bool holds_domain;      /* it holds its domain's one-change-at-a-time turn */
        uint64_t turn_serial;   /* of the entry whose turn it holds */
        uint64_t events_at_start; /* Connection.events when the call was accepted */
        bool any_state;         /* runs even while the connection is down */
        bool list_all;          /* the reply lists domains: learn what the caller may see first */
        unsigned auth_outstanding;
        bool auth_hidden;       /* the caller may not see the domain */
        bool auth_denied;
        bool auth_challenge;
        bool auth_failed;       /* polkit could not answer */
};

Job *job_new(Connection *c, sd_bus_message *m, JobClass klass, job_run_t run, job_reply_t reply);
Job *job_free(Job *j);

/* Worker-side helpers. */
void job_fail(Job *j);                       /* records libvirt's last error as the result */
void job_fail_msg(Job *j, int code, const char *msg);
void job_capture_after(Job *j, virDomainPtr dom); /* records the domain's facts, or that it is gone */

/* Test builds only: sleeps VIRTBUS_TEST_DELAY_MS before a long operation,
 * so tests can hold one in flight. A no-op otherwise. */
void test_delay(void);

typedef struct Pool Pool;

/* @threads workers; at most @threads - 1 of them run JOB_CHANGE jobs, so a
 * read always finds a worker even while slow operations fill the rest. */
Pool *pool_new(sd_event *loop, unsigned threads, void (*done)(Job *j, void *ud), void *ud);
void pool_submit(Pool *p, Job *j);
/* Runs @j on a thread of its own (for calls that may hang, like opening a
 * connection) and hands it back through the same done queue. */
void pool_run_dedicated(Pool *p, Job *j);
void pool_free(Pool *p);
