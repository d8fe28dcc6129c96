/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The polkit engine. It takes a plain question (who asks, the action, its
 * details, whether the caller allows interaction) and answers it, at once
 * from what it knows or later through a callback. It knows nothing of
 * calls, jobs or tables.
 *
 * Who asks is a unique bus name, never a PID: the subject polkit sees is
 * ("system-bus-name", {"name": ...}). uid 0 is never asked about. Questions
 * wait in one queue per user and are sent round-robin between users, with a
 * bound on each user's questions in flight and a lane of their own for
 * interactive ones, so no user can hold up another's. Verdicts are kept in
 * a bounded cache for at most a minute (polkit's "keep" grants expire
 * without a signal), never for one-shot interactive grants, and forgotten
 * when the caller leaves the bus, when polkit's rules change and when
 * polkitd restarts. If polkit cannot answer, the answer is no. */

#include <stdbool.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "details.h"

typedef enum Verdict {
        VERDICT_PENDING = 0,    /* asked; the callback follows */
        VERDICT_YES,
        VERDICT_NO,
        VERDICT_CHALLENGE,      /* yes after authentication, which was not allowed */
        VERDICT_FAILED,         /* polkit did not answer: treated as no */
} Verdict;

typedef struct Authority Authority;
typedef struct AuthWaiter AuthWaiter;
typedef void (*authority_cb)(void *ud, Verdict v);

typedef struct AuthorityLimits {
        unsigned max_sent;              /* questions out at once, all users */
        unsigned max_sent_per_user;
        unsigned max_interactive;       /* the interactive lane, all users */
        unsigned max_interactive_per_user;
        unsigned max_queued_per_user;   /* beyond this a user's questions fail at once */
        unsigned cache_size;            /* verdicts kept */
        uint64_t timeout_usec;          /* for a non-interactive question */
} AuthorityLimits;

/* @enabled false answers yes to everyone (the session bus: only the bus's
 * own user can connect). */
Authority *authority_new(sd_event *loop, sd_bus *bus, bool enabled, const AuthorityLimits *limits);
Authority *authority_free(Authority *a);

/* Answers at once (any verdict but PENDING) when the answer is known, or
 * returns VERDICT_PENDING and calls @cb exactly once later, unless the
 * question is cancelled through *@ret first. */
Verdict authority_check(Authority *a, const char *subject, const char *action, const Details *details,
                        bool interactive, authority_cb cb, void *ud, AuthWaiter **ret);
void authority_cancel(Authority *a, AuthWaiter *w);
/* What is known now, without asking: PENDING when nothing is. */
Verdict authority_known(Authority *a, const char *subject, const char *action, const Details *details);

/* The caller's uid: 0 when known, -EAGAIN while it is looked up, -ENOENT
 * for a subject never seen. */
int authority_uid(Authority *a, const char *subject, uid_t *uid);
/* Looks the caller's uid up (if needed) and calls @cb(ud, 0 or -errno) once
 * it is known; returns 1 when it is known already. */
int authority_resolve(Authority *a, const char *subject, void (*cb)(void *ud, int r), void *ud,
                      AuthWaiter **ret);

typedef struct AuthorityStats {
        unsigned cached;                /* verdicts remembered */
        unsigned subjects;              /* callers known */
        unsigned users;                 /* users with questions queued or out */
        unsigned queued;
        unsigned queued_interactive;
        unsigned sent;
        unsigned sent_interactive;
} AuthorityStats;
void authority_stats(Authority *a, AuthorityStats *st);
/* Verdicts remembered for one caller. */
unsigned authority_subject_cached(Authority *a, const char *subject);
