/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Long operations as objects. A job is published in its connection's
 * space (KIND_JOB, org.libvirt.Job) for as long as it runs: a call that
 * starts one (a save, a restore, a snapshot, a removal with storage...)
 * or one libvirt runs that virtbusd did not start (a "virsh save" behind
 * its back). While it runs, a timer has a worker read libvirt's job
 * statistics every POLL interval, so its progress is announced at most
 * four times a second; when it ends, Completed(success, message) goes
 * out, then the object goes.
 *
 * Jobs virtbusd did not start are found three ways: libvirt's events that
 * only a job sends (MIGRATION_ITERATION, JOB_COMPLETED) and a domain that
 * pauses (saves, dumps, snapshots and migrations without --live pause it
 * first) make a worker ask libvirt about that domain at once; the domains
 * that run are asked in turn, a few at a time, every SWEEP interval, for
 * the jobs that leave them running (live dumps, backups...); and when a
 * connection comes up, every paused domain is asked.
 *
 * Loop thread only, except JobHandle, which the job's workers share. */

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "conn.h"
#include "details.h"
#include "work.h"

/* What the workers of a job share with the loop thread. */
struct JobHandle {
        atomic_int refs;
        KindId kind;                    /* of what it acts on */
        char *key;                      /* that object's key */
        void *target;                   /* its libvirt object, referenced; NULL until there is one */
        char *operation;
        /* A block job's disk (as the call named it): libvirt runs it on
         * after the call returns, until its BLOCK_JOB event. */
        char *disk;
        bool cancelable;
        /* Set once before workers see it: the worker counts its own
         * progress (job_count()) instead of libvirt's job statistics. */
        bool counted;

        pthread_mutex_t lock;           /* guards what follows */
        bool cancel_requested;
        bool in_libvirt;                /* libvirt has been asked to do it */
        bool finished;                  /* over: Cancel must not reach a later job */
        uint64_t done, total;           /* counted progress */
};

JobHandle *job_handle_ref(JobHandle *h);
void job_handle_unref(JobHandle *h);

/* Workers. Just before the job's libvirt call: the test seam's barrier for
 * the operation, then whether Cancel came first; if it did, returns -1
 * with libvirt's "operation aborted" recorded in @w. */
int job_enter_libvirt(JobHandle *h, Work *w);
/* Workers of counted jobs: @done out of @total. */
void job_count(JobHandle *h, uint64_t done, uint64_t total);
/* The worker of Cancel. */
int job_cancel(JobHandle *h, Work *w);

typedef struct Job Job;
typedef struct Jobs Jobs;


/* What a call that starts a job says about it. */
typedef struct JobSpec {
        const char *operation;          /* "save", "restore", "undefine-with-storage"... */
        KindId kind;                    /* what it acts on */
        const char *key;
        int64_t uid;                    /* who started it, or JOB_UID_NONE */
        /* Cancel needs this permission: the call's own (NULL: what the
         * operation needs). */
        const char *perm_object, *perm;
        const Details *details;         /* what polkit is told about the object */
        uint64_t start_usec;            /* when it started (µs since the epoch), 0: now */
        const char *disk;               /* a block job's disk */
        bool external;                  /* libvirt runs it; virtbusd did not start it */
} JobSpec;

/* Publishes a job that starts now. */
Job *jobs_start(Connection *c, const JobSpec *spec);
/* Its handle, referenced, for the workers. */
JobHandle *job_get_handle(Job *j);
/* Ends it: Completed(@ok, @message), then it goes. */
void jobs_finish(Connection *c, Job *j, bool ok, const char *message);
/* The call that started block job @j returned successfully: the job goes
 * on in libvirt until its BLOCK_JOB event (which may have come already). */
void jobs_call_returned(Connection *c, Job *j);

/* The permission Cancel needs on job @key, or false when there is no such
 * job. */
bool jobs_cancel_perm(Connection *c, const char *key, const char **object, const char **perm);

/* Hooks for the connection. */
void jobs_connected(Connection *c);
void jobs_disconnected(Connection *c);
/* libvirt said something that may mean a job runs on domain @key. */
void jobs_hint(Connection *c, const char *key);
/* libvirt's JOB_COMPLETED event for domain @key. */
void jobs_completed_event(Connection *c, const char *key);
/* libvirt's BLOCK_JOB event for @disk of domain @key. */
void jobs_block_event(Connection *c, const char *key, const char *disk, int status);
/* An object entered the table: a job may already act on it. */
void jobs_object_added(Connection *c, Obj *o);
