/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The life of a call, in the order it goes through it:
 *
 *   resolve     the caller's uid (once per caller), and its quota
 *   visibility  may the caller see the object? If not, it does not exist
 *   ready       the connection's first attempt, if it is still under way
 *   parse       the arguments by the row's signature, XML and host paths
 *   authorize   every permission the row names
 *   list        which objects a list may show
 *   gate        the caller's earlier calls go first
 *   turn        the object's earlier changes go first
 *   run         on the pool, or from the tables on this thread
 *   lookup      may the caller see what it found?
 *   publish     what the call found or changed, before the reply names it
 *   reply
 *
 * Everything here runs on the loop thread; only Work crosses to a worker. */
#include <stdarg.h>
#include <stdio.h>

#include "call.h"
#include "errors.h"
#include "job.h"
#include "jobs.h"
#include "log.h"
#include "marshal.h"
#include "objects.h"
#include "util.h"

/* How long a reply waits for libvirt's events to catch the table up. */
#define CATCH_UP_USEC (2 * 1000 * 1000ULL)

struct Gate {
        char *sender;
        Call *head, *tail;
};

struct Turn {
        char *key;
        bool busy;
        Call *head, *tail;
};

struct Dispatcher {
        sd_event *loop;
        sd_bus *bus;
        Manager *manager;
        Authority *auth;
        DispatchOptions opts;
        StrMap *gates;                  /* sender -> Gate */
        StrMap *turns;                  /* "<space>/<kind>/<key>" -> Turn */
        StrMap *per_user;               /* uid -> calls in progress */
        StrMap *per_user_fds;           /* uid -> descriptors its calls hold */
        StrMap *per_user_waiting;       /* uid -> calls waiting for a first connection */
        Call *calls_head, *calls_tail;  /* in arrival order */
        unsigned ncalls;
        unsigned nfds, nwaiting;
        bool closing;                   /* exiting: nothing new starts */
        unsigned ended;
        Call *deferred;
        StrMap *kicks;                  /* senders whose gate may let calls through */
        /* While a visibility decision hands its message on: the call made
         * for it takes its place in the caller's gate. */
        Call *successor_of;
        sd_event_source *kick;
};

static void call_free(Call *c);
static void call_reply(Call *c);
static void run_phase(Call *c);
static void prepare_work(Call *c);

Dispatcher *call_dispatcher(Call *c) {
        return c->d;
}

const DispatchOptions *dispatcher_options(Dispatcher *d) {
        return &d->opts;
}

Authority *dispatcher_authority(Dispatcher *d) {
        return d->auth;
}

Manager *dispatcher_manager(Dispatcher *d) {
        return d->manager;
}

int dispatch_unknown_object(sd_bus_error *error, const char *path) {
        return sd_bus_error_setf(error, SD_BUS_ERROR_UNKNOWN_OBJECT, "Unknown object '%s'.", path);
}

/* ---- creating and ending calls -------------------------------------------- */

static char *turn_key(Space *s, KindId kind, const char *key) {
        return xasprintf("%s/%d/%s", s->name, (int) kind, key);
}

static Call *call_new(Dispatcher *d, Connection *conn, const Interface *iface, const Row *row, Obj *target,
                      const char *sub, sd_bus_message *m) {
        Call *c = xmalloc0(sizeof(*c));
        const char *sender = sd_bus_message_get_sender(m);

        c->d = d;
        c->conn = conn;
        c->space = conn ? conn->space : NULL;
        c->iface = iface;
        c->row = row;
        c->msg = sd_bus_message_ref(m);
        c->sender = sender; /* the message is held for the call's life */
        c->manage = c->monitor = -1;
        c->flags_arg = row ? row_flags_arg(row) : -1;
        /* Removals from now on are remembered while the call is in
         * flight: what its worker saw must not bring them back. */
        c->started_at = c->space ? space_pin(c->space) : 0;
        c->work.kind = KIND_CONNECT;
        c->work.r = 0;
        if (target && c->space && target != &c->space->self) {
                const VirtKind *vk = virt_kind(target->kind->id);
                c->has_target = true;
                c->kind = target->kind->id;
                c->key = xstrdup(target->key);
                c->path = xstrdup(target->path);
                if (target->kind->polkit_object)
                        c->polkit_object = xstrdup(obj_polkit_object(target));
                if (target->kind->id == KIND_JOB)
                        jobs_cancel_perm(conn, target->key, &c->job_perm.object, &c->job_perm.perm);
                c->work.kind = c->kind;
                /* Calls that only a worker can answer hold the object from
                 * the start: one queued behind an object that goes away
                 * still reaches libvirt, which answers with its own error.
                 * The others take it only if they go to a worker (taking a
                 * libvirt reference costs more than answering from the
                 * table). */
                if (target->handle && vk && row && !row->loop) {
                        vk->ref(target->handle);
                        c->work.handle = target->handle;
                }
        }
        c->sub = sub ? xstrdup(sub) : NULL;

        c->prev = d->calls_tail;
        if (d->calls_tail)
                d->calls_tail->next = c;
        else
                d->calls_head = c;
        d->calls_tail = c;
        d->ncalls++;
        return c;
}

static void gate_leave(Call *c);
static void turn_release(Call *c);

/* Adds @delta to @uid's entry of @map and returns the new count. */
static unsigned uid_count(StrMap *map, uid_t uid, int delta) {
        char k[32];
        uintptr_t n;

        snprintf(k, sizeof(k), "%u", (unsigned) uid);
        n = (uintptr_t) strmap_get(map, k);
        n = (uintptr_t) ((intptr_t) n + delta);
        if (n == 0)
                strmap_remove(map, k);
        else
                strmap_put(map, k, (void *) n);
        return (unsigned) n;
}

static void user_count(Dispatcher *d, Call *c, int delta) {
        /* Root has no quota: its calls are not counted; a call is
         * uncounted only if it was counted. */
        if (!c->uid_known || c->uid == 0 || (delta < 0 && !c->counted))
                return;
        c->counted = delta > 0;
        uid_count(d->per_user, c->uid, delta);
}

static void fds_uncount(Call *c) {
        if (c->fds_counted == 0)
                return;
        uid_count(c->d->per_user_fds, c->uid, -(int) c->fds_counted);
        c->d->nfds -= c->fds_counted;
        c->fds_counted = 0;
}

static void waiting_uncount(Call *c) {
        if (!c->waiting_counted)
                return;
        uid_count(c->d->per_user_waiting, c->uid, -1);
        c->d->nwaiting--;
        c->waiting_counted = false;
}

static unsigned values_fds(const Value *v, size_t n) {
        unsigned fds = 0;

        for (size_t i = 0; i < n; i++)
                if (v[i].type == 'h')
                        fds += v[i].fd >= 0;
                else if (v[i].type == 'a' || v[i].type == 'r' || v[i].type == 'e')
                        fds += values_fds(v[i].items.v, v[i].items.n);
        return fds;
}

static void call_free(Call *c) {
        Dispatcher *d = c->d;
        Work *w = &c->work;

        if (c->job) {
                /* A call that ends while its job runs (it cannot, but should
                 * it) must not leave the job published for ever. */
                jobs_finish(c->conn, c->job, false, "The call that started the job ended");
                c->job = NULL;
        }
        gate_leave(c);
        turn_release(c);
        access_free(c);
        if (c->settle_wait)
                conn_settled_wait_cancel(c->conn, c->settle_wait);
        if (c->resolving)
                authority_cancel(d->auth, c->resolving);
        if (c->phase == PHASE_DEFERRED)
                for (Call **p = &d->deferred; *p; p = &(*p)->deferred_next)
                        if (*p == c) {
                                *p = c->deferred_next;
                                break;
                        }
        user_count(d, c, -1);
        fds_uncount(c);
        waiting_uncount(c);
        if (c->prev)
                c->prev->next = c->next;
        else
                d->calls_head = c->next;
        if (c->next)
                c->next->prev = c->prev;
        else
                d->calls_tail = c->prev;
        d->ncalls--;
        if (c->space)
                space_unpin(c->space, c->started_at);

        work_clear_results(w);
        /* A migration's view of where its object went is over too. */
        for (unsigned i = 0; i < w->nelsewhere; i++)
                space_unpin(d->manager->conns[w->elsewhere[i].conn]->space, w->elsewhere[i].since);
        work_elsewhere_free(w);
        job_handle_unref(w->job);
        if (w->handle)
                virt_kind(w->kind)->unref(w->handle);
        if (w->vconn)
                virConnectClose(w->vconn);
        value_clear_many(c->in, c->nin);
        details_clear(&c->details);
        sd_event_source_disable_unref(c->deadline);
        sd_bus_message_unref(c->msg);
        free(c->key);
        free(c->path);
        free(c->sub);
        free(c->property);
        free(c->not_found);
        free(c->polkit_object);
        free(c);
}

static void send_error(Call *c, const sd_bus_error *e) {
        _cleanup_free_ char *text = NULL;
        int r;

        /* sd-bus refuses to send a message that is not valid UTF-8, and the
         * caller would then never get an answer. Texts may quote what callers
         * sent, libvirt's messages or names on disk: whatever they hold, the
         * caller gets a reply. */
        if (e->message && !utf8_is_valid(e->message)) {
                text = utf8_truncate(e->message, strlen(e->message));
                r = sd_bus_reply_method_error(c->msg, &SD_BUS_ERROR_MAKE_CONST(e->name, text));
        } else
                r = sd_bus_reply_method_error(c->msg, e);

        if (r < 0)
                log_debug("Failed to send an error reply: %s", strerror(-r));
}

void call_fail(Call *c, const sd_bus_error *error) {
        log_debug("%s.%s on %s from %s: %s", strna(sd_bus_message_get_interface(c->msg)),
                  strna(sd_bus_message_get_member(c->msg)), strna(sd_bus_message_get_path(c->msg)),
                  strna(c->sender), error->message);
        send_error(c, error);
        call_free(c);
}

void call_fail_errno(Call *c, int r, const char *fmt, ...) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        sd_bus_error_set_errnof(&e, r, "%s", msg ? msg : "failed");
        call_fail(c, &e);
}

static void fail_set(Call *c, int r, sd_bus_error *e) {
        if (!sd_bus_error_is_set(e))
                sd_bus_error_set_errno(e, r);
        call_fail(c, e);
}

/* ---- the caller's gate: its calls pass in the order they came ------------ */

static Gate *gate_get(Dispatcher *d, const char *sender) {
        Gate *g = strmap_get(d->gates, sender);

        if (!g) {
                g = xmalloc0(sizeof(*g));
                g->sender = xstrdup(sender);
                strmap_put(d->gates, sender, g);
        }
        return g;
}

static void gate_free(void *p) {
        Gate *g = p;

        if (g)
                free(g->sender);
        free(g);
}

/* A caller's call passes without a gate while everything before it has
 * passed; it joins its caller's gate when it must wait (polkit, the
 * connection), or when an earlier call of the same caller waits there,
 * so calls always pass in the order they came. */
static void gate_enter(Call *c) {
        Call *before = c->d->successor_of;
        Gate *g;

        if (!c->sender || c->gate)
                return;
        g = gate_get(c->d, c->sender);
        c->gate = g;
        c->gate_next = NULL;
        if (before && before->gate == g) {
                /* In the place of the call that decided it may be seen. */
                c->gate_next = before->gate_next;
                before->gate_next = c;
                if (g->tail == before)
                        g->tail = c;
                return;
        }
        if (g->tail)
                g->tail->gate_next = c;
        else
                g->head = c;
        g->tail = c;
}

/* Lets through, in order, the calls at the head that have passed. */
static void gate_release(Gate *g, Dispatcher *d) {
        while (g->head && g->head->phase == PHASE_GATE && g->head->gate_passed) {
                Call *c = g->head;
                g->head = c->gate_next;
                if (!g->head)
                        g->tail = NULL;
                c->gate = NULL;
                c->gate_next = NULL;
                c->phase = PHASE_TURN;
                run_phase(c);
                /* @c may be gone now; the gate may have changed. */
                g = strmap_get(d->gates, g->sender);
                if (!g)
                        return;
        }
        if (!g->head)
                strmap_remove(d->gates, g->sender);
}

static void gate_leave(Call *c) {
        Gate *g = c->gate;
        Call *prev = NULL;

        if (!g)
                return;
        for (Call *p = g->head; p; prev = p, p = p->gate_next)
                if (p == c) {
                        if (prev)
                                prev->gate_next = c->gate_next;
                        else
                                g->head = c->gate_next;
                        if (g->tail == c)
                                g->tail = prev;
                        break;
                }
        c->gate = NULL;
        if (!g->head)
                strmap_remove(c->d->gates, g->sender);
        else if (!prev && g->head->gate_passed) {
                /* The head left: whoever waited behind it may go now, but
                 * not from inside this call's end. */
                strmap_put(c->d->kicks, g->sender, (void *) 1);
                sd_event_source_set_enabled(c->d->kick, SD_EVENT_ONESHOT);
        }
}

static void kick_one(const char *sender, void *value, void *ud) {
        char ***list = ud;
        size_t n = strv_length(*list);

        *list = xrealloc(*list, sizeof(char *) * (n + 2));
        (*list)[n] = xstrdup(sender);
        (*list)[n + 1] = NULL;
}

static int on_kick(sd_event_source *s, void *userdata) {
        Dispatcher *d = userdata;
        char **senders = xmalloc0(sizeof(char *));

        strmap_foreach(d->kicks, kick_one, &senders);
        strmap_clear(d->kicks);
        for (char **p = senders; *p; p++) {
                Gate *g = strmap_get(d->gates, *p);
                if (g)
                        gate_release(g, d);
        }
        strv_free(senders);
        return 0;
}

/* ---- the object's turn: one change at a time, in arrival order ----------- */

static void turn_free(void *p) {
        Turn *t = p;

        if (t)
                free(t->key);
        free(t);
}

static void submit(Call *c);

static void turn_release(Call *c) {
        Turn *t = c->turn;

        if (!t)
                return;
        c->turn = NULL;
        if (!c->holds_turn) {
                /* Still queued: step out of the line. */
                Call *prev = NULL;
                for (Call *p = t->head; p; prev = p, p = p->turn_next)
                        if (p == c) {
                                if (prev)
                                        prev->turn_next = c->turn_next;
                                else
                                        t->head = c->turn_next;
                                if (t->tail == c)
                                        t->tail = prev;
                                break;
                        }
                return;
        }
        c->holds_turn = false;
        /* The next change goes, even when the object is gone meanwhile:
         * libvirt answers it with its own error, one at a time. */
        if (t->head && !c->d->closing) {
                Call *next = t->head;
                t->head = next->turn_next;
                if (!t->head)
                        t->tail = NULL;
                next->turn_next = NULL;
                next->holds_turn = true;
                submit(next);
                return;
        }
        t->busy = false;
        strmap_remove(c->d->turns, t->key);
}

/* Returns true when @c holds the turn now, false when it waits for it. */
static bool turn_take(Call *c) {
        _cleanup_free_ char *k = turn_key(c->space, c->kind, c->key);
        Turn *t = strmap_get(c->d->turns, k);

        if (!t) {
                t = xmalloc0(sizeof(*t));
                t->key = xstrdup(k);
                strmap_put(c->d->turns, k, t);
        }
        c->turn = t;
        if (!t->busy) {
                t->busy = true;
                c->holds_turn = true;
                return true;
        }
        c->turn_next = NULL;
        if (t->tail)
                t->tail->turn_next = c;
        else
                t->head = c;
        t->tail = c;
        return false;
}

/* ---- running ---------------------------------------------------------------- */

static void task_run(Task *t) {
        Call *c = (Call *) ((char *) t - offsetof(Call, task));
        const Row *row = c->row;
        Work *w = &c->work;
        int r;

        if (c->iface->sub) {
                w->sub_handle = virDomainSnapshotLookupByName(w->handle, w->sub, 0);
                if (!w->sub_handle)
                        return work_fail(w);
        }
        if (w->job && job_enter_libvirt(w->job, w) < 0)
                goto out;
        r = row->shape ? row->shape->run(w) : row->run(w);
        if (r < 0) {
                if (w->r >= 0)
                        work_fail(w);
        } else if (w->capture_after && !w->have_after && w->handle) {
                /* The facts right after the change, so the reply can wait
                 * until the table shows them. */
                void *h = w->found && w->found_kind == w->kind ? w->found : w->handle;
                if (virt_fetch(w->kind, h, w->after) == 0)
                        w->have_after = true;
                else {
                        virErrorPtr e = virGetLastError();
                        w->gone_after = e && virt_kind(w->kind) && e->code == virt_kind(w->kind)->no_object;
                }
                virResetLastError();
        }
        /* Where a migration took it, when this daemon serves that host. */
        if (r >= 0)
                work_read_elsewhere(w);
out:
        if (w->sub_handle) {
                virDomainSnapshotFree(w->sub_handle);
                w->sub_handle = NULL;
        }
}

static void task_done(Task *t) {
        Call *c = (Call *) ((char *) t - offsetof(Call, task));

        c->on_pool = false;
        call_continue(c);
}

/* ---- jobs -------------------------------------------------------------------- */

/* Whether this call of a row that is long only sometimes is. On a worker,
 * with the object's turn held, so nothing virtbusd does changes the answer
 * before the call runs. */
static void probe_run(Task *t) {
        Call *c = (Call *) ((char *) t - offsetof(Call, task));
        Work *w = &c->work;

        if (c->iface->sub && !(w->sub_handle = virDomainSnapshotLookupByName(w->handle, w->sub, 0))) {
                /* The call itself will say that the snapshot is missing. */
                virResetLastError();
                return;
        }
        c->job_long = c->row->job_probe(w);
        virResetLastError();
        if (w->sub_handle) {
                virDomainSnapshotFree(w->sub_handle);
                w->sub_handle = NULL;
        }
}

static void probe_done(Task *t) {
        Call *c = (Call *) ((char *) t - offsetof(Call, task));

        c->on_pool = false;
        c->job_probed = true;
        submit(c);
}

/* Publishes the job this call runs as; its workers get the handle. */
static void start_job(Call *c) {
        const Row *row = c->row;
        Details details = { 0 };
        KindId kind = c->kind;
        const char *key = c->key;
        Obj *target;

        if (!c->has_target) {
                /* A call on the connection that acts on a domain (a restore
                 * names it in its polkit details). */
                kind = KIND_DOMAIN;
                key = details_get(&c->details, "domain_uuid");
        }
        if (!key)
                return;
        /* What polkit hears about the object (not the host path): the
         * object's own details, or what the call found out about it. */
        if ((target = space_get(c->space, kind, key)))
                obj_details(target, &details);
        for (unsigned i = 0; i < c->details.n; i++)
                if (!streq(c->details.d[i].key, "path"))
                        details_set(&details, c->details.d[i].key, c->details.d[i].value);
        c->job = jobs_start(c->conn, &(JobSpec) {
                .operation = row->job,
                .kind = kind,
                .key = key,
                .uid = c->uid_known ? (int64_t) c->uid : JOB_UID_NONE,
                .perm_object = row_job_perm(row)->object,
                .perm = row_job_perm(row)->perm,
                .details = &details,
                .disk = row->job_disk_arg > 0 ? value_get_str(&c->in[row->job_disk_arg - 1]) : NULL,
        });
        details_clear(&details);
        c->work.job = job_get_handle(c->job);
}

static void finish_job(Call *c) {
        Work *w = &c->work;

        if (!c->job)
                return;
        if (c->row->job_disk_arg > 0 && w->r >= 0)
                /* A block job goes on in libvirt. */
                jobs_call_returned(c->conn, c->job);
        else
                jobs_finish(c->conn, c->job, w->r >= 0, w->r < 0 && w->err.message ? w->err.message : "");
        c->job = NULL;
}

/* A migration may take its object to another connection of this daemon:
 * the worker looks for it there after the call. */
static void prepare_elsewhere(Call *c) {
        Manager *m = c->d->manager;
        Work *w = &c->work;

        w->elsewhere = xmalloc0(sizeof(WorkElsewhere) * (m->nconns ? m->nconns : 1));
        for (size_t i = 0; i < m->nconns; i++) {
                Connection *other = m->conns[i];
                WorkElsewhere *e;
                if (other == c->conn || other->state != CONN_UP)
                        continue;
                e = &w->elsewhere[w->nelsewhere++];
                e->vconn = conn_ref_vconn(other);
                e->conn = (unsigned) i;
                /* What is removed there from now on stays known, so the
                 * worker's view never brings it back. */
                e->since = space_pin(other->space);
        }
}

static void submit(Call *c) {
        Work *w = &c->work;
        const Row *row = c->row;
        Obj *o;

        /* The freshest handle: an event may have brought a newer one (a
         * rename leaves the old name in older ones). */
        if (c->has_target && (o = space_get(c->space, c->kind, c->key)) && o->handle && o->handle != w->handle) {
                const VirtKind *vk = virt_kind(c->kind);
                vk->ref(o->handle);
                if (w->handle)
                        vk->unref(w->handle);
                w->handle = o->handle;
        }
        prepare_work(c);
        w->capture_after = (row->flags & ROW_CHANGE) && c->has_target;
        if ((row->flags & ROW_MIGRATES) && c->has_target && !w->elsewhere)
                prepare_elsewhere(c);
        c->phase = PHASE_RUN;
        c->ran_on_worker = true;
        c->task.run = task_run;
        c->task.done = task_done;
        c->task.change = (row->flags & (ROW_CHANGE | ROW_SLOW)) != 0;
        if (!w->handle && c->has_target && !row->loop) {
                work_fail_msg(w, virt_kind(c->kind)->no_object, "The object is gone");
                call_continue(c);
                return;
        }
        if ((row->flags & ROW_JOB) && !c->job) {
                if (row->job_probe && !c->job_probed) {
                        c->task.run = probe_run;
                        c->task.done = probe_done;
                        c->on_pool = true;
                        pool_submit(c->d->manager->pool, &c->task);
                        return;
                }
                if (!row->job_probe || c->job_long)
                        start_job(c);
        }
        c->on_pool = true;
        pool_submit(c->d->manager->pool, &c->task);
}

/* A row's resolve step: on a worker, before authorization. */
static void resolve_run(Task *t) {
        Call *c = (Call *) ((char *) t - offsetof(Call, task));
        Work *w = &c->work;

        if (c->row->resolve(w) < 0 && w->r >= 0)
                work_fail(w);
}

static void resolve_done(Task *t) {
        Call *c = (Call *) ((char *) t - offsetof(Call, task));
        Work *w = &c->work;

        c->on_pool = false;
        if (w->r < 0) {
                c->phase = PHASE_DONE;
                return call_reply(c);
        }
        for (unsigned i = 0; i < w->details.n; i++)
                details_set(&c->details, w->details.d[i].key, w->details.d[i].value);
        details_clear(&w->details);
        call_continue(c);
}

static void prepare_work(Call *c) {
        Work *w = &c->work;

        if (!w->vconn)
                w->vconn = conn_ref_vconn(c->conn);
        w->in = c->in;
        w->nin = c->nin;
        w->sub = c->sub;
        w->out_sig = c->row->out_sig;
        w->fn = &c->row->fn;
        w->prefix = c->space->prefix;
        w->snapshot_prefix = c->space->snapshot_prefix;
}

/* ---- publishing and the replies that wait for it ----------------------------- */

static Space *elsewhere_space(Call *c, const WorkElsewhere *e) {
        return c->d->manager->conns[e->conn]->space;
}

/* Where the object arrived, the other connections show it as the worker
 * found it there. */
static bool caught_up_elsewhere(Call *c) {
        const Kind *k = kind_get(c->kind);
        Work *w = &c->work;

        for (unsigned i = 0; i < w->nelsewhere; i++) {
                const WorkElsewhere *e = &w->elsewhere[i];
                Obj *o;
                if (!e->found)
                        continue;
                o = space_get(elsewhere_space(c, e), c->kind, c->key);
                if (!o || (facts_diff(k, o->facts, e->facts) & k->event_facts) != 0)
                        return false;
        }
        return true;
}

static bool caught_up(Call *c) {
        Work *w = &c->work;
        const Kind *k;
        Obj *o;

        if (!c->has_target || !(c->row->flags & ROW_CHANGE))
                return true;
        if (!caught_up_elsewhere(c))
                return false;
        o = space_get(c->space, c->kind, c->key);
        if (w->gone_after)
                return !o;
        if (!w->have_after)
                return true;
        k = kind_get(c->kind);
        return o && (facts_diff(k, o->facts, w->after) & k->event_facts) == 0;
}

/* The events of the other connections did not come in time: what the
 * worker found there is published, unless events moved it since. */
static void publish_elsewhere(Call *c) {
        Work *w = &c->work;

        for (unsigned i = 0; i < w->nelsewhere; i++) {
                WorkElsewhere *e = &w->elsewhere[i];
                Space *s = elsewhere_space(c, e);
                Obj *o = space_get(s, c->kind, c->key);
                if (!e->found || (o && o->changed_at > e->since) || space_gone_since(s, c->kind, c->key, e->since))
                        continue;
                space_upsert(s, c->kind, c->key, e->facts, TAKE_PTR(e->handle));
        }
}

/* Facts no event announces (autostart, a new definition while running)
 * come from the worker's view; the rest from the events. */
static void publish_after(Call *c, bool timed_out) {
        Work *w = &c->work;
        const Kind *k = kind_get(c->kind);
        Obj *o = space_get(c->space, c->kind, c->key);
        Value next[MAX_FACTS] = { 0 };

        if (!c->has_target || !(c->row->flags & ROW_CHANGE))
                return;
        if (timed_out)
                publish_elsewhere(c);
        if (timed_out && !(o && o->changed_at > c->started_at)) {
                /* libvirt's events did not come in time: publish what the
                 * worker saw, unless an event has moved the object since
                 * (events are newer than the worker's view). */
                if (w->gone_after && o) {
                        space_remove(c->space, o);
                        return;
                }
                if (w->have_after && !space_gone_since(c->space, c->kind, c->key, c->started_at))
                        space_upsert(c->space, c->kind, c->key, w->after, NULL);
                return;
        }
        if (!o || !w->have_after)
                return;
        facts_copy(k, next, o->facts);
        for (unsigned i = 0; i < k->nfacts; i++)
                if (!(k->event_facts & (UINT64_C(1) << i)) && !(k->facts[i].flags & FACT_CONST))
                        value_copy(&next[i], &w->after[i]);
        space_upsert(c->space, c->kind, c->key, next, NULL);
        facts_clear(k, next);
}

static void publish_found(Call *c) {
        Work *w = &c->work;

        if (!w->found)
                return;
        /* The object a reply names must be findable when the reply arrives;
         * not when it went away meanwhile (its events are newer). */
        if (!space_get(c->space, w->found_kind, w->found_key) &&
            !space_gone_since(c->space, w->found_kind, w->found_key, c->started_at))
                space_upsert(c->space, w->found_kind, w->found_key, w->found_facts, TAKE_PTR(w->found));
}

static int on_deferred_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Call *c = userdata;
        Dispatcher *d = c->d;

        for (Call **p = &d->deferred; *p; p = &(*p)->deferred_next)
                if (*p == c) {
                        *p = c->deferred_next;
                        break;
                }
        c->phase = PHASE_DONE;
        publish_after(c, true);
        call_reply(c);
        return 0;
}

/* Whether a change in @s may be what deferred call @c waits for. */
static bool call_watches(Call *c, Space *s) {
        if (c->space == s)
                return true;
        for (unsigned i = 0; i < c->work.nelsewhere; i++)
                if (elsewhere_space(c, &c->work.elsewhere[i]) == s)
                        return true;
        return false;
}

static void check_deferred(Dispatcher *d, Space *s, KindId kind, const char *key) {
        for (Call *c = d->deferred, *next; c; c = next) {
                next = c->deferred_next;
                if (!call_watches(c, s) || c->kind != kind || !streq(c->key, key) || !caught_up(c))
                        continue;
                for (Call **p = &d->deferred; *p; p = &(*p)->deferred_next)
                        if (*p == c) {
                                *p = c->deferred_next;
                                break;
                        }
                c->phase = PHASE_DONE;
                publish_after(c, false);
                call_reply(c);
                /* Replying may have ended calls further down the list. */
                next = d->deferred;
        }
}

static void on_added(void *ud, Space *s, Obj *o) {
        check_deferred(ud, s, o->kind->id, o->key);
}

static void on_changed(void *ud, Space *s, Obj *o, uint64_t mask) {
        if (o != &s->self)
                check_deferred(ud, s, o->kind->id, o->key);
}

static void on_forgotten(void *ud, Space *s, KindId kind, const char *key) {
        check_deferred(ud, s, kind, key);
}

static const SpaceObserver dispatch_observer = {
        .added = on_added,
        .changed = on_changed,
        .forgotten = on_forgotten,
};

/* ---- replies ------------------------------------------------------------------ */

static int reply_properties(Call *c, sd_bus_message *reply) {
        int wraps = c->iface->spec_getall ? 1 : 2;
        Obj *o = c->has_target ? space_get(c->space, c->kind, c->key) : &c->space->self;

        if (!o)
                return -ENOENT;
        if (c->property) {
                const Row *row = interface_row(c->iface, ROW_PROPERTY, c->property);
                return marshal_write_variant(reply, row->out_sig, &o->facts[row->fact], 1);
        }
        /* GetAll: two variants per value, as libvirt-dbus (one for
         * virtbusd's own interfaces). */
        return dispatch_append_properties(reply, c->iface, o, wraps);
}

int dispatch_append_properties(sd_bus_message *m, const Interface *iface, const Obj *o, int wraps) {
        int r = sd_bus_message_open_container(m, 'a', "{sv}");

        for (size_t i = 0; r >= 0 && i < iface->nrows; i++) {
                const Row *row = &iface->rows[i];
                if (row->type != ROW_PROPERTY)
                        continue;
                r = sd_bus_message_open_container(m, 'e', "sv");
                if (r >= 0)
                        r = sd_bus_message_append_basic(m, 's', row->member);
                if (r >= 0)
                        r = marshal_write_variant(m, row->out_sig, &o->facts[row->fact], wraps);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}

static void call_reply(Call *c) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        Work *w = &c->work;
        int r;

        log_debug("%s.%s on %s from %s: %s", strna(sd_bus_message_get_interface(c->msg)),
                  strna(sd_bus_message_get_member(c->msg)), strna(sd_bus_message_get_path(c->msg)),
                  strna(c->sender), w->r < 0 ? (w->err.message ? w->err.message : "failed") : "done");
        if (w->r < 0) {
                /* For a caller from whom polkit hides objects, a missing one
                 * and a hidden one must read the same: both get the daemon's
                 * text. Whoever sees everything gets libvirt's own, whose
                 * wording differs from one driver to the next. */
                const VirtKind *vk = virt_kind(c->row && c->row->publish == PUBLISH_LOOKUP ? c->row->finds : c->kind);
                if (c->not_found && vk && w->err.code == vk->no_object && !access_call_sees_all(c))
                        sd_bus_error_set(&e, errors_name_for_code(w->err.code), c->not_found);
                else
                        errors_set_from_virt(&e, &w->err);
                send_error(c, &e);
                call_free(c);
                return;
        }
        r = sd_bus_message_new_method_return(c->msg, &reply);
        if (r >= 0) {
                if (c->list_write)
                        r = c->list_write(c->list_ud, c->seen, reply);
                else if (c->reading_properties)
                        r = reply_properties(c, reply);
                else
                        r = marshal_write_all(reply, c->row->out_sig, w->out, WORK_MAX_OUT);
        }
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        if (r == -ENOENT) {
                /* The object went away (or may not be seen) meanwhile. */
                dispatch_unknown_object(&e, sd_bus_message_get_path(c->msg));
                send_error(c, &e);
        } else if (r < 0) {
                sd_bus_error_set_errno(&e, r);
                send_error(c, &e);
        }
        call_free(c);
}

/* ---- the phases ---------------------------------------------------------------- */

static void on_resolved(void *ud, int r) {
        Call *c = ud;

        c->resolving = NULL;
        if (r < 0) {
                _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
                sd_bus_error_set(&e, SD_BUS_ERROR_ACCESS_DENIED,
                                 "Not authorized: the caller's user could not be determined");
                call_fail(c, &e);
                return;
        }
        call_continue(c);
}

static void on_ready(void *ud, bool up) {
        Call *c = ud;

        waiting_uncount(c);
        if (!up) {
                _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
                sd_bus_error_setf(&e, VIRTBUS_ERROR_NO_CONNECT, "The libvirt connection %s (%s) is not available",
                                  c->space->name, c->conn->uri);
                call_fail(c, &e);
                return;
        }
        call_continue(c);
}

static void on_settled(void *ud) {
        Call *c = ud;

        c->settle_wait = NULL;
        run_phase(c);
}

static void no_connect(Call *c) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;

        sd_bus_error_setf(&e, VIRTBUS_ERROR_NO_CONNECT, "The libvirt connection %s (%s) is not available",
                          c->space->name, c->conn->uri);
        call_fail(c, &e);
}

static int parse(Call *c, sd_bus_error *error) {
        const Row *row = c->row;
        const char *sig;
        int r;

        if (!row || c->args_parsed || c->reading_properties)
                return 0;
        c->args_parsed = true;
        sig = row->in_sig;
        if (!sd_bus_message_has_signature(c->msg, sig))
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Invalid arguments '%s' to call %s.%s(), expecting '%s'.",
                                         strna(sd_bus_message_get_signature(c->msg, true)), c->iface->name,
                                         row->member, sig);
        r = marshal_read_all(c->msg, sig, c->in, CALL_MAX_ARGS, &c->nin, error);
        if (r < 0)
                return r;
        if (c->uid_known && c->uid != 0) {
                /* Descriptors passed in are held until the call ends: each
                 * user may hold only so many, so no one can use up the
                 * daemon's. */
                unsigned fds = values_fds(c->in, c->nin);
                if (fds > 0) {
                        unsigned held = uid_count(c->d->per_user_fds, c->uid, (int) fds);
                        c->fds_counted = fds;
                        c->d->nfds += fds;
                        if (held > c->d->opts.max_fds_per_user)
                                return sd_bus_error_setf(error, SD_BUS_ERROR_LIMITS_EXCEEDED,
                                                         "Too many file descriptors held by calls of this user (%u); try again later",
                                                         c->d->opts.max_fds_per_user);
                }
        }
        if (row->not_found && c->nin > (unsigned) row->not_found_arg) {
                unsigned a = (unsigned) row->not_found_arg;
                _cleanup_free_ char *arg = c->in[a].type == 'i' ? xasprintf("%d", c->in[a].i)
                                                                : utf8_truncate(value_get_str(&c->in[a]), 256);
                _cleanup_free_ char *next = a + 1 < c->nin && c->in[a + 1].type == 's'
                                                    ? utf8_truncate(value_get_str(&c->in[a + 1]), 256) : NULL;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
                /* The rows' texts are literals with one or two %s. */
                c->not_found = xasprintf(row->not_found, arg, strempty(next));
#pragma GCC diagnostic pop
        }
        return access_check_args(c, error);
}

static void run_phase(Call *c) {
        Dispatcher *d = c->d;
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        int r;

        switch (c->phase) {
        case PHASE_RESOLVE:
                if (d->opts.authorize && c->sender) {
                        r = authority_resolve(d->auth, c->sender, on_resolved, c, &c->resolving);
                        if (r == 0) {
                                call_waits(c);
                                return; /* on_resolved() continues */
                        }
                        if (r < 0)
                                return on_resolved(c, r);
                }
                c->resolving = NULL;
                return call_continue(c);

        case PHASE_VISIBILITY:
                return access_visibility(c);

        case PHASE_READY:
                if (c->reading_properties || c->list_write || (c->row && (c->row->flags & ROW_ANY_STATE)))
                        return call_continue(c);
                if (c->uid_known && c->uid != 0 && conn_connecting(c->conn)) {
                        /* Calls that wait for a first connection hold memory
                         * for up to its first attempt: a bound per user. */
                        unsigned n = uid_count(d->per_user_waiting, c->uid, +1);
                        c->waiting_counted = true;
                        d->nwaiting++;
                        if (n > d->opts.max_waiting_per_user) {
                                sd_bus_error_setf(&e, SD_BUS_ERROR_LIMITS_EXCEEDED,
                                                  "Too many calls of this user wait for the libvirt connection %s (%u); try again later",
                                                  c->space->name, d->opts.max_waiting_per_user);
                                return call_fail(c, &e);
                        }
                }
                r = conn_when_ready(c->conn, on_ready, c);
                if (r == -EAGAIN) {
                        call_waits(c);
                        return; /* on_ready() continues */
                }
                waiting_uncount(c);
                if (r == 0)
                        return no_connect(c);
                return call_continue(c);

        case PHASE_AUTHORIZE:
                return access_authorize(c);

        case PHASE_LIST:
                if (!c->list_write && !(c->row && c->row->filter.perm))
                        return call_continue(c);
                return access_list(c);

        case PHASE_GATE:
                c->gate_passed = true;
                if (!c->gate)
                        return call_continue(c);
                return gate_release(c->gate, d);

        case PHASE_TURN: {
                const Row *row = c->row;
                if (!c->settle_checked && c->has_target && c->kind == KIND_DOMAIN &&
                    (c->reading_properties || (row && row->loop))) {
                        /* Whoever saw a DomainEvent must not read the state
                         * from before it. */
                        c->settle_checked = true;
                        c->settle_wait = conn_when_settled(c->conn, c->key, on_settled, c);
                        if (c->settle_wait)
                                return; /* on_settled() goes on */
                }
                if (c->reading_properties || c->list_write) {
                        /* Reads of the tables: answered here and now. */
                        c->phase = PHASE_DONE;
                        return call_reply(c);
                }
                if (row->loop) {
                        c->phase = PHASE_RUN;
                        r = row->loop(c, &e);
                        if (r < 0)
                                return fail_set(c, r, &e);
                        if (r == 0)
                                return call_continue(c);
                        /* The tables cannot judge this one: libvirt can. */
                }
                if ((row->flags & ROW_CHANGE) && c->has_target && !turn_take(c))
                        return; /* turn_release() submits it */
                return submit(c);
        }
        default:
                return;
        }
}

void call_continue(Call *c) {
        Work *w = &c->work;

        switch (c->phase) {
        case PHASE_RESOLVE:
                c->resolving = NULL;
                if (c->d->opts.authorize && c->sender)
                        c->uid_known = authority_uid(c->d->auth, c->sender, &c->uid) == 0;
                if (c->uid_known && !c->visible_cont) {
                        char k[32];
                        snprintf(k, sizeof(k), "%u", (unsigned) c->uid);
                        if (c->uid != 0 && (uintptr_t) strmap_get(c->d->per_user, k) >= c->d->opts.max_calls_per_user) {
                                _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
                                c->uid_known = false; /* not counted */
                                sd_bus_error_setf(&e, SD_BUS_ERROR_LIMITS_EXCEEDED,
                                                  "Too many calls in progress for this user (%u); try again later",
                                                  c->d->opts.max_calls_per_user);
                                return call_fail(c, &e);
                        }
                        user_count(c->d, c, +1);
                }
                c->phase = PHASE_VISIBILITY;
                return run_phase(c);
        case PHASE_VISIBILITY:
                if (c->visible_cont) {
                        /* Only whether it may be seen was asked. */
                        c->d->successor_of = c;
                        c->visible_cont(c->visible_ud, c->msg);
                        c->d->successor_of = NULL;
                        return call_free(c);
                }
                c->phase = PHASE_READY;
                return run_phase(c);
        case PHASE_READY: {
                /* The arguments are read only now: nothing about them is
                 * answered for an object the caller may not see. */
                _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
                int r = parse(c, &e);
                if (r >= 0 && c->row && c->row->check && !c->reading_properties)
                        r = c->row->check(c, &e);
                /* What polkit is shown must be what libvirt acts on,
                 * whole: a value too long to show is refused, never cut. */
                if (r >= 0 && c->details.cut)
                        r = sd_bus_error_setf(&e, SD_BUS_ERROR_INVALID_ARGS,
                                              "A name, path or URI of more than %u bytes is not accepted",
                                              DETAIL_VALUE_MAX);
                if (r < 0)
                        return fail_set(c, r, &e);
                if (c->row && c->row->resolve && !c->reading_properties) {
                        c->phase = PHASE_PRERESOLVE;
                        prepare_work(c);
                        c->task.run = resolve_run;
                        c->task.done = resolve_done;
                        c->task.change = false;
                        c->on_pool = true;
                        pool_submit(c->d->manager->pool, &c->task);
                        return;
                }
                c->phase = PHASE_AUTHORIZE;
                return run_phase(c);
        }
        case PHASE_PRERESOLVE:
                c->phase = PHASE_AUTHORIZE;
                return run_phase(c);
        case PHASE_AUTHORIZE:
                c->phase = PHASE_LIST;
                return run_phase(c);
        case PHASE_LIST:
                c->phase = PHASE_GATE;
                return run_phase(c);
        case PHASE_GATE:
                c->phase = PHASE_TURN;
                return run_phase(c);
        case PHASE_RUN:
                /* The job has ended with the libvirt call: Completed and
                 * InterfacesRemoved go before anything the reply waits for. */
                finish_job(c);
                if (w->r < 0) {
                        c->phase = PHASE_DONE;
                        return call_reply(c);
                }
                if (c->row->finish && c->ran_on_worker) {
                        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
                        int r = c->row->finish(c, &e);
                        if (r < 0)
                                return fail_set(c, r, &e);
                }
                if (c->row->publish == PUBLISH_LOOKUP && w->found) {
                        /* The caller must be allowed to see what it found. */
                        free(c->key);
                        details_clear(&c->details);
                        free(c->polkit_object);
                        c->polkit_object = NULL;
                        c->kind = w->found_kind;
                        c->key = xstrdup(w->found_key);
                        Obj tmp = { .kind = kind_get(w->found_kind), .key = c->key };
                        memcpy(tmp.facts, w->found_facts, sizeof(tmp.facts));
                        obj_details(&tmp, &c->details);
                        c->phase = PHASE_LOOKUP;
                        return access_lookup(c);
                }
                /* fall through */
        case PHASE_LOOKUP:
                if ((c->row->flags & ROW_CHANGE) && !c->has_target && w->found) {
                        /* A change that made or found its object (a
                         * restore): its reply waits for that object's
                         * events like any change's. */
                        c->has_target = true;
                        c->kind = w->found_kind;
                        free(c->key);
                        c->key = xstrdup(w->found_key);
                        w->kind = w->found_kind;
                        facts_copy(kind_get(c->kind), w->after, w->found_facts);
                        w->have_after = true;
                }
                publish_found(c);
                /* A migration that takes a shut-off domain's definition
                 * away (offline) tells its source nothing: libvirt is
                 * asked instead of waiting for an event. */
                if ((c->row->flags & ROW_MIGRATES) && w->gone_after && space_get(c->space, c->kind, c->key))
                        conn_reread(c->conn, c->kind, c->key);
                if (c->has_target && (c->row->flags & ROW_CHANGE) && !conn_kind_has_events(c->conn, c->kind)) {
                        /* No event will announce the change (volumes, host
                         * interfaces, network filters): what the worker saw
                         * right after the call is the news. */
                        publish_after(c, true);
                        c->phase = PHASE_DONE;
                        return call_reply(c);
                }
                if (!caught_up(c) &&
                    sd_event_add_time_relative(c->d->loop, &c->deadline, CLOCK_MONOTONIC, CATCH_UP_USEC, 0,
                                               on_deferred_timeout, c) >= 0) {
                        /* The reply to a call that changed an object leaves
                         * after the signals announcing the change, so a
                         * caller that reads the state after the reply sees
                         * it changed. Reads never wait. */
                        c->phase = PHASE_DEFERRED;
                        c->deferred_next = c->d->deferred;
                        c->d->deferred = c;
                        return;
                }
                publish_after(c, false);
                c->phase = PHASE_DONE;
                return call_reply(c);
        default:
                return;
        }
}

/* ---- entry points --------------------------------------------------------------- */

void call_waits(Call *c) {
        gate_enter(c);
}

static int start(Dispatcher *d, Call *c, sd_bus_error *error) {
        /* Deciding whether an object may be seen is never refused for lack
         * of room: an object that does not exist is not either, and the two
         * must answer alike. polkit's queues bound it. */
        if (d->ncalls > d->opts.max_calls && !c->visible_cont) {
                call_free(c);
                return sd_bus_error_setf(error, SD_BUS_ERROR_LIMITS_EXCEEDED,
                                         "Too many calls in progress (%u); try again later", d->opts.max_calls);
        }
        if (c->sender && (strmap_get(d->gates, c->sender) || (d->successor_of && d->successor_of->gate)))
                gate_enter(c);
        c->phase = PHASE_RESOLVE;
        run_phase(c);
        return 1;
}

int dispatch_method(Dispatcher *d, Connection *conn, const Interface *iface, const Row *row, Obj *target,
                    const char *sub, sd_bus_message *m, sd_bus_error *error) {
        return start(d, call_new(d, conn, iface, row, target, sub, m), error);
}

int dispatch_property_get(Dispatcher *d, Connection *conn, const Interface *iface, Obj *target,
                          const char *name, sd_bus_message *m, sd_bus_error *error) {
        const Row *row = name ? interface_row(iface, ROW_PROPERTY, name) : NULL;
        Call *c;

        if (name && !row)
                return sd_bus_error_setf(error, SD_BUS_ERROR_UNKNOWN_PROPERTY, "Unknown property %s.%s",
                                         iface->name, name);
        c = call_new(d, conn, iface, row, target, NULL, m);
        c->property = name ? xstrdup(name) : NULL;
        c->reading_properties = true;
        /* Answered from what the daemon last knew, even while disconnected. */
        return start(d, c, error);
}

int dispatch_property_set(Dispatcher *d, Connection *conn, const Interface *iface, Obj *target,
                          const char *name, sd_bus_message *m, sd_bus_error *error) {
        const Row *row = interface_row(iface, ROW_PROPERTY, name);
        Call *c;
        int r;

        if (!row)
                return sd_bus_error_setf(error, SD_BUS_ERROR_UNKNOWN_PROPERTY, "Unknown property %s.%s",
                                         iface->name, name);
        if (!row->setter)
                return sd_bus_error_setf(error, SD_BUS_ERROR_PROPERTY_READ_ONLY, "Property '%s' is not writable",
                                         name);
        c = call_new(d, conn, iface, row->setter, target, NULL, m);
        c->property = xstrdup(name);
        r = sd_bus_message_enter_container(m, 'v', row->out_sig);
        if (r >= 0)
                r = marshal_read(m, row->out_sig, &c->in[0], error);
        if (r < 0) {
                call_free(c);
                if (!sd_bus_error_is_set(error))
                        sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "%s must be of type '%s'", name,
                                          row->out_sig);
                return -EINVAL;
        }
        c->nin = 1;
        c->args_parsed = true;
        return start(d, c, error);
}

int dispatch_when_visible(Dispatcher *d, Connection *conn, Obj *target, sd_bus_message *m, dispatch_cont_t cont,
                          void *ud) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        const Interface *iface = target ? interface_by_name(target->kind->interface) : NULL;
        Call *c = call_new(d, conn, iface, NULL, target, NULL, m);
        int r;

        c->visible_cont = cont;
        c->visible_ud = ud;
        r = start(d, c, &e);
        if (r < 0)
                sd_bus_reply_method_error(m, &e);
        return 1;
}

int dispatch_list(Dispatcher *d, sd_bus_message *m, const char *perm_object, dispatch_list_t write, void *ud,
                  sd_bus_error *error) {
        Call *c;

        if (d->manager->nconns == 0)
                return 0;
        c = call_new(d, d->manager->conns[0], &connect_interface, NULL, NULL, NULL, m);
        c->list_write = write;
        c->list_ud = ud;
        c->list_object = perm_object;
        return start(d, c, error);
}

static void sum_counts(const char *key, void *value, void *ud) {
        *(unsigned *) ud += (unsigned) (uintptr_t) value;
}

void dispatcher_stats(Dispatcher *d, DispatchStats *st) {
        *st = (DispatchStats) {
                .calls = d->ncalls,
                .fds = d->nfds,
                .waiting_ready = d->nwaiting,
                .gates = (unsigned) strmap_size(d->gates),
                .turns = (unsigned) strmap_size(d->turns),
                .pool_pending = pool_pending(d->manager->pool),
        };
        strmap_foreach(d->per_user, sum_counts, &st->counted);
}

bool dispatch_may_see(const void *seen, Space *s, const Obj *o) {
        return access_may_see(seen, s, o);
}

Dispatcher *dispatcher_new(sd_event *loop, sd_bus *bus, Manager *manager, Authority *auth,
                           const DispatchOptions *opts) {
        Dispatcher *d = xmalloc0(sizeof(*d));

        d->loop = sd_event_ref(loop);
        d->bus = sd_bus_ref(bus);
        d->manager = manager;
        d->auth = auth;
        d->opts = *opts;
        d->gates = strmap_new(gate_free);
        d->turns = strmap_new(turn_free);
        d->per_user = strmap_new(NULL);
        d->per_user_fds = strmap_new(NULL);
        d->per_user_waiting = strmap_new(NULL);
        d->kicks = strmap_new(NULL);
        if (sd_event_add_defer(loop, &d->kick, on_kick, d) >= 0)
                sd_event_source_set_enabled(d->kick, SD_EVENT_OFF);
        return d;
}

void dispatcher_observe(Dispatcher *d) {
        for (size_t i = 0; i < d->manager->nconns; i++)
                space_observe(d->manager->conns[i]->space, &dispatch_observer, d);
}

Dispatcher *dispatcher_free(Dispatcher *d) {
        if (!d)
                return NULL;
        /* Calls on the pool belong to workers that may never return: they
         * end with the process, and the pool keeps them. Every other call
         * ends here, without a reply (the bus tells their callers) and
         * without starting the next one. */
        d->closing = true;
        for (Call *c = d->calls_head, *next; c; c = next) {
                next = c->next;
                if (!c->on_pool)
                        call_free(c);
        }
        /* What is left refers to the dispatcher no more than a worker
         * that cannot hand its task back does. */
        strmap_free(d->gates);
        strmap_free(d->turns);
        strmap_free(d->kicks);
        strmap_free(d->per_user);
        strmap_free(d->per_user_fds);
        strmap_free(d->per_user_waiting);
        sd_event_source_disable_unref(d->kick);
        sd_bus_unref(d->bus);
        sd_event_unref(d->loop);
        free(d);
        return NULL;
}
