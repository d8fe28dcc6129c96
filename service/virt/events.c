/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <libvirt/virterror.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/eventfd.h>

#include "events.h"
#include "objects.h"
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
typedef struct RegOpaque RegOpaque;
struct RegOpaque {
        Connection *conn;
        unsigned gen;
        int id;
        uint64_t token;                 /* unique: found again without touching a freed one */
        RegOpaque *prev, *next;         /* in the list of those libvirt holds */
};

/* Every opaque libvirt holds for a registration, until it gives it back
 * through reg_opaque_free(): a connection still open at exit keeps them,
 * and they are known, not lost. */
static struct {
        pthread_mutex_t lock;
        RegOpaque *head;
        uint64_t tokens;
} held = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void reg_opaque_free(void *p) {
        RegOpaque *r = p;

        if (!r)
                return;
        pthread_mutex_lock(&held.lock);
        if (r->prev)
                r->prev->next = r->next;
        else if (held.head == r)
                held.head = r->next;
        if (r->next)
                r->next->prev = r->prev;
        pthread_mutex_unlock(&held.lock);
        free(r);
}

#define REG_ID(opaque) (((RegOpaque *) (opaque))->id)

EventItem *event_item_free(EventItem *ev) {
        if (!ev)
                return NULL;
        if (ev->handle)
                virt_kind(ev->kind)->unref(ev->handle);
        free(ev->key);
        free(ev->name);
        value_clear_many(ev->args, ev->nargs);
        free(ev);
        return NULL;
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

static EventItem *item_new(void *opaque, KindId kind, int id, void *handle) {
        RegOpaque *o = opaque;
        EventItem *ev = xmalloc0(sizeof(*ev));

        ev->conn = o->conn;
        ev->gen = o->gen;
        ev->kind = kind;
        ev->id = id;
        if (handle) {
                /* Keys, names and ids live in the object itself: no RPC. */
                const VirtKind *vk = virt_kind(kind);
                vk->ref(handle);
                ev->handle = handle;
                ev->key = vk->key(handle);
        }
        return ev;
}

static EventItem *domain_item(void *opaque, virDomainPtr dom, const char *member) {
        EventItem *ev = item_new(opaque, KIND_DOMAIN, REG_ID(opaque), dom);
        unsigned int did = virDomainGetID(dom);

        ev->name = xstrdup(virDomainGetName(dom));
        ev->dom_id = did == (unsigned int) -1 ? 0 : did; /* DOMAIN_ID_NONE */
        ev->member = member;
        return ev;
}

static void add_arg(EventItem *ev, Value v) {
        if (ev->nargs >= EVENT_MAX_ARGS)
                abort();
        ev->args[ev->nargs++] = v;
}

static void on_close(virConnectPtr c, int reason, void *opaque) {
        EventItem *ev = item_new(opaque, KIND_CONNECT, EVENT_CLOSED, NULL);

        ev->detail = reason;
        queue(ev);
}

static void queue_lifecycle(EventItem *ev, int event, int detail) {
        ev->lifecycle = true;
        ev->event = event;
        ev->detail = detail;
        queue(ev);
}

static int on_lifecycle(virConnectPtr c, virDomainPtr dom, int event, int detail, void *opaque) {
        queue_lifecycle(domain_item(opaque, dom, NULL), event, detail);
        return 0;
}

/* The other kinds' lifecycle events share one form. */
static int on_network_lifecycle(virConnectPtr c, virNetworkPtr net, int event, int detail, void *opaque) {
        queue_lifecycle(item_new(opaque, KIND_NETWORK, REG_ID(opaque), net), event, detail);
        return 0;
}

static int on_pool_lifecycle(virConnectPtr c, virStoragePoolPtr pool, int event, int detail, void *opaque) {
        queue_lifecycle(item_new(opaque, KIND_STORAGE_POOL, REG_ID(opaque), pool), event, detail);
        return 0;
}

static void on_pool_refresh(virConnectPtr c, virStoragePoolPtr pool, void *opaque) {
        EventItem *ev = item_new(opaque, KIND_STORAGE_POOL, REG_ID(opaque), pool);

        ev->member = "Refresh";
        queue(ev);
}

static int on_nodedev_lifecycle(virConnectPtr c, virNodeDevicePtr dev, int event, int detail, void *opaque) {
        queue_lifecycle(item_new(opaque, KIND_NODE_DEVICE, REG_ID(opaque), dev), event, detail);
        return 0;
}

static int on_secret_lifecycle(virConnectPtr c, virSecretPtr secret, int event, int detail, void *opaque) {
        queue_lifecycle(item_new(opaque, KIND_SECRET, REG_ID(opaque), secret), event, detail);
        return 0;
}

/* The per-domain signals, named as libvirt-dbus names them. */
static const char *domain_signal(int id) {
        switch (id) {
        case VIR_DOMAIN_EVENT_ID_REBOOT: return "Reboot";
        case VIR_DOMAIN_EVENT_ID_RTC_CHANGE: return "RTCChange";
        case VIR_DOMAIN_EVENT_ID_WATCHDOG: return "Watchdog";
        case VIR_DOMAIN_EVENT_ID_IO_ERROR_REASON: return "IOError";
        case VIR_DOMAIN_EVENT_ID_GRAPHICS: return "Graphics";
        case VIR_DOMAIN_EVENT_ID_CONTROL_ERROR: return "ControlError";
        case VIR_DOMAIN_EVENT_ID_BLOCK_JOB_2: return "BlockJob";
        case VIR_DOMAIN_EVENT_ID_DISK_CHANGE: return "DiskChange";
        case VIR_DOMAIN_EVENT_ID_TRAY_CHANGE: return "TrayChange";
        case VIR_DOMAIN_EVENT_ID_PMWAKEUP: return "PMWakeup";
        case VIR_DOMAIN_EVENT_ID_PMSUSPEND: return "PMSuspend";
        case VIR_DOMAIN_EVENT_ID_BALLOON_CHANGE: return "BalloonChange";
        case VIR_DOMAIN_EVENT_ID_PMSUSPEND_DISK: return "PMSuspendDisk";
        case VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED: return "DeviceRemoved";
        case VIR_DOMAIN_EVENT_ID_TUNABLE: return "Tunable";
        case VIR_DOMAIN_EVENT_ID_AGENT_LIFECYCLE: return "AgentEvent";
        case VIR_DOMAIN_EVENT_ID_DEVICE_ADDED: return "DeviceAdded";
        case VIR_DOMAIN_EVENT_ID_MIGRATION_ITERATION: return "MigrationIteration";
        case VIR_DOMAIN_EVENT_ID_JOB_COMPLETED: return "JobCompleted";
        case VIR_DOMAIN_EVENT_ID_DEVICE_REMOVAL_FAILED: return "DeviceRemovalFailed";
        case VIR_DOMAIN_EVENT_ID_METADATA_CHANGE: return "MetadataChange";
        default: return NULL;
        }
}

static void on_generic(virConnectPtr c, virDomainPtr dom, void *opaque) {
        /* REBOOT and CONTROL_ERROR share this signature; the id is in the
         * opaque registered for each. */
        queue(domain_item(opaque, dom, domain_signal(REG_ID(opaque))));
}

static void on_rtc_change(virConnectPtr c, virDomainPtr dom, long long utcoffset, void *opaque) {
        EventItem *ev = domain_item(opaque, dom, "RTCChange");

        add_arg(ev, value_i64(utcoffset));
        queue(ev);
}

static void on_int(virConnectPtr c, virDomainPtr dom, int value, void *opaque) {
        EventItem *ev = domain_item(opaque, dom, domain_signal(REG_ID(opaque)));

        add_arg(ev, value_i32(value));
        queue(ev);
}

static void on_pm(virConnectPtr c, virDomainPtr dom, int reason, void *opaque) {
        on_int(c, dom, reason, opaque);
}

static void on_io_error_reason(virConnectPtr c, virDomainPtr dom, const char *src,
                               const char *dev, int action, const char *reason, void *opaque) {
        EventItem *ev = domain_item(opaque, dom, "IOError");

        add_arg(ev, value_str(src));
        add_arg(ev, value_str(dev));
        add_arg(ev, value_i32(action));
        add_arg(ev, value_str(reason));
        queue(ev);
}

static Value graphics_address(const virDomainEventGraphicsAddress *a) {
        Value v = { 0 };
        Value *f = value_init_struct(&v, 3);

        f[0] = value_i32(a ? a->family : 0);
        f[1] = value_str(a ? a->node : NULL);
        f[2] = value_str(a ? a->service : NULL);
        return v;
}

static void on_graphics(virConnectPtr c, virDomainPtr dom, int phase,
                        const virDomainEventGraphicsAddress *local,
                        const virDomainEventGraphicsAddress *remote,
                        const char *auth, const virDomainEventGraphicsSubject *subject,
                        void *opaque) {
        EventItem *ev = domain_item(opaque, dom, "Graphics");
        int n = subject ? subject->nidentity : 0;
        Value ids = { 0 };
        Value *items = value_init_array(&ids, "(ss)", (size_t) n);

        add_arg(ev, value_i32(phase));
        add_arg(ev, graphics_address(local));
        add_arg(ev, graphics_address(remote));
        add_arg(ev, value_str(auth));
        for (int i = 0; i < n; i++) {
                Value *pair = value_init_struct(&items[i], 2);
                pair[0] = value_str(subject->identities[i].type);
                pair[1] = value_str(subject->identities[i].name);
        }
        add_arg(ev, ids);
        queue(ev);
}

static void on_block_job(virConnectPtr c, virDomainPtr dom, const char *disk, int type,
                         int status, void *opaque) {
        EventItem *ev = domain_item(opaque, dom, "BlockJob");

        add_arg(ev, value_str(disk));
        add_arg(ev, value_i32(type));
        add_arg(ev, value_i32(status));
        queue(ev);
}

static void on_disk_change(virConnectPtr c, virDomainPtr dom, const char *old_src,
                           const char *new_src, const char *alias, int reason, void *opaque) {
        EventItem *ev = domain_item(opaque, dom, "DiskChange");

        add_arg(ev, value_str(old_src));
        add_arg(ev, value_str(new_src));
        add_arg(ev, value_str(alias));
        add_arg(ev, value_i32(reason));
        queue(ev);
}

static void on_tray_change(virConnectPtr c, virDomainPtr dom, const char *alias, int reason,
                           void *opaque) {
        EventItem *ev = domain_item(opaque, dom, "TrayChange");

        add_arg(ev, value_str(alias));
        add_arg(ev, value_i32(reason));
        queue(ev);
}

static void on_balloon(virConnectPtr c, virDomainPtr dom, unsigned long long actual, void *opaque) {
        EventItem *ev = domain_item(opaque, dom, "BalloonChange");

        add_arg(ev, value_u64(actual));
        queue(ev);
}

static void on_string(virConnectPtr c, virDomainPtr dom, const char *s, void *opaque) {
        EventItem *ev = domain_item(opaque, dom, domain_signal(REG_ID(opaque)));

        add_arg(ev, value_str(s));
        queue(ev);
}

static void on_params(virConnectPtr c, virDomainPtr dom, virTypedParameterPtr params,
                      int nparams, void *opaque) {
        EventItem *ev = domain_item(opaque, dom, domain_signal(REG_ID(opaque)));

        add_arg(ev, value_take_params(typed_params_copy(params, nparams), nparams));
        queue(ev);
}

static void on_agent(virConnectPtr c, virDomainPtr dom, int state, int reason, void *opaque) {
        EventItem *ev = domain_item(opaque, dom, "AgentEvent");

        add_arg(ev, value_i32(state));
        add_arg(ev, value_i32(reason));
        queue(ev);
}

static void on_metadata(virConnectPtr c, virDomainPtr dom, int type, const char *nsuri,
                        void *opaque) {
        EventItem *ev = domain_item(opaque, dom, "MetadataChange");

        add_arg(ev, value_i32(type));
        add_arg(ev, value_str(nsuri));
        queue(ev);
}

/* After a failed registration: libvirt may or may not have given the
 * opaque back already, depending on where it failed. Freed here only if it
 * did not, found by its token, so a freed one is never touched. */
static void reg_opaque_abandon(uint64_t token) {
        RegOpaque *found = NULL;

        pthread_mutex_lock(&held.lock);
        for (RegOpaque *r = held.head; r; r = r->next)
                if (r->token == token) {
                        found = r;
                        break;
                }
        pthread_mutex_unlock(&held.lock);
        reg_opaque_free(found);
}

static RegOpaque *reg_opaque(Connection *conn, unsigned gen, int id) {
        RegOpaque *r = xmalloc0(sizeof(*r));

        r->conn = conn;
        r->gen = gen;
        r->id = id;
        pthread_mutex_lock(&held.lock);
        r->token = ++held.tokens;
        r->next = held.head;
        if (held.head)
                held.head->prev = r;
        held.head = r;
        pthread_mutex_unlock(&held.lock);
        return r;
}

static const struct {
        int id;
        virConnectDomainEventGenericCallback cb;
} domain_registrations[] = {
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

static void add_reg(EventReg **regs, int *n, KindId kind, int id) {
        *regs = xrealloc(*regs, sizeof(EventReg) * (size_t) (*n + 1));
        (*regs)[*n] = (EventReg) { kind, id };
        (*n)++;
}

/* Registers one event of a kind other than domains; a driver without the
 * kind or its events (the test driver has no secrets) has none of it. */
static void add_other(virConnectPtr vc, Connection *conn, unsigned gen, EventReg **regs, int *n, KindId kind,
                      int event_id, void (*cb)(void)) {
        RegOpaque *opaque = reg_opaque(conn, gen, event_id);
        uint64_t token = opaque->token;
        int id;

        switch (kind) {
        case KIND_NETWORK:
                id = virConnectNetworkEventRegisterAny(vc, NULL, event_id, (virConnectNetworkEventGenericCallback) cb,
                                                       opaque, reg_opaque_free);
                break;
        case KIND_STORAGE_POOL:
                id = virConnectStoragePoolEventRegisterAny(vc, NULL, event_id,
                                                           (virConnectStoragePoolEventGenericCallback) cb, opaque,
                                                           reg_opaque_free);
                break;
        case KIND_NODE_DEVICE:
                id = virConnectNodeDeviceEventRegisterAny(vc, NULL, event_id,
                                                          (virConnectNodeDeviceEventGenericCallback) cb, opaque,
                                                          reg_opaque_free);
                break;
        case KIND_SECRET:
                id = virConnectSecretEventRegisterAny(vc, NULL, event_id, (virConnectSecretEventGenericCallback) cb,
                                                      opaque, reg_opaque_free);
                break;
        default:
                abort();
        }
        if (id < 0) {
                reg_opaque_abandon(token);
                virResetLastError();
                return;
        }
        add_reg(regs, n, kind, id);
}

int events_register(virConnectPtr vc, Connection *conn, unsigned gen, EventReg **regs, int *nregs) {
        EventReg *v = NULL;
        int n = 0;

        RegOpaque *close_opaque = reg_opaque(conn, gen, EVENT_CLOSED);
        uint64_t close_token = close_opaque->token;
        if (virConnectRegisterCloseCallback(vc, on_close, close_opaque, reg_opaque_free) < 0) {
                /* Drivers without a remote side (test://) have nothing to
                 * close. */
                reg_opaque_abandon(close_token);
                virResetLastError();
        }
        for (size_t i = 0; i < ELEMENTSOF(domain_registrations); i++) {
                RegOpaque *opaque = reg_opaque(conn, gen, domain_registrations[i].id);
                uint64_t token = opaque->token;
                int id = virConnectDomainEventRegisterAny(vc, NULL, domain_registrations[i].id,
                                                          domain_registrations[i].cb, opaque, reg_opaque_free);
                if (id < 0) {
                        reg_opaque_abandon(token);
                        if (i == 0) {
                                events_unregister(vc, v, n);
                                free(v);
                                return -1;
                        }
                        /* An older libvirtd may not know a newer event id. */
                        virResetLastError();
                        continue;
                }
                add_reg(&v, &n, KIND_DOMAIN, id);
        }
        /* What libvirt-dbus relays of the other kinds. Node device
         * updates and secret value changes change no property and have no
         * signal, so they are not asked for. */
        add_other(vc, conn, gen, &v, &n, KIND_NETWORK, VIR_NETWORK_EVENT_ID_LIFECYCLE,
                  (void (*)(void)) on_network_lifecycle);
        add_other(vc, conn, gen, &v, &n, KIND_STORAGE_POOL, VIR_STORAGE_POOL_EVENT_ID_LIFECYCLE,
                  (void (*)(void)) on_pool_lifecycle);
        add_other(vc, conn, gen, &v, &n, KIND_STORAGE_POOL, VIR_STORAGE_POOL_EVENT_ID_REFRESH,
                  (void (*)(void)) on_pool_refresh);
        add_other(vc, conn, gen, &v, &n, KIND_NODE_DEVICE, VIR_NODE_DEVICE_EVENT_ID_LIFECYCLE,
                  (void (*)(void)) on_nodedev_lifecycle);
        add_other(vc, conn, gen, &v, &n, KIND_SECRET, VIR_SECRET_EVENT_ID_LIFECYCLE,
                  (void (*)(void)) on_secret_lifecycle);
        *regs = v;
        *nregs = n;
        return 0;
}

bool events_registered(const EventReg *regs, int nregs, KindId kind) {
        for (int i = 0; i < nregs; i++)
                if (regs[i].kind == kind)
                        return true;
        return false;
}

void events_unregister(virConnectPtr vc, const EventReg *regs, int nregs) {
        /* Each registration holds a reference on the connection; on a dead
         * one these fail harmlessly after dropping it locally. */
        for (int i = 0; i < nregs; i++)
                switch (regs[i].kind) {
                case KIND_DOMAIN:
                        virConnectDomainEventDeregisterAny(vc, regs[i].id);
                        break;
                case KIND_NETWORK:
                        virConnectNetworkEventDeregisterAny(vc, regs[i].id);
                        break;
                case KIND_STORAGE_POOL:
                        virConnectStoragePoolEventDeregisterAny(vc, regs[i].id);
                        break;
                case KIND_NODE_DEVICE:
                        virConnectNodeDeviceEventDeregisterAny(vc, regs[i].id);
                        break;
                case KIND_SECRET:
                        virConnectSecretEventDeregisterAny(vc, regs[i].id);
                        break;
                default:
                        break;
                }
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
