/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define VIRTBUS_ROOT_PATH "/org/libvirt"
#define UUID_STRING_LEN 36

/* "<prefix>/_<uuid with '-' written as '_'>", as libvirt-dbus names domains. */
char *path_for_uuid(const char *prefix, const char *uuid);

/* Reverse of path_for_uuid(): writes the UUID string (37 bytes with NUL).
 * Returns false if @path is not a direct child of @prefix in that form. */
bool path_to_uuid(const char *prefix, const char *path, char uuid[UUID_STRING_LEN + 1]);

/* Keeps [A-Za-z0-9] and writes any other byte as '_' plus two lower-case hex
 * digits, so any snapshot name becomes a valid object path element. */
char *path_encode_name(const char *name);
char *path_decode_name(const char *encoded);

/* "<prefix>/_<uuid>_<encoded name>" for a snapshot of a domain. */
char *path_for_snapshot(const char *prefix, const char *uuid, const char *name);
bool path_to_snapshot(const char *prefix, const char *path,
                      char uuid[UUID_STRING_LEN + 1], char **name);

/* An object named by @key under @prefix: "_<uuid>" for UUID keys, the
 * encoded key otherwise (volumes by key, node devices by name, interfaces
 * by MAC), as libvirt-dbus names them. */
char *path_for_key(const char *prefix, const char *key, bool uuid);
/* The key of a direct child of @prefix, or NULL. */
char *path_to_key(const char *prefix, const char *path, bool uuid);
