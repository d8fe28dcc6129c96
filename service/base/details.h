/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The key/value details that go with a polkit question (connect_driver,
 * domain_name, path, verb...). Values are copied, cut to a bounded length
 * and always valid UTF-8: they may come from caller XML. */

#include <stdbool.h>
#include <stddef.h>

#define DETAILS_MAX 12
/* libvirt keeps names far below this; a longer value is cut, never sent
 * whole to polkit or into a cache key. */
#define DETAIL_VALUE_MAX 1024

typedef struct Details {
        struct {
                const char *key;        /* static storage */
                char *value;
        } d[DETAILS_MAX];
        unsigned n;
        bool cut;               /* a value was longer than DETAIL_VALUE_MAX */
} Details;

/* A copy of @key in static storage, for keys read back from stored
 * details (there are only a few distinct ones). NULL if @key is not a
 * plausible detail key or there are too many. */
const char *details_static_key(const char *key);
/* Adds or replaces @key. NULL values (and keys) are skipped. */
void details_set(Details *d, const char *key, const char *value);
const char *details_get(const Details *d, const char *key);
void details_copy(Details *dst, const Details *src);
void details_clear(Details *d);
/* "k1=v1\x1fk2=v2..." in insertion order: part of a verdict cache key. */
char *details_key(const Details *d);
