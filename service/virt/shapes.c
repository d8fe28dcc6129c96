/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "shapes.h"
#include "util.h"

void work_out_number(Work *w, unsigned i, int64_t v) {
        char t = w->out_sig && w->out_sig[0] ? w->out_sig[0] : 'i';

        value_clear(&w->out[i]);
        switch (t) {
        case 'b': w->out[i] = value_bool(v != 0); break;
        case 'u': w->out[i] = value_u32((uint32_t) v); break;
        case 't': w->out[i] = value_u64((uint64_t) v); break;
        case 'x': w->out[i] = value_i64(v); break;
        default: w->out[i] = value_i32((int32_t) v); break;
        }
}

/* The common forms, for a handle read by GET(w). A failed libvirt call
 * returns -1: the dispatcher records libvirt's error. */
#define SHAPE_DEFINE_COMMON(P, GET)                                                     \
        static int run_##P##_void(Work *w) {                                            \
                return w->fn->P##_void(GET(w)) < 0 ? -1 : 0;                            \
        }                                                                               \
        static int run_##P##_flags(Work *w) {                                           \
                return w->fn->P##_flags(GET(w), work_u32(w, w->nin - 1)) < 0 ? -1 : 0; \
        }                                                                               \
        static int run_##P##_string(Work *w) {                                          \
                char *s = w->fn->P##_string(GET(w), work_u32(w, w->nin - 1));          \
                if (!s)                                                                 \
                        return -1;                                                      \
                w->out[0] = value_take_str(s);                                          \
                return 0;                                                               \
        }                                                                               \
        static int run_##P##_int(Work *w) {                                             \
                int v = w->fn->P##_int(GET(w), work_u32(w, w->nin - 1));               \
                if (v < 0)                                                              \
                        return -1;                                                      \
                work_out_number(w, 0, v);                                               \
                return 0;                                                               \
        }                                                                               \
        const Shape shape_##P##_void = { #P "_void", "", "", run_##P##_void };          \
        const Shape shape_##P##_flags = { #P "_flags", "u", "", run_##P##_flags };     \
        const Shape shape_##P##_string = { #P "_string", "u", "s", run_##P##_string }; \
        const Shape shape_##P##_int = { #P "_int", "u", "?", run_##P##_int };

#define HANDLE(w) ((w)->handle)
#define SUB_HANDLE(w) ((w)->sub_handle)

SHAPE_DEFINE_COMMON(dom, HANDLE)
SHAPE_DEFINE_COMMON(snap, SUB_HANDLE)
SHAPE_DEFINE_COMMON(net, HANDLE)
SHAPE_DEFINE_COMMON(pool, HANDLE)
SHAPE_DEFINE_COMMON(vol, HANDLE)
SHAPE_DEFINE_COMMON(secret, HANDLE)
SHAPE_DEFINE_COMMON(dev, HANDLE)
SHAPE_DEFINE_COMMON(iface, HANDLE)
SHAPE_DEFINE_COMMON(nwfilter, HANDLE)

static int get_dom_params(Work *w, virTypedParameterPtr p, int *n) {
        return w->fn->dom_params_get(w->handle, p, n, work_u32(w, 0));
}

static int run_dom_params_get(Work *w) {
        return work_params_get(w, 0, get_dom_params);
}

static int run_dom_params_set(Work *w) {
        const Value *p = work_arg(w, 0);

        return w->fn->dom_params_set(w->handle, p->params.p, p->params.n, work_u32(w, 1)) < 0 ? -1 : 0;
}

static int get_dom_str_params(Work *w, virTypedParameterPtr p, int *n) {
        return w->fn->dom_str_params_get(w->handle, work_str(w, 0), p, n, work_u32(w, 1));
}

static int run_dom_str_params_get(Work *w) {
        return work_params_get(w, 0, get_dom_str_params);
}

static int run_dom_str_params_set(Work *w) {
        const Value *p = work_arg(w, 1);

        return w->fn->dom_str_params_set(w->handle, work_str(w, 0), p->params.p, p->params.n,
                                         work_u32(w, 2)) < 0 ? -1 : 0;
}

static int run_dom_str_flags(Work *w) {
        return w->fn->dom_str_flags(w->handle, work_str(w, 0), work_u32(w, 1)) < 0 ? -1 : 0;
}

static int run_dom_uint_flags(Work *w) {
        return w->fn->dom_uint_flags(w->handle, work_u32(w, 0), work_u32(w, 1)) < 0 ? -1 : 0;
}

static int run_dom_ull_flags(Work *w) {
        return w->fn->dom_ull_flags(w->handle, work_u64(w, 0), work_u32(w, 1)) < 0 ? -1 : 0;
}

static int run_dom_ull_out(Work *w) {
        unsigned long long v = 0;

        if (w->fn->dom_ull_out(w->handle, &v, work_u32(w, 0)) < 0)
                return -1;
        w->out[0] = value_u64(v);
        return 0;
}

static int run_conn_string(Work *w) {
        char *s = w->fn->conn_string(w->vconn, work_u32(w, 0));

        if (!s)
                return -1;
        w->out[0] = value_take_str(s);
        return 0;
}

static int run_conn_flags(Work *w) {
        return w->fn->conn_flags(w->vconn, work_u32(w, 0)) < 0 ? -1 : 0;
}

const Shape shape_dom_params_get = { "dom_params_get", "u", "a{sv}", run_dom_params_get };
const Shape shape_dom_params_set = { "dom_params_set", "a{sv}u", "", run_dom_params_set };
const Shape shape_dom_str_params_get = { "dom_str_params_get", "su", "a{sv}", run_dom_str_params_get };
const Shape shape_dom_str_params_set = { "dom_str_params_set", "sa{sv}u", "", run_dom_str_params_set };
const Shape shape_dom_str_flags = { "dom_str_flags", "su", "", run_dom_str_flags };
const Shape shape_dom_uint_flags = { "dom_uint_flags", "uu", "", run_dom_uint_flags };
const Shape shape_dom_ull_flags = { "dom_ull_flags", "tu", "", run_dom_ull_flags };
const Shape shape_dom_ull_out = { "dom_ull_out", "u", "t", run_dom_ull_out };
const Shape shape_conn_string = { "conn_string", "u", "s", run_conn_string };
const Shape shape_conn_flags = { "conn_flags", "u", "", run_conn_flags };

bool shape_accepts(const Shape *shape, const char *in_sig, const char *out_sig) {
        in_sig = in_sig ? in_sig : "";
        out_sig = out_sig ? out_sig : "";
        if (!streq(shape->in_sig, in_sig))
                return false;
        if (streq(shape->out_sig, "?"))
                return strlen(out_sig) == 1 && strchr("buitx", out_sig[0]);
        return streq(shape->out_sig, out_sig);
}
