/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

static inline void freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline void closep(int *fd) {
        if (*fd >= 0)
                close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

static inline bool streq_ptr(const char *a, const char *b) {
        if (!a || !b)
                return a == b;
        return strcmp(a, b) == 0;
}

static inline const char *strna(const char *s) {
        return s ? s : "n/a";
}

static inline const char *strempty(const char *s) {
        return s ? s : "";
}

#define streq(a, b) (strcmp((a), (b)) == 0)

static inline void *steal_pointer(void *pp) {
        void **p = pp, *q = *p;
        *p = NULL;
        return q;
}
#define TAKE_PTR(p) steal_pointer(&(p))

/* Exits on allocation failure: the daemon cannot do anything useful once
 * malloc fails, and checking every tiny strdup would drown the logic. */
void *xmalloc0(size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void strv_free(char **v);
size_t strv_length(char *const *v);
void *xrealloc(void *p, size_t n);

/* A close-on-exec duplicate of @fd numbered 3 or above, or -errno. */
int fcntl_dupfd_cloexec(int fd);

/* libvirt takes NULL where D-Bus can only send "". */
static inline const char *empty_to_null(const char *s) {
        return s && *s ? s : NULL;
}

/* Whether @s is valid UTF-8 (D-Bus strings must be). */
bool utf8_is_valid(const char *s);
/* A copy of at most @max bytes of @s that never ends inside a character
 * and replaces invalid bytes with '?', so error texts built from caller
 * input are always valid UTF-8. */
char *utf8_truncate(const char *s, size_t max);

/* The canonical text of a UUID written the ways libvirt accepts it (upper
 * case, dashes anywhere or none, spaces around): 36 lower-case characters
 * with dashes at 8-4-4-4-12, or NULL when @s is not a UUID. */
char *uuid_canonical(const char *s);
