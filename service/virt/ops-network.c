/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Worker functions of org.libvirt.Network members. */
#include "ops.h"
#include "util.h"

int op_network_get_dhcp_leases(Work *w) {
        virNetworkDHCPLeasePtr *leases = NULL;
        int n = virNetworkGetDHCPLeases(w->handle, work_str_or_null(w, 0), &leases, work_u32(w, 1));
        Value *v;

        if (n < 0)
                return -1;
        v = value_init_array(&w->out[0], "(sxisssuss)", (size_t) n);
        for (int i = 0; i < n; i++) {
                virNetworkDHCPLeasePtr l = leases[i];
                Value *f = value_init_struct(&v[i], 9);
                f[0] = value_str(l->iface);
                f[1] = value_i64(l->expirytime);
                f[2] = value_i32(l->type);
                f[3] = value_str(l->mac);
                f[4] = value_str(l->iaid);
                f[5] = value_str(l->ipaddr);
                f[6] = value_u32(l->prefix);
                f[7] = value_str(l->hostname);
                f[8] = value_str(l->clientid);
                virNetworkDHCPLeaseFree(l);
        }
        free(leases);
        return 0;
}

int op_network_set_autostart(Work *w) {
        return virNetworkSetAutostart(w->handle, value_get_bool(work_arg(w, 0)));
}

int op_network_update(Work *w) {
        return virNetworkUpdate(w->handle, work_u32(w, 0), work_u32(w, 1), work_i32(w, 2), work_str(w, 3),
                                work_u32(w, 4));
}
