/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Worker functions of org.libvirt.Domain and DomainSnapshot members. */
#include <stdio.h>

#include "ops.h"
#include "paths.h"
#include "pool.h"
#include "util.h"
#include "xmlread.h"

char *work_snapshot_path(Work *w, const char *name) {
        char uuid[VIR_UUID_STRING_BUFLEN] = "";

        virDomainGetUUIDString(w->handle, uuid);
        return path_for_snapshot(w->snapshot_prefix, uuid, name);
}

int op_domain_create_with_files(Work *w) {
        const Value *files = work_arg(w, 0);
        _cleanup_free_ int *fds = xmalloc0(sizeof(int) * (files->items.n + 1));

        for (size_t i = 0; i < files->items.n; i++)
                fds[i] = files->items.v[i].fd;
        return virDomainCreateWithFiles(w->handle, (unsigned) files->items.n, fds, work_u32(w, 1));
}

int op_domain_save(Work *w) {
        test_delay();
        return virDomainSaveFlags(w->handle, work_str(w, 0), work_str_or_null(w, 1), work_u32(w, 2));
}

int op_domain_rename(Work *w) {
        char uuid[VIR_UUID_STRING_BUFLEN];
        virDomainPtr fresh;

        if (virDomainRename(w->handle, work_str(w, 0), work_u32(w, 1)) < 0)
                return -1;
        /* Not every driver renames the virDomainPtr it was given: the facts
         * after the call come from a fresh one. */
        if (virDomainGetUUIDString(w->handle, uuid) == 0 && (fresh = virDomainLookupByUUIDString(w->vconn, uuid)))
                if (work_found(w, KIND_DOMAIN, fresh, WORK_MAX_OUT - 1) < 0)
                        work_clear_results(w);
        virResetLastError();
        return 0;
}

int op_domain_get_state(Work *w) {
        int state, reason;
        Value *v;

        if (virDomainGetState(w->handle, &state, &reason, work_u32(w, 0)) < 0)
                return -1;
        v = value_init_struct(&w->out[0], 2);
        v[0] = value_i32(state);
        v[1] = value_i32(reason);
        return 0;
}

int op_domain_get_stats(Work *w) {
        virDomainPtr doms[] = { w->handle, NULL };
        virDomainStatsRecordPtr *records = NULL;
        int n = virDomainListGetStats(doms, work_u32(w, 0), &records, work_u32(w, 1));

        if (n < 0)
                return -1;
        w->out[0] = n > 0 ? value_take_params(typed_params_copy(records[0]->params, records[0]->nparams),
                                              records[0]->nparams)
                          : value_take_params(NULL, 0);
        virDomainStatsRecordListFree(records);
        return 0;
}

int op_domain_get_job_info(Work *w) {
        virDomainJobInfo i;
        Value *v;

        if (virDomainGetJobInfo(w->handle, &i) < 0)
                return -1;
        v = value_init_struct(&w->out[0], 12);
        v[0] = value_i32(i.type);
        v[1] = value_u64(i.timeElapsed);
        v[2] = value_u64(i.timeRemaining);
        v[3] = value_u64(i.dataTotal);
        v[4] = value_u64(i.dataProcessed);
        v[5] = value_u64(i.dataRemaining);
        v[6] = value_u64(i.memTotal);
        v[7] = value_u64(i.memProcessed);
        v[8] = value_u64(i.memRemaining);
        v[9] = value_u64(i.fileTotal);
        v[10] = value_u64(i.fileProcessed);
        v[11] = value_u64(i.fileRemaining);
        return 0;
}

int op_domain_get_job_stats(Work *w) {
        virTypedParameterPtr params = NULL;
        int type = 0, n = 0;
        Value *v;

        if (virDomainGetJobStats(w->handle, &type, &params, &n, work_u32(w, 0)) < 0)
                return -1;
        v = value_init_struct(&w->out[0], 2);
        v[0] = value_i32(type);
        v[1] = value_take_params(typed_params_copy(params, n), n);
        virTypedParamsFree(params, n);
        return 0;
}

int op_domain_memory_stats(Work *w) {
        virDomainMemoryStatStruct stats[VIR_DOMAIN_MEMORY_STAT_NR];
        int n = virDomainMemoryStats(w->handle, stats, VIR_DOMAIN_MEMORY_STAT_NR, work_u32(w, 0));
        Value *v;

        if (n < 0)
                return -1;
        v = value_init_array(&w->out[0], "{it}", (size_t) n);
        for (int i = 0; i < n; i++) {
                Value *e = value_init_struct(&v[i], 2);
                v[i].type = 'e';
                e[0] = value_i32(stats[i].tag);
                e[1] = value_u64(stats[i].val);
        }
        return 0;
}

int op_domain_get_control_info(Work *w) {
        virDomainControlInfo info;
        Value *v;

        if (virDomainGetControlInfo(w->handle, &info, work_u32(w, 0)) < 0)
                return -1;
        v = value_init_struct(&w->out[0], 3);
        v[0] = value_u32(info.state);
        v[1] = value_u32(info.details);
        v[2] = value_u64(info.stateTime);
        return 0;
}

int op_domain_get_metadata(Work *w) {
        char *s = virDomainGetMetadata(w->handle, work_i32(w, 0), work_str_or_null(w, 1), work_u32(w, 2));

        if (!s)
                return -1;
        w->out[0] = value_take_str(s);
        return 0;
}

int op_domain_set_metadata(Work *w) {
        return virDomainSetMetadata(w->handle, work_i32(w, 0), work_str_or_null(w, 1), work_str_or_null(w, 2),
                                    work_str_or_null(w, 3), work_u32(w, 4));
}

int op_domain_get_time(Work *w) {
        long long seconds = 0;
        unsigned int nseconds = 0;
        Value *v;

        if (virDomainGetTime(w->handle, &seconds, &nseconds, work_u32(w, 0)) < 0)
                return -1;
        v = value_init_struct(&w->out[0], 2);
        v[0] = value_u64((uint64_t) seconds);
        v[1] = value_u32(nseconds);
        return 0;
}

int op_domain_get_vcpu_pin_info(Work *w) {
        virDomainInfo info;
        int hostcpus, maplen;
        _cleanup_free_ unsigned char *maps = NULL;
        Value *vcpus;

        if (virDomainGetInfo(w->handle, &info) < 0)
                return -1;
        hostcpus = virNodeGetCPUMap(w->vconn, NULL, NULL, 0);
        if (hostcpus < 0)
                return -1;
        maplen = VIR_CPU_MAPLEN(hostcpus);
        maps = xmalloc0((size_t) info.nrVirtCpu * (size_t) maplen + 1);
        if (virDomainGetVcpuPinInfo(w->handle, info.nrVirtCpu, maps, maplen, work_u32(w, 0)) < 0)
                return -1;
        vcpus = value_init_array(&w->out[0], "ab", info.nrVirtCpu);
        for (unsigned v = 0; v < info.nrVirtCpu; v++) {
                Value *bits = value_init_array(&vcpus[v], "b", (size_t) hostcpus);
                for (int c = 0; c < hostcpus; c++)
                        bits[c] = value_bool(VIR_CPU_USABLE(maps, maplen, v, c));
        }
        return 0;
}

/* An "ab" argument as libvirt's CPU map. */
static unsigned char *cpumap_of(const Value *bits, int *maplen) {
        size_t n = bits->items.n;
        unsigned char *map;

        *maplen = VIR_CPU_MAPLEN(n ? n : 1);
        map = xmalloc0((size_t) *maplen);
        for (size_t i = 0; i < n; i++)
                if (bits->items.v[i].b)
                        VIR_USE_CPU(map, i);
        return map;
}

int op_domain_pin_vcpu(Work *w) {
        int maplen;
        _cleanup_free_ unsigned char *map = cpumap_of(work_arg(w, 1), &maplen);

        return virDomainPinVcpuFlags(w->handle, work_u32(w, 0), map, maplen, work_u32(w, 2));
}

int op_domain_set_memory(Work *w) {
        return virDomainSetMemoryFlags(w->handle, (unsigned long) work_u64(w, 0), work_u32(w, 1));
}

int op_domain_send_key(Work *w) {
        const Value *codes = work_arg(w, 2);
        _cleanup_free_ unsigned int *keys = xmalloc0(sizeof(unsigned int) * (codes->items.n + 1));

        for (size_t i = 0; i < codes->items.n; i++)
                keys[i] = codes->items.v[i].u;
        return virDomainSendKey(w->handle, work_u32(w, 0), work_u32(w, 1), keys, (int) codes->items.n,
                                work_u32(w, 3));
}

int op_domain_set_autostart(Work *w) {
        return virDomainSetAutostart(w->handle, value_get_bool(work_arg(w, 0)));
}

/* Snapshot names to object paths under the target domain. */
static int snapshot_path_out(Work *w, virDomainSnapshotPtr snap) {
        if (!snap)
                return -1;
        w->out[0] = value_take_path(work_snapshot_path(w, virDomainSnapshotGetName(snap)));
        virDomainSnapshotFree(snap);
        return 0;
}

static int snapshot_paths_out(Work *w, virDomainSnapshotPtr *snaps, int n) {
        Value *v;

        if (n < 0)
                return -1;
        v = value_init_array(&w->out[0], "o", (size_t) n);
        for (int i = 0; i < n; i++) {
                v[i] = value_take_path(work_snapshot_path(w, virDomainSnapshotGetName(snaps[i])));
                virDomainSnapshotFree(snaps[i]);
        }
        free(snaps);
        return 0;
}

int op_domain_snapshot_create(Work *w) {
        return snapshot_path_out(w, virDomainSnapshotCreateXML(w->handle, work_str(w, 0), work_u32(w, 1)));
}

int op_domain_snapshot_current(Work *w) {
        return snapshot_path_out(w, virDomainSnapshotCurrent(w->handle, work_u32(w, 0)));
}

int op_domain_snapshot_lookup(Work *w) {
        return snapshot_path_out(w, virDomainSnapshotLookupByName(w->handle, work_str(w, 0), work_u32(w, 1)));
}

int op_domain_list_snapshots(Work *w) {
        virDomainSnapshotPtr *snaps = NULL;
        int n = virDomainListAllSnapshots(w->handle, &snaps, work_u32(w, 0));

        return snapshot_paths_out(w, snaps, n);
}

int op_snapshot_get_parent(Work *w) {
        return snapshot_path_out(w, virDomainSnapshotGetParent(w->sub_handle, work_u32(w, 0)));
}

int op_snapshot_list_children(Work *w) {
        virDomainSnapshotPtr *children = NULL;
        int n = virDomainSnapshotListAllChildren(w->sub_handle, &children, work_u32(w, 0));

        return snapshot_paths_out(w, children, n);
}

/* ---- which calls are long ones ----------------------------------------------- */

bool op_domain_create_probe(Work *w) {
        /* Starting from a managed save image restores the saved memory. */
        return virDomainHasManagedSaveImage(w->handle, 0) > 0;
}

bool op_domain_snapshot_create_probe(Work *w) {
        /* Only a running domain's memory takes long to save: disk-only
         * snapshots and redefined metadata are quick. */
        if (work_u32(w, 1) & (VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY | VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE))
                return false;
        return virDomainIsActive(w->handle) > 0;
}

bool op_snapshot_revert_probe(Work *w) {
        _cleanup_free_ char *xml = virDomainSnapshotGetXMLDesc(w->sub_handle, 0);
        _cleanup_free_ char *state = xml_root_child_text(xml, "state");

        /* A snapshot of a running or paused domain holds its memory, which
         * reverting loads. */
        return state && (streq(state, "running") || streq(state, "paused") || streq(state, "pmsuspended"));
}
