/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Authorization test harness: a real polkitd and real unprivileged callers on
 * the private system bus of harness.h.
 *
 * - polkitd (/usr/lib/polkit-1/polkitd --no-debug) runs in a private mount
 *   namespace where /usr/share/polkit-1/actions is a temporary copy of the
 *   machine's actions plus the project's org.libvirt.dbus.policy,
 *   /etc/polkit-1/rules.d is a per-case temporary directory holding the
 *   project's rules (with @SERVICE_USER@ filled in) and the case's own rules,
 *   and /usr/share/polkit-1/rules.d is empty, so no rule of the machine takes
 *   part. The machine's directories are never written.
 * - Callers are processes of the test program re-executed as another user
 *   (supplementary groups, gid and uid set before exec): nobody, or users the
 *   harness creates for the run and removes at its end:
 *     vbtest-alice  an ordinary user;
 *     vbtest-admin  a member of group libvirt in /etc/group (polkit reads
 *                   group membership from the group database).
 *   A caller connects to the bus itself and performs the calls it is sent
 *   through a pipe, one at a time, reporting each reply or error back.
 *
 * Each case runs in a child process of the test program (as in harness.c),
 * with its own polkitd, rules directory and virtbusd (the harness's fixture:
 * virtbusd --system --connect Test=test:///default, as root).
 *
 * Environment, besides harness.h's:
 *   VIRTBUS_SERVICE_USER   the service user the rules file names
 *                          (default "virtbus").
 *   VIRTBUS_POLKITD        polkitd to run (default /usr/lib/polkit-1/polkitd).
 */
#pragma once

#include "harness.h"

#define VBP_USER_NOBODY "nobody"
#define VBP_USER_ALICE "vbtest-alice"
#define VBP_USER_ADMIN "vbtest-admin"

#define VBP_POLKIT_NAME "org.freedesktop.PolicyKit1"
#define VBP_DBUS_ACCESS_DENIED "org.freedesktop.DBus.Error.AccessDenied"
#define VBP_DBUS_INTERACTIVE "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired"

/* Call at the very start of main(): when the program was started as a
 * caller process, this runs the caller and never returns. */
void vbp_caller_main_maybe(int argc, char **argv);

/* Instead of vb_init(): also lets polkitd own its name on the private bus,
 * makes the bus reachable for other users and creates the test users. */
void vbp_init(int *argc, char ***argv);
/* After vb_run(): removes the test users. */
void vbp_cleanup(void);

/* ---- polkitd -------------------------------------------------------------- */

typedef struct VbpPolkit VbpPolkit;

/* Per case: the fixture's virtbusd, plus a polkitd already running and
 * owning org.freedesktop.PolicyKit1. */
typedef struct {
    VbFixture vb;
    VbpPolkit *polkit;
    /* With VbpOptions.host_path_dir: a directory virtbusd was started
     * with --host-path-dir for, and one beside it that was not given;
     * both canonical paths, empty, removed with the case. */
    gchar *allowed_dir;
    gchar *outside_dir;
    /* VbpOptions.data. */
    gconstpointer data;
} VbpFixture;

typedef struct {
    gboolean host_path_dir;
    /* More arguments for virtbusd (--connect ...), NULL-terminated. */
    const char *const *extra_args;
    /* More environment entries "NAME=value" for virtbusd, NULL-terminated. */
    const char *const *extra_env;
    /* Handed to the case as VbpFixture.data. */
    gconstpointer data;
} VbpOptions;

typedef void (*VbpTestFunc)(VbpFixture *f);
/* Registers a case (run in a subprocess, as harness.c does). */
void vbp_add(const char *testpath, VbpTestFunc func);
/* The same, with the service started with @opts. */
void vbp_add_full(const char *testpath, const VbpOptions *opts, VbpTestFunc func);

void vbp_polkit_start(VbpPolkit *p);
/* SIGTERM, and waits until it is gone from the bus. */
void vbp_polkit_stop(VbpPolkit *p);
/* Writes (atomically) or replaces rules file @name (e.g. "40-alice.rules")
 * in polkitd's rules directory, and waits for polkitd's Changed signal
 * (when polkitd runs). */
void vbp_polkit_set_rule(VbpPolkit *p, const char *name, const char *js);
void vbp_polkit_remove_rule(VbpPolkit *p, const char *name);
/* A directory polkitd (running as its own user) may write to: for marker
 * files written by rules through polkit.spawn(). */
const char *vbp_polkit_scratch_dir(VbpPolkit *p);
/* Changed signals seen so far. */
guint vbp_polkit_changed_count(VbpPolkit *p);

/* ---- callers -------------------------------------------------------------- */

typedef struct VbpCaller VbpCaller;

typedef struct {
    gboolean ok;
    GVariant *value;        /* the reply's body, when ok */
    gchar *error_name;      /* the D-Bus error name, when not ok */
    gchar *error_message;   /* its text */
} VbpReply;

/* Starts a caller process running as @user, connected to the bus. */
VbpCaller *vbp_caller_new(const char *user);
void vbp_caller_free(VbpCaller *c);
const char *vbp_caller_user(VbpCaller *c);
/* The caller's unique name on the bus. */
const char *vbp_caller_unique_name(VbpCaller *c);
/* Its process ID (what polkit rules see as subject.pid). */
GPid vbp_caller_pid(VbpCaller *c);

/* Sends a call without waiting for its answer. @args (a tuple, or NULL) is
 * consumed if floating. */
void vbp_caller_send(VbpCaller *c, const char *path, const char *iface, const char *method,
                     GVariant *args, gboolean interactive);
/* Whether the answer to the call sent is already there. */
gboolean vbp_caller_reply_ready(VbpCaller *c);
/* Waits for the answer to the call sent. */
VbpReply *vbp_caller_wait(VbpCaller *c);
/* Both. */
VbpReply *vbp_caller_call(VbpCaller *c, const char *path, const char *iface, const char *method,
                          GVariant *args, gboolean interactive);
void vbp_reply_free(VbpReply *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VbpReply, vbp_reply_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VbpCaller, vbp_caller_free)

/* "ok <value>" or "<error name>: <message>", for messages. */
gchar *vbp_reply_describe(const VbpReply *r);
/* Whether the reply is a polkit refusal (AccessDenied or
 * InteractiveAuthorizationRequired). */
gboolean vbp_reply_is_refusal(const VbpReply *r);
/* The polkit action named in the reply's error text, or NULL. */
gchar *vbp_reply_action(const VbpReply *r);

/* Asserts success; returns the reply's body. */
#define vbp_call_ok(c, path, iface, method, args) \
    vbp_call_ok_impl(__FILE__, __LINE__, (c), (path), (iface), (method), (args), FALSE)
GVariant *vbp_call_ok_impl(const char *file, int line, VbpCaller *c, const char *path,
                           const char *iface, const char *method, GVariant *args,
                           gboolean interactive);
/* Asserts failure with D-Bus error @name; returns the reply. */
#define vbp_call_err(c, path, iface, method, args, name) \
    vbp_call_err_impl(__FILE__, __LINE__, (c), (path), (iface), (method), (args), FALSE, (name))
VbpReply *vbp_call_err_impl(const char *file, int line, VbpCaller *c, const char *path,
                            const char *iface, const char *method, GVariant *args,
                            gboolean interactive, const char *name);
