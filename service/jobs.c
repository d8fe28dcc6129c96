/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <signal.h>
#include <stdio.h>
#include <sys/eventfd.h>

#include "jobs.h"
#include "log.h"
#include "util.h"

struct Pool {
        pthread_mutex_t lock;
        pthread_cond_t cond;
        Job *query_head, *query_tail;
        Job *change_head, *change_tail;
        unsigned change_running, change_max;
        bool quit;

        Job *done_head, *done_tail;     /* guarded by lock */
        int done_fd;
        sd_event_source *done_source;
        void (*done)(Job *j, void *ud);
        void *ud;

        pthread_t *threads;
        unsigned nthreads;
};

Job *job_new(Connection *c, sd_bus_message *m, JobClass klass, job_run_t run, job_reply_t reply) {
        Job *j = xmalloc0(sizeof(*j));

        j->conn = c;
        j->msg = sd_bus_message_ref(m);
        j->klass = klass;
        j->run = run;
        j->reply = reply;
        return j;
}

Job *job_free(Job *j) {
        if (!j)
                return NULL;
        sd_bus_message_unref(j->msg);
        if (j->dom)
                virDomainFree(j->dom);
        if (j->out_dom)
                virDomainFree(j->out_dom);
        if (j->vconn)
                virConnectClose(j->vconn);
        for (size_t i = 0; i < ELEMENTSOF(j->s); i++)
                free(j->s[i]);
        free(j->dom_name);
        free(j->verb);
        free(j->xml_uuid);
        strv_free(j->strv);
        for (unsigned i = 0; i < j->nfds; i++)
                close(j->fds[i]);
        free(j->fds);
        if (j->arg_free)
                j->arg_free(j->arg);
        virResetError(&j->err);
        free(j->out_s);
        free(j->not_found);
        strv_free(j->out_strv);
        if (j->out_free)
                j->out_free(j->out);
        domain_info_clear(&j->after);
        sd_event_source_disable_unref(j->deadline);
        free(j);
        return NULL;
}

void job_fail(Job *j) {
        j->r = -1;
        if (virCopyLastError(&j->err) <= 0 || j->err.code == VIR_ERR_OK)
                job_fail_msg(j, VIR_ERR_INTERNAL_ERROR, "libvirt call failed without an error");
}

void job_fail_msg(Job *j, int code, const char *msg) {
        virResetError(&j->err);
        j->r = -1;
        j->err.code = code;
        j->err.domain = VIR_FROM_NONE;
        j->err.level = VIR_ERR_ERROR;
        j->err.message = xstrdup(msg);
}

void job_capture_after(Job *j, virDomainPtr dom) {
        DomainInfo info;

        if (domain_info_fetch(dom, &info) < 0) {
                virErrorPtr e = virGetLastError();
                j->gone_after = e && e->code == VIR_ERR_NO_DOMAIN;
                domain_info_clear(&info);
                virResetLastError();
                return;
        }
        domain_info_clear(&j->after);
        j->after = info;
        j->have_after = true;
}

static void push(Job **head, Job **tail, Job *j) {
        j->next = NULL;
        if (*tail)
                (*tail)->next = j;
        else
                *head = j;
        *tail = j;
}

static Job *pop(Job **head, Job **tail) {
        Job *j = *head;

        if (j) {
                *head = j->next;
                if (!*head)
                        *tail = NULL;
                j->next = NULL;
        }
        return j;
}

static void post_done(Pool *p, Job *j) {
        bool wake;

        pthread_mutex_lock(&p->lock);
        wake = !p->done_head;
        push(&p->done_head, &p->done_tail, j);
        pthread_mutex_unlock(&p->lock);
        if (wake) {
                uint64_t one = 1;
                if (write(p->done_fd, &one, sizeof(one)) < 0)
                        log_error("Failed to wake the loop: %m");
        }
}

static void *worker_main(void *arg) {
        Pool *p = arg;
        sigset_t all;

        /* Signals belong to the loop thread (sd-event signal sources). */
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, NULL);

        pthread_mutex_lock(&p->lock);
        for (;;) {
                Job *j = NULL;
                bool change = false;

                while (!p->quit) {
                        j = pop(&p->query_head, &p->query_tail);
                        if (j)
                                break;
                        if (p->change_running < p->change_max) {
                                j = pop(&p->change_head, &p->change_tail);
                                if (j) {
                                        change = true;
                                        p->change_running++;
                                        break;
                                }
                        }
                        pthread_cond_wait(&p->cond, &p->lock);
                }
                if (!j)
                        break;
                pthread_mutex_unlock(&p->lock);

                virResetLastError();
                j->run(j);
                virResetLastError();

                pthread_mutex_lock(&p->lock);
                if (change) {
                        p->change_running--;
                        pthread_cond_signal(&p->cond);
                }
                pthread_mutex_unlock(&p->lock);
                post_done(p, j);
                pthread_mutex_lock(&p->lock);
        }
        pthread_mutex_unlock(&p->lock);
        return NULL;
}

static int on_done(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Pool *p = userdata;
        uint64_t n;
        Job *list;

        if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
                log_error("Failed to read the done eventfd: %m");
        pthread_mutex_lock(&p->lock);
        list = p->done_head;
        p->done_head = p->done_tail = NULL;
        pthread_mutex_unlock(&p->lock);

        while (list) {
                Job *j = list;
                list = j->next;
                j->next = NULL;
                p->done(j, p->ud);
        }
        return 0;
}

Pool *pool_new(sd_event *loop, unsigned threads, void (*done)(Job *j, void *ud), void *ud) {
        Pool *p = xmalloc0(sizeof(*p));
        int r;

        pthread_mutex_init(&p->lock, NULL);
        pthread_cond_init(&p->cond, NULL);
        p->done = done;
        p->ud = ud;
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

void pool_submit(Pool *p, Job *j) {
        pthread_mutex_lock(&p->lock);
        if (j->klass == JOB_CHANGE)
                push(&p->change_head, &p->change_tail, j);
        else
                push(&p->query_head, &p->query_tail, j);
        pthread_cond_signal(&p->cond);
        pthread_mutex_unlock(&p->lock);
}

typedef struct Dedicated {
        Pool *pool;
        Job *job;
} Dedicated;


static void *dedicated_main(void *arg) {
        Dedicated *d = arg;
        sigset_t all;

        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, NULL);
        virResetLastError();
        d->job->run(d->job);
        virResetLastError();
        post_done(d->pool, d->job);
        free(d);
        return NULL;
}

void pool_run_dedicated(Pool *p, Job *j) {
        Dedicated *d = xmalloc0(sizeof(*d));
        pthread_attr_t attr;
        pthread_t t;

        d->pool = p;
        d->job = j;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&t, &attr, dedicated_main, d) != 0) {
                log_error("Failed to start a thread; running the job on the pool");
                free(d);
                pool_submit(p, j);
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
        if (p->done_fd >= 0)
                close(p->done_fd);
        /* Queued jobs are dropped with the process; nothing else owns them. */
}

void test_delay(void) {
#ifdef VIRTBUS_TEST_DELAY_SEAM
        const char *e = getenv("VIRTBUS_TEST_DELAY_MS");
        if (e && *e) {
                long ms = strtol(e, NULL, 10);
                if (ms > 0 && ms < 600000)
                        usleep((useconds_t) ms * 1000);
        }
#endif
}
