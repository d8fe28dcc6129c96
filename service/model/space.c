/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "paths.h"
#include "space.h"
#include "strmap.h"
#include "util.h"

#define FOREACH_OBSERVER(s, i) for (unsigned i = 0; i < (s)->nobservers; i++)

Space *space_new(const char *name, void (*free_handle)(const Kind *k, void *handle)) {
        Space *s = xmalloc0(sizeof(*s));

        s->name = xstrdup(name);
        s->path = xasprintf("/org/libvirt/%s", name);
        for (KindId k = 0; k < KIND_MAX; k++) {
                const Kind *kind = kind_get(k);
                if (kind->segment)
                        s->prefix[k] = xasprintf("%s/%s", s->path, kind->segment);
                s->tables[k] = obj_table_new();
        }
        s->snapshot_prefix = xasprintf("%s/domainsnapshot", s->path);
        s->driver = xstrdup(name);
        s->self.kind = kind_get(KIND_CONNECT);
        s->self.key = xstrdup(name);
        s->self.path = xstrdup(s->path);
        s->self.announced = true;
        for (unsigned i = 0; i < s->self.kind->nfacts; i++) {
                const char *sig = s->self.kind->facts[i].sig;
                s->self.facts[i] = sig[0] == 's' ? value_str("") : (Value) { .type = sig[0] };
        }
        s->tombstones = strmap_new(free);
        s->free_handle = free_handle;
        return s;
}

static void obj_free(Obj *o, void *ud) {
        Space *s = ud;

        if (!o)
                return;
        if (o->handle && s->free_handle)
                s->free_handle(o->kind, o->handle);
        facts_clear(o->kind, o->facts);
        free(o->key);
        free(o->path);
        free(o);
}

void space_free(Space *s) {
        if (!s)
                return;
        for (KindId k = 0; k < KIND_MAX; k++) {
                obj_table_free(s->tables[k], obj_free, s);
                free(s->prefix[k]);
        }
        facts_clear(s->self.kind, s->self.facts);
        free(s->self.key);
        free(s->self.path);
        strmap_free(s->tombstones);
        free(s->pins);
        free(s->snapshot_prefix);
        free(s->driver);
        free(s->name);
        free(s->path);
        free(s);
}

void space_observe(Space *s, const SpaceObserver *ops, void *ud) {
        if (s->nobservers >= SPACE_MAX_OBSERVERS)
                abort();
        s->observers[s->nobservers].ops = ops;
        s->observers[s->nobservers].ud = ud;
        s->nobservers++;
}

Obj *space_get(Space *s, KindId kind, const char *key) {
        return obj_table_get(s->tables[kind], key);
}

Obj *space_by_path(Space *s, const char *path) {
        if (streq(path, s->path))
                return &s->self;
        for (KindId k = KIND_CONNECT + 1; k < KIND_MAX; k++) {
                size_t n = strlen(s->prefix[k]);
                if (strncmp(path, s->prefix[k], n) != 0 || path[n] != '/')
                        continue;
                _cleanup_free_ char *key = path_to_key(s->prefix[k], path, kind_get(k)->uuid_keys);
                return key ? space_get(s, k, key) : NULL;
        }
        return NULL;
}

char *space_path_for(Space *s, KindId kind, const char *key) {
        return path_for_key(s->prefix[kind], key, kind_get(kind)->uuid_keys);
}

void space_changed(Space *s, Obj *o, uint64_t mask) {
        if (!mask || !o->announced)
                return;
        FOREACH_OBSERVER(s, i)
                if (s->observers[i].ops->changed)
                        s->observers[i].ops->changed(s->observers[i].ud, s, o, mask);
}

Obj *space_upsert(Space *s, KindId kind, const char *key, const Value *facts, void *handle) {
        const Kind *k = kind_get(kind);
        Obj *o = space_get(s, kind, key);

        if (o) {
                Value next[MAX_FACTS] = { 0 };
                uint64_t mask;

                /* What the daemon keeps itself no reading of libvirt knows. */
                facts_copy(k, next, facts);
                for (unsigned i = 0; i < k->nfacts; i++)
                        if (k->facts[i].flags & FACT_LOCAL)
                                value_copy(&next[i], &o->facts[i]);
                mask = facts_diff(k, o->facts, next);
                facts_clear(k, o->facts);
                memcpy(o->facts, next, sizeof(next));
                if (handle) {
                        if (o->handle && s->free_handle)
                                s->free_handle(k, o->handle);
                        o->handle = handle;
                }
                space_changed(s, o, mask);
                return o;
        }

        o = xmalloc0(sizeof(*o));
        o->kind = k;
        o->key = xstrdup(key);
        o->path = space_path_for(s, kind, key);
        o->handle = handle;
        o->serial = ++s->serials;
        facts_copy(k, o->facts, facts);
        /* Findable first, announced second. */
        obj_table_put(s->tables[kind], o);
        o->announced = true;
        uint64_t serial = o->serial;
        FOREACH_OBSERVER(s, i) {
                /* An observer may have removed it meanwhile (events that
                 * waited for the object are replayed when it appears, and
                 * one may say it is gone): the later ones must not hear of
                 * it. */
                Obj *now = space_get(s, kind, key);
                if (!now || now->serial != serial)
                        return now;
                if (s->observers[i].ops->added)
                        s->observers[i].ops->added(s->observers[i].ud, s, now);
        }
        return space_get(s, kind, key);
}

static char *tombstone_key(const Obj *o) {
        return xasprintf("%d/%s", (int) o->kind->id, o->key);
}

void space_remove(Space *s, Obj *o) {
        _cleanup_free_ char *tk = tombstone_key(o);
        uint64_t *at = xmalloc0(sizeof(*at));

        /* Announced gone while still findable, so the signal can list the
         * interfaces; forgotten second. */
        FOREACH_OBSERVER(s, i)
                if (s->observers[i].ops->removed)
                        s->observers[i].ops->removed(s->observers[i].ud, s, o);
        _cleanup_free_ char *key = xstrdup(o->key);
        KindId kind = o->kind->id;

        *at = ++s->changes;
        /* Only a view in flight can be older than this removal. */
        if (s->npins > 0)
                strmap_put(s->tombstones, tk, at);
        else
                free(at);
        obj_table_remove(s->tables[kind], o);
        obj_free(o, s);
        FOREACH_OBSERVER(s, i)
                if (s->observers[i].ops->forgotten)
                        s->observers[i].ops->forgotten(s->observers[i].ud, s, kind, key);
}

void space_set_fact(Space *s, Obj *o, unsigned index, Value v) {
        bool changed = !value_equal(&o->facts[index], &v);

        value_clear(&o->facts[index]);
        o->facts[index] = v;
        if (changed)
                space_changed(s, o, UINT64_C(1) << index);
}

void space_set_self(Space *s, unsigned index, Value v) {
        uint64_t changed = !value_equal(&s->self.facts[index], &v);

        value_clear(&s->self.facts[index]);
        s->self.facts[index] = v;
        if (changed)
                space_changed(s, &s->self, UINT64_C(1) << index);
}

void space_signal(Space *s, const char *path, const char *interface, const char *member,
                  const Value *args, unsigned nargs) {
        FOREACH_OBSERVER(s, i)
                if (s->observers[i].ops->signal)
                        s->observers[i].ops->signal(s->observers[i].ud, s, path, interface, member, args, nargs);
}

bool space_gone_since(Space *s, KindId kind, const char *key, uint64_t since) {
        _cleanup_free_ char *tk = xasprintf("%d/%s", (int) kind, key);
        uint64_t *at = strmap_get(s->tombstones, tk);

        return at && *at > since;
}

typedef struct PruneCtx {
        uint64_t oldest;
        char **doomed;
        size_t n, max;
} PruneCtx;

static void collect_old(const char *key, void *value, void *ud) {
        PruneCtx *p = ud;

        if (*(uint64_t *) value <= p->oldest && p->n < p->max)
                p->doomed[p->n++] = xstrdup(key);
}

/* Forgets the removals no pinned view can still be compared with. */
static void prune(Space *s) {
        size_t size = strmap_size(s->tombstones);
        PruneCtx p = { .oldest = s->changes, .max = size };

        if (size == 0)
                return;
        for (size_t i = 0; i < s->npins; i++)
                if (s->pins[i] < p.oldest)
                        p.oldest = s->pins[i];
        p.doomed = xmalloc0(sizeof(char *) * size);
        strmap_foreach(s->tombstones, collect_old, &p);
        for (size_t i = 0; i < p.n; i++) {
                strmap_remove(s->tombstones, p.doomed[i]);
                free(p.doomed[i]);
        }
        free(p.doomed);
}

uint64_t space_pin(Space *s) {
        if (s->npins == s->maxpins) {
                s->maxpins = s->maxpins ? s->maxpins * 2 : 16;
                s->pins = xrealloc(s->pins, sizeof(uint64_t) * s->maxpins);
        }
        s->pins[s->npins++] = s->changes;
        return s->changes;
}

void space_unpin(Space *s, uint64_t pin) {
        for (size_t i = 0; i < s->npins; i++)
                if (s->pins[i] == pin) {
                        s->pins[i] = s->pins[--s->npins];
                        break;
                }
        /* Now and then, and whenever no view is in flight: the tombstones
         * stay few on a busy host and none are kept on a quiet one. */
        if (s->npins == 0 || strmap_size(s->tombstones) > 256)
                prune(s);
}
