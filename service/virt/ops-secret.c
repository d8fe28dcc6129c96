/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Worker functions of org.libvirt.Secret members. */
#include <string.h>

#include "ops.h"
#include "util.h"

int op_secret_get_value(Work *w) {
        size_t size = 0;
        unsigned char *v = virSecretGetValue(w->handle, &size, work_u32(w, 0));
        uint8_t *copy;

        if (!v)
                return -1;
        copy = xmalloc0(size ? size : 1);
        memcpy(copy, v, size);
        /* Secret material does not linger in freed memory. */
        explicit_bzero(v, size);
        free(v);
        w->out[0] = value_take_bytes(copy, size);
        return 0;
}

int op_secret_set_value(Work *w) {
        const Value *v = work_arg(w, 0);

        return virSecretSetValue(w->handle, v->bytes.data, v->bytes.len, work_u32(w, 1));
}
