/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <libvirt/virterror.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/stat.h>

#include "log.h"
#include "pool.h"
#include "util.h"

typedef struct Queue {
        Task *head, *tail;
} Queue;

struct Pool {
        pthread_mutex_t lock;
        pthread_cond_t cond;
        Queue internal, reads, changes;
        unsigned change_running, change_max;
        bool last_was_change;   /* alternate when both kinds wait */
        bool quit;
        unsigned pending;

        Queue done;             /* guarded by lock */
        int done_fd;
        sd_event_source *done_source;

        pthread_t *threads;
        unsigned nthreads;
};

static void push(Queue *q, Task *t) {
        t->next = NULL;
        if (q->tail)
                q->tail->next = t;
        else
                q->head = t;
        q->tail = t;
}

static Task *pop(Queue *q) {
        Task *t = q->head;

        if (t) {
                q->head = t->next;
                if (!q->head)
                        q->tail = NULL;
                t->next = NULL;
        }
        return t;
}

static void post_done(Pool *p, Task *t) {
        bool wake;

        pthread_mutex_lock(&p->lock);
        wake = !p->done.head;
        push(&p->done, t);
        pthread_mutex_unlock(&p->lock);
        if (wake) {
                uint64_t one = 1;
                if (write(p->done_fd, &one, sizeof(one)) < 0)
                        log_error("Failed to wake the loop: %m");
        }
}

/* With the lock held: the next task a worker may take. Reads and changes
 * take turns when both wait, so a flood of reads never holds back an
 * administrator's Destroy, and slow changes never hold back reads (one
 * worker is always left to them). */
static Task *next_task(Pool *p, bool *change) {
        bool can_change = p->changes.head && p->change_running < p->change_max;
        bool prefer_change = can_change && (!p->reads.head || !p->last_was_change);

        if (p->internal.head) {
                *change = false;
                return pop(&p->internal);
        }
        if (prefer_change) {
                *change = true;
                p->last_was_change = true;
                p->change_running++;
                return pop(&p->changes);
        }
        if (p->reads.head) {
                *change = false;
                p->last_was_change = false;
                return pop(&p->reads);
        }
        return NULL;
}

static void *worker_main(void *arg) {
        Pool *p = arg;
        sigset_t all;

        /* Signals belong to the loop thread (sd-event signal sources). */
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, NULL);

        pthread_mutex_lock(&p->lock);
        for (;;) {
                Task *t = NULL;
                bool change = false;

                while (!p->quit && !(t = next_task(p, &change)))
                        pthread_cond_wait(&p->cond, &p->lock);
                if (!t)
                        break;
                pthread_mutex_unlock(&p->lock);

                virResetLastError();
                if (!change && !t->internal)
                        test_read_delay();
                t->run(t);
                virResetLastError();

                pthread_mutex_lock(&p->lock);
                if (change) {
                        p->change_running--;
                        pthread_cond_signal(&p->cond);
                }
                pthread_mutex_unlock(&p->lock);
                post_done(p, t);
                pthread_mutex_lock(&p->lock);
        }
        pthread_mutex_unlock(&p->lock);
        return NULL;
}

static int on_done(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Pool *p = userdata;
        uint64_t n;
        Task *list;

        if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
                log_error("Failed to read the done eventfd: %m");
        pthread_mutex_lock(&p->lock);
        list = p->done.head;
        p->done.head = p->done.tail = NULL;
        pthread_mutex_unlock(&p->lock);

        while (list) {
                Task *t = list;
                list = t->next;
                t->next = NULL;
                p->pending--;
                t->done(t);
        }
        return 0;
}

Pool *pool_new(sd_event *loop, unsigned threads) {
        Pool *p = xmalloc0(sizeof(*p));
        int r;

        pthread_mutex_init(&p->lock, NULL);
        pthread_cond_init(&p->cond, NULL);
        p->change_max = threads > 1 ? threads - 1 : 1;
        p->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (p->done_fd < 0)
                goto fail;
        r = sd_event_add_io(loop, &p->done_source, p->done_fd, EPOLLIN, on_done, p);
        if (r < 0)
                goto fail;
        p->threads = xmalloc0(threads * sizeof(pthread_t));
        for (unsigned i = 0; i < threads; i++) {
                if (pthread_create(&p->threads[i], NULL, worker_main, p) != 0)
                        goto fail;
                p->nthreads++;
        }
        return p;
fail:
        log_error("Failed to start the worker pool: %m");
        pool_free(p);
        return NULL;
}

void pool_submit(Pool *p, Task *t) {
        p->pending++;
        pthread_mutex_lock(&p->lock);
        push(t->change ? &p->changes : t->internal ? &p->internal : &p->reads, t);
        pthread_cond_signal(&p->cond);
        pthread_mutex_unlock(&p->lock);
}

unsigned pool_pending(Pool *p) {
        return p->pending;
}

typedef struct Dedicated {
        Pool *pool;
        Task *task;
} Dedicated;

static void *dedicated_main(void *arg) {
        Dedicated *d = arg;
        sigset_t all;

        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, NULL);
        virResetLastError();
        d->task->run(d->task);
        virResetLastError();
        post_done(d->pool, d->task);
        free(d);
        return NULL;
}

void pool_run_dedicated(Pool *p, Task *t) {
        Dedicated *d = xmalloc0(sizeof(*d));
        pthread_attr_t attr;
        pthread_t thread;

        d->pool = p;
        d->task = t;
        p->pending++;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&thread, &attr, dedicated_main, d) != 0) {
                log_error("Failed to start a thread; running the task on the pool");
                free(d);
                p->pending--;
                pool_submit(p, t);
        }
        pthread_attr_destroy(&attr);
}

void pool_free(Pool *p) {
        if (!p)
                return;
        pthread_mutex_lock(&p->lock);
        p->quit = true;
        pthread_cond_broadcast(&p->cond);
        pthread_mutex_unlock(&p->lock);
        /* A worker stuck in a hung libvirt call must not hold up exit:
         * detach instead of joining; the process is about to end. */
        for (unsigned i = 0; i < p->nthreads; i++)
                pthread_detach(p->threads[i]);
        free(p->threads);
        sd_event_source_disable_unref(p->done_source);
        /* done_fd stays open: a detached worker that comes back from a long
         * libvirt call (a save) still posts to it, and must not write to
         * whatever file might take its number. Queued tasks are dropped
         * with the process; nothing else owns them. */
}

static void delay_from(const char *name) {
#ifdef VIRTBUS_TEST_DELAY_SEAM
        const char *e = getenv(name);
        if (e && *e) {
                long ms = strtol(e, NULL, 10);
                if (ms > 0 && ms < 600000)
                        usleep((useconds_t) ms * 1000);
        }
#endif
}

void test_delay(void) {
        delay_from("VIRTBUS_TEST_DELAY_MS");
}

void test_read_delay(void) {
        delay_from("VIRTBUS_TEST_READ_DELAY_MS");
}

void test_barrier(const char *point) {
#ifdef VIRTBUS_TEST_DELAY_SEAM
        const char *dir = getenv("VIRTBUS_TEST_BARRIER_DIR");
        _cleanup_free_ char *path = NULL;
        struct stat st;
        char buf[64];
        ssize_t n;
        int fd;

        if (!dir || !*dir || !point || strchr(point, '/'))
                return;
        path = xasprintf("%s/%s", dir, point);
        if (stat(path, &st) < 0 || !S_ISFIFO(st.st_mode))
                return;
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return;
        do
                n = read(fd, buf, sizeof(buf));
        while (n > 0 || (n < 0 && errno == EINTR));
        close(fd);
#endif
}
