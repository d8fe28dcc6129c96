/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A hash table of objects by key. It grows by doubling, so lookups stay
 * O(1) at tens of thousands of objects. */

#include <stddef.h>

#include "kind.h"

typedef struct ObjTable ObjTable;

ObjTable *obj_table_new(void);
/* Frees the table; @free_obj is called for each object still in it. */
void obj_table_free(ObjTable *t, void (*free_obj)(Obj *o, void *ud), void *ud);
Obj *obj_table_get(ObjTable *t, const char *key);
void obj_table_put(ObjTable *t, Obj *o);
void obj_table_remove(ObjTable *t, Obj *o);
size_t obj_table_size(ObjTable *t);
/* Iteration: start with *bucket = 0 and @prev NULL; NULL at the end. Only
 * valid while the table is not modified. */
Obj *obj_table_next(ObjTable *t, size_t *bucket, Obj *prev);

#define OBJ_TABLE_FOREACH(o, t, b) \
        for (size_t b = 0, *b##_p = &b; b##_p; b##_p = NULL) \
                for (Obj *o = obj_table_next((t), &b, NULL); o; o = obj_table_next((t), &b, o))
