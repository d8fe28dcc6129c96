/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Values typed by D-Bus signatures: the arguments a call brings, the results
 * a worker produces and the facts the tables hold. A Value is plain memory,
 * safe to hand between threads; dispatch/marshal.c moves it on and off the
 * bus by signature. Two kinds have a representation of their own because
 * libvirt has one: 'P' is an a{sv} of libvirt typed parameters, 'Y' an ay of
 * raw bytes. */

#include <libvirt/libvirt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct Value Value;

struct Value {
        /* A D-Bus type code ('b', 'u', 's', 'o', 'a', 'r', 'e', 'h'...),
         * 'P' or 'Y', or 0 while unset. */
        char type;
        /* 'a': the element signature (static storage), needed to write
         * an empty array. */
        const char *elem;
        union {
                int b;
                uint8_t y;
                int16_t n;
                uint16_t q;
                int32_t i;
                uint32_t u;
                int64_t x;
                uint64_t t;
                double d;
                char *s;        /* 's', 'o', 'g': owned */
                int fd;         /* 'h': an owned descriptor */
                struct {
                        Value *v;
                        size_t n;
                } items;        /* 'a', 'r' (struct), 'e' (dict entry) */
                struct {
                        virTypedParameterPtr p;
                        int n;
                } params;       /* 'P' */
                struct {
                        uint8_t *data;
                        size_t len;
                } bytes;        /* 'Y' */
        };
};

void value_clear(Value *v);
void value_clear_many(Value *v, size_t n);
void value_copy(Value *dst, const Value *src);
bool value_equal(const Value *a, const Value *b);

static inline Value value_bool(bool b) { return (Value) { .type = 'b', .b = b }; }
static inline Value value_i32(int32_t i) { return (Value) { .type = 'i', .i = i }; }
static inline Value value_u32(uint32_t u) { return (Value) { .type = 'u', .u = u }; }
static inline Value value_i64(int64_t x) { return (Value) { .type = 'x', .x = x }; }
static inline Value value_u64(uint64_t t) { return (Value) { .type = 't', .t = t }; }
static inline Value value_double(double d) { return (Value) { .type = 'd', .d = d }; }
/* Copies @s (NULL reads as ""). */
Value value_str(const char *s);
/* Takes @s, which must come from malloc (NULL reads as ""). */
Value value_take_str(char *s);
Value value_path(const char *path);
Value value_take_path(char *path);
/* Takes @p (freed with typed_params_free()). */
Value value_take_params(virTypedParameterPtr p, int n);
/* Takes @data (from malloc). */
Value value_take_bytes(uint8_t *data, size_t len);
/* Takes the descriptor @fd. */
static inline Value value_take_fd(int fd) { return (Value) { .type = 'h', .fd = fd }; }

/* Containers: set @v up with @n zeroed members and return them. */
Value *value_init_struct(Value *v, size_t n);
Value *value_init_array(Value *v, const char *elem, size_t n);

/* Reading a value whose type the signature fixed. A mismatch is a bug in the
 * method table: it aborts, and the test that calls every member finds it. */
const char *value_get_str(const Value *v);
uint32_t value_get_u32(const Value *v);
int32_t value_get_i32(const Value *v);
uint64_t value_get_u64(const Value *v);
int64_t value_get_i64(const Value *v);
bool value_get_bool(const Value *v);

/* Deep copies and frees of typed parameter arrays handed between threads. */
virTypedParameterPtr typed_params_copy(const virTypedParameter *params, int n);
void typed_params_free(virTypedParameterPtr params, int n);

/* Signatures: the length of the first complete type of @sig, and the number
 * of complete types in it (0 for a malformed one). */
size_t signature_first_len(const char *sig);
size_t signature_count(const char *sig);
