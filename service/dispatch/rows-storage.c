/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.libvirt.StoragePool and org.libvirt.StorageVol: one object per pool
 * and one per volume of an active pool. The permissions are libvirt's own
 * (src/remote/remote_protocol.x, @acl). Work on storage that may take long
 * (build, delete, copies, wipes, resizes) is a change: it runs on the
 * change lane and holds up no other caller. */
#include "call.h"
#include "lifecycle.h"
#include "ops.h"

/* Results libvirt listed, trimmed to what the caller may see (out[1] has
 * each entry's key). */
static int finish_volume_list(Call *c, sd_bus_error *error) {
        Value *list = &c->work.out[0], *keys = &c->work.out[1];
        size_t n = 0;

        for (size_t i = 0; i < list->items.n; i++) {
                Obj *o = space_get(c->space, KIND_STORAGE_VOL, value_get_str(&keys->items.v[i]));
                if (o ? access_may_see(c->seen, c->space, o) : access_sees_all(c->seen)) {
                        if (n != i) {
                                list->items.v[n] = list->items.v[i];
                                memset(&list->items.v[i], 0, sizeof(Value));
                        }
                        n++;
                } else
                        value_clear(&list->items.v[i]);
        }
        list->items.n = n;
        value_clear(keys);
        return 0;
}

static const Row set_autostart = METHOD("Autostart", ARGS("b", autostart), NO_RESULT,
                                         .perms = { PERM("storage-pool", "write") }, .flags = ROW_CHANGE,
                                         .run = op_pool_set_autostart);

#define READ_PROPERTY(name, index, sig) PROPERTY(name, index, sig, .perms = { PERM("storage-pool", "read") })

static const Row pool_rows[] = {
        READ_PROPERTY("Active", POOL_ACTIVE, "b"),
        PROPERTY("Autostart", POOL_AUTOSTART, "b", .perms = { PERM("storage-pool", "read") },
                 .setter = &set_autostart),
        PROPERTY("Name", POOL_NAME, "s"),
        READ_PROPERTY("Persistent", POOL_PERSISTENT, "b"),
        PROPERTY("UUID", POOL_UUID, "s"),

        METHOD("Build", ARGS("u", flags), NO_RESULT, .perms = { PERM("storage-pool", "format") },
               .flags = ROW_CHANGE, .run = op_pool_build),
        METHOD("Create", ARGS("u", flags), NO_RESULT, .perms = { PERM("storage-pool", "start") },
               .flags = ROW_CHANGE, POOL_FLAGS(virStoragePoolCreate)),
        METHOD("Delete", ARGS("u", flags), NO_RESULT, .perms = { PERM("storage-pool", "format") },
               .flags = ROW_CHANGE, .run = op_pool_delete),
        METHOD("Destroy", NO_ARGS, NO_RESULT, .perms = { PERM("storage-pool", "stop") }, .flags = ROW_CHANGE,
               POOL_VOID(virStoragePoolDestroy)),
        METHOD("GetInfo", NO_ARGS, RESULT("(ittt)", info), .perms = { PERM("storage-pool", "read") },
               .run = op_pool_get_info),
        METHOD("GetXMLDesc", ARGS("u", flags), RESULT("s", xml), .perms = { PERM("storage-pool", "read") },
               POOL_STRING(virStoragePoolGetXMLDesc)),
        METHOD("ListStorageVolumes", ARGS("u", flags), RESULT("ao", storageVols),
               .perms = { PERM("storage-pool", "search-storage-vols") }, .filter = PERM("storage-vol", "getattr"),
               .run = op_pool_list_volumes, .finish = finish_volume_list),
        METHOD("Refresh", ARGS("u", flags), NO_RESULT, .perms = { PERM("storage-pool", "refresh") },
               .flags = ROW_CHANGE, POOL_FLAGS(virStoragePoolRefresh)),
        METHOD("StorageVolCreateXML", ARGS("s", xml, "u", flags), RESULT("o", storageVol),
               .perms = { PERM("storage-vol", "create") },
               .checks = { OBJECT_XML_ARG(0, KIND_STORAGE_VOL, "Storage volume XML") }, .flags = ROW_CHANGE,
               .publish = PUBLISH_FOUND, .run = op_pool_vol_create_xml),
        /* libvirt looks the source up by key (getattr on it), then checks
         * create on the new volume. */
        METHOD("StorageVolCreateXMLFrom", ARGS("s", xml, "s", key, "u", flags), RESULT("o", storageVol),
               .perms = { PERM_ON_ARG("storage-vol", "getattr", 1), PERM("storage-vol", "create") },
               .checks = { OBJECT_XML_ARG(0, KIND_STORAGE_VOL, "Storage volume XML") },
               .flags = ROW_CHANGE | ROW_JOB, .job = "vol-copy", .publish = PUBLISH_FOUND,
               .run = op_pool_vol_create_xml_from),
        METHOD("StorageVolLookupByName", ARGS("s", name), RESULT("o", storageVol), .publish = PUBLISH_LOOKUP,
               .finds = KIND_STORAGE_VOL,
               .not_found = "Storage volume not found: no storage vol with matching name '%s'",
               .run = op_pool_vol_lookup_by_name),
        METHOD("Undefine", NO_ARGS, NO_RESULT, .perms = { PERM("storage-pool", "delete") }, .flags = ROW_CHANGE,
               POOL_VOID(virStoragePoolUndefine)),

        SIGNAL_NO_ARGS("Refresh"),
};

INTERFACE(storage_pool_interface, "org.libvirt.StoragePool", KIND_STORAGE_POOL, ROWS(pool_rows));

static const Row vol_rows[] = {
        PROPERTY("Name", VOL_NAME, "s"),
        PROPERTY("Key", VOL_KEY, "s"),
        PROPERTY("Path", VOL_PATH, "s", .perms = { PERM("storage-vol", "read") }),

        METHOD("Delete", ARGS("u", flags), NO_RESULT, .perms = { PERM("storage-vol", "delete") },
               .flags = ROW_CHANGE, VOL_FLAGS(virStorageVolDelete)),
        METHOD("GetInfo", ARGS("u", flags), RESULT("(itt)", info), .perms = { PERM("storage-vol", "read") },
               .run = op_vol_get_info),
        METHOD("GetXMLDesc", ARGS("u", flags), RESULT("s", xml), .perms = { PERM("storage-vol", "read") },
               VOL_STRING(virStorageVolGetXMLDesc)),
        METHOD("Resize", ARGS("t", capacity, "u", flags), NO_RESULT, .perms = { PERM("storage-vol", "resize") },
               .flags = ROW_CHANGE, .run = op_vol_resize),
        METHOD("Wipe", ARGS("u", pattern, "u", flags), NO_RESULT, .perms = { PERM("storage-vol", "format") },
               .flags = ROW_CHANGE | ROW_JOB, .job = "vol-wipe", .run = op_vol_wipe),
};

INTERFACE(storage_vol_interface, "org.libvirt.StorageVol", KIND_STORAGE_VOL, ROWS(vol_rows));
