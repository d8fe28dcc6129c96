/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Worker functions of org.libvirt.StoragePool and org.libvirt.StorageVol
 * members. Building, deleting, copying, wiping and resizing storage may
 * take long: their rows are changes, which run on the change lane of the
 * pool and hold up no other caller (and the test delay seam makes them
 * slow on purpose). */
#include "ops.h"
#include "pool.h"
#include "util.h"

int op_pool_build(Work *w) {
        test_delay();
        return virStoragePoolBuild(w->handle, work_u32(w, 0));
}

int op_pool_delete(Work *w) {
        test_delay();
        return virStoragePoolDelete(w->handle, work_u32(w, 0));
}

int op_pool_get_info(Work *w) {
        virStoragePoolInfo info;
        Value *v;

        if (virStoragePoolGetInfo(w->handle, &info) < 0)
                return -1;
        v = value_init_struct(&w->out[0], 4);
        v[0] = value_i32(info.state);
        v[1] = value_u64(info.capacity);
        v[2] = value_u64(info.allocation);
        v[3] = value_u64(info.available);
        return 0;
}

int op_pool_set_autostart(Work *w) {
        return virStoragePoolSetAutostart(w->handle, value_get_bool(work_arg(w, 0)));
}

int op_pool_vol_create_xml(Work *w) {
        test_delay();
        return work_found(w, KIND_STORAGE_VOL, virStorageVolCreateXML(w->handle, work_str(w, 0), work_u32(w, 1)), 0);
}

int op_pool_vol_create_xml_from(Work *w) {
        virStorageVolPtr from = virStorageVolLookupByKey(w->vconn, work_str(w, 1));
        virStorageVolPtr vol;

        if (!from)
                return -1;
        test_delay();
        vol = virStorageVolCreateXMLFrom(w->handle, work_str(w, 0), from, work_u32(w, 2));
        virStorageVolFree(from);
        return work_found(w, KIND_STORAGE_VOL, vol, 0);
}

int op_pool_vol_lookup_by_name(Work *w) {
        return work_found(w, KIND_STORAGE_VOL, virStorageVolLookupByName(w->handle, work_str(w, 0)), 0);
}

int op_vol_get_info(Work *w) {
        virStorageVolInfo info;
        Value *v;

        if (virStorageVolGetInfoFlags(w->handle, &info, work_u32(w, 0)) < 0)
                return -1;
        v = value_init_struct(&w->out[0], 3);
        v[0] = value_i32(info.type);
        v[1] = value_u64(info.capacity);
        v[2] = value_u64(info.allocation);
        return 0;
}

int op_vol_resize(Work *w) {
        test_delay();
        return virStorageVolResize(w->handle, work_u64(w, 0), work_u32(w, 1));
}

int op_vol_wipe(Work *w) {
        test_delay();
        return virStorageVolWipePattern(w->handle, work_u32(w, 0), work_u32(w, 1));
}
