/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The job kind: a long operation in progress (a save, a restore, a
 * snapshot, a wipe...), published as org.libvirt.Job. Its facts are its
 * properties; how far it got comes from libvirt's job statistics, which
 * the libvirt side reads into a JobStats. Plain data: no D-Bus and no
 * libvirt calls. */

#include <stdbool.h>
#include <stdint.h>

#include "details.h"
#include "kind.h"

/* Indices into a job's facts, in the order of the kind's fact list. */
enum {
        JOB_CANCELABLE,
        JOB_DATA_PROCESSED,
        JOB_DATA_REMAINING,
        JOB_DATA_TOTAL,
        JOB_EXPECTED_END_TIME,
        JOB_OBJECT,
        JOB_OPERATION,
        JOB_PROGRESS,
        JOB_PROGRESS_VALID,
        JOB_RATE,
        JOB_STARTED_BY_UID,
        JOB_START_TIME,
        JOB_POLKIT_OBJECT,      /* hidden: the polkit object of what it acts on */
        JOB_DETAILS,            /* hidden: that object's polkit details, a{ss} */
        JOB_NFACTS
};

/* StartedByUID of a job virtbusd did not start (libvirt reported it). */
#define JOB_UID_NONE INT64_C(-1)

/* What libvirt's job statistics say, in the units libvirt uses. */
typedef struct JobStats {
        int type;                       /* virDomainJobType */
        int operation;                  /* virDomainJobOperation, -1 when not said */
        uint64_t time_elapsed_ms;
        bool has_data;
        uint64_t data_total, data_processed, data_remaining;
        bool has_rate;
        uint64_t rate;                  /* bytes per second */
        char *error;                    /* why it failed, when it did */
} JobStats;

void job_stats_clear(JobStats *st);

/* The facts of a job that starts now. @start_usec is the wall clock
 * (µs since the epoch) when it started. */
void job_facts_init(Value *facts, const char *operation, const char *object_path, int64_t uid,
                    bool cancelable, uint64_t start_usec, const char *polkit_object, const Details *details);

/* Brings the progress facts up to date with @st, read at @now_usec. */
void job_facts_apply_stats(Value *facts, const JobStats *st, uint64_t now_usec);

/* The same from a count of work done out of a total (virtbusd's own
 * jobs: bytes wiped...), read at @now_usec. */
void job_facts_apply_count(Value *facts, uint64_t done, uint64_t total, uint64_t now_usec);

/* libvirt's name of a job operation (virDomainJobOperation), as virsh
 * writes it lower-case: "save", "restore", "snapshot-revert"... */
const char *job_operation_name(int operation);
