/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.libvirt.Domain: one object per domain. The permissions are libvirt's
 * own (src/remote/remote_protocol.x, @acl), flag-dependent ones included. */
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
        METHOD("AttachDevice", ARGS("s", xml, "u", flags), NO_RESULT, .perms = { PERMS_AFFECT("domain") },
               .checks = { XML_ARG(0, "Device XML") }, .flags = ROW_CHANGE,
               DOM_STR_FLAGS(virDomainAttachDeviceFlags)),
        METHOD("Create", ARGS("u", flags), NO_RESULT, .perms = { PERM("domain", "start") },
               .flags = ROW_CHANGE | ROW_JOB, .job = "start", .job_probe = op_domain_create_probe,
               DOM_FLAGS(virDomainCreateWithFlags)),
        METHOD("CreateWithFiles", ARGS("ah", files, "u", flags), NO_RESULT, .perms = { PERM("domain", "start") },
               .flags = ROW_CHANGE, .run = op_domain_create_with_files),
        METHOD("Destroy", ARGS("u", flags), NO_RESULT, .perms = { PERM("domain", "stop") }, .flags = ROW_CHANGE,
               DOM_FLAGS(virDomainDestroyFlags)),
        METHOD("DetachDevice", ARGS("s", xml, "u", flags), NO_RESULT, .perms = { PERMS_AFFECT("domain") },
               .checks = { XML_ARG(0, "Device XML") }, .flags = ROW_CHANGE,
               DOM_STR_FLAGS(virDomainDetachDeviceFlags)),
        METHOD("GetControlInfo", ARGS("u", flags), RESULT("(uut)", controlInfo),
               .perms = { PERM("domain", "read") }, .run = op_domain_get_control_info),
        /* Asks the guest agent: libvirt wants write. */
        METHOD("GetHostname", ARGS("u", flags), RESULT("s", hostname), .perms = { PERM("domain", "write") },
               DOM_STRING(virDomainGetHostname)),
        METHOD("GetJobInfo", NO_ARGS, RESULT("(ittttttttttt)", jobInfo), .perms = { PERM("domain", "read") },
               .run = op_domain_get_job_info),
        METHOD("GetJobStats", ARGS("u", flags), RESULT("(ia{sv})", stats), .perms = { PERM("domain", "read") },
               .run = op_domain_get_job_stats),
        METHOD("GetMetadata", ARGS("i", type, "s", uri, "u", flags), RESULT("s", metadata),
               .perms = { PERM("domain", "read") }, .run = op_domain_get_metadata),
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
        METHOD("ListDomainSnapshots", ARGS("u", flags), RESULT("ao", domainSnapshots),
               .perms = { PERM("domain", "read") }, .run = op_domain_list_snapshots),
        METHOD("ManagedSave", ARGS("u", flags), NO_RESULT, .perms = { PERM("domain", "hibernate") },
               .flags = ROW_CHANGE | ROW_JOB, .job = "save", DOM_FLAGS(virDomainManagedSave)),
        METHOD("ManagedSaveRemove", ARGS("u", flags), NO_RESULT, .perms = { PERM("domain", "hibernate") },
               .flags = ROW_CHANGE, DOM_FLAGS(virDomainManagedSaveRemove)),
        METHOD("MemoryStats", ARGS("u", flags), RESULT("a{it}", stats), .perms = { PERM("domain", "read") },
               .run = op_domain_memory_stats),
        METHOD("PinVcpu", ARGS("u", vcpu, "ab", cpumap, "u", flags), NO_RESULT,
               .perms = { PERMS_AFFECT("domain") }, .flags = ROW_CHANGE, .run = op_domain_pin_vcpu),
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
        METHOD("SetMemory", ARGS("t", memory, "u", flags), NO_RESULT, .perms = { PERMS_AFFECT("domain") },
               .flags = ROW_CHANGE, .run = op_domain_set_memory),
        METHOD("SetMetadata", ARGS("i", type, "s", metadata, "s", key, "s", uri, "u", flags), NO_RESULT,
               .perms = { PERMS_AFFECT("domain") }, .check = check_metadata, .flags = ROW_CHANGE,
               .run = op_domain_set_metadata),
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
               .checks = { XML_ARG(0, "Snapshot XML") }, .flags = ROW_CHANGE | ROW_JOB, .job = "snapshot",
               .job_probe = op_domain_snapshot_create_probe, .run = op_domain_snapshot_create),
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
               .resolve = op_domain_undefine_storage_resolve, .flags = ROW_CHANGE | ROW_JOB,
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
