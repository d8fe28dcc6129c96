/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers for the tests on real QEMU guests: one private libvirtd per test
 * program (libvirtd/start-libvirtd: its own mount namespace under /var/tmp,
 * KVM hidden, guests under TCG), served by virtbusd as /org/libvirt/QEMU;
 * the test's own libvirt connection to it, which is the ground truth every
 * effect is checked against; guests; and waits for what virtbusd
 * announces.
 *
 * Needs root, libvirtd, virsh and qemu-system-x86_64; without them the
 * cases are skipped.
 */
#pragma once

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "harness.h"

#define VQ_PATH "/org/libvirt/QEMU"
#define VQ_DOMAIN_PREFIX VQ_PATH "/domain/"
/* Waits for what a QEMU guest does: generous, the machine may be busy. */
#define VQ_WAIT_MS 60000

/* After vb_init(): in the test program itself, starts the private libvirtd
 * (@tag names its directory); in a case's process, finds it. */
void vq_init(const char *tag);
/* Registers a case that runs with virtbusd serving QEMU=<the private
 * libvirtd> and the barrier seam (job-util.h); skipped when the private
 * libvirtd cannot run here. */
void vq_add(const char *testpath, VbTestFunc func);
/* After vb_run(), in the test program: stops libvirtd and its guests and
 * removes their state. */
void vq_finish(void);

const char *vq_uri(void);
/* The case's own connection to the private libvirtd. */
virConnectPtr vq_conn(void);
/* virsh -q -c <uri> ARGS... (NULL-terminated), which must succeed; returns
 * its output. */
gchar *vq_virsh(const char *first, ...) G_GNUC_NULL_TERMINATED;
/* Runs a command (NULL-terminated argv) that must succeed. */
gchar *vq_run(const char *const *argv);
/* Waits until virtbusd's QEMU connection is up. */
void vq_wait_connected(VbFixture *f);

typedef struct {
    gchar *name;
    gchar *uuid;
    gchar *path;    /* its object path under /org/libvirt/QEMU */
} VqGuest;

VqGuest *vq_guest_new(const char *name);
void vq_guest_free(VqGuest *g);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VqGuest, vq_guest_free)
/* A diskless guest of @memory_mib MiB (it runs in its firmware), with
 * @devices (XML, or NULL) in its <devices>. */
gchar *vq_guest_xml(const VqGuest *g, guint memory_mib, const char *devices);
/* The test guest of tests/guest (a Linux that answers ACPI and runs the
 * guest agent), built on first use; NULL when it cannot be built here. */
gchar *vq_test_guest_xml(const VqGuest *g);

/* libvirt's own state and reason of @g; FALSE when libvirt does not know
 * the domain. */
gboolean vq_libvirt_state(const VqGuest *g, gint *state, gint *reason);
/* libvirt says @g is in @state for @reason, and virtbusd's State and
 * StateReason say the same (waiting for its PropertiesChanged if need be). */
#define vq_assert_state(f, g, state, reason) vq_assert_state_impl(__FILE__, __LINE__, (f), (g), (state), (reason))
void vq_assert_state_impl(const char *file, int line, VbFixture *f, const VqGuest *g, gint state, gint reason);
/* libvirt does not know @g, and virtbusd announced it gone. */
void vq_assert_gone(VbFixture *f, const VqGuest *g);
/* Waits for DomainEvent(@g, @event, @detail). */
void vq_expect_event(VbFixture *f, const VqGuest *g, gint event, gint detail);
/* Waits for InterfacesAdded of @g. */
void vq_expect_added(VbFixture *f, const VqGuest *g);
/* Fails the test with @what and the signals seen. */
void vq_fail(VbFixture *f, const char *what) G_GNUC_NORETURN;

/* A FIFO in the case's scratch directory that a save may write to: the
 * save goes only as fast as the test reads. Returns the reading end
 * (non-blocking), opened before anything writes. */
int vq_fifo_open(VbFixture *f, const char *name, gchar **path);
/* Reads what is there, at most @max bytes; returns the count, 0 when
 * nothing is there now, -1 when nobody has the writing end open (not yet,
 * or no more: libvirt opens it twice, for the image, then for its header). */
gssize vq_fifo_read(int fd, gsize max);
