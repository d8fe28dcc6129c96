/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the object path codecs (base/paths.c). Every decoder
 * must take any string; whatever an encoder makes, its decoder must give
 * back unchanged. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "paths.h"

#define PREFIX "/org/libvirt/Test/domain"
#define SNAP_PREFIX "/org/libvirt/Test/domainsnapshot"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *s = malloc(size + 1), *enc, *dec, *name = NULL, *key;
        char uuid[UUID_STRING_LEN + 1];

        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = 0;

        /* Names round-trip through the encoding. */
        enc = path_encode_name(s);
        dec = enc ? path_decode_name(enc) : NULL;
        if (enc && (!dec || strcmp(dec, s) != 0))
                abort();
        free(enc);
        free(dec);

        /* Decoders take anything. */
        free(path_decode_name(s));
        (void) path_to_uuid(PREFIX, s, uuid);
        if (path_to_snapshot(SNAP_PREFIX, s, uuid, &name))
                free(name);
        free(path_to_key(PREFIX, s, true));
        free(path_to_key(PREFIX, s, false));

        /* A key made into a path comes back. */
        enc = path_for_key(PREFIX, s, false);
        if (enc) {
                key = path_to_key(PREFIX, enc, false);
                if (!key || strcmp(key, s) != 0)
                        abort();
                free(key);
                free(enc);
        }
        /* So does a snapshot name. */
        enc = path_for_snapshot(SNAP_PREFIX, "6695eb01-f6a4-8304-79aa-97f2502e193f", s);
        if (enc) {
                name = NULL;
                if (!path_to_snapshot(SNAP_PREFIX, enc, uuid, &name) || strcmp(name, s) != 0)
                        abort();
                free(name);
                free(enc);
        }
        free(s);
        return 0;
}
