/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Per-caller authorization through polkit.
 *
 * Every call maps to one action, org.libvirt.dbus.<object>.<permission>.
 * polkit is asked asynchronously with the caller's unique bus name as the
 * subject, never a PID. Verdicts are cached per caller, per action and per
 * domain, dropped when the caller leaves the bus, and all dropped when
 * polkit's Authority says its rules changed. On the session bus only the
 * bus's own user can connect, so nothing is checked there. */
#include <stdio.h>

#include "auth.h"
#include "bus.h"
#include "log.h"
#include "manager.h"
#include "strmap.h"
#include "util.h"

#define POLKIT_NAME "org.freedesktop.PolicyKit1"
#define POLKIT_PATH "/org/freedesktop/PolicyKit1/Authority"
#define POLKIT_INTERFACE "org.freedesktop.PolicyKit1.Authority"
#define CHECK_TIMEOUT_USEC (10 * 1000 * 1000ULL)
/* A person typing a password takes a while; no one else waits for it. */
#define INTERACTIVE_TIMEOUT_USEC (300 * 1000 * 1000ULL)

enum { VERDICT_YES = 1, VERDICT_NO = 2 };
enum { ROLE_VISIBILITY, ROLE_PREFETCH, ROLE_ACTION };

typedef struct Waiter {
        struct Waiter *next;
        Job *job;
        int role;
} Waiter;

/* polkit's own "keep" grants (auth_admin_keep) expire after a few minutes
 * without a Changed signal, so a remembered verdict is trusted only this
 * long; lists still need one round of questions per minute at most. */
#define VERDICT_TTL_USEC (60 * 1000 * 1000ULL)

typedef struct Verdict {
        int value;
        uint64_t at;
} Verdict;

typedef struct Caller {
        Auth *auth;
        char *name;
        uid_t uid;
        int uid_state;          /* 0 unknown, 1 asking, 2 known, -1 failed */
        StrMap *verdicts;       /* key -> Verdict */
        Job *waiting;           /* jobs waiting for the uid */
        sd_bus_slot *uid_slot;
        bool gone;              /* left the bus while its uid was looked up */
} Caller;

typedef struct Check {
        Auth *auth;
        char *caller;
        char *inflight_key;
        char *key;
        Waiter *waiters;
        sd_bus_message *call;   /* the question, until it is sent */
        bool interactive;
        struct Check *next_queued;
        sd_bus_slot *slot;
} Check;

/* The bus lets one connection wait for at most 128 replies: questions to
 * polkit beyond this many wait in a queue, in order. */
#define MAX_CHECKS_SENT 32

struct Auth {
        Manager *manager;
        StrMap *callers;        /* unique name -> Caller */
        StrMap *inflight;       /* caller|key|interactive -> Check */
        Check *queue_head, *queue_tail;
        unsigned sent;
        sd_bus_slot *changed_slot;
        sd_bus_slot *owner_slot;
};

static void caller_free(void *p) {
        Caller *c = p;

        if (!c)
                return;
        /* Jobs still waiting belong to a caller that left: drop them. */
        while (c->waiting) {
                Job *j = c->waiting;
                c->waiting = j->next;
                j->conn->manager->jobs--;
                job_free(j);
        }
        sd_bus_slot_unref(c->uid_slot);
        strmap_free(c->verdicts);
        free(c->name);
        free(c);
}

static void check_free(void *p) {
        Check *k = p;

        if (!k)
                return;
        sd_bus_slot_unref(k->slot);
        sd_bus_message_unref(k->call);
        while (k->waiters) {
                Waiter *w = k->waiters;
                k->waiters = w->next;
                free(w);
        }
        free(k->caller);
        free(k->inflight_key);
        free(k->key);
        free(k);
}

static Caller *caller_get(Auth *a, const char *name) {
        Caller *c = strmap_get(a->callers, name);

        if (!c) {
                c = xmalloc0(sizeof(*c));
                c->auth = a;
                c->name = xstrdup(name);
                c->verdicts = strmap_new(free);
                strmap_put(a->callers, name, c);
        }
        return c;
}

/* What a rule may decide on is what a verdict is cached for: the action,
 * the domain (by UUID and name) and the verb. */
static char *verdict_key(const char *action, const char *uuid, const char *name, const char *verb) {
        /* Whether a domain may be seen does not depend on how one looks:
         * getattr verdicts ignore the verb, so lists, lookups and object
         * calls agree about which domains exist. */
        if (strstr(action, ".getattr"))
                verb = "";
        return xasprintf("%s|%s|%s|%s", action, uuid ? uuid : "", name ? name : "", verb ? verb : "");
}

static const char *verb_of_msg(sd_bus_message *m) {
        const char *v = m ? sd_bus_message_get_member(m) : NULL;
        return v ? v : "";
}

static const char *verb_of(Job *j) {
        return j->verb ? j->verb : verb_of_msg(j->msg);
}

static int verdict(Caller *c, const char *key) {
        Verdict *v = strmap_get(c->verdicts, key);
        uint64_t now = 0;

        if (!v)
                return 0;
        sd_event_now(c->auth->manager->loop, CLOCK_MONOTONIC, &now);
        if (now - v->at > VERDICT_TTL_USEC) {
                strmap_remove(c->verdicts, key);
                return 0;
        }
        return v->value;
}

static const char *driver_of(Job *j) {
        return j->conn->driver && *j->conn->driver ? j->conn->driver : j->conn->name;
}

/* ---- finishing a job's authorization ----------------------------------- */

/* @c may be NULL: the caller left the bus while polkit was deciding. */
static void decide(Auth *a, Caller *c, Job *j) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        unsigned uid = c && c->uid_state == 2 ? (unsigned) c->uid : (unsigned) -1;
        _cleanup_free_ char *action = xasprintf("org.libvirt.dbus.%s.%s", j->object, j->permission);

        if (j->auth_hidden) {
                /* Exactly what a domain that does not exist gets. */
                sd_bus_error_setf(&e, SD_BUS_ERROR_UNKNOWN_OBJECT, "Unknown object '%s'.",
                                  sd_bus_message_get_path(j->msg));
        } else if (j->auth_failed) {
                log_warning("Refused %s for uid %u: polkit did not answer", action, uid);
                sd_bus_error_setf(&e, SD_BUS_ERROR_ACCESS_DENIED,
                                  "Not authorized: %s (the authorization service is not available)", action);
        } else if (j->auth_challenge && !sd_bus_message_get_allow_interactive_authorization(j->msg)) {
                sd_bus_error_setf(&e, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED,
                                  "Interactive authentication required for %s", action);
        } else if (j->auth_denied || j->auth_challenge) {
                log_notice("Refused %s for uid %u", action, uid);
                sd_bus_error_setf(&e, SD_BUS_ERROR_ACCESS_DENIED, "Not authorized: %s", action);
        }
        if (sd_bus_error_is_set(&e))
                return job_authorized(j, -EACCES, &e);
        job_authorized(j, 0, NULL);
}

static void on_check_done(Check *k, int result, bool challenge, bool failed) {
        Auth *a = k->auth;
        Caller *c = strmap_get(a->callers, k->caller);

        if (c && !failed && !challenge) {
                Verdict *v = xmalloc0(sizeof(*v));
                v->value = result;
                sd_event_now(a->manager->loop, CLOCK_MONOTONIC, &v->at);
                strmap_put(c->verdicts, k->key, v);
        }
        for (Waiter *w = k->waiters; w; w = w->next) {
                Job *j = w->job;
                if (w->role == ROLE_VISIBILITY && (result != VERDICT_YES || failed))
                        j->auth_hidden = !failed;
                if (w->role == ROLE_VISIBILITY && failed)
                        j->auth_failed = true;
                if (w->role == ROLE_ACTION) {
                        if (failed)
                                j->auth_failed = true;
                        else if (challenge)
                                j->auth_challenge = true;
                        else if (result != VERDICT_YES)
                                j->auth_denied = true;
                }
                if (--j->auth_outstanding == 0)
                        decide(a, c, j);
        }
        /* Frees k (and its waiters). */
        strmap_remove(a->inflight, k->inflight_key);
}

static int on_check_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error);
static int check_answered(Check *k, sd_bus_message *reply);

/* Sends queued questions while fewer than MAX_CHECKS_SENT are out. */
static void send_queued(Auth *a) {
        while (a->queue_head && a->sent < MAX_CHECKS_SENT) {
                Check *k = a->queue_head;
                int r;

                a->queue_head = k->next_queued;
                if (!a->queue_head)
                        a->queue_tail = NULL;
                k->next_queued = NULL;
                r = sd_bus_call_async(a->manager->bus, &k->slot, k->call, on_check_reply, k,
                                      k->interactive ? INTERACTIVE_TIMEOUT_USEC : CHECK_TIMEOUT_USEC);
                k->call = sd_bus_message_unref(k->call);
                if (r < 0) {
                        /* Unreachable polkit means no. */
                        on_check_done(k, VERDICT_NO, false, true);
                        continue;
                }
                a->sent++;
        }
}

static int on_check_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Check *k = userdata;
        Auth *a = k->auth;
        int r;

        a->sent--;
        r = check_answered(k, reply);
        send_queued(a);
        return r;
}

static int check_answered(Check *k, sd_bus_message *reply) {
        int authorized = 0, challenge = 0, r;

        log_debug("polkit answered for %s: %s", k->caller, k->key);
        if (sd_bus_message_is_method_error(reply, NULL)) {
                log_warning("polkit CheckAuthorization failed: %s",
                            sd_bus_message_get_error(reply)->message);
                on_check_done(k, VERDICT_NO, false, true);
                return 0;
        }
        r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
        if (r >= 0)
                r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
        if (r < 0) {
                on_check_done(k, VERDICT_NO, false, true);
                return 0;
        }
        log_debug("polkit: authorized=%d challenge=%d", authorized, challenge);
        on_check_done(k, authorized ? VERDICT_YES : VERDICT_NO, !authorized && challenge, false);
        return 0;
}

static int append_detail(sd_bus_message *m, const char *k, const char *v) {
        return sd_bus_message_append(m, "{ss}", k, v ? v : "");
}

/* Asks polkit, or joins a question already asked. */
static int request(Auth *a, Caller *c, Job *j, int role, const char *object, const char *permission,
                   const char *uuid, const char *name) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_free_ char *action = xasprintf("org.libvirt.dbus.%s.%s", object, permission);
        bool interactive = role == ROLE_ACTION && sd_bus_message_get_allow_interactive_authorization(j->msg);
        char *key = verdict_key(action, uuid, name, verb_of(j));
        _cleanup_free_ char *ikey = xasprintf("%s|%s|%d", c->name, key, interactive);
        Check *k = strmap_get(a->inflight, ikey);
        Waiter *w = xmalloc0(sizeof(*w));
        int r;

        w->job = j;
        w->role = role;
        j->auth_outstanding++;
        if (k) {
                free(key);
                w->next = k->waiters;
                k->waiters = w;
                return 0;
        }
        k = xmalloc0(sizeof(*k));
        k->auth = a;
        k->caller = xstrdup(c->name);
        k->inflight_key = xstrdup(ikey);
        k->key = key;
        k->waiters = w;
        strmap_put(a->inflight, ikey, k);

        r = sd_bus_message_new_method_call(a->manager->bus, &m, POLKIT_NAME, POLKIT_PATH, POLKIT_INTERFACE,
                                           "CheckAuthorization");
        if (r >= 0)
                r = sd_bus_message_append(m, "(sa{sv})", "system-bus-name", 1, "name", "s", c->name);
        if (r >= 0)
                r = sd_bus_message_append(m, "s", action);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "{ss}");
        if (r >= 0)
                r = append_detail(m, "connect_driver", driver_of(j));
        if (r >= 0 && uuid && *uuid)
                r = append_detail(m, "domain_uuid", uuid);
        if (r >= 0 && name)
                r = append_detail(m, "domain_name", name);
        /* The method (or Get/Set/GetAll) named in the call: rules can tell
         * Shutdown from Reboot although both need init-control. */
        if (r >= 0)
                r = append_detail(m, "verb", verb_of(j));
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_append(m, "us", (uint32_t) (interactive ? 1 : 0), "");
        if (r < 0) {
                /* The waiter's count drops in on_check_done(), which decides
                 * if it was last: hold one so the caller of request() does. */
                j->auth_outstanding++;
                on_check_done(k, VERDICT_NO, false, true);
                j->auth_outstanding--;
                return 0;
        }
        k->call = TAKE_PTR(m);
        k->interactive = interactive;
        if (a->queue_tail)
                a->queue_tail->next_queued = k;
        else
                a->queue_head = k;
        a->queue_tail = k;
        /* A failure to send decides through on_check_done(): hold the job. */
        j->auth_outstanding++;
        send_queued(a);
        j->auth_outstanding--;
        return 0;
}

static void prefetch_connection(Auth *a, Caller *c, Job *j, Connection *conn) {
        size_t b = 0;

        for (DomainNode *n = domain_table_next(conn->domains, &b, NULL); n;
             n = domain_table_next(conn->domains, &b, n)) {
                _cleanup_free_ char *key = verdict_key("org.libvirt.dbus.domain.getattr", n->info.uuid,
                                                       n->info.name, verb_of(j));
                if (!verdict(c, key))
                        request(a, c, j, ROLE_PREFETCH, "domain", "getattr", n->info.uuid, n->info.name);
        }
}

/* With the caller's uid known: decide from the cache, or ask. */
static int evaluate(Auth *a, Caller *c, Job *j) {
        _cleanup_free_ char *action = xasprintf("org.libvirt.dbus.%s.%s", j->object, j->permission);
        const char *uuid = j->uuid[0] ? j->uuid : NULL;
        bool same_as_visibility = streq(j->object, "domain") && streq(j->permission, "getattr");

        if (c->uid_state == 2 && c->uid == 0)
                return 1;
        if (c->uid_state != 2) {
                /* Without a uid there is no one to ask polkit about. */
                j->auth_failed = true;
                decide(a, c, j);
                return 0;
        }

        /* Hold one count so nothing decides before every question is out.
         * The call's own action is asked first, then whether the domain may
         * be seen, then (for lists) every domain of the connection. */
        j->auth_outstanding++;
        if (!(same_as_visibility && uuid)) {
                _cleanup_free_ char *key = verdict_key(action, uuid ? uuid : j->xml_uuid, j->dom_name,
                                                       verb_of(j));
                int v = verdict(c, key);
                if (v == VERDICT_NO)
                        j->auth_denied = true;
                else if (!v)
                        request(a, c, j, ROLE_ACTION, j->object, j->permission, uuid ? uuid : j->xml_uuid,
                                j->dom_name);
        }
        if (uuid && streq(j->object, "domain")) {
                _cleanup_free_ char *vkey = verdict_key("org.libvirt.dbus.domain.getattr", uuid, j->dom_name,
                                                        verb_of(j));
                int v = verdict(c, vkey);
                if (v == VERDICT_NO)
                        j->auth_hidden = true;
                else if (!v)
                        request(a, c, j, ROLE_VISIBILITY, "domain", "getattr", uuid, j->dom_name);
        }
        if (j->list_all)
                for (size_t i = 0; i < a->manager->nconns; i++)
                        if (j->any_state || a->manager->conns[i] == j->conn)
                                prefetch_connection(a, c, j, a->manager->conns[i]);
        if (--j->auth_outstanding > 0)
                return 0;
        if (!j->auth_hidden && !j->auth_denied && !j->auth_failed && !j->auth_challenge)
                return 1;
        decide(a, c, j);
        return 0;
}

/* ---- the caller's uid -------------------------------------------------- */

static int on_uid_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Caller *c = userdata;
        Auth *a = c->auth;
        uint32_t uid;
        Job *list;

        c->uid_slot = sd_bus_slot_unref(c->uid_slot);
        if (sd_bus_message_is_method_error(reply, NULL) || sd_bus_message_read(reply, "u", &uid) < 0) {
                c->uid_state = -1;
        } else {
                c->uid = uid;
                c->uid_state = 2;
        }
        list = c->waiting;
        c->waiting = NULL;
        while (list) {
                Job *j = list;
                list = j->next;
                j->next = NULL;
                if (evaluate(a, c, j) > 0)
                        job_authorized(j, 0, NULL);
        }
        if (c->gone || c->uid_state == -1)
                strmap_remove(a->callers, c->name);
        return 0;
}

int auth_check(Auth *a, Job *j) {
        const char *sender;
        Caller *c;
        int r;

        if (!a->manager->system_bus)
                return 1;
        sender = sd_bus_message_get_sender(j->msg);
        if (!sender)
                return 1; /* a direct peer-to-peer connection: only the owner */
        c = caller_get(a, sender);
        if (c->uid_state == 2 || c->uid_state == -1)
                return evaluate(a, c, j);

        /* In arrival order: a caller's pipelined calls must run as sent. */
        Job **tail = &c->waiting;
        while (*tail)
                tail = &(*tail)->next;
        j->next = NULL;
        *tail = j;
        if (c->uid_state == 1)
                return 0;
        c->uid_state = 1;
        /* Asked once per caller, asynchronously: sd_bus_query_sender_creds()
         * would block the loop on the bus daemon. */
        r = sd_bus_call_method_async(a->manager->bus, &c->uid_slot, "org.freedesktop.DBus",
                                     "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                     "GetConnectionUnixUser", on_uid_reply, c, "s", sender);
        if (r < 0) {
                c->waiting = NULL; /* j was the first and only one */
                c->uid_state = -1;
                return r;
        }
        return 0;
}

/* ---- visibility -------------------------------------------------------- */

static int visibility(sd_bus_message *m, DomainEntry *e) {
        Manager *mgr = e->conn->manager;
        const char *sender;
        Caller *c;

        if (!mgr->system_bus || !m || !(sender = sd_bus_message_get_sender(m)))
                return VERDICT_YES;
        c = strmap_get(mgr->auth->callers, sender);
        if (!c)
                return 0;
        if (c->uid_state == 2 && c->uid == 0)
                return VERDICT_YES;
        _cleanup_free_ char *key = verdict_key("org.libvirt.dbus.domain.getattr", e->node.info.uuid,
                                               e->node.info.name, verb_of_msg(m));
        return verdict(c, key);
}

bool auth_may_see(sd_bus_message *m, DomainEntry *e) {
        /* Object lookups let an unknown verdict through: the call's own
         * authorization asks polkit before anything is revealed. */
        return e && visibility(m, e) != VERDICT_NO;
}

bool auth_list_may_see(sd_bus_message *m, DomainEntry *e) {
        /* Lists learned every verdict first; one still unknown belongs to a
         * domain that appeared meanwhile and is left out. */
        return e && visibility(m, e) == VERDICT_YES;
}

/* ---- cache invalidation ------------------------------------------------ */

static void clear_verdicts(const char *key, void *value, void *ud) {
        strmap_clear(((Caller *) value)->verdicts);
}

static int on_polkit_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Auth *a = userdata;

        log_debug("polkit rules changed; forgetting cached verdicts");
        strmap_foreach(a->callers, clear_verdicts, NULL);
        return 0;
}

static int on_name_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Auth *a = userdata;
        const char *name, *old_owner, *new_owner;

        if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0)
                return 0;
        if (streq(name, POLKIT_NAME)) {
                /* A restarted polkitd may have other rules. */
                strmap_foreach(a->callers, clear_verdicts, NULL);
                return 0;
        }
        if (name[0] == ':' && !*new_owner) {
                Caller *c = strmap_get(a->callers, name);
                /* A lookup still in flight keeps the entry until it ends. */
                if (c && c->uid_slot)
                        c->gone = true;
                else if (c)
                        strmap_remove(a->callers, name);
        }
        return 0;
}

Auth *auth_new(Manager *m) {
        Auth *a = xmalloc0(sizeof(*a));

        a->manager = m;
        a->callers = strmap_new(caller_free);
        a->inflight = strmap_new(check_free);
        if (m->system_bus) {
                sd_bus_match_signal_async(m->bus, &a->changed_slot, POLKIT_NAME, POLKIT_PATH, POLKIT_INTERFACE,
                                          "Changed", on_polkit_changed, NULL, a);
                sd_bus_match_signal_async(m->bus, &a->owner_slot, "org.freedesktop.DBus",
                                          "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                          "NameOwnerChanged", on_name_owner_changed, NULL, a);
        }
        return a;
}

Auth *auth_free(Auth *a) {
        if (!a)
                return NULL;
        sd_bus_slot_unref(a->changed_slot);
        sd_bus_slot_unref(a->owner_slot);
        strmap_free(a->inflight);
        strmap_free(a->callers);
        free(a);
        return NULL;
}
