/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <stdio.h>

#include "paths.h"
#include "util.h"

static bool uuid_char_ok(char c) {
        return isxdigit((unsigned char) c) || c == '_';
}

char *path_for_uuid(const char *prefix, const char *uuid) {
        char *p = xasprintf("%s/_%s", prefix, uuid);

        for (char *q = p + strlen(prefix) + 2; *q; q++)
                if (*q == '-')
                        *q = '_';
        return p;
}

static bool parse_uuid_element(const char *e, char uuid[UUID_STRING_LEN + 1]) {
        if (e[0] != '_')
                return false;
        e++;
        for (size_t i = 0; i < UUID_STRING_LEN; i++) {
                if (!e[i] || !uuid_char_ok(e[i]))
                        return false;
                bool dash = i == 8 || i == 13 || i == 18 || i == 23;
                if (dash != (e[i] == '_'))
                        return false;
                uuid[i] = dash ? '-' : e[i];
        }
        uuid[UUID_STRING_LEN] = 0;
        return true;
}

static const char *child_of(const char *prefix, const char *path) {
        size_t n = strlen(prefix);

        if (strncmp(path, prefix, n) != 0 || path[n] != '/')
                return NULL;
        return path + n + 1;
}

bool path_to_uuid(const char *prefix, const char *path, char uuid[UUID_STRING_LEN + 1]) {
        const char *e = child_of(prefix, path);

        if (!e || strlen(e) != UUID_STRING_LEN + 1)
                return false;
        return parse_uuid_element(e, uuid);
}

char *path_encode_name(const char *name) {
        char *out = xmalloc0(strlen(name) * 3 + 2), *o = out;

        /* An empty element would make an invalid object path ("/a/" or
         * "/a//b"): the empty name is "_", as sd_bus_path_encode() has it. */
        if (!*name) {
                out[0] = '_';
                return out;
        }

        for (const unsigned char *s = (const unsigned char *) name; *s; s++) {
                if (isalnum(*s) && *s < 128)
                        *o++ = (char) *s;
                else
                        o += sprintf(o, "_%02x", *s);
        }
        *o = 0;
        return out;
}

static int hexval(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -1;
}

char *path_decode_name(const char *encoded) {
        char *out = xmalloc0(strlen(encoded) + 1), *o = out;

        if (streq(encoded, "_"))
                return out;

        for (const char *s = encoded; *s; s++) {
                if (*s != '_') {
                        if (!isalnum((unsigned char) *s))
                                goto fail;
                        *o++ = *s;
                        continue;
                }
                int hi = hexval(s[1]), lo = hi >= 0 ? hexval(s[2]) : -1;
                if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                        goto fail;
                *o++ = (char) (hi * 16 + lo);
                s += 2;
        }
        *o = 0;
        return out;
fail:
        free(out);
        return NULL;
}

char *path_for_snapshot(const char *prefix, const char *uuid, const char *name) {
        _cleanup_free_ char *d = path_for_uuid(prefix, uuid);
        _cleanup_free_ char *n = path_encode_name(name);

        return xasprintf("%s_%s", d, n);
}

bool path_to_snapshot(const char *prefix, const char *path,
                      char uuid[UUID_STRING_LEN + 1], char **name) {
        const char *e = child_of(prefix, path);

        if (!e || strlen(e) < UUID_STRING_LEN + 2 || strchr(e, '/'))
                return false;
        if (!parse_uuid_element(e, uuid) || e[UUID_STRING_LEN + 1] != '_')
                return false;
        *name = path_decode_name(e + UUID_STRING_LEN + 2);
        return *name != NULL;
}

char *path_for_key(const char *prefix, const char *key, bool uuid) {
        _cleanup_free_ char *e = NULL;

        if (uuid)
                return path_for_uuid(prefix, key);
        e = path_encode_name(key);
        return xasprintf("%s/%s", prefix, e);
}

char *path_to_key(const char *prefix, const char *path, bool uuid) {
        const char *e = child_of(prefix, path);
        char u[UUID_STRING_LEN + 1];

        if (!e || !*e || strchr(e, '/'))
                return NULL;
        if (uuid)
                return path_to_uuid(prefix, path, u) ? xstrdup(u) : NULL;
        return path_decode_name(e);
}
