/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>

#include "auth.h"
#include "bus.h"
#include "errors.h"
#include "log.h"
#include "manager.h"
#include "strmap.h"
#include "util.h"

#define BACKOFF_MIN_USEC (250 * 1000ULL)
#define BACKOFF_MAX_USEC (4 * 1000 * 1000ULL)
/* A URI that never worked (a driver this host lacks) is retried rarely. */
#define BACKOFF_NEVER_UP_MAX_USEC (30 * 1000 * 1000ULL)
/* How long a call waits for its connection's first attempt. */
#define FIRST_ATTEMPT_WAIT_USEC (20 * 1000 * 1000ULL)
/* How long a reply waits for libvirt's events to catch the table up. */
#define CATCH_UP_USEC (2 * 1000 * 1000ULL)

static void connection_attempt(Connection *c);
static void unseen_free(void *p);
static void flush_unseen(Connection *c, const char *uuid);
static void on_event(EventItem *ev, void *userdata);
static void job_done(Job *j, void *userdata);

/* ---- domain entries ---------------------------------------------------- */

DomainEntry *conn_domain_get(Connection *c, const char *uuid) {
        return (DomainEntry *) domain_table_get(c->domains, uuid);
}

DomainEntry *conn_domain_by_path(Connection *c, const char *path) {
        char uuid[UUID_STRING_LEN + 1];

        if (!path_to_uuid(c->dom_prefix, path, uuid))
                return NULL;
        return conn_domain_get(c, uuid);
}

void conn_domain_changed(Connection *c, DomainEntry *e, unsigned mask) {
        const char *names[DOMAIN_PROP_COUNT + 1];

        if (!mask || !e->announced)
                return;
        domain_prop_names_for(mask, names);
        bus_domain_emit_changed(c->manager->bus, e->path, names);
}

static void entry_free(DomainNode *n) {
        DomainEntry *e = (DomainEntry *) n;

        domain_info_clear(&e->node.info);
        if (e->dom)
                virDomainFree(e->dom);
        free(e->path);
        free(e);
}

static void entry_release_queue(DomainEntry *e) {
        /* Calls queued behind a domain that vanished go to libvirt anyway,
         * which answers them with its own "no domain" error. */
        while (e->queue_head) {
                Job *j = e->queue_head;
                e->queue_head = j->next;
                j->next = NULL;
                j->started = true;
                pool_submit(e->conn->manager->pool, j);
        }
        e->queue_tail = NULL;
}

DomainEntry *conn_domain_upsert(Connection *c, const DomainInfo *info, virDomainPtr dom) {
        DomainEntry *e = conn_domain_get(c, info->uuid);

        if (dom)
                virDomainRef(dom);
        if (e) {
                unsigned mask = domain_info_diff(&e->node.info, info);
                domain_info_copy(&e->node.info, info);
                if (dom) {
                        if (e->dom)
                                virDomainFree(e->dom);
                        e->dom = dom;
                }
                conn_domain_changed(c, e, mask);
                return e;
        }

        e = xmalloc0(sizeof(*e));
        domain_info_copy(&e->node.info, info);
        e->conn = c;
        e->serial = ++c->entries;
        e->dom = dom;
        e->path = path_for_uuid(c->dom_prefix, info->uuid);
        /* Findable first, announced second. */
        domain_table_put(c->domains, &e->node);
        e->announced = true;
        bus_emit_object_added(c->manager->bus, e->path);
        flush_unseen(c, info->uuid);
        return e;
}

void conn_domain_remove(Connection *c, DomainEntry *e) {
        /* Announced gone while still findable, so the signal can list the
         * interfaces; forgotten second. */
        if (e->announced)
                bus_emit_object_removed(c->manager->bus, e->path);
        memcpy(c->gone[c->gone_next].uuid, e->node.info.uuid, sizeof(c->gone[0].uuid));
        c->gone[c->gone_next].at = c->events;
        c->gone_next = (c->gone_next + 1) % ELEMENTSOF(c->gone);
        domain_table_remove(c->domains, &e->node);
        entry_release_queue(e);
        entry_free(&e->node);
}

bool conn_gone_since(Connection *c, const char *uuid, uint64_t since) {
        for (size_t i = 0; i < ELEMENTSOF(c->gone); i++)
                if (c->gone[i].at > since && streq(c->gone[i].uuid, uuid))
                        return true;
        return false;
}

/* ---- connections ------------------------------------------------------- */

int manager_add_connection(Manager *m, const char *name, const char *uri) {
        Connection *c = xmalloc0(sizeof(*c));

        c->manager = m;
        c->name = xstrdup(name);
        c->uri = xstrdup(uri);
        c->path = xasprintf(VIRTBUS_ROOT_PATH "/%s", name);
        c->dom_prefix = xasprintf("%s/domain", c->path);
        c->snap_prefix = xasprintf("%s/domainsnapshot", c->path);
        c->domains = domain_table_new();
        c->unseen = strmap_new(unseen_free);
        c->state = CONN_CONNECTING;
        c->hostname = xstrdup("");
        c->driver = xstrdup("");
        c->backoff_usec = BACKOFF_MIN_USEC;
        m->conns = realloc(m->conns, sizeof(*m->conns) * (m->nconns + 1));
        if (!m->conns)
                abort();
        m->conns[m->nconns++] = c;
        return bus_connection_register(m->bus, c);
}

typedef struct ConnectResult {
        virConnectPtr vc;
        int *ids;               /* event registrations */
        int nids;
        DomainInfo *infos;
        virDomainPtr *doms;
        size_t n;
        char *hostname;
        char *driver;
        unsigned long lib_version;
        unsigned long version;
        int encrypted;
        int secure;
} ConnectResult;

static void connect_result_free(void *p) {
        ConnectResult *r = p;

        if (!r)
                return;
        for (size_t i = 0; i < r->n; i++) {
                domain_info_clear(&r->infos[i]);
                if (r->doms[i])
                        virDomainFree(r->doms[i]);
        }
        free(r->infos);
        free(r->doms);
        free(r->hostname);
        free(r->driver);
        /* A connection still here was handed to close_on_worker() or
         * never opened: nothing to close on this thread. */
        free(r->ids);
        free(r);
}

static void run_close(Job *j) {
        /* Unregistering and the last close may do I/O: not on the loop. */
        events_unregister(j->vconn, j->arg, (int) j->u[0]);
        virConnectClose(j->vconn);
        j->vconn = NULL;
        j->r = 0;
}

static void close_on_worker(Manager *m, virConnectPtr vc, int *ids, int nids) {
        Job *j;

        if (!vc)
                return;
        j = job_new(NULL, NULL, JOB_QUERY, run_close, NULL);
        j->vconn = vc;
        j->arg = ids;
        j->arg_free = free;
        j->u[0] = (uint32_t) nids;
        pool_submit(m->pool, j);
}

typedef struct FetchSlice {
        virDomainPtr *doms;
        DomainInfo *infos;
        size_t from, to;
} FetchSlice;

static void *fetch_slice(void *arg) {
        FetchSlice *f = arg;
        sigset_t all;

        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, NULL);
        for (size_t i = f->from; i < f->to; i++)
                if (domain_info_fetch(f->doms[i], &f->infos[i]) < 0)
                        domain_info_clear(&f->infos[i]); /* name NULL: skipped */
        virResetLastError();
        return NULL;
}

/* Reads every domain's facts, several domains at a time: libvirtd answers
 * concurrent calls on one connection, and a host with thousands of domains
 * would otherwise wait for one round trip after another. */
static void fetch_all(virDomainPtr *doms, DomainInfo *infos, size_t n) {
        enum { MAX_FETCH_THREADS = 8, PER_THREAD_MIN = 32 };
        FetchSlice slices[MAX_FETCH_THREADS];
        pthread_t threads[MAX_FETCH_THREADS];
        bool started[MAX_FETCH_THREADS] = { false };
        size_t nt = n / PER_THREAD_MIN + 1;

        if (nt > MAX_FETCH_THREADS)
                nt = MAX_FETCH_THREADS;
        for (size_t t = 0; t < nt; t++) {
                slices[t] = (FetchSlice) { doms, infos, n * t / nt, n * (t + 1) / nt };
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

/* Runs on a thread of its own: a hanging URI must not hold a worker. The
 * order matters: events are registered before the listing, so nothing that
 * happens in between is missed (what arrives meanwhile is replayed). */
static void run_connect(Job *j) {
        ConnectResult *res = xmalloc0(sizeof(*res));
        virDomainPtr *doms = NULL;
        const char *type;
        char *host;
        int n;

        j->out = res;
        j->out_free = connect_result_free;
        res->vc = virConnectOpen(j->s[0]);
        if (!res->vc)
                return job_fail(j);
        /* Keepalive notices a hung libvirtd even while nothing is called (a
         * dead one closes the socket, which the close callback reports at
         * once); every 15 s keeps idle wake-ups rare. */
        if (virConnectSetKeepAlive(res->vc, 15, 4) < 0)
                virResetLastError();
        if (events_register(res->vc, j->conn, j->u[0], &res->ids, &res->nids) < 0) {
                job_fail(j);
                virConnectClose(res->vc);
                res->vc = NULL;
                return;
        }

        host = virConnectGetHostname(res->vc);
        res->hostname = host ? host : xstrdup("");
        type = virConnectGetType(res->vc);
        res->driver = xstrdup(type ? type : "");
        virConnectGetLibVersion(res->vc, &res->lib_version);
        virConnectGetVersion(res->vc, &res->version);
        res->encrypted = virConnectIsEncrypted(res->vc) > 0;
        res->secure = virConnectIsSecure(res->vc) > 0;
        virResetLastError();

        n = virConnectListAllDomains(res->vc, &doms, 0);
        if (n < 0) {
                job_fail(j);
                events_unregister(res->vc, res->ids, res->nids);
                virConnectClose(res->vc);
                res->vc = NULL;
                return;
        }
        res->infos = xmalloc0(sizeof(DomainInfo) * (size_t) (n ? n : 1));
        res->doms = xmalloc0(sizeof(virDomainPtr) * (size_t) (n ? n : 1));
        fetch_all(doms, res->infos, (size_t) n);
        for (int i = 0; i < n; i++) {
                /* A domain that vanished between list and fetch is skipped:
                 * its events follow. */
                if (!res->infos[i].name) {
                        virDomainFree(doms[i]);
                        continue;
                }
                if ((size_t) i != res->n) {
                        res->infos[res->n] = res->infos[i];
                        memset(&res->infos[i], 0, sizeof(DomainInfo));
                }
                res->doms[res->n++] = doms[i];
        }
        free(doms);
        j->r = 0;
}

static void set_connected(Connection *c, bool up) {
        if (c->connected == up)
                return;
        c->connected = up;
        bus_connection_emit_changed(c->manager->bus, c, "Connected");
}

static void fail_waiting(Connection *c) {
        while (c->waiting_head) {
                Job *j = c->waiting_head;
                c->waiting_head = j->next;
                j->next = NULL;
                job_reply_no_connect(j);
                job_free(j);
        }
        c->waiting_tail = NULL;
        c->waiting_timer = sd_event_source_disable_unref(c->waiting_timer);
}

static void start_waiting(Connection *c) {
        Job *list = c->waiting_head;

        c->waiting_head = c->waiting_tail = NULL;
        c->waiting_timer = sd_event_source_disable_unref(c->waiting_timer);
        while (list) {
                Job *j = list;
                list = j->next;
                j->next = NULL;
                _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
                /* job_start() frees the job when it fails. */
                sd_bus_message *msg = sd_bus_message_ref(j->msg);
                int r = job_start(j, &e);
                if (r < 0)
                        sd_bus_reply_method_errno(msg, r, &e);
                sd_bus_message_unref(msg);
        }
}

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        Connection *c = userdata;

        c->retry = sd_event_source_disable_unref(c->retry);
        connection_attempt(c);
        return 0;
}

static void schedule_retry(Connection *c) {
        sd_event_source_disable_unref(c->retry);
        c->retry = NULL;
        if (sd_event_add_time_relative(c->manager->loop, &c->retry, CLOCK_MONOTONIC,
                                       c->backoff_usec, 0, on_retry, c) < 0)
                log_error("Failed to schedule a reconnection of %s", c->uri);
        c->backoff_usec *= 2;
        if (c->backoff_usec > (c->ever_up ? BACKOFF_MAX_USEC : BACKOFF_NEVER_UP_MAX_USEC))
                c->backoff_usec = c->ever_up ? BACKOFF_MAX_USEC : BACKOFF_NEVER_UP_MAX_USEC;
}

static void drop_vconn(Connection *c) {
        close_on_worker(c->manager, TAKE_PTR(c->vconn), TAKE_PTR(c->callback_ids), c->ncallback_ids);
        c->ncallback_ids = 0;
}

static void connection_lost(Connection *c, const char *why) {
        if (c->state == CONN_DOWN)
                return;
        log_warning("Lost the libvirt connection %s (%s): %s; reconnecting", c->name, c->uri, why);
        c->state = CONN_DOWN;
        c->logged_down = true;
        /* Events still in flight for the old connection are ignored. */
        c->gen++;
        strmap_clear(c->unseen);
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

/* Installs a fresh listing: every difference to what the table held is
 * announced, exactly as if the daemon had watched all along. */
static void install_listing(Connection *c, ConnectResult *res) {
        DomainTable *seen = domain_table_new();
        size_t b = 0;
        DomainNode *n, *next;

        for (size_t i = 0; i < res->n; i++) {
                DomainNode *mark = xmalloc0(sizeof(*mark));
                memcpy(mark->info.uuid, res->infos[i].uuid, sizeof(mark->info.uuid));
                domain_table_put(seen, mark);
                conn_domain_upsert(c, &res->infos[i], res->doms[i]);
        }
        for (n = domain_table_next(c->domains, &b, NULL); n; n = next) {
                size_t nb = b;
                next = domain_table_next(c->domains, &nb, n);
                if (!domain_table_get(seen, n->info.uuid))
                        conn_domain_remove(c, (DomainEntry *) n);
                b = nb;
        }
        domain_table_free(seen, (void (*)(DomainNode *)) free);
}

static void connect_done(Job *j) {
        Connection *c = j->conn;
        ConnectResult *res = j->out;
        bool first = !c->first_done;

        if (j->u[0] != c->gen) { /* superseded */
                close_on_worker(c->manager, TAKE_PTR(res->vc), TAKE_PTR(res->ids), res->nids);
                return;
        }
        c->first_done = true;
        if (j->r < 0) {
                c->state = CONN_DOWN;
                if (!c->logged_down || log_verbose)
                        log_warning("Cannot connect to %s (%s): %s; retrying in the background",
                                    c->name, c->uri, j->err.message ? j->err.message : "unknown error");
                c->logged_down = true;
                while (c->pending_head) {
                        EventItem *ev = c->pending_head;
                        c->pending_head = ev->next;
                        event_item_free(ev);
                }
                c->pending_tail = NULL;
                fail_waiting(c);
                schedule_retry(c);
                return;
        }

        c->vconn = TAKE_PTR(res->vc);
        c->callback_ids = TAKE_PTR(res->ids);
        c->ncallback_ids = res->nids;
        c->state = CONN_UP;
        c->ever_up = true;
        c->backoff_usec = BACKOFF_MIN_USEC;
        if (c->logged_down || !first)
                log_notice("Connected to %s (%s) again", c->name, c->uri);
        else
                log_info("Connected to %s (%s), %zu domains", c->name, c->uri, res->n);
        c->logged_down = false;

        free(c->hostname);
        c->hostname = TAKE_PTR(res->hostname);
        free(c->driver);
        c->driver = TAKE_PTR(res->driver);
        c->lib_version = res->lib_version;
        c->version = res->version;
        c->encrypted = res->encrypted;
        c->secure = res->secure;

        install_listing(c, res);
        /* Listing thousands of domains leaves freed memory behind. */
        malloc_trim(0);
        set_connected(c, true);
        replay_pending(c);
        start_waiting(c);
}

static void connection_attempt(Connection *c) {
        Job *j = job_new(c, NULL, JOB_QUERY, run_connect, NULL);

        c->state = CONN_CONNECTING;
        c->gen++;
        j->s[0] = xstrdup(c->uri);
        j->u[0] = c->gen;
        j->apply = connect_done;
        pool_run_dedicated(c->manager->pool, j);
}

static int on_waiting_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        fail_waiting(userdata);
        return 0;
}

/* A call that arrives while the first attempt is under way waits for it. */
static int conn_wait_first(Connection *c, Job *j) {
        if (c->state != CONN_CONNECTING || c->first_done)
                return 0;
        if (!c->waiting_timer &&
            sd_event_add_time_relative(c->manager->loop, &c->waiting_timer, CLOCK_MONOTONIC,
                                       FIRST_ATTEMPT_WAIT_USEC, 0, on_waiting_timeout, c) < 0)
                return -ENOMEM;
        j->next = NULL;
        if (c->waiting_tail)
                c->waiting_tail->next = j;
        else
                c->waiting_head = j;
        c->waiting_tail = j;
        return 1;
}

void manager_start(Manager *m) {
        for (size_t i = 0; i < m->nconns; i++)
                connection_attempt(m->conns[i]);
}

/* ---- events ------------------------------------------------------------ */

/* A domain that appears behind the daemon's back (defined or started by
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

static void run_discover(Job *j) {
        job_capture_after(j, j->dom);
        j->r = 0;
}

static void replay_unseen(Connection *c, Unseen *u, bool exists) {
        while (u->head) {
                EventItem *ev = u->head;
                u->head = ev->next;
                ev->next = NULL;
                if (exists)
                        on_event(ev, c->manager);
                else {
                        /* Gone before it could be read: only the signals. */
                        _cleanup_free_ char *path = path_for_uuid(c->dom_prefix, ev->uuid);
                        if (ev->id == VIR_DOMAIN_EVENT_ID_LIFECYCLE)
                                bus_emit_domain_event(c, path, ev->i[0], ev->i[1]);
                        event_item_free(ev);
                }
        }
        u->tail = NULL;
}

/* Called when a domain enters the table: its waiting events follow. */
static void flush_unseen(Connection *c, const char *uuid) {
        Unseen *u = strmap_get(c->unseen, uuid);

        if (!u)
                return;
        strmap_steal(c->unseen, uuid);
        replay_unseen(c, u, true);
        unseen_free(u);
}

static void discover_done(Job *j) {
        Connection *c = j->conn;
        Unseen *u;

        if (j->u[0] != c->gen)
                return;
        u = strmap_get(c->unseen, j->s[0]);
        if (!u)
                return; /* a call's reply published it first */
        strmap_steal(c->unseen, j->s[0]);
        if (j->have_after && !conn_domain_get(c, j->s[0])) {
                conn_domain_upsert(c, &j->after, j->dom);
                flush_unseen(c, j->s[0]);
        }
        replay_unseen(c, u, conn_domain_get(c, j->s[0]) != NULL);
        unseen_free(u);
}

/* Returns true when it kept @ev. */
static bool on_lifecycle(Connection *c, EventItem *ev) {
        DomainEntry *e = conn_domain_get(c, ev->uuid);
        int event = ev->i[0], detail = ev->i[1];
        _cleanup_free_ char *path = path_for_uuid(c->dom_prefix, ev->uuid);
        Unseen *u;

        c->events++;
        if (e)
                e->last_event = c->events;
        if (!e && (u = strmap_get(c->unseen, ev->uuid))) {
                ev->next = NULL;
                if (u->tail)
                        u->tail->next = ev;
                else
                        u->head = ev;
                u->tail = ev;
                return true;
        }
        if (!e && event != VIR_DOMAIN_EVENT_UNDEFINED && event != VIR_DOMAIN_EVENT_STOPPED && ev->dom) {
                Job *j = job_new(c, NULL, JOB_QUERY, run_discover, NULL);
                u = xmalloc0(sizeof(*u));
                u->head = u->tail = ev;
                strmap_put(c->unseen, ev->uuid, u);
                j->dom = ev->dom;
                virDomainRef(j->dom);
                j->s[0] = xstrdup(ev->uuid);
                j->u[0] = c->gen;
                j->apply = discover_done;
                pool_submit(c->manager->pool, j);
                return true;
        }
        if (e) {
                DomainInfo next = { 0 };
                domain_info_copy(&next, &e->node.info);
                if (ev->name && !streq_ptr(next.name, ev->name)) {
                        free(next.name);
                        next.name = xstrdup(ev->name);
                }
                bool gone = domain_apply_lifecycle(&next, event, detail, ev->dom_id);
                if (gone) {
                        bus_emit_domain_event(c, path, event, detail);
                        conn_domain_remove(c, e);
                        domain_info_clear(&next);
                        return false;
                }
                /* libvirt-dbus's signal first: it is what most clients wait
                 * for. The event's virDomainPtr is the freshest (a rename
                 * leaves the old name in older ones): jobs use it from now on. */
                bus_emit_domain_event(c, path, event, detail);
                conn_domain_upsert(c, &next, ev->dom);
                domain_info_clear(&next);
                return false;
        }
        bus_emit_domain_event(c, path, event, detail);
        return false;
}

static void on_event(EventItem *ev, void *userdata) {
        Connection *c = ev->conn;

        log_debug("libvirt event %d on %s (%s): %d %d%s", ev->id, c->name, ev->uuid, ev->i[0], ev->i[1],
                  ev->gen != c->gen ? " (stale, ignored)" : "");
        if (ev->gen != c->gen) {
                event_item_free(ev);
                return;
        }
        if (c->state == CONN_CONNECTING) {
                /* The listing is being taken; replay after installing it. */
                if (c->pending_tail)
                        c->pending_tail->next = ev;
                else
                        c->pending_head = ev;
                c->pending_tail = ev;
                return;
        }
        if (ev->id == EVENT_CLOSED) {
                connection_lost(c, ev->i[0] == VIR_CONNECT_CLOSE_REASON_KEEPALIVE
                                ? "keepalive timed out" : "connection closed");
        } else if (ev->id == VIR_DOMAIN_EVENT_ID_LIFECYCLE) {
                char uuid[UUID_STRING_LEN + 1];
                memcpy(uuid, ev->uuid, sizeof(uuid));
                if (on_lifecycle(c, ev))
                        return; /* kept until the domain is known */
                conn_check_deferred(c, uuid);
        } else {
                _cleanup_free_ char *path = path_for_uuid(c->dom_prefix, ev->uuid);
                bus_emit_domain_signal(c->manager->bus, path, ev);
        }
        event_item_free(ev);
}

/* ---- jobs on the loop thread ------------------------------------------- */

static bool table_caught_up(Job *j) {
        DomainEntry *e;

        if (!j->uuid[0])
                return true;
        e = conn_domain_get(j->conn, j->uuid);

        if (j->gone_after)
                return !e;
        if (!j->have_after)
                return true;
        return e && e->node.info.state == j->after.state &&
                e->node.info.persistent == j->after.persistent &&
                streq_ptr(e->node.info.name, j->after.name);
}

static void release_domain(Job *j) {
        DomainEntry *e;

        if (!j->holds_domain)
                return;
        j->holds_domain = false;
        e = conn_domain_get(j->conn, j->uuid);
        /* Not a later domain with the same UUID: its turn is its own. */
        if (!e || !e->busy || e->serial != j->turn_serial)
                return;
        if (e->queue_head) {
                Job *next = e->queue_head;
                e->queue_head = next->next;
                if (!e->queue_head)
                        e->queue_tail = NULL;
                next->next = NULL;
                next->started = true;
                next->holds_domain = true;
                next->turn_serial = e->serial;
                pool_submit(j->conn->manager->pool, next);
        } else
                e->busy = false;
}

static void job_finish(Job *j) {
        Connection *c = j->conn;

        if (j->r >= 0 && j->klass == JOB_CHANGE && !table_caught_up(j)) {
                /* libvirt's events did not arrive in time: publish what the
                 * worker saw after the call, unless an event has moved the
                 * domain since (events are newer than the worker's view). */
                DomainEntry *e = conn_domain_get(c, j->uuid);
                if (e && e->last_event > j->events_at_start)
                        ;
                else if (j->gone_after && e)
                        conn_domain_remove(c, e);
                else if (j->have_after && !conn_gone_since(c, j->uuid, j->events_at_start))
                        conn_domain_upsert(c, &j->after, NULL);
        }
        release_domain(j);
        c->manager->jobs--;
        job_reply(j);
        job_free(j);
}

static void unlink_deferred(Connection *c, Job *j) {
        for (Job **p = &c->deferred_head; *p; p = &(*p)->next)
                if (*p == j) {
                        *p = j->next;
                        j->next = NULL;
                        return;
                }
}

static int on_deferred_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Job *j = userdata;

        unlink_deferred(j->conn, j);
        job_finish(j);
        return 0;
}

void conn_check_deferred(Connection *c, const char *uuid) {
        for (Job *j = c->deferred_head, *next; j; j = next) {
                next = j->next;
                if (streq(j->uuid, uuid) && table_caught_up(j)) {
                        unlink_deferred(c, j);
                        job_finish(j);
                }
        }
}

static void job_done(Job *j, void *userdata) {
        Connection *c = j->conn;

        if (!j->msg) {
                /* Internal work: connecting, refreshing, closing. */
                if (j->apply)
                        j->apply(j);
                job_free(j);
                return;
        }
        if (j->r >= 0 && j->apply)
                j->apply(j);
        /* The reply to a call that changed a domain leaves after the
         * signals announcing the change, so a caller that reads the state
         * after the reply sees it already changed. Reads never wait. */
        if (j->r >= 0 && j->klass == JOB_CHANGE && !table_caught_up(j) &&
            sd_event_add_time_relative(c->manager->loop, &j->deadline, CLOCK_MONOTONIC,
                                       CATCH_UP_USEC, 0, on_deferred_timeout, j) >= 0) {
                j->next = c->deferred_head;
                c->deferred_head = j;
                return;
        }
        job_finish(j);
}

/* After authorization: queue behind the domain's running change, or go. */
static void job_submit(Job *j) {
        Manager *m = j->conn->manager;
        DomainEntry *e;

        if (j->vconn == NULL && j->conn->vconn) {
                j->vconn = j->conn->vconn;
                virConnectRef(j->vconn);
        }
        if (j->klass == JOB_CHANGE && j->uuid[0] && (e = conn_domain_get(j->conn, j->uuid))) {
                if (e->busy) {
                        j->next = NULL;
                        if (e->queue_tail)
                                e->queue_tail->next = j;
                        else
                                e->queue_head = j;
                        e->queue_tail = j;
                        return;
                }
                e->busy = true;
                j->holds_domain = true;
                j->turn_serial = e->serial;
        }
        j->started = true;
        if (!j->run) {
                /* Answered from the domain table on this thread. */
                job_done(j, m);
                return;
        }
        pool_submit(m->pool, j);
}

void job_authorized(Job *j, int r, const sd_bus_error *error) {
        if (r < 0) {
                j->conn->manager->jobs--;
                job_reply_error(j, error);
                job_free(j);
                return;
        }
        if (j->conn->state != CONN_UP && !j->any_state) {
                j->conn->manager->jobs--;
                job_reply_no_connect(j);
                job_free(j);
                return;
        }
        job_submit(j);
}

int job_start(Job *j, sd_bus_error *error) {
        Connection *c = j->conn;
        Manager *m = c->manager;
        int r;

        if (c->state != CONN_UP && !j->any_state) {
                r = conn_wait_first(c, j);
                if (r > 0)
                        return 1;
                if (r < 0) {
                        job_free(j);
                        return r;
                }
                r = sd_bus_error_setf(error, VIRTBUS_ERROR_NO_CONNECT,
                                      "The libvirt connection %s (%s) is not available",
                                      c->name, c->uri);
                job_free(j);
                return r;
        }
        if (m->jobs >= m->max_jobs) {
                job_free(j);
                return sd_bus_error_setf(error, SD_BUS_ERROR_LIMITS_EXCEEDED,
                                         "Too many calls in progress (%u); try again later",
                                         m->max_jobs);
        }
        m->jobs++;
        j->events_at_start = c->events;
        r = auth_check(m->auth, j);
        if (r < 0) {
                m->jobs--;
                job_free(j);
                return r;
        }
        if (r > 0)
                job_submit(j);
        /* r == 0: polkit is deciding; job_authorized() continues. */
        return 1;
}

/* ---- the manager ------------------------------------------------------- */

Manager *manager_new(sd_event *loop, sd_bus *bus, unsigned threads, bool system_bus) {
        Manager *m = xmalloc0(sizeof(*m));

        m->loop = sd_event_ref(loop);
        m->bus = sd_bus_ref(bus);
        m->system_bus = system_bus;
        m->max_jobs = 4096;
        m->pool = pool_new(loop, threads, job_done, m);
        if (!m->pool)
                return manager_free(m);
        if (events_start(loop, on_event, m) < 0) {
                log_error("Failed to start the libvirt event loop");
                return manager_free(m);
        }
        m->auth = auth_new(m);
        if (!m->auth)
                return manager_free(m);
        return m;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        events_stop();
        pool_free(m->pool);
        auth_free(m->auth);
        /* Connections, their tables and the pool structure stay reachable
         * until exit: workers may still be inside a hung libvirt call. */
        sd_bus_unref(m->bus);
        sd_event_unref(m->loop);
        return NULL;
}
