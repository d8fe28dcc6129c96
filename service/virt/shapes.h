/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Call shapes: most libvirt calls have one of a few forms, int f(obj, flags),
 * char *f(obj, flags), typed-parameter get and set... A shape makes any call
 * of its form from a row that names the libvirt function. The row sets the
 * shape and the function with one macro, so the compiler checks that the
 * function has the shape's type; the method table checks at start-up that
 * the row's signature is the one the shape reads and writes. */

#include <libvirt/libvirt.h>

#include "work.h"

/* The four forms every kind of object has, for handle type T. */
#define SHAPE_FN_COMMON(P, T)                                                   \
        int (*P##_void)(T);                                                     \
        int (*P##_flags)(T, unsigned int);                                      \
        char *(*P##_string)(T, unsigned int);                                   \
        int (*P##_int)(T, unsigned int);

typedef union ShapeFn {
        SHAPE_FN_COMMON(dom, virDomainPtr)
        SHAPE_FN_COMMON(snap, virDomainSnapshotPtr)
        SHAPE_FN_COMMON(net, virNetworkPtr)
        SHAPE_FN_COMMON(pool, virStoragePoolPtr)
        SHAPE_FN_COMMON(vol, virStorageVolPtr)
        SHAPE_FN_COMMON(secret, virSecretPtr)
        SHAPE_FN_COMMON(dev, virNodeDevicePtr)
        SHAPE_FN_COMMON(iface, virInterfacePtr)
        SHAPE_FN_COMMON(nwfilter, virNWFilterPtr)
        int (*dom_params_get)(virDomainPtr, virTypedParameterPtr, int *, unsigned int);
        int (*dom_params_set)(virDomainPtr, virTypedParameterPtr, int, unsigned int);
        int (*dom_str_params_get)(virDomainPtr, const char *, virTypedParameterPtr, int *, unsigned int);
        int (*dom_str_params_set)(virDomainPtr, const char *, virTypedParameterPtr, int, unsigned int);
        int (*dom_str_flags)(virDomainPtr, const char *, unsigned int);
        int (*dom_uint_flags)(virDomainPtr, unsigned int, unsigned int);
        int (*dom_ull_flags)(virDomainPtr, unsigned long long, unsigned int);
        int (*dom_ull_out)(virDomainPtr, unsigned long long *, unsigned int);
        char *(*conn_string)(virConnectPtr, unsigned int);
        int (*conn_flags)(virConnectPtr, unsigned int);
} ShapeFn;

typedef struct Shape {
        const char *name;
        const char *in_sig;     /* what it reads */
        const char *out_sig;    /* what it writes; "?" is one number or boolean of the row's choice */
        int (*run)(Work *w);
} Shape;

#define SHAPE_DECLARE_COMMON(P)                                                 \
        extern const Shape shape_##P##_void, shape_##P##_flags, shape_##P##_string, shape_##P##_int;

SHAPE_DECLARE_COMMON(dom)
SHAPE_DECLARE_COMMON(snap)
SHAPE_DECLARE_COMMON(net)
SHAPE_DECLARE_COMMON(pool)
SHAPE_DECLARE_COMMON(vol)
SHAPE_DECLARE_COMMON(secret)
SHAPE_DECLARE_COMMON(dev)
SHAPE_DECLARE_COMMON(iface)
SHAPE_DECLARE_COMMON(nwfilter)
extern const Shape shape_dom_params_get, shape_dom_params_set, shape_dom_str_params_get,
        shape_dom_str_params_set, shape_dom_str_flags, shape_dom_uint_flags, shape_dom_ull_flags,
        shape_dom_ull_out, shape_conn_string, shape_conn_flags;

/* Whether a row's signatures suit @shape. */
bool shape_accepts(const Shape *shape, const char *in_sig, const char *out_sig);

/* Stores @v as result @i in the numeric type the row's signature wants. */
void work_out_number(Work *w, unsigned i, int64_t v);
