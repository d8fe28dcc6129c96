/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.libvirt.Domain: one object per domain, served from the domain table
 * through a fallback vtable. */
#include <fcntl.h>
#include <stdio.h>

#include "auth.h"
#include "bus.h"
#include "errors.h"
#include "log.h"
#include "util.h"
#include "xmlcheck.h"

/* ---- objects ----------------------------------------------------------- */

int domain_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
                       void **found, sd_bus_error *error) {
        DomainEntry *e = conn_domain_by_path(userdata, path);

        if (!e || !auth_may_see(sd_bus_get_current_message(bus), e))
                return 0;
        *found = e;
        return 1;
}

int domain_object_enumerate(sd_bus *bus, const char *prefix, void *userdata, char ***nodes,
                            sd_bus_error *error) {
        Connection *c = userdata;
        sd_bus_message *m = sd_bus_get_current_message(bus);
        char **v = xmalloc0(sizeof(char *) * (domain_table_size(c->domains) + 1));
        size_t n = 0, b = 0;

        for (DomainNode *d = domain_table_next(c->domains, &b, NULL); d; d = domain_table_next(c->domains, &b, d))
                /* Introspection of the domain node and GetManagedObjects
                 * have answers of their own; this serves whatever else sd-bus
                 * enumerates, with only known-visible domains. */
                if (auth_list_may_see(m, (DomainEntry *) d))
                        v[n++] = xstrdup(((DomainEntry *) d)->path);
        *nodes = v;
        return 0;
}

static void run_set_autostart(Job *j) {
        if (virDomainSetAutostart(j->dom, j->u[0]) < 0)
                return job_fail(j);
        job_capture_after(j, j->dom);
        j->r = 0;
}

/* Properties.Set of Autostart needs libvirt, so it becomes a job like any
 * method instead of running in the vtable's synchronous setter. */
static int set_autostart(sd_bus_message *m, DomainEntry *e, sd_bus_error *error) {
        Job *j = domain_job_new(m, e, JOB_CHANGE, "write", run_set_autostart, NULL);
        int r, v;

        r = sd_bus_message_enter_container(m, 'v', "b");
        if (r < 0) {
                job_free(j);
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS,
                                        "Autostart must be a boolean");
        }
        r = sd_bus_message_read_basic(m, 'b', &v);
        if (r < 0) {
                job_free(j);
                return r;
        }
        j->u[0] = !!v;
        j->verb = xstrdup("Autostart");
        j->apply = apply_domain_after;
        return job_start(j, error);
}

/* The node that holds the domains lists only those the caller may see,
 * which needs polkit's verdicts first: answered as a job. */
static int reply_prefix_introspection(Job *j, sd_bus_message *reply) {
        DomainTable *t = j->conn->domains;
        size_t b = 0, len = 0;
        char *xml = NULL;
        FILE *f = open_memstream(&xml, &len);
        int r;

        if (!f)
                return -ENOMEM;
        fputs("<!DOCTYPE node PUBLIC \"-//freedesktop//DTD D-BUS Object Introspection 1.0//EN\"\n"
              "\"http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd\">\n"
              "<node>\n"
              " <interface name=\"org.freedesktop.DBus.Peer\">\n"
              "  <method name=\"Ping\"/>\n"
              "  <method name=\"GetMachineId\">\n"
              "   <arg type=\"s\" name=\"machine_uuid\" direction=\"out\"/>\n"
              "  </method>\n"
              " </interface>\n"
              " <interface name=\"org.freedesktop.DBus.Introspectable\">\n"
              "  <method name=\"Introspect\">\n"
              "   <arg name=\"xml_data\" type=\"s\" direction=\"out\"/>\n"
              "  </method>\n"
              " </interface>\n", f);
        for (DomainNode *n = domain_table_next(t, &b, NULL); n; n = domain_table_next(t, &b, n)) {
                DomainEntry *e = (DomainEntry *) n;
                if (auth_list_may_see(j->msg, e))
                        fprintf(f, " <node name=\"%s\"/>\n", e->path + strlen(j->conn->dom_prefix) + 1);
        }
        fputs("</node>\n", f);
        fclose(f);
        r = sd_bus_message_append(reply, "s", xml);
        free(xml);
        return r;
}

static int introspect_prefix(sd_bus_message *m, Connection *c, sd_bus_error *error) {
        Job *j = job_new(c, m, JOB_QUERY, NULL, reply_prefix_introspection);

        j->object = "connect";
        j->permission = "search-domains";
        j->list_all = true;
        j->any_state = true;
        return job_start(j, error);
}

int domain_object_intercept(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Connection *c = userdata;
        DomainEntry *e = conn_domain_by_path(c, sd_bus_message_get_path(m));
        const char *iface, *prop;
        int r;

        if (!e || !auth_may_see(m, e)) {
                /* A message callback on a prefix makes sd-bus treat every
                 * path below it as existing, so say it does not here. The
                 * prefix node itself is left to sd-bus (introspection). */
                const char *path = sd_bus_message_get_path(m);
                if (!streq(path, c->dom_prefix))
                        return sd_bus_reply_method_errorf(m, SD_BUS_ERROR_UNKNOWN_OBJECT,
                                                          "Unknown object '%s'.", path);
                if (sd_bus_message_is_method_call(m, "org.freedesktop.DBus.Introspectable", "Introspect"))
                        return introspect_prefix(m, c, error);
                return 0;
        }
        if (sd_bus_message_is_method_call(m, "org.freedesktop.DBus.Properties", "GetAll") ||
            sd_bus_message_is_method_call(m, "org.freedesktop.DBus.Properties", "Get"))
                return bus_property_read(m, c, e, error);
        if (!sd_bus_message_is_method_call(m, "org.freedesktop.DBus.Properties", "Set"))
                return 0;

        r = sd_bus_message_read(m, "ss", &iface, &prop);
        if (r < 0 || !streq(iface, DOMAIN_INTERFACE) || !streq(prop, "Autostart")) {
                sd_bus_message_rewind(m, true);
                return 0;
        }
        return set_autostart(m, e, error);
}

static int property_get_scheduler(sd_bus *bus, const char *path, const char *interface,
                                  const char *property, sd_bus_message *reply, void *userdata,
                                  sd_bus_error *error) {
        DomainEntry *e = userdata;

        return sd_bus_message_append(reply, "(si)", e->node.info.sched_type ? e->node.info.sched_type : "",
                                     e->node.info.sched_nparams);
}

static int property_get_uuid(sd_bus *bus, const char *path, const char *interface,
                             const char *property, sd_bus_message *reply, void *userdata,
                             sd_bus_error *error) {
        DomainEntry *e = userdata;

        return sd_bus_message_append_basic(reply, 's', e->node.info.uuid);
}

static int property_set_unreachable(sd_bus *bus, const char *path, const char *interface,
                                    const char *property, sd_bus_message *value, void *userdata,
                                    sd_bus_error *error) {
        /* domain_object_intercept() handles every Set before sd-bus would. */
        return sd_bus_error_set(error, SD_BUS_ERROR_FAILED, "Property writes go through a job");
}

/* ---- lifecycle --------------------------------------------------------- */

/* Calls of the form virDomainFoo(dom, flags) that change the domain. */
static void run_flags_change(Job *j) {
        if (j->flags_fn(j->dom, j->u[0]) < 0)
                return job_fail(j);
        job_capture_after(j, j->dom);
        j->r = 0;
}

static int flags_change(sd_bus_message *m, void *userdata, sd_bus_error *error, const char *permission,
                        int (*fn)(virDomainPtr, unsigned int), bool has_flags) {
        Job *j = domain_job_new(m, userdata, JOB_CHANGE, permission, run_flags_change, NULL);
        int r;

        j->flags_fn = fn;
        if (has_flags) {
                r = sd_bus_message_read(m, "u", &j->u[0]);
                if (r < 0) {
                        job_free(j);
                        return r;
                }
        }
        return job_start(j, error);
}

static int suspend_flags(virDomainPtr d, unsigned int flags) {
        return virDomainSuspend(d);
}

static int resume_flags(virDomainPtr d, unsigned int flags) {
        return virDomainResume(d);
}

#define FLAGS_METHOD(fname, perm, fn, has_flags)                                                  \
        static int method_##fname(sd_bus_message *m, void *userdata, sd_bus_error *error) {      \
                return flags_change(m, userdata, error, perm, fn, has_flags);                      \
        }

FLAGS_METHOD(create, "start", virDomainCreateWithFlags, true)
FLAGS_METHOD(destroy, "stop", virDomainDestroyFlags, true)
FLAGS_METHOD(shutdown, "init-control", virDomainShutdownFlags, true)
FLAGS_METHOD(reboot, "init-control", virDomainReboot, true)
FLAGS_METHOD(reset, "reset", virDomainReset, true)
FLAGS_METHOD(suspend, "suspend", suspend_flags, false)
FLAGS_METHOD(resume, "suspend", resume_flags, false)
FLAGS_METHOD(managed_save, "save", virDomainManagedSave, true)
FLAGS_METHOD(managed_save_remove, "save", virDomainManagedSaveRemove, true)
FLAGS_METHOD(undefine, "delete", virDomainUndefineFlags, true)
FLAGS_METHOD(inject_nmi, "inject-nmi", virDomainInjectNMI, true)

static void run_create_with_files(Job *j) {
        if (virDomainCreateWithFiles(j->dom, j->nfds, j->fds, j->u[0]) < 0)
                return job_fail(j);
        job_capture_after(j, j->dom);
        j->r = 0;
}

static int method_create_with_files(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Job *j = domain_job_new(m, userdata, JOB_CHANGE, "start", run_create_with_files, NULL);
        int fd, r;

        r = sd_bus_message_enter_container(m, 'a', "h");
        while (r >= 0 && (r = sd_bus_message_read_basic(m, 'h', &fd)) > 0) {
                int *nf = realloc(j->fds, sizeof(int) * (j->nfds + 1));
                if (!nf)
                        abort();
                j->fds = nf;
                j->fds[j->nfds] = fcntl(fd, F_DUPFD_CLOEXEC, 3);
                if (j->fds[j->nfds] < 0) {
                        r = -errno;
                        break;
                }
                j->nfds++;
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r >= 0)
                r = sd_bus_message_read(m, "u", &j->u[0]);
        return job_start_parsed(j, r, error);
}

static void run_save(Job *j) {
        test_delay();
        if (virDomainSaveFlags(j->dom, j->s[0], j->s[1][0] ? j->s[1] : NULL, j->u[0]) < 0)
                return job_fail(j);
        job_capture_after(j, j->dom);
        j->r = 0;
}

static int method_save(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Job *j = domain_job_new(m, userdata, JOB_CHANGE, "save", run_save, NULL);
        const char *to, *xml;
        int r;

        r = sd_bus_message_read(m, "ssu", &to, &xml, &j->u[0]);
        if (r >= 0 && *xml)
                r = xml_check_wellformed(xml, "Domain XML", error);
        if (r < 0) {
                job_free(j);
                return r;
        }
        j->s[0] = xstrdup(to);
        j->s[1] = xstrdup(xml);
        return job_start(j, error);
}

static void run_rename(Job *j) {
        char uuid[VIR_UUID_STRING_BUFLEN];
        virDomainPtr fresh;

        if (virDomainRename(j->dom, j->s[0], j->u[0]) < 0)
                return job_fail(j);
        j->r = 0;
        /* Not every driver renames the virDomainPtr it was given: read the
         * facts from a fresh one. */
        if (virDomainGetUUIDString(j->dom, uuid) < 0 || !(fresh = virDomainLookupByUUIDString(j->vconn, uuid))) {
                virResetLastError();
                return;
        }
        job_capture_after(j, fresh);
        j->out_dom = fresh;
}

static int method_rename(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Job *j = domain_job_new(m, userdata, JOB_CHANGE, "write", run_rename, NULL);
        const char *name;
        int r = sd_bus_message_read(m, "su", &name, &j->u[0]);

        if (r < 0) {
                job_free(j);
                return r;
        }
        j->s[0] = xstrdup(name);
        return job_start(j, error);
}

/* ---- state and information --------------------------------------------- */

static int reply_state_from_table(Job *j, sd_bus_message *reply) {
        DomainEntry *e = conn_domain_get(j->conn, j->uuid);

        if (!e)
                return -ENOENT;
        return sd_bus_message_append(reply, "(ii)", e->node.info.state, e->node.info.reason);
}

static void run_get_state(Job *j) {
        int state, reason;

        if (virDomainGetState(j->dom, &state, &reason, j->u[0]) < 0)
                return job_fail(j);
        j->out_i[0] = state;
        j->out_i[1] = reason;
        j->r = 0;
}

static int reply_state(Job *j, sd_bus_message *reply) {
        return sd_bus_message_append(reply, "(ii)", j->out_i[0], j->out_i[1]);
}

static int method_get_state(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        uint32_t flags;
        Job *j;
        int r = sd_bus_message_read(m, "u", &flags);

        if (r < 0)
                return r;
        /* Served from the table; libvirt only sees flags it must judge. */
        if (flags == 0)
                j = domain_job_new(m, userdata, JOB_QUERY, "getattr", NULL, reply_state_from_table);
        else
                j = domain_job_new(m, userdata, JOB_QUERY, "getattr", run_get_state, reply_state);
        j->u[0] = flags;
        return job_start(j, error);
}

/* Queries of the form virDomainFoo(dom, flags) returning a string. */
static void run_string_query(Job *j) {
        char *(*fn)(virDomainPtr, unsigned int) = j->arg;

        j->arg = NULL;
        j->out_s = fn(j->dom, j->u[0]);
        if (!j->out_s)
                return job_fail(j);
        j->r = 0;
}

static int string_query(sd_bus_message *m, DomainEntry *e, sd_bus_error *error, const char *permission,
                        char *(*fn)(virDomainPtr, unsigned int)) {
        Job *j = domain_job_new(m, e, JOB_QUERY, permission, run_string_query, reply_string);

        j->arg = (void *) fn;
        return flags_only_job(m, j, error);
}

static int method_get_xml_desc(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Job *j = domain_job_new(m, userdata, JOB_QUERY, "read", run_string_query, reply_string);
        int r = sd_bus_message_read(m, "u", &j->u[0]);

        if (r < 0) {
                job_free(j);
                return r;
        }
        j->arg = (void *) virDomainGetXMLDesc;
        if (j->u[0] & VIR_DOMAIN_XML_SECURE)
                j->permission = "read-secure";
        return job_start(j, error);
}

static int method_get_hostname(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return string_query(m, userdata, error, "read", virDomainGetHostname);
}

/* Queries of the form virDomainFoo(dom, flags) answering a number >= 0. */
static void run_int_query(Job *j) {
        int v = j->flags_fn(j->dom, j->u[0]);

        if (v < 0)
                return job_fail(j);
        j->out_x = v;
        j->r = 0;
}

static int int_query(sd_bus_message *m, DomainEntry *e, sd_bus_error *error,
                     int (*fn)(virDomainPtr, unsigned int), job_reply_t reply) {
        Job *j = domain_job_new(m, e, JOB_QUERY, "read", run_int_query, reply);

        j->flags_fn = fn;
        return flags_only_job(m, j, error);
}

static int method_has_managed_save(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return int_query(m, userdata, error, virDomainHasManagedSaveImage, reply_bool);
}

static void run_get_stats(Job *j) {
        virDomainPtr doms[] = { j->dom, NULL };
        virDomainStatsRecordPtr *records = NULL;
        int n = virDomainListGetStats(doms, j->u[0], &records, j->u[1]);

        if (n < 0)
                return job_fail(j);
        if (n > 0)
                job_own_params(j, typed_params_copy(records[0]->params, records[0]->nparams),
                               records[0]->nparams);
        virDomainStatsRecordListFree(records);
        j->r = 0;
}

static int method_get_stats(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Job *j = domain_job_new(m, userdata, JOB_QUERY, "read", run_get_stats, reply_params);
        int r = sd_bus_message_read(m, "uu", &j->u[0], &j->u[1]);

        return job_start_parsed(j, r, error);
}

static void run_get_job_info(Job *j) {
        virDomainJobInfo *info = xmalloc0(sizeof(*info));

        j->out = info;
        j->out_free = free;
        if (virDomainGetJobInfo(j->dom, info) < 0)
                return job_fail(j);
        j->r = 0;
}

static int reply_job_info(Job *j, sd_bus_message *reply) {
        virDomainJobInfo *i = j->out;

        return sd_bus_message_append(reply, "(ittttttttttt)", i->type, (uint64_t) i->timeElapsed,
                                     (uint64_t) i->timeRemaining, (uint64_t) i->dataTotal,
                                     (uint64_t) i->dataProcessed, (uint64_t) i->dataRemaining,
                                     (uint64_t) i->memTotal, (uint64_t) i->memProcessed,
                                     (uint64_t) i->memRemaining, (uint64_t) i->fileTotal,
                                     (uint64_t) i->fileProcessed, (uint64_t) i->fileRemaining);
}

static int method_get_job_info(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return job_start(domain_job_new(m, userdata, JOB_QUERY, "read", run_get_job_info, reply_job_info),
                         error);
}

static void run_get_job_stats(Job *j) {
        virTypedParameterPtr params = NULL;
        int type = 0, n = 0;

        if (virDomainGetJobStats(j->dom, &type, &params, &n, j->u[0]) < 0)
                return job_fail(j);
        job_take_params(j, params, n);
        j->out_i[0] = type;
        j->r = 0;
}

static int reply_job_stats(Job *j, sd_bus_message *reply) {
        int r = sd_bus_message_open_container(reply, 'r', "ia{sv}");

        if (r >= 0)
                r = sd_bus_message_append(reply, "i", j->out_i[0]);
        if (r >= 0)
                r = reply_params(j, reply);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

static int method_get_job_stats(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return flags_only_job(m, domain_job_new(m, userdata, JOB_QUERY, "read", run_get_job_stats,
                                                reply_job_stats), error);
}

static void run_abort_job(Job *j) {
        if (virDomainAbortJob(j->dom) < 0)
                return job_fail(j);
        j->r = 0;
}

static int method_abort_job(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        /* A query-class job: it must not wait behind the job it aborts. */
        return job_start(domain_job_new(m, userdata, JOB_QUERY, "save", run_abort_job, NULL), error);
}

static int method_get_vcpus(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return int_query(m, userdata, error, virDomainGetVcpusFlags, reply_uint32);
}

static void run_memory_stats(Job *j) {
        virDomainMemoryStatPtr stats = xmalloc0(sizeof(*stats) * VIR_DOMAIN_MEMORY_STAT_NR);
        int n = virDomainMemoryStats(j->dom, stats, VIR_DOMAIN_MEMORY_STAT_NR, j->u[0]);

        j->out = stats;
        j->out_free = free;
        if (n < 0)
                return job_fail(j);
        j->out_x = n;
        j->r = 0;
}

static int reply_memory_stats(Job *j, sd_bus_message *reply) {
        virDomainMemoryStatPtr stats = j->out;
        int r = sd_bus_message_open_container(reply, 'a', "{it}");

        for (int64_t i = 0; r >= 0 && i < j->out_x; i++)
                r = sd_bus_message_append(reply, "{it}", stats[i].tag, (uint64_t) stats[i].val);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

static int method_memory_stats(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return flags_only_job(m, domain_job_new(m, userdata, JOB_QUERY, "read", run_memory_stats,
                                                reply_memory_stats), error);
}

static void run_get_control_info(Job *j) {
        virDomainControlInfo info;

        if (virDomainGetControlInfo(j->dom, &info, j->u[0]) < 0)
                return job_fail(j);
        j->out_i[0] = (int32_t) info.state;
        j->out_i[1] = (int32_t) info.details;
        j->out_t = info.stateTime;
        j->r = 0;
}

static int reply_control_info(Job *j, sd_bus_message *reply) {
        return sd_bus_message_append(reply, "(uut)", (uint32_t) j->out_i[0], (uint32_t) j->out_i[1],
                                     j->out_t);
}

static int method_get_control_info(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return flags_only_job(m, domain_job_new(m, userdata, JOB_QUERY, "read", run_get_control_info,
                                                reply_control_info), error);
}

static const char *empty_to_null(const char *s) {
        return s && *s ? s : NULL;
}

static void run_get_metadata(Job *j) {
        j->out_s = virDomainGetMetadata(j->dom, j->i[0], empty_to_null(j->s[0]), j->u[0]);
        if (!j->out_s)
                return job_fail(j);
        j->r = 0;
}

static int method_get_metadata(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Job *j = domain_job_new(m, userdata, JOB_QUERY, "read", run_get_metadata, reply_string);
        const char *uri;
        int r = sd_bus_message_read(m, "isu", &j->i[0], &uri, &j->u[0]);

        if (r < 0) {
                job_free(j);
                return r;
        }
        j->s[0] = xstrdup(uri);
        return job_start(j, error);
}

static void run_set_metadata(Job *j) {
        if (virDomainSetMetadata(j->dom, j->i[0], empty_to_null(j->s[0]), empty_to_null(j->s[1]),
                                 empty_to_null(j->s[2]), j->u[0]) < 0)
                return job_fail(j);
        j->r = 0;
}

static int method_set_metadata(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Job *j = domain_job_new(m, userdata, JOB_CHANGE, "write", run_set_metadata, NULL);
        const char *metadata, *key, *uri;
        int r = sd_bus_message_read(m, "isssu", &j->i[0], &metadata, &key, &uri, &j->u[0]);

        /* Element metadata is XML: check it before libvirt does. */
        if (r >= 0 && j->i[0] == VIR_DOMAIN_METADATA_ELEMENT && *metadata)
                r = xml_check_wellformed(metadata, "Metadata XML", error);
        if (r < 0) {
                job_free(j);
                return r;
        }
        j->s[0] = xstrdup(metadata);
        j->s[1] = xstrdup(key);
        j->s[2] = xstrdup(uri);
        return job_start(j, error);
}

static void run_get_time(Job *j) {
        long long seconds = 0;
        unsigned int nseconds = 0;

        if (virDomainGetTime(j->dom, &seconds, &nseconds, j->u[0]) < 0)
                return job_fail(j);
        j->out_t = (uint64_t) seconds;
        j->out_x = nseconds;
        j->r = 0;
}

static int reply_time(Job *j, sd_bus_message *reply) {
        return sd_bus_message_append(reply, "(tu)", j->out_t, (uint32_t) j->out_x);
}

static int method_get_time(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return flags_only_job(m, domain_job_new(m, userdata, JOB_QUERY, "read", run_get_time, reply_time),
                              error);
}

/* ---- changes ----------------------------------------------------------- */

static void run_set_vcpus(Job *j) {
        if (virDomainSetVcpusFlags(j->dom, j->u[0], j->u[1]) < 0)
                return job_fail(j);
        j->r = 0;
}

static int method_set_vcpus(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Job *j = domain_job_new(m, userdata, JOB_CHANGE, "write", run_set_vcpus, NULL);
        int r = sd_bus_message_read(m, "uu", &j->u[0], &j->u[1]);

        return job_start_parsed(j, r, error);
}

typedef struct PinInfo {
        int nvcpus;
        int hostcpus;
        int maplen;
        unsigned char *maps;
} PinInfo;

static void pin_info_free(void *p) {
        PinInfo *pi = p;

        if (pi)
                free(pi->maps);
        free(pi);
}

static void run_get_vcpu_pin_info(Job *j) {
        PinInfo *pi = xmalloc0(sizeof(*pi));
        virDomainInfo info;

        j->out = pi;
        j->out_free = pin_info_free;
        if (virDomainGetInfo(j->dom, &info) < 0)
                return job_fail(j);
        pi->hostcpus = virNodeGetCPUMap(j->vconn, NULL, NULL, 0);
        if (pi->hostcpus < 0)
                return job_fail(j);
        pi->nvcpus = info.nrVirtCpu;
        pi->maplen = VIR_CPU_MAPLEN(pi->hostcpus);
        pi->maps = xmalloc0((size_t) pi->nvcpus * (size_t) pi->maplen + 1);
        if (virDomainGetVcpuPinInfo(j->dom, pi->nvcpus, pi->maps, pi->maplen, j->u[0]) < 0)
                return job_fail(j);
        j->r = 0;
}

static int reply_vcpu_pin_info(Job *j, sd_bus_message *reply) {
        PinInfo *pi = j->out;
        int r = sd_bus_message_open_container(reply, 'a', "ab");

        for (int v = 0; r >= 0 && v < pi->nvcpus; v++) {
                r = sd_bus_message_open_container(reply, 'a', "b");
                for (int c = 0; r >= 0 && c < pi->hostcpus; c++) {
                        int bit = VIR_CPU_USABLE(pi->maps, pi->maplen, v, c) != 0;
                        r = sd_bus_message_append_basic(reply, 'b', &bit);
                }
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

static int method_get_vcpu_pin_info(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return flags_only_job(m, domain_job_new(m, userdata, JOB_QUERY, "read", run_get_vcpu_pin_info,
                                                reply_vcpu_pin_info), error);
}

static void run_pin_vcpu(Job *j) {
        if (virDomainPinVcpuFlags(j->dom, j->u[0], j->arg, (int) j->u[2], j->u[1]) < 0)
                return job_fail(j);
        j->r = 0;
}

static int method_pin_vcpu(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Job *j = domain_job_new(m, userdata, JOB_CHANGE, "write", run_pin_vcpu, NULL);
        const int *bits;
        size_t size;
        int r;

        r = sd_bus_message_read(m, "u", &j->u[0]);
        if (r >= 0)
                r = sd_bus_message_read_array(m, 'b', (const void **) &bits, &size);
        if (r >= 0)
                r = sd_bus_message_read(m, "u", &j->u[1]);
        if (r < 0) {
                job_free(j);
                return r;
        }
        size_t n = size / sizeof(int);
        unsigned char *map = xmalloc0(VIR_CPU_MAPLEN(n ? n : 1));
        for (size_t i = 0; i < n; i++)
                if (bits[i])
                        VIR_USE_CPU(map, i);
        j->arg = map;
        j->arg_free = free;
        j->u[2] = VIR_CPU_MAPLEN(n ? n : 1);
        return job_start(j, error);
}

static void run_set_memory(Job *j) {
        if (virDomainSetMemoryFlags(j->dom, j->t[0], j->u[0]) < 0)
                return job_fail(j);
        j->r = 0;
}

static int method_set_memory(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Job *j = domain_job_new(m, userdata, JOB_CHANGE, "write", run_set_memory, NULL);
        int r = sd_bus_message_read(m, "tu", &j->t[0], &j->u[0]);

        return job_start_parsed(j, r, error);
}

/* AttachDevice, DetachDevice and UpdateDevice: (xml, flags). */
static void run_device(Job *j) {
        int (*fn)(virDomainPtr, const char *, unsigned int) = j->arg;

        j->arg = NULL;
        if (fn(j->dom, j->s[0], j->u[0]) < 0)
                return job_fail(j);
        j->r = 0;
}

static int device_call(sd_bus_message *m, DomainEntry *e, sd_bus_error *error,
                       int (*fn)(virDomainPtr, const char *, unsigned int)) {
        Job *j = domain_job_new(m, e, JOB_CHANGE, "write", run_device, NULL);
        int r = bus_read_xml(m, &j->s[0], "Device XML", error);

        if (r < 0) {
                job_free(j);
                return r;
        }
        j->arg = (void *) fn;
        return flags_only_job(m, j, error);
}

static int method_attach_device(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return device_call(m, userdata, error, virDomainAttachDeviceFlags);
}

static int method_detach_device(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return device_call(m, userdata, error, virDomainDetachDeviceFlags);
}

static int method_update_device(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return device_call(m, userdata, error, virDomainUpdateDeviceFlags);
}

static void run_send_key(Job *j) {
        if (virDomainSendKey(j->dom, j->u[0], j->u[1], j->arg, (int) j->u[2], j->t[0]) < 0)
                return job_fail(j);
        j->r = 0;
}

static int method_send_key(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Job *j = domain_job_new(m, userdata, JOB_CHANGE, "send-input", run_send_key, NULL);
        const uint32_t *codes;
        size_t size;
        uint32_t flags;
        int r;

        r = sd_bus_message_read(m, "uu", &j->u[0], &j->u[1]);
        if (r >= 0)
                r = sd_bus_message_read_array(m, 'u', (const void **) &codes, &size);
        if (r >= 0)
                r = sd_bus_message_read(m, "u", &flags);
        if (r < 0) {
                job_free(j);
                return r;
        }
        if (size / sizeof(uint32_t) > VIR_DOMAIN_SEND_KEY_MAX_KEYS) {
                job_free(j);
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "At most %d key codes can be sent at once",
                                         VIR_DOMAIN_SEND_KEY_MAX_KEYS);
        }
        j->arg = xmalloc0(size + sizeof(uint32_t));
        memcpy(j->arg, codes, size);
        j->arg_free = free;
        j->u[2] = (uint32_t) (size / sizeof(uint32_t));
        j->t[0] = flags;
        return job_start(j, error);
}

/* ---- snapshots --------------------------------------------------------- */

static int reply_snapshot_path(Job *j, sd_bus_message *reply) {
        _cleanup_free_ char *path = path_for_snapshot(j->conn->snap_prefix, j->uuid, j->out_s);

        return sd_bus_message_append(reply, "o", path);
}

int reply_snapshot_paths(Job *j, sd_bus_message *reply) {
        int r = sd_bus_message_open_container(reply, 'a', "o");

        for (char **s = j->out_strv; r >= 0 && s && *s; s++) {
                _cleanup_free_ char *path = path_for_snapshot(j->conn->snap_prefix, j->uuid, *s);
                r = sd_bus_message_append_basic(reply, 'o', path);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

static void take_snapshot_name(Job *j, virDomainSnapshotPtr snap) {
        if (!snap)
                return job_fail(j);
        j->out_s = xstrdup(virDomainSnapshotGetName(snap));
        virDomainSnapshotFree(snap);
        j->r = 0;
}

void take_snapshot_names(Job *j, virDomainSnapshotPtr *snaps, int n) {
        if (n < 0)
                return job_fail(j);
        j->out_strv = xmalloc0(sizeof(char *) * (size_t) (n + 1));
        for (int i = 0; i < n; i++) {
                j->out_strv[i] = xstrdup(virDomainSnapshotGetName(snaps[i]));
                virDomainSnapshotFree(snaps[i]);
        }
        free(snaps);
        j->r = 0;
}

static void run_snapshot_create(Job *j) {
        take_snapshot_name(j, virDomainSnapshotCreateXML(j->dom, j->s[0], j->u[0]));
        if (j->r == 0)
                job_capture_after(j, j->dom);
}

static int method_snapshot_create(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Job *j = domain_job_new(m, userdata, JOB_CHANGE, "snapshot", run_snapshot_create,
                                reply_snapshot_path);
        int r = bus_read_xml(m, &j->s[0], "Snapshot XML", error);

        if (r < 0) {
                job_free(j);
                return r;
        }
        return flags_only_job(m, j, error);
}

static void run_snapshot_current(Job *j) {
        take_snapshot_name(j, virDomainSnapshotCurrent(j->dom, j->u[0]));
}

static int method_snapshot_current(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return flags_only_job(m, domain_job_new(m, userdata, JOB_QUERY, "read", run_snapshot_current,
                                                reply_snapshot_path), error);
}

static void run_snapshot_lookup(Job *j) {
        take_snapshot_name(j, virDomainSnapshotLookupByName(j->dom, j->s[0], j->u[0]));
}

static int method_snapshot_lookup(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Job *j = domain_job_new(m, userdata, JOB_QUERY, "read", run_snapshot_lookup, reply_snapshot_path);
        const char *name;
        int r = sd_bus_message_read(m, "su", &name, &j->u[0]);

        if (r < 0) {
                job_free(j);
                return r;
        }
        j->s[0] = xstrdup(name);
        return job_start(j, error);
}

static void run_list_snapshots(Job *j) {
        virDomainSnapshotPtr *snaps = NULL;
        int n = virDomainListAllSnapshots(j->dom, &snaps, j->u[0]);

        take_snapshot_names(j, snaps, n);
}

static int method_list_snapshots(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return flags_only_job(m, domain_job_new(m, userdata, JOB_QUERY, "read", run_list_snapshots,
                                                reply_snapshot_paths), error);
}

/* ---- the vtable -------------------------------------------------------- */

#define DOMAIN_PROP(name, sig, field) \
        SD_BUS_PROPERTY(name, sig, NULL, offsetof(DomainEntry, node.info.field), \
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE)
#define FLAGS_ONLY(name, handler) \
        SD_BUS_METHOD_WITH_ARGS(name, SD_BUS_ARGS("u", flags), SD_BUS_NO_RESULT, handler, \
                                SD_BUS_VTABLE_UNPRIVILEGED)

const sd_bus_vtable domain_vtable[] = {
        SD_BUS_VTABLE_START(0),
        DOMAIN_PROP("Active", "b", active),
        SD_BUS_WRITABLE_PROPERTY("Autostart", "b", NULL, property_set_unreachable,
                                 offsetof(DomainEntry, node.info.autostart),
                                 SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE | SD_BUS_VTABLE_UNPRIVILEGED),
        DOMAIN_PROP("Id", "u", id),
        DOMAIN_PROP("Name", "s", name),
        DOMAIN_PROP("OSType", "s", os_type),
        DOMAIN_PROP("Persistent", "b", persistent),
        SD_BUS_PROPERTY("SchedulerType", "(si)", property_get_scheduler, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        DOMAIN_PROP("State", "i", state),
        DOMAIN_PROP("StateReason", "i", reason),
        DOMAIN_PROP("Updated", "b", updated),
        SD_BUS_PROPERTY("UUID", "s", property_get_uuid, 0, SD_BUS_VTABLE_PROPERTY_CONST),

        SD_BUS_METHOD_WITH_ARGS("AbortJob", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_abort_job,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("AttachDevice", SD_BUS_ARGS("s", xml, "u", flags), SD_BUS_NO_RESULT,
                                method_attach_device, SD_BUS_VTABLE_UNPRIVILEGED),
        FLAGS_ONLY("Create", method_create),
        SD_BUS_METHOD_WITH_ARGS("CreateWithFiles", SD_BUS_ARGS("ah", files, "u", flags), SD_BUS_NO_RESULT,
                                method_create_with_files, SD_BUS_VTABLE_UNPRIVILEGED),
        FLAGS_ONLY("Destroy", method_destroy),
        SD_BUS_METHOD_WITH_ARGS("DetachDevice", SD_BUS_ARGS("s", xml, "u", flags), SD_BUS_NO_RESULT,
                                method_detach_device, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetControlInfo", SD_BUS_ARGS("u", flags), SD_BUS_RESULT("(uut)", controlInfo),
                                method_get_control_info, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetHostname", SD_BUS_ARGS("u", flags), SD_BUS_RESULT("s", hostname),
                                method_get_hostname, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetJobInfo", SD_BUS_NO_ARGS, SD_BUS_RESULT("(ittttttttttt)", jobInfo),
                                method_get_job_info, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetJobStats", SD_BUS_ARGS("u", flags), SD_BUS_RESULT("(ia{sv})", stats),
                                method_get_job_stats, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetMetadata", SD_BUS_ARGS("i", type, "s", uri, "u", flags),
                                SD_BUS_RESULT("s", metadata), method_get_metadata, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetState", SD_BUS_ARGS("u", flags), SD_BUS_RESULT("(ii)", state),
                                method_get_state, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetStats", SD_BUS_ARGS("u", stats, "u", flags), SD_BUS_RESULT("a{sv}", records),
                                method_get_stats, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetTime", SD_BUS_ARGS("u", flags), SD_BUS_RESULT("(tu)", time),
                                method_get_time, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetVcpuPinInfo", SD_BUS_ARGS("u", flags), SD_BUS_RESULT("aab", vcpuPinInfo),
                                method_get_vcpu_pin_info, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetVcpus", SD_BUS_ARGS("u", flags), SD_BUS_RESULT("u", vcpus),
                                method_get_vcpus, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetXMLDesc", SD_BUS_ARGS("u", flags), SD_BUS_RESULT("s", xml),
                                method_get_xml_desc, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("HasManagedSaveImage", SD_BUS_ARGS("u", flags),
                                SD_BUS_RESULT("b", managedSaveImage), method_has_managed_save,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        FLAGS_ONLY("InjectNMI", method_inject_nmi),
        SD_BUS_METHOD_WITH_ARGS("ListDomainSnapshots", SD_BUS_ARGS("u", flags),
                                SD_BUS_RESULT("ao", domainSnapshots), method_list_snapshots,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        FLAGS_ONLY("ManagedSave", method_managed_save),
        FLAGS_ONLY("ManagedSaveRemove", method_managed_save_remove),
        SD_BUS_METHOD_WITH_ARGS("MemoryStats", SD_BUS_ARGS("u", flags), SD_BUS_RESULT("a{it}", stats),
                                method_memory_stats, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("PinVcpu", SD_BUS_ARGS("u", vcpu, "ab", cpumap, "u", flags), SD_BUS_NO_RESULT,
                                method_pin_vcpu, SD_BUS_VTABLE_UNPRIVILEGED),
        FLAGS_ONLY("Reboot", method_reboot),
        SD_BUS_METHOD_WITH_ARGS("Rename", SD_BUS_ARGS("s", name, "u", flags), SD_BUS_NO_RESULT,
                                method_rename, SD_BUS_VTABLE_UNPRIVILEGED),
        FLAGS_ONLY("Reset", method_reset),
        SD_BUS_METHOD_WITH_ARGS("Resume", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_resume,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Save", SD_BUS_ARGS("s", to, "s", xml, "u", flags), SD_BUS_NO_RESULT,
                                method_save, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SendKey", SD_BUS_ARGS("u", codeset, "u", holdtime, "au", keycodes, "u", flags),
                                SD_BUS_NO_RESULT, method_send_key, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetMemory", SD_BUS_ARGS("t", memory, "u", flags), SD_BUS_NO_RESULT,
                                method_set_memory, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetMetadata",
                                SD_BUS_ARGS("i", type, "s", metadata, "s", key, "s", uri, "u", flags),
                                SD_BUS_NO_RESULT, method_set_metadata, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetVcpus", SD_BUS_ARGS("u", vcpus, "u", flags), SD_BUS_NO_RESULT,
                                method_set_vcpus, SD_BUS_VTABLE_UNPRIVILEGED),
        FLAGS_ONLY("Shutdown", method_shutdown),
        SD_BUS_METHOD_WITH_ARGS("SnapshotCreateXML", SD_BUS_ARGS("s", xml, "u", flags),
                                SD_BUS_RESULT("o", domainSnapshot), method_snapshot_create,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SnapshotCurrent", SD_BUS_ARGS("u", flags), SD_BUS_RESULT("o", domainSnapshot),
                                method_snapshot_current, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SnapshotLookupByName", SD_BUS_ARGS("s", name, "u", flags),
                                SD_BUS_RESULT("o", domainSnapshot), method_snapshot_lookup,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Suspend", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_suspend,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        FLAGS_ONLY("Undefine", method_undefine),
        SD_BUS_METHOD_WITH_ARGS("UpdateDevice", SD_BUS_ARGS("s", xml, "u", flags), SD_BUS_NO_RESULT,
                                method_update_device, SD_BUS_VTABLE_UNPRIVILEGED),

        SD_BUS_SIGNAL_WITH_ARGS("AgentEvent", SD_BUS_ARGS("i", state, "i", reason), 0),
        SD_BUS_SIGNAL_WITH_ARGS("BalloonChange", SD_BUS_ARGS("t", actual), 0),
        SD_BUS_SIGNAL_WITH_ARGS("BlockJob", SD_BUS_ARGS("s", disk, "i", type, "i", status), 0),
        SD_BUS_SIGNAL("ControlError", "", 0),
        SD_BUS_SIGNAL_WITH_ARGS("DeviceAdded", SD_BUS_ARGS("s", device), 0),
        SD_BUS_SIGNAL_WITH_ARGS("DeviceRemovalFailed", SD_BUS_ARGS("s", device), 0),
        SD_BUS_SIGNAL_WITH_ARGS("DeviceRemoved", SD_BUS_ARGS("s", device), 0),
        SD_BUS_SIGNAL_WITH_ARGS("DiskChange",
                                SD_BUS_ARGS("s", oldSrcPath, "s", newSrcPath, "s", device, "i", reason), 0),
        SD_BUS_SIGNAL_WITH_ARGS("Graphics",
                                SD_BUS_ARGS("i", phase, "(iss)", local, "(iss)", remote, "s", authScheme,
                                            "a(ss)", identities), 0),
        SD_BUS_SIGNAL_WITH_ARGS("IOError", SD_BUS_ARGS("s", srcPath, "s", device, "i", action, "s", reason), 0),
        SD_BUS_SIGNAL_WITH_ARGS("JobCompleted", SD_BUS_ARGS("a{sv}", params), 0),
        SD_BUS_SIGNAL_WITH_ARGS("MetadataChange", SD_BUS_ARGS("i", type, "s", nsuri), 0),
        SD_BUS_SIGNAL_WITH_ARGS("MigrationIteration", SD_BUS_ARGS("i", iteration), 0),
        SD_BUS_SIGNAL_WITH_ARGS("PMSuspend", SD_BUS_ARGS("i", reason), 0),
        SD_BUS_SIGNAL_WITH_ARGS("PMSuspendDisk", SD_BUS_ARGS("i", reason), 0),
        SD_BUS_SIGNAL_WITH_ARGS("PMWakeup", SD_BUS_ARGS("i", reason), 0),
        SD_BUS_SIGNAL_WITH_ARGS("RTCChange", SD_BUS_ARGS("x", utcoffset), 0),
        SD_BUS_SIGNAL("Reboot", "", 0),
        SD_BUS_SIGNAL_WITH_ARGS("TrayChange", SD_BUS_ARGS("s", device, "i", reason), 0),
        SD_BUS_SIGNAL_WITH_ARGS("Tunable", SD_BUS_ARGS("a{sv}", params), 0),
        SD_BUS_SIGNAL_WITH_ARGS("Watchdog", SD_BUS_ARGS("i", action), 0),
        SD_BUS_VTABLE_END
};
