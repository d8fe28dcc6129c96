/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Real QEMU guests for a test program: one private libvirtd per program
 * (libvirtd/start-libvirtd: its own mount namespace under /var/tmp, KVM
 * hidden, so guests run under TCG), started by the program's main process
 * before its cases and stopped, with every guest it ran and its state, when
 * the program ends or is interrupted. Each case gets the harness's fresh
 * virtbusd serving that libvirtd as /org/libvirt/QEMU (and test:///default
 * as /org/libvirt/Test), with --host-path-dir naming vq_files_dir().
 *
 * Cases check effects with libvirt's own view: virsh on the private
 * libvirtd (vq_virsh()), a libvirt connection of their own (vq_connect()),
 * or the files QEMU and libvirtd wrote (qemu-img, reading them).
 *
 * The cases are skipped in reference mode (libvirt-dbus cannot be pointed at
 * another libvirtd), when not root and without libvirtd, virsh, QEMU or
 * qemu-img; they fail when libvirtd does not start.
 */
#pragma once

#include "harness.h"

#define VQ_PATH "/org/libvirt/QEMU"
#define VQ_DOMAIN_PREFIX VQ_PATH "/domain/"
/* Waits for what a guest or libvirtd does: generous, since other programs
 * may share the machine; never a measure of anything. */
#define VQ_WAIT_MS 60000

/* Instead of vb_init(). @name names the libvirtd's directory. */
void vq_init(int *argc, char ***argv, const char *name);
/* Registers a case run against the private libvirtd. */
void vq_add(const char *testpath, VbTestFunc func);
/* Something the cases need is not there: the cases registered from now on
 * are skipped (@failure FALSE: a prerequisite the machine lacks) or fail
 * (@failure TRUE) with @reason. */
void vq_set_unavailable(const char *reason, gboolean failure);
/* Whether the cases will run (in this process or its case processes). */
gboolean vq_available(void);
/* Instead of vb_run(): also stops libvirtd and its guests and removes
 * their state. */
int vq_run(void);

const char *vq_uri(void);
/* A directory libvirtd and QEMU can reach and callers may name host files
 * below (--host-path-dir); each case should use a subdirectory of its own
 * (vq_case_dir()). */
const char *vq_files_dir(void);
/* A fresh directory below vq_files_dir() for the running case. */
gchar *vq_case_dir(void);

/* virsh -q -c <uri> ARGS...: its output; the case fails unless virsh
 * succeeds. */
gchar *vq_virsh(const char *first, ...) G_GNUC_NULL_TERMINATED;
/* The same, for a command that may fail: returns whether it succeeded, and
 * its output and errors (either may be NULL). */
gboolean vq_virsh_try(gchar **out, gchar **err, const char *first, ...) G_GNUC_NULL_TERMINATED;
/* Runs @argv (NULL-terminated, looked up in PATH); its output, asserting
 * success. */
gchar *vq_run_argv(const char *const *argv);
/* A libvirt connection of the test's own to the private libvirtd. */
virConnectPtr vq_connect(void);

/* Waits until virtbusd's QEMU connection is up (it opens in the
 * background). */
void vq_wait_connected(VbFixture *f);

typedef struct {
    gchar *name;
    gchar *uuid;
    gchar *path;    /* its object path under /org/libvirt/QEMU */
} VqGuest;

VqGuest *vq_guest_new(const char *name);
void vq_guest_free(VqGuest *g);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VqGuest, vq_guest_free)

/* The XML of a guest of @g's name and UUID with 64 MiB, no disk unless
 * @devices (XML put inside <devices>) has one, and @extra (XML put inside
 * <domain>) if not NULL. */
gchar *vq_guest_xml(const VqGuest *g, const char *devices, const char *extra);
/* Defines @xml through virtbusd and starts it (Create), waiting for its
 * STARTED event. */
void vq_guest_start(VbFixture *f, VqGuest *g, const char *xml);
/* Destroys and undefines the guest through libvirt; whatever state it was
 * in, nothing of it is left. */
void vq_guest_remove(VqGuest *g);

/* Waits for DomainEvent(@g, @event, any detail) on /org/libvirt/QEMU. */
void vq_wait_domain_event(VbFixture *f, const VqGuest *g, gint event);
/* Waits for the domain signal @member on @g whose first argument is
 * @first_arg (if not NULL); returns its parameters. */
GVariant *vq_wait_domain_signal(VbFixture *f, const VqGuest *g, const char *member, const char *first_arg);
