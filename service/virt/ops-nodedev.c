/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Worker functions of org.libvirt.NodeDevice members. */
#include "ops.h"
#include "util.h"

int op_nodedev_detach(Work *w) {
        return virNodeDeviceDetachFlags(w->handle, work_str_or_null(w, 0), work_u32(w, 1));
}

int op_nodedev_list_caps(Work *w) {
        int n = virNodeDeviceNumOfCaps(w->handle);
        char **caps;
        Value *v;

        if (n < 0)
                return -1;
        caps = xmalloc0(sizeof(char *) * (size_t) (n + 1));
        n = n > 0 ? virNodeDeviceListCaps(w->handle, caps, n) : 0;
        if (n < 0) {
                free(caps);
                return -1;
        }
        v = value_init_array(&w->out[0], "s", (size_t) n);
        for (int i = 0; i < n; i++)
                v[i] = value_take_str(caps[i]);
        free(caps);
        return 0;
}
