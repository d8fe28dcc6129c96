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
/* A diskless guest whose memory holds VQ_BUSY_BYTES of data that does not
 * compress (random, loaded by QEMU before the firmware runs), so that its
 * save writes more than libvirt's I/O helper buffers on the way (about a
 * MiB): a save to a drained FIFO then goes only as far as the test reads. */
#define VQ_BUSY_BYTES (8u * 1024 * 1024)
gchar *vq_busy_guest_xml(VbFixture *f, const VqGuest *g, guint memory_mib);
/* The test guest of tests/guest (a Linux that answers ACPI and runs the
 * guest agent), built on first use; NULL when it cannot be built here. */
gchar *vq_test_guest_xml(const VqGuest *g);

/* libvirt's own state and reason of @g; FALSE when libvirt does not know
 * the domain. */
gboolean vq_libvirt_state(const VqGuest *g, gint *state, gint *reason);
/* virtbusd's State and StateReason say @g is in @state for @reason
 * (waiting for its PropertiesChanged if need be), and so does libvirt. */
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

/* A FIFO in the case's scratch directory for a save to write to: the save
 * goes only as far as the test lets a reader thread read (past what
 * libvirt's I/O helper buffers, see vq_busy_guest_xml()). The test keeps a
 * writing end open itself, so libvirtd never waits to open its end (which
 * it does with the domain locked) and the reader never sees an end. */
typedef struct VqDrain VqDrain;

VqDrain *vq_drain_new(VbFixture *f, const char *name);
const char *vq_drain_path(VqDrain *d);
/* Lets the reader read @bytes more; -1: everything, from now on. */
void vq_drain_allow(VqDrain *d, gssize bytes);
/* Bytes read so far. */
guint64 vq_drain_total(VqDrain *d);
void vq_drain_free(VqDrain *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VqDrain, vq_drain_free)
