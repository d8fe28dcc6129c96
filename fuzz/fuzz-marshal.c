/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the argument parser (dispatch/marshal.c). The input
 * describes a message, value by value (types nest: arrays, structs, dict
 * entries, variants), which is built with sd-bus and then read by one of
 * the signatures the method table uses, as a call's arguments are. Reading
 * never crashes or leaks whatever the message holds, every error text is
 * valid UTF-8, and what was read writes back. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "marshal.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every argument signature of the method table, and the types of the
 * properties that can be set. */
static const char *const signatures[] = {
        "", "ahu", "asu", "a{sv}", "a{sv}u", "b", "i", "ii", "is", "isssu", "isu", "iu", "oii", "s",
        "sahu", "si", "sii", "ssis", "sssi", "ssssu", "ssu", "su", "t", "tu", "u", "uabu", "uu",
        "uuauu", "x", "a(sa{sv})", "ao", "au", "aab",
};

typedef struct Input {
        const uint8_t *p;
        size_t n;
} Input;

static uint8_t take(Input *in) {
        uint8_t b;

        if (in->n == 0)
                return 0;
        b = *in->p++;
        in->n--;
        return b;
}

static uint64_t take_n(Input *in, unsigned bytes) {
        uint64_t v = 0;

        for (unsigned i = 0; i < bytes; i++)
                v = (v << 8) | take(in);
        return v;
}

/* A string of the input's bytes, cut at the first NUL. */
static char *take_string(Input *in) {
        size_t len = take(in);
        char *s;

        if (len == 255)
                len = (size_t) take_n(in, 2);
        if (len > in->n)
                len = in->n;
        s = malloc(len + 1);
        if (!s)
                abort();
        memcpy(s, in->p, len);
        s[len] = 0;
        in->p += len;
        in->n -= len;
        return s;
}

static const char basic_types[] = "ybnqiuxtdsog";

/* Writes a random complete type into @sig (room for 64). */
static void random_type(Input *in, char *sig, size_t *len, int depth) {
        uint8_t c = take(in) % 16;

        if (*len > 48 || depth > 4)
                c = 0;
        switch (c) {
        case 12:
                sig[(*len)++] = 'a';
                random_type(in, sig, len, depth + 1);
                break;
        case 13:
                sig[(*len)++] = 'a';
                sig[(*len)++] = '{';
                sig[(*len)++] = basic_types[take(in) % (sizeof(basic_types) - 1)];
                random_type(in, sig, len, depth + 1);
                sig[(*len)++] = '}';
                break;
        case 14: {
                unsigned n = 1 + take(in) % 3;
                sig[(*len)++] = '(';
                for (unsigned i = 0; i < n; i++)
                        random_type(in, sig, len, depth + 1);
                sig[(*len)++] = ')';
                break;
        }
        case 15:
                sig[(*len)++] = 'v';
                break;
        default:
                sig[(*len)++] = basic_types[c % (sizeof(basic_types) - 1)];
        }
        sig[*len] = 0;
}

static int append_value(sd_bus_message *m, Input *in, const char *sig, int depth);

/* Appends one value of the complete type at the start of @sig. */
static int append_one(sd_bus_message *m, Input *in, const char *sig, size_t l, int depth) {
        char *inner;
        int r = 0;

        switch (sig[0]) {
        case 'a': {
                unsigned n = take(in) % 8;
                inner = strndup(sig + 1, l - 1);
                r = sd_bus_message_open_container(m, 'a', inner);
                for (unsigned i = 0; r >= 0 && i < n && in->n > 0; i++)
                        r = append_value(m, in, inner, depth + 1);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
                free(inner);
                return r;
        }
        case '(':
        case '{':
                inner = strndup(sig + 1, l - 2);
                r = sd_bus_message_open_container(m, sig[0] == '(' ? 'r' : 'e', inner);
                if (r >= 0)
                        r = append_value(m, in, inner, depth + 1);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
                free(inner);
                return r;
        case 'v': {
                char vsig[72];
                size_t vl = 0;
                random_type(in, vsig, &vl, depth + 1);
                r = sd_bus_message_open_container(m, 'v', vsig);
                if (r >= 0)
                        r = append_value(m, in, vsig, depth + 1);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
                return r;
        }
        case 's':
        case 'o':
        case 'g': {
                char *s = take_string(in);
                /* Invalid strings are refused by sd-bus, as the bus would;
                 * use a valid one of the same kind then. */
                r = sd_bus_message_append_basic(m, sig[0], s);
                if (r == -EINVAL)
                        r = sd_bus_message_append_basic(m, sig[0], sig[0] == 'o' ? "/" : "");
                free(s);
                return r;
        }
        case 'd': {
                uint64_t bits = take_n(in, 8);
                double d;
                memcpy(&d, &bits, sizeof(d));
                return sd_bus_message_append_basic(m, 'd', &d);
        }
        case 'b': {
                int b = take(in) & 1;
                return sd_bus_message_append_basic(m, 'b', &b);
        }
        default: {
                uint64_t v = take_n(in, 8);
                return sd_bus_message_append_basic(m, sig[0], &v);
        }
        }
}

static int append_value(sd_bus_message *m, Input *in, const char *sig, int depth) {
        int r = 0;

        if (depth > 16)
                return -E2BIG;
        while (r >= 0 && *sig) {
                size_t l = signature_first_len(sig);
                if (l == 0)
                        return -EINVAL;
                r = append_one(m, in, sig, l, depth);
                sig += l;
        }
        return r;
}

static sd_bus *bus;

static void bus_init(void) {
        int fds[2];

        if (bus)
                return;
        /* Messages need a bus that has started, not a peer that answers. */
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0 || sd_bus_new(&bus) < 0 ||
            sd_bus_set_fd(bus, fds[0], fds[0]) < 0 || sd_bus_start(bus) < 0)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        sd_bus_message *m = NULL, *out = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        Input in = { data, size };
        const char *read_sig;
        char sig[72] = "";
        size_t len = 0;
        Value v[8];
        unsigned n = 0;
        int r;

        bus_init();
        read_sig = signatures[take(&in) % (sizeof(signatures) / sizeof(signatures[0]))];
        /* Half the time the message has the signature read by (a well-typed
         * call), else one of its own (the bus lets any through). */
        if (take(&in) & 1)
                snprintf(sig, sizeof(sig), "%s", read_sig);
        else {
                unsigned count = take(&in) % 4;
                for (unsigned i = 0; i < count; i++)
                        random_type(&in, sig, &len, 0);
        }
        if (sd_bus_message_new_method_call(bus, &m, "org.libvirt", "/org/libvirt/Test", "org.libvirt.Connect",
                                           "Fuzz") < 0)
                abort();
        r = append_value(m, &in, sig, 0);
        if (r >= 0)
                r = sd_bus_message_seal(m, 1, 0);
        if (r >= 0)
                r = sd_bus_message_rewind(m, true);
        if (r >= 0) {
                r = marshal_read_all(m, read_sig, v, 8, &n, &e);
                if (sd_bus_error_is_set(&e) && !utf8_is_valid(e.message))
                        abort();
                if (r >= 0) {
                        /* What was read writes back as the same signature. */
                        if (sd_bus_message_new_method_call(bus, &out, "org.libvirt", "/", "org.libvirt.Connect",
                                                           "Back") < 0)
                                abort();
                        if (marshal_write_all(out, read_sig, v, n) < 0)
                                abort();
                        value_clear_many(v, n);
                }
        }
        sd_bus_error_free(&e);
        sd_bus_message_unref(out);
        sd_bus_message_unref(m);
        return 0;
}
