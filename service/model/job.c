/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <libvirt/libvirt.h>

#include "job.h"
#include "util.h"

void job_stats_clear(JobStats *st) {
        free(st->error);
        *st = (JobStats) { .operation = -1 };
}

static Value details_value(const Details *d) {
        Value v = { 0 };
        Value *items = value_init_array(&v, "{ss}", d ? d->n : 0);

        for (unsigned i = 0; d && i < d->n; i++) {
                Value *e = value_init_struct(&items[i], 2);
                items[i].type = 'e';
                e[0] = value_str(d->d[i].key);
                e[1] = value_str(d->d[i].value);
        }
        return v;
}

void job_facts_init(Value *f, const char *operation, const char *object_path, int64_t uid, bool cancelable,
                    uint64_t start_usec, const char *polkit_object, const Details *details) {
        f[JOB_CANCELABLE] = value_bool(cancelable);
        f[JOB_DATA_PROCESSED] = value_u64(0);
        f[JOB_DATA_REMAINING] = value_u64(0);
        f[JOB_DATA_TOTAL] = value_u64(0);
        f[JOB_EXPECTED_END_TIME] = value_u64(0);
        f[JOB_OBJECT] = value_path(object_path);
        f[JOB_OPERATION] = value_str(operation);
        f[JOB_PROGRESS] = value_double(0);
        f[JOB_PROGRESS_VALID] = value_bool(false);
        f[JOB_RATE] = value_u64(0);
        f[JOB_STARTED_BY_UID] = value_i64(uid);
        f[JOB_START_TIME] = value_u64(start_usec);
        f[JOB_POLKIT_OBJECT] = value_str(polkit_object);
        f[JOB_DETAILS] = details_value(details);
}

static void set_progress(Value *f, double progress, uint64_t now_usec) {
        uint64_t start = f[JOB_START_TIME].t;

        if (progress < 0)
                progress = 0;
        if (progress > 1)
                progress = 1;
        f[JOB_PROGRESS] = value_double(progress);
        f[JOB_PROGRESS_VALID] = value_bool(true);
        /* A straight line through the start and now: libvirt's own
         * estimate (time remaining) exists only for bounded jobs, and the
         * byte rate is no guide where most pages are empty and cost next to
         * nothing. */
        if (progress >= 0.01 && now_usec > start)
                f[JOB_EXPECTED_END_TIME] = value_u64(start + (uint64_t) ((double) (now_usec - start) / progress));
        else
                f[JOB_EXPECTED_END_TIME] = value_u64(0);
}

void job_facts_apply_stats(Value *f, const JobStats *st, uint64_t now_usec) {
        if (st->has_data) {
                f[JOB_DATA_TOTAL] = value_u64(st->data_total);
                f[JOB_DATA_PROCESSED] = value_u64(st->data_processed);
                f[JOB_DATA_REMAINING] = value_u64(st->data_remaining);
                /* How much of the total is behind: libvirt counts what it
                 * has still to do, while "processed" counts bytes written,
                 * which for memory full of zeros is far less than the
                 * memory covered. */
                if (st->data_total > 0) {
                        uint64_t left = st->data_remaining < st->data_total ? st->data_remaining : st->data_total;
                        set_progress(f, (double) (st->data_total - left) / (double) st->data_total, now_usec);
                }
        }
        if (st->has_rate)
                f[JOB_RATE] = value_u64(st->rate);
        else if (st->has_data && st->time_elapsed_ms > 0)
                f[JOB_RATE] = value_u64(st->data_processed * 1000 / st->time_elapsed_ms);
}

void job_facts_apply_count(Value *f, uint64_t done, uint64_t total, uint64_t now_usec) {
        uint64_t start = f[JOB_START_TIME].t;

        f[JOB_DATA_TOTAL] = value_u64(total);
        f[JOB_DATA_PROCESSED] = value_u64(done);
        f[JOB_DATA_REMAINING] = value_u64(total > done ? total - done : 0);
        if (now_usec > start)
                f[JOB_RATE] = value_u64((uint64_t) ((double) done * 1e6 / (double) (now_usec - start)));
        if (total > 0)
                set_progress(f, (double) done / (double) total, now_usec);
}

const char *job_operation_name(int operation) {
        switch (operation) {
        case VIR_DOMAIN_JOB_OPERATION_START: return "start";
        case VIR_DOMAIN_JOB_OPERATION_SAVE: return "save";
        case VIR_DOMAIN_JOB_OPERATION_RESTORE: return "restore";
        case VIR_DOMAIN_JOB_OPERATION_MIGRATION_IN: return "migration-in";
        case VIR_DOMAIN_JOB_OPERATION_MIGRATION_OUT: return "migration-out";
        case VIR_DOMAIN_JOB_OPERATION_SNAPSHOT: return "snapshot";
        case VIR_DOMAIN_JOB_OPERATION_SNAPSHOT_REVERT: return "snapshot-revert";
        case VIR_DOMAIN_JOB_OPERATION_DUMP: return "dump";
        case VIR_DOMAIN_JOB_OPERATION_BACKUP: return "backup";
        case VIR_DOMAIN_JOB_OPERATION_SNAPSHOT_DELETE: return "snapshot-delete";
        default: return "unknown";
        }
}
