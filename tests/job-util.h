/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers for the tests of long operations (org.libvirt.Job): the barrier
 * seam that holds a worker of virtbusd until the test lets it go, calls
 * whose replies are awaited later, and the job signals.
 *
 * The barrier: a service started with VJ_BARRIER_ENV (test builds only)
 * looks, just before it hands a job's operation to libvirt, for a FIFO
 * named after the operation ("save", "restore"...) in the case's scratch
 * directory. If there is one, the worker opens it, which completes once the
 * test opens the other end, and reads until the test closes it.
 */
#pragma once

#include "harness.h"

#define VJ_IFACE_JOB "org.libvirt.Job"
#define VJ_IFACE_OBJECT_MANAGER "org.freedesktop.DBus.ObjectManager"
#define VJ_ROOT_PATH "/org/libvirt"
#define VJ_BARRIER_ENV "VIRTBUS_TEST_BARRIER_DIR=@TMPDIR@"
#define VJ_ERR_OPERATION_ABORTED VB_ERROR_PREFIX "OperationAborted"
#define VJ_ERR_OPERATION_UNSUPPORTED VB_ERROR_PREFIX "OperationUnsupported"

/* Puts up a barrier for @operation in the case's scratch directory. */
void vj_barrier_arm(VbFixture *f, const char *operation);
/* Waits until a worker has reached the barrier (iterating the main context
 * meanwhile); returns the test's end of it. Fails the test after
 * @timeout_ms. */
int vj_barrier_wait(VbFixture *f, const char *operation, guint timeout_ms);
/* Takes the barrier down (later operations pass) and lets the worker go. */
void vj_barrier_release(VbFixture *f, const char *operation, int fd);

/* A call whose reply is collected later. */
typedef struct {
    gboolean done;
    GVariant *reply;
    GError *error;
} VjAsync;

void vj_call_async(VbFixture *f, const char *path, const char *iface, const char *method, GVariant *args,
                   VjAsync *a);
/* Iterates the main context until *@done or @timeout_ms passed. */
void vj_iterate_until(gboolean *done, guint timeout_ms);
/* Iterates the main context until the reply is there; fails after
 * @timeout_ms. */
void vj_async_wait(VjAsync *a, guint timeout_ms);
void vj_async_clear(VjAsync *a);

/* Waits for InterfacesAdded of an org.libvirt.Job acting on @object_path;
 * returns the job's path and its properties (a{sv}) through @props. */
gchar *vj_wait_job_added(VbFixture *f, const char *object_path, GVariant **props, guint timeout_ms);
/* Waits for Completed of job @job_path; returns success and message. */
gboolean vj_wait_completed(VbFixture *f, const char *job_path, gboolean *success, gchar **message,
                           guint timeout_ms);
/* The index in f->signals of the first signal @member of @iface on @path
 * whose first argument is @first_arg (NULL: any), or -1. */
gint vj_signal_index(VbFixture *f, const char *path, const char *iface, const char *member, const char *first_arg);
