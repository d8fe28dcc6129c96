/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtbus-bench: measures whichever service owns org.libvirt on the bus named
 * by DBUS_SYSTEM_BUS_ADDRESS (libvirt-dbus or virtbusd; the client cannot
 * tell them apart and does not try to).  Each subcommand runs one workload
 * and prints CSV rows "service,workload,param,metric,value" on stdout, where
 * "service" is the label given with --service.  Times are CLOCK_MONOTONIC.
 *
 * Subcommands (run "virtbus-bench help" for their options):
 *   cheap       one cheap call in a loop: GetState, a property Get, Peer.Ping
 *   define      DomainDefineXML of many domains through the service
 *   list        ListDomains + GetAll on each, or one GetManagedObjects
 *   hol         head-of-line: Domain.Save of running guests through the
 *               service while another process loops on GetState
 *   events      relay cost of lifecycle events (libvirt callback vs D-Bus)
 *   spawn       start the service, time exec -> bus name -> first full list
 *   footprint   resident memory and idle wake-ups of a process
 *   lv-define   define domains directly through libvirt (set-up only)
 *   lv-start    start defined domains directly through libvirt (set-up only)
 *   kinds-define  define networks or create storage volumes through the service
 *   kinds-list  ListNetworks, or ListStoragePools + ListStorageVolumes, and
 *               GetAll on each object; or one GetManagedObjects
 *   lv-kinds    define networks, or a directory pool and its volumes, directly
 *               through libvirt (set-up only)
 */

#define _GNU_SOURCE
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <pwd.h>
#include <grp.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <systemd/sd-bus.h>

#define SERVICE_NAME "org.libvirt"
#define CONNECT_IFACE "org.libvirt.Connect"
#define DOMAIN_IFACE "org.libvirt.Domain"
#define CALL_TIMEOUT_USEC (300ULL * 1000 * 1000)

/* ------------------------------------------------------------------------ */
/* Options shared by all subcommands. */

static struct {
        const char *service;    /* label in the CSV */
        const char *connect;    /* connection name under /org/libvirt */
        const char *domain;     /* domain name */
        const char *method;     /* cheap: getstate, get, ping */
        const char *mode;       /* list: seq, pipe, gmo */
        const char *kind;       /* kinds-*, lv-kinds: net or vol */
        const char *pool;       /* kinds-define, lv-kinds: the storage pool's name */
        const char *pool_dir;   /* lv-kinds: the directory pool's directory */
        long lv_pid;            /* kinds-list: libvirtd, whose CPU time is counted too */
        const char *uri;        /* libvirt URI for direct access */
        const char *prefix;     /* domain name prefix */
        const char *samples;    /* file for raw latencies (µs, one a line) */
        const char *save_dir;   /* hol: where save images go */
        const char *pidfile;    /* spawn: where to write the service's pid */
        const char *log;        /* spawn: service output */
        const char *type;       /* lv-define: domain type (qemu, test) */
        const char *workload;   /* override of the workload label */
        const char *user;       /* list, storm, load: run the callers as this user */
        const char *other_user; /* storm: the user who arrives during the storm */
        const char *cached_user; /* storm: the user whose verdicts are cached */
        bool fresh;             /* list: a new connection (a fresh caller) per pass */
        long count;
        long start;
        long inflight;
        long procs;
        long repeat;
        long expect;
        long threads;
        long warmup;
        double seconds;
        long pid;
} opt = {
        .service = "unknown",
        .connect = "Test",
        .domain = "test",
        .method = "getstate",
        .mode = "seq",
        .kind = "net",
        .pool = "default-pool",
        .prefix = "bench-",
        .type = "test",
        .count = 1000,
        .inflight = 1,
        .procs = 1,
        .repeat = 1,
        .expect = -1,
        .threads = 4,
        .warmup = 200,
        .seconds = 10,
};

/* ------------------------------------------------------------------------ */
/* Small helpers. */

static uint64_t now_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;
}

static void sleep_ns(uint64_t ns) {
        struct timespec ts = { .tv_sec = ns / 1000000000ULL, .tv_nsec = ns % 1000000000ULL };
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

__attribute__((format(printf, 1, 2), noreturn))
static void die(const char *fmt, ...) {
        va_list ap;
        fputs("virtbus-bench: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        exit(EXIT_FAILURE);
}

static void *xmalloc(size_t n) {
        void *p = malloc(n ? n : 1);
        if (!p)
                die("out of memory");
        return p;
}

static void *xrealloc(void *p, size_t n) {
        p = realloc(p, n ? n : 1);
        if (!p)
                die("out of memory");
        return p;
}

static char *xstrdup(const char *s) {
        char *p = strdup(s);
        if (!p)
                die("out of memory");
        return p;
}

static const char *workload_label(const char *def) {
        return opt.workload ? opt.workload : def;
}

static void emit(const char *workload, const char *param, const char *metric, double value) {
        printf("%s,%s,%s,%s,%.6g\n", opt.service, workload, param, metric, value);
        fflush(stdout);
}

/* Latency samples in nanoseconds. */
struct samples {
        uint64_t *v;
        size_t n, cap;
};

static void samples_add(struct samples *s, uint64_t ns) {
        if (s->n == s->cap) {
                s->cap = s->cap ? s->cap * 2 : 1024;
                s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
        }
        s->v[s->n++] = ns;
}

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted samples, in microseconds. */
static double pct_us(const struct samples *s, double q) {
        if (s->n == 0)
                return 0;
        size_t rank = (size_t) (q * (double) s->n + 0.999999);
        if (rank < 1)
                rank = 1;
        if (rank > s->n)
                rank = s->n;
        return (double) s->v[rank - 1] / 1000.0;
}

static void emit_latencies(const char *workload, const char *param, struct samples *s) {
        qsort(s->v, s->n, sizeof(*s->v), cmp_u64);
        double sum = 0;
        for (size_t i = 0; i < s->n; i++)
                sum += (double) s->v[i];
        emit(workload, param, "count", (double) s->n);
        emit(workload, param, "p50_us", pct_us(s, 0.50));
        emit(workload, param, "p90_us", pct_us(s, 0.90));
        emit(workload, param, "p99_us", pct_us(s, 0.99));
        emit(workload, param, "max_us", pct_us(s, 1.0));
        emit(workload, param, "mean_us", s->n ? sum / (double) s->n / 1000.0 : 0);
}

static void write_samples(const struct samples *s) {
        if (!opt.samples)
                return;
        FILE *f = fopen(opt.samples, "w");
        if (!f)
                die("cannot write %s: %m", opt.samples);
        for (size_t i = 0; i < s->n; i++)
                fprintf(f, "%.3f\n", (double) s->v[i] / 1000.0);
        fclose(f);
}

/* Becomes @user (its groups from the group database, as polkit reads
 * them), before any connection is opened. */
static void become(const char *user) {
        struct passwd *pw;

        if (!user || !*user)
                return;
        pw = getpwnam(user);
        if (!pw)
                die("no user %s", user);
        if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0)
                die("cannot become %s: %m", user);
}

static sd_bus *bus_open(void) {
        sd_bus *bus = NULL;
        int r = sd_bus_open_system(&bus);
        if (r < 0)
                die("cannot connect to the system bus: %s", strerror(-r));
        /* A fresh caller's list under a storm waits for polkit longer than
         * sd-bus's default 25 s: that is a figure to report, not a failure. */
        sd_bus_set_method_call_timeout(bus, CALL_TIMEOUT_USEC);
        return bus;
}

static char *connect_path(void) {
        char *p;
        if (asprintf(&p, "/org/libvirt/%s", opt.connect) < 0)
                die("out of memory");
        return p;
}

/* Object path of a domain by name, asked of the service itself. */
static char *lookup_domain(sd_bus *bus, const char *name) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        char *cpath = connect_path();
        const char *path;
        int r = sd_bus_call_method(bus, SERVICE_NAME, cpath, CONNECT_IFACE, "DomainLookupByName",
                                   &error, &reply, "s", name);
        if (r < 0)
                die("DomainLookupByName(%s) on %s: %s", name, cpath, error.message ? error.message : strerror(-r));
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                die("bad DomainLookupByName reply: %s", strerror(-r));
        char *ret = xstrdup(path);
        sd_bus_message_unref(reply);
        sd_bus_error_free(&error);
        free(cpath);
        return ret;
}

/* ------------------------------------------------------------------------ */
/* A call description and an engine that keeps N of them in flight. */

enum args { ARGS_NONE, ARGS_U, ARGS_S, ARGS_SS, ARGS_SSU, ARGS_SU };

struct call {
        const char *path, *iface, *member;
        enum args args;
        const char *s1, *s2;
        uint32_t u;
};

static sd_bus_message *call_new(sd_bus *bus, const struct call *c) {
        sd_bus_message *m = NULL;
        int r = sd_bus_message_new_method_call(bus, &m, SERVICE_NAME, c->path, c->iface, c->member);
        if (r < 0)
                die("cannot build %s: %s", c->member, strerror(-r));
        switch (c->args) {
        case ARGS_NONE:
                break;
        case ARGS_U:
                r = sd_bus_message_append(m, "u", c->u);
                break;
        case ARGS_S:
                r = sd_bus_message_append(m, "s", c->s1);
                break;
        case ARGS_SS:
                r = sd_bus_message_append(m, "ss", c->s1, c->s2);
                break;
        case ARGS_SSU:
                r = sd_bus_message_append(m, "ssu", c->s1, c->s2, c->u);
                break;
        case ARGS_SU:
                r = sd_bus_message_append(m, "su", c->s1, c->u);
                break;
        }
        if (r < 0)
                die("cannot append arguments to %s: %s", c->member, strerror(-r));
        return m;
}

/* Produces call number i; "ud" is the caller's context. */
typedef void (*call_gen)(size_t i, struct call *c, void *ud);
/* Sees the reply to call number i (may be NULL). */
typedef void (*reply_fn)(size_t i, sd_bus_message *reply, void *ud);

struct engine {
        sd_bus *bus;
        call_gen gen;
        reply_fn on_reply;
        void *ud;
        size_t n, next, done, inflight;
        uint64_t *sent;
        struct samples *lat;
        size_t errors;
        const char *what;
};

struct pending {
        struct engine *e;
        size_t i;
};

static void engine_send(struct engine *e);

static void engine_record(struct engine *e, size_t i, sd_bus_message *reply) {
        uint64_t t = now_ns();
        if (e->lat)
                samples_add(e->lat, t - e->sent[i]);
        if (sd_bus_message_is_method_error(reply, NULL)) {
                const sd_bus_error *err = sd_bus_message_get_error(reply);
                if (e->errors++ < 3)
                        fprintf(stderr, "virtbus-bench: %s #%zu failed: %s: %s\n", e->what, i,
                                err ? err->name : "?", err && err->message ? err->message : "");
        } else if (e->on_reply)
                e->on_reply(i, reply, e->ud);
        e->done++;
}

static int engine_cb(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        struct pending *p = userdata;
        struct engine *e = p->e;
        engine_record(e, p->i, reply);
        free(p);
        engine_send(e);
        return 0;
}

static void engine_send(struct engine *e) {
        while (e->next < e->n && e->next - e->done < e->inflight) {
                struct call c = { 0 };
                size_t i = e->next++;
                e->gen(i, &c, e->ud);
                sd_bus_message *m = call_new(e->bus, &c);
                struct pending *p = xmalloc(sizeof(*p));
                p->e = e;
                p->i = i;
                e->sent[i] = now_ns();
                int r = sd_bus_call_async(e->bus, NULL, m, engine_cb, p, CALL_TIMEOUT_USEC);
                if (r < 0)
                        die("cannot send %s: %s", c.member, strerror(-r));
                sd_bus_message_unref(m);
        }
}

/*
 * Runs n calls with at most "inflight" outstanding.  With one in flight it
 * uses plain blocking sd_bus_call(), the way a simple client works.
 */
static void engine_run(struct engine *e) {
        e->sent = xmalloc(e->n * sizeof(*e->sent));
        if (e->inflight <= 1) {
                for (size_t i = 0; i < e->n; i++) {
                        struct call c = { 0 };
                        sd_bus_message *reply = NULL;
                        sd_bus_error error = SD_BUS_ERROR_NULL;
                        e->gen(i, &c, e->ud);
                        sd_bus_message *m = call_new(e->bus, &c);
                        e->sent[i] = now_ns();
                        int r = sd_bus_call(e->bus, m, CALL_TIMEOUT_USEC, &error, &reply);
                        if (r < 0 && !sd_bus_error_is_set(&error))
                                die("%s: %s", c.member, strerror(-r));
                        if (r < 0) {
                                /* Record the failure like an error reply. */
                                uint64_t t = now_ns();
                                if (e->lat)
                                        samples_add(e->lat, t - e->sent[i]);
                                if (e->errors++ < 3)
                                        fprintf(stderr, "virtbus-bench: %s #%zu failed: %s: %s\n", e->what, i,
                                                error.name, error.message ? error.message : "");
                                e->done++;
                        } else
                                engine_record(e, i, reply);
                        sd_bus_message_unref(reply);
                        sd_bus_message_unref(m);
                        sd_bus_error_free(&error);
                }
        } else {
                engine_send(e);
                while (e->done < e->n) {
                        int r = sd_bus_process(e->bus, NULL);
                        if (r < 0)
                                die("bus: %s", strerror(-r));
                        if (r > 0)
                                continue;
                        r = sd_bus_wait(e->bus, UINT64_MAX);
                        if (r < 0 && r != -EINTR)
                                die("bus wait: %s", strerror(-r));
                }
        }
        free(e->sent);
        e->sent = NULL;
}

/* ------------------------------------------------------------------------ */
/* cheap: one cheap call, sequential or pipelined, from one or more processes. */

struct cheap_ctx {
        char *path;
};

static void cheap_gen(size_t i, struct call *c, void *ud) {
        struct cheap_ctx *x = ud;
        c->path = x->path;
        if (strcmp(opt.method, "getstate") == 0) {
                c->iface = DOMAIN_IFACE;
                c->member = "GetState";
                c->args = ARGS_U;
                c->u = 0;
        } else if (strcmp(opt.method, "get") == 0) {
                c->iface = "org.freedesktop.DBus.Properties";
                c->member = "Get";
                c->args = ARGS_SS;
                c->s1 = DOMAIN_IFACE;
                c->s2 = "Active";
        } else if (strcmp(opt.method, "ping") == 0) {
                c->iface = "org.freedesktop.DBus.Peer";
                c->member = "Ping";
                c->args = ARGS_NONE;
        } else
                die("unknown method %s (getstate, get, ping)", opt.method);
}

static void write_full(int fd, const void *buf, size_t n) {
        const char *p = buf;
        while (n > 0) {
                ssize_t k = write(fd, p, n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        die("write: %m");
                p += k;
                n -= (size_t) k;
        }
}

static bool read_full(int fd, void *buf, size_t n) {
        char *p = buf;
        while (n > 0) {
                ssize_t k = read(fd, p, n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return false;
                p += k;
                n -= (size_t) k;
        }
        return true;
}

/* What a worker process sends back: header, then "count" latencies. */
struct worker_result {
        uint64_t t_start, t_end, count, errors;
};

static void send_result(int fd, uint64_t t0, uint64_t t1, const struct samples *s, size_t errors) {
        struct worker_result h = { t0, t1, s->n, errors };
        write_full(fd, &h, sizeof(h));
        write_full(fd, s->v, s->n * sizeof(*s->v));
}

static bool recv_result(int fd, struct worker_result *h, struct samples *all) {
        if (!read_full(fd, h, sizeof(*h)))
                return false;
        for (uint64_t k = 0; k < h->count; k++) {
                uint64_t v;
                if (!read_full(fd, &v, sizeof(v)))
                        return false;
                samples_add(all, v);
        }
        return true;
}

static int cmd_cheap(void) {
        int nprocs = (int) opt.procs;
        int go[2], (*res)[2] = xmalloc(sizeof(*res) * (size_t) nprocs), ready[2];
        pid_t *pids = xmalloc(sizeof(*pids) * (size_t) nprocs);

        if (pipe(go) < 0 || pipe(ready) < 0)
                die("pipe: %m");
        for (int p = 0; p < nprocs; p++) {
                if (pipe(res[p]) < 0)
                        die("pipe: %m");
                pids[p] = fork();
                if (pids[p] < 0)
                        die("fork: %m");
                if (pids[p] == 0) {
                        close(go[1]);
                        close(ready[0]);
                        close(res[p][0]);
                        sd_bus *bus = bus_open();
                        struct cheap_ctx x = { 0 };
                        x.path = strcmp(opt.method, "ping") == 0 && strcmp(opt.domain, "-") == 0
                                ? xstrdup("/org/libvirt")
                                : lookup_domain(bus, opt.domain);
                        struct engine warm = {
                                .bus = bus, .gen = cheap_gen, .ud = &x, .n = (size_t) opt.warmup,
                                .inflight = (size_t) opt.inflight, .what = opt.method,
                        };
                        engine_run(&warm);
                        char b = 'r';
                        write_full(ready[1], &b, 1);
                        if (!read_full(go[0], &b, 1))
                                _exit(1);
                        struct samples lat = { 0 };
                        struct engine e = {
                                .bus = bus, .gen = cheap_gen, .ud = &x, .n = (size_t) opt.count,
                                .inflight = (size_t) opt.inflight, .lat = &lat, .what = opt.method,
                        };
                        uint64_t t0 = now_ns();
                        engine_run(&e);
                        uint64_t t1 = now_ns();
                        send_result(res[p][1], t0, t1, &lat, e.errors + warm.errors);
                        sd_bus_flush_close_unref(bus);
                        _exit(0);
                }
                close(res[p][1]);
        }
        close(ready[1]);
        close(go[0]);
        /* Start every worker at once, after all of them have warmed up. */
        for (int p = 0; p < nprocs; p++) {
                char b;
                if (!read_full(ready[0], &b, 1))
                        die("a worker failed before starting");
        }
        char gobuf[256];
        memset(gobuf, 'g', sizeof(gobuf));
        write_full(go[1], gobuf, (size_t) nprocs);

        struct samples all = { 0 };
        uint64_t t0 = UINT64_MAX, t1 = 0, errors = 0;
        for (int p = 0; p < nprocs; p++) {
                struct worker_result h;
                if (!recv_result(res[p][0], &h, &all))
                        die("worker %d failed", p);
                t0 = h.t_start < t0 ? h.t_start : t0;
                t1 = h.t_end > t1 ? h.t_end : t1;
                errors += h.errors;
                close(res[p][0]);
        }
        int failed = 0;
        for (int p = 0; p < nprocs; p++) {
                int st;
                if (waitpid(pids[p], &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
                        failed++;
        }
        char param[64];
        snprintf(param, sizeof(param), "inflight=%ld/procs=%ld", opt.inflight, opt.procs);
        char workload[64];
        snprintf(workload, sizeof(workload), "cheap-%s", opt.method);
        emit(workload_label(workload), param, "calls_per_s", (double) all.n / ((double) (t1 - t0) / 1e9));
        emit(workload_label(workload), param, "errors", (double) errors);
        emit_latencies(workload_label(workload), param, &all);
        write_samples(&all);
        free(all.v);
        free(res);
        free(pids);
        if (failed || errors)
                return EXIT_FAILURE;
        return EXIT_SUCCESS;
}

/* ------------------------------------------------------------------------ */
/* define: DomainDefineXML through the service. */

struct define_ctx {
        char *cpath;
        char *xml;
        size_t xml_size;
        size_t defined;
};

static void define_gen(size_t i, struct call *c, void *ud) {
        struct define_ctx *x = ud;
        long n = opt.start + (long) i;
        if (strcmp(opt.type, "test") == 0)
                snprintf(x->xml, x->xml_size,
                         "<domain type='test'><name>%s%06ld</name><memory unit='MiB'>128</memory>"
                         "<vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os></domain>",
                         opt.prefix, n);
        else
                snprintf(x->xml, x->xml_size,
                         "<domain type='%s'><name>%s%06ld</name><memory unit='MiB'>128</memory>"
                         "<vcpu>1</vcpu><os><type arch='x86_64' machine='pc'>hvm</type></os>"
                         "<devices><memballoon model='none'/></devices></domain>",
                         opt.type, opt.prefix, n);
        c->path = x->cpath;
        c->iface = CONNECT_IFACE;
        c->member = "DomainDefineXML";
        c->args = ARGS_S;
        c->s1 = x->xml;
}

static void define_reply(size_t i, sd_bus_message *reply, void *ud) {
        struct define_ctx *x = ud;
        x->defined++;
}

static int cmd_define(void) {
        sd_bus *bus = bus_open();
        struct define_ctx x = { .cpath = connect_path(), .xml_size = 1024 };
        x.xml = xmalloc(x.xml_size);
        struct engine e = {
                .bus = bus, .gen = define_gen, .on_reply = define_reply, .ud = &x,
                .n = (size_t) opt.count, .inflight = (size_t) opt.inflight, .what = "DomainDefineXML",
        };
        uint64_t t0 = now_ns();
        engine_run(&e);
        uint64_t t1 = now_ns();
        char param[64];
        snprintf(param, sizeof(param), "n=%ld/inflight=%ld", opt.count, opt.inflight);
        emit(workload_label("define"), param, "total_ms", (double) (t1 - t0) / 1e6);
        emit(workload_label("define"), param, "errors", (double) e.errors);
        sd_bus_flush_close_unref(bus);
        free(x.xml);
        free(x.cpath);
        return e.errors ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* ------------------------------------------------------------------------ */
/* list: ListDomains + GetAll each (seq or pipe), or GetManagedObjects. */

struct list_ctx {
        char **paths;
};

static void getall_gen(size_t i, struct call *c, void *ud) {
        struct list_ctx *x = ud;
        c->path = x->paths[i];
        c->iface = "org.freedesktop.DBus.Properties";
        c->member = "GetAll";
        c->args = ARGS_S;
        c->s1 = DOMAIN_IFACE;
}

static size_t strv_length(char **l) {
        size_t n = 0;
        while (l && l[n])
                n++;
        return n;
}

static void strv_free(char **l) {
        for (size_t i = 0; l && l[i]; i++)
                free(l[i]);
        free(l);
}

/* One ListDomains + GetAll pass; returns its duration and the domain count. */
static uint64_t list_once(sd_bus *bus, const char *cpath, size_t *count, size_t *errors) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        struct list_ctx x = { 0 };
        uint64_t t0 = now_ns();
        int r = sd_bus_call_method(bus, SERVICE_NAME, cpath, CONNECT_IFACE, "ListDomains", &error, &reply, "u", 0);
        if (r < 0)
                die("ListDomains on %s: %s", cpath, error.message ? error.message : strerror(-r));
        r = sd_bus_message_read_strv(reply, &x.paths);
        if (r < 0)
                die("bad ListDomains reply: %s", strerror(-r));
        struct engine e = {
                .bus = bus, .gen = getall_gen, .ud = &x, .n = strv_length(x.paths),
                .inflight = strcmp(opt.mode, "pipe") == 0 ? (size_t) opt.inflight : 1, .what = "GetAll",
        };
        engine_run(&e);
        uint64_t t1 = now_ns();
        *count = e.n;
        *errors += e.errors;
        strv_free(x.paths);
        sd_bus_message_unref(reply);
        sd_bus_error_free(&error);
        return t1 - t0;
}

/* Counts the domains of one connection in a GetManagedObjects reply. */
static size_t count_managed(sd_bus_message *m, const char *cpath) {
        size_t n = 0, plen = strlen(cpath);
        int r = sd_bus_message_enter_container(m, 'a', "{oa{sa{sv}}}");
        if (r < 0)
                die("bad GetManagedObjects reply: %s", strerror(-r));
        while ((r = sd_bus_message_enter_container(m, 'e', "oa{sa{sv}}")) > 0) {
                const char *path;
                if (sd_bus_message_read(m, "o", &path) < 0)
                        die("bad GetManagedObjects entry");
                if (strncmp(path, cpath, plen) == 0 && strncmp(path + plen, "/domain/", 8) == 0)
                        n++;
                if (sd_bus_message_skip(m, "a{sa{sv}}") < 0 || sd_bus_message_exit_container(m) < 0)
                        die("bad GetManagedObjects entry");
        }
        if (r < 0)
                die("bad GetManagedObjects reply: %s", strerror(-r));
        return n;
}

static uint64_t gmo_once(sd_bus *bus, const char *cpath, size_t *count) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        uint64_t t0 = now_ns();
        int r = sd_bus_call_method(bus, SERVICE_NAME, "/org/libvirt", "org.freedesktop.DBus.ObjectManager",
                                   "GetManagedObjects", &error, &reply, "");
        uint64_t t1 = now_ns();
        if (r < 0)
                die("GetManagedObjects: %s", error.message ? error.message : strerror(-r));
        /* Reading the reply is the client's business, not the service's: untimed. */
        *count = count_managed(reply, cpath);
        sd_bus_message_unref(reply);
        sd_bus_error_free(&error);
        return t1 - t0;
}

static int cmd_list(void) {
        sd_bus *bus = bus_open();
        char *cpath = connect_path();
        struct samples times = { 0 };
        size_t count = 0, errors = 0;
        bool gmo = strcmp(opt.mode, "gmo") == 0;
        if (!gmo && strcmp(opt.mode, "seq") != 0 && strcmp(opt.mode, "pipe") != 0)
                die("unknown list mode %s (seq, pipe, gmo)", opt.mode);
        for (long k = 0; k < opt.repeat; k++) {
                if (opt.fresh && k > 0) {
                        /* A new connection: a caller the service has never
                         * seen, with nothing cached for it. */
                        sd_bus_flush_close_unref(bus);
                        bus = bus_open();
                }
                uint64_t t = gmo ? gmo_once(bus, cpath, &count) : list_once(bus, cpath, &count, &errors);
                samples_add(&times, t);
                if (opt.expect >= 0 && count != (size_t) opt.expect)
                        die("%s listed %zu domains, expected %ld", opt.mode, count, opt.expect);
        }
        char param[64], workload[64];
        snprintf(workload, sizeof(workload), "list-%s%s", opt.mode, opt.fresh ? "-fresh" : "");
        if (strcmp(opt.mode, "pipe") == 0 && !opt.fresh)
                snprintf(param, sizeof(param), "n=%zu/inflight=%ld", count, opt.inflight);
        else
                snprintf(param, sizeof(param), "n=%zu", count);
        qsort(times.v, times.n, sizeof(*times.v), cmp_u64);
        emit(workload_label(workload), param, "median_ms", pct_us(&times, 0.5) / 1000.0);
        emit(workload_label(workload), param, "min_ms", pct_us(&times, 0.0) / 1000.0);
        emit(workload_label(workload), param, "max_ms", pct_us(&times, 1.0) / 1000.0);
        emit(workload_label(workload), param, "errors", (double) errors);
        free(times.v);
        free(cpath);
        sd_bus_flush_close_unref(bus);
        return errors ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* ------------------------------------------------------------------------ */
/* storm: --procs fresh callers of --user each list every domain, while a
 * caller of --cached-user (verdicts cached beforehand) calls GetState on
 * --domain in a loop, and a fresh caller of --other-user arrives once the
 * storm is under way: how long its first answer takes, and how long the
 * cached caller waits at worst. */

static void storm_child_list(int ready_fd, int go_fd, int res_fd) {
        become(opt.user);
        sd_bus *bus = bus_open();
        char *cpath = connect_path();
        char b = 'r';
        write_full(ready_fd, &b, 1);
        if (!read_full(go_fd, &b, 1))
                _exit(1);
        struct samples one = { 0 };
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        uint64_t t0 = now_ns();
        int r = sd_bus_call_method(bus, SERVICE_NAME, cpath, CONNECT_IFACE, "ListDomains", &error, &reply, "u", 0);
        uint64_t t1 = now_ns();
        size_t n = 0;
        if (r >= 0) {
                char **paths = NULL;
                if (sd_bus_message_read_strv(reply, &paths) >= 0)
                        n = strv_length(paths);
                strv_free(paths);
        } else
                fprintf(stderr, "virtbus-bench: storm ListDomains: %s\n", error.message ? error.message : strerror(-r));
        samples_add(&one, t1 - t0);
        send_result(res_fd, t0, t1, &one, r < 0 || (opt.expect >= 0 && (long) n != opt.expect));
        sd_bus_message_unref(reply);
        sd_bus_error_free(&error);
        sd_bus_flush_close_unref(bus);
        _exit(0);
}

/* The first answer of a fresh caller: GetState on the domain, the call
 * timed from the moment the caller is connected. */
static void storm_child_other(int go_fd, int res_fd) {
        become(opt.other_user);
        sd_bus *bus = bus_open();
        char *path = NULL;
        char b;
        if (!read_full(go_fd, &b, 1))
                _exit(1);
        struct samples one = { 0 };
        uint64_t t0 = now_ns();
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        char *cpath = connect_path();
        int r = sd_bus_call_method(bus, SERVICE_NAME, cpath, CONNECT_IFACE, "DomainLookupByName", &error, &reply,
                                   "s", opt.domain);
        if (r >= 0) {
                const char *p;
                if (sd_bus_message_read(reply, "o", &p) >= 0)
                        path = xstrdup(p);
                sd_bus_message_unref(reply);
                reply = NULL;
                r = sd_bus_call_method(bus, SERVICE_NAME, path, DOMAIN_IFACE, "GetState", &error, &reply, "u", 0);
        }
        uint64_t t1 = now_ns();
        if (r < 0)
                fprintf(stderr, "virtbus-bench: storm newcomer: %s\n", error.message ? error.message : strerror(-r));
        samples_add(&one, t1 - t0);
        send_result(res_fd, t0, t1, &one, r < 0);
        _exit(0);
}

static void storm_child_cached(int ready_fd, int stop_fd, int res_fd) {
        become(opt.cached_user);
        sd_bus *bus = bus_open();
        char *path = lookup_domain(bus, opt.domain);
        struct cheap_ctx x = { .path = path };
        const char *method = opt.method;
        opt.method = "getstate";
        struct engine warm = { .bus = bus, .gen = cheap_gen, .ud = &x, .n = 20, .inflight = 1, .what = "GetState" };
        engine_run(&warm);
        char b = 'r';
        write_full(ready_fd, &b, 1);
        struct samples lat = { 0 };
        size_t errors = warm.errors;
        uint64_t t0 = now_ns();
        int fl = fcntl(stop_fd, F_GETFL);
        fcntl(stop_fd, F_SETFL, fl | O_NONBLOCK);
        for (;;) {
                if (read(stop_fd, &b, 1) == 1 || (errno != EAGAIN && errno != EINTR))
                        break;
                struct engine e = { .bus = bus, .gen = cheap_gen, .ud = &x, .n = 1, .inflight = 1, .lat = &lat,
                                    .what = "GetState" };
                engine_run(&e);
                errors += e.errors;
        }
        opt.method = method;
        send_result(res_fd, t0, now_ns(), &lat, errors);
        _exit(0);
}

static int cmd_storm(void) {
        int nprocs = (int) opt.procs;
        int ready[2], go[2], go_other[2], stop[2], res_cached[2], res_other[2];
        int (*res)[2] = xmalloc(sizeof(*res) * (size_t) nprocs);
        pid_t *pids = xmalloc(sizeof(*pids) * (size_t) (nprocs + 2));
        char b;

        if (pipe(ready) < 0 || pipe(go) < 0 || pipe(go_other) < 0 || pipe(stop) < 0 || pipe(res_cached) < 0 ||
            pipe(res_other) < 0)
                die("pipe: %m");
        /* The caller with cached verdicts, warmed up first. */
        pids[nprocs] = fork();
        if (pids[nprocs] == 0)
                storm_child_cached(ready[1], stop[0], res_cached[1]);
        if (!read_full(ready[0], &b, 1))
                die("the cached caller failed");
        /* The newcomer connects now and waits for its cue. */
        pids[nprocs + 1] = fork();
        if (pids[nprocs + 1] == 0)
                storm_child_other(go_other[0], res_other[1]);
        for (int p = 0; p < nprocs; p++) {
                if (pipe(res[p]) < 0)
                        die("pipe: %m");
                pids[p] = fork();
                if (pids[p] < 0)
                        die("fork: %m");
                if (pids[p] == 0)
                        storm_child_list(ready[1], go[0], res[p][1]);
                close(res[p][1]);
        }
        for (int p = 0; p < nprocs; p++)
                if (!read_full(ready[0], &b, 1))
                        die("a storm caller failed before starting");
        char gobuf[256];
        memset(gobuf, 'g', sizeof(gobuf));
        uint64_t storm_start = now_ns();
        write_full(go[1], gobuf, (size_t) nprocs);
        /* The newcomer arrives once the storm's questions are queued. */
        usleep((useconds_t) (opt.seconds * 1e6));
        write_full(go_other[1], gobuf, 1);

        struct samples lists = { 0 }, other = { 0 }, cached = { 0 };
        struct worker_result h;
        uint64_t errors = 0, storm_end = 0;
        for (int p = 0; p < nprocs; p++) {
                if (!recv_result(res[p][0], &h, &lists))
                        die("storm caller %d failed", p);
                errors += h.errors;
                storm_end = h.t_end > storm_end ? h.t_end : storm_end;
        }
        if (!recv_result(res_other[0], &h, &other))
                die("the newcomer failed");
        errors += h.errors;
        uint64_t other_at = h.t_start;
        write_full(stop[1], gobuf, 1);
        if (!recv_result(res_cached[0], &h, &cached))
                die("the cached caller failed");
        errors += h.errors;
        for (int p = 0; p < nprocs + 2; p++)
                waitpid(pids[p], NULL, 0);

        char param[64];
        snprintf(param, sizeof(param), "procs=%ld/n=%ld", opt.procs, opt.expect);
        qsort(lists.v, lists.n, sizeof(*lists.v), cmp_u64);
        emit(workload_label("storm"), param, "storm_ms", (double) (storm_end - storm_start) / 1e6);
        emit(workload_label("storm"), param, "list_median_ms", pct_us(&lists, 0.5) / 1000.0);
        emit(workload_label("storm"), param, "list_max_ms", pct_us(&lists, 1.0) / 1000.0);
        emit(workload_label("storm"), param, "newcomer_at_ms", (double) (other_at - storm_start) / 1e6);
        emit(workload_label("storm"), param, "newcomer_first_answer_ms", pct_us(&other, 0.5) / 1000.0);
        qsort(cached.v, cached.n, sizeof(*cached.v), cmp_u64);
        emit(workload_label("storm"), param, "cached_calls", (double) cached.n);
        emit(workload_label("storm"), param, "cached_p50_ms", pct_us(&cached, 0.5) / 1000.0);
        emit(workload_label("storm"), param, "cached_p99_ms", pct_us(&cached, 0.99) / 1000.0);
        emit(workload_label("storm"), param, "cached_max_ms", pct_us(&cached, 1.0) / 1000.0);
        emit(workload_label("storm"), param, "errors", (double) errors);
        write_samples(&cached);
        return errors ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* ------------------------------------------------------------------------ */
/* load: --procs client processes, every other one as --other-user (the
 * rest as --user), each makes --count calls on a domain of its own
 * (--prefix NNN, running): reads, Suspend/Resume, GetManagedObjects, with
 * DomainEvent subscribed. Every call must succeed, every event arrive, and
 * the service's resident memory and descriptors stay flat. */

struct load_state {
        const char *path;
        uint64_t events;
};

static int load_event_cb(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        struct load_state *st = userdata;
        const char *path;
        int32_t event, detail;

        if (sd_bus_message_read(m, "oii", &path, &event, &detail) >= 0 && strcmp(path, st->path) == 0 &&
            (event == VIR_DOMAIN_EVENT_SUSPENDED || event == VIR_DOMAIN_EVENT_RESUMED))
                st->events++;
        return 0;
}

static void load_child(int idx, int ready_fd, int go_fd, int res_fd) {
        become(idx % 2 ? opt.other_user : opt.user);
        sd_bus *bus = bus_open();
        char *cpath = connect_path();
        char name[256];
        snprintf(name, sizeof(name), "%s%03d", opt.prefix, idx);
        char *path = lookup_domain(bus, name);
        struct load_state st = { .path = path };
        int r = sd_bus_match_signal(bus, NULL, SERVICE_NAME, cpath, CONNECT_IFACE, "DomainEvent", load_event_cb, &st);
        if (r < 0)
                die("cannot subscribe: %s", strerror(-r));
        char b = 'r';
        write_full(ready_fd, &b, 1);
        if (!read_full(go_fd, &b, 1))
                _exit(1);
        struct samples lat = { 0 };
        size_t errors = 0, changes = 0;
        uint64_t t0 = now_ns();
        for (long i = 0; i < opt.count; i++) {
                sd_bus_error error = SD_BUS_ERROR_NULL;
                sd_bus_message *reply = NULL;
                uint64_t c0 = now_ns();
                switch (i % 10) {
                case 0:
                        /* libvirt-dbus has no ObjectManager: its list instead. */
                        if (strcmp(opt.service, "libvirt-dbus") == 0)
                                r = sd_bus_call_method(bus, SERVICE_NAME, cpath, CONNECT_IFACE, "ListDomains", &error,
                                                       &reply, "u", 0);
                        else
                                r = sd_bus_call_method(bus, SERVICE_NAME, "/org/libvirt",
                                                       "org.freedesktop.DBus.ObjectManager", "GetManagedObjects",
                                                       &error, &reply, "");
                        break;
                case 1:
                        r = sd_bus_call_method(bus, SERVICE_NAME, path, DOMAIN_IFACE,
                                               changes % 2 ? "Resume" : "Suspend", &error, &reply, "");
                        changes++;
                        break;
                case 2:
                        r = sd_bus_call_method(bus, SERVICE_NAME, path, DOMAIN_IFACE, "GetXMLDesc", &error, &reply,
                                               "u", 0);
                        break;
                case 3: case 4:
                        r = sd_bus_call_method(bus, SERVICE_NAME, path, "org.freedesktop.DBus.Properties", "Get",
                                               &error, &reply, "ss", DOMAIN_IFACE, "Active");
                        break;
                case 5:
                        r = sd_bus_call_method(bus, SERVICE_NAME, path, "org.freedesktop.DBus.Properties", "GetAll",
                                               &error, &reply, "s", DOMAIN_IFACE);
                        break;
                default:
                        r = sd_bus_call_method(bus, SERVICE_NAME, path, DOMAIN_IFACE, "GetState", &error, &reply,
                                               "u", 0);
                }
                samples_add(&lat, now_ns() - c0);
                if (r < 0 && errors++ < 3)
                        fprintf(stderr, "virtbus-bench: load call %ld as %s: %s\n", i,
                                idx % 2 ? opt.other_user : opt.user, error.message ? error.message : strerror(-r));
                sd_bus_message_unref(reply);
                sd_bus_error_free(&error);
                while (sd_bus_process(bus, NULL) > 0)
                        ;
        }
        /* Leave the domain running, and wait for the last events. */
        if (changes % 2) {
                sd_bus_error error = SD_BUS_ERROR_NULL;
                if (sd_bus_call_method(bus, SERVICE_NAME, path, DOMAIN_IFACE, "Resume", &error, NULL, "") < 0)
                        errors++;
                changes++;
                sd_bus_error_free(&error);
        }
        uint64_t t1 = now_ns(), deadline = t1 + 10ULL * 1000 * 1000 * 1000;
        while (st.events < changes && now_ns() < deadline) {
                if (sd_bus_process(bus, NULL) > 0)
                        continue;
                sd_bus_wait(bus, 100 * 1000);
        }
        if (st.events != changes) {
                fprintf(stderr, "virtbus-bench: load client %d saw %" PRIu64 " of %zu events\n", idx, st.events,
                        changes);
                errors++;
        }
        send_result(res_fd, t0, t1, &lat, errors);
        _exit(0);
}

static long status_field(const char *file, const char *key);

static long proc_rss_kib(pid_t pid) {
        char f[64];
        snprintf(f, sizeof(f), "/proc/%d/status", (int) pid);
        return status_field(f, "VmRSS");
}

static long proc_fds(pid_t pid) {
        char d[64];
        long n = 0;
        snprintf(d, sizeof(d), "/proc/%d/fd", (int) pid);
        DIR *dir = opendir(d);
        if (!dir)
                return -1;
        struct dirent *e;
        while ((e = readdir(dir)))
                n += e->d_name[0] != '.';
        closedir(dir);
        return n;
}

static int cmd_load(void) {
        int nprocs = (int) opt.procs;
        int ready[2], go[2];
        int (*res)[2] = xmalloc(sizeof(*res) * (size_t) nprocs);
        pid_t *pids = xmalloc(sizeof(*pids) * (size_t) nprocs);
        long total = opt.count;
        char b;

        if (pipe(ready) < 0 || pipe(go) < 0)
                die("pipe: %m");
        /* A running (transient) domain per client, made by root through the
         * service, unless it is there already. */
        sd_bus *bus = bus_open();
        char *cpath = connect_path();
        for (int p = 0; p < nprocs; p++) {
                sd_bus_error error = SD_BUS_ERROR_NULL;
                char name[256], *xml;
                snprintf(name, sizeof(name), "%s%03d", opt.prefix, p);
                if (sd_bus_call_method(bus, SERVICE_NAME, cpath, CONNECT_IFACE, "DomainLookupByName", &error, NULL,
                                       "s", name) >= 0)
                        continue;
                sd_bus_error_free(&error);
                if (asprintf(&xml, "<domain type='test'><name>%s</name><memory>8192</memory>"
                             "<os><type>hvm</type></os></domain>", name) < 0)
                        die("out of memory");
                if (sd_bus_call_method(bus, SERVICE_NAME, cpath, CONNECT_IFACE, "DomainCreateXML", &error, NULL, "su",
                                       xml, 0) < 0)
                        die("DomainCreateXML %s: %s", name, error.message);
                free(xml);
        }
        sd_bus_flush_close_unref(bus);
        /* Warm-up: a tenth of the calls, then the service is measured. */
        opt.count = total / 10;
        for (int phase = 0; phase < 2; phase++) {
                for (int p = 0; p < nprocs; p++) {
                        if (pipe(res[p]) < 0)
                                die("pipe: %m");
                        pids[p] = fork();
                        if (pids[p] < 0)
                                die("fork: %m");
                        if (pids[p] == 0)
                                load_child(p, ready[1], go[0], res[p][1]);
                        close(res[p][1]);
                }
                for (int p = 0; p < nprocs; p++)
                        if (!read_full(ready[0], &b, 1))
                                die("a load client failed before starting");
                long rss0 = proc_rss_kib((pid_t) opt.pid), fds0 = proc_fds((pid_t) opt.pid);
                char gobuf[256];
                memset(gobuf, 'g', sizeof(gobuf));
                uint64_t t0 = now_ns();
                write_full(go[1], gobuf, (size_t) nprocs);
                struct samples all = { 0 };
                struct worker_result h;
                uint64_t errors = 0, peak_rss = 0;
                for (int p = 0; p < nprocs; p++) {
                        if (!recv_result(res[p][0], &h, &all))
                                die("load client %d failed", p);
                        errors += h.errors;
                        close(res[p][0]);
                }
                for (int p = 0; p < nprocs; p++)
                        waitpid(pids[p], NULL, 0);
                uint64_t t1 = now_ns();
                /* Whatever the service freed is given back once the load is gone. */
                usleep(500 * 1000);
                long rss1 = proc_rss_kib((pid_t) opt.pid), fds1 = proc_fds((pid_t) opt.pid);
                (void) peak_rss;
                if (phase == 0) {
                        opt.count = total;
                        free(all.v);
                        if (errors)
                                die("errors during the warm-up");
                        continue;
                }
                char param[64];
                snprintf(param, sizeof(param), "procs=%ld/calls=%ld", opt.procs, total);
                emit(workload_label("load"), param, "calls", (double) all.n);
                emit(workload_label("load"), param, "calls_per_s", (double) all.n / ((double) (t1 - t0) / 1e9));
                emit(workload_label("load"), param, "errors", (double) errors);
                emit(workload_label("load"), param, "rss_before_kib", (double) rss0);
                emit(workload_label("load"), param, "rss_after_kib", (double) rss1);
                emit(workload_label("load"), param, "rss_growth_kib", (double) (rss1 - rss0));
                emit(workload_label("load"), param, "fds_before", (double) fds0);
                emit(workload_label("load"), param, "fds_after", (double) fds1);
                emit_latencies(workload_label("load"), param, &all);
                free(all.v);
                if (errors)
                        return EXIT_FAILURE;
        }
        return EXIT_SUCCESS;
}
/* ------------------------------------------------------------------------ */
/* hol: saves through the service while another process loops on GetState. */

struct save_ctx {
        char **paths;
        char **files;
};

static void save_gen(size_t i, struct call *c, void *ud) {
        struct save_ctx *x = ud;
        c->path = x->paths[i];
        c->iface = DOMAIN_IFACE;
        c->member = "Save";
        c->args = ARGS_SSU;
        c->s1 = x->files[i];
        c->s2 = "";
        c->u = 0;
}

static int cmd_hol(void) {
        if (!opt.save_dir)
                die("hol needs --save-dir");
        /* --method ping measures the floor: what the bus and this loaded
         * machine allow while the same saves run. */
        bool ping = strcmp(opt.method, "ping") == 0;
        if (!ping && strcmp(opt.method, "getstate") != 0)
                die("hol: unknown method %s (getstate, ping)", opt.method);
        const char *label = ping ? "hol-ping" : "hol-getstate";
        int ready[2], stop[2], res[2];
        if (pipe(ready) < 0 || pipe(stop) < 0 || pipe(res) < 0)
                die("pipe: %m");
        pid_t pid = fork();
        if (pid < 0)
                die("fork: %m");
        if (pid == 0) {
                /* The other client: GetState on an idle domain until told to stop. */
                close(ready[0]);
                close(stop[1]);
                close(res[0]);
                sd_bus *bus = bus_open();
                char *path = lookup_domain(bus, opt.domain);
                struct samples lat = { 0 };
                size_t errors = 0;
                uint64_t worst_t0 = 0, worst_t1 = 0;
                struct pollfd pfd = { .fd = stop[0], .events = POLLIN };
                for (long k = 0;; k++) {
                        if (k == opt.warmup) {
                                char b = 'r';
                                write_full(ready[1], &b, 1);
                        }
                        if (poll(&pfd, 1, 0) > 0)
                                break;
                        sd_bus_error error = SD_BUS_ERROR_NULL;
                        sd_bus_message *reply = NULL;
                        uint64_t t0 = now_ns();
                        int r = ping ? sd_bus_call_method(bus, SERVICE_NAME, path, "org.freedesktop.DBus.Peer",
                                                          "Ping", &error, &reply, "")
                                     : sd_bus_call_method(bus, SERVICE_NAME, path, DOMAIN_IFACE, "GetState",
                                                          &error, &reply, "u", 0);
                        uint64_t t1 = now_ns();
                        if (r < 0 && errors++ < 3)
                                fprintf(stderr, "virtbus-bench: %s: %s\n", ping ? "Ping" : "GetState",
                                        error.message);
                        if (k >= opt.warmup) {
                                if (t1 - t0 > worst_t1 - worst_t0) {
                                        worst_t0 = t0;
                                        worst_t1 = t1;
                                }
                                samples_add(&lat, t1 - t0);
                        }
                        sd_bus_message_unref(reply);
                        sd_bus_error_free(&error);
                }
                send_result(res[1], worst_t0, worst_t1, &lat, errors);
                _exit(0);
        }
        close(ready[1]);
        close(stop[0]);
        close(res[1]);

        sd_bus *bus = bus_open();
        struct save_ctx x = { 0 };
        x.paths = xmalloc(sizeof(char *) * (size_t) opt.count);
        x.files = xmalloc(sizeof(char *) * (size_t) opt.count);
        for (long i = 0; i < opt.count; i++) {
                char name[256];
                snprintf(name, sizeof(name), "%s%06ld", opt.prefix, i);
                x.paths[i] = lookup_domain(bus, name);
                if (asprintf(&x.files[i], "%s/%s.save", opt.save_dir, name) < 0)
                        die("out of memory");
                unlink(x.files[i]);
        }
        char b;
        if (!read_full(ready[0], &b, 1))
                die("the GetState client failed");
        struct samples save_lat = { 0 };
        struct engine e = {
                .bus = bus, .gen = save_gen, .ud = &x, .n = (size_t) opt.count,
                .inflight = (size_t) opt.count + 1, .lat = &save_lat, .what = "Save",
        };
        /* Everything at once: the pipelined engine sends all saves before waiting. */
        uint64_t t0 = now_ns();
        engine_run(&e);
        uint64_t t1 = now_ns();
        write_full(stop[1], "s", 1);
        struct worker_result h;
        struct samples lat = { 0 };
        if (!recv_result(res[0], &h, &lat))
                die("the GetState client failed");
        int st;
        waitpid(pid, &st, 0);

        char param[64];
        snprintf(param, sizeof(param), "saves=%ld", opt.count);
        emit(workload_label(label), param, "errors", (double) h.errors);
        /* When the slowest call started, counted from the first save sent:
         * tells a stall at dispatch from one at completion. */
        if (h.t_start)
                emit(workload_label(label), param, "max_at_ms", ((double) h.t_start - (double) t0) / 1e6);
        emit_latencies(workload_label(label), param, &lat);
        if (!ping) {
                emit(workload_label("hol-save"), param, "wall_ms", (double) (t1 - t0) / 1e6);
                emit(workload_label("hol-save"), param, "errors", (double) e.errors);
        }
        write_samples(&lat);
        for (long i = 0; i < opt.count; i++) {
                free(x.paths[i]);
                free(x.files[i]);
        }
        free(x.paths);
        free(x.files);
        free(lat.v);
        free(save_lat.v);
        sd_bus_flush_close_unref(bus);
        return (e.errors || h.errors) ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* ------------------------------------------------------------------------ */
/* libvirt helpers (set-up, and the direct client of the events workload). */

static void lv_error_quiet(void *ud, virErrorPtr err) {
}

static virConnectPtr lv_open(void) {
        if (!opt.uri)
                die("this subcommand needs --uri");
        virConnectPtr conn = virConnectOpen(opt.uri);
        if (!conn)
                die("cannot open %s: %s", opt.uri, virGetLastErrorMessage());
        return conn;
}

struct lv_define_ctx {
        pthread_mutex_t lock;
        long next;
        long errors;
};

static void *lv_define_thread(void *arg) {
        struct lv_define_ctx *x = arg;
        virConnectPtr conn = lv_open();
        char xml[1024];
        for (;;) {
                pthread_mutex_lock(&x->lock);
                long i = x->next < opt.count ? x->next++ : -1;
                pthread_mutex_unlock(&x->lock);
                if (i < 0)
                        break;
                snprintf(xml, sizeof(xml),
                         "<domain type='%s'><name>%s%06ld</name><memory unit='MiB'>128</memory>"
                         "<vcpu>1</vcpu><os><type arch='x86_64' machine='pc'>hvm</type></os>"
                         "<devices><memballoon model='none'/></devices></domain>",
                         opt.type, opt.prefix, opt.start + i);
                virDomainPtr dom = virDomainDefineXML(conn, xml);
                if (!dom) {
                        pthread_mutex_lock(&x->lock);
                        if (x->errors++ < 3)
                                fprintf(stderr, "virtbus-bench: define: %s\n", virGetLastErrorMessage());
                        pthread_mutex_unlock(&x->lock);
                        continue;
                }
                virDomainFree(dom);
        }
        virConnectClose(conn);
        return NULL;
}

static int cmd_lv_define(void) {
        struct lv_define_ctx x = { .lock = PTHREAD_MUTEX_INITIALIZER };
        long nt = opt.threads > 0 ? opt.threads : 1;
        pthread_t *t = xmalloc(sizeof(*t) * (size_t) nt);
        uint64_t t0 = now_ns();
        for (long i = 0; i < nt; i++)
                pthread_create(&t[i], NULL, lv_define_thread, &x);
        for (long i = 0; i < nt; i++)
                pthread_join(t[i], NULL);
        fprintf(stderr, "virtbus-bench: defined %ld %s domains in %.1f s\n", opt.count - x.errors, opt.type,
                (double) (now_ns() - t0) / 1e9);
        free(t);
        return x.errors ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Starts PREFIX000000 .. PREFIX<count-1> where they are not running. */
static int cmd_lv_start(void) {
        virConnectPtr conn = lv_open();
        int ret = EXIT_SUCCESS;
        for (long i = 0; i < opt.count; i++) {
                char name[256];
                snprintf(name, sizeof(name), "%s%06ld", opt.prefix, opt.start + i);
                virDomainPtr dom = virDomainLookupByName(conn, name);
                if (!dom)
                        die("no domain %s: %s", name, virGetLastErrorMessage());
                if (virDomainIsActive(dom) != 1 && virDomainCreate(dom) < 0) {
                        fprintf(stderr, "virtbus-bench: start %s: %s\n", name, virGetLastErrorMessage());
                        ret = EXIT_FAILURE;
                }
                virDomainFree(dom);
        }
        virConnectClose(conn);
        return ret;
}

/* ------------------------------------------------------------------------ */
/* Networks and storage volumes.  kinds-define makes them through the service
 * (--count of them, --inflight in flight), lv-kinds directly through libvirt;
 * kinds-list lists them with their properties as a client of libvirt-dbus
 * must, ListNetworks, or ListStoragePools + ListStorageVolumes of each active
 * pool, and GetAll on every object (seq or pipe), or in one GetManagedObjects
 * (gmo). */

static bool kind_is_net(void) {
        if (strcmp(opt.kind, "net") == 0)
                return true;
        if (strcmp(opt.kind, "vol") != 0)
                die("unknown --kind %s (net, vol)", opt.kind);
        return false;
}

struct kinds_define_ctx {
        const char *cpath;
        const char *pool_path;
        char xml[512];
};

static void kinds_define_gen(size_t i, struct call *c, void *ud) {
        struct kinds_define_ctx *x = ud;
        long n = opt.start + (long) i;
        if (kind_is_net()) {
                /* A bridge name of its own: never created, as the network is
                 * only defined, but libvirt wants them distinct. */
                snprintf(x->xml, sizeof(x->xml), "<network><name>%s%06ld</name><bridge name='vbb%06ld'/></network>",
                         opt.prefix, n, n);
                c->path = x->cpath;
                c->member = "NetworkDefineXML";
                c->iface = CONNECT_IFACE;
                c->args = ARGS_S;
        } else {
                snprintf(x->xml, sizeof(x->xml),
                         "<volume><name>%s%06ld.img</name><capacity unit='KiB'>64</capacity>"
                         "<allocation>0</allocation></volume>",
                         opt.prefix, n);
                c->path = x->pool_path;
                c->member = "StorageVolCreateXML";
                c->iface = "org.libvirt.StoragePool";
                c->args = ARGS_SU;
                c->u = 0;
        }
        c->s1 = x->xml;
}

static char *lookup_pool(sd_bus *bus, const char *cpath, const char *name) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        const char *path;
        int r = sd_bus_call_method(bus, SERVICE_NAME, cpath, CONNECT_IFACE, "StoragePoolLookupByName", &error,
                                   &reply, "s", name);
        if (r < 0)
                die("StoragePoolLookupByName(%s): %s", name, error.message ? error.message : strerror(-r));
        if (sd_bus_message_read(reply, "o", &path) < 0)
                die("bad StoragePoolLookupByName reply");
        char *ret = xstrdup(path);
        sd_bus_message_unref(reply);
        sd_bus_error_free(&error);
        return ret;
}

static int cmd_kinds_define(void) {
        sd_bus *bus = bus_open();
        char *cpath = connect_path();
        char *pool = kind_is_net() ? NULL : lookup_pool(bus, cpath, opt.pool);
        struct kinds_define_ctx x = { .cpath = cpath, .pool_path = pool };
        struct engine e = {
                .bus = bus, .gen = kinds_define_gen, .ud = &x, .n = (size_t) opt.count,
                .inflight = (size_t) opt.inflight, .what = kind_is_net() ? "NetworkDefineXML" : "StorageVolCreateXML",
        };
        uint64_t t0 = now_ns();
        engine_run(&e);
        uint64_t t1 = now_ns();
        char param[64], workload[64];
        snprintf(param, sizeof(param), "n=%ld/inflight=%ld", opt.count, opt.inflight);
        snprintf(workload, sizeof(workload), "kinds-%s-define", opt.kind);
        emit(workload_label(workload), param, "total_ms", (double) (t1 - t0) / 1e6);
        emit(workload_label(workload), param, "errors", (double) e.errors);
        sd_bus_flush_close_unref(bus);
        free(pool);
        free(cpath);
        return e.errors ? EXIT_FAILURE : EXIT_SUCCESS;
}

struct kinds_getall_ctx {
        char **paths;
        const char *iface;
};

static void kinds_getall_gen(size_t i, struct call *c, void *ud) {
        struct kinds_getall_ctx *x = ud;
        c->path = x->paths[i];
        c->iface = "org.freedesktop.DBus.Properties";
        c->member = "GetAll";
        c->args = ARGS_S;
        c->s1 = x->iface;
}

/* A list method of @path that takes flags and returns object paths. */
static char **list_paths(sd_bus *bus, const char *path, const char *iface, const char *member, uint32_t flags) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        char **paths = NULL;
        int r = sd_bus_call_method(bus, SERVICE_NAME, path, iface, member, &error, &reply, "u", flags);
        if (r < 0)
                die("%s on %s: %s", member, path, error.message ? error.message : strerror(-r));
        if (sd_bus_message_read_strv(reply, &paths) < 0)
                die("bad %s reply", member);
        sd_bus_message_unref(reply);
        sd_bus_error_free(&error);
        return paths;
}

/* GetAll on every one of @paths, as the list mode says; returns the errors. */
static size_t kinds_getall(sd_bus *bus, char **paths, const char *iface) {
        struct kinds_getall_ctx x = { .paths = paths, .iface = iface };
        struct engine e = {
                .bus = bus, .gen = kinds_getall_gen, .ud = &x, .n = strv_length(paths),
                .inflight = strcmp(opt.mode, "pipe") == 0 ? (size_t) opt.inflight : 1, .what = "GetAll",
        };
        engine_run(&e);
        return e.errors;
}

/* One pass of libvirt-dbus's way; returns its duration and how many
 * networks or volumes it found. */
static uint64_t kinds_list_once(sd_bus *bus, const char *cpath, size_t *count, size_t *errors) {
        uint64_t t0 = now_ns();
        if (kind_is_net()) {
                char **nets = list_paths(bus, cpath, CONNECT_IFACE, "ListNetworks", 0);
                *errors += kinds_getall(bus, nets, "org.libvirt.Network");
                *count = strv_length(nets);
                uint64_t t1 = now_ns();
                strv_free(nets);
                return t1 - t0;
        }
        /* Only an active pool lists its volumes. */
        char **pools = list_paths(bus, cpath, CONNECT_IFACE, "ListStoragePools", VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE);
        *errors += kinds_getall(bus, pools, "org.libvirt.StoragePool");
        size_t n = 0;
        char **vols = NULL;
        for (size_t i = 0; pools[i]; i++) {
                char **some = list_paths(bus, pools[i], "org.libvirt.StoragePool", "ListStorageVolumes", 0);
                size_t k = strv_length(some);
                vols = xrealloc(vols, sizeof(*vols) * (n + k + 1));
                memcpy(vols + n, some, sizeof(*some) * k);
                n += k;
                vols[n] = NULL;
                free(some);
        }
        if (vols)
                *errors += kinds_getall(bus, vols, "org.libvirt.StorageVol");
        uint64_t t1 = now_ns();
        *count = n;
        strv_free(vols);
        strv_free(pools);
        return t1 - t0;
}

/* The networks or volumes of one connection in a GetManagedObjects reply. */
static size_t kinds_count_managed(sd_bus_message *m, const char *cpath) {
        char prefix[256];
        size_t n = 0;
        snprintf(prefix, sizeof(prefix), "%s/%s/", cpath, kind_is_net() ? "network" : "storagevol");
        int r = sd_bus_message_enter_container(m, 'a', "{oa{sa{sv}}}");
        if (r < 0)
                die("bad GetManagedObjects reply: %s", strerror(-r));
        while ((r = sd_bus_message_enter_container(m, 'e', "oa{sa{sv}}")) > 0) {
                const char *path;
                if (sd_bus_message_read(m, "o", &path) < 0)
                        die("bad GetManagedObjects entry");
                if (strncmp(path, prefix, strlen(prefix)) == 0)
                        n++;
                if (sd_bus_message_skip(m, "a{sa{sv}}") < 0 || sd_bus_message_exit_container(m) < 0)
                        die("bad GetManagedObjects entry");
        }
        if (r < 0)
                die("bad GetManagedObjects reply: %s", strerror(-r));
        return n;
}

static uint64_t kinds_gmo_once(sd_bus *bus, const char *cpath, size_t *count) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        uint64_t t0 = now_ns();
        int r = sd_bus_call_method(bus, SERVICE_NAME, "/org/libvirt", "org.freedesktop.DBus.ObjectManager",
                                   "GetManagedObjects", &error, &reply, "");
        uint64_t t1 = now_ns();
        if (r < 0)
                die("GetManagedObjects: %s", error.message ? error.message : strerror(-r));
        /* Reading the reply is the client's business: untimed. */
        *count = kinds_count_managed(reply, cpath);
        sd_bus_message_unref(reply);
        sd_bus_error_free(&error);
        return t1 - t0;
}

/* CPU time used so far by every thread of @pid, in nanoseconds: the first
 * field of each task's schedstat.  0 when @pid is 0 or gone. */
static uint64_t proc_cpu_ns(long pid) {
        char dir[64];
        uint64_t sum = 0;

        if (pid <= 0)
                return 0;
        snprintf(dir, sizeof(dir), "/proc/%ld/task", pid);
        DIR *d = opendir(dir);
        if (!d)
                return 0;
        for (struct dirent *de; (de = readdir(d));) {
                char file[384];
                unsigned long long ns;
                if (de->d_name[0] == '.')
                        continue;
                snprintf(file, sizeof(file), "%s/%s/schedstat", dir, de->d_name);
                FILE *f = fopen(file, "r");
                if (!f)
                        continue;
                if (fscanf(f, "%llu", &ns) == 1)
                        sum += ns;
                fclose(f);
        }
        closedir(d);
        return sum;
}

static int cmd_kinds_list(void) {
        sd_bus *bus = bus_open();
        char *cpath = connect_path();
        struct samples times = { 0 }, cpu = { 0 }, lv_cpu = { 0 };
        size_t count = 0, errors = 0;
        bool gmo = strcmp(opt.mode, "gmo") == 0;
        if (!gmo && strcmp(opt.mode, "seq") != 0 && strcmp(opt.mode, "pipe") != 0)
                die("unknown list mode %s (seq, pipe, gmo)", opt.mode);
        for (long k = 0; k < opt.repeat; k++) {
                /* What the machine's load does not change: the CPU time the
                 * service (and libvirtd) spent on the pass. */
                uint64_t c0 = proc_cpu_ns(opt.pid), l0 = proc_cpu_ns(opt.lv_pid);
                uint64_t t = gmo ? kinds_gmo_once(bus, cpath, &count) : kinds_list_once(bus, cpath, &count, &errors);
                uint64_t c1 = proc_cpu_ns(opt.pid), l1 = proc_cpu_ns(opt.lv_pid);
                samples_add(&times, t);
                samples_add(&cpu, c1 - c0);
                samples_add(&lv_cpu, l1 - l0);
                if (opt.expect >= 0 && count != (size_t) opt.expect)
                        die("%s listed %zu %s, expected %ld", opt.mode, count,
                            kind_is_net() ? "networks" : "volumes", opt.expect);
        }
        char param[64], workload[64];
        snprintf(workload, sizeof(workload), "kinds-%s-%s", opt.kind, opt.mode);
        if (strcmp(opt.mode, "pipe") == 0)
                snprintf(param, sizeof(param), "n=%zu/inflight=%ld", count, opt.inflight);
        else
                snprintf(param, sizeof(param), "n=%zu", count);
        qsort(times.v, times.n, sizeof(*times.v), cmp_u64);
        emit(workload_label(workload), param, "median_ms", pct_us(&times, 0.5) / 1000.0);
        emit(workload_label(workload), param, "min_ms", pct_us(&times, 0.0) / 1000.0);
        emit(workload_label(workload), param, "max_ms", pct_us(&times, 1.0) / 1000.0);
        emit(workload_label(workload), param, "errors", (double) errors);
        if (opt.pid > 0) {
                qsort(cpu.v, cpu.n, sizeof(*cpu.v), cmp_u64);
                emit(workload_label(workload), param, "cpu_ms", pct_us(&cpu, 0.5) / 1000.0);
        }
        if (opt.lv_pid > 0) {
                qsort(lv_cpu.v, lv_cpu.n, sizeof(*lv_cpu.v), cmp_u64);
                emit(workload_label(workload), param, "libvirtd_cpu_ms", pct_us(&lv_cpu, 0.5) / 1000.0);
        }
        free(times.v);
        free(cpu.v);
        free(lv_cpu.v);
        free(cpath);
        sd_bus_flush_close_unref(bus);
        return errors ? EXIT_FAILURE : EXIT_SUCCESS;
}

struct lv_kinds_ctx {
        pthread_mutex_t lock;
        long next;
        long errors;
};

static void *lv_kinds_thread(void *arg) {
        struct lv_kinds_ctx *x = arg;
        virConnectPtr conn = lv_open();
        virStoragePoolPtr pool = kind_is_net() ? NULL : virStoragePoolLookupByName(conn, opt.pool);
        char xml[512];
        if (!kind_is_net() && !pool)
                die("no pool %s: %s", opt.pool, virGetLastErrorMessage());
        for (;;) {
                pthread_mutex_lock(&x->lock);
                long i = x->next < opt.count ? x->next++ : -1;
                pthread_mutex_unlock(&x->lock);
                if (i < 0)
                        break;
                bool ok;
                if (pool) {
                        snprintf(xml, sizeof(xml),
                                 "<volume><name>%s%06ld.img</name><capacity unit='KiB'>64</capacity>"
                                 "<allocation>0</allocation></volume>",
                                 opt.prefix, opt.start + i);
                        virStorageVolPtr vol = virStorageVolCreateXML(pool, xml, 0);
                        ok = vol != NULL;
                        if (vol)
                                virStorageVolFree(vol);
                } else {
                        snprintf(xml, sizeof(xml), "<network><name>%s%06ld</name><bridge name='vbb%06ld'/></network>",
                                 opt.prefix, opt.start + i, opt.start + i);
                        virNetworkPtr net = virNetworkDefineXML(conn, xml);
                        ok = net != NULL;
                        if (net)
                                virNetworkFree(net);
                }
                if (!ok) {
                        pthread_mutex_lock(&x->lock);
                        if (x->errors++ < 3)
                                fprintf(stderr, "virtbus-bench: lv-kinds: %s\n", virGetLastErrorMessage());
                        pthread_mutex_unlock(&x->lock);
                }
        }
        if (pool)
                virStoragePoolFree(pool);
        virConnectClose(conn);
        return NULL;
}

/* Prints how many networks, or volumes of active pools, libvirt has in the
 * end: what a full listing must find. */
static int cmd_lv_kinds(void) {
        virConnectPtr conn = lv_open();
        if (!kind_is_net()) {
                virStoragePoolPtr pool = virStoragePoolLookupByName(conn, opt.pool);
                if (!pool) {
                        char xml[1024];
                        if (!opt.pool_dir)
                                die("lv-kinds --kind vol needs --pool-dir for a new pool");
                        snprintf(xml, sizeof(xml), "<pool type='dir'><name>%s</name><target><path>%s</path></target></pool>",
                                 opt.pool, opt.pool_dir);
                        pool = virStoragePoolDefineXML(conn, xml, 0);
                        if (!pool || virStoragePoolBuild(pool, 0) < 0 || virStoragePoolCreate(pool, 0) < 0)
                                die("cannot make pool %s: %s", opt.pool, virGetLastErrorMessage());
                }
                virStoragePoolFree(pool);
        }
        struct lv_kinds_ctx x = { .lock = PTHREAD_MUTEX_INITIALIZER };
        long nt = opt.threads > 0 ? opt.threads : 1;
        pthread_t *t = xmalloc(sizeof(*t) * (size_t) nt);
        uint64_t t0 = now_ns();
        for (long i = 0; i < nt; i++)
                pthread_create(&t[i], NULL, lv_kinds_thread, &x);
        for (long i = 0; i < nt; i++)
                pthread_join(t[i], NULL);
        free(t);
        fprintf(stderr, "virtbus-bench: made %ld %s in %.1f s\n", opt.count - x.errors,
                kind_is_net() ? "networks" : "volumes", (double) (now_ns() - t0) / 1e9);
        long total = 0;
        if (kind_is_net()) {
                total = virConnectNumOfNetworks(conn) + virConnectNumOfDefinedNetworks(conn);
        } else {
                virStoragePoolPtr *pools = NULL;
                int n = virConnectListAllStoragePools(conn, &pools, VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE);
                for (int i = 0; i < n; i++) {
                        int k = virStoragePoolNumOfVolumes(pools[i]);
                        total += k > 0 ? k : 0;
                        virStoragePoolFree(pools[i]);
                }
                free(pools);
        }
        printf("%ld\n", total);
        virConnectClose(conn);
        return x.errors ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* ------------------------------------------------------------------------ */
/* events: relay cost = D-Bus DomainEvent arrival - libvirt callback arrival. */

static struct {
        pthread_mutex_t lock;
        pthread_cond_t cond;
        int want;               /* lifecycle event awaited, -1 for none */
        uint64_t t_libvirt, t_dbus;
        const char *dbus_path;  /* the domain's object path */
        volatile bool quit;
} ev = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER, .want = -1 };

static int ev_libvirt_cb(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *opaque) {
        uint64_t t = now_ns();
        pthread_mutex_lock(&ev.lock);
        if (event == ev.want && ev.t_libvirt == 0) {
                ev.t_libvirt = t;
                pthread_cond_broadcast(&ev.cond);
        }
        pthread_mutex_unlock(&ev.lock);
        return 0;
}

static void *ev_libvirt_loop(void *arg) {
        while (!ev.quit)
                if (virEventRunDefaultImpl() < 0)
                        break;
        return NULL;
}

static int ev_dbus_cb(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        uint64_t t = now_ns();
        const char *path;
        int32_t event, detail;
        if (sd_bus_message_read(m, "oii", &path, &event, &detail) < 0)
                return 0;
        pthread_mutex_lock(&ev.lock);
        if (strcmp(path, ev.dbus_path) == 0 && event == ev.want && ev.t_dbus == 0) {
                ev.t_dbus = t;
                pthread_cond_broadcast(&ev.cond);
        }
        pthread_mutex_unlock(&ev.lock);
        return 0;
}

struct ev_dbus_args {
        sd_bus *bus;
};

static void *ev_dbus_loop(void *arg) {
        struct ev_dbus_args *a = arg;
        while (!ev.quit) {
                int r = sd_bus_process(a->bus, NULL);
                if (r < 0)
                        break;
                if (r > 0)
                        continue;
                sd_bus_wait(a->bus, 100 * 1000);
        }
        return NULL;
}

static bool ev_wait(uint64_t deadline_ns) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t left = deadline_ns > now_ns() ? deadline_ns - now_ns() : 0;
        ts.tv_sec += (time_t) (left / 1000000000ULL);
        ts.tv_nsec += (long) (left % 1000000000ULL);
        if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&ev.lock);
        while (ev.t_libvirt == 0 || ev.t_dbus == 0)
                if (pthread_cond_timedwait(&ev.cond, &ev.lock, &ts) == ETIMEDOUT)
                        break;
        bool ok = ev.t_libvirt != 0 && ev.t_dbus != 0;
        pthread_mutex_unlock(&ev.lock);
        return ok;
}

static int cmd_events(void) {
        virSetErrorFunc(NULL, lv_error_quiet);
        if (virEventRegisterDefaultImpl() < 0)
                die("virEventRegisterDefaultImpl failed");
        /* One connection only listens, the other acts, so the event is read
         * by the event loop thread as soon as it arrives. */
        virConnectPtr econn = lv_open();
        virConnectPtr conn = lv_open();
        virDomainPtr dom = virDomainLookupByName(conn, opt.domain);
        if (!dom)
                die("no domain %s: %s", opt.domain, virGetLastErrorMessage());
        virDomainPtr edom = virDomainLookupByName(econn, opt.domain);
        if (!edom)
                die("no domain %s: %s", opt.domain, virGetLastErrorMessage());
        if (virDomainIsActive(dom) != 1)
                die("domain %s is not running", opt.domain);

        sd_bus *bus = bus_open();
        char *path = lookup_domain(bus, opt.domain);
        ev.dbus_path = path;
        char *cpath = connect_path();
        int r = sd_bus_match_signal(bus, NULL, SERVICE_NAME, cpath, CONNECT_IFACE, "DomainEvent", ev_dbus_cb, NULL);
        if (r < 0)
                die("cannot subscribe to DomainEvent: %s", strerror(-r));
        if (virConnectDomainEventRegisterAny(econn, edom, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                             VIR_DOMAIN_EVENT_CALLBACK(ev_libvirt_cb), NULL, NULL) < 0)
                die("cannot register for libvirt events: %s", virGetLastErrorMessage());

        pthread_t tl, td;
        struct ev_dbus_args da = { bus };
        pthread_create(&tl, NULL, ev_libvirt_loop, NULL);
        pthread_create(&td, NULL, ev_dbus_loop, &da);

        struct samples relay = { 0 }, lv_from_call = { 0 };
        long missed = 0;
        /* A suspended guest from an earlier run would make the first step fail. */
        virDomainInfo info;
        if (virDomainGetInfo(dom, &info) == 0 && info.state == VIR_DOMAIN_PAUSED)
                virDomainResume(dom);
        for (long k = 0; k < opt.count * 2; k++) {
                bool suspend = k % 2 == 0;
                pthread_mutex_lock(&ev.lock);
                ev.want = suspend ? VIR_DOMAIN_EVENT_SUSPENDED : VIR_DOMAIN_EVENT_RESUMED;
                ev.t_libvirt = ev.t_dbus = 0;
                pthread_mutex_unlock(&ev.lock);
                uint64_t t0 = now_ns();
                if ((suspend ? virDomainSuspend(dom) : virDomainResume(dom)) < 0)
                        die("%s: %s", suspend ? "suspend" : "resume", virGetLastErrorMessage());
                if (!ev_wait(now_ns() + 5000000000ULL)) {
                        missed++;
                        fprintf(stderr, "virtbus-bench: event %ld not seen on %s\n", k,
                                ev.t_libvirt ? "D-Bus" : "libvirt");
                        continue;
                }
                pthread_mutex_lock(&ev.lock);
                int64_t d = (int64_t) ev.t_dbus - (int64_t) ev.t_libvirt;
                uint64_t lv = ev.t_libvirt - t0;
                pthread_mutex_unlock(&ev.lock);
                /* A negative relay cost can only be scheduling noise in this
                 * process; clamp it so the percentiles stay meaningful. */
                samples_add(&relay, d > 0 ? (uint64_t) d : 0);
                samples_add(&lv_from_call, lv);
                /* Let both sides go idle again, as between real events. */
                sleep_ns(2000000);
        }
        ev.quit = true;
        pthread_join(td, NULL);
        virConnectClose(conn);
        /* The libvirt loop thread wakes on the next timeout or fd event. */
        pthread_detach(tl);

        char param[64];
        snprintf(param, sizeof(param), "events=%zu", relay.n);
        emit(workload_label("event-relay"), param, "missed", (double) missed);
        emit_latencies(workload_label("event-relay"), param, &relay);
        write_samples(&relay);
        emit_latencies(workload_label("event-libvirt-from-call"), param, &lv_from_call);
        free(path);
        free(cpath);
        return missed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* ------------------------------------------------------------------------ */
/* spawn: exec the service; time to bus name and to the first full list. */

static int name_owned_cb(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        const char *name, *old, *new;
        if (sd_bus_message_read(m, "sss", &name, &old, &new) >= 0 && strcmp(name, SERVICE_NAME) == 0 && *new)
                *(uint64_t *) userdata = now_ns();
        return 0;
}

static int cmd_spawn(int argc, char **argv) {
        if (argc < 1)
                die("spawn needs a command after --");
        sd_bus *bus = bus_open();
        uint64_t t_name = 0;
        int r = sd_bus_add_match(bus, NULL,
                                 "type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',"
                                 "member='NameOwnerChanged',arg0='" SERVICE_NAME "'",
                                 name_owned_cb, &t_name);
        if (r < 0)
                die("AddMatch: %s", strerror(-r));
        r = sd_bus_get_name_creds(bus, SERVICE_NAME, 0, NULL);
        if (r >= 0)
                die("%s is already owned on this bus", SERVICE_NAME);

        int logfd = open(opt.log ? opt.log : "/dev/null", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (logfd < 0)
                die("cannot open %s: %m", opt.log);
        uint64_t t0 = now_ns();
        pid_t pid = fork();
        if (pid < 0)
                die("fork: %m");
        if (pid == 0) {
                setsid();
                int null = open("/dev/null", O_RDONLY);
                dup2(null, 0);
                dup2(logfd, 1);
                dup2(logfd, 2);
                execvp(argv[0], argv);
                fprintf(stderr, "cannot exec %s: %m\n", argv[0]);
                _exit(127);
        }
        close(logfd);
        if (opt.pidfile) {
                FILE *f = fopen(opt.pidfile, "w");
                if (!f)
                        die("cannot write %s: %m", opt.pidfile);
                fprintf(f, "%d\n", (int) pid);
                fclose(f);
        }
        uint64_t deadline = t0 + (uint64_t) (opt.seconds * 1e9);
        while (t_name == 0) {
                int st;
                if (waitpid(pid, &st, WNOHANG) == pid)
                        die("%s exited before owning %s", argv[0], SERVICE_NAME);
                if (now_ns() > deadline) {
                        kill(pid, SIGKILL);
                        die("%s did not own %s within %.0f s", argv[0], SERVICE_NAME, opt.seconds);
                }
                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        die("bus: %s", strerror(-r));
                if (r == 0)
                        sd_bus_wait(bus, 20 * 1000);
        }

        /* Then the first ListDomains that shows every domain (services may open
         * their libvirt connections in the background). */
        char *cpath = connect_path();
        uint64_t t_list = 0;
        size_t n = 0;
        while (t_list == 0) {
                sd_bus_error error = SD_BUS_ERROR_NULL;
                sd_bus_message *reply = NULL;
                char **paths = NULL;
                r = sd_bus_call_method(bus, SERVICE_NAME, cpath, CONNECT_IFACE, "ListDomains", &error, &reply, "u", 0);
                if (r >= 0 && sd_bus_message_read_strv(reply, &paths) >= 0) {
                        n = strv_length(paths);
                        if (opt.expect < 0 || n >= (size_t) opt.expect)
                                t_list = now_ns();
                }
                strv_free(paths);
                sd_bus_message_unref(reply);
                sd_bus_error_free(&error);
                if (t_list)
                        break;
                if (now_ns() > deadline) {
                        kill(pid, SIGKILL);
                        die("%s listed %zu domains on %s, expected %ld", argv[0], n, cpath, opt.expect);
                }
                sleep_ns(5000000);
        }
        char param[64];
        snprintf(param, sizeof(param), "n=%zu", n);
        emit(workload_label("startup"), param, "name_owned_ms", (double) (t_name - t0) / 1e6);
        emit(workload_label("startup"), param, "first_full_list_ms", (double) (t_list - t0) / 1e6);
        free(cpath);
        sd_bus_flush_close_unref(bus);
        return EXIT_SUCCESS;
}

/* ------------------------------------------------------------------------ */
/* footprint: RSS and idle wake-ups (context switches of all threads). */

static long status_field(const char *file, const char *key) {
        FILE *f = fopen(file, "r");
        if (!f)
                return -1;
        char line[256];
        long v = -1;
        size_t klen = strlen(key);
        while (fgets(line, sizeof(line), f))
                if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
                        v = strtol(line + klen + 1, NULL, 10);
                        break;
                }
        fclose(f);
        return v;
}

/*
 * Context switches of every thread, followed by polling /proc every 50 ms:
 * threads that exit during the window (thread pools shrink when idle) keep
 * what they did until their last sample, threads that start count from zero.
 * The polling happens in this process, so it does not wake the target.
 */
struct tid_count {
        long tid, first, last;
};

static size_t ctx_sample(pid_t pid, struct tid_count **tab, size_t *n, bool first_pass) {
        char dir[64];
        snprintf(dir, sizeof(dir), "/proc/%d/task", (int) pid);
        DIR *d = opendir(dir);
        if (!d)
                die("no process %d", (int) pid);
        size_t threads = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                char file[512];
                snprintf(file, sizeof(file), "%s/%s/status", dir, de->d_name);
                long v = status_field(file, "voluntary_ctxt_switches");
                long nv = status_field(file, "nonvoluntary_ctxt_switches");
                if (v < 0)
                        continue;
                long c = v + (nv > 0 ? nv : 0), tid = atol(de->d_name);
                threads++;
                size_t k;
                for (k = 0; k < *n; k++)
                        if ((*tab)[k].tid == tid)
                                break;
                if (k == *n) {
                        *tab = xrealloc(*tab, (*n + 1) * sizeof(**tab));
                        (*tab)[k] = (struct tid_count) { tid, first_pass ? c : 0, c };
                        (*n)++;
                } else
                        (*tab)[k].last = c;
        }
        closedir(d);
        return threads;
}

static int cmd_footprint(void) {
        pid_t pid = (pid_t) opt.pid;
        if (pid <= 0)
                die("footprint needs --pid");
        char file[64];
        snprintf(file, sizeof(file), "/proc/%d/status", (int) pid);
        long rss = status_field(file, "VmRSS");
        long rss_anon = status_field(file, "RssAnon");
        long rss_file = status_field(file, "RssFile");
        char rollup[64];
        snprintf(rollup, sizeof(rollup), "/proc/%d/smaps_rollup", (int) pid);
        long pss = status_field(rollup, "Pss");
        struct tid_count *tab = NULL;
        size_t n = 0, threads = ctx_sample(pid, &tab, &n, true);
        uint64_t t0 = now_ns(), end = t0 + (uint64_t) (opt.seconds * 1e9);
        while (now_ns() < end) {
                sleep_ns(50000000);
                threads = ctx_sample(pid, &tab, &n, false);
        }
        double secs = (double) (now_ns() - t0) / 1e9;
        long sum = 0;
        for (size_t k = 0; k < n; k++)
                sum += tab[k].last - tab[k].first;
        char param[64];
        snprintf(param, sizeof(param), "idle=%.0fs", opt.seconds);
        emit(workload_label("footprint"), param, "rss_kib", (double) rss);
        /* RSS counts the shared libraries' pages (libvirt alone pulls in
         * gnutls, libxml2, GLib...); the anonymous part is the service's own. */
        emit(workload_label("footprint"), param, "rss_anon_kib", (double) rss_anon);
        emit(workload_label("footprint"), param, "rss_file_kib", (double) rss_file);
        emit(workload_label("footprint"), param, "pss_kib", (double) pss);
        emit(workload_label("footprint"), param, "threads", (double) threads);
        emit(workload_label("footprint"), param, "wakeups_per_s", (double) sum / secs);
        free(tab);
        return EXIT_SUCCESS;
}

/* ------------------------------------------------------------------------ */

static void help(void) {
        fputs("usage: virtbus-bench COMMAND [OPTIONS] [-- CMD...]\n"
              "commands: cheap define list hol events spawn footprint lv-define lv-start\n"
              "          kinds-define kinds-list lv-kinds\n"
              "  --service LABEL    label in the CSV output\n"
              "  --connect NAME     connection object /org/libvirt/NAME (default Test)\n"
              "  --domain NAME      domain for cheap, hol (the idle one) and events (default test)\n"
              "  --method M         cheap: getstate, get (Properties.Get Active) or ping\n"
              "  --mode M           list, kinds-list: seq, pipe (GetAll with --inflight in flight) or gmo\n"
              "  --kind K           kinds-define, kinds-list, lv-kinds: net (networks) or vol (volumes)\n"
              "  --pool NAME        kinds-define, lv-kinds: the storage pool of the volumes\n"
              "  --pool-dir DIR     lv-kinds: the directory of that pool (made a directory pool)\n"
              "  --pid PID          kinds-list: also report the CPU time the service spends per pass\n"
              "  --lv-pid PID       kinds-list: and the CPU time libvirtd spends per pass\n"
              "  --count N          calls, domains, saves or suspend/resume pairs\n"
              "  --start N          first index of generated domain names\n"
              "  --prefix P         domain name prefix; names are P%06d (default bench-)\n"
              "  --type T           domain type for define and lv-define (test, qemu)\n"
              "  --inflight N       calls in flight (1 = sequential, blocking calls)\n"
              "  --procs N          cheap: client processes\n"
              "  --repeat N         list: passes (median reported)\n"
              "  --expect N         list, spawn: number of domains that must be listed\n"
              "  --warmup N         cheap, hol: calls before measuring\n"
              "  --threads N        lv-define: libvirt connections in parallel\n"
              "  --seconds S        footprint: idle window; spawn: time-out\n"
              "  --pid PID          footprint: the process\n"
              "  --uri URI          libvirt URI for events, lv-define, lv-start\n"
              "  --save-dir DIR     hol: directory for save images\n"
              "  --samples FILE     write raw latencies (microseconds) to FILE\n"
              "  --pidfile FILE     spawn: write the service's pid to FILE\n"
              "  --log FILE         spawn: the service's output\n"
              "  --workload NAME    override the workload label\n",
              stderr);
}

int main(int argc, char **argv) {
        static const struct option longopts[] = {
                { "service", required_argument, NULL, 'S' },
                { "connect", required_argument, NULL, 'c' },
                { "domain", required_argument, NULL, 'd' },
                { "method", required_argument, NULL, 'm' },
                { "mode", required_argument, NULL, 'M' },
                { "kind", required_argument, NULL, 'K' },
                { "pool", required_argument, NULL, 'L' },
                { "pool-dir", required_argument, NULL, 'R' },
                { "lv-pid", required_argument, NULL, 'V' },
                { "count", required_argument, NULL, 'n' },
                { "start", required_argument, NULL, 's' },
                { "prefix", required_argument, NULL, 'p' },
                { "type", required_argument, NULL, 't' },
                { "inflight", required_argument, NULL, 'i' },
                { "procs", required_argument, NULL, 'P' },
                { "repeat", required_argument, NULL, 'r' },
                { "expect", required_argument, NULL, 'e' },
                { "warmup", required_argument, NULL, 'w' },
                { "threads", required_argument, NULL, 'T' },
                { "seconds", required_argument, NULL, 'x' },
                { "pid", required_argument, NULL, 'k' },
                { "uri", required_argument, NULL, 'u' },
                { "save-dir", required_argument, NULL, 'D' },
                { "samples", required_argument, NULL, 'o' },
                { "pidfile", required_argument, NULL, 'f' },
                { "log", required_argument, NULL, 'l' },
                { "workload", required_argument, NULL, 'W' },
                { "user", required_argument, NULL, 'U' },
                { "other-user", required_argument, NULL, 'O' },
                { "cached-user", required_argument, NULL, 'C' },
                { "fresh", no_argument, NULL, 'F' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0) {
                help();
                return argc < 2 ? 2 : 0;
        }
        const char *cmd = argv[1];
        argc--;
        argv++;
        int c;
        while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) >= 0) {
                switch (c) {
                case 'S': opt.service = optarg; break;
                case 'c': opt.connect = optarg; break;
                case 'd': opt.domain = optarg; break;
                case 'm': opt.method = optarg; break;
                case 'M': opt.mode = optarg; break;
                case 'K': opt.kind = optarg; break;
                case 'L': opt.pool = optarg; break;
                case 'R': opt.pool_dir = optarg; break;
                case 'V': opt.lv_pid = atol(optarg); break;
                case 'n': opt.count = atol(optarg); break;
                case 's': opt.start = atol(optarg); break;
                case 'p': opt.prefix = optarg; break;
                case 't': opt.type = optarg; break;
                case 'i': opt.inflight = atol(optarg); break;
                case 'P': opt.procs = atol(optarg); break;
                case 'r': opt.repeat = atol(optarg); break;
                case 'e': opt.expect = atol(optarg); break;
                case 'w': opt.warmup = atol(optarg); break;
                case 'T': opt.threads = atol(optarg); break;
                case 'x': opt.seconds = atof(optarg); break;
                case 'k': opt.pid = atol(optarg); break;
                case 'u': opt.uri = optarg; break;
                case 'D': opt.save_dir = optarg; break;
                case 'o': opt.samples = optarg; break;
                case 'f': opt.pidfile = optarg; break;
                case 'l': opt.log = optarg; break;
                case 'W': opt.workload = optarg; break;
                case 'U': opt.user = optarg; break;
                case 'O': opt.other_user = optarg; break;
                case 'C': opt.cached_user = optarg; break;
                case 'F': opt.fresh = true; break;
                case 'h': help(); return 0;
                default: help(); return 2;
                }
        }
        if (opt.procs < 1 || opt.procs > 256 || opt.inflight < 1 || opt.count < 0 || opt.repeat < 1)
                die("bad counts");
        /* A service that goes away mid-run must not kill us with SIGPIPE. */
        signal(SIGPIPE, SIG_IGN);

        if (strcmp(cmd, "cheap") == 0)
                return cmd_cheap();
        if (strcmp(cmd, "define") == 0)
                return cmd_define();
        if (strcmp(cmd, "list") == 0) {
                become(opt.user);
                return cmd_list();
        }
        if (strcmp(cmd, "storm") == 0)
                return cmd_storm();
        if (strcmp(cmd, "load") == 0)
                return cmd_load();
        if (strcmp(cmd, "hol") == 0)
                return cmd_hol();
        if (strcmp(cmd, "events") == 0)
                return cmd_events();
        if (strcmp(cmd, "spawn") == 0)
                return cmd_spawn(argc - optind, argv + optind);
        if (strcmp(cmd, "footprint") == 0)
                return cmd_footprint();
        if (strcmp(cmd, "lv-define") == 0)
                return cmd_lv_define();
        if (strcmp(cmd, "lv-start") == 0)
                return cmd_lv_start();
        if (strcmp(cmd, "kinds-define") == 0)
                return cmd_kinds_define();
        if (strcmp(cmd, "kinds-list") == 0)
                return cmd_kinds_list();
        if (strcmp(cmd, "lv-kinds") == 0)
                return cmd_lv_kinds();
        die("unknown command %s", cmd);
}
