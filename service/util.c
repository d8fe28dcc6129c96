/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
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
