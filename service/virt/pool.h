/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The worker pool. The loop thread hands over a task; a worker runs it
 * (libvirt calls and plain memory only, never sd-bus); the loop thread gets
 * it back through the done queue and an eventfd and finishes it. */

#include <stdbool.h>
#include <systemd/sd-event.h>

typedef struct Task Task;

struct Task {
        Task *next;
        /* Runs on a worker. */
        void (*run)(Task *t);
        /* Runs on the loop thread afterwards. */
        void (*done)(Task *t);
        /* Changes may never take every worker, so reads always find one;
         * neither kind can starve the other. */
        bool change;
        /* The daemon's own short reads that a reply waits for (the state
         * libvirt keeps after an event): served before callers' reads, so a
         * flood of those never holds back a change's reply. */
        bool internal;
};

typedef struct Pool Pool;

Pool *pool_new(sd_event *loop, unsigned threads);
void pool_submit(Pool *p, Task *t);
/* Runs @t on a thread of its own (for calls that may hang, like opening a
 * connection) and hands it back through the same done queue. */
void pool_run_dedicated(Pool *p, Task *t);
void pool_free(Pool *p);
/* Tasks queued or running. */
unsigned pool_pending(Pool *p);

/* Test builds only: sleeps VIRTBUS_TEST_DELAY_MS before a long operation,
 * so tests can hold one in flight. A no-op otherwise. */
void test_delay(void);
/* Test builds only: when VIRTBUS_TEST_BARRIER_DIR holds a FIFO named
 * @point, the worker opens it for reading, which returns once the test has
 * opened it for writing (so the test knows the worker is here), and reads
 * until the test closes it (which lets the worker go on). A no-op
 * otherwise. */
void test_barrier(const char *point);
/* Test builds only: sleeps VIRTBUS_TEST_READ_DELAY_MS before every read a
 * worker runs, so tests can flood the pool with slow reads. */
void test_read_delay(void);
