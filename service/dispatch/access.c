/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* How a call is authorized.
 *
 * Every permission a row names becomes one polkit action,
 * org.libvirt.dbus.<object>.<permission>, asked about the caller's unique
 * bus name with the details libvirt's own polkit driver passes
 * (connect_driver, domain_name, domain_uuid...), the host path a call names
 * (path), and the member called (verb).
 *
 * polkit is asked as rarely as the rules allow. Two actions that cover a
 * whole class of questions come first, each asked once per caller and
 * cached like any verdict: org.libvirt.dbus.manage (everything on every
 * object) and org.libvirt.dbus.monitor (seeing and reading every object).
 * Per-object questions are for callers that hold neither. Before anything
 * about an object is revealed, the caller must be allowed to see it
 * (getattr); a hidden object answers exactly like a missing one. */
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

#include "call.h"
#include "errors.h"
#include "log.h"
#include "objects.h"
#include "util.h"
#include "xmlcheck.h"

#define ACTION_PREFIX "org.libvirt.dbus."
#define ACTION_MANAGE ACTION_PREFIX "manage"
#define ACTION_MONITOR ACTION_PREFIX "monitor"

typedef enum AskWhat {
        ASK_MANAGE,
        ASK_MONITOR,
        ASK_PERM,               /* one of the call's permissions */
        ASK_OBJECT,             /* whether an object may be seen */
        ASK_ARG_OBJECT,         /* a permission on an object an argument names */
} AskWhat;

struct Ask {
        Call *call;
        AuthWaiter *waiter;
        Verdict verdict;
        AskWhat what;
        char *action;
        /* ASK_OBJECT in lists: which object. */
        Space *space;
        KindId kind;
        char *key;
};

struct Seen {
        bool all;
        /* The full picture (GetManagedObjects) shows every property: each
         * object needs getattr and read, its kind the connection's
         * search permission, and the connection getattr. */
        bool full;
        StrMap *yes;            /* "<space>\x1f<kind>\x1f<key>" -> verdicts granted */
};

static char *seen_key(Space *s, KindId kind, const char *key) {
        return xasprintf("%s\x1f%d\x1f%s", s->name, (int) kind, key);
}

/* The connection's own search permission for the objects of a kind. */
static const char *search_perm(KindId kind) {
        switch (kind) {
        case KIND_DOMAIN: return "search-domains";
        case KIND_NETWORK: return "search-networks";
        case KIND_STORAGE_POOL:
        case KIND_STORAGE_VOL: return "search-storage-pools";
        case KIND_SECRET: return "search-secrets";
        case KIND_NODE_DEVICE: return "search-node-devices";
        case KIND_INTERFACE: return "search-interfaces";
        case KIND_NWFILTER: return "search-nwfilters";
        default: return NULL;
        }
}

#define SEARCH_KEY "\x1dsearch"

static uintptr_t granted(const Seen *seen, Space *s, KindId kind, const char *key) {
        _cleanup_free_ char *k = seen_key(s, kind, key);
        return (uintptr_t) strmap_get(seen->yes, k);
}

static void grant(Seen *seen, Space *s, KindId kind, const char *key) {
        char *k = seen_key(s, kind, key);

        strmap_put(seen->yes, k, (void *) (granted(seen, s, kind, key) + 1));
        free(k);
}

bool access_may_see(const Seen *seen, Space *s, const Obj *o) {
        if (!seen || seen->all)
                return true;
        if (!seen->full)
                return granted(seen, s, o->kind->id, o->key) > 0;
        if (o == &s->self)
                return granted(seen, s, KIND_CONNECT, "") > 0;
        return granted(seen, s, o->kind->id, o->key) >= 2 && granted(seen, s, o->kind->id, SEARCH_KEY) > 0;
}

bool access_sees_all(const Seen *seen) {
        return !seen || seen->all;
}

bool access_call_sees_all(const Call *c) {
        return !dispatcher_options(c->d)->authorize || (c->uid_known && c->uid == 0) || c->manage == 1 ||
                c->monitor == 1;
}

static void asks_free(Call *c) {
        Authority *a = dispatcher_authority(c->d);

        for (unsigned i = 0; i < c->nasks; i++) {
                Ask *k = &c->asks[i];
                if (k->waiter)
                        authority_cancel(a, k->waiter);
                free(k->action);
                free(k->key);
        }
        free(c->asks);
        c->asks = NULL;
        c->nasks = 0;
        c->outstanding = 0;
}

void access_free(Call *c) {
        asks_free(c);
        if (c->seen) {
                strmap_free(c->seen->yes);
                free(c->seen);
                c->seen = NULL;
        }
}

static char *action_name(const char *object, const char *perm) {
        return xasprintf(ACTION_PREFIX "%s.%s", object, perm);
}

static bool in_monitor_scope(const char *perm) {
        return streq(perm, "getattr") || streq(perm, "read") || strncmp(perm, "search-", 7) == 0;
}

/* ---- rounds of questions ---------------------------------------------------- */

static void step(Call *c);

static void on_answer(void *ud, Verdict v) {
        Ask *k = ud;
        Call *c = k->call;

        k->waiter = NULL; /* freed by the engine after this */
        k->verdict = v;
        if (--c->outstanding == 0)
                step(c);
}

static Ask *ask_add(Call *c, AskWhat what, char *action) {
        Ask *k;

        c->asks = xrealloc(c->asks, sizeof(Ask) * (c->nasks + 1));
        k = &c->asks[c->nasks++];
        memset(k, 0, sizeof(*k));
        k->call = c;
        k->what = what;
        k->action = action;
        return k;
}

/* Sends every question of the round; the round is answered when the last
 * verdict is in (at once if all were known). */
static void ask_all(Call *c, const Details *const *details, bool interactive) {
        Authority *a = dispatcher_authority(c->d);

        c->outstanding = 1; /* held while sending */
        for (unsigned i = 0; i < c->nasks; i++) {
                Ask *k = &c->asks[i];
                c->outstanding++;
                k->verdict = authority_check(a, c->sender, k->action, details[i],
                                             interactive && k->what == ASK_PERM, on_answer, k, &k->waiter);
                if (k->verdict != VERDICT_PENDING) {
                        k->waiter = NULL;
                        c->outstanding--;
                }
        }
        if (c->outstanding > 1)
                call_waits(c);
        if (--c->outstanding == 0)
                step(c);
}

static void driver_details(Call *c, Space *s, Details *d) {
        details_set(d, "connect_driver", s->driver);
}

/* The manage and monitor questions, for whichever is still unknown. */
static bool ask_classes(Call *c, bool want_monitor) {
        Details none = { 0 };
        const Details *dv[2] = { &none, &none };

        if (!dispatcher_options(c->d)->authorize || (c->uid_known && c->uid == 0)) {
                c->manage = 1;
                return false;
        }
        asks_free(c);
        if (c->manage < 0)
                ask_add(c, ASK_MANAGE, xstrdup(ACTION_MANAGE));
        if (want_monitor && c->monitor < 0)
                ask_add(c, ASK_MONITOR, xstrdup(ACTION_MONITOR));
        if (c->nasks == 0)
                return false;
        ask_all(c, dv, false);
        return true;
}

static void take_classes(Call *c) {
        for (unsigned i = 0; i < c->nasks; i++) {
                Ask *k = &c->asks[i];
                if (k->what == ASK_MANAGE)
                        c->manage = k->verdict == VERDICT_YES;
                else if (k->what == ASK_MONITOR)
                        c->monitor = k->verdict == VERDICT_YES;
        }
}

static void refuse(Call *c, Verdict v, const char *action) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        unsigned uid = c->uid_known ? (unsigned) c->uid : (unsigned) -1;

        if (v == VERDICT_FAILED) {
                log_warning("Refused %s for uid %u: polkit did not answer", action, uid);
                sd_bus_error_setf(&e, SD_BUS_ERROR_ACCESS_DENIED,
                                  "Not authorized: %s (the authorization service is not available)", action);
        } else if (v == VERDICT_CHALLENGE && !sd_bus_message_get_allow_interactive_authorization(c->msg)) {
                sd_bus_error_setf(&e, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED,
                                  "Interactive authentication required for %s", action);
        } else {
                log_notice("Refused %s for uid %u", action, uid);
                sd_bus_error_setf(&e, SD_BUS_ERROR_ACCESS_DENIED, "Not authorized: %s", action);
        }
        call_fail(c, &e);
}

static void hide(Call *c) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;

        if (c->phase == PHASE_LOOKUP) {
                /* Indistinguishable from a lookup of nothing. */
                const VirtKind *vk = virt_kind(c->kind);
                sd_bus_error_set(&e, errors_name_for_code(vk ? vk->no_object : VIR_ERR_NO_DOMAIN),
                                 c->not_found ? c->not_found : "Object not found");
                call_fail(c, &e);
                return;
        }
        dispatch_unknown_object(&e, sd_bus_message_get_path(c->msg));
        call_fail(c, &e);
}

/* ---- seeing one object ---------------------------------------------------- */

/* The details of the object a call acts on, learned only when polkit is
 * asked about it. */
static void target_details(Call *c, Details *d) {
        Obj *o = c->has_target ? space_get(c->space, c->kind, c->key) : NULL;

        if (o)
                obj_details(o, d);
}

static void object_details(Call *c, Details *d) {
        details_clear(d);
        driver_details(c, c->space, d);
        target_details(c, d);
        for (unsigned i = 0; i < c->details.n; i++)
                if (!streq(c->details.d[i].key, "path"))
                        details_set(d, c->details.d[i].key, c->details.d[i].value);
}

/* The polkit object of the call's target: its kind's, or for a job the
 * object it acts on. */
static const char *polkit_object(Call *c) {
        return c->polkit_object ? c->polkit_object : kind_get(c->kind)->name;
}

static void see_one_step(Call *c) {
        if (c->round == 0) {
                c->round = 1;
                if (ask_classes(c, true))
                        return;
        }
        if (c->round == 1) {
                take_classes(c);
                if (c->manage == 1 || c->monitor == 1)
                        return call_continue(c);
                c->round = 2;
                Details d = { 0 };
                const Details *dv[1] = { &d };
                object_details(c, &d);
                asks_free(c);
                ask_add(c, ASK_OBJECT, action_name(polkit_object(c), "getattr"));
                ask_all(c, dv, false);
                details_clear(&d);
                return;
        }
        /* Whatever stands in the way, polkit's refusal or its silence, the
         * object is not shown: a missing one answers the same. */
        if (c->asks[0].verdict == VERDICT_YES)
                return call_continue(c);
        hide(c);
}

void access_visibility(Call *c) {
        if (!c->has_target)
                return call_continue(c);
        c->round = 0;
        see_one_step(c);
}

void access_lookup(Call *c) {
        c->round = 0;
        see_one_step(c);
}

/* ---- the call's own permissions ------------------------------------------ */

static const Kind *kind_by_polkit_object(const char *object);

/* The details of the object argument @p->on_arg names by key, from the
 * table (just its key when the table does not know it). */
static void arg_object_details(Call *c, const Perm *p, Details *d) {
        const Kind *k = kind_by_polkit_object(p->object);
        unsigned arg = (unsigned) p->on_arg - 1;
        const char *key = arg < c->nin && c->in[arg].type == 's' ? c->in[arg].s : "";
        Obj *o = k ? space_get(c->space, k->id, key) : NULL;

        driver_details(c, c->space, d);
        if (o)
                obj_details(o, d);
        else if (k && k->id == KIND_STORAGE_VOL)
                details_set(d, "vol_key", key);
}

static void hide_arg_object(Call *c, unsigned ask) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *key = NULL;

        /* Only volumes are named so (the source of a copy): libvirt's own
         * text for a key that names none. */
        for (unsigned i = 0; i < ROW_MAX_PERMS && !key; i++) {
                const Perm *p = &c->row->perms[i];
                if (p->object && p->on_arg > 0 && (unsigned) p->on_arg - 1 < c->nin)
                        key = utf8_truncate(value_get_str(&c->in[p->on_arg - 1]), 256);
        }
        sd_bus_error_setf(&e, errors_name_for_code(VIR_ERR_NO_STORAGE_VOL),
                          "Storage volume not found: no storage vol with matching key %s", strempty(key));
        call_fail(c, &e);
}

/* The call's flags argument, 0 for a row that has none. */
static uint64_t call_flags(Call *c) {
        return c->flags_arg >= 0 && c->in[c->flags_arg].type == 'u' ? c->in[c->flags_arg].u : 0;
}

static bool perm_applies(Call *c, const Perm *p) {
        uint64_t flags = call_flags(c);

        switch (p->when) {
        case WHEN_ALWAYS: return true;
        case WHEN_FLAGS_ALL: return (flags & p->value) == p->value;
        case WHEN_FLAGS_NONE: return (flags & p->value) == 0;
        case WHEN_ARG_EQUALS:
                if (p->arg < 0 || (unsigned) p->arg >= c->nin)
                        return false;
                switch (c->in[p->arg].type) {
                case 'u': return c->in[p->arg].u == p->value;
                case 'i': return (uint64_t) (int64_t) c->in[p->arg].i == p->value;
                default: return false;
                }
        }
        return false;
}

static void add_perms(Call *c, const Perm *list, unsigned size, const Perm **out, unsigned *n, unsigned max) {
        for (unsigned i = 0; i < size; i++) {
                const Perm *p = &list[i];
                bool dup = false;
                if (!p->object || !perm_applies(c, p))
                        continue;
                for (unsigned j = 0; j < *n; j++)
                        dup = dup || (streq(out[j]->object, p->object) && streq(out[j]->perm, p->perm));
                if (!dup && *n < max)
                        out[(*n)++] = p;
        }
}

/* The permissions this call needs, without repeats, in the row's order.
 * GetAll needs what reading each property needs. */
static unsigned needed(Call *c, const Perm **out, unsigned max) {
        unsigned n = 0;

        if (!c->iface)
                return 0;
        add_perms(c, c->iface->implicit, ELEMENTSOF(c->iface->implicit), out, &n, max);
        if (c->row && (c->row->flags & ROW_JOB_PERM)) {
                /* Canceling a job takes what its operation took; a job
                 * that could not be found asks for what nobody has. */
                if (!c->job_perm.object)
                        c->job_perm = (Perm) PERM("job", "unknown");
                add_perms(c, &c->job_perm, 1, out, &n, max);
        }
        if (c->row)
                add_perms(c, c->row->perms, ROW_MAX_PERMS, out, &n, max);
        else if (c->reading_properties)
                for (size_t i = 0; i < c->iface->nrows; i++)
                        if (c->iface->rows[i].type == ROW_PROPERTY)
                                add_perms(c, c->iface->rows[i].perms, ROW_MAX_PERMS, out, &n, max);
        return n;
}

static void authorize_step(Call *c) {
        const Perm *perms[ROW_MAX_PERMS * 4];
        unsigned n = needed(c, perms, ELEMENTSOF(perms));
        bool all_monitor = true, any_monitor = false;

        for (unsigned i = 0; i < n; i++) {
                all_monitor = all_monitor && in_monitor_scope(perms[i]->perm);
                any_monitor = any_monitor || in_monitor_scope(perms[i]->perm);
        }
        for (unsigned i = 0; i < c->work.nperms; i++) {
                all_monitor = all_monitor && in_monitor_scope(c->work.perms[i].perm);
                any_monitor = any_monitor || in_monitor_scope(c->work.perms[i].perm);
        }
        if (n == 0 && c->work.nperms == 0)
                return call_continue(c);
        if (c->round == 0) {
                c->round = 1;
                if (ask_classes(c, any_monitor))
                        return;
        }
        if (c->round == 1) {
                take_classes(c);
                if (c->manage == 1 || (all_monitor && c->monitor == 1))
                        return call_continue(c);
                c->round = 2;
                const char *verb = c->property ? c->property : sd_bus_message_get_member(c->msg);
                Details d = { 0 };
                /* Details of other objects: those the arguments name, then
                 * those the resolve step found. */
                Details *other = xmalloc0(sizeof(Details) * (n + c->work.nperms + 1));
                const Details **dv = xmalloc0(sizeof(Details *) * (n + c->work.nperms + 1));
                driver_details(c, c->space, &d);
                target_details(c, &d);
                for (unsigned i = 0; i < c->details.n; i++)
                        details_set(&d, c->details.d[i].key, c->details.d[i].value);
                /* The member (or property) called: rules can tell Shutdown
                 * from Reboot although both need init-control. */
                details_set(&d, "verb", verb);
                asks_free(c);
                for (unsigned i = 0; i < n; i++) {
                        /* What monitor covers is not asked again per
                         * object: a caller who may read everything is not
                         * refused a read because a rule says no to the
                         * per-object question. */
                        if (c->monitor == 1 && in_monitor_scope(perms[i]->perm))
                                continue;
                        unsigned k = c->nasks;
                        Ask *a = ask_add(c, ASK_PERM, action_name(perms[i]->object, perms[i]->perm));
                        dv[k] = &d;
                        if (perms[i]->on_arg > 0) {
                                /* About another object the arguments name:
                                 * its own details. */
                                arg_object_details(c, perms[i], &other[k]);
                                details_set(&other[k], "verb", verb);
                                dv[k] = &other[k];
                                a->what = ASK_ARG_OBJECT;
                        }
                }
                /* Permissions on the other objects the call found (the
                 * volumes a removal takes along), each with its own
                 * object's details. */
                for (unsigned i = 0; i < c->work.nperms; i++) {
                        Details *e = &other[n + i];
                        driver_details(c, c->space, e);
                        for (unsigned k = 0; k < c->work.perms[i].details.n; k++)
                                details_set(e, c->work.perms[i].details.d[k].key, c->work.perms[i].details.d[k].value);
                        details_set(e, "verb", verb);
                        /* Question k goes with dv[k]: the loop above may
                         * have asked fewer than n. */
                        dv[c->nasks] = e;
                        ask_add(c, ASK_PERM, action_name(c->work.perms[i].object, c->work.perms[i].perm));
                }
                unsigned nother = n + c->work.nperms;
                /* Answers from the cache come at once, and may end the
                 * call: @c is not touched after this. */
                ask_all(c, dv, sd_bus_message_get_allow_interactive_authorization(c->msg));
                details_clear(&d);
                for (unsigned i = 0; i < nother; i++)
                        details_clear(&other[i]);
                free(other);
                free(dv);
                return;
        }
        /* An object the arguments name that the caller may not see does
         * not exist, as for any lookup. */
        for (unsigned i = 0; i < c->nasks; i++)
                if (c->asks[i].what == ASK_ARG_OBJECT && c->asks[i].verdict == VERDICT_NO)
                        return hide_arg_object(c, i);
        /* The first refusal in the row's order names the action. */
        for (unsigned i = 0; i < c->nasks; i++)
                if (c->asks[i].verdict == VERDICT_FAILED)
                        return refuse(c, VERDICT_FAILED, c->asks[i].action);
        for (unsigned i = 0; i < c->nasks; i++)
                if (c->asks[i].verdict != VERDICT_YES)
                        return refuse(c, c->asks[i].verdict, c->asks[i].action);
        call_continue(c);
}

void access_authorize(Call *c) {
        c->round = 0;
        authorize_step(c);
}

/* ---- lists ------------------------------------------------------------------ */

static const Kind *kind_by_polkit_object(const char *object) {
        for (KindId k = KIND_CONNECT + 1; k < KIND_MAX; k++)
                if (streq(kind_get(k)->name, object))
                        return kind_get(k);
        return NULL;
}

/* The questions of the full picture, in one round: per connection its
 * getattr and each kind's search permission, per object getattr and read. */
static void ask_full_picture(Call *c) {
        Manager *m = dispatcher_manager(c->d);
        size_t total = 0, n = 0;
        const Details **dv;
        Details *ds;

        for (size_t i = 0; i < m->nconns; i++)
                for (KindId k = 0; k < KIND_MAX; k++)
                        total += 1 + 2 * obj_table_size(m->conns[i]->space->tables[k]);
        dv = xmalloc0(sizeof(Details *) * (total + 1));
        ds = xmalloc0(sizeof(Details) * (total + 1));
        for (size_t i = 0; i < m->nconns; i++) {
                Space *s = m->conns[i]->space;
                for (KindId k = 0; k < KIND_MAX; k++) {
                        const char *search = k == KIND_CONNECT ? "getattr" : search_perm(k);
                        Ask *a;
                        if (!search)
                                continue;
                        a = ask_add(c, ASK_OBJECT, action_name("connect", search));
                        a->space = s;
                        a->kind = k;
                        a->key = xstrdup(k == KIND_CONNECT ? "" : SEARCH_KEY);
                        driver_details(c, s, &ds[n]);
                        dv[n] = &ds[n];
                        n++;
                        if (k == KIND_CONNECT)
                                continue;
                        OBJ_TABLE_FOREACH(o, s->tables[k], b)
                                for (int p = 0; p < 2; p++) {
                                        a = ask_add(c, ASK_OBJECT, action_name(kind_get(k)->name,
                                                                               p == 0 ? "getattr" : "read"));
                                        a->space = s;
                                        a->kind = k;
                                        a->key = xstrdup(o->key);
                                        driver_details(c, s, &ds[n]);
                                        obj_details(o, &ds[n]);
                                        dv[n] = &ds[n];
                                        n++;
                                }
                }
        }
        ask_all(c, dv, false);
        for (size_t i = 0; i < n; i++)
                details_clear(&ds[i]);
        free(ds);
        free(dv);
}

static void list_step(Call *c) {
        Manager *m = dispatcher_manager(c->d);
        const char *perm = c->row && c->row->filter.perm ? c->row->filter.perm : "getattr";
        /* Only the kind the list shows is asked about. */
        const char *object = c->list_object ? c->list_object : c->row ? c->row->filter.object : NULL;
        const Kind *only = object ? kind_by_polkit_object(object) : NULL;

        if (!c->seen) {
                c->seen = xmalloc0(sizeof(*c->seen));
                c->seen->yes = strmap_new(NULL);
                c->seen->full = c->list_write && !c->list_object;
        }
        if (c->round == 0) {
                c->round = 1;
                if (ask_classes(c, in_monitor_scope(perm)))
                        return;
        }
        if (c->round == 1) {
                take_classes(c);
                if (c->manage == 1 || (in_monitor_scope(perm) && c->monitor == 1)) {
                        c->seen->all = true;
                        return call_continue(c);
                }
                c->round = 2;
                asks_free(c);
                if (c->seen->full)
                        return ask_full_picture(c);
                size_t total = 0;
                for (size_t i = 0; i < m->nconns; i++) {
                        Space *s = m->conns[i]->space;
                        if (c->row && s != c->space)
                                continue;
                        for (KindId k = KIND_CONNECT + 1; k < KIND_MAX; k++)
                                if (!only || only->id == k)
                                        total += obj_table_size(s->tables[k]);
                }
                const Details **dv = xmalloc0(sizeof(Details *) * (total + 1));
                Details *ds = xmalloc0(sizeof(Details) * (total + 1));
                size_t n = 0;
                for (size_t i = 0; i < m->nconns; i++) {
                        Space *s = m->conns[i]->space;
                        if (c->row && s != c->space)
                                continue;
                        for (KindId k = KIND_CONNECT + 1; k < KIND_MAX; k++) {
                                if (only && only->id != k)
                                        continue;
                                OBJ_TABLE_FOREACH(o, s->tables[k], b) {
                                        Ask *a = ask_add(c, ASK_OBJECT, action_name(obj_polkit_object(o), perm));
                                        a->space = s;
                                        a->kind = k;
                                        a->key = xstrdup(o->key);
                                        driver_details(c, s, &ds[n]);
                                        obj_details(o, &ds[n]);
                                        dv[n] = &ds[n];
                                        n++;
                                }
                        }
                }
                ask_all(c, dv, false);
                for (size_t i = 0; i < n; i++)
                        details_clear(&ds[i]);
                free(ds);
                free(dv);
                return;
        }
        /* A list never comes back silently short: if polkit could not
         * answer for every object, the call fails. */
        for (unsigned i = 0; i < c->nasks; i++) {
                Ask *a = &c->asks[i];
                if (a->verdict == VERDICT_FAILED)
                        return refuse(c, VERDICT_FAILED, a->action);
                if (a->verdict == VERDICT_YES)
                        grant(c->seen, a->space, a->kind, a->key);
        }
        asks_free(c);
        call_continue(c);
}

void access_list(Call *c) {
        c->round = 0;
        list_step(c);
}

static void step(Call *c) {
        switch (c->phase) {
        case PHASE_VISIBILITY:
        case PHASE_LOOKUP:
                see_one_step(c);
                break;
        case PHASE_AUTHORIZE:
                authorize_step(c);
                break;
        case PHASE_LIST:
                list_step(c);
                break;
        default:
                break;
        }
}

/* ---- arguments that name objects and host paths ----------------------------- */

static bool path_below(const char *path, const char *dir) {
        size_t n = strlen(dir);

        while (n > 1 && dir[n - 1] == '/')
                n--;
        return strncmp(path, dir, n) == 0 && (path[n] == '/' || (n == 1 && dir[0] == '/'));
}

/* The canonical form of a path libvirtd will open as root: every existing
 * component resolved, so polkit and the allowed directories see where it
 * really leads. The last component may not exist yet (a new save image). */
static int canonical_path(const char *path, char **ret, sd_bus_error *error) {
        char resolved[PATH_MAX];
        _cleanup_free_ char *dir = NULL;
        const char *base;
        struct stat st;

        if (path[0] != '/')
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "The path must be absolute");
        if (strlen(path) >= PATH_MAX)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "The path is too long");
        if (realpath(path, resolved)) {
                *ret = xstrdup(resolved);
                return 0;
        }
        if (errno != ENOENT)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Cannot use path: %m");
        /* A link that leads nowhere yet would make libvirtd create its
         * target, wherever that is. */
        if (lstat(path, &st) == 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "The path is a symbolic link to nothing");
        base = strrchr(path, '/') + 1;
        if (!*base || streq(base, ".") || streq(base, ".."))
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "The path names no file");
        dir = strndup(path, (size_t) (base - path));
        if (!realpath(dir, resolved))
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Cannot use the directory of the path: %m");
        *ret = xasprintf("%s%s%s", resolved, streq(resolved, "/") ? "" : "/", base);
        return 0;
}

/* Between the check and libvirtd's open, nobody but root may be able to
 * change what the path leads to: the file must be a regular file (or a
 * block device where XML names a device) or not exist yet, and every
 * directory from the allowed one down to the file's must belong to root and
 * be writable by root alone. Returns NULL or what is wrong. */
static const char *path_unsafe(const char *canon, const char *allowed_dir, bool device) {
        _cleanup_free_ char *d = xstrdup(canon);
        size_t top = strlen(allowed_dir);
        struct stat st;

        while (top > 1 && allowed_dir[top - 1] == '/')
                top--;
        if (lstat(canon, &st) == 0 && !S_ISREG(st.st_mode) && !(device && S_ISBLK(st.st_mode)))
                return "it is not a regular file";
        for (;;) {
                char *slash = strrchr(d, '/');
                if (!slash)
                        break;
                *(slash == d ? slash + 1 : slash) = 0;
                if (stat(d, &st) < 0)
                        return "a directory on the way cannot be read";
                if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)))
                        return "a directory on the way may be changed by others than root";
                if (strlen(d) <= top)
                        break;
        }
        return NULL;
}
/* Decides whether the caller may have libvirtd open @path as root: returns
 * its canonical form in *@ret, or refuses. */
static int host_path_allow(Call *c, const char *path, bool device, char **ret, sd_bus_error *error) {
        const DispatchOptions *o = dispatcher_options(c->d);
        _cleanup_free_ char *canon = NULL;
        bool root = !o->authorize || (c->uid_known && c->uid == 0), allowed = root;
        const char *unsafe = NULL;
        int r;

        r = canonical_path(path, &canon, error);
        if (r < 0)
                return r;
        for (char **d = o->host_path_dirs; !allowed && d && *d; d++)
                if (path_below(canon, *d)) {
                        unsafe = path_unsafe(canon, *d, device);
                        allowed = !unsafe;
                }
        if (unsafe) {
                log_notice("Refused host path %s for uid %u: %s", canon,
                           c->uid_known ? (unsigned) c->uid : (unsigned) -1, unsafe);
                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED, "Not authorized: %s: %s", canon, unsafe);
        }
        if (!allowed) {
                log_notice("Refused host path %s for uid %u: not below an allowed directory", canon,
                           c->uid_known ? (unsigned) c->uid : (unsigned) -1);
                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                         "Not authorized: %s is not below a directory where callers may name host files",
                                         canon);
        }
        *ret = TAKE_PTR(canon);
        return 0;
}

static int check_host_path(Call *c, unsigned arg, sd_bus_error *error) {
        _cleanup_free_ char *canon = NULL;
        const char *path = value_get_str(&c->in[arg]);
        int r;

        if (!*path)
                return 0;
        r = host_path_allow(c, path, false, &canon, error);
        if (r < 0)
                return r;
        details_set(&c->details, "path", canon);
        /* libvirt opens what the caller named; polkit was shown where it
         * leads: hand libvirt the same file. */
        value_clear(&c->in[arg]);
        c->in[arg] = value_take_str(TAKE_PTR(canon));
        return 0;
}

static int xml_path_allow(void *userdata, const char *path, char **replace, sd_bus_error *error) {
        Call *c = userdata;
        int r;

        /* An empty attribute names no host file; libvirt judges it. */
        if (!*path)
                return 0;
        r = host_path_allow(c, path, true, replace, error);
        if (r < 0)
                return r;
        /* The first path in the document is the target itself (a disk's
         * own <source> comes before anything nested in it): polkit's
         * detail. Every other one was allowed all the same. */
        if (!details_get(&c->details, "path"))
                details_set(&c->details, "path", *replace);
        return 0;
}

/* XML naming host files: each path is held to the same rule as a path
 * argument, and libvirt gets the document with the canonical paths. */
static int check_xml_host_paths(Call *c, unsigned arg, const char *what, sd_bus_error *error) {
        char *rewritten = NULL;
        int r = xml_rewrite_source_paths(value_get_str(&c->in[arg]), what, xml_path_allow, c, &rewritten, error);

        if (r < 0)
                return r;
        value_clear(&c->in[arg]);
        c->in[arg] = value_take_str(rewritten);
        return 0;
}

static bool flags_have(Call *c, uint64_t flags) {
        return (call_flags(c) & flags) == flags;
}

int access_check_args(Call *c, sd_bus_error *error) {
        for (unsigned i = 0; i < ROW_MAX_CHECKS; i++) {
                const ArgCheck *k = &c->row->checks[i];
                const char *s;
                int r = 0;

                if (k->type == CHECK_NONE)
                        continue;
                if (k->arg < 0 || (unsigned) k->arg >= c->nin || c->in[k->arg].type != 's')
                        return -EINVAL;
                s = c->in[k->arg].s;
                switch (k->type) {
                case CHECK_XML_OPTIONAL:
                        if (!*s)
                                break;
                        /* fall through */
                case CHECK_XML:
                        r = xml_check_wellformed(s, k->what, error);
                        break;
                case CHECK_OBJECT_XML_OPTIONAL:
                        if (!*s)
                                break;
                        /* fall through */
                case CHECK_OBJECT_XML: {
                        XmlFacts f;
                        r = xml_check_object(s, k->what, error, &f);
                        if (r < 0)
                                break;
                        kind_xml_details(kind_get(k->kind), f.name, f.uuid, f.mac, &c->details);
                        xml_facts_clear(&f);
                        break;
                }
                case CHECK_HOST_PATH:
                        r = check_host_path(c, (unsigned) k->arg, error);
                        break;
                case CHECK_HOST_PATH_IF_FLAGS:
                        if (flags_have(c, k->flags))
                                r = check_host_path(c, (unsigned) k->arg, error);
                        break;
                case CHECK_XML_HOST_PATHS:
                        r = check_xml_host_paths(c, (unsigned) k->arg, k->what, error);
                        break;
                default:
                        break;
                }
                if (r < 0)
                        return r;
        }
        /* A value too long to show polkit whole is refused once every
         * check has run (call.c, PHASE_READY). */
        return 0;
}

bool dispatch_sees_all_now(Dispatcher *d, sd_bus_message *m) {
        Authority *a = dispatcher_authority(d);
        const char *sender = sd_bus_message_get_sender(m);
        Details none = { 0 };

        if (!dispatcher_options(d)->authorize || !sender)
                return true;
        return authority_known(a, sender, ACTION_MANAGE, &none) == VERDICT_YES ||
                authority_known(a, sender, ACTION_MONITOR, &none) == VERDICT_YES;
}
