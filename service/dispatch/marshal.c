/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <libvirt/libvirt.h>

#include "marshal.h"
#include "util.h"

/* Arguments are held while polkit answers: an array may not grow without
 * bound (no member of the API needs more: CPU maps, key codes, file
 * descriptors, mount points, CPU definitions). */
#define MARSHAL_MAX_ITEMS 16384

/* D-Bus signatures are at most 255 characters long. */
#define SIG_MAX 256

/* Copies the part of a signature at @s of length @n into @buf. */
static const char *sig_part(char buf[SIG_MAX], const char *s, size_t n) {
        if (n >= SIG_MAX)
                n = SIG_MAX - 1;
        memcpy(buf, s, n);
        buf[n] = 0;
        return buf;
}

/* Typed parameter names come from callers: the texts that quote them must
 * stay valid UTF-8 whatever their length. */
#define QUOTED_NAME_MAX 40


static int read_params(sd_bus_message *m, Value *out, sd_bus_error *error) {
        virTypedParameterPtr params = NULL;
        int n = 0, max = 0, r;
        const char *field;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *contents;
                char type;
                int depth = 0;

                r = sd_bus_message_read_basic(m, 's', &field);
                if (r < 0)
                        goto fail;
                if (strlen(field) >= VIR_TYPED_PARAM_FIELD_LENGTH) {
                        _cleanup_free_ char *q = utf8_truncate(field, QUOTED_NAME_MAX);
                        r = sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Parameter name '%s...' is too long", q);
                        goto fail;
                }
                r = sd_bus_message_peek_type(m, &type, &contents);
                if (r < 0)
                        goto fail;
                /* One variant (the D-Bus way) or two (libvirt-dbus's). */
                while (type == 'v' && depth < 2) {
                        r = sd_bus_message_enter_container(m, 'v', contents);
                        if (r < 0)
                                goto fail;
                        depth++;
                        r = sd_bus_message_peek_type(m, &type, &contents);
                        if (r < 0)
                                goto fail;
                }
                if (n == max) {
                        max = max ? max * 2 : 8;
                        params = xrealloc(params, sizeof(*params) * (size_t) max);
                }
                virTypedParameterPtr p = &params[n];
                memset(p, 0, sizeof(*p));
                memcpy(p->field, field, strlen(field) + 1);
                switch (type) {
                case 'i': p->type = VIR_TYPED_PARAM_INT; r = sd_bus_message_read_basic(m, 'i', &p->value.i); break;
                case 'u': p->type = VIR_TYPED_PARAM_UINT; r = sd_bus_message_read_basic(m, 'u', &p->value.ui); break;
                case 'x': p->type = VIR_TYPED_PARAM_LLONG; r = sd_bus_message_read_basic(m, 'x', &p->value.l); break;
                case 't': p->type = VIR_TYPED_PARAM_ULLONG; r = sd_bus_message_read_basic(m, 't', &p->value.ul); break;
                case 'd': p->type = VIR_TYPED_PARAM_DOUBLE; r = sd_bus_message_read_basic(m, 'd', &p->value.d); break;
                case 'b': {
                        int b;
                        p->type = VIR_TYPED_PARAM_BOOLEAN;
                        r = sd_bus_message_read_basic(m, 'b', &b);
                        p->value.b = (char) !!b;
                        break;
                }
                case 's': {
                        const char *s;
                        p->type = VIR_TYPED_PARAM_STRING;
                        r = sd_bus_message_read_basic(m, 's', &s);
                        if (r >= 0)
                                p->value.s = xstrdup(s);
                        break;
                }
                default: {
                        char t[2] = { type, 0 };
                        _cleanup_free_ char *q = utf8_truncate(field, QUOTED_NAME_MAX);
                        r = sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                              "Parameter '%s' has unsupported type '%s'", q, t);
                        goto fail;
                }
                }
                if (r < 0)
                        goto fail;
                n++;
                while (depth-- > 0) {
                        r = sd_bus_message_exit_container(m);
                        if (r < 0)
                                goto fail;
                }
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        goto fail;
        }
        if (r < 0)
                goto fail;
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                goto fail;
        *out = value_take_params(params, n);
        return 0;
fail:
        typed_params_free(params, n);
        return r;
}

static int read_bytes(sd_bus_message *m, Value *out) {
        const void *data;
        size_t size;
        int r = sd_bus_message_read_array(m, 'y', &data, &size);
        uint8_t *copy;

        if (r < 0)
                return r;
        copy = xmalloc0(size + 1);
        if (size)
                memcpy(copy, data, size);
        *out = value_take_bytes(copy, size);
        return 0;
}

int marshal_read(sd_bus_message *m, const char *sig, Value *out, sd_bus_error *error) {
        size_t len = signature_first_len(sig);
        int r;

        memset(out, 0, sizeof(*out));
        if (len == 0)
                return -EINVAL;
        if (len == 5 && strncmp(sig, "a{sv}", 5) == 0)
                return read_params(m, out, error);
        if (len == 2 && strncmp(sig, "ay", 2) == 0)
                return read_bytes(m, out);

        switch (sig[0]) {
        case 'a': {
                char eb[SIG_MAX];
                const char *elem = sig_part(eb, sig + 1, len - 1);
                size_t n = 0, max = 0;
                Value *items = NULL;

                r = sd_bus_message_enter_container(m, 'a', elem);
                if (r < 0)
                        return r;
                for (;;) {
                        r = sd_bus_message_at_end(m, false);
                        if (r < 0)
                                goto array_fail;
                        if (r > 0)
                                break;
                        if (n >= MARSHAL_MAX_ITEMS) {
                                r = sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                      "An array of more than %u elements is not accepted",
                                                      MARSHAL_MAX_ITEMS);
                                goto array_fail;
                        }
                        if (n == max) {
                                max = max ? max * 2 : 8;
                                items = xrealloc(items, sizeof(Value) * max);
                        }
                        r = marshal_read(m, elem, &items[n], error);
                        if (r < 0)
                                goto array_fail;
                        n++;
                }
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        goto array_fail;
                out->type = 'a';
                out->items.v = items;
                out->items.n = n;
                return 0;
        array_fail:
                value_clear_many(items, n);
                free(items);
                return r;
        }
        case '(':
        case '{': {
                char cb[SIG_MAX];
                const char *contents = sig_part(cb, sig + 1, len - 2);
                size_t n = signature_count(contents);
                Value *items;

                r = sd_bus_message_enter_container(m, sig[0] == '(' ? 'r' : 'e', contents);
                if (r < 0)
                        return r;
                items = value_init_struct(out, n);
                out->type = sig[0] == '(' ? 'r' : 'e';
                const char *p = contents;
                for (size_t i = 0; i < n; i++) {
                        size_t l = signature_first_len(p);
                        char ob[SIG_MAX];
                        r = marshal_read(m, sig_part(ob, p, l), &items[i], error);
                        if (r < 0) {
                                value_clear(out);
                                return r;
                        }
                        p += l;
                }
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        value_clear(out);
                return r;
        }
        case 's':
        case 'o':
        case 'g': {
                const char *s;
                r = sd_bus_message_read_basic(m, sig[0], &s);
                if (r < 0)
                        return r;
                out->type = sig[0];
                out->s = xstrdup(s);
                return 0;
        }
        case 'h': {
                int fd;
                r = sd_bus_message_read_basic(m, 'h', &fd);
                if (r < 0)
                        return r;
                /* The message owns its descriptors; the call gets copies. */
                out->type = 'h';
                out->fd = fcntl_dupfd_cloexec(fd);
                return out->fd < 0 ? out->fd : 0;
        }
        case 'b': {
                int b;
                r = sd_bus_message_read_basic(m, 'b', &b);
                if (r >= 0)
                        *out = value_bool(b);
                return r;
        }
        case 'y': case 'n': case 'q': case 'i': case 'u': case 'x': case 't': case 'd':
                out->type = sig[0];
                r = sd_bus_message_read_basic(m, sig[0], &out->t);
                if (r < 0)
                        out->type = 0;
                return r;
        default:
                return -EINVAL;
        }
}

int marshal_read_all(sd_bus_message *m, const char *sig, Value *out, unsigned max, unsigned *n,
                     sd_bus_error *error) {
        unsigned i = 0;
        int r = 0;

        while (sig && *sig) {
                size_t l = signature_first_len(sig);
                char ob[SIG_MAX];
                if (l == 0 || i >= max) {
                        r = -EINVAL;
                        break;
                }
                r = marshal_read(m, sig_part(ob, sig, l), &out[i], error);
                if (r < 0)
                        break;
                i++;
                sig += l;
        }
        if (r < 0) {
                value_clear_many(out, i);
                *n = 0;
                return r;
        }
        *n = i;
        return 0;
}

static int write_params(sd_bus_message *m, const Value *v) {
        int r = sd_bus_message_open_container(m, 'a', "{sv}");
        int n = v->type == 'P' ? v->params.n : 0;

        for (int i = 0; r >= 0 && i < n; i++) {
                const virTypedParameter *p = &v->params.p[i];
                Value one = { 0 };
                char sig[2] = { 0 };

                switch (p->type) {
                case VIR_TYPED_PARAM_INT: one = value_i32(p->value.i); break;
                case VIR_TYPED_PARAM_UINT: one = value_u32(p->value.ui); break;
                case VIR_TYPED_PARAM_LLONG: one = value_i64(p->value.l); break;
                case VIR_TYPED_PARAM_ULLONG: one = value_u64(p->value.ul); break;
                case VIR_TYPED_PARAM_DOUBLE: one = value_double(p->value.d); break;
                case VIR_TYPED_PARAM_BOOLEAN: one = value_bool(p->value.b); break;
                case VIR_TYPED_PARAM_STRING: one = (Value) { .type = 's', .s = p->value.s }; break;
                default: continue;
                }
                sig[0] = one.type;
                r = sd_bus_message_open_container(m, 'e', "sv");
                if (r >= 0)
                        r = sd_bus_message_append_basic(m, 's', p->field);
                if (r >= 0)
                        r = marshal_write_variant(m, sig, &one, 2);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}

int marshal_write(sd_bus_message *m, const char *sig, const Value *v) {
        size_t len = signature_first_len(sig);
        int r;

        if (len == 0)
                return -EINVAL;
        if (len == 5 && strncmp(sig, "a{sv}", 5) == 0 && (v->type == 'P' || v->type == 0))
                return write_params(m, v);
        if (len == 2 && strncmp(sig, "ay", 2) == 0 && (v->type == 'Y' || v->type == 0))
                return sd_bus_message_append_array(m, 'y', v->type == 'Y' ? v->bytes.data : NULL,
                                                   v->type == 'Y' ? v->bytes.len : 0);

        switch (sig[0]) {
        case 'a': {
                char eb[SIG_MAX];
                const char *elem = sig_part(eb, sig + 1, len - 1);
                size_t n = v->type == 'a' ? v->items.n : 0;

                r = sd_bus_message_open_container(m, 'a', elem);
                for (size_t i = 0; r >= 0 && i < n; i++)
                        r = marshal_write(m, elem, &v->items.v[i]);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
                return r;
        }
        case '(':
        case '{': {
                char cb[SIG_MAX];
                const char *contents = sig_part(cb, sig + 1, len - 2);
                const char *p = contents;
                size_t n = signature_count(contents);
                static const Value none = { 0 };

                r = sd_bus_message_open_container(m, sig[0] == '(' ? 'r' : 'e', contents);
                for (size_t i = 0; r >= 0 && i < n; i++) {
                        size_t l = signature_first_len(p);
                        char ob[SIG_MAX];
                        const char *one = sig_part(ob, p, l);
                        const Value *item = (v->type == 'r' || v->type == 'e') && i < v->items.n ? &v->items.v[i]
                                                                                                  : &none;
                        r = marshal_write(m, one, item);
                        p += l;
                }
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
                return r;
        }
        case 's': {
                const char *s = v->type == 's' && v->s ? v->s : "";
                /* libvirt may hand over bytes that are not UTF-8 (a file
                 * name in a pool): sd-bus would refuse the whole message. */
                if (!utf8_is_valid(s)) {
                        _cleanup_free_ char *clean = utf8_truncate(s, strlen(s));
                        return sd_bus_message_append_basic(m, 's', clean);
                }
                return sd_bus_message_append_basic(m, 's', s);
        }
        case 'o':
        case 'g':
                return sd_bus_message_append_basic(m, sig[0], v->type == sig[0] && v->s ? v->s
                                                              : sig[0] == 'o' ? "/" : "");
        case 'h':
                /* An unset value would read as descriptor 0, the daemon's
                 * own stdin: a result must hold the descriptor it sends.
                 * sd-bus sends a duplicate; the value keeps its own. */
                if (v->type != 'h' || v->fd < 0)
                        return -EBADF;
                return sd_bus_message_append_basic(m, 'h', &v->fd);
        case 'b': {
                int b = v->type == 'b' && v->b;
                return sd_bus_message_append_basic(m, 'b', &b);
        }
        case 'y': case 'n': case 'q': case 'i': case 'u': case 'x': case 't': case 'd': {
                /* Unset values (a row that produced nothing) write zero. */
                uint64_t zero = 0;
                return sd_bus_message_append_basic(m, sig[0], v->type == sig[0] ? (const void *) &v->t
                                                                                 : (const void *) &zero);
        }
        default:
                return -EINVAL;
        }
}

int marshal_write_all(sd_bus_message *m, const char *sig, const Value *v, unsigned n) {
        unsigned i = 0;
        int r = 0;

        while (r >= 0 && sig && *sig) {
                size_t l = signature_first_len(sig);
                char ob[SIG_MAX];
                static const Value none = { 0 };
                r = marshal_write(m, sig_part(ob, sig, l), i < n ? &v[i] : &none);
                sig += l;
                i++;
        }
        return r;
}

int marshal_write_variant(sd_bus_message *m, const char *sig, const Value *v, int wraps) {
        int r = 0;

        if (wraps == 2)
                r = sd_bus_message_open_container(m, 'v', "v");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'v', sig);
        if (r >= 0)
                r = marshal_write(m, sig, v);
        for (int i = 0; r >= 0 && i < wraps; i++)
                r = sd_bus_message_close_container(m);
        return r;
}
