/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "util.h"
#include "value.h"

void value_clear(Value *v) {
        if (!v)
                return;
        switch (v->type) {
        case 's':
        case 'o':
        case 'g':
                free(v->s);
                break;
        case 'h':
                if (v->fd >= 0)
                        close(v->fd);
                break;
        case 'a':
        case 'r':
        case 'e':
                value_clear_many(v->items.v, v->items.n);
                free(v->items.v);
                break;
        case 'P':
                typed_params_free(v->params.p, v->params.n);
                break;
        case 'Y':
                free(v->bytes.data);
                break;
        default:
                break;
        }
        memset(v, 0, sizeof(*v));
}

void value_clear_many(Value *v, size_t n) {
        for (size_t i = 0; v && i < n; i++)
                value_clear(&v[i]);
}

void value_copy(Value *dst, const Value *src) {
        value_clear(dst);
        *dst = *src;
        switch (src->type) {
        case 's':
        case 'o':
        case 'g':
                dst->s = xstrdup(src->s ? src->s : "");
                break;
        case 'h':
                dst->fd = src->fd >= 0 ? fcntl_dupfd_cloexec(src->fd) : -1;
                break;
        case 'a':
        case 'r':
        case 'e':
                dst->items.v = src->items.n ? xmalloc0(sizeof(Value) * src->items.n) : NULL;
                for (size_t i = 0; i < src->items.n; i++)
                        value_copy(&dst->items.v[i], &src->items.v[i]);
                break;
        case 'P':
                dst->params.p = typed_params_copy(src->params.p, src->params.n);
                break;
        case 'Y':
                dst->bytes.data = xmalloc0(src->bytes.len + 1);
                if (src->bytes.len)
                        memcpy(dst->bytes.data, src->bytes.data, src->bytes.len);
                break;
        default:
                break;
        }
}

static bool params_equal(const Value *a, const Value *b) {
        if (a->params.n != b->params.n)
                return false;
        for (int i = 0; i < a->params.n; i++) {
                const virTypedParameter *x = &a->params.p[i], *y = &b->params.p[i];
                if (x->type != y->type || !streq(x->field, y->field))
                        return false;
                if (x->type == VIR_TYPED_PARAM_STRING ? !streq_ptr(x->value.s, y->value.s)
                                                      : memcmp(&x->value, &y->value, sizeof(x->value)) != 0)
                        return false;
        }
        return true;
}

bool value_equal(const Value *a, const Value *b) {
        if (a->type != b->type)
                return false;
        switch (a->type) {
        case 0: return true;
        case 'b': return !a->b == !b->b;
        case 'y': return a->y == b->y;
        case 'n': return a->n == b->n;
        case 'q': return a->q == b->q;
        case 'i': return a->i == b->i;
        case 'u': return a->u == b->u;
        case 'x': return a->x == b->x;
        case 't': return a->t == b->t;
        case 'd': return a->d == b->d;
        case 's':
        case 'o':
        case 'g': return streq(a->s ? a->s : "", b->s ? b->s : "");
        case 'h': return a->fd == b->fd;
        case 'a':
        case 'r':
        case 'e':
                if (a->items.n != b->items.n)
                        return false;
                for (size_t i = 0; i < a->items.n; i++)
                        if (!value_equal(&a->items.v[i], &b->items.v[i]))
                                return false;
                return true;
        case 'P': return params_equal(a, b);
        case 'Y': return a->bytes.len == b->bytes.len &&
                         (a->bytes.len == 0 || memcmp(a->bytes.data, b->bytes.data, a->bytes.len) == 0);
        default: return false;
        }
}

Value value_str(const char *s) {
        return (Value) { .type = 's', .s = xstrdup(s ? s : "") };
}

Value value_take_str(char *s) {
        return (Value) { .type = 's', .s = s ? s : xstrdup("") };
}

Value value_path(const char *path) {
        return (Value) { .type = 'o', .s = xstrdup(path) };
}

Value value_take_path(char *path) {
        return (Value) { .type = 'o', .s = path };
}

Value value_take_params(virTypedParameterPtr p, int n) {
        return (Value) { .type = 'P', .params = { p, p ? n : 0 } };
}

Value value_take_bytes(uint8_t *data, size_t len) {
        return (Value) { .type = 'Y', .bytes = { data, len } };
}

Value *value_init_struct(Value *v, size_t n) {
        value_clear(v);
        v->type = 'r';
        v->items.n = n;
        v->items.v = xmalloc0(sizeof(Value) * (n ? n : 1));
        return v->items.v;
}

Value *value_init_array(Value *v, const char *elem, size_t n) {
        value_clear(v);
        v->type = 'a';
        v->elem = elem;
        v->items.n = n;
        v->items.v = xmalloc0(sizeof(Value) * (n ? n : 1));
        return v->items.v;
}

static void expect(const Value *v, char type) {
        if (v->type != type) {
                fprintf(stderr, "<2>virtbusd: value of type '%c' read as '%c'\n", v->type ? v->type : '0', type);
                abort();
        }
}

const char *value_get_str(const Value *v) {
        if (v->type != 'o' && v->type != 'g')
                expect(v, 's');
        return v->s ? v->s : "";
}

uint32_t value_get_u32(const Value *v) {
        expect(v, 'u');
        return v->u;
}

int32_t value_get_i32(const Value *v) {
        expect(v, 'i');
        return v->i;
}

uint64_t value_get_u64(const Value *v) {
        expect(v, 't');
        return v->t;
}

int64_t value_get_i64(const Value *v) {
        expect(v, 'x');
        return v->x;
}

bool value_get_bool(const Value *v) {
        expect(v, 'b');
        return v->b;
}

virTypedParameterPtr typed_params_copy(const virTypedParameter *params, int n) {
        virTypedParameterPtr c;

        if (n <= 0 || !params)
                return NULL;
        c = xmalloc0(sizeof(*c) * (size_t) n);
        memcpy(c, params, sizeof(*c) * (size_t) n);
        for (int i = 0; i < n; i++)
                if (c[i].type == VIR_TYPED_PARAM_STRING)
                        c[i].value.s = xstrdup(params[i].value.s ? params[i].value.s : "");
        return c;
}

void typed_params_free(virTypedParameterPtr params, int n) {
        if (!params)
                return;
        for (int i = 0; i < n; i++)
                if (params[i].type == VIR_TYPED_PARAM_STRING)
                        free(params[i].value.s);
        free(params);
}

size_t signature_first_len(const char *sig) {
        size_t depth = 0, i = 0;

        if (!sig || !*sig)
                return 0;
        for (;; i++) {
                char c = sig[i];
                if (!c)
                        return 0;
                if (c == 'a')
                        continue;
                if (c == '(' || c == '{')
                        depth++;
                else if (c == ')' || c == '}') {
                        if (depth == 0)
                                return 0;
                        depth--;
                }
                if (depth == 0)
                        return i + 1;
        }
}

size_t signature_count(const char *sig) {
        size_t n = 0;

        while (sig && *sig) {
                size_t l = signature_first_len(sig);
                if (l == 0)
                        return 0;
                sig += l;
                n++;
        }
        return n;
}
