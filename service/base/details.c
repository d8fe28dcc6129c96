/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "details.h"
#include "util.h"

const char *details_static_key(const char *key) {
        /* The keys a job keeps for its object come from the kinds' details
         * functions: a handful, interned once for the process's life.
         * Loop thread only. */
        static char *keys[32];
        size_t i;

        if (!key || !*key || strlen(key) > 64)
                return NULL;
        for (i = 0; i < ELEMENTSOF(keys) && keys[i]; i++)
                if (streq(keys[i], key))
                        return keys[i];
        if (i == ELEMENTSOF(keys))
                return NULL;
        keys[i] = xstrdup(key);
        return keys[i];
}

void details_set(Details *d, const char *key, const char *value) {
        if (!value || !key)
                return;
        if (strlen(value) > DETAIL_VALUE_MAX)
                d->cut = true;
        for (unsigned i = 0; i < d->n; i++)
                if (streq(d->d[i].key, key)) {
                        free(d->d[i].value);
                        d->d[i].value = utf8_truncate(value, DETAIL_VALUE_MAX);
                        return;
                }
        if (d->n >= DETAILS_MAX)
                abort(); /* the tables never ask for more */
        d->d[d->n].key = key;
        d->d[d->n].value = utf8_truncate(value, DETAIL_VALUE_MAX);
        d->n++;
}

const char *details_get(const Details *d, const char *key) {
        for (unsigned i = 0; i < d->n; i++)
                if (streq(d->d[i].key, key))
                        return d->d[i].value;
        return NULL;
}

void details_copy(Details *dst, const Details *src) {
        details_clear(dst);
        for (unsigned i = 0; i < src->n; i++)
                details_set(dst, src->d[i].key, src->d[i].value);
}

void details_clear(Details *d) {
        for (unsigned i = 0; i < d->n; i++)
                free(d->d[i].value);
        d->n = 0;
        d->cut = false;
}

char *details_key(const Details *d) {
        size_t len = 1;
        char *k, *p;

        for (unsigned i = 0; i < d->n; i++)
                len += strlen(d->d[i].key) + strlen(d->d[i].value) + 2;
        k = p = xmalloc0(len);
        for (unsigned i = 0; i < d->n; i++)
                p += sprintf(p, "%s=%s\x1f", d->d[i].key, d->d[i].value);
        return k;
}
