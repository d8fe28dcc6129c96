/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What a worker gets to make one call's libvirt calls, and what it leaves
 * behind: results as Values, libvirt's error, and the facts of the objects
 * the call acted on or found, read right after the call. Filled on the loop
 * thread, used on one worker, read back on the loop thread. */

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <stdbool.h>

#include "details.h"
#include "kind.h"
#include "value.h"

#define WORK_MAX_OUT 4

typedef struct Work Work;
typedef struct JobHandle JobHandle;

/* A permission a call needs on another object than its target, found on
 * a worker before authorization (the volumes a removal takes along). */
typedef struct WorkPerm {
        const char *object, *perm;      /* static storage */
        Details details;                /* that object's polkit details */
} WorkPerm;
union ShapeFn;

/* The target as another of the daemon's connections sees it after the
 * call (the destination of a migration, when the daemon serves it). */
typedef struct WorkElsewhere {
        /* In. */
        virConnectPtr vconn;            /* referenced */
        unsigned conn;                  /* the connection's index in the manager */
        uint64_t since;                 /* its space's change count when the call ran */
        /* Out. */
        bool found;
        void *handle;                   /* referenced */
        Value facts[MAX_FACTS];
} WorkElsewhere;

struct Work {
        /* In: referenced libvirt objects, and the parsed arguments. */
        virConnectPtr vconn;
        KindId kind;                    /* of the target, KIND_CONNECT for Connect calls */
        void *handle;                   /* the target's libvirt object, referenced */
        const char *sub;                /* a snapshot name, for DomainSnapshot calls */
        void *sub_handle;               /* that snapshot, looked up on the worker */
        const Value *in;
        unsigned nin;
        const char *out_sig;
        const union ShapeFn *fn;        /* a regular call's libvirt function */
        /* The connection's object prefixes: immutable strings, safe to read
         * here (nothing else of the connection is). */
        char *const *prefix;
        const char *snapshot_prefix;
        bool capture_after;             /* read the target's facts after success */
        JobHandle *job;                 /* the job the call runs as, referenced, or NULL */

        /* Out. */
        Details details;                /* resolve steps: for polkit */
        WorkPerm *perms;                /* resolve steps: more permissions to ask for */
        unsigned nperms;
        Value out[WORK_MAX_OUT];
        int r;                          /* < 0: failed, see err */
        virError err;
        bool have_after;                /* after holds the target as it was after the call */
        bool gone_after;                /* the target no longer exists after the call */
        Value after[MAX_FACTS];
        /* An object the call found or made (lookups, define, create). */
        KindId found_kind;
        void *found;                    /* referenced */
        char *found_key;
        Value found_facts[MAX_FACTS];
        /* The other connections where the target may be after the call. */
        WorkElsewhere *elsewhere;
        unsigned nelsewhere;
};

/* Records libvirt's last error as the result. */
void work_fail(Work *w);
void work_fail_msg(Work *w, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Resolve steps: the call also needs @perm on @object (a polkit object),
 * whose details are @details. */
void work_need_perm(Work *w, const char *object, const char *perm, const Details *details);
void work_perms_free(WorkPerm *perms, unsigned n);
/* Clears everything the worker produced (the inputs stay). */
void work_clear_results(Work *w);
/* After a successful call: looks the target up on the other connections
 * in w->elsewhere and reads its facts where it is. */
void work_read_elsewhere(Work *w);
/* Drops w->elsewhere, inputs and results. */
void work_elsewhere_free(Work *w);

/* Reads argument @i, whose type the row's signature fixed. */
const char *work_str(const Work *w, unsigned i);
/* The same, with "" read as NULL (libvirt's "none"). */
const char *work_str_or_null(const Work *w, unsigned i);
uint32_t work_u32(const Work *w, unsigned i);
int32_t work_i32(const Work *w, unsigned i);
uint64_t work_u64(const Work *w, unsigned i);
int64_t work_i64(const Work *w, unsigned i);
const Value *work_arg(const Work *w, unsigned i);

/* libvirt's typed-parameter reads say how many parameters there are when
 * given no array, then fill one of that size. @get makes the call for
 * (@params, @n); the parameters become result @out. */
typedef int (*work_params_get_t)(Work *w, virTypedParameterPtr params, int *n);
int work_params_get(Work *w, unsigned out, work_params_get_t get);

/* Takes @handle, an object the call found or made: reads its facts and
 * sets result @out to its object path. Returns 0, or -1 (recorded as
 * the error) when @handle is NULL or the object vanished meanwhile. */
int work_found(Work *w, KindId kind, void *handle, unsigned out);
