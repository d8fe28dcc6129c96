/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "authority.h"
#include "log.h"
#include "strmap.h"
#include "util.h"

#define POLKIT_NAME "org.freedesktop.PolicyKit1"
#define POLKIT_PATH "/org/freedesktop/PolicyKit1/Authority"
#define POLKIT_INTERFACE "org.freedesktop.PolicyKit1.Authority"
/* A person typing a password takes a while; no one else waits for it. */
#define INTERACTIVE_TIMEOUT_USEC (300 * 1000 * 1000ULL)
/* polkit's own "keep" grants (auth_admin_keep) expire after a few minutes
 * without a Changed signal, so a remembered verdict is trusted only this
 * long. */
#define VERDICT_TTL_USEC (60 * 1000 * 1000ULL)

typedef struct Subject Subject;
typedef struct User User;
typedef struct Question Question;
typedef struct CacheEntry CacheEntry;

struct AuthWaiter {
        AuthWaiter *next, *prev;
        Authority *a;
        Subject *subject;       /* while waiting for the subject's uid */
        Question *question;     /* while waiting for polkit */
        authority_cb cb;
        void (*resolve_cb)(void *ud, int r);
        void *ud;
        /* A question held until the uid is known. */
        char *action;
        Details details;
        bool interactive;
};

struct Subject {
        Authority *a;
        char *name;
        uid_t uid;
        int state;              /* 0 unknown, 1 asking, 2 known, -1 failed */
        sd_bus_slot *slot;
        AuthWaiter *waiting_head, *waiting_tail;
        CacheEntry *entries;    /* its cached verdicts */
        bool gone;              /* left the bus while its uid was looked up */
};

/* A user's questions of one lane: interactive ones wait for a person and
 * must neither hold up nor be held up by the plain ones. */
typedef struct Lane {
        Question *head, *tail;
        unsigned queued;
        unsigned sent;
        bool in_ring;
        User *ring_next;
} Lane;

enum { LANE_PLAIN, LANE_INTERACTIVE, N_LANES };

struct User {
        uid_t uid;
        Lane lanes[N_LANES];
};

struct Question {
        Authority *a;
        char *key;
        char *subject;
        User *user;
        char *action;
        Details details;
        bool interactive;
        AuthWaiter *waiters;
        sd_bus_slot *slot;
        bool sent;
        uint64_t queued_at;
        Question *next_queued;
};

struct CacheEntry {
        char *key;
        Verdict verdict;
        uint64_t at;
        CacheEntry *lru_prev, *lru_next;
        CacheEntry *subject_next, *subject_prev;
        Subject *subject;
};

struct Authority {
        sd_event *loop;
        sd_bus *bus;
        bool enabled;
        AuthorityLimits limits;
        StrMap *subjects;       /* unique name -> Subject */
        StrMap *users;          /* uid -> User */
        StrMap *questions;      /* key -> Question, queued or sent */
        StrMap *cache;          /* key -> CacheEntry */
        CacheEntry *lru_head, *lru_tail;        /* most recent first */
        User *rings[N_LANES];   /* per lane, users with queued questions, round-robin */
        unsigned sent, sent_interactive, queued;
        sd_bus_slot *changed_slot;
        sd_bus_slot *owner_slot;
        sd_event_source *kick;  /* sends queued questions on the next iteration */
};

/* ---- the verdict cache -------------------------------------------------- */

static void cache_unlink(Authority *a, CacheEntry *e) {
        if (e->lru_prev)
                e->lru_prev->lru_next = e->lru_next;
        else
                a->lru_head = e->lru_next;
        if (e->lru_next)
                e->lru_next->lru_prev = e->lru_prev;
        else
                a->lru_tail = e->lru_prev;
        e->lru_prev = e->lru_next = NULL;
        if (e->subject) {
                if (e->subject_prev)
                        e->subject_prev->subject_next = e->subject_next;
                else
                        e->subject->entries = e->subject_next;
                if (e->subject_next)
                        e->subject_next->subject_prev = e->subject_prev;
                e->subject = NULL;
        }
}

static void cache_entry_free(void *p) {
        CacheEntry *e = p;

        if (!e)
                return;
        free(e->key);
        free(e);
}

static void cache_drop(Authority *a, CacheEntry *e) {
        cache_unlink(a, e);
        strmap_remove(a->cache, e->key); /* frees e */
}

static void cache_put(Authority *a, Subject *s, const char *key, Verdict v) {
        CacheEntry *e = strmap_get(a->cache, key);

        if (e)
                cache_drop(a, e);
        while (strmap_size(a->cache) >= a->limits.cache_size && a->lru_tail)
                cache_drop(a, a->lru_tail);
        e = xmalloc0(sizeof(*e));
        e->key = xstrdup(key);
        e->verdict = v;
        sd_event_now(a->loop, CLOCK_MONOTONIC, &e->at);
        e->lru_next = a->lru_head;
        if (a->lru_head)
                a->lru_head->lru_prev = e;
        a->lru_head = e;
        if (!a->lru_tail)
                a->lru_tail = e;
        e->subject = s;
        e->subject_next = s->entries;
        if (s->entries)
                s->entries->subject_prev = e;
        s->entries = e;
        strmap_put(a->cache, e->key, e);
}

static Verdict cache_get(Authority *a, const char *key) {
        CacheEntry *e = strmap_get(a->cache, key);
        uint64_t now = 0;

        if (!e)
                return VERDICT_PENDING;
        sd_event_now(a->loop, CLOCK_MONOTONIC, &now);
        if (now - e->at > VERDICT_TTL_USEC) {
                cache_drop(a, e);
                return VERDICT_PENDING;
        }
        /* Most recently used first, so the bound evicts the stalest. */
        if (e != a->lru_head) {
                Subject *s = e->subject;
                CacheEntry *sn = e->subject_next, *sp = e->subject_prev;
                e->subject = NULL; /* keep its subject links while moving */
                cache_unlink(a, e);
                e->subject = s;
                e->subject_next = sn;
                e->subject_prev = sp;
                e->lru_next = a->lru_head;
                a->lru_head->lru_prev = e;
                a->lru_head = e;
        }
        return e->verdict;
}

static void cache_clear(Authority *a) {
        while (a->lru_head)
                cache_drop(a, a->lru_head);
}

static void subject_forget_verdicts(Authority *a, Subject *s) {
        while (s->entries)
                cache_drop(a, s->entries);
}

/* ---- keys --------------------------------------------------------------- */

static char *question_key(const char *subject, const char *action, const Details *details, bool interactive) {
        _cleanup_free_ char *d = details_key(details);

        return xasprintf("%s\x1e%s\x1e%s\x1e%d", subject, action, d, interactive);
}

static char *cache_key(const char *subject, const char *action, const Details *details) {
        _cleanup_free_ char *d = details_key(details);

        return xasprintf("%s\x1e%s\x1e%s", subject, action, d);
}

/* A challenge answers only questions that may not interact (a question
 * that may would have polkit authenticate the caller), so it is kept
 * apart from other verdicts and consulted for those questions alone. */
static char *challenge_key(const char *subject, const char *action, const Details *details) {
        _cleanup_free_ char *ck = cache_key(subject, action, details);

        return xasprintf("%s\x1e" "challenge", ck);
}

/* ---- users and their queues --------------------------------------------- */

static User *user_get(Authority *a, uid_t uid) {
        char k[32];
        User *u;

        snprintf(k, sizeof(k), "%u", (unsigned) uid);
        u = strmap_get(a->users, k);
        if (!u) {
                u = xmalloc0(sizeof(*u));
                u->uid = uid;
                strmap_put(a->users, k, u);
        }
        return u;
}

static void ring_add(Authority *a, User *u, int lane) {
        Lane *l = &u->lanes[lane];
        User **ring = &a->rings[lane];

        if (l->in_ring)
                return;
        l->in_ring = true;
        if (!*ring) {
                l->ring_next = u;
                *ring = u;
                return;
        }
        /* Behind the current head: served after everyone already waiting. */
        User *last = *ring;
        while (last->lanes[lane].ring_next != *ring)
                last = last->lanes[lane].ring_next;
        last->lanes[lane].ring_next = u;
        l->ring_next = *ring;
}

static void ring_remove(Authority *a, User *u, int lane) {
        Lane *l = &u->lanes[lane];
        User **ring = &a->rings[lane];
        User *p;

        if (!l->in_ring)
                return;
        l->in_ring = false;
        if (l->ring_next == u) {
                *ring = NULL;
                l->ring_next = NULL;
                return;
        }
        for (p = *ring; p->lanes[lane].ring_next != u; p = p->lanes[lane].ring_next)
                ;
        p->lanes[lane].ring_next = l->ring_next;
        if (*ring == u)
                *ring = l->ring_next;
        l->ring_next = NULL;
}

static void question_free(Question *q) {
        if (!q)
                return;
        sd_bus_slot_unref(q->slot);
        details_clear(&q->details);
        free(q->key);
        free(q->subject);
        free(q->action);
        free(q);
}

static int question_lane(const Question *q) {
        return q->interactive ? LANE_INTERACTIVE : LANE_PLAIN;
}

static void question_unqueue(Authority *a, Question *q) {
        int lane = question_lane(q);
        Lane *l = &q->user->lanes[lane];

        for (Question **p = &l->head; *p; p = &(*p)->next_queued)
                if (*p == q) {
                        *p = q->next_queued;
                        if (l->tail == q) {
                                l->tail = NULL;
                                for (Question *t = l->head; t; t = t->next_queued)
                                        l->tail = t;
                        }
                        q->next_queued = NULL;
                        l->queued--;
                        a->queued--;
                        break;
                }
        if (!l->head)
                ring_remove(a, q->user, lane);
}

/* A user with nothing queued or out is forgotten: the map stays as small
 * as the set of users asking now. */
static void user_maybe_free(Authority *a, User *u) {
        char k[32];

        for (int i = 0; i < N_LANES; i++)
                if (u->lanes[i].head || u->lanes[i].sent || u->lanes[i].in_ring)
                        return;
        snprintf(k, sizeof(k), "%u", (unsigned) u->uid);
        strmap_remove(a->users, k);
}

static void user_maybe_free_uid(Authority *a, uid_t uid) {
        char k[32];
        User *u;

        snprintf(k, sizeof(k), "%u", (unsigned) uid);
        if ((u = strmap_get(a->users, k)))
                user_maybe_free(a, u);
}

/* ---- answers ------------------------------------------------------------ */

static void waiter_free(AuthWaiter *w);

static void answer(Question *q, Verdict v, bool cacheable) {
        Authority *a = q->a;
        Subject *s = strmap_get(a->subjects, q->subject);
        AuthWaiter *list = q->waiters;

        if (cacheable && s && !s->gone) {
                _cleanup_free_ char *ck = v == VERDICT_CHALLENGE ? challenge_key(q->subject, q->action, &q->details)
                                                                 : cache_key(q->subject, q->action, &q->details);
                cache_put(a, s, ck, v);
        }
        q->waiters = NULL;
        strmap_steal(a->questions, q->key);
        question_free(q);
        /* Each waiter is freed once its callback returns: the party it
         * belonged to must not cancel it afterwards. */
        while (list) {
                AuthWaiter *w = list;
                list = w->next;
                w->question = NULL;
                w->cb(w->ud, v);
                waiter_free(w);
        }
}

static void send_queued(Authority *a);

typedef struct UserList {
        User **v;
        size_t n;
} UserList;

static void collect_user(const char *key, void *value, void *ud) {
        UserList *l = ud;

        l->v = xrealloc(l->v, sizeof(User *) * (l->n + 1));
        l->v[l->n++] = value;
}

/* After a question timed out: polkitd is hung or far behind. Questions
 * that have waited in the queues as long as a sent one may take fail now
 * rather than wait as long again; younger ones keep their turn, so a
 * polkitd that is merely slow costs only the oldest. */
static void fail_stale(Authority *a) {
        UserList users = { 0 };
        Question *drop = NULL;
        uint64_t now = 0;

        sd_event_now(a->loop, CLOCK_MONOTONIC, &now);
        strmap_foreach(a->users, collect_user, &users);
        uid_t *uids = xmalloc0(sizeof(uid_t) * (users.n + 1));
        for (size_t i = 0; i < users.n; i++)
                uids[i] = users.v[i]->uid;
        for (size_t i = 0; i < users.n; i++)
                for (int lane = 0; lane < N_LANES; lane++) {
                        Lane *l = &users.v[i]->lanes[lane];
                        while (l->head && l->head->queued_at + a->limits.timeout_usec <= now) {
                                Question *q = l->head;
                                question_unqueue(a, q);
                                q->sent = true; /* answered here, not dropped by a cancel */
                                q->next_queued = drop;
                                drop = q;
                        }
                }
        while (drop) {
                Question *q = drop;
                drop = q->next_queued;
                q->next_queued = NULL;
                answer(q, VERDICT_FAILED, false);
        }
        /* The answers may have freed users already: found again by uid. */
        for (size_t i = 0; i < users.n; i++)
                user_maybe_free_uid(a, uids[i]);
        free(uids);
        free(users.v);
}

static int on_check_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Question *q = userdata;
        Authority *a = q->a;
        int authorized = 0, challenge = 0, r;
        bool retains = false;

        a->sent--;
        if (q->interactive)
                a->sent_interactive--;
        q->user->lanes[question_lane(q)].sent--;
        q->slot = sd_bus_slot_unref(q->slot);
        /* Freed once the answer is out, unless it has more to ask; found
         * again by uid then, since what the answer does may free it. */
        uid_t uid = q->user->uid;
        q->user = NULL;

        if (sd_bus_message_is_method_error(reply, NULL)) {
                const sd_bus_error *e = sd_bus_message_get_error(reply);
                log_warning("polkit CheckAuthorization failed: %s", e->message);
                answer(q, VERDICT_FAILED, false);
                if (sd_bus_error_has_name(e, SD_BUS_ERROR_TIMEOUT) || sd_bus_error_has_name(e, SD_BUS_ERROR_NO_REPLY))
                        fail_stale(a);
                goto done;
        }
        r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
        if (r >= 0)
                r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'a', "{ss}");
        while (r > 0) {
                const char *k, *v;
                r = sd_bus_message_read(reply, "{ss}", &k, &v);
                if (r > 0 && streq(k, "polkit.retains_authorization_after_challenge") && streq(v, "1"))
                        retains = true;
        }
        if (r < 0) {
                answer(q, VERDICT_FAILED, false);
                goto done;
        }
        log_debug("polkit: %s for %s: authorized=%d challenge=%d", q->action, q->subject, authorized, challenge);
        /* A one-shot grant after authentication is for this question
         * only; an auth_admin_keep one may be remembered. A challenge is
         * remembered for questions that may not interact only: the next
         * call may allow interaction, and is then asked anew. Without
         * that, a caller whose org.libvirt.dbus.manage is a challenge
         * (everyone's, by default) would have it asked on every call. */
        if (authorized)
                answer(q, VERDICT_YES, !q->interactive || retains);
        else
                answer(q, challenge ? VERDICT_CHALLENGE : VERDICT_NO, !challenge || !q->interactive);
done:
        send_queued(a);
        user_maybe_free_uid(a, uid);
        return 0;
}

static int append_detail(sd_bus_message *m, const char *k, const char *v) {
        return sd_bus_message_append(m, "{ss}", k, v ? v : "");
}

static int send_question(Authority *a, Question *q) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(a->bus, &m, POLKIT_NAME, POLKIT_PATH, POLKIT_INTERFACE,
                                           "CheckAuthorization");
        if (r >= 0)
                r = sd_bus_message_append(m, "(sa{sv})", "system-bus-name", 1, "name", "s", q->subject);
        if (r >= 0)
                r = sd_bus_message_append(m, "s", q->action);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "{ss}");
        for (unsigned i = 0; r >= 0 && i < q->details.n; i++)
                r = append_detail(m, q->details.d[i].key, q->details.d[i].value);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_append(m, "us", (uint32_t) (q->interactive ? 1 : 0), "");
        if (r >= 0)
                r = sd_bus_call_async(a->bus, &q->slot, m, on_check_reply, q,
                                      q->interactive ? INTERACTIVE_TIMEOUT_USEC : a->limits.timeout_usec);
        return r;
}

static bool can_send(Authority *a, User *u, int lane) {
        Lane *l = &u->lanes[lane];

        if (!l->head)
                return false;
        if (lane == LANE_INTERACTIVE)
                return l->sent < a->limits.max_interactive_per_user &&
                        a->sent_interactive < a->limits.max_interactive;
        return l->sent < a->limits.max_sent_per_user && a->sent - a->sent_interactive < a->limits.max_sent;
}

/* Sends queued questions of @lane while the limits allow: one from each
 * user in turn, so a user with many questions waits behind everyone
 * else's next one, never in front of them. */
static void send_lane(Authority *a, int lane) {
        for (;;) {
                User *u = a->rings[lane], *chosen = NULL, *next;
                Question *q;

                if (!u)
                        return;
                do {
                        if (can_send(a, u, lane)) {
                                chosen = u;
                                break;
                        }
                        u = u->lanes[lane].ring_next;
                } while (u != a->rings[lane]);
                if (!chosen)
                        return;
                q = chosen->lanes[lane].head;
                next = chosen->lanes[lane].ring_next != chosen ? chosen->lanes[lane].ring_next : NULL;
                question_unqueue(a, q);
                /* The user after it goes first next time. */
                if (next)
                        a->rings[lane] = next;
                q->sent = true;
                if (send_question(a, q) < 0) {
                        /* Unreachable polkit means no. */
                        answer(q, VERDICT_FAILED, false);
                        continue;
                }
                a->sent++;
                if (q->interactive)
                        a->sent_interactive++;
                chosen->lanes[lane].sent++;
        }
}

static void send_queued(Authority *a) {
        /* Interactive questions first: there are few, and a person waits. */
        send_lane(a, LANE_INTERACTIVE);
        send_lane(a, LANE_PLAIN);
}

/* ---- asking --------------------------------------------------------------- */

static Verdict ask(Authority *a, Subject *s, AuthWaiter *w) {
        _cleanup_free_ char *ck = cache_key(s->name, w->action, &w->details);
        _cleanup_free_ char *qk = NULL;
        Verdict v;
        Question *q;
        User *u;

        if (s->state == 2 && s->uid == 0)
                return VERDICT_YES;
        if (s->state != 2)
                return VERDICT_FAILED; /* without a uid there is no one to ask about */
        v = cache_get(a, ck);
        if (v != VERDICT_PENDING)
                return v;
        /* A remembered challenge (kept apart, see answer()) answers a
         * question that may not authenticate; one that may is asked
         * afresh. */
        if (!w->interactive) {
                _cleanup_free_ char *chk = challenge_key(s->name, w->action, &w->details);
                v = cache_get(a, chk);
                if (v != VERDICT_PENDING)
                        return v;
        }

        qk = question_key(s->name, w->action, &w->details, w->interactive);
        q = strmap_get(a->questions, qk);
        if (!q) {
                int lane = w->interactive ? LANE_INTERACTIVE : LANE_PLAIN;
                Lane *l;
                u = user_get(a, s->uid);
                l = &u->lanes[lane];
                if (l->queued >= a->limits.max_queued_per_user) {
                        log_warning("Too many authorization questions queued for uid %u", (unsigned) s->uid);
                        return VERDICT_FAILED;
                }
                q = xmalloc0(sizeof(*q));
                q->a = a;
                q->key = xstrdup(qk);
                q->subject = xstrdup(s->name);
                q->user = u;
                q->action = xstrdup(w->action);
                details_copy(&q->details, &w->details);
                q->interactive = w->interactive;
                strmap_put(a->questions, q->key, q);
                if (l->tail)
                        l->tail->next_queued = q;
                else
                        l->head = q;
                l->tail = q;
                l->queued++;
                a->queued++;
                sd_event_now(a->loop, CLOCK_MONOTONIC, &q->queued_at);
                ring_add(a, u, lane);
        }
        w->question = q;
        w->next = q->waiters;
        if (q->waiters)
                q->waiters->prev = w;
        q->waiters = w;
        return VERDICT_PENDING;
}

static void waiter_free(AuthWaiter *w) {
        if (!w)
                return;
        free(w->action);
        details_clear(&w->details);
        free(w);
}

static void on_subject_known(Authority *a, Subject *s) {
        AuthWaiter *list = s->waiting_head;

        s->waiting_head = s->waiting_tail = NULL;
        /* In arrival order. */
        while (list) {
                AuthWaiter *w = list;
                list = w->next;
                w->next = w->prev = NULL;
                w->subject = NULL;
                if (w->resolve_cb) {
                        w->resolve_cb(w->ud, s->state == 2 ? 0 : -ESRCH);
                        waiter_free(w);
                        continue;
                }
                Verdict v = ask(a, s, w);
                if (v != VERDICT_PENDING) {
                        w->cb(w->ud, v);
                        waiter_free(w);
                }
        }
        send_queued(a);
}

static int on_uid_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Subject *s = userdata;
        Authority *a = s->a;
        uint32_t uid;

        s->slot = sd_bus_slot_unref(s->slot);
        if (sd_bus_message_is_method_error(reply, NULL) || sd_bus_message_read(reply, "u", &uid) < 0)
                s->state = -1;
        else {
                s->uid = uid;
                s->state = 2;
        }
        on_subject_known(a, s);
        if (s->gone || s->state == -1)
                strmap_remove(a->subjects, s->name);
        return 0;
}

static void subject_free(void *p) {
        Subject *s = p;

        if (!s)
                return;
        subject_forget_verdicts(s->a, s);
        /* Whoever still waits learns the caller is gone. */
        while (s->waiting_head) {
                AuthWaiter *w = s->waiting_head;
                s->waiting_head = w->next;
                w->subject = NULL;
                if (w->resolve_cb)
                        w->resolve_cb(w->ud, -ESRCH);
                else
                        w->cb(w->ud, VERDICT_FAILED);
                waiter_free(w);
        }
        sd_bus_slot_unref(s->slot);
        free(s->name);
        free(s);
}

static Subject *subject_get(Authority *a, const char *name) {
        Subject *s = strmap_get(a->subjects, name);
        int r;

        if (s)
                return s;
        s = xmalloc0(sizeof(*s));
        s->a = a;
        s->name = xstrdup(name);
        strmap_put(a->subjects, name, s);
        /* Asked once per caller, asynchronously: sd_bus_query_sender_creds()
         * would block the loop on the bus daemon. */
        s->state = 1;
        r = sd_bus_call_method_async(a->bus, &s->slot, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                     "org.freedesktop.DBus", "GetConnectionUnixUser", on_uid_reply, s, "s", name);
        if (r < 0)
                s->state = -1;
        return s;
}

static void subject_wait(Subject *s, AuthWaiter *w) {
        w->subject = s;
        w->next = NULL;
        w->prev = s->waiting_tail;
        if (s->waiting_tail)
                s->waiting_tail->next = w;
        else
                s->waiting_head = w;
        s->waiting_tail = w;
}

Verdict authority_check(Authority *a, const char *subject, const char *action, const Details *details,
                        bool interactive, authority_cb cb, void *ud, AuthWaiter **ret) {
        Subject *s;
        AuthWaiter *w;
        Verdict v;

        *ret = NULL;
        if (!a->enabled || !subject)
                return VERDICT_YES;
        s = subject_get(a, subject);
        w = xmalloc0(sizeof(*w));
        w->a = a;
        w->cb = cb;
        w->ud = ud;
        w->action = xstrdup(action);
        details_copy(&w->details, details);
        w->interactive = interactive;
        if (s->state == 1) {
                subject_wait(s, w);
                *ret = w;
                return VERDICT_PENDING;
        }
        v = ask(a, s, w);
        if (v != VERDICT_PENDING) {
                waiter_free(w);
                return v;
        }
        *ret = w;
        /* Sent from the loop, never from here: a failure to send answers
         * at once, and the caller must first learn it has to wait. */
        sd_event_source_set_enabled(a->kick, SD_EVENT_ONESHOT);
        return VERDICT_PENDING;
}

void authority_cancel(Authority *a, AuthWaiter *w) {
        if (!w)
                return;
        if (w->subject) {
                Subject *s = w->subject;
                if (w->prev)
                        w->prev->next = w->next;
                else
                        s->waiting_head = w->next;
                if (w->next)
                        w->next->prev = w->prev;
                else
                        s->waiting_tail = w->prev;
        } else if (w->question) {
                Question *q = w->question;
                if (w->prev)
                        w->prev->next = w->next;
                else
                        q->waiters = w->next;
                if (w->next)
                        w->next->prev = w->prev;
                /* Nobody waits for a question not sent yet: drop it. A sent
                 * one is answered into the cache anyway. */
                if (!q->waiters && !q->sent) {
                        User *u = q->user;
                        question_unqueue(a, q);
                        strmap_steal(a->questions, q->key);
                        question_free(q);
                        user_maybe_free(a, u);
                }
        }
        waiter_free(w);
}

Verdict authority_known(Authority *a, const char *subject, const char *action, const Details *details) {
        Subject *s;

        if (!a->enabled || !subject)
                return VERDICT_YES;
        s = strmap_get(a->subjects, subject);
        if (!s || s->state != 2)
                return VERDICT_PENDING;
        if (s->uid == 0)
                return VERDICT_YES;
        _cleanup_free_ char *ck = cache_key(subject, action, details);
        return cache_get(a, ck);
}

int authority_uid(Authority *a, const char *subject, uid_t *uid) {
        Subject *s = subject ? strmap_get(a->subjects, subject) : NULL;

        if (!s)
                return -ENOENT;
        if (s->state == 2) {
                *uid = s->uid;
                return 0;
        }
        return s->state == 1 ? -EAGAIN : -ESRCH;
}

int authority_resolve(Authority *a, const char *subject, void (*cb)(void *ud, int r), void *ud,
                      AuthWaiter **ret) {
        Subject *s;
        AuthWaiter *w;

        *ret = NULL;
        if (!subject)
                return 1;
        s = subject_get(a, subject);
        if (s->state != 1)
                return s->state == 2 ? 1 : -ESRCH;
        w = xmalloc0(sizeof(*w));
        w->a = a;
        w->resolve_cb = cb;
        w->ud = ud;
        subject_wait(s, w);
        *ret = w;
        return 0;
}

static void count_interactive(const char *key, void *value, void *ud) {
        User *u = value;
        unsigned *n = ud;

        *n += u->lanes[LANE_INTERACTIVE].queued;
}

void authority_stats(Authority *a, AuthorityStats *st) {
        *st = (AuthorityStats) {
                .cached = (unsigned) strmap_size(a->cache),
                .subjects = (unsigned) strmap_size(a->subjects),
                .users = (unsigned) strmap_size(a->users),
                .queued = a->queued,
                .sent = a->sent,
                .sent_interactive = a->sent_interactive,
        };
        strmap_foreach(a->users, count_interactive, &st->queued_interactive);
}

unsigned authority_subject_cached(Authority *a, const char *subject) {
        Subject *s = strmap_get(a->subjects, subject);
        unsigned n = 0;

        for (CacheEntry *e = s ? s->entries : NULL; e; e = e->subject_next)
                n++;
        return n;
}

/* ---- forgetting ------------------------------------------------------------ */

static int on_polkit_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        log_debug("polkit rules changed; forgetting cached verdicts");
        cache_clear(userdata);
        return 0;
}

/* The questions of a caller that left and that polkit has not seen yet
 * are not sent: whoever waits for them learns the answer is no. A storm
 * from callers that come and go costs polkit nothing. */
static void subject_drop_questions(Authority *a, Subject *s) {
        char k[32];
        User *u;

        if (s->state != 2)
                return;
        snprintf(k, sizeof(k), "%u", (unsigned) s->uid);
        u = strmap_get(a->users, k);
        /* First out of the queues, then answered: the answers may cancel
         * other questions, which must not be freed under this loop (a
         * question marked sent is left to its answer). */
        Question *drop = NULL;
        for (int lane = 0; u && lane < N_LANES; lane++)
                for (Question *q = u->lanes[lane].head, *next; q; q = next) {
                        next = q->next_queued;
                        if (!streq(q->subject, s->name))
                                continue;
                        question_unqueue(a, q);
                        q->sent = true;
                        q->next_queued = drop;
                        drop = q;
                }
        while (drop) {
                Question *q = drop;
                drop = q->next_queued;
                q->next_queued = NULL;
                answer(q, VERDICT_FAILED, false);
        }
        /* The answers may have freed the user: found again by uid. */
        user_maybe_free_uid(a, s->uid);
}

static int on_name_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Authority *a = userdata;
        const char *name, *old_owner, *new_owner;
        Subject *s;

        if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0)
                return 0;
        if (streq(name, POLKIT_NAME)) {
                /* A restarted polkitd may have other rules. */
                cache_clear(a);
                return 0;
        }
        if (name[0] != ':' || *new_owner || !(s = strmap_get(a->subjects, name)))
                return 0;
        subject_drop_questions(a, s);
        /* A lookup still in flight keeps the subject until it ends. */
        if (s->slot) {
                s->gone = true;
                subject_forget_verdicts(a, s);
        } else
                strmap_remove(a->subjects, name);
        return 0;
}

static void user_free(void *p) {
        free(p);
}

static void question_free_v(void *p) {
        question_free(p);
}

static int on_kick(sd_event_source *s, void *userdata) {
        send_queued(userdata);
        return 0;
}

Authority *authority_new(sd_event *loop, sd_bus *bus, bool enabled, const AuthorityLimits *limits) {
        Authority *a = xmalloc0(sizeof(*a));

        a->loop = sd_event_ref(loop);
        a->bus = sd_bus_ref(bus);
        a->enabled = enabled;
        a->limits = *limits;
        a->cache = strmap_new(cache_entry_free);
        a->subjects = strmap_new(subject_free);
        a->users = strmap_new(user_free);
        a->questions = strmap_new(question_free_v);
        if (sd_event_add_defer(loop, &a->kick, on_kick, a) >= 0)
                sd_event_source_set_enabled(a->kick, SD_EVENT_OFF);
        if (enabled) {
                sd_bus_match_signal_async(bus, &a->changed_slot, POLKIT_NAME, POLKIT_PATH, POLKIT_INTERFACE,
                                          "Changed", on_polkit_changed, NULL, a);
                sd_bus_match_signal_async(bus, &a->owner_slot, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                          "org.freedesktop.DBus", "NameOwnerChanged", on_name_owner_changed,
                                          NULL, a);
        }
        return a;
}

Authority *authority_free(Authority *a) {
        if (!a)
                return NULL;
        sd_bus_slot_unref(a->changed_slot);
        sd_bus_slot_unref(a->owner_slot);
        sd_event_source_disable_unref(a->kick);
        cache_clear(a);
        strmap_free(a->subjects);
        strmap_free(a->questions);
        strmap_free(a->users);
        strmap_free(a->cache);
        sd_bus_unref(a->bus);
        sd_event_unref(a->loop);
        free(a);
        return NULL;
}
