/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.libvirt.Domain: one object per domain. The permissions are libvirt's
 * own (src/remote/remote_protocol.x, @acl), flag-dependent ones included. */
#include <inttypes.h>

#include "call.h"
#include "domain.h"
#include "ops.h"
#include "util.h"
#include "xmlcheck.h"

static int get_state_from_table(Call *c, sd_bus_error *error) {
        Obj *o = space_get(c->space, KIND_DOMAIN, c->key);
        Value *v;

        /* Served from the table; libvirt only sees flags it must judge. */
        if (value_get_u32(&c->in[0]) != 0 || !o)
                return 1;
        v = value_init_struct(&c->work.out[0], 2);
        v[0] = value_i32(o->facts[DOM_STATE].i);
        v[1] = value_i32(o->facts[DOM_REASON].i);
        return 0;
}

static int check_send_key(Call *c, sd_bus_error *error) {
        if (c->in[2].items.n > VIR_DOMAIN_SEND_KEY_MAX_KEYS)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "At most %d key codes can be sent at once", VIR_DOMAIN_SEND_KEY_MAX_KEYS);
        return 0;
}

static int check_metadata(Call *c, sd_bus_error *error) {
        /* Element metadata is XML: check it before libvirt does. */
        if (value_get_i32(&c->in[0]) == VIR_DOMAIN_METADATA_ELEMENT && *value_get_str(&c->in[1]))
                return xml_check_wellformed(value_get_str(&c->in[1]), "Metadata XML", error);
        return 0;
}

static int check_undefine_storage(Call *c, sd_bus_error *error) {
        if (wipe_algorithm_from_name(value_get_str(&c->in[0])) == -1)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Unknown wipe algorithm; use one of zero, nnsa, dod, bsi, gutmann, "
                                         "schneier, pfitzner7, pfitzner33, random, trim, or \"\" for none");
        return 0;
}

/* Volumes have no events: the pools they were in are listed again, so the
 * volumes removed with the domain go from the bus too. */
static int finish_undefine_storage(Call *c, sd_bus_error *error) {
        if (!(value_get_u32(&c->in[1]) & VIRTBUS_UNDEFINE_STORAGE_DRY_RUN))
                conn_refresh(c->conn, KIND_STORAGE_VOL);
        return 0;
}

/* The most a peek may ask for: what libvirt's RPC carries (a local driver
 * could give more, but the buffer is allocated before libvirt is asked). */
#define PEEK_MAX (4u * 1024u * 1024u)

static int check_peek_size(Call *c, unsigned arg, sd_bus_error *error) {
        uint64_t size = value_get_u64(&c->in[arg]);

        if (size > PEEK_MAX)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "At most %u bytes can be read at once, not %" PRIu64, PEEK_MAX, size);
        return 0;
}

static int check_block_peek(Call *c, sd_bus_error *error) {
        return check_peek_size(c, 2, error);
}

static int check_memory_peek(Call *c, sd_bus_error *error) {
        return check_peek_size(c, 1, error);
}

/* Typed parameters of a migration that hold XML for libvirt to parse. */
static const char *const migrate_xml_params[] = {
        VIR_MIGRATE_PARAM_DEST_XML,
        VIR_MIGRATE_PARAM_PERSIST_XML,
};

static int check_migrate(Call *c, sd_bus_error *error) {
        const char *dconuri = value_get_str(&c->in[0]);
        const Value *params = &c->in[1];
        uint32_t flags = value_get_u32(&c->in[2]);

        /* Peer to peer, libvirtd itself connects to dconuri; otherwise
         * libvirt ignores it. */
        if ((flags & VIR_MIGRATE_PEER2PEER) && !*dconuri)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "A peer-to-peer migration needs the destination's URI (dconuri)");
        for (int i = 0; i < params->params.n; i++) {
                const virTypedParameter *p = &params->params.p[i];
                for (size_t j = 0; j < ELEMENTSOF(migrate_xml_params); j++)
                        if (streq(p->field, migrate_xml_params[j])) {
                                int r;
                                if (p->type != VIR_TYPED_PARAM_STRING)
                                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                                 "Parameter '%s' must be a string", p->field);
                                r = xml_check_wellformed(p->value.s, "Domain XML", error);
                                if (r < 0)
                                        return r;
                        }
        }
        /* The host libvirtd will connect to with its own credentials:
         * polkit sees it as the detail migrate_uri, the name libvirt gives
         * a migration's URI (VIR_MIGRATE_PARAM_URI), so rules can tell one
         * destination from another. */
        if ((flags & VIR_MIGRATE_PEER2PEER) && *dconuri)
                details_set(&c->details, "migrate_uri", dconuri);
        return 0;
}

static const Row set_autostart = METHOD("Autostart", ARGS("b", autostart), NO_RESULT,
                                         .perms = { PERM("domain", "write") }, .flags = ROW_CHANGE,
                                         .run = op_domain_set_autostart);

#define READ_PROPERTY(name, index, sig) PROPERTY(name, index, sig, .perms = { PERM("domain", "read") })
/* libvirt-dbus answers these from the looked-up object, with no further
 * permission than seeing it. */
#define LOOKUP_PROPERTY(name, index, sig) PROPERTY(name, index, sig)

static const Row domain_rows[] = {
        READ_PROPERTY("Active", DOM_ACTIVE, "b"),
        PROPERTY("Autostart", DOM_AUTOSTART, "b", .perms = { PERM("domain", "read") }, .setter = &set_autostart),
        LOOKUP_PROPERTY("Id", DOM_ID, "u"),
        /* virtbusd's: the org.libvirt.Job running on it, or "/". */
        READ_PROPERTY("Job", DOM_JOB, "o"),
        LOOKUP_PROPERTY("Name", DOM_NAME, "s"),
        READ_PROPERTY("OSType", DOM_OSTYPE, "s"),
        READ_PROPERTY("Persistent", DOM_PERSISTENT, "b"),
        READ_PROPERTY("SchedulerType", DOM_SCHEDULER, "(si)"),
        READ_PROPERTY("State", DOM_STATE, "i"),
        READ_PROPERTY("StateReason", DOM_REASON, "i"),
        READ_PROPERTY("Updated", DOM_UPDATED, "b"),
        LOOKUP_PROPERTY("UUID", DOM_UUID, "s"),

        /* Not a change: it must not wait behind the job it aborts. */
        METHOD("AbortJob", NO_ARGS, NO_RESULT, .perms = { PERM("domain", "write") }, DOM_VOID(virDomainAbortJob)),
        METHOD("AddIOThread", ARGS("u", iothreadId, "u", flags), NO_RESULT, .perms = { PERMS_AFFECT("domain") },
               .flags = ROW_CHANGE, DOM_UINT_FLAGS(virDomainAddIOThread)),
        METHOD("AttachDevice", ARGS("s", xml, "u", flags), NO_RESULT, .perms = { PERMS_AFFECT("domain") },
               .checks = { XML_ARG(0, "Device XML") }, .flags = ROW_CHANGE,
               DOM_STR_FLAGS(virDomainAttachDeviceFlags)),
        METHOD("BlockCommit", ARGS("s", disk, "s", base, "s", top, "t", bandwidth, "u", flags), NO_RESULT,
               .perms = { PERM("domain", "block-write") }, .flags = ROW_CHANGE | ROW_JOB, .job = "block-commit",
               .job_disk_arg = JOB_DISK_ARG(0), .run = op_domain_block_commit),
        /* The copy's target is a host file libvirtd creates or takes over
         * as root. */
        METHOD("BlockCopy", ARGS("s", disk, "s", destxml, "a{sv}", params, "u", flags), NO_RESULT,
               .perms = { PERM("domain", "block-write") }, .checks = { XML_HOST_PATHS_ARG(1, "Disk XML") },
               .flags = ROW_CHANGE | ROW_JOB, .job = "block-copy", .job_disk_arg = JOB_DISK_ARG(0),
               .run = op_domain_block_copy),
        METHOD("BlockJobAbort", ARGS("s", disk, "u", flags), NO_RESULT, .perms = { PERM("domain", "write") },
               .flags = ROW_CHANGE, DOM_STR_FLAGS(virDomainBlockJobAbort)),
        METHOD("BlockJobSetSpeed", ARGS("s", disk, "t", bandwidth, "u", flags), NO_RESULT,
               .perms = { PERM("domain", "write") }, .flags = ROW_CHANGE, .run = op_domain_block_job_set_speed),
        METHOD("BlockPeek", ARGS("s", disk, "t", offset, "t", size, "u", flags), RESULT("ay", buffer),
               .perms = { PERM("domain", "block-read") }, .check = check_block_peek, .flags = ROW_SLOW,
               .run = op_domain_block_peek),
        METHOD("BlockPull", ARGS("s", disk, "t", bandwidth, "u", flags), NO_RESULT,
               .perms = { PERM("domain", "block-write") }, .flags = ROW_CHANGE | ROW_JOB, .job = "block-pull",
               .job_disk_arg = JOB_DISK_ARG(0), .run = op_domain_block_pull),
        /* With the copy flag, base names a new host file libvirtd writes. */
        METHOD("BlockRebase", ARGS("s", disk, "s", base, "t", bandwidth, "u", flags), NO_RESULT,
               .perms = { PERM("domain", "block-write") },
               .checks = { HOST_PATH_ARG_IF_FLAGS(1, VIR_DOMAIN_BLOCK_REBASE_COPY) },
               .flags = ROW_CHANGE | ROW_JOB, .job = "block-rebase", .job_disk_arg = JOB_DISK_ARG(0),
               .run = op_domain_block_rebase),
        METHOD("BlockResize", ARGS("s", disk, "t", size, "u", flags), NO_RESULT,
               .perms = { PERM("domain", "block-write") }, .flags = ROW_CHANGE, .run = op_domain_block_resize),
        METHOD("CoreDump", ARGS("s", to, "u", dumpformat, "u", flags), NO_RESULT,
               .perms = { PERM("domain", "core-dump") }, .checks = { HOST_PATH_ARG(0) },
               .flags = ROW_CHANGE | ROW_JOB, .job = "dump", .run = op_domain_core_dump),
        METHOD("Create", ARGS("u", flags), NO_RESULT, .perms = { PERM("domain", "start") },
               .flags = ROW_CHANGE | ROW_JOB, .job = "start", .job_probe = op_domain_create_probe,
               DOM_FLAGS(virDomainCreateWithFlags)),
        METHOD("CreateWithFiles", ARGS("ah", files, "u", flags), NO_RESULT, .perms = { PERM("domain", "start") },
               .flags = ROW_CHANGE, .run = op_domain_create_with_files),
        METHOD("DelIOThread", ARGS("u", iothreadId, "u", flags), NO_RESULT, .perms = { PERMS_AFFECT("domain") },
               .flags = ROW_CHANGE, DOM_UINT_FLAGS(virDomainDelIOThread)),
        METHOD("Destroy", ARGS("u", flags), NO_RESULT, .perms = { PERM("domain", "stop") }, .flags = ROW_CHANGE,
               DOM_FLAGS(virDomainDestroyFlags)),
        METHOD("DetachDevice", ARGS("s", xml, "u", flags), NO_RESULT, .perms = { PERMS_AFFECT("domain") },
               .checks = { XML_ARG(0, "Device XML") }, .flags = ROW_CHANGE,
               DOM_STR_FLAGS(virDomainDetachDeviceFlags)),
        METHOD("FSFreeze", ARGS("as", mountpoints, "u", flags), RESULT("u", frozenFilesystems),
               .perms = { PERM("domain", "fs-freeze") }, .flags = ROW_CHANGE, .run = op_domain_fs_freeze),
        METHOD("FSThaw", ARGS("as", mountpoints, "u", flags), RESULT("u", thawedFilesystems),
               .perms = { PERM("domain", "fs-freeze") }, .flags = ROW_CHANGE, .run = op_domain_fs_thaw),
        METHOD("FSTrim", ARGS("s", mountpoint, "t", minimum, "u", flags), NO_RESULT,
               .perms = { PERM("domain", "fs-trim") }, .flags = ROW_CHANGE, .run = op_domain_fs_trim),
        METHOD("GetBlockIOParameters", ARGS("u", flags), RESULT("a{sv}", BlkioParameters),
               .perms = { PERM("domain", "read") }, DOM_PARAMS_GET(virDomainGetBlkioParameters)),
        METHOD("GetBlockIOTune", ARGS("s", disk, "u", flags), RESULT("a{sv}", blockIOTune),
               .perms = { PERM("domain", "read") }, DOM_STR_PARAMS_GET(virDomainGetBlockIoTune)),
        METHOD("GetBlockJobInfo", ARGS("s", disk, "u", flags), RESULT("(ittt)", blockJobInfo),
               .perms = { PERM("domain", "read") }, .run = op_domain_get_block_job_info),
        METHOD("GetControlInfo", ARGS("u", flags), RESULT("(uut)", controlInfo),
               .perms = { PERM("domain", "read") }, .run = op_domain_get_control_info),
        METHOD("GetDiskErrors", ARGS("u", flags), RESULT("a(si)", diskErrors), .perms = { PERM("domain", "read") },
               .run = op_domain_get_disk_errors),
        METHOD("GetEmulatorPinInfo", ARGS("u", flags), RESULT("ab", cpumap),
               .perms = { PERM("connect", "read"), PERM("domain", "read") }, .run = op_domain_get_emulator_pin_info),
        /* Asks the guest agent, which may take its time. */
        METHOD("GetFSInfo", ARGS("u", flags), RESULT("a(sssas)", fsInfo), .perms = { PERM("domain", "fs-freeze") },
               .flags = ROW_SLOW, .run = op_domain_get_fs_info),
        METHOD("GetGuestVcpus", ARGS("u", flags), RESULT("a{sv}", vcpus), .perms = { PERM("domain", "write") },
               .flags = ROW_SLOW, .run = op_domain_get_guest_vcpus),
        /* Asks the guest agent: libvirt wants write. */
        METHOD("GetHostname", ARGS("u", flags), RESULT("s", hostname), .perms = { PERM("domain", "write") },
               DOM_STRING(virDomainGetHostname)),
        METHOD("GetInterfaceParameters", ARGS("s", device, "u", flags), RESULT("a{sv}", interfaceParameters),
               .perms = { PERM("domain", "read") }, DOM_STR_PARAMS_GET(virDomainGetInterfaceParameters)),
        METHOD("GetIOThreadInfo", ARGS("u", flags), RESULT("a(uab)", ioThreadInfo),
               .perms = { PERM("domain", "read"), PERM("connect", "read") }, .run = op_domain_get_iothread_info),
        METHOD("GetJobInfo", NO_ARGS, RESULT("(ittttttttttt)", jobInfo), .perms = { PERM("domain", "read") },
               .run = op_domain_get_job_info),
        METHOD("GetJobStats", ARGS("u", flags), RESULT("(ia{sv})", stats), .perms = { PERM("domain", "read") },
               .run = op_domain_get_job_stats),
        METHOD("GetMemoryParameters", ARGS("u", flags), RESULT("a{sv}", memoryParameters),
               .perms = { PERM("domain", "read") }, DOM_PARAMS_GET(virDomainGetMemoryParameters)),
        METHOD("GetMetadata", ARGS("i", type, "s", uri, "u", flags), RESULT("s", metadata),
               .perms = { PERM("domain", "read") }, .run = op_domain_get_metadata),
        METHOD("GetNumaParameters", ARGS("u", flags), RESULT("a{sv}", numaParameters),
               .perms = { PERM("domain", "read") }, DOM_PARAMS_GET(virDomainGetNumaParameters)),
        METHOD("GetPerfEvents", ARGS("u", flags), RESULT("a{sv}", perfEvents), .perms = { PERM("domain", "read") },
               .run = op_domain_get_perf_events),
        METHOD("GetSchedulerParameters", ARGS("u", flags), RESULT("a{sv}", SchedulerParameters),
               .perms = { PERM("domain", "read") }, .run = op_domain_get_scheduler_params),
        METHOD("GetSecurityLabelList", NO_ARGS, RESULT("a(sb)", securityLabels), .perms = { PERM("domain", "read") },
               .run = op_domain_get_security_labels),
        METHOD("GetState", ARGS("u", flags), RESULT("(ii)", state), .perms = { PERM("domain", "read") },
               .loop = get_state_from_table, .run = op_domain_get_state),
        METHOD("GetStats", ARGS("u", stats, "u", flags), RESULT("a{sv}", records),
               .perms = { PERM("connect", "search-domains"), PERM("domain", "read") }, .run = op_domain_get_stats),
        METHOD("GetTime", ARGS("u", flags), RESULT("(tu)", time), .perms = { PERM("domain", "write") },
               .run = op_domain_get_time),
        METHOD("GetVcpuPinInfo", ARGS("u", flags), RESULT("aab", vcpuPinInfo),
               .perms = { PERM("domain", "read"), PERM("connect", "read") }, .run = op_domain_get_vcpu_pin_info),
        METHOD("GetVcpus", ARGS("u", flags), RESULT("u", vcpus),
               .perms = { PERM("domain", "read"), PERM_IF_FLAGS("domain", "write", VIR_DOMAIN_VCPU_GUEST) },
               DOM_INT(virDomainGetVcpusFlags)),
        METHOD("GetXMLDesc", ARGS("u", flags), RESULT("s", xml),
               .perms = { PERM("domain", "read"), PERM_IF_FLAGS("domain", "read-secure", VIR_DOMAIN_XML_SECURE),
                          PERM_IF_FLAGS("domain", "read-secure", VIR_DOMAIN_XML_MIGRATABLE) },
               DOM_STRING(virDomainGetXMLDesc)),
        METHOD("HasManagedSaveImage", ARGS("u", flags), RESULT("b", managedSaveImage),
               .perms = { PERM("domain", "read") }, DOM_INT(virDomainHasManagedSaveImage)),
        METHOD("InjectNMI", ARGS("u", flags), NO_RESULT, .perms = { PERM("domain", "inject-nmi") },
               .flags = ROW_CHANGE, DOM_FLAGS(virDomainInjectNMI)),
        /* The agent's view needs write, as it asks the guest. */
        METHOD("InterfaceAddresses", ARGS("u", source, "u", flags), RESULT("a(ssa(isu))", ifaces),
               .perms = { PERM("domain", "read"),
                          PERM_IF_ARG("domain", "write", 0, VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT) },
               .flags = ROW_SLOW, .run = op_domain_interface_addresses),
        METHOD("ListDomainSnapshots", ARGS("u", flags), RESULT("ao", domainSnapshots),
               .perms = { PERM("domain", "read") }, .run = op_domain_list_snapshots),
        METHOD("ManagedSave", ARGS("u", flags), NO_RESULT, .perms = { PERM("domain", "hibernate") },
               .flags = ROW_CHANGE | ROW_JOB, .job = "save", DOM_FLAGS(virDomainManagedSave)),
        METHOD("ManagedSaveRemove", ARGS("u", flags), NO_RESULT, .perms = { PERM("domain", "hibernate") },
               .flags = ROW_CHANGE, DOM_FLAGS(virDomainManagedSaveRemove)),
        METHOD("MemoryPeek", ARGS("t", offset, "t", size, "u", flags), RESULT("ay", buffer),
               .perms = { PERM("domain", "mem-read") }, .check = check_memory_peek, .flags = ROW_SLOW,
               .run = op_domain_memory_peek),
        METHOD("MemoryStats", ARGS("u", flags), RESULT("a{it}", stats), .perms = { PERM("domain", "read") },
               .run = op_domain_memory_stats),
        /* Migration settings and post-copy act on a migration while it
         * runs: not changes, so they never wait behind the MigrateToURI3
         * they tune. */
        METHOD("MigrateGetCompressionCache", ARGS("u", flags), RESULT("t", cacheSize),
               .perms = { PERM("domain", "migrate") }, DOM_ULL_OUT(virDomainMigrateGetCompressionCache)),
        METHOD("MigrateGetMaxSpeed", ARGS("u", flags), RESULT("t", bandwidth), .perms = { PERM("domain", "migrate") },
               .run = op_domain_migrate_get_max_speed),
        METHOD("MigrateSetCompressionCache", ARGS("t", cacheSize, "u", flags), NO_RESULT,
               .perms = { PERM("domain", "migrate") }, DOM_ULL_FLAGS(virDomainMigrateSetCompressionCache)),
        METHOD("MigrateSetMaxDowntime", ARGS("t", downtime, "u", flags), NO_RESULT,
               .perms = { PERM("domain", "migrate") }, DOM_ULL_FLAGS(virDomainMigrateSetMaxDowntime)),
        METHOD("MigrateSetMaxSpeed", ARGS("t", bandwidth, "u", flags), NO_RESULT,
               .perms = { PERM("domain", "migrate") }, .run = op_domain_migrate_set_max_speed),
        METHOD("MigrateStartPostCopy", ARGS("u", flags), NO_RESULT, .perms = { PERM("domain", "migrate") },
               DOM_FLAGS(virDomainMigrateStartPostCopy)),
        /* A job while memory moves; the reply waits for the domain to
         * arrive where it went, when this daemon serves that host too. */
        METHOD("MigrateToURI3", ARGS("s", dconuri, "a{sv}", params, "u", flags), NO_RESULT,
               .perms = { PERM("domain", "migrate") }, .check = check_migrate,
               .flags = ROW_CHANGE | ROW_JOB | ROW_MIGRATES, .job = "migration-out",
               .run = op_domain_migrate_to_uri3),
        METHOD("OpenGraphicsFD", ARGS("u", idx, "u", flags), RESULT("h", fd),
               .perms = { PERM("domain", "open-graphics") }, .run = op_domain_open_graphics_fd),
        METHOD("PinEmulator", ARGS("ab", cpumap, "u", flags), NO_RESULT, .perms = { PERMS_AFFECT("domain") },
               .flags = ROW_CHANGE, .run = op_domain_pin_emulator),
        METHOD("PinIOThread", ARGS("u", iothreadId, "ab", cpumap, "u", flags), NO_RESULT,
               .perms = { PERMS_AFFECT("domain") }, .flags = ROW_CHANGE, .run = op_domain_pin_iothread),
        METHOD("PinVcpu", ARGS("u", vcpu, "ab", cpumap, "u", flags), NO_RESULT,
               .perms = { PERMS_AFFECT("domain") }, .flags = ROW_CHANGE, .run = op_domain_pin_vcpu),
        METHOD("PMWakeup", ARGS("u", flags), NO_RESULT, .perms = { PERM("domain", "pm-control") }, .flags = ROW_CHANGE,
               DOM_FLAGS(virDomainPMWakeup)),
        METHOD("Reboot", ARGS("u", flags), NO_RESULT,
               .perms = { PERM("domain", "init-control"),
                          PERM_IF_FLAGS("domain", "write", VIR_DOMAIN_REBOOT_GUEST_AGENT) },
               .flags = ROW_CHANGE, DOM_FLAGS(virDomainReboot)),
        METHOD("Rename", ARGS("s", name, "u", flags), NO_RESULT,
               .perms = { PERM("domain", "write"), PERM("domain", "save") }, .flags = ROW_CHANGE,
               .run = op_domain_rename),
        METHOD("Reset", ARGS("u", flags), NO_RESULT, .perms = { PERM("domain", "reset") }, .flags = ROW_CHANGE,
               DOM_FLAGS(virDomainReset)),
        METHOD("Resume", NO_ARGS, NO_RESULT, .perms = { PERM("domain", "suspend") }, .flags = ROW_CHANGE,
               DOM_VOID(virDomainResume)),
        METHOD("Save", ARGS("s", to, "s", xml, "u", flags), NO_RESULT, .perms = { PERM("domain", "hibernate") },
               .checks = { HOST_PATH_ARG(0), XML_ARG_OPTIONAL(1, "Domain XML") },
               .flags = ROW_CHANGE | ROW_JOB, .job = "save", .run = op_domain_save),
        METHOD("SendKey", ARGS("u", codeset, "u", holdtime, "au", keycodes, "u", flags), NO_RESULT,
               .perms = { PERM("domain", "send-input") }, .check = check_send_key, .flags = ROW_CHANGE,
               .run = op_domain_send_key),
        METHOD("SendProcessSignal", ARGS("x", pidValue, "u", sigNum, "u", flags), NO_RESULT,
               .perms = { PERM("domain", "send-signal") }, .flags = ROW_CHANGE, .run = op_domain_send_process_signal),
        METHOD("SetBlockIOParameters", ARGS("a{sv}", params, "u", flags), NO_RESULT,
               .perms = { PERMS_AFFECT("domain") }, .flags = ROW_CHANGE, DOM_PARAMS_SET(virDomainSetBlkioParameters)),
        METHOD("SetBlockIOTune", ARGS("s", disk, "a{sv}", params, "u", flags), NO_RESULT,
               .perms = { PERMS_AFFECT("domain") }, .flags = ROW_CHANGE, DOM_STR_PARAMS_SET(virDomainSetBlockIoTune)),
        METHOD("SetGuestVcpus", ARGS("ab", vcpumap, "i", state, "u", flags), NO_RESULT,
               .perms = { PERM("domain", "write") }, .flags = ROW_CHANGE, .run = op_domain_set_guest_vcpus),
        METHOD("SetInterfaceParameters", ARGS("s", device, "a{sv}", params, "u", flags), NO_RESULT,
               .perms = { PERMS_AFFECT("domain") }, .flags = ROW_CHANGE,
               DOM_STR_PARAMS_SET(virDomainSetInterfaceParameters)),
        METHOD("SetMemory", ARGS("t", memory, "u", flags), NO_RESULT, .perms = { PERMS_AFFECT("domain") },
               .flags = ROW_CHANGE, .run = op_domain_set_memory),
        METHOD("SetMemoryParameters", ARGS("a{sv}", params, "u", flags), NO_RESULT,
               .perms = { PERMS_AFFECT("domain") }, .flags = ROW_CHANGE, DOM_PARAMS_SET(virDomainSetMemoryParameters)),
        METHOD("SetMemoryStatsPeriod", ARGS("i", period, "u", flags), NO_RESULT, .perms = { PERMS_AFFECT("domain") },
               .flags = ROW_CHANGE, .run = op_domain_set_memory_stats_period),
        METHOD("SetMetadata", ARGS("i", type, "s", metadata, "s", key, "s", uri, "u", flags), NO_RESULT,
               .perms = { PERMS_AFFECT("domain") }, .check = check_metadata, .flags = ROW_CHANGE,
               .run = op_domain_set_metadata),
        METHOD("SetNumaParameters", ARGS("a{sv}", params, "u", flags), NO_RESULT,
               .perms = { PERMS_AFFECT("domain") }, .flags = ROW_CHANGE, DOM_PARAMS_SET(virDomainSetNumaParameters)),
        METHOD("SetPerfEvents", ARGS("a{sv}", params, "u", flags), NO_RESULT, .perms = { PERM("domain", "write") },
               .flags = ROW_CHANGE, DOM_PARAMS_SET(virDomainSetPerfEvents)),
        METHOD("SetSchedulerParameters", ARGS("a{sv}", params, "u", flags), NO_RESULT,
               .perms = { PERMS_AFFECT("domain") }, .flags = ROW_CHANGE,
               DOM_PARAMS_SET(virDomainSetSchedulerParametersFlags)),
        METHOD("SetTime", ARGS("t", seconds, "u", nseconds, "u", flags), NO_RESULT,
               .perms = { PERM("domain", "set-time") }, .flags = ROW_CHANGE, .run = op_domain_set_time),
        METHOD("SetUserPassword", ARGS("s", user, "s", password, "u", flags), NO_RESULT,
               .perms = { PERM("domain", "set-password") }, .flags = ROW_CHANGE, .run = op_domain_set_user_password),
        METHOD("SetVcpus", ARGS("u", vcpus, "u", flags), NO_RESULT,
               .perms = { PERMS_AFFECT("domain"), PERM_IF_FLAGS("domain", "write", VIR_DOMAIN_VCPU_GUEST) },
               .flags = ROW_CHANGE, DOM_UINT_FLAGS(virDomainSetVcpusFlags)),
        METHOD("Shutdown", ARGS("u", flags), NO_RESULT,
               .perms = { PERM("domain", "init-control"),
                          PERM_IF_FLAGS("domain", "write", VIR_DOMAIN_SHUTDOWN_GUEST_AGENT) },
               .flags = ROW_CHANGE, DOM_FLAGS(virDomainShutdownFlags)),
        METHOD("SnapshotCreateXML", ARGS("s", xml, "u", flags), RESULT("o", domainSnapshot),
               .perms = { PERM("domain", "snapshot"),
                          PERM_IF_FLAGS("domain", "fs-freeze", VIR_DOMAIN_SNAPSHOT_CREATE_QUIESCE) },
               .checks = { XML_HOST_PATHS_ARG(0, "Snapshot XML") }, .flags = ROW_CHANGE | ROW_JOB,
               .job = "snapshot", .job_probe = op_domain_snapshot_create_probe, .run = op_domain_snapshot_create),
        METHOD("SnapshotCurrent", ARGS("u", flags), RESULT("o", domainSnapshot),
               .perms = { PERM("domain", "read") }, .run = op_domain_snapshot_current),
        METHOD("SnapshotLookupByName", ARGS("s", name, "u", flags), RESULT("o", domainSnapshot),
               .perms = { PERM("domain", "read") }, .run = op_domain_snapshot_lookup),
        METHOD("Suspend", NO_ARGS, NO_RESULT, .perms = { PERM("domain", "suspend") }, .flags = ROW_CHANGE,
               DOM_VOID(virDomainSuspend)),
        METHOD("Undefine", ARGS("u", flags), NO_RESULT, .perms = { PERM("domain", "delete") }, .flags = ROW_CHANGE,
               DOM_FLAGS(virDomainUndefineFlags)),
        /* virtbusd's: removes a shut-off domain with the storage volumes
         * of its disks, wiped first when an algorithm is named. Also
         * needs storage-vol delete (and format, to wipe) on each volume,
         * which the resolve step finds. */
        METHOD("UndefineWithStorage", ARGS("s", wipeAlgorithm, "u", flags), RESULT("as", volumes),
               .perms = { PERM("domain", "delete") }, .check = check_undefine_storage,
               .resolve = op_domain_undefine_storage_resolve, .finish = finish_undefine_storage,
               .flags = ROW_CHANGE | ROW_JOB,
               .job = "undefine-with-storage", .job_probe = op_domain_undefine_storage_probe,
               .run = op_domain_undefine_with_storage),
        METHOD("UpdateDevice", ARGS("s", xml, "u", flags), NO_RESULT, .perms = { PERMS_AFFECT("domain") },
               .checks = { XML_ARG(0, "Device XML") }, .flags = ROW_CHANGE,
               DOM_STR_FLAGS(virDomainUpdateDeviceFlags)),

        SIGNAL("AgentEvent", ARGS("i", state, "i", reason)),
        SIGNAL("BalloonChange", ARGS("t", actual)),
        SIGNAL("BlockJob", ARGS("s", disk, "i", type, "i", status)),
        SIGNAL_NO_ARGS("ControlError"),
        SIGNAL("DeviceAdded", ARGS("s", device)),
        SIGNAL("DeviceRemovalFailed", ARGS("s", device)),
        SIGNAL("DeviceRemoved", ARGS("s", device)),
        SIGNAL("DiskChange", ARGS("s", oldSrcPath, "s", newSrcPath, "s", device, "i", reason)),
        SIGNAL("Graphics", ARGS("i", phase, "(iss)", local, "(iss)", remote, "s", authScheme, "a(ss)", identities)),
        SIGNAL("IOError", ARGS("s", srcPath, "s", device, "i", action, "s", reason)),
        SIGNAL("JobCompleted", ARGS("a{sv}", params)),
        SIGNAL("MetadataChange", ARGS("i", type, "s", nsuri)),
        SIGNAL("MigrationIteration", ARGS("i", iteration)),
        SIGNAL("PMSuspend", ARGS("i", reason)),
        SIGNAL("PMSuspendDisk", ARGS("i", reason)),
        SIGNAL("PMWakeup", ARGS("i", reason)),
        SIGNAL("RTCChange", ARGS("x", utcoffset)),
        SIGNAL_NO_ARGS("Reboot"),
        SIGNAL("TrayChange", ARGS("s", device, "i", reason)),
        SIGNAL("Tunable", ARGS("a{sv}", params)),
        SIGNAL("Watchdog", ARGS("i", action)),
};

INTERFACE(domain_interface, "org.libvirt.Domain", KIND_DOMAIN, ROWS(domain_rows));
