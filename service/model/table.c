/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "table.h"
#include "util.h"

struct ObjTable {
        Obj **buckets;
        size_t nbuckets;
        size_t size;
};

static size_t key_hash(const char *s) {
        size_t h = 1469598103934665603ull;

        for (; *s; s++)
                h = (h ^ (unsigned char) *s) * 1099511628211ull;
        return h;
}

ObjTable *obj_table_new(void) {
        ObjTable *t = xmalloc0(sizeof(*t));

        t->nbuckets = 64;
        t->buckets = xmalloc0(t->nbuckets * sizeof(*t->buckets));
        return t;
}

void obj_table_free(ObjTable *t, void (*free_obj)(Obj *o, void *ud), void *ud) {
        if (!t)
                return;
        for (size_t i = 0; i < t->nbuckets; i++)
                for (Obj *o = t->buckets[i], *next; o; o = next) {
                        next = o->hnext;
                        free_obj(o, ud);
                }
        free(t->buckets);
        free(t);
}

Obj *obj_table_get(ObjTable *t, const char *key) {
        if (!key)
                return NULL;
        for (Obj *o = t->buckets[key_hash(key) & (t->nbuckets - 1)]; o; o = o->hnext)
                if (streq(o->key, key))
                        return o;
        return NULL;
}

static void grow(ObjTable *t) {
        size_t nb = t->nbuckets * 2;
        Obj **b = xmalloc0(nb * sizeof(*b));

        for (size_t i = 0; i < t->nbuckets; i++)
                for (Obj *o = t->buckets[i], *next; o; o = next) {
                        next = o->hnext;
                        size_t h = key_hash(o->key) & (nb - 1);
                        o->hnext = b[h];
                        b[h] = o;
                }
        free(t->buckets);
        t->buckets = b;
        t->nbuckets = nb;
}

void obj_table_put(ObjTable *t, Obj *o) {
        size_t h;

        if (t->size + 1 > t->nbuckets)
                grow(t);
        h = key_hash(o->key) & (t->nbuckets - 1);
        o->hnext = t->buckets[h];
        t->buckets[h] = o;
        t->size++;
}

void obj_table_remove(ObjTable *t, Obj *o) {
        Obj **p = &t->buckets[key_hash(o->key) & (t->nbuckets - 1)];

        for (; *p; p = &(*p)->hnext)
                if (*p == o) {
                        *p = o->hnext;
                        o->hnext = NULL;
                        t->size--;
                        return;
                }
}

size_t obj_table_size(ObjTable *t) {
        return t->size;
}

Obj *obj_table_next(ObjTable *t, size_t *bucket, Obj *prev) {
        if (prev && prev->hnext)
                return prev->hnext;
        for (size_t i = prev ? *bucket + 1 : *bucket; i < t->nbuckets; i++)
                if (t->buckets[i]) {
                        *bucket = i;
                        return t->buckets[i];
                }
        *bucket = t->nbuckets;
        return NULL;
}
