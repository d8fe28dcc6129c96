/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.libvirt.Job: virtbusd's own interface. A job is a long operation
 * in progress (virt/jobs.c); it is seen by whoever may see the object it
 * acts on, and canceled by whoever may start its operation. */
#include "call.h"
#include "job.h"
#include "ops.h"

static const Row job_rows[] = {
        PROPERTY("Cancelable", JOB_CANCELABLE, "b"),
        PROPERTY("DataProcessed", JOB_DATA_PROCESSED, "t"),
        PROPERTY("DataRemaining", JOB_DATA_REMAINING, "t"),
        PROPERTY("DataTotal", JOB_DATA_TOTAL, "t"),
        PROPERTY("ExpectedEndTime", JOB_EXPECTED_END_TIME, "t"),
        PROPERTY("Object", JOB_OBJECT, "o"),
        PROPERTY("Operation", JOB_OPERATION, "s"),
        PROPERTY("Progress", JOB_PROGRESS, "d"),
        PROPERTY("ProgressValid", JOB_PROGRESS_VALID, "b"),
        PROPERTY("Rate", JOB_RATE, "t"),
        PROPERTY("StartTime", JOB_START_TIME, "t"),
        PROPERTY("StartedByUID", JOB_STARTED_BY_UID, "x"),

        /* Not a change: it must not wait behind the job it cancels. What
         * the job's operation took, and what libvirt asks of
         * virDomainAbortJob and virDomainBlockJobAbort (only domain jobs
         * can be canceled). */
        METHOD("Cancel", NO_ARGS, NO_RESULT, .flags = ROW_JOB_PERM, .perms = { PERM("domain", "write") },
               .run = op_job_cancel),

        SIGNAL("Completed", ARGS("b", success, "s", message)),
};

INTERFACE(job_interface, "org.libvirt.Job", KIND_JOB, .spec_getall = true, ROWS(job_rows));
