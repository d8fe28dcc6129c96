/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Worker functions of org.libvirt.Domain and DomainSnapshot members. */
#include <fcntl.h>
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

/* ---- block jobs ------------------------------------------------------------------ */

int op_domain_block_commit(Work *w) {
        /* "" can name no image of a chain: it stands for libvirt's NULL
         * (the active layer for top, the image below top for base). */
        return virDomainBlockCommit(w->handle, work_str(w, 0), work_str_or_null(w, 1), work_str_or_null(w, 2),
                                    (unsigned long) work_u64(w, 3), work_u32(w, 4));
}

int op_domain_block_copy(Work *w) {
        const Value *p = work_arg(w, 2);

        return virDomainBlockCopy(w->handle, work_str(w, 0), work_str(w, 1), p->params.p, p->params.n,
                                  work_u32(w, 3));
}

int op_domain_block_job_set_speed(Work *w) {
        return virDomainBlockJobSetSpeed(w->handle, work_str(w, 0), (unsigned long) work_u64(w, 1),
                                         work_u32(w, 2));
}

int op_domain_block_pull(Work *w) {
        return virDomainBlockPull(w->handle, work_str(w, 0), (unsigned long) work_u64(w, 1), work_u32(w, 2));
}

int op_domain_block_rebase(Work *w) {
        return virDomainBlockRebase(w->handle, work_str(w, 0), work_str_or_null(w, 1),
                                    (unsigned long) work_u64(w, 2), work_u32(w, 3));
}

int op_domain_block_resize(Work *w) {
        return virDomainBlockResize(w->handle, work_str(w, 0), work_u64(w, 1), work_u32(w, 2));
}

int op_domain_get_block_job_info(Work *w) {
        virDomainBlockJobInfo info = { 0 };
        Value *v;

        /* 0 means no job: the zeroed info says so. */
        if (virDomainGetBlockJobInfo(w->handle, work_str(w, 0), &info, work_u32(w, 1)) < 0)
                return -1;
        v = value_init_struct(&w->out[0], 4);
        v[0] = value_i32(info.type);
        v[1] = value_u64(info.bandwidth);
        v[2] = value_u64(info.cur);
        v[3] = value_u64(info.end);
        return 0;
}

/* The row bounds @size (domain_peek_max()), so the buffer is. */
int op_domain_block_peek(Work *w) {
        size_t size = (size_t) work_u64(w, 2);
        _cleanup_free_ uint8_t *buf = xmalloc0(size + 1);

        if (virDomainBlockPeek(w->handle, work_str(w, 0), work_u64(w, 1), size, buf, work_u32(w, 3)) < 0)
                return -1;
        w->out[0] = value_take_bytes(TAKE_PTR(buf), size);
        return 0;
}

int op_domain_memory_peek(Work *w) {
        size_t size = (size_t) work_u64(w, 1);
        _cleanup_free_ uint8_t *buf = xmalloc0(size + 1);

        if (virDomainMemoryPeek(w->handle, work_u64(w, 0), size, buf, work_u32(w, 2)) < 0)
                return -1;
        w->out[0] = value_take_bytes(TAKE_PTR(buf), size);
        return 0;
}

/* ---- tuning ------------------------------------------------------------------------ */

/* virDomainGetSchedulerParametersFlags() cannot count its parameters: the
 * scheduler type says how many there are. */
static int get_scheduler_params(Work *w, virTypedParameterPtr p, int *n) {
        char *type;

        if (p)
                return virDomainGetSchedulerParametersFlags(w->handle, p, n, work_u32(w, 0));
        type = virDomainGetSchedulerType(w->handle, n);
        if (!type)
                return -1;
        free(type);
        return 0;
}

int op_domain_get_scheduler_params(Work *w) {
        return work_params_get(w, 0, get_scheduler_params);
}

int op_domain_get_perf_events(Work *w) {
        virTypedParameterPtr p = NULL;
        int n = 0;

        if (virDomainGetPerfEvents(w->handle, &p, &n, work_u32(w, 0)) < 0)
                return -1;
        w->out[0] = value_take_params(typed_params_copy(p, n), n);
        virTypedParamsFree(p, n);
        return 0;
}

int op_domain_set_memory_stats_period(Work *w) {
        return virDomainSetMemoryStatsPeriod(w->handle, work_i32(w, 0), work_u32(w, 1));
}

/* ---- the guest agent ----------------------------------------------------------------- */

/* An "as" argument as libvirt's array of strings (NULL when empty). */
static const char **strings_of(const Value *list) {
        const char **s;

        if (list->items.n == 0)
                return NULL;
        s = xmalloc0(sizeof(char *) * (list->items.n + 1));
        for (size_t i = 0; i < list->items.n; i++)
                s[i] = value_get_str(&list->items.v[i]);
        return s;
}

int op_domain_fs_freeze(Work *w) {
        const Value *list = work_arg(w, 0);
        _cleanup_free_ const char **mountpoints = strings_of(list);
        int n = virDomainFSFreeze(w->handle, mountpoints, (unsigned) list->items.n, work_u32(w, 1));

        if (n < 0)
                return -1;
        w->out[0] = value_u32((uint32_t) n);
        return 0;
}

int op_domain_fs_thaw(Work *w) {
        const Value *list = work_arg(w, 0);
        _cleanup_free_ const char **mountpoints = strings_of(list);
        int n = virDomainFSThaw(w->handle, mountpoints, (unsigned) list->items.n, work_u32(w, 1));

        if (n < 0)
                return -1;
        w->out[0] = value_u32((uint32_t) n);
        return 0;
}

int op_domain_fs_trim(Work *w) {
        return virDomainFSTrim(w->handle, work_str_or_null(w, 0), work_u64(w, 1), work_u32(w, 2));
}

int op_domain_get_fs_info(Work *w) {
        virDomainFSInfoPtr *info = NULL;
        int n = virDomainGetFSInfo(w->handle, &info, work_u32(w, 0));
        Value *list;

        if (n < 0)
                return -1;
        list = value_init_array(&w->out[0], "(sssas)", (size_t) n);
        for (int i = 0; i < n; i++) {
                Value *fs = value_init_struct(&list[i], 4), *aliases;
                fs[0] = value_str(info[i]->mountpoint);
                fs[1] = value_str(info[i]->name);
                fs[2] = value_str(info[i]->fstype);
                aliases = value_init_array(&fs[3], "s", info[i]->ndevAlias);
                for (size_t j = 0; j < info[i]->ndevAlias; j++)
                        aliases[j] = value_str(info[i]->devAlias[j]);
                virDomainFSInfoFree(info[i]);
        }
        free(info);
        return 0;
}

int op_domain_get_guest_vcpus(Work *w) {
        virTypedParameterPtr p = NULL;
        unsigned int n = 0;

        if (virDomainGetGuestVcpus(w->handle, &p, &n, work_u32(w, 0)) < 0)
                return -1;
        w->out[0] = value_take_params(typed_params_copy(p, (int) n), (int) n);
        virTypedParamsFree(p, (int) n);
        return 0;
}

/* An "ab" of vCPUs as libvirt's list of ranges: [1,1,0,1] is "0-1,3". */
static char *vcpu_ranges(const Value *bits) {
        size_t n = bits->items.n, len = 0;
        char *s = xmalloc0(n * 24 + 1);

        for (size_t i = 0; i < n;) {
                size_t j = i;
                if (!bits->items.v[i].b) {
                        i++;
                        continue;
                }
                while (j + 1 < n && bits->items.v[j + 1].b)
                        j++;
                len += (size_t) sprintf(s + len, len ? ",%zu" : "%zu", i);
                if (j > i)
                        len += (size_t) sprintf(s + len, "-%zu", j);
                i = j + 1;
        }
        return s;
}

int op_domain_set_guest_vcpus(Work *w) {
        _cleanup_free_ char *cpumap = vcpu_ranges(work_arg(w, 0));

        return virDomainSetGuestVcpus(w->handle, cpumap, work_i32(w, 1), work_u32(w, 2));
}

int op_domain_set_user_password(Work *w) {
        return virDomainSetUserPassword(w->handle, work_str(w, 0), work_str(w, 1), work_u32(w, 2));
}

int op_domain_set_time(Work *w) {
        return virDomainSetTime(w->handle, (long long) work_u64(w, 0), work_u32(w, 1), work_u32(w, 2));
}

int op_domain_interface_addresses(Work *w) {
        virDomainInterfacePtr *ifaces = NULL;
        int n = virDomainInterfaceAddresses(w->handle, &ifaces, work_u32(w, 0), work_u32(w, 1));
        Value *list;

        if (n < 0)
                return -1;
        list = value_init_array(&w->out[0], "(ssa(isu))", (size_t) n);
        for (int i = 0; i < n; i++) {
                Value *iface = value_init_struct(&list[i], 3), *addrs;
                iface[0] = value_str(ifaces[i]->name);
                iface[1] = value_str(ifaces[i]->hwaddr);
                addrs = value_init_array(&iface[2], "(isu)", ifaces[i]->naddrs);
                for (size_t j = 0; j < ifaces[i]->naddrs; j++) {
                        Value *a = value_init_struct(&addrs[j], 3);
                        a[0] = value_i32(ifaces[i]->addrs[j].type);
                        a[1] = value_str(ifaces[i]->addrs[j].addr);
                        a[2] = value_u32(ifaces[i]->addrs[j].prefix);
                }
                virDomainInterfaceFree(ifaces[i]);
        }
        free(ifaces);
        return 0;
}

/* ---- migration -------------------------------------------------------------------- */

int op_domain_migrate_to_uri3(Work *w) {
        const Value *p = work_arg(w, 1);

        return virDomainMigrateToURI3(w->handle, work_str_or_null(w, 0), p->params.p, (unsigned) p->params.n,
                                      work_u32(w, 2));
}

int op_domain_migrate_get_max_speed(Work *w) {
        unsigned long bandwidth = 0;

        if (virDomainMigrateGetMaxSpeed(w->handle, &bandwidth, work_u32(w, 0)) < 0)
                return -1;
        w->out[0] = value_u64(bandwidth);
        return 0;
}

int op_domain_migrate_set_max_speed(Work *w) {
        return virDomainMigrateSetMaxSpeed(w->handle, (unsigned long) work_u64(w, 0), work_u32(w, 1));
}

/* ---- the rest ---------------------------------------------------------------------- */

int op_domain_core_dump(Work *w) {
        return virDomainCoreDumpWithFormat(w->handle, work_str(w, 0), work_u32(w, 1), work_u32(w, 2));
}

int op_domain_open_graphics_fd(Work *w) {
        int fd = virDomainOpenGraphicsFD(w->handle, work_u32(w, 0), work_u32(w, 1));

        if (fd < 0)
                return -1;
        /* Only the caller gets it: nothing the daemon starts may inherit it. */
        (void) fcntl(fd, F_SETFD, FD_CLOEXEC);
        w->out[0] = value_take_fd(fd);
        return 0;
}

int op_domain_pin_emulator(Work *w) {
        int maplen;
        _cleanup_free_ unsigned char *map = cpumap_of(work_arg(w, 0), &maplen);

        return virDomainPinEmulator(w->handle, map, maplen, work_u32(w, 1));
}

int op_domain_pin_iothread(Work *w) {
        int maplen;
        _cleanup_free_ unsigned char *map = cpumap_of(work_arg(w, 1), &maplen);

        return virDomainPinIOThread(w->handle, work_u32(w, 0), map, maplen, work_u32(w, 2));
}

/* The host's CPUs as an "ab" of @map (@maplen bytes): one entry per CPU. */
static void cpumap_out(Value *v, int hostcpus, const unsigned char *map, int maplen) {
        Value *bits = value_init_array(v, "b", (size_t) hostcpus);

        for (int c = 0; c < hostcpus; c++)
                bits[c] = value_bool(c < maplen * 8 && VIR_CPU_USED(map, c));
}

int op_domain_get_emulator_pin_info(Work *w) {
        int hostcpus = virNodeGetCPUMap(w->vconn, NULL, NULL, 0), maplen;
        _cleanup_free_ unsigned char *map = NULL;

        if (hostcpus < 0)
                return -1;
        maplen = VIR_CPU_MAPLEN(hostcpus);
        map = xmalloc0((size_t) maplen);
        if (virDomainGetEmulatorPinInfo(w->handle, map, maplen, work_u32(w, 0)) < 0)
                return -1;
        cpumap_out(&w->out[0], hostcpus, map, maplen);
        return 0;
}

int op_domain_get_iothread_info(Work *w) {
        virDomainIOThreadInfoPtr *info = NULL;
        int n = virDomainGetIOThreadInfo(w->handle, &info, work_u32(w, 0)), hostcpus;
        Value *list;

        if (n < 0)
                return -1;
        hostcpus = virNodeGetCPUMap(w->vconn, NULL, NULL, 0);
        if (hostcpus >= 0) {
                list = value_init_array(&w->out[0], "(uab)", (size_t) n);
                for (int i = 0; i < n; i++) {
                        Value *t = value_init_struct(&list[i], 2);
                        t[0] = value_u32(info[i]->iothread_id);
                        cpumap_out(&t[1], hostcpus, info[i]->cpumap, info[i]->cpumaplen);
                }
        }
        for (int i = 0; i < n; i++)
                virDomainIOThreadInfoFree(info[i]);
        free(info);
        return hostcpus < 0 ? -1 : 0;
}

int op_domain_get_security_labels(Work *w) {
        virSecurityLabelPtr labels = NULL;
        int n = virDomainGetSecurityLabelList(w->handle, &labels);
        Value *list;

        if (n < 0)
                return -1;
        list = value_init_array(&w->out[0], "(sb)", (size_t) n);
        for (int i = 0; i < n; i++) {
                Value *l = value_init_struct(&list[i], 2);
                l[0] = value_str(labels[i].label);
                l[1] = value_bool(labels[i].enforcing);
        }
        free(labels);
        return 0;
}

int op_domain_get_disk_errors(Work *w) {
        unsigned flags = work_u32(w, 0);
        int n = virDomainGetDiskErrors(w->handle, NULL, 0, flags);
        _cleanup_free_ virDomainDiskErrorPtr errors = NULL;
        Value *list;

        if (n < 0)
                return -1;
        errors = xmalloc0(sizeof(*errors) * (size_t) (n + 1));
        if (n > 0 && (n = virDomainGetDiskErrors(w->handle, errors, (unsigned) n, flags)) < 0)
                return -1;
        list = value_init_array(&w->out[0], "(si)", (size_t) n);
        for (int i = 0; i < n; i++) {
                Value *e = value_init_struct(&list[i], 2);
                e[0] = value_str(errors[i].disk);
                e[1] = value_i32(errors[i].error);
                free(errors[i].disk);
        }
        return 0;
}

int op_domain_send_process_signal(Work *w) {
        return virDomainSendProcessSignal(w->handle, work_i64(w, 0), work_u32(w, 1), work_u32(w, 2));
}
