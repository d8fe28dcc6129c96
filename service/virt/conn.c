/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>

#include "conn.h"
#include "domain.h"
#include "jobs.h"
#include "lifecycle.h"
#include "log.h"
#include "objects.h"
#include "strmap.h"
#include "util.h"

#define BACKOFF_MIN_USEC (250 * 1000ULL)
#define BACKOFF_MAX_USEC (4 * 1000 * 1000ULL)
/* A URI that never worked (a driver this host lacks) is retried rarely. */
#define BACKOFF_NEVER_UP_MAX_USEC (30 * 1000 * 1000ULL)
/* How long a call waits for its connection's first attempt. */
#define FIRST_ATTEMPT_WAIT_USEC (20 * 1000 * 1000ULL)
/* How often a driver without domain events is listed again. */
#define POLL_USEC (5 * 1000 * 1000ULL)
/* How often the inactive domains libvirt defines are compared with the
 * table (see "what migrations leave behind"). */
#define RECHECK_USEC (60 * 1000 * 1000ULL)
/* How often kinds without events (volumes, host interfaces, network
 * filters, and any kind whose events the driver lacks) are listed again,
 * to notice changes made behind the daemon's back. Their changes through
 * virtbusd are published at once; this only bounds how stale the others
 * can get, at the price of one listing per kind. */
#define REFRESH_USEC (30 * 1000 * 1000ULL)

struct ConnWaiter {
        ConnWaiter *next;
        void (*cb)(void *ud, bool up);
        void *ud;
};

static void connection_attempt(Connection *c);
static void on_event(EventItem *ev, void *userdata);
static void flush_unseen(Connection *c, KindId kind, const char *key);
static void wake_settled(Connection *c, const char *key, uint64_t applied, bool all);
static void start_recheck(Connection *c);

/* ---- listings ---------------------------------------------------------- */

/* What a worker read of one kind: every object's key, facts and handle. */
typedef struct Listing {
        KindId kind;
        size_t n;
        char **keys;
        Value (*facts)[MAX_FACTS];
        void **handles;
        bool failed;
} Listing;

static void listing_clear(Listing *l) {
        const VirtKind *vk = virt_kind(l->kind);

        for (size_t i = 0; i < l->n; i++) {
                free(l->keys[i]);
                facts_clear(kind_get(l->kind), l->facts[i]);
                if (l->handles[i])
                        vk->unref(l->handles[i]);
        }
        free(l->keys);
        free(l->facts);
        free(l->handles);
        memset(l, 0, sizeof(*l));
}

typedef struct FetchSlice {
        KindId kind;
        void **handles;
        char **keys;
        Value (*facts)[MAX_FACTS];
        size_t from, to;
} FetchSlice;

static void *fetch_slice(void *arg) {
        FetchSlice *f = arg;
        const VirtKind *vk = virt_kind(f->kind);
        sigset_t all;

        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, NULL);
        for (size_t i = f->from; i < f->to; i++) {
                f->keys[i] = vk->key(f->handles[i]);
                /* One that vanished between list and fetch is skipped: its
                 * events follow. */
                if (!f->keys[i] || virt_fetch(f->kind, f->handles[i], f->facts[i]) < 0) {
                        free(f->keys[i]);
                        f->keys[i] = NULL;
                }
        }
        virResetLastError();
        return NULL;
}

/* Reads every object's facts, several at a time: libvirtd answers
 * concurrent calls on one connection, and a host with thousands of domains
 * would otherwise wait for one round trip after another. */
static void fetch_all(FetchSlice base, size_t n) {
        enum { MAX_FETCH_THREADS = 8, PER_THREAD_MIN = 32 };
        FetchSlice slices[MAX_FETCH_THREADS];
        pthread_t threads[MAX_FETCH_THREADS];
        bool started[MAX_FETCH_THREADS] = { false };
        size_t nt = n / PER_THREAD_MIN + 1;

        if (nt > MAX_FETCH_THREADS)
                nt = MAX_FETCH_THREADS;
        for (size_t t = 0; t < nt; t++) {
                slices[t] = base;
                slices[t].from = n * t / nt;
                slices[t].to = n * (t + 1) / nt;
                if (t > 0)
                        started[t] = pthread_create(&threads[t], NULL, fetch_slice, &slices[t]) == 0;
        }
        fetch_slice(&slices[0]);
        for (size_t t = 1; t < nt; t++) {
                if (started[t])
                        pthread_join(threads[t], NULL);
                else
                        fetch_slice(&slices[t]);
        }
}

/* Blocking: workers only. */
static int list_kind(virConnectPtr vc, KindId kind, Listing *l) {
        const VirtKind *vk = virt_kind(kind);
        void **handles = NULL;
        int n = vk->list(vc, &handles);

        memset(l, 0, sizeof(*l));
        l->kind = kind;
        if (n < 0) {
                l->failed = true;
                return -1;
        }
        l->keys = xmalloc0(sizeof(char *) * (size_t) (n ? n : 1));
        l->facts = xmalloc0(sizeof(*l->facts) * (size_t) (n ? n : 1));
        l->handles = xmalloc0(sizeof(void *) * (size_t) (n ? n : 1));
        fetch_all((FetchSlice) { kind, handles, l->keys, l->facts, 0, 0 }, (size_t) n);
        for (int i = 0; i < n; i++) {
                if (!l->keys[i]) {
                        vk->unref(handles[i]);
                        continue;
                }
                if ((size_t) i != l->n) {
                        l->keys[l->n] = l->keys[i];
                        l->keys[i] = NULL;
                        memcpy(l->facts[l->n], l->facts[i], sizeof(l->facts[i]));
                        memset(l->facts[i], 0, sizeof(l->facts[i]));
                }
                l->handles[l->n++] = handles[i];
        }
        free(handles);
        return 0;
}

/* Installs a fresh listing: every difference to what the table held is
 * announced, exactly as if the daemon had watched all along. The listing
 * was taken when the space had made @serials objects and @changes
 * changes: what calls or events added or removed since then is newer
 * than the listing and stays as it is. */
static void install_listing(Connection *c, Listing *l, uint64_t serials, uint64_t changes) {
        Space *s = c->space;
        StrMap *seen = strmap_new(NULL);
        ObjTable *t = s->tables[l->kind];
        size_t b = 0;

        c->installing = true;
        for (size_t i = 0; i < l->n; i++) {
                strmap_put(seen, l->keys[i], (void *) 1);
                if (space_gone_since(s, l->kind, l->keys[i], changes))
                        continue;
                space_upsert(s, l->kind, l->keys[i], l->facts[i], TAKE_PTR(l->handles[i]));
        }
        c->installing = false;
        for (Obj *o = obj_table_next(t, &b, NULL), *next; o; o = next) {
                size_t nb = b;
                next = obj_table_next(t, &nb, o);
                if (!strmap_get(seen, o->key) && o->serial <= serials)
                        space_remove(s, o);
                b = nb;
        }
        strmap_free(seen);
}

/* ---- closing ----------------------------------------------------------- */

typedef struct CloseTask {
        Task task;
        virConnectPtr vc;
        EventReg *regs;
        int nregs;
} CloseTask;

static void run_close(Task *t) {
        CloseTask *ct = (CloseTask *) t;

        /* Unregistering and the last close may do I/O: not on the loop. */
        events_unregister(ct->vc, ct->regs, ct->nregs);
        virConnectClose(ct->vc);
}

static void close_done(Task *t) {
        CloseTask *ct = (CloseTask *) t;

        free(ct->regs);
        free(ct);
}

static void close_on_worker(Manager *m, virConnectPtr vc, EventReg *regs, int nregs) {
        CloseTask *ct;

        if (!vc) {
                free(regs);
                return;
        }
        ct = xmalloc0(sizeof(*ct));
        ct->task.run = run_close;
        ct->task.done = close_done;
        ct->vc = vc;
        ct->regs = regs;
        ct->nregs = nregs;
        pool_submit(m->pool, &ct->task);
}

/* ---- connecting -------------------------------------------------------- */

typedef struct ConnectTask {
        Task task;
        Connection *conn;
        unsigned gen;
        char *uri;
        int r;
        virError err;
        virConnectPtr vc;
        EventReg *regs;
        int nregs;
        bool polling;
        Listing listings[KIND_MAX];
        uint64_t serials, changes;      /* the space's, when the listing began */
        char *hostname;
        char *driver;
        unsigned long lib_version;
        unsigned long version;
        int encrypted;
        int secure;
} ConnectTask;

static void connect_fail(ConnectTask *ct) {
        ct->r = -1;
        if (virCopyLastError(&ct->err) <= 0 || ct->err.code == VIR_ERR_OK) {
                virResetError(&ct->err);
                ct->err.code = VIR_ERR_INTERNAL_ERROR;
                ct->err.message = xstrdup("unknown error");
        }
}

/* Runs on a thread of its own: a hanging URI must not hold a worker. The
 * order matters: events are registered before the listing, so nothing that
 * happens in between is missed (what arrives meanwhile is replayed). */
static void run_connect(Task *t) {
        ConnectTask *ct = (ConnectTask *) t;
        const char *type;
        char *host;

        ct->vc = virConnectOpen(ct->uri);
        if (!ct->vc)
                return connect_fail(ct);
        /* Keepalive notices a hung libvirtd even while nothing is called (a
         * dead one closes the socket, which the close callback reports at
         * once); every 15 s keeps idle wake-ups rare. */
        if (virConnectSetKeepAlive(ct->vc, 15, 4) < 0)
                virResetLastError();
        if (events_register(ct->vc, ct->conn, ct->gen, &ct->regs, &ct->nregs) < 0) {
                virErrorPtr e = virGetLastError();
                if (!e || e->code != VIR_ERR_NO_SUPPORT) {
                        connect_fail(ct);
                        virConnectClose(ct->vc);
                        ct->vc = NULL;
                        return;
                }
                /* A driver without domain events is polled instead. */
                virResetLastError();
                ct->polling = true;
        }

        host = virConnectGetHostname(ct->vc);
        ct->hostname = host ? host : xstrdup("");
        type = virConnectGetType(ct->vc);
        ct->driver = xstrdup(type ? type : "");
        virConnectGetLibVersion(ct->vc, &ct->lib_version);
        virConnectGetVersion(ct->vc, &ct->version);
        ct->encrypted = virConnectIsEncrypted(ct->vc) > 0;
        ct->secure = virConnectIsSecure(ct->vc) > 0;
        virResetLastError();

        for (KindId k = KIND_CONNECT + 1; k < KIND_MAX; k++) {
                if (!virt_kind_served(k) || !virt_kind(k)->list)
                        continue;
                if (list_kind(ct->vc, k, &ct->listings[k]) < 0) {
                        if (k == KIND_DOMAIN) {
                                connect_fail(ct);
                                events_unregister(ct->vc, ct->regs, ct->nregs);
                                virConnectClose(ct->vc);
                                ct->vc = NULL;
                                return;
                        }
                        /* A driver that lacks this kind has none of it. */
                        virResetLastError();
                }
        }
        ct->r = 0;
}

static void connect_task_free(ConnectTask *ct) {
        space_unpin(ct->conn->space, ct->changes);
        for (KindId k = 0; k < KIND_MAX; k++)
                if (ct->listings[k].keys)
                        listing_clear(&ct->listings[k]);
        virResetError(&ct->err);
        free(ct->regs);
        free(ct->hostname);
        free(ct->driver);
        free(ct->uri);
        free(ct);
}

static void set_connected(Connection *c, bool up) {
        space_set_self(c->space, CONNECT_CONNECTED, value_bool(up));
}

static void finish_waiters(Connection *c, bool up) {
        ConnWaiter *list = c->waiters;

        c->waiters = NULL;
        c->waiting_timer = sd_event_source_disable_unref(c->waiting_timer);
        /* In arrival order. */
        ConnWaiter *rev = NULL;
        while (list) {
                ConnWaiter *w = list;
                list = w->next;
                w->next = rev;
                rev = w;
        }
        while (rev) {
                ConnWaiter *w = rev;
                rev = w->next;
                w->cb(w->ud, up);
                free(w);
        }
}

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        Connection *c = userdata;

        c->retry = sd_event_source_disable_unref(c->retry);
        connection_attempt(c);
        return 0;
}

static void schedule_retry(Connection *c) {
        c->retry = sd_event_source_disable_unref(c->retry);
        if (sd_event_add_time_relative(c->manager->loop, &c->retry, CLOCK_MONOTONIC,
                                       c->backoff_usec, 0, on_retry, c) < 0)
                log_error("Failed to schedule a reconnection of %s", c->uri);
        c->backoff_usec *= 2;
        if (c->backoff_usec > (c->ever_up ? BACKOFF_MAX_USEC : BACKOFF_NEVER_UP_MAX_USEC))
                c->backoff_usec = c->ever_up ? BACKOFF_MAX_USEC : BACKOFF_NEVER_UP_MAX_USEC;
}

static void drop_vconn(Connection *c) {
        close_on_worker(c->manager, TAKE_PTR(c->vconn), TAKE_PTR(c->regs), c->nregs);
        c->nregs = 0;
}

static void drop_pending(Connection *c) {
        while (c->pending_head) {
                EventItem *ev = c->pending_head;
                c->pending_head = ev->next;
                event_item_free(ev);
        }
        c->pending_tail = NULL;
}

/* Pool events held for their volumes' listing go on, in order. */
static void release_pool_events(Connection *c) {
        EventItem *list = c->pool_head;

        c->pool_head = c->pool_tail = NULL;
        while (list) {
                EventItem *ev = list;
                list = ev->next;
                ev->next = NULL;
                on_event(ev, c->manager);
        }
}

static void drop_pool_events(Connection *c) {
        while (c->pool_head) {
                EventItem *ev = c->pool_head;
                c->pool_head = ev->next;
                event_item_free(ev);
        }
        c->pool_tail = NULL;
}

static void connection_lost(Connection *c, const char *why) {
        if (c->state == CONN_DOWN)
                return;
        log_warning("Lost the libvirt connection %s (%s): %s; reconnecting", c->space->name, c->uri, why);
        c->state = CONN_DOWN;
        c->logged_down = true;
        /* Events still in flight for the old connection are ignored. */
        c->gen++;
        strmap_clear(c->unseen);
        strmap_clear(c->settling);
        drop_pool_events(c);
        /* Reads waiting for events of the old connection answer now. */
        wake_settled(c, NULL, UINT64_MAX, true);
        jobs_disconnected(c);
        c->poll_timer = sd_event_source_disable_unref(c->poll_timer);
        c->refresh_timer = sd_event_source_disable_unref(c->refresh_timer);
        drop_vconn(c);
        set_connected(c, false);
        c->backoff_usec = BACKOFF_MIN_USEC;
        schedule_retry(c);
}

static void replay_pending(Connection *c) {
        EventItem *list = c->pending_head;

        c->pending_head = c->pending_tail = NULL;
        while (list) {
                EventItem *ev = list;
                list = ev->next;
                ev->next = NULL;
                on_event(ev, c->manager);
        }
}

static int on_poll(sd_event_source *s, uint64_t usec, void *userdata) {
        Connection *c = userdata;

        conn_refresh(c, KIND_DOMAIN);
        sd_event_source_set_time_relative(s, POLL_USEC);
        sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        return 0;
}

static int on_refresh_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Connection *c = userdata;

        /* Domains without events are polled more often, above. */
        for (KindId k = KIND_DOMAIN + 1; k < KIND_MAX; k++)
                if (!c->events[k])
                        conn_refresh(c, k);
        sd_event_source_set_time_relative(s, REFRESH_USEC);
        sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        return 0;
}

static void connect_done(Task *t) {
        ConnectTask *ct = (ConnectTask *) t;
        Connection *c = ct->conn;
        Space *s = c->space;
        bool first = !c->first_done;
        size_t ndomains = ct->listings[KIND_DOMAIN].n;

        if (ct->gen != c->gen) { /* superseded */
                close_on_worker(c->manager, TAKE_PTR(ct->vc), TAKE_PTR(ct->regs), ct->nregs);
                connect_task_free(ct);
                return;
        }
        c->first_done = true;
        if (ct->r < 0) {
                c->state = CONN_DOWN;
                if (!c->logged_down || log_verbose)
                        log_warning("Cannot connect to %s (%s): %s; retrying in the background",
                                    s->name, c->uri, ct->err.message ? ct->err.message : "unknown error");
                c->logged_down = true;
                drop_pending(c);
                finish_waiters(c, false);
                schedule_retry(c);
                connect_task_free(ct);
                return;
        }

        c->vconn = TAKE_PTR(ct->vc);
        c->regs = TAKE_PTR(ct->regs);
        c->nregs = ct->nregs;
        c->state = CONN_UP;
        c->ever_up = true;
        c->backoff_usec = BACKOFF_MIN_USEC;
        c->polling = ct->polling;
        if (c->logged_down || !first)
                log_notice("Connected to %s (%s) again", s->name, c->uri);
        else
                log_info("Connected to %s (%s), %zu domains%s", s->name, c->uri, ndomains,
                         c->polling ? " (no events: polled)" : "");
        c->logged_down = false;

        free(s->driver);
        s->driver = xstrdup(*ct->driver ? ct->driver : s->name);
        space_set_self(s, CONNECT_HOSTNAME, value_str(ct->hostname));
        space_set_self(s, CONNECT_LIBVERSION, value_u64(ct->lib_version));
        space_set_self(s, CONNECT_VERSION, value_u64(ct->version));
        space_set_self(s, CONNECT_ENCRYPTED, value_bool(ct->encrypted));
        space_set_self(s, CONNECT_SECURE, value_bool(ct->secure));

        for (KindId k = KIND_CONNECT + 1; k < KIND_MAX; k++) {
                c->events[k] = events_registered(c->regs, c->nregs, k);
                if (ct->listings[k].keys)
                        install_listing(c, &ct->listings[k], ct->serials, ct->changes);
        }
        connect_task_free(ct);
        /* Listing thousands of domains leaves freed memory behind. */
        malloc_trim(0);
        set_connected(c, true);
        if (c->polling && !c->poll_timer)
                sd_event_add_time_relative(c->manager->loop, &c->poll_timer, CLOCK_MONOTONIC, POLL_USEC, 0,
                                           on_poll, c);
        if (!c->refresh_timer)
                sd_event_add_time_relative(c->manager->loop, &c->refresh_timer, CLOCK_MONOTONIC, REFRESH_USEC, 0,
                                           on_refresh_timer, c);
        replay_pending(c);
        jobs_connected(c);
        start_recheck(c);
        finish_waiters(c, true);
}

static void connection_attempt(Connection *c) {
        ConnectTask *ct = xmalloc0(sizeof(*ct));

        c->state = CONN_CONNECTING;
        c->gen++;
        ct->serials = c->space->serials;
        ct->changes = space_pin(c->space);
        ct->task.run = run_connect;
        ct->task.done = connect_done;
        ct->conn = c;
        ct->gen = c->gen;
        ct->uri = xstrdup(c->uri);
        pool_run_dedicated(c->manager->pool, &ct->task);
}

static int on_waiting_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        finish_waiters(userdata, false);
        return 0;
}

int conn_when_ready(Connection *c, void (*cb)(void *ud, bool up), void *ud) {
        ConnWaiter *w;

        if (c->state == CONN_UP)
                return 1;
        if (c->state != CONN_CONNECTING || c->first_done)
                return 0;
        if (!c->waiting_timer &&
            sd_event_add_time_relative(c->manager->loop, &c->waiting_timer, CLOCK_MONOTONIC,
                                       FIRST_ATTEMPT_WAIT_USEC, 0, on_waiting_timeout, c) < 0)
                return 0;
        w = xmalloc0(sizeof(*w));
        w->cb = cb;
        w->ud = ud;
        w->next = c->waiters;
        c->waiters = w;
        return -EAGAIN;
}

bool conn_connecting(Connection *c) {
        return c->state == CONN_CONNECTING && !c->first_done;
}

virConnectPtr conn_ref_vconn(Connection *c) {
        if (!c->vconn)
                return NULL;
        virConnectRef(c->vconn);
        return c->vconn;
}

/* ---- refreshing a kind ---------------------------------------------------- */

typedef struct RefreshTask {
        Task task;
        Connection *conn;
        unsigned gen;
        virConnectPtr vc;
        KindId kind;
        Listing listing;
        uint64_t serials, changes;
        int r;
} RefreshTask;

static void run_refresh(Task *t) {
        RefreshTask *rt = (RefreshTask *) t;

        rt->r = list_kind(rt->vc, rt->kind, &rt->listing);
}

static void refresh_done(Task *t) {
        RefreshTask *rt = (RefreshTask *) t;
        Connection *c = rt->conn;

        c->refreshing[rt->kind] = false;
        space_unpin(c->space, rt->changes);
        /* Only a listing of the current connection. */
        if (rt->r == 0 && rt->gen == c->gen && c->state == CONN_UP)
                install_listing(c, &rt->listing, rt->serials, rt->changes);
        else
                virResetLastError();
        listing_clear(&rt->listing);
        virConnectClose(rt->vc);
        if (c->refresh_again[rt->kind]) {
                c->refresh_again[rt->kind] = false;
                conn_refresh(c, rt->kind);
        } else if (rt->kind == KIND_STORAGE_VOL && c->pool_head) {
                /* This listing began after every pool event held: they go
                 * on now, with the pool's volumes already what libvirt
                 * has, so a pool's Create replies after its volumes are
                 * on the bus. */
                release_pool_events(c);
        }
        free(rt);
}

void conn_refresh(Connection *c, KindId kind) {
        RefreshTask *rt;

        /* Only kinds libvirt lists (not virtbusd's own jobs). */
        if (c->state != CONN_UP || !virt_kind_served(kind) || !virt_kind(kind)->list)
                return;
        if (c->refreshing[kind]) {
                /* What changed may be newer than the listing under way. */
                c->refresh_again[kind] = true;
                return;
        }
        rt = xmalloc0(sizeof(*rt));
        rt->task.run = run_refresh;
        rt->task.done = refresh_done;
        rt->conn = c;
        rt->gen = c->gen;
        rt->vc = conn_ref_vconn(c);
        rt->kind = kind;
        rt->serials = c->space->serials;
        rt->changes = space_pin(c->space);
        c->refreshing[kind] = true;
        pool_submit(c->manager->pool, &rt->task);
}

/* ---- events ------------------------------------------------------------ */

/* An object that appears behind the daemon's back (defined or started by
 * someone else) is published only once a worker has read all its facts, so
 * InterfacesAdded carries real values. Its events wait meanwhile, in order. */
typedef struct Unseen {
        EventItem *head, *tail;
} Unseen;

static void unseen_free(void *p) {
        Unseen *u = p;

        if (!u)
                return;
        while (u->head) {
                EventItem *ev = u->head;
                u->head = ev->next;
                event_item_free(ev);
        }
        free(u);
}

static char *unseen_key(KindId kind, const char *key) {
        return xasprintf("%d/%s", (int) kind, key);
}

typedef struct DiscoverTask {
        Task task;
        Connection *conn;
        unsigned gen;
        KindId kind;
        char *key;
        void *handle;
        Value facts[MAX_FACTS];
        bool ok;
} DiscoverTask;

static void run_discover(Task *t) {
        DiscoverTask *dt = (DiscoverTask *) t;

        dt->ok = virt_fetch(dt->kind, dt->handle, dt->facts) == 0;
}

/* libvirt-dbus's signal on the Connect object: DomainEvent, NetworkEvent... */
static void emit_lifecycle_signal(Connection *c, const char *path, EventItem *ev) {
        const Kind *k = kind_get(ev->kind);
        Value args[3] = { value_path(path), value_i32(ev->event), value_i32(ev->detail) };
        unsigned n = k->lifecycle_detail ? 3 : 2;

        space_signal(c->space, c->space->path, "org.libvirt.Connect", k->lifecycle_signal, args, n);
        value_clear_many(args, 3);
}

static void replay_unseen(Connection *c, KindId kind, Unseen *u, bool exists) {
        while (u->head) {
                EventItem *ev = u->head;
                u->head = ev->next;
                ev->next = NULL;
                if (exists)
                        on_event(ev, c->manager);
                else {
                        /* Gone before it could be read: only the signals. */
                        _cleanup_free_ char *path = space_path_for(c->space, kind, ev->key);
                        if (ev->lifecycle && !ev->relayed)
                                emit_lifecycle_signal(c, path, ev);
                        event_item_free(ev);
                }
        }
        u->tail = NULL;
}

/* Called when an object enters the table: its waiting events follow. */
static void flush_unseen(Connection *c, KindId kind, const char *key) {
        _cleanup_free_ char *uk = unseen_key(kind, key);
        Unseen *u = strmap_get(c->unseen, uk);

        if (!u)
                return;
        strmap_steal(c->unseen, uk);
        replay_unseen(c, kind, u, true);
        unseen_free(u);
}

static void discover_done(Task *t) {
        DiscoverTask *dt = (DiscoverTask *) t;
        Connection *c = dt->conn;
        _cleanup_free_ char *uk = unseen_key(dt->kind, dt->key);
        Unseen *u;

        if (dt->gen != c->gen || !(u = strmap_get(c->unseen, uk)))
                goto out; /* superseded, or a call's reply published it first */
        strmap_steal(c->unseen, uk);
        if (dt->ok && !space_get(c->space, dt->kind, dt->key))
                space_upsert(c->space, dt->kind, dt->key, dt->facts, TAKE_PTR(dt->handle));
        replay_unseen(c, dt->kind, u, space_get(c->space, dt->kind, dt->key) != NULL);
        unseen_free(u);
out:
        if (dt->handle)
                virt_kind(dt->kind)->unref(dt->handle);
        facts_clear(kind_get(dt->kind), dt->facts);
        free(dt->key);
        free(dt);
}

/* Keeps @ev until the object is known, reading it first if need be.
 * Returns true when it kept @ev. */
static bool hold_for_unseen(Connection *c, EventItem *ev, bool may_discover) {
        _cleanup_free_ char *uk = unseen_key(ev->kind, ev->key);
        Unseen *u = strmap_get(c->unseen, uk);
        DiscoverTask *dt;

        if (u) {
                ev->next = NULL;
                if (u->tail)
                        u->tail->next = ev;
                else
                        u->head = ev;
                u->tail = ev;
                return true;
        }
        if (!may_discover || !ev->handle)
                return false;
        u = xmalloc0(sizeof(*u));
        u->head = u->tail = ev;
        strmap_put(c->unseen, uk, u);
        dt = xmalloc0(sizeof(*dt));
        dt->task.run = run_discover;
        dt->task.done = discover_done;
        dt->conn = c;
        dt->gen = c->gen;
        dt->kind = ev->kind;
        dt->key = xstrdup(ev->key);
        dt->handle = ev->handle;
        virt_kind(ev->kind)->ref(dt->handle);
        pool_submit(c->manager->pool, &dt->task);
        return true;
}

/* ---- lifecycle events, settled by libvirt's own state ------------------------- */

/* An event says what happened, not always the state and reason libvirt
 * keeps afterwards: a restore ends with "resumed from snapshot" while
 * libvirt says "running, restored"; a save pauses the domain with reason
 * "saving" but sends "suspended, paused"; a cancelled save resumes it with
 * reason "save canceled". So a domain's state and reason come from libvirt
 * itself. Its event is relayed at once (DomainEvent makes no claim about
 * the state, and watchers wait for it), then the event waits while a
 * worker reads the state back (one reading serves every event that arrived
 * before it began), and the table takes what it read. Events that arrive
 * meanwhile wait for the next reading, so the values PropertiesChanged
 * announces are ones libvirt really had, in the order it had them. Reads of
 * the domain from the tables wait for the events relayed before them
 * (conn_when_settled()), so nobody reads a state older than a DomainEvent
 * already seen. */
typedef struct Settle {
        EventItem *head, *tail;         /* waiting for the next reading */
        bool reading;
        bool again;                     /* read once more, even without events */
        uint64_t queued;                /* events queued so far */
        uint64_t applied;               /* of those, events in the table */
} Settle;

struct SettleWaiter {
        SettleWaiter *next;
        char *key;
        uint64_t need;                  /* how many events must be in the table */
        void (*cb)(void *ud);
        void *ud;
};

/* Wakes the waiters of @key (NULL: all) whose events are in the table, or
 * all of them with @all. */
static void wake_settled(Connection *c, const char *key, uint64_t applied, bool all) {
        SettleWaiter *ready = NULL;

        for (SettleWaiter **p = &c->settle_waiters; *p;) {
                SettleWaiter *w = *p;
                if ((!key || streq(w->key, key)) && (all || w->need <= applied)) {
                        *p = w->next;
                        w->next = ready;
                        ready = w;
                } else
                        p = &w->next;
        }
        /* Callbacks last: they may wait again, or end calls. */
        while (ready) {
                SettleWaiter *w = ready;
                ready = w->next;
                w->cb(w->ud);
                free(w->key);
                free(w);
        }
}

SettleWaiter *conn_when_settled(Connection *c, const char *key, void (*cb)(void *ud), void *ud) {
        Settle *st = c->state == CONN_UP ? strmap_get(c->settling, key) : NULL;
        SettleWaiter *w;

        if (!st || st->applied >= st->queued)
                return NULL;
        w = xmalloc0(sizeof(*w));
        w->key = xstrdup(key);
        w->need = st->queued;
        w->cb = cb;
        w->ud = ud;
        w->next = c->settle_waiters;
        c->settle_waiters = w;
        return w;
}

void conn_settled_wait_cancel(Connection *c, SettleWaiter *w) {
        for (SettleWaiter **p = &c->settle_waiters; *p; p = &(*p)->next)
                if (*p == w) {
                        *p = w->next;
                        free(w->key);
                        free(w);
                        return;
                }
}

typedef struct SettleTask {
        Task task;
        Connection *conn;
        unsigned gen;
        char *key;
        void *handle;
        EventItem *batch;               /* the events this reading settles */
        uint64_t upto;                  /* the count of queued events they end at */
        int state, reason;
        bool ok;
        bool missing;                   /* libvirt has no such domain any more */
} SettleTask;

static void settle_free(void *p) {
        Settle *st = p;

        if (!st)
                return;
        while (st->head) {
                EventItem *ev = st->head;
                st->head = ev->next;
                event_item_free(ev);
        }
        free(st);
}

static void run_settle(Task *t) {
        SettleTask *tt = (SettleTask *) t;

        tt->ok = virDomainGetState(tt->handle, &tt->state, &tt->reason, 0) == 0;
        if (!tt->ok) {
                virErrorPtr e = virGetLastError();
                tt->missing = e && e->code == VIR_ERR_NO_DOMAIN;
        }
        virResetLastError();
}

/* Applies @batch (relayed already) to domain @o's facts, with the state
 * and reason read after them. Returns the events left over when the
 * domain ceased to exist on the way (they are about a later one). */
static EventItem *apply_batch(Connection *c, Obj *o, EventItem *batch, const SettleTask *tt) {
        Space *s = c->space;
        _cleanup_free_ char *key = xstrdup(o->key);
        Value next[MAX_FACTS] = { 0 };
        void *handle = NULL;
        bool gone = false, paused = false;
        const unsigned settled[] = { DOM_STATE, DOM_REASON, DOM_ACTIVE, DOM_ID, DOM_UPDATED };

        facts_copy(o->kind, next, o->facts);
        while (batch && !gone) {
                EventItem *ev = batch;
                batch = ev->next;
                ev->next = NULL;
                s->changes++;
                o->changed_at = s->changes;
                if (ev->name && !streq(value_get_str(&next[DOM_NAME]), ev->name)) {
                        value_clear(&next[DOM_NAME]);
                        next[DOM_NAME] = value_str(ev->name);
                }
                gone = o->kind->apply_lifecycle(next, ev->event, ev->detail, ev->dom_id);
                paused = ev->event == VIR_DOMAIN_EVENT_SUSPENDED;
                /* The event's virDomainPtr is the freshest (a rename leaves
                 * the old name in older ones): calls use it from now on. */
                if (ev->handle) {
                        if (handle)
                                virDomainFree(handle);
                        handle = TAKE_PTR(ev->handle);
                }
                event_item_free(ev);
        }
        if (!gone && tt && tt->missing) {
                /* libvirt no longer has it, and no event will say so: a
                 * migration that undefines its source (--undefinesource)
                 * or moves a shut-off domain (--offline) tells the source
                 * nothing, or only that the domain stopped. */
                log_info("Domain %s is gone from %s without an event saying so (migrated away)",
                         value_get_str(&next[DOM_NAME]), s->name);
                gone = true;
        }
        if (gone) {
                if (handle)
                        virDomainFree(handle);
                facts_clear(o->kind, next);
                space_remove(s, o);
                return batch;
        }
        if (tt && tt->ok) {
                bool active = tt->state != VIR_DOMAIN_SHUTOFF && tt->state != VIR_DOMAIN_NOSTATE;
                if (active == next[DOM_ACTIVE].b) {
                        value_clear(&next[DOM_STATE]);
                        value_clear(&next[DOM_REASON]);
                        next[DOM_STATE] = value_i32(tt->state);
                        next[DOM_REASON] = value_i32(tt->reason);
                } else
                        /* libvirt is past these events already; the
                         * events still to come say how it got there.
                         * Until then the domain stays as it was rather
                         * than in a state libvirt never reported. */
                        for (size_t i = 0; i < ELEMENTSOF(settled); i++)
                                value_copy(&next[settled[i]], &o->facts[settled[i]]);
        }
        space_upsert(s, KIND_DOMAIN, key, next, handle);
        facts_clear(kind_get(KIND_DOMAIN), next);
        /* A domain pauses first for most jobs (save, dump, snapshot), and
         * libvirt says why. */
        if (tt && tt->ok ? domain_paused_for_job(tt->state, tt->reason) : paused)
                jobs_hint(c, key);
        return NULL;
}

static void settle_start(Connection *c, const char *key, Settle *st);

static void settle_done(Task *t) {
        SettleTask *tt = (SettleTask *) t;
        Connection *c = tt->conn;
        EventItem *left = NULL;
        Settle *st;
        Obj *o;

        if (tt->gen != c->gen) {
                /* A connection that is gone: its events go with it. */
                while (tt->batch) {
                        EventItem *ev = tt->batch;
                        tt->batch = ev->next;
                        event_item_free(ev);
                }
                goto out;
        }
        st = strmap_get(c->settling, tt->key);
        if (st)
                st->reading = false;
        o = space_get(c->space, KIND_DOMAIN, tt->key);
        if (o)
                left = apply_batch(c, o, tt->batch, tt);
        else
                left = tt->batch;
        /* Events of a domain that went (or of the next one by that UUID)
         * take the way of events of an unknown domain. */
        while (left) {
                EventItem *ev = left;
                left = ev->next;
                ev->next = NULL;
                on_event(ev, c->manager);
        }
        st = strmap_get(c->settling, tt->key);
        if (st) {
                st->applied = tt->upto > st->applied ? tt->upto : st->applied;
                if (!st->reading && (st->head || st->again))
                        settle_start(c, tt->key, st);
                else if (!st->reading)
                        strmap_remove(c->settling, tt->key);
        }
        st = strmap_get(c->settling, tt->key);
        wake_settled(c, tt->key, st ? st->applied : UINT64_MAX, !st);
out:
        if (tt->handle)
                virDomainFree(tt->handle);
        free(tt->key);
        free(tt);
}

static void settle_start(Connection *c, const char *key, Settle *st) {
        Obj *o = space_get(c->space, KIND_DOMAIN, key);
        SettleTask *tt;

        if (!o || !o->handle) {
                /* Nothing to read: the events go as they are. */
                EventItem *batch = TAKE_PTR(st->head);
                _cleanup_free_ char *k = xstrdup(key);
                st->tail = NULL;
                strmap_remove(c->settling, k);
                if (o)
                        batch = apply_batch(c, o, batch, NULL);
                while (batch) {
                        EventItem *ev = batch;
                        batch = ev->next;
                        ev->next = NULL;
                        on_event(ev, c->manager);
                }
                wake_settled(c, k, UINT64_MAX, true);
                return;
        }
        tt = xmalloc0(sizeof(*tt));
        tt->task.run = run_settle;
        tt->task.done = settle_done;
        tt->task.internal = true;
        tt->conn = c;
        tt->gen = c->gen;
        tt->key = xstrdup(key);
        /* The newest handle: the last event's, else the table's. */
        tt->handle = st->tail && st->tail->handle ? st->tail->handle : o->handle;
        virDomainRef(tt->handle);
        tt->batch = st->head;
        tt->upto = st->queued;
        st->head = st->tail = NULL;
        st->again = false;
        st->reading = true;
        pool_submit(c->manager->pool, &tt->task);
}

/* Queues @ev (or, with NULL, only a reading) for domain @key. */
static void settle(Connection *c, const char *key, EventItem *ev) {
        Settle *st = strmap_get(c->settling, key);

        if (!st) {
                st = xmalloc0(sizeof(*st));
                strmap_put(c->settling, key, st);
        }
        if (ev) {
                ev->next = NULL;
                if (st->tail)
                        st->tail->next = ev;
                else
                        st->head = ev;
                st->tail = ev;
                st->queued++;
        } else
                st->again = true;
        if (!st->reading)
                settle_start(c, key, st);
}

/* Applies a lifecycle event of any kind through the kind's own rules
 * (model/); a domain's waits for libvirt's own state (settle() above).
 * Returns true when it kept @ev. */
static bool on_lifecycle(Connection *c, EventItem *ev) {
        Space *s = c->space;
        const Kind *k = kind_get(ev->kind);
        Obj *o = space_get(s, ev->kind, ev->key);
        _cleanup_free_ char *path = space_path_for(s, ev->kind, ev->key);
        Value next[MAX_FACTS] = { 0 };
        bool gone;

        if (!o) {
                s->changes++;
                if (hold_for_unseen(c, ev, k->event_creates(ev->event)))
                        return true;
                if (!ev->relayed)
                        emit_lifecycle_signal(c, path, ev);
                return false;
        }
        if (ev->kind == KIND_DOMAIN) {
                /* libvirt-dbus's signal at once: it is what most clients
                 * wait for. The state follows once libvirt says it. */
                if (!ev->relayed)
                        emit_lifecycle_signal(c, path, ev);
                ev->relayed = true;
                settle(c, ev->key, ev);
                return true;
        }
        s->changes++;
        o->changed_at = s->changes;

        facts_copy(k, next, o->facts);
        /* An event that names its object carries a rename. */
        if (ev->name && k->name_fact >= 0 && !streq(value_get_str(&next[k->name_fact]), ev->name)) {
                value_clear(&next[k->name_fact]);
                next[k->name_fact] = value_str(ev->name);
        }
        gone = k->apply_lifecycle(next, ev->event, ev->detail, ev->dom_id);
        /* libvirt-dbus's signal first: it is what most clients wait for. */
        emit_lifecycle_signal(c, path, ev);
        if (gone)
                space_remove(s, o);
        else
                /* The event's handle is the freshest (a rename leaves the
                 * old name in older ones): calls use it from now on. */
                space_upsert(s, ev->kind, ev->key, next, TAKE_PTR(ev->handle));
        facts_clear(k, next);
        return false;
}

/* The operation a JOB_COMPLETED event reports, or -1. */
static int job_event_operation(const EventItem *ev) {
        int op;

        if (ev->nargs < 1 || ev->args[0].type != 'P' ||
            virTypedParamsGetInt(ev->args[0].params.p, ev->args[0].params.n, VIR_DOMAIN_JOB_OPERATION, &op) != 1) {
                virResetLastError();
                return -1;
        }
        return op;
}

static void on_object_signal(Connection *c, EventItem *ev) {
        Space *s = c->space;
        _cleanup_free_ char *path = NULL;

        if (!ev->member || !ev->key)
                return;
        /* Signals of an object being read wait for it, in order. */
        if (!space_get(s, ev->kind, ev->key) && hold_for_unseen(c, ev, false))
                return;
        path = space_path_for(s, ev->kind, ev->key);
        space_signal(s, path, kind_get(ev->kind)->interface, ev->member, ev->args, ev->nargs);
        if (ev->kind == KIND_DOMAIN && space_get(s, ev->kind, ev->key))
                switch (ev->id) {
                case VIR_DOMAIN_EVENT_ID_MIGRATION_ITERATION:
                        /* Only a running job sends these. */
                        jobs_hint(c, ev->key);
                        break;
                case VIR_DOMAIN_EVENT_ID_JOB_COMPLETED:
                        jobs_completed_event(c, ev->key);
                        /* An outgoing migration that has ended may have
                         * taken the domain's definition along. */
                        if (job_event_operation(ev) == VIR_DOMAIN_JOB_OPERATION_MIGRATION_OUT)
                                settle(c, ev->key, NULL);
                        break;
                case VIR_DOMAIN_EVENT_ID_BLOCK_JOB_2:
                        /* disk, type, status */
                        if (ev->nargs == 3 && ev->args[0].type == 's' && ev->args[2].type == 'i')
                                jobs_block_event(c, ev->key, ev->args[0].s, ev->args[2].i);
                        break;
                case VIR_DOMAIN_EVENT_ID_REBOOT:
                        /* A reset sends no lifecycle event, but libvirt
                         * may say something new about the domain. */
                        settle(c, ev->key, NULL);
                        break;
                default:
                        break;
                }
        event_item_free(ev);
}

static void on_event(EventItem *ev, void *userdata) {
        Connection *c = ev->conn;

        log_debug("libvirt event %d.%d on %s (%s): %d %d%s", (int) ev->kind, ev->id, c->space->name,
                  strna(ev->key), ev->event, ev->detail, ev->gen != c->gen ? " (stale, ignored)" : "");
        if (ev->gen != c->gen) {
                event_item_free(ev);
                return;
        }
        if (c->state == CONN_CONNECTING) {
                /* The listing is being taken; replay after installing it. */
                ev->next = NULL;
                if (c->pending_tail)
                        c->pending_tail->next = ev;
                else
                        c->pending_head = ev;
                c->pending_tail = ev;
                return;
        }
        if (ev->id == EVENT_CLOSED) {
                connection_lost(c, ev->detail == VIR_CONNECT_CLOSE_REASON_KEEPALIVE
                                ? "keepalive timed out" : "connection closed");
                event_item_free(ev);
                return;
        }
        /* A pool's volumes change with it: libvirt lists none while it is
         * inactive, and a refresh or a (re)start may find others. Volumes
         * have no events of their own, so they are listed again. */
        if (ev->kind == KIND_STORAGE_POOL && !ev->vols_listed) {
                /* The event waits for that listing (see refresh_done()). */
                ev->vols_listed = true;
                ev->next = NULL;
                if (c->pool_tail)
                        c->pool_tail->next = ev;
                else
                        c->pool_head = ev;
                c->pool_tail = ev;
                conn_refresh(c, KIND_STORAGE_VOL);
                if (!c->refreshing[KIND_STORAGE_VOL]) {
                        /* Nothing to list (the connection is not up): the
                         * events go on at once. */
                        release_pool_events(c);
                }
                return;
        }
        if (ev->lifecycle) {
                if (!on_lifecycle(c, ev))
                        event_item_free(ev);
                return;
        }
        on_object_signal(c, ev);
}

/* ---- what migrations leave behind -------------------------------------------- */

/* libvirt tells the source of a migration that undefines it only that the
 * domain stopped, and tells the source of an offline migration nothing at
 * all. The first is settled by reading the domain back after its events
 * (settle()). For the second, two things make the source ask libvirt
 * again: the domain appearing on another connection of this daemon (the
 * destination, when it is one), and, for a destination the daemon does
 * not serve, a look every RECHECK_USEC at which domains libvirt still
 * defines: one listing of the inactive ones, compared with the table, and
 * a reading of only those it lacks. */

static void recheck_elsewhere(Connection *c, const char *key) {
        Manager *m = c->manager;

        for (size_t i = 0; i < m->nconns; i++) {
                Connection *other = m->conns[i];
                if (other != c && other->state == CONN_UP && space_get(other->space, KIND_DOMAIN, key))
                        settle(other, key, NULL);
        }
}

typedef struct RecheckTask {
        Task task;
        Connection *conn;
        unsigned gen;
        virConnectPtr vc;
        StrMap *defined;                /* UUIDs of the inactive domains libvirt has */
        bool ok;
} RecheckTask;

static void run_recheck(Task *t) {
        RecheckTask *rt = (RecheckTask *) t;
        virDomainPtr *doms = NULL;
        int n = virConnectListAllDomains(rt->vc, &doms, VIR_CONNECT_LIST_DOMAINS_INACTIVE);

        rt->ok = n >= 0;
        for (int i = 0; i < n; i++) {
                char uuid[VIR_UUID_STRING_BUFLEN];
                if (virDomainGetUUIDString(doms[i], uuid) == 0)
                        strmap_put(rt->defined, uuid, (void *) 1);
                virDomainFree(doms[i]);
        }
        free(doms);
        virResetLastError();
}

static void recheck_done(Task *t) {
        RecheckTask *rt = (RecheckTask *) t;
        Connection *c = rt->conn;
        char **missing = NULL;
        size_t n = 0;

        c->rechecking = false;
        if (rt->ok && rt->gen == c->gen && c->state == CONN_UP) {
                /* Only a reading says a domain is gone: one defined after
                 * the listing was taken is not in it, yet exists. */
                OBJ_TABLE_FOREACH(o, c->space->tables[KIND_DOMAIN], b)
                        if (!o->facts[DOM_ACTIVE].b && !strmap_get(rt->defined, o->key)) {
                                missing = xrealloc(missing, sizeof(char *) * (n + 1));
                                missing[n++] = xstrdup(o->key);
                        }
                for (size_t i = 0; i < n; i++) {
                        if (space_get(c->space, KIND_DOMAIN, missing[i]))
                                settle(c, missing[i], NULL);
                        free(missing[i]);
                }
                free(missing);
        }
        strmap_free(rt->defined);
        virConnectClose(rt->vc);
        free(rt);
}

static int on_recheck(sd_event_source *s, uint64_t usec, void *userdata) {
        Connection *c = userdata;
        RecheckTask *rt;

        sd_event_source_set_time_relative(s, conn_recheck_usec());
        if (c->state != CONN_UP || c->rechecking || c->polling)
                return 0;
        rt = xmalloc0(sizeof(*rt));
        rt->task.run = run_recheck;
        rt->task.done = recheck_done;
        rt->conn = c;
        rt->gen = c->gen;
        rt->vc = conn_ref_vconn(c);
        rt->defined = strmap_new(NULL);
        c->rechecking = true;
        pool_submit(c->manager->pool, &rt->task);
        return 0;
}

static void start_recheck(Connection *c) {
        if (c->recheck_timer || c->polling)
                return;
        if (sd_event_add_time_relative(c->manager->loop, &c->recheck_timer, CLOCK_MONOTONIC, conn_recheck_usec(),
                                       0, on_recheck, c) < 0)
                log_warning("Cannot look for domains of %s that leave without an event", c->space->name);
        else
                sd_event_source_set_enabled(c->recheck_timer, SD_EVENT_ON);
}

uint64_t conn_recheck_usec(void) {
#ifdef VIRTBUS_TEST_DELAY_SEAM
        /* Tests need not wait a minute for what the look finds. */
        const char *e = getenv("VIRTBUS_TEST_RECHECK_MS");
        if (e && *e) {
                long ms = strtol(e, NULL, 10);
                if (ms > 0 && ms < 600000)
                        return (uint64_t) ms * 1000;
        }
#endif
        return RECHECK_USEC;
}

void conn_reread(Connection *c, KindId kind, const char *key) {
        if (kind == KIND_DOMAIN && c->state == CONN_UP && space_get(c->space, kind, key))
                settle(c, key, NULL);
}

bool conn_kind_has_events(Connection *c, KindId kind) {
        return c->events[kind];
}

/* ---- the manager ------------------------------------------------------- */

static void on_added(void *ud, Space *s, Obj *o) {
        Connection *c = s->owner;

        /* A call's reply published it first: its waiting events follow. */
        flush_unseen(c, o->kind->id, o->key);
        jobs_object_added(c, o);
        /* A domain that arrives may have left another connection by an
         * offline migration, which tells the source nothing. Not while a
         * listing is installed: those were there all along. */
        if (o->kind->id == KIND_DOMAIN && !c->installing)
                recheck_elsewhere(c, o->key);
}

static const SpaceObserver conn_observer = {
        .added = on_added,
};

void manager_observe(Manager *m) {
        for (size_t i = 0; i < m->nconns; i++)
                space_observe(m->conns[i]->space, &conn_observer, m);
}

Connection *manager_add_connection(Manager *m, const char *name, const char *uri) {
        Connection *c = xmalloc0(sizeof(*c));

        c->manager = m;
        c->space = space_new(name, virt_free_handle);
        c->space->owner = c;
        c->uri = xstrdup(uri);
        c->unseen = strmap_new(unseen_free);
        c->settling = strmap_new(settle_free);
        c->state = CONN_CONNECTING;
        c->backoff_usec = BACKOFF_MIN_USEC;
        m->conns = xrealloc(m->conns, sizeof(*m->conns) * (m->nconns + 1));
        m->conns[m->nconns++] = c;
        return c;
}

void manager_start(Manager *m) {
        for (size_t i = 0; i < m->nconns; i++)
                connection_attempt(m->conns[i]);
}

Manager *manager_new(sd_event *loop, unsigned threads) {
        Manager *m = xmalloc0(sizeof(*m));

        m->loop = sd_event_ref(loop);
        m->pool = pool_new(loop, threads);
        if (!m->pool)
                return manager_free(m);
        if (events_start(loop, on_event, m) < 0) {
                log_error("Failed to start the libvirt event loop");
                return manager_free(m);
        }
        return m;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        events_stop();
        pool_free(m->pool);
        /* Connections, their spaces and the pool stay reachable until exit:
         * workers may still be inside a hung libvirt call. */
        sd_event_unref(m->loop);
        return NULL;
}
