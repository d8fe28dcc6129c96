/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "strmap.h"
#include "util.h"

typedef struct Entry {
        struct Entry *next;
        char *key;
        void *value;
} Entry;

struct StrMap {
        Entry **buckets;
        size_t nbuckets;
        size_t size;
        void (*free_value)(void *);
};

static size_t hash(const char *s) {
        size_t h = 1469598103934665603ull;

        for (; *s; s++)
                h = (h ^ (unsigned char) *s) * 1099511628211ull;
        return h;
}

StrMap *strmap_new(void (*free_value)(void *)) {
        StrMap *m = xmalloc0(sizeof(*m));

        m->nbuckets = 16;
        m->buckets = xmalloc0(sizeof(Entry *) * m->nbuckets);
        m->free_value = free_value;
        return m;
}

static void entry_free(StrMap *m, Entry *e) {
        if (m->free_value)
                m->free_value(e->value);
        free(e->key);
        free(e);
}

void strmap_clear(StrMap *m) {
        for (size_t i = 0; i < m->nbuckets; i++) {
                for (Entry *e = m->buckets[i], *n; e; e = n) {
                        n = e->next;
                        entry_free(m, e);
                }
                m->buckets[i] = NULL;
        }
        m->size = 0;
}

void strmap_free(StrMap *m) {
        if (!m)
                return;
        strmap_clear(m);
        free(m->buckets);
        free(m);
}

void *strmap_get(StrMap *m, const char *key) {
        for (Entry *e = m->buckets[hash(key) & (m->nbuckets - 1)]; e; e = e->next)
                if (streq(e->key, key))
                        return e->value;
        return NULL;
}

static void grow(StrMap *m) {
        size_t nb = m->nbuckets * 2;
        Entry **b = xmalloc0(sizeof(Entry *) * nb);

        for (size_t i = 0; i < m->nbuckets; i++)
                for (Entry *e = m->buckets[i], *n; e; e = n) {
                        n = e->next;
                        size_t h = hash(e->key) & (nb - 1);
                        e->next = b[h];
                        b[h] = e;
                }
        free(m->buckets);
        m->buckets = b;
        m->nbuckets = nb;
}

void strmap_put(StrMap *m, const char *key, void *value) {
        size_t h = hash(key) & (m->nbuckets - 1);
        Entry *e;

        for (e = m->buckets[h]; e; e = e->next)
                if (streq(e->key, key)) {
                        if (m->free_value && e->value != value)
                                m->free_value(e->value);
                        e->value = value;
                        return;
                }
        if (m->size + 1 > m->nbuckets) {
                grow(m);
                h = hash(key) & (m->nbuckets - 1);
        }
        e = xmalloc0(sizeof(*e));
        e->key = xstrdup(key);
        e->value = value;
        e->next = m->buckets[h];
        m->buckets[h] = e;
        m->size++;
}

void strmap_remove(StrMap *m, const char *key) {
        for (Entry **p = &m->buckets[hash(key) & (m->nbuckets - 1)]; *p; p = &(*p)->next)
                if (streq((*p)->key, key)) {
                        Entry *e = *p;
                        *p = e->next;
                        entry_free(m, e);
                        m->size--;
                        return;
                }
}

void strmap_steal(StrMap *m, const char *key) {
        void (*f)(void *) = m->free_value;

        m->free_value = NULL;
        strmap_remove(m, key);
        m->free_value = f;
}

void strmap_foreach(StrMap *m, void (*fn)(const char *key, void *value, void *ud), void *ud) {
        for (size_t i = 0; i < m->nbuckets; i++)
                for (Entry *e = m->buckets[i]; e; e = e->next)
                        fn(e->key, e->value, ud);
}

size_t strmap_size(StrMap *m) {
        return m->size;
}
