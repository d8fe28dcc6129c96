/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <libvirt/virterror.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/eventfd.h>

#include "events.h"
#include "log.h"
#include "util.h"

static struct {
        pthread_mutex_t lock;
        EventItem *head, *tail;
        int fd;
        sd_event_source *source;
        void (*handler)(EventItem *ev, void *ud);
        void *ud;
        pthread_t thread;
        atomic_bool quit;
        bool running;
} ev_state = { .lock = PTHREAD_MUTEX_INITIALIZER, .fd = -1 };

/* Each registration gets an opaque that also records its event id, so one
 * callback can serve several ids of the same signature. */
typedef struct RegOpaque {
        EventOpaque o;
        int id;
} RegOpaque;

#define REG_ID(opaque) (((RegOpaque *) (opaque))->id)

EventItem *event_item_free(EventItem *ev) {
        if (!ev)
                return NULL;
        if (ev->dom)
                virDomainFree(ev->dom);
        free(ev->name);
        for (size_t i = 0; i < ELEMENTSOF(ev->s); i++)
                free(ev->s[i]);
        strv_free(ev->strv);
        typed_params_free(ev->params, ev->nparams);
        free(ev);
        return NULL;
}

virTypedParameterPtr typed_params_copy(const virTypedParameter *params, int n) {
        virTypedParameterPtr c;

        if (n <= 0 || !params)
                return NULL;
        c = xmalloc0(sizeof(*c) * (size_t) n);
        memcpy(c, params, sizeof(*c) * (size_t) n);
        for (int i = 0; i < n; i++)
                if (c[i].type == VIR_TYPED_PARAM_STRING)
                        c[i].value.s = xstrdup(params[i].value.s);
        return c;
}

void typed_params_free(virTypedParameterPtr params, int n) {
        if (!params)
                return;
        for (int i = 0; i < n; i++)
                if (params[i].type == VIR_TYPED_PARAM_STRING)
                        free(params[i].value.s);
        free(params);
}

/* Called on libvirt's event thread: only queue and wake. */
static void queue(EventItem *ev) {
        bool wake;

        pthread_mutex_lock(&ev_state.lock);
        wake = !ev_state.head;
        if (ev_state.tail)
                ev_state.tail->next = ev;
        else
                ev_state.head = ev;
        ev_state.tail = ev;
        pthread_mutex_unlock(&ev_state.lock);
        if (wake) {
                uint64_t one = 1;
                if (write(ev_state.fd, &one, sizeof(one)) < 0)
                        log_error("Failed to wake the loop for an event: %m");
        }
}

static EventItem *item_new(void *opaque, int id, virDomainPtr dom) {
        EventOpaque *o = opaque;
        EventItem *ev = xmalloc0(sizeof(*ev));
        unsigned int did;

        ev->conn = o->conn;
        ev->gen = o->gen;
        ev->id = id;
        if (dom) {
                /* UUID, name and id live in the virDomainPtr itself: no RPC. */
                virDomainRef(dom);
                ev->dom = dom;
                virDomainGetUUIDString(dom, ev->uuid);
                ev->name = xstrdup(virDomainGetName(dom));
                did = virDomainGetID(dom);
                ev->dom_id = did == (unsigned int) -1 ? 0 : did; /* DOMAIN_ID_NONE */
        }
        return ev;
}

static void on_close(virConnectPtr c, int reason, void *opaque) {
        EventItem *ev = item_new(opaque, EVENT_CLOSED, NULL);

        ev->i[0] = reason;
        queue(ev);
}

static int on_lifecycle(virConnectPtr c, virDomainPtr dom, int event, int detail, void *opaque) {
        EventItem *ev = item_new(opaque, VIR_DOMAIN_EVENT_ID_LIFECYCLE, dom);

        ev->i[0] = event;
        ev->i[1] = detail;
        queue(ev);
        return 0;
}

static void on_generic(virConnectPtr c, virDomainPtr dom, void *opaque) {
        /* REBOOT and CONTROL_ERROR share this signature; the id is in the
         * opaque registered for each. */
        EventItem *ev = item_new(opaque, REG_ID(opaque), dom);
        queue(ev);
}

static void on_rtc_change(virConnectPtr c, virDomainPtr dom, long long utcoffset, void *opaque) {
        EventItem *ev = item_new(opaque, VIR_DOMAIN_EVENT_ID_RTC_CHANGE, dom);

        ev->x = utcoffset;
        queue(ev);
}

static void on_int(virConnectPtr c, virDomainPtr dom, int value, void *opaque) {
        EventItem *ev = item_new(opaque, REG_ID(opaque), dom);

        ev->i[0] = value;
        queue(ev);
}

static void on_io_error_reason(virConnectPtr c, virDomainPtr dom, const char *src,
                               const char *dev, int action, const char *reason, void *opaque) {
        EventItem *ev = item_new(opaque, VIR_DOMAIN_EVENT_ID_IO_ERROR_REASON, dom);

        ev->s[0] = xstrdup(src ? src : "");
        ev->s[1] = xstrdup(dev ? dev : "");
        ev->i[0] = action;
        ev->s[2] = xstrdup(reason ? reason : "");
        queue(ev);
}

static void on_graphics(virConnectPtr c, virDomainPtr dom, int phase,
                        const virDomainEventGraphicsAddress *local,
                        const virDomainEventGraphicsAddress *remote,
                        const char *auth, const virDomainEventGraphicsSubject *subject,
                        void *opaque) {
        EventItem *ev = item_new(opaque, VIR_DOMAIN_EVENT_ID_GRAPHICS, dom);

        ev->i[0] = phase;
        ev->i[1] = local ? local->family : 0;
        ev->s[0] = xstrdup(local && local->node ? local->node : "");
        ev->s[1] = xstrdup(local && local->service ? local->service : "");
        ev->i[2] = remote ? remote->family : 0;
        ev->s[2] = xstrdup(remote && remote->node ? remote->node : "");
        ev->s[3] = xstrdup(remote && remote->service ? remote->service : "");
        ev->s[4] = xstrdup(auth ? auth : "");
        ev->i[3] = subject ? subject->nidentity : 0;
        ev->strv = xmalloc0(sizeof(char *) * (size_t) (2 * ev->i[3] + 1));
        for (int i = 0; i < ev->i[3]; i++) {
                ev->strv[2 * i] = xstrdup(subject->identities[i].type);
                ev->strv[2 * i + 1] = xstrdup(subject->identities[i].name);
        }
        queue(ev);
}

static void on_block_job(virConnectPtr c, virDomainPtr dom, const char *disk, int type,
                         int status, void *opaque) {
        EventItem *ev = item_new(opaque, VIR_DOMAIN_EVENT_ID_BLOCK_JOB_2, dom);

        ev->s[0] = xstrdup(disk ? disk : "");
        ev->i[0] = type;
        ev->i[1] = status;
        queue(ev);
}

static void on_disk_change(virConnectPtr c, virDomainPtr dom, const char *old_src,
                           const char *new_src, const char *alias, int reason, void *opaque) {
        EventItem *ev = item_new(opaque, VIR_DOMAIN_EVENT_ID_DISK_CHANGE, dom);

        ev->s[0] = xstrdup(old_src ? old_src : "");
        ev->s[1] = xstrdup(new_src ? new_src : "");
        ev->s[2] = xstrdup(alias ? alias : "");
        ev->i[0] = reason;
        queue(ev);
}

static void on_tray_change(virConnectPtr c, virDomainPtr dom, const char *alias, int reason,
                           void *opaque) {
        EventItem *ev = item_new(opaque, VIR_DOMAIN_EVENT_ID_TRAY_CHANGE, dom);

        ev->s[0] = xstrdup(alias ? alias : "");
        ev->i[0] = reason;
        queue(ev);
}

static void on_balloon(virConnectPtr c, virDomainPtr dom, unsigned long long actual, void *opaque) {
        EventItem *ev = item_new(opaque, VIR_DOMAIN_EVENT_ID_BALLOON_CHANGE, dom);

        ev->x = (int64_t) actual;
        queue(ev);
}

static void on_string(virConnectPtr c, virDomainPtr dom, const char *s, void *opaque) {
        EventItem *ev = item_new(opaque, REG_ID(opaque), dom);

        ev->s[0] = xstrdup(s ? s : "");
        queue(ev);
}

static void on_params(virConnectPtr c, virDomainPtr dom, virTypedParameterPtr params,
                      int nparams, void *opaque) {
        EventItem *ev = item_new(opaque, REG_ID(opaque), dom);

        ev->params = typed_params_copy(params, nparams);
        ev->nparams = nparams;
        queue(ev);
}

static void on_agent(virConnectPtr c, virDomainPtr dom, int state, int reason, void *opaque) {
        EventItem *ev = item_new(opaque, VIR_DOMAIN_EVENT_ID_AGENT_LIFECYCLE, dom);

        ev->i[0] = state;
        ev->i[1] = reason;
        queue(ev);
}

static void on_metadata(virConnectPtr c, virDomainPtr dom, int type, const char *nsuri,
                        void *opaque) {
        EventItem *ev = item_new(opaque, VIR_DOMAIN_EVENT_ID_METADATA_CHANGE, dom);

        ev->i[0] = type;
        ev->s[0] = xstrdup(nsuri ? nsuri : "");
        queue(ev);
}

static void on_pm(virConnectPtr c, virDomainPtr dom, int reason, void *opaque) {
        on_int(c, dom, reason, opaque);
}

static void *reg_opaque(Connection *conn, unsigned gen, int id) {
        RegOpaque *r = xmalloc0(sizeof(*r));

        r->o.conn = conn;
        r->o.gen = gen;
        r->id = id;
        return r;
}

static const struct {
        int id;
        virConnectDomainEventGenericCallback cb;
} registrations[] = {
        { VIR_DOMAIN_EVENT_ID_LIFECYCLE, VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle) },
        { VIR_DOMAIN_EVENT_ID_REBOOT, VIR_DOMAIN_EVENT_CALLBACK(on_generic) },
        { VIR_DOMAIN_EVENT_ID_RTC_CHANGE, VIR_DOMAIN_EVENT_CALLBACK(on_rtc_change) },
        { VIR_DOMAIN_EVENT_ID_WATCHDOG, VIR_DOMAIN_EVENT_CALLBACK(on_int) },
        { VIR_DOMAIN_EVENT_ID_IO_ERROR_REASON, VIR_DOMAIN_EVENT_CALLBACK(on_io_error_reason) },
        { VIR_DOMAIN_EVENT_ID_GRAPHICS, VIR_DOMAIN_EVENT_CALLBACK(on_graphics) },
        { VIR_DOMAIN_EVENT_ID_CONTROL_ERROR, VIR_DOMAIN_EVENT_CALLBACK(on_generic) },
        { VIR_DOMAIN_EVENT_ID_BLOCK_JOB_2, VIR_DOMAIN_EVENT_CALLBACK(on_block_job) },
        { VIR_DOMAIN_EVENT_ID_DISK_CHANGE, VIR_DOMAIN_EVENT_CALLBACK(on_disk_change) },
        { VIR_DOMAIN_EVENT_ID_TRAY_CHANGE, VIR_DOMAIN_EVENT_CALLBACK(on_tray_change) },
        { VIR_DOMAIN_EVENT_ID_PMWAKEUP, VIR_DOMAIN_EVENT_CALLBACK(on_pm) },
        { VIR_DOMAIN_EVENT_ID_PMSUSPEND, VIR_DOMAIN_EVENT_CALLBACK(on_pm) },
        { VIR_DOMAIN_EVENT_ID_BALLOON_CHANGE, VIR_DOMAIN_EVENT_CALLBACK(on_balloon) },
        { VIR_DOMAIN_EVENT_ID_PMSUSPEND_DISK, VIR_DOMAIN_EVENT_CALLBACK(on_pm) },
        { VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED, VIR_DOMAIN_EVENT_CALLBACK(on_string) },
        { VIR_DOMAIN_EVENT_ID_TUNABLE, VIR_DOMAIN_EVENT_CALLBACK(on_params) },
        { VIR_DOMAIN_EVENT_ID_AGENT_LIFECYCLE, VIR_DOMAIN_EVENT_CALLBACK(on_agent) },
        { VIR_DOMAIN_EVENT_ID_DEVICE_ADDED, VIR_DOMAIN_EVENT_CALLBACK(on_string) },
        { VIR_DOMAIN_EVENT_ID_MIGRATION_ITERATION, VIR_DOMAIN_EVENT_CALLBACK(on_int) },
        { VIR_DOMAIN_EVENT_ID_JOB_COMPLETED, VIR_DOMAIN_EVENT_CALLBACK(on_params) },
        { VIR_DOMAIN_EVENT_ID_DEVICE_REMOVAL_FAILED, VIR_DOMAIN_EVENT_CALLBACK(on_string) },
        { VIR_DOMAIN_EVENT_ID_METADATA_CHANGE, VIR_DOMAIN_EVENT_CALLBACK(on_metadata) },
};

int events_register(virConnectPtr vc, Connection *conn, unsigned gen, int **ids, int *nids) {
        int *v = xmalloc0(sizeof(int) * ELEMENTSOF(registrations));
        int n = 0;

        if (virConnectRegisterCloseCallback(vc, on_close, reg_opaque(conn, gen, EVENT_CLOSED), free) < 0) {
                /* Drivers without a remote side (test://) have nothing to close. */
                virResetLastError();
        }
        for (size_t i = 0; i < ELEMENTSOF(registrations); i++) {
                int id = virConnectDomainEventRegisterAny(vc, NULL, registrations[i].id, registrations[i].cb,
                                                          reg_opaque(conn, gen, registrations[i].id), free);
                if (id < 0) {
                        if (i == 0) {
                                events_unregister(vc, v, n);
                                free(v);
                                return -1;
                        }
                        /* An older libvirtd may not know a newer event id. */
                        virResetLastError();
                        continue;
                }
                v[n++] = id;
        }
        *ids = v;
        *nids = n;
        return 0;
}

void events_unregister(virConnectPtr vc, const int *ids, int nids) {
        /* Each registration holds a reference on the connection; on a dead
         * one these fail harmlessly after dropping it locally. */
        for (int i = 0; i < nids; i++)
                virConnectDomainEventDeregisterAny(vc, ids[i]);
        virConnectUnregisterCloseCallback(vc, on_close);
        virResetLastError();
}

static int on_wake(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        uint64_t n;
        EventItem *list;

        if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
                log_error("Failed to read the event eventfd: %m");
        pthread_mutex_lock(&ev_state.lock);
        list = ev_state.head;
        ev_state.head = ev_state.tail = NULL;
        pthread_mutex_unlock(&ev_state.lock);

        /* In the order libvirt produced them. */
        while (list) {
                EventItem *ev = list;
                list = ev->next;
                ev->next = NULL;
                ev_state.handler(ev, ev_state.ud);
        }
        return 0;
}

static void *event_thread(void *arg) {
        sigset_t all;

        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, NULL);
        while (!atomic_load(&ev_state.quit))
                if (virEventRunDefaultImpl() < 0)
                        log_error("libvirt event loop iteration failed");
        return NULL;
}

static void wake_timeout(int timer, void *opaque) {
        virEventRemoveTimeout(timer);
}

int events_start(sd_event *loop, void (*handler)(EventItem *ev, void *ud), void *ud) {
        int r;

        if (virEventRegisterDefaultImpl() < 0)
                return -EIO;
        ev_state.handler = handler;
        ev_state.ud = ud;
        ev_state.fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (ev_state.fd < 0)
                return -errno;
        r = sd_event_add_io(loop, &ev_state.source, ev_state.fd, EPOLLIN, on_wake, NULL);
        if (r < 0)
                return r;
        /* Events go out before other work that is ready at the same time:
         * they are what watchers wait for, and each is cheap to relay. */
        sd_event_source_set_priority(ev_state.source, SD_EVENT_PRIORITY_IMPORTANT);
        if (pthread_create(&ev_state.thread, NULL, event_thread, NULL) != 0)
                return -errno;
        ev_state.running = true;
        return 0;
}

void events_stop(void) {
        if (!ev_state.running)
                return;
        atomic_store(&ev_state.quit, true);
        /* A zero timeout makes the event thread's poll return at once. */
        virEventAddTimeout(0, wake_timeout, NULL, NULL);
        pthread_join(ev_state.thread, NULL);
        ev_state.running = false;
        sd_event_source_disable_unref(ev_state.source);
        ev_state.source = NULL;
        pthread_mutex_lock(&ev_state.lock);
        while (ev_state.head) {
                EventItem *ev = ev_state.head;
                ev_state.head = ev->next;
                event_item_free(ev);
        }
        ev_state.tail = NULL;
        pthread_mutex_unlock(&ev_state.lock);
}
