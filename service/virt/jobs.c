/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <libvirt/virterror.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

#include "domain.h"
#include "job.h"
#include "jobs.h"
#include "log.h"
#include "objects.h"
#include "ops.h"
#include "pool.h"
#include "strmap.h"
#include "util.h"

/* Progress is read, and announced, at most this often per job. */
#define POLL_USEC (250 * 1000ULL)
/* Running domains are asked whether libvirt runs a job on them this
 * often, at most SWEEP_MAX of them each time: a host with a thousand
 * running domains costs a few calls a second, and a live job is found
 * within a few minutes at worst (a minute for up to 300 domains). */
#define SWEEP_USEC (10 * 1000 * 1000ULL)
#define SWEEP_MAX 50

struct Job {
        Job *next;
        Connection *conn;
        char *id;
        char *path;
        JobHandle *h;
        bool external;                  /* found, not started by virtbusd */
        const char *perm_object, *perm; /* what Cancel needs */
        sd_event_source *timer;
        bool reading;                   /* a worker reads its statistics */
        bool ended;                     /* finished while a reading was under way */
        bool returned;                  /* a block job whose call has returned */
        int block_status;               /* a block job's BLOCK_JOB event so far, or -1 */
};

struct Jobs {
        Job *list;
        uint64_t last_id;
        StrMap *asking;                 /* domain keys a worker is asking about */
        sd_event_source *sweep;
        bool sweeping;
        size_t sweep_from;              /* where the last sweep stopped */
};

/* ---- the handle workers share --------------------------------------------------- */

JobHandle *job_handle_ref(JobHandle *h) {
        if (h)
                atomic_fetch_add(&h->refs, 1);
        return h;
}

void job_handle_unref(JobHandle *h) {
        if (!h || atomic_fetch_sub(&h->refs, 1) > 1)
                return;
        if (h->target)
                virt_kind(h->kind)->unref(h->target);
        pthread_mutex_destroy(&h->lock);
        free(h->key);
        free(h->operation);
        free(h->disk);
        free(h);
}

/* The target's libvirt object, referenced (it may be set late: a restored
 * domain exists only once the restore has begun). */
static void *handle_target(JobHandle *h) {
        void *t;

        pthread_mutex_lock(&h->lock);
        t = h->target;
        if (t)
                virt_kind(h->kind)->ref(t);
        pthread_mutex_unlock(&h->lock);
        return t;
}

int job_enter_libvirt(JobHandle *h, Work *w) {
        bool canceled;

        test_barrier(h->operation);
        pthread_mutex_lock(&h->lock);
        canceled = h->cancel_requested;
        h->in_libvirt = !canceled;
        pthread_mutex_unlock(&h->lock);
        if (canceled) {
                /* libvirt's own words for a job aborted by its client. */
                work_fail_msg(w, VIR_ERR_OPERATION_ABORTED, "operation aborted: %s job: canceled by client",
                              h->operation);
                return -1;
        }
        return 0;
}

void job_count(JobHandle *h, uint64_t done, uint64_t total) {
        pthread_mutex_lock(&h->lock);
        h->done = done;
        h->total = total;
        pthread_mutex_unlock(&h->lock);
}

int job_cancel(JobHandle *h, Work *w) {
        bool entered;
        void *dom;
        int r;

        if (!h->cancelable || h->kind != KIND_DOMAIN) {
                work_fail_msg(w, VIR_ERR_OPERATION_UNSUPPORTED, "Operation not supported: a %s job cannot be canceled",
                              h->operation);
                return -1;
        }
        pthread_mutex_lock(&h->lock);
        if (h->finished) {
                pthread_mutex_unlock(&h->lock);
                /* libvirt would abort whatever job the domain runs now. */
                work_fail_msg(w, VIR_ERR_OPERATION_INVALID, "Requested operation is not valid: the %s job has ended",
                              h->operation);
                return -1;
        }
        h->cancel_requested = true;
        entered = h->in_libvirt;
        pthread_mutex_unlock(&h->lock);
        /* Not handed to libvirt yet: its worker stops before it is. */
        if (!entered)
                return 0;
        dom = handle_target(h);
        if (!dom) {
                work_fail_msg(w, VIR_ERR_NO_DOMAIN, "Domain not found: the job's domain is gone");
                return -1;
        }
        /* A block job is libvirt's per disk. */
        r = h->disk ? virDomainBlockJobAbort(dom, h->disk, 0) : virDomainAbortJob(dom);
        virDomainFree(dom);
        return r;
}

int op_job_cancel(Work *w) {
        return job_cancel(w->handle, w);
}

/* ---- what libvirt says about a domain's job (workers) ----------------------------- */

static void read_stats(virTypedParameterPtr p, int n, int type, JobStats *st) {
        unsigned long long total, processed, remaining, mem_bps = 0, disk_bps = 0, elapsed;
        const char *msg = NULL;
        int op;

        job_stats_clear(st);
        st->type = type;
        if (virTypedParamsGetInt(p, n, VIR_DOMAIN_JOB_OPERATION, &op) == 1)
                st->operation = op;
        if (virTypedParamsGetULLong(p, n, VIR_DOMAIN_JOB_TIME_ELAPSED, &elapsed) == 1)
                st->time_elapsed_ms = elapsed;
        if (virTypedParamsGetULLong(p, n, VIR_DOMAIN_JOB_DATA_TOTAL, &total) == 1 &&
            virTypedParamsGetULLong(p, n, VIR_DOMAIN_JOB_DATA_PROCESSED, &processed) == 1 &&
            virTypedParamsGetULLong(p, n, VIR_DOMAIN_JOB_DATA_REMAINING, &remaining) == 1) {
                st->has_data = true;
                st->data_total = total;
                st->data_processed = processed;
                st->data_remaining = remaining;
        }
        st->has_rate = virTypedParamsGetULLong(p, n, VIR_DOMAIN_JOB_MEMORY_BPS, &mem_bps) == 1;
        st->has_rate = (virTypedParamsGetULLong(p, n, VIR_DOMAIN_JOB_DISK_BPS, &disk_bps) == 1) || st->has_rate;
        st->rate = mem_bps + disk_bps;
        if (virTypedParamsGetString(p, n, VIR_DOMAIN_JOB_ERRMSG, &msg) == 1 && msg)
                st->error = xstrdup(msg);
        virResetLastError();
}

static bool job_running(int type) {
        return type == VIR_DOMAIN_JOB_BOUNDED || type == VIR_DOMAIN_JOB_UNBOUNDED;
}

/* Reads @dom's job statistics (the running job's, or with @completed the
 * last one's). A domain that is gone or not running has no job: type
 * NONE. Returns -1 only when libvirt could not be asked. */
static int get_stats(virDomainPtr dom, bool completed, JobStats *st) {
        virTypedParameterPtr params = NULL;
        int type = VIR_DOMAIN_JOB_NONE, n = 0;

        job_stats_clear(st);
        if (virDomainGetJobStats(dom, &type, &params, &n, completed ? VIR_DOMAIN_JOB_STATS_COMPLETED : 0) < 0) {
                virErrorPtr e = virGetLastError();
                int code = e ? e->code : VIR_ERR_INTERNAL_ERROR;
                virResetLastError();
                if (code == VIR_ERR_NO_DOMAIN || code == VIR_ERR_OPERATION_INVALID)
                        return 0;
                return -1;
        }
        read_stats(params, n, type, st);
        virTypedParamsFree(params, n);
        return 0;
}

static uint64_t now_realtime_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000;
}

/* ---- operations ------------------------------------------------------------------ */

/* What each operation needs to be canceled, whether it can be
 * (virDomainAbortJob refuses to abort starts, restores, incoming
 * migrations and reverts: virDomainDestroy ends those), and whether its
 * worker counts its progress itself. libvirt's operations, then
 * virtbusd's own. */
typedef struct Operation {
        const char *name, *perm;
        bool cancelable;
        bool counted;
} Operation;

static const Operation operations[] = {
        { "save", "hibernate", true, false },
        { "dump", "core-dump", true, false },
        { "migration-out", "migrate", true, false },
        { "snapshot", "snapshot", true, false },
        { "backup", "checkpoint", true, false },
        { "start", "start", false, false },
        { "restore", "start", false, false },
        { "migration-in", "migrate", false, false },
        { "snapshot-revert", "snapshot", false, false },
        { "snapshot-delete", "snapshot", false, false },
        /* Block jobs are aborted per disk. */
        { "block-pull", "block-write", true, false },
        { "block-copy", "block-write", true, false },
        { "block-commit", "block-write", true, false },
        { "block-rebase", "block-write", true, false },
        { "undefine-with-storage", "delete", false, true },
        /* libvirt can neither report nor stop these. */
        { "vol-wipe", "format", false, false },
        { "vol-copy", "create", false, false },
};

static const Operation *operation_get(const char *name) {
        /* One libvirt does not name: whoever may change the domain may ask
         * libvirt to abort it (libvirt's own rule for virDomainAbortJob). */
        static const Operation unknown = { "unknown", "write", true, false };

        for (size_t i = 0; i < ELEMENTSOF(operations); i++)
                if (streq(operations[i].name, name))
                        return &operations[i];
        return &unknown;
}

/* ---- the registry -------------------------------------------------------------- */

static Jobs *jobs_of(Connection *c) {
        if (!c->jobs) {
                c->jobs = xmalloc0(sizeof(Jobs));
                c->jobs->asking = strmap_new(NULL);
        }
        return c->jobs;
}

static Job *find_by_id(Jobs *js, const char *id) {
        for (Job *j = js->list; j; j = j->next)
                if (streq(j->id, id))
                        return j;
        return NULL;
}

static Job *find_by_target(Jobs *js, KindId kind, const char *key) {
        for (Job *j = js->list; j; j = j->next)
                if (j->h->kind == kind && streq(j->h->key, key))
                        return j;
        return NULL;
}

static void job_free(Job *j) {
        sd_event_source_disable_unref(j->timer);
        job_handle_unref(j->h);
        free(j->id);
        free(j->path);
        free(j);
}

/* The target's Job fact names a job that runs on it, or none. */
static void link_target(Connection *c, KindId kind, const char *key) {
        Space *s = c->space;
        Obj *o = space_get(s, kind, key);
        Job *j = find_by_target(jobs_of(c), kind, key);
        int i;

        if (!o || (i = kind_fact_index(o->kind, "Job")) < 0 || !(o->kind->facts[i].flags & FACT_LOCAL))
                return;
        space_set_fact(s, o, (unsigned) i, j ? value_path(j->path) : (Value) { 0 });
}

static bool start_reading(Job *j);

/* The next reading POLL_USEC from now: after the last one came back, so
 * however long libvirt took, announcements are at least that far apart. */
static void rearm(Job *j) {
        if (!j->timer)
                return;
        sd_event_source_set_time_relative(j->timer, POLL_USEC);
        sd_event_source_set_enabled(j->timer, SD_EVENT_ONESHOT);
}

static int on_poll_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Job *j = userdata;

        /* A reading under way re-arms the timer when it comes back. */
        if (!start_reading(j))
                rearm(j);
        return 0;
}

Job *jobs_start(Connection *c, const JobSpec *spec) {
        Jobs *js = jobs_of(c);
        Space *s = c->space;
        Obj *target = space_get(s, spec->kind, spec->key);
        Job *j = xmalloc0(sizeof(*j));
        JobHandle *h = xmalloc0(sizeof(*h));
        Value facts[MAX_FACTS] = { 0 };
        _cleanup_free_ char *object = space_path_for(s, spec->kind, spec->key);
        const Operation *op = operation_get(spec->operation);

        atomic_init(&h->refs, 1);
        h->kind = spec->kind;
        h->key = xstrdup(spec->key);
        h->operation = xstrdup(spec->operation);
        h->cancelable = op->cancelable;
        h->counted = op->counted;
        h->disk = spec->disk ? xstrdup(spec->disk) : NULL;
        pthread_mutex_init(&h->lock, NULL);
        if (target && target->handle) {
                virt_kind(spec->kind)->ref(target->handle);
                h->target = target->handle;
        }

        j->conn = c;
        j->block_status = -1;
        j->id = xasprintf("%" PRIu64, ++js->last_id);
        j->path = space_path_for(s, KIND_JOB, j->id);
        j->h = h;
        j->external = spec->external;
        j->perm_object = spec->perm_object ? spec->perm_object : kind_get(spec->kind)->name;
        j->perm = spec->perm ? spec->perm : op->perm;
        j->next = js->list;
        js->list = j;

        job_facts_init(facts, spec->operation, object, spec->uid, op->cancelable,
                       spec->start_usec ? spec->start_usec : now_realtime_usec(),
                       target ? obj_polkit_object(target) : kind_get(spec->kind)->name, spec->details);
        space_upsert(s, KIND_JOB, j->id, facts, job_handle_ref(h));
        facts_clear(kind_get(KIND_JOB), facts);
        link_target(c, spec->kind, spec->key);
        log_debug("Job %s: %s of %s started", j->path, spec->operation, object);

        if (sd_event_add_time_relative(c->manager->loop, &j->timer, CLOCK_MONOTONIC, POLL_USEC, 1000,
                                       on_poll_timer, j) < 0)
                log_warning("Cannot follow the progress of job %s", j->path);
        return j;
}

JobHandle *job_get_handle(Job *j) {
        return job_handle_ref(j->h);
}

static void unlink_job(Jobs *js, Job *j) {
        for (Job **p = &js->list; *p; p = &(*p)->next)
                if (*p == j) {
                        *p = j->next;
                        break;
                }
}

void jobs_finish(Connection *c, Job *j, bool ok, const char *message) {
        Jobs *js = jobs_of(c);
        Space *s = c->space;
        Value args[2] = { value_bool(ok), value_str(message) };
        Obj *o;

        log_debug("Job %s: %s %s%s%s", j->path, j->h->operation, ok ? "done" : "failed", message && *message ? ": " : "",
                  message ? message : "");
        /* Completed first: the object still exists when it is said how it
         * ended, and goes right after. */
        pthread_mutex_lock(&j->h->lock);
        j->h->finished = true;
        pthread_mutex_unlock(&j->h->lock);
        space_signal(s, j->path, "org.libvirt.Job", "Completed", args, 2);
        value_clear_many(args, 2);
        if ((o = space_get(s, KIND_JOB, j->id)))
                space_remove(s, o);
        unlink_job(js, j);
        link_target(c, j->h->kind, j->h->key);
        j->timer = sd_event_source_disable_unref(j->timer);
        if (j->reading)
                j->ended = true; /* the reading frees it */
        else
                job_free(j);
}

bool jobs_cancel_perm(Connection *c, const char *key, const char **object, const char **perm) {
        Job *j = find_by_id(jobs_of(c), key);

        if (!j)
                return false;
        *object = j->perm_object;
        *perm = j->perm;
        return true;
}

/* ---- reading a job's progress --------------------------------------------------- */

typedef struct ReadTask {
        Task task;
        Connection *conn;
        unsigned gen;
        Job *job;
        JobHandle *h;
        virConnectPtr vc;               /* closed on the worker */
        JobStats st;
        bool asked;                     /* libvirt answered */
        JobStats last;                  /* how a job that ended went */
        bool have_last;
} ReadTask;

static void *target_or_lookup(JobHandle *h, virConnectPtr vc) {
        void *t = handle_target(h);

        if (!t && vc && h->kind == KIND_DOMAIN)
                t = virDomainLookupByUUIDString(vc, h->key);
        virResetLastError();
        return t;
}

/* What libvirt says of a block job: how far it copied, of how much. */
static int get_block_stats(virDomainPtr dom, const char *disk, JobStats *st) {
        virDomainBlockJobInfo info = { 0 };
        int r = virDomainGetBlockJobInfo(dom, disk, &info, 0);

        job_stats_clear(st);
        virResetLastError();
        if (r < 0)
                return -1;
        st->type = r == 0 ? VIR_DOMAIN_JOB_NONE : VIR_DOMAIN_JOB_BOUNDED;
        st->has_data = r > 0 && info.end > 0;
        st->data_total = info.end;
        st->data_processed = info.cur;
        st->data_remaining = info.end > info.cur ? info.end - info.cur : 0;
        return 0;
}

static void read_job(ReadTask *rt) {
        virDomainPtr dom = target_or_lookup(rt->h, rt->vc);

        if (!dom)
                return;
        if (rt->h->disk) {
                rt->asked = get_block_stats(dom, rt->h->disk, &rt->st) == 0;
                virDomainFree(dom);
                return;
        }
        rt->asked = get_stats(dom, false, &rt->st) == 0;
        if (rt->asked && !job_running(rt->st.type))
                rt->have_last = get_stats(dom, true, &rt->last) == 0;
        virDomainFree(dom);
}

static void run_read(Task *t) {
        ReadTask *rt = (ReadTask *) t;

        read_job(rt);
        /* Here, not on the loop thread: the last reference of a connection
         * that went meanwhile closes it, which talks to libvirtd. */
        if (rt->vc)
                virConnectClose(TAKE_PTR(rt->vc));
}

static void publish_facts(Connection *c, Job *j, const JobStats *st) {
        Space *s = c->space;
        Obj *o = space_get(s, KIND_JOB, j->id);
        Value facts[MAX_FACTS] = { 0 };
        uint64_t now = now_realtime_usec();

        if (!o)
                return;
        facts_copy(o->kind, facts, o->facts);
        if (st)
                job_facts_apply_stats(facts, st, now);
        else {
                uint64_t done, total;
                pthread_mutex_lock(&j->h->lock);
                done = j->h->done;
                total = j->h->total;
                pthread_mutex_unlock(&j->h->lock);
                job_facts_apply_count(facts, done, total, now);
        }
        /* Announces only what changed. */
        space_upsert(s, KIND_JOB, j->id, facts, NULL);
        facts_clear(o->kind, facts);
}

/* How a job virtbusd did not start ended, from the last job's statistics. */
static void finish_external(Connection *c, Job *j, const ReadTask *rt) {
        if (rt->have_last && rt->last.type == VIR_DOMAIN_JOB_COMPLETED)
                return jobs_finish(c, j, true, "");
        if (rt->have_last && rt->last.type == VIR_DOMAIN_JOB_CANCELLED)
                return jobs_finish(c, j, false, rt->last.error ? rt->last.error : "The job was canceled");
        if (rt->have_last && rt->last.type == VIR_DOMAIN_JOB_FAILED)
                return jobs_finish(c, j, false, rt->last.error ? rt->last.error : "The job failed");
        jobs_finish(c, j, false, "libvirt no longer reports the job, nor how it ended");
}

static void read_done(Task *t) {
        ReadTask *rt = (ReadTask *) t;
        Connection *c = rt->conn;
        Job *j = rt->job;

        j->reading = false;
        if (j->ended)
                job_free(j);
        else if (rt->gen == c->gen && rt->asked && !job_running(rt->st.type) && j->external)
                finish_external(c, j, rt); /* frees j */
        else if (rt->gen == c->gen && rt->asked && !job_running(rt->st.type) && j->h->disk && j->returned)
                /* Its event named the disk otherwise (a path for a
                 * target): libvirt's word that it is over. */
                jobs_finish(c, j, true, ""); /* frees j */
        else {
                if (rt->gen == c->gen && rt->asked && job_running(rt->st.type))
                        publish_facts(c, j, &rt->st);
                rearm(j);
        }
        job_stats_clear(&rt->st);
        job_stats_clear(&rt->last);
        job_handle_unref(rt->h);
        free(rt);
}

/* Returns whether a reading went to a worker. */
static bool start_reading(Job *j) {
        Connection *c = j->conn;
        ReadTask *rt;

        if (c->state != CONN_UP)
                return false;
        if (j->h->counted) {
                /* Its worker counts: nothing to ask libvirt. */
                publish_facts(c, j, NULL);
                return false;
        }
        if (j->reading || j->h->kind != KIND_DOMAIN)
                return false;
        rt = xmalloc0(sizeof(*rt));
        rt->task.run = run_read;
        rt->task.done = read_done;
        rt->conn = c;
        rt->gen = c->gen;
        rt->job = j;
        rt->h = job_handle_ref(j->h);
        rt->vc = conn_ref_vconn(c);
        job_stats_clear(&rt->st);
        job_stats_clear(&rt->last);
        j->reading = true;
        pool_submit(c->manager->pool, &rt->task);
        return true;
}

/* ---- finding the jobs virtbusd did not start -------------------------------------- */

/* Asks libvirt about the jobs of a few domains on one worker. */
typedef struct AskTask {
        Task task;
        Connection *conn;
        unsigned gen;
        size_t n;
        char **keys;
        void **doms;
        JobStats *st;
        bool sweep;
} AskTask;

static void run_ask(Task *t) {
        AskTask *at = (AskTask *) t;

        for (size_t i = 0; i < at->n; i++)
                if (get_stats(at->doms[i], false, &at->st[i]) < 0)
                        job_stats_clear(&at->st[i]);
}

static void found_external(Connection *c, const char *key, const JobStats *st) {
        Space *s = c->space;
        Obj *o = space_get(s, KIND_DOMAIN, key);
        Details details = { 0 };
        const char *operation = job_operation_name(st->operation);
        uint64_t now = now_realtime_usec(), elapsed = st->time_elapsed_ms * 1000;
        Job *j;

        if (!o || find_by_target(jobs_of(c), KIND_DOMAIN, key))
                return;
        obj_details(o, &details);
        j = jobs_start(c, &(JobSpec) {
                .operation = operation,
                .kind = KIND_DOMAIN,
                .key = key,
                .uid = JOB_UID_NONE,
                .details = &details,
                /* It began before it was found: when libvirt says. */
                .start_usec = now > elapsed ? now - elapsed : now,
                .external = true,
        });
        details_clear(&details);
        /* It is in libvirt's hands already. */
        pthread_mutex_lock(&j->h->lock);
        j->h->in_libvirt = true;
        pthread_mutex_unlock(&j->h->lock);
        publish_facts(c, j, st);
        log_info("Found a %s job on domain %s that virtbusd did not start: %s", operation, obj_name(o), j->path);
}

static void ask_done(Task *t) {
        AskTask *at = (AskTask *) t;
        Connection *c = at->conn;
        Jobs *js = jobs_of(c);

        for (size_t i = 0; i < at->n; i++) {
                strmap_remove(js->asking, at->keys[i]);
                if (at->gen == c->gen && c->state == CONN_UP && job_running(at->st[i].type))
                        found_external(c, at->keys[i], &at->st[i]);
                job_stats_clear(&at->st[i]);
                virDomainFree(at->doms[i]);
                free(at->keys[i]);
        }
        if (at->sweep)
                js->sweeping = false;
        free(at->keys);
        free(at->doms);
        free(at->st);
        free(at);
}

static AskTask *ask_new(Connection *c, size_t max) {
        AskTask *at = xmalloc0(sizeof(*at));

        at->task.run = run_ask;
        at->task.done = ask_done;
        at->conn = c;
        at->gen = c->gen;
        at->keys = xmalloc0(sizeof(char *) * (max ? max : 1));
        at->doms = xmalloc0(sizeof(void *) * (max ? max : 1));
        at->st = xmalloc0(sizeof(JobStats) * (max ? max : 1));
        return at;
}

/* Adds domain @o to @at unless its job is known or asked about already. */
static bool ask_add(Jobs *js, AskTask *at, Obj *o) {
        if (!o->handle || find_by_target(js, KIND_DOMAIN, o->key) || strmap_get(js->asking, o->key))
                return false;
        strmap_put(js->asking, o->key, (void *) 1);
        virDomainRef(o->handle);
        at->doms[at->n] = o->handle;
        at->keys[at->n] = xstrdup(o->key);
        job_stats_clear(&at->st[at->n]);
        at->n++;
        return true;
}

static void ask_submit(Connection *c, AskTask *at) {
        if (at->n == 0) {
                at->task.done(&at->task);
                return;
        }
        pool_submit(c->manager->pool, &at->task);
}

void jobs_hint(Connection *c, const char *key) {
        Jobs *js = jobs_of(c);
        Obj *o = space_get(c->space, KIND_DOMAIN, key);
        AskTask *at;

        if (!o || c->state != CONN_UP)
                return;
        at = ask_new(c, 1);
        ask_add(js, at, o);
        ask_submit(c, at);
}

static int on_sweep(sd_event_source *s, uint64_t usec, void *userdata) {
        Connection *c = userdata;
        Jobs *js = jobs_of(c);
        ObjTable *t = c->space->tables[KIND_DOMAIN];
        size_t n = obj_table_size(t), i = 0, taken = 0;
        AskTask *at;

        sd_event_source_set_time_relative(s, SWEEP_USEC);
        if (js->sweeping || c->state != CONN_UP || n == 0)
                return 0;
        /* The running domains from where the last sweep stopped on, a few
         * at a time. */
        if (js->sweep_from >= n)
                js->sweep_from = 0;
        at = ask_new(c, SWEEP_MAX);
        at->sweep = true;
        OBJ_TABLE_FOREACH(o, t, b) {
                if (i++ < js->sweep_from || taken >= SWEEP_MAX)
                        continue;
                taken++;
                if (o->facts[DOM_ACTIVE].b)
                        ask_add(js, at, o);
        }
        js->sweep_from = taken < SWEEP_MAX ? 0 : js->sweep_from + taken;
        js->sweeping = true;
        ask_submit(c, at);
        return 0;
}

void jobs_connected(Connection *c) {
        Jobs *js = jobs_of(c);
        ObjTable *t = c->space->tables[KIND_DOMAIN];
        AskTask *at = ask_new(c, obj_table_size(t));

        /* A job that does not keep its domain running leaves it paused,
         * and libvirt says why: those are asked about at once; the sweep
         * finds the rest. */
        OBJ_TABLE_FOREACH(o, t, b)
                if (o->facts[DOM_STATE].type == 'i' && o->facts[DOM_REASON].type == 'i' &&
                    domain_paused_for_job(o->facts[DOM_STATE].i, o->facts[DOM_REASON].i))
                        ask_add(js, at, o);
        ask_submit(c, at);
        if (!js->sweep &&
            sd_event_add_time_relative(c->manager->loop, &js->sweep, CLOCK_MONOTONIC, SWEEP_USEC, 0, on_sweep, c) >= 0)
                sd_event_source_set_enabled(js->sweep, SD_EVENT_ON);
}

void jobs_disconnected(Connection *c) {
        Jobs *js = jobs_of(c);

        /* Nothing can be known about the jobs libvirt ran for others, nor
         * about block jobs it runs on; the others end with the calls that
         * started them. */
        for (Job *j = js->list, *next; j; j = next) {
                next = j->next;
                if (j->external || j->returned)
                        jobs_finish(c, j, false, "The connection to libvirt was lost");
        }
}

void jobs_completed_event(Connection *c, const char *key) {
        Job *j = find_by_target(jobs_of(c), KIND_DOMAIN, key);

        if (j && j->external)
                jobs_finish(c, j, true, "");
}

void jobs_object_added(Connection *c, Obj *o) {
        Job *j = find_by_target(jobs_of(c), o->kind->id, o->key);

        if (!j)
                return;
        pthread_mutex_lock(&j->h->lock);
        if (!j->h->target && o->handle) {
                virt_kind(o->kind->id)->ref(o->handle);
                j->h->target = o->handle;
        }
        pthread_mutex_unlock(&j->h->lock);
        link_target(c, o->kind->id, o->key);
}

/* ---- block jobs ---------------------------------------------------------------- */

static void finish_block(Connection *c, Job *j, int status) {
        switch (status) {
        case VIR_DOMAIN_BLOCK_JOB_COMPLETED:
                return jobs_finish(c, j, true, "");
        case VIR_DOMAIN_BLOCK_JOB_CANCELED:
                return jobs_finish(c, j, false, "The block job was canceled");
        default:
                return jobs_finish(c, j, false, "The block job failed");
        }
}

void jobs_call_returned(Connection *c, Job *j) {
        j->returned = true;
        /* It may have ended before the call returned. */
        if (j->block_status >= 0 && j->block_status != VIR_DOMAIN_BLOCK_JOB_READY)
                finish_block(c, j, j->block_status);
}

void jobs_block_event(Connection *c, const char *key, const char *disk, int status) {
        for (Job *j = jobs_of(c)->list; j; j = j->next) {
                if (!j->h->disk || j->h->kind != KIND_DOMAIN || !streq(j->h->key, key) || !streq(j->h->disk, disk))
                        continue;
                if (status == VIR_DOMAIN_BLOCK_JOB_READY) {
                        /* A copy or an active commit waits to be pivoted
                         * (BlockJobAbort): it is all there, and goes on. */
                        j->block_status = status;
                        return;
                }
                if (j->returned)
                        finish_block(c, j, status);
                else
                        j->block_status = status;
                return;
        }
}
