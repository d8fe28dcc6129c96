/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>

#include "log.h"
#include "util.h"

bool log_verbose = false;

void log_msg(int priority, const char *fmt, ...) {
        char buf[2048];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        /* One write per line so lines from different threads never mix. */
        fprintf(stderr, "<%d>%s\n", priority, buf);
}

void *xmalloc0(size_t n) {
        void *p = calloc(1, n ? n : 1);
        if (!p) {
                log_error("Out of memory");
                abort();
        }
        return p;
}

char *xstrdup(const char *s) {
        char *p;

        if (!s)
                return NULL;
        p = strdup(s);
        if (!p) {
                log_error("Out of memory");
                abort();
        }
        return p;
}

char *xasprintf(const char *fmt, ...) {
        va_list ap;
        char *p;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&p, fmt, ap);
        va_end(ap);
        if (r < 0) {
                log_error("Out of memory");
                abort();
        }
        return p;
}

void strv_free(char **v) {
        if (!v)
                return;
        for (char **p = v; *p; p++)
                free(*p);
        free(v);
}

size_t strv_length(char *const *v) {
        size_t n = 0;

        while (v && v[n])
                n++;
        return n;
}

void *xrealloc(void *p, size_t n) {
        void *q = realloc(p, n ? n : 1);
        if (!q) {
                log_error("Out of memory");
                abort();
        }
        return q;
}

int fcntl_dupfd_cloexec(int fd) {
        int r = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        return r < 0 ? -errno : r;
}

/* The length of the UTF-8 sequence starting at @s, or 0 if it is invalid. */
static size_t utf8_seq_len(const unsigned char *s) {
        size_t n;
        uint32_t cp;

        if (s[0] < 0x80)
                return 1;
        if ((s[0] & 0xe0) == 0xc0) {
                n = 2;
                cp = s[0] & 0x1f;
        } else if ((s[0] & 0xf0) == 0xe0) {
                n = 3;
                cp = s[0] & 0x0f;
        } else if ((s[0] & 0xf8) == 0xf0) {
                n = 4;
                cp = s[0] & 0x07;
        } else
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3f);
        }
        /* No overlong forms, surrogates or code points beyond U+10FFFF. */
        if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
            (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
                return 0;
        return n;
}

bool utf8_is_valid(const char *s) {
        const unsigned char *p = (const unsigned char *) s;

        while (*p) {
                size_t n = utf8_seq_len(p);
                if (n == 0)
                        return false;
                p += n;
        }
        return true;
}

char *utf8_truncate(const char *s, size_t max) {
        const unsigned char *p = (const unsigned char *) (s ? s : "");
        char *out = xmalloc0(max + 1);
        size_t o = 0;

        while (*p) {
                size_t n = utf8_seq_len(p);
                if (n == 0) {
                        if (o + 1 > max)
                                break;
                        out[o++] = '?';
                        p++;
                        continue;
                }
                if (o + n > max)
                        break;
                memcpy(out + o, p, n);
                o += n;
                p += n;
        }
        out[o] = 0;
        return out;
}

char *uuid_canonical(const char *s) {
        char hex[33];
        size_t n = 0;

        if (!s)
                return NULL;
        while (*s == ' ' || *s == '\t' || *s == '\n')
                s++;
        for (; *s && n < 32; s++) {
                if (*s == '-')
                        continue;
                if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') || (*s >= 'A' && *s <= 'F')))
                        return NULL;
                hex[n++] = (char) (*s >= 'A' && *s <= 'F' ? *s - 'A' + 'a' : *s);
        }
        while (*s == ' ' || *s == '\t' || *s == '\n')
                s++;
        if (n != 32 || *s)
                return NULL;
        hex[32] = 0;
        return xasprintf("%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}
