/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A space is what one libvirt connection publishes: its own facts (the
 * Connect properties) and one table per object kind. Whoever changes it
 * goes through these functions, which tell the observers (the bus adapters,
 * the calls waiting for the table) exactly what changed, in order: an
 * object is findable before it is announced and announced gone while it is
 * still findable. Plain data: no D-Bus and no libvirt calls. */

#include <stdbool.h>
#include <stdint.h>

#include "kind.h"
#include "table.h"

typedef struct Space Space;

typedef struct SpaceObserver {
        void (*added)(void *ud, Space *s, Obj *o);
        /* While @o is still findable. */
        void (*removed)(void *ud, Space *s, Obj *o);
        /* Once it has left the table. */
        void (*forgotten)(void *ud, Space *s, KindId kind, const char *key);
        /* @mask: one bit per fact index; @o may be the space's own object. */
        void (*changed)(void *ud, Space *s, Obj *o, uint64_t mask);
        /* A libvirt event to relay as a D-Bus signal: @args match the
         * signature of signal @member of @interface on @path. */
        void (*signal)(void *ud, Space *s, const char *path, const char *interface, const char *member,
                       const Value *args, unsigned nargs);
} SpaceObserver;

#define SPACE_MAX_OBSERVERS 4

struct Space {
        char *name;                     /* "Test" */
        char *path;                     /* "/org/libvirt/Test" */
        char *prefix[KIND_MAX];         /* "/org/libvirt/Test/domain"... (NULL for KIND_CONNECT) */
        char *snapshot_prefix;          /* "/org/libvirt/Test/domainsnapshot" */
        char *driver;                   /* libvirt's name for the driver ("QEMU"), polkit's connect_driver */
        Obj self;                       /* the connection's own facts (KIND_CONNECT) */
        ObjTable *tables[KIND_MAX];
        uint64_t changes;               /* changes applied so far: orders views of the table */
        uint64_t serials;
        struct StrMap *tombstones;      /* "<kind>/<key>" -> when it went (changes) */
        uint64_t *pins;                 /* change counts of views still in flight */
        size_t npins, maxpins;
        void (*free_handle)(const Kind *k, void *handle);
        struct {
                const SpaceObserver *ops;
                void *ud;
        } observers[SPACE_MAX_OBSERVERS];
        unsigned nobservers;
        void *owner;                    /* the libvirt side's connection */
};

Space *space_new(const char *name, void (*free_handle)(const Kind *k, void *handle));
void space_free(Space *s);
void space_observe(Space *s, const SpaceObserver *ops, void *ud);

Obj *space_get(Space *s, KindId kind, const char *key);
/* The object a path names, of any kind, or NULL. */
Obj *space_by_path(Space *s, const char *path);
char *space_path_for(Space *s, KindId kind, const char *key);

/* Adds @key with @facts, or brings it up to date, announcing exactly what
 * changed (its FACT_LOCAL facts stay as they are). Takes @handle (NULL
 * keeps the one it has). Returns the object, or NULL when an observer
 * removed it at once (events that waited for it may say it is gone). */
Obj *space_upsert(Space *s, KindId kind, const char *key, const Value *facts, void *handle);
/* Sets fact @index of @o, announcing it when it changed; the only way to
 * change a FACT_LOCAL fact. Takes @v. */
void space_set_fact(Space *s, Obj *o, unsigned index, Value v);
/* Announces the removal, then forgets the object. */
void space_remove(Space *s, Obj *o);
/* Announces that the facts in @mask of @o (or of the space itself) changed. */
void space_changed(Space *s, Obj *o, uint64_t mask);
/* Sets the space's own fact @index, announcing it when it changed. */
void space_set_self(Space *s, unsigned index, Value v);
void space_signal(Space *s, const char *path, const char *interface, const char *member,
                  const Value *args, unsigned nargs);

/* Whether @key went away after change count @since: a view read before
 * then must not bring it back. */
bool space_gone_since(Space *s, KindId kind, const char *key, uint64_t since);
/* A view of libvirt (a listing, a call's worker) taken from now on: while it
 * is pinned, the removals after it are remembered, so that publishing it
 * never brings back what is gone. Returns the change count to compare with
 * (space_gone_since) and to unpin. */
uint64_t space_pin(Space *s);
void space_unpin(Space *s, uint64_t pin);
