/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/* A small string-keyed hash map (chained, growing) for the caches. */
typedef struct StrMap StrMap;

StrMap *strmap_new(void (*free_value)(void *));
void strmap_free(StrMap *m);
void *strmap_get(StrMap *m, const char *key);
/* Replaces (and frees) any previous value. */
void strmap_put(StrMap *m, const char *key, void *value);
void strmap_remove(StrMap *m, const char *key);
/* Removes the entry without freeing its value. */
void strmap_steal(StrMap *m, const char *key);
void strmap_clear(StrMap *m);
size_t strmap_size(StrMap *m);
/* Calls @fn for every value; @fn must not modify the map. */
void strmap_foreach(StrMap *m, void (*fn)(const char *key, void *value, void *ud), void *ud);
