/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the lifecycle and job tests on QEMU guests (qemu-util.h) share:
 * libvirt's own view of a guest's state beside virtbusd's, waits for the
 * signals of each step, guests whose saves take long, and saves that go
 * only as far as the test lets them.
 */
#pragma once

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "qemu-util.h"

/* The case's own connection to the private libvirtd, opened once. */
virConnectPtr vs_conn(void);

/* libvirt's own state and reason of @g; FALSE when libvirt does not know
 * the domain. */
gboolean vs_libvirt_state(const VqGuest *g, gint *state, gint *reason);
/* virtbusd's State and StateReason say @g is in @state for @reason
 * (waiting for its PropertiesChanged if need be), and so does libvirt. */
#define vs_assert_state(f, g, state, reason) vs_assert_state_impl(__FILE__, __LINE__, (f), (g), (state), (reason))
void vs_assert_state_impl(const char *file, int line, VbFixture *f, const VqGuest *g, gint state, gint reason);
/* libvirt does not know @g, and virtbusd announced it gone. */
void vs_assert_gone(VbFixture *f, const VqGuest *g);
/* Waits for DomainEvent(@g, @event, @detail), passing over others. */
void vs_expect_event(VbFixture *f, const VqGuest *g, gint event, gint detail);
/* Waits for InterfacesAdded of @g. */
void vs_expect_added(VbFixture *f, const VqGuest *g);
/* Fails the test with @what and the signals seen. */
void vs_fail(VbFixture *f, const char *what) G_GNUC_NORETURN;

/* A diskless guest whose memory holds VS_BUSY_BYTES of data that does not
 * compress (random, loaded by QEMU before the firmware runs), so that its
 * save writes more than libvirt's I/O helper buffers on the way (about a
 * MiB): a save to a drained FIFO then goes only as far as the test reads. */
#define VS_BUSY_BYTES (8u * 1024 * 1024)
gchar *vs_busy_guest_xml(VbFixture *f, const VqGuest *g);
/* The test guest of tests/guest (a Linux that answers ACPI and runs the
 * guest agent), built on first use; NULL when it cannot be built here. */
gchar *vs_test_guest_xml(const VqGuest *g);

/* A FIFO in the case's scratch directory for a save to write to: the save
 * goes only as far as the test lets a reader thread read (past what
 * libvirt's I/O helper buffers, see vs_busy_guest_xml()). The test keeps a
 * writing end open itself, so libvirtd never waits to open its end (which
 * it does with the domain locked) and the reader never sees an end. */
typedef struct VsDrain VsDrain;

VsDrain *vs_drain_new(VbFixture *f, const char *name);
const char *vs_drain_path(VsDrain *d);
/* Lets the reader read @bytes more; -1: everything, from now on. */
void vs_drain_allow(VsDrain *d, gssize bytes);
/* Bytes read so far. */
guint64 vs_drain_total(VsDrain *d);
void vs_drain_free(VsDrain *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VsDrain, vs_drain_free)
